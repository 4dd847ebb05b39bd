"""`ScoreStore` (`store.scores`)."""

from __future__ import annotations

from ..context import Context


class ScoreStore:
    """Scorer results and their statistics (`store.scores`).

    Reach it as `store.scores` or `tx.scores`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

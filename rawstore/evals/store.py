"""`EvalStore` (`store.evals`)."""

from __future__ import annotations

from ..context import Context


class EvalStore:
    """Legacy eval results (`store.evals`).

    Reach it as `store.evals` or `tx.evals`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

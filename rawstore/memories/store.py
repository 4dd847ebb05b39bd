"""`SemanticMemoryStore` (`store.memories`)."""

from __future__ import annotations

from ..context import Context


class SemanticMemoryStore:
    """Users, sessions and memories with embeddings, and their search.

    Reach it as `store.memories` or `tx.memories`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

"""`SpanStore` (`store.spans`)."""

from __future__ import annotations

from ..context import Context


class SpanStore:
    """AI tracing spans and the traces they form (`store.spans`).

    Reach it as `store.spans` or `tx.spans`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

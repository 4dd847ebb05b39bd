"""`TraceStore` (`store.traces`)."""

from __future__ import annotations

from ..context import Context


class TraceStore:
    """Legacy OpenTelemetry trace records (`store.traces`).

    Reach it as `store.traces` or `tx.traces`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

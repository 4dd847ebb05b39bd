"""The AI call log (`store.ai_calls`). PLACEHOLDER: filled in by the ai_calls work."""

from __future__ import annotations

from .context import Context


class AICallLog:
    """Buffered AI call logging and SQL-side statistics for the current tenant."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def flush(self) -> None:
        """Write every buffered call."""

    async def close(self) -> None:
        """Flush and stop background writing; called by `Store.close()`."""
        await self.flush()

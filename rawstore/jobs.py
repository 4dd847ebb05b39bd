"""The job queue (`store.jobs`). PLACEHOLDER."""

from __future__ import annotations

from .context import Context


class JobQueue:
    """A fenced job queue."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def close(self) -> None:
        """Stop listening for wake-ups; called by `Store.close()`."""

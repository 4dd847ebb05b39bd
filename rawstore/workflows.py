"""The workflow domain (`store.workflows`). PLACEHOLDER: filled in by the workflows work."""

from __future__ import annotations

from .context import Context


class WorkflowStore:
    """Workflow runs, stages, logs and artifacts of the current tenant."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

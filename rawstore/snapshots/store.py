"""`SnapshotStore` (`store.snapshots`)."""

from __future__ import annotations

from ..context import Context


class SnapshotStore:
    """Workflow snapshots: the persisted state of each workflow run (`store.snapshots`).

    Reach it as `store.snapshots` or `tx.snapshots`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

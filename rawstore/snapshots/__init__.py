"""Workflow snapshots: the persisted state of each workflow run (`store.snapshots`)."""

from .queries import SnapshotQueries
from .records import WorkflowSnapshot
from .store import SnapshotStore

__all__ = ["SnapshotQueries", "SnapshotStore", "WorkflowSnapshot"]

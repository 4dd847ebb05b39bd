"""Workflow snapshots: the persisted state of each workflow run (`store.snapshots`)."""

from .queries import SnapshotQueries
from .store import SnapshotStore

__all__ = ["SnapshotQueries", "SnapshotStore"]

"""Records of the snapshots domain (msgspec Structs): what `store.snapshots` returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ..timeutil import utcnow

# gc=False: the fields are strings, datetimes and JSON values that cannot refer back to the record.


class WorkflowSnapshot(msgspec.Struct, gc=False):
    """The stored state of one workflow run, unique by (`workflow_name`, `run_id`) within a tenant.

    `snapshot` is any JSON value (None in listings made without `with_snapshot`). `status` is the snapshot's
    top-level `"status"` string when it has one, else None. The kit sets `created_at` (kept by every later write)
    and `updated_at` (every write); they default to the current time only so that the record can be built by hand.
    """

    workflow_name: str
    run_id: str
    snapshot: Any
    resource_id: str | None = None
    status: str | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)


__all__ = ["WorkflowSnapshot"]

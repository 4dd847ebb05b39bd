"""Records of the workflow domain (msgspec Structs): what `store.workflows` returns.

Runs and stages carry a `version` that every update bumps (for `expected_version` fencing). The kit creates
these records; callers pass keywords to `create_run`, `create_stage`, ... rather than building them. Timestamps
are timezone-aware UTC datetimes set by the database's clock unless the caller gave them; JSON fields hold any
JSON value (dicts, lists, strings, numbers, booleans, None).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ..enums import ArtifactType, LogLevel, Status

# gc=False as in records.py: the fields cannot refer back to the record, so the cycle collector can skip them.


class WorkflowRun(msgspec.Struct, gc=False):
    """A workflow run. `duration` is in milliseconds; `version` starts at 1 and grows by one with every update
    or claim."""

    id: str
    created_at: datetime
    updated_at: datetime
    workflow_id: str
    workflow_name: str
    workflow_type: str
    status: Status
    started_at: datetime | None
    completed_at: datetime | None
    duration: int | None
    input: Any
    output: Any
    config: Any
    total_cost: float
    total_tokens: int
    priority: int
    metadata: dict[str, Any] | None
    version: int


class WorkflowStage(msgspec.Struct, gc=False):
    """A stage of a workflow run, unique by (`workflow_run_id`, `stage_id`); `id` is its row id (a UUIDv7)."""

    id: str
    created_at: datetime
    updated_at: datetime
    workflow_run_id: str
    stage_id: str
    stage_name: str
    stage_number: int
    execution_group: int
    status: Status
    attempt: int
    started_at: datetime | None
    completed_at: datetime | None
    duration: int | None
    input_data: Any
    output_data: Any
    config: Any
    suspended_state: Any
    resume_data: Any
    next_poll_at: datetime | None
    poll_interval: int | None
    max_wait_until: datetime | None
    metrics: Any
    embedding_info: Any
    error_message: str | None
    version: int


class WorkflowLog(msgspec.Struct, gc=False):
    """A log line, of a run, of a stage (`workflow_stage_id` is the stage's row id), or of neither."""

    id: str
    created_at: datetime
    workflow_run_id: str | None
    workflow_stage_id: str | None
    level: LogLevel
    message: str
    metadata: dict[str, Any] | None


class WorkflowArtifact(msgspec.Struct, gc=False):
    """A JSON artifact of a run, unique by (`workflow_run_id`, `key`). `size` is the UTF-8 length of its JSON."""

    id: str
    created_at: datetime
    updated_at: datetime
    workflow_run_id: str
    workflow_stage_id: str | None
    key: str
    type: ArtifactType
    data: Any
    size: int
    metadata: dict[str, Any] | None


__all__ = ["WorkflowArtifact", "WorkflowLog", "WorkflowRun", "WorkflowStage"]

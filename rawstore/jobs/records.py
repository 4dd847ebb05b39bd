"""Records of the job queue (`store.jobs`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ..enums import Status


class Job(msgspec.Struct, gc=False):
    """A job of the queue, as stored.

    `lease` is the token of the claim that made it RUNNING: `complete`, `fail`, `suspend` and `heartbeat` need it,
    so a worker whose job was released (and maybe claimed again by another worker) cannot touch it any more.
    `attempt` counts claims (1 on the first delivery); `run_at` is when it is (or was) due.
    """

    id: str
    queue: str
    workflow_run_id: str
    stage_id: str
    status: Status
    priority: int
    attempt: int
    max_attempts: int
    payload: Any
    run_at: datetime
    next_poll_at: datetime | None
    unique_key: str | None
    worker_id: str | None
    lease: str | None
    locked_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class SuspendedJob(msgspec.Struct, gc=False):
    """A suspended job whose poll time has come (from `get_suspended_jobs_ready_to_poll`)."""

    job_id: str
    stage_id: str
    workflow_run_id: str


class KeyHolder(msgspec.Struct, gc=False):
    """The pending or running job that holds a unique key."""

    unique_key: str
    id: str


class StatusCount(msgspec.Struct, gc=False):
    status: Status
    jobs: int

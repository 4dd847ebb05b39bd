"""The studio's read queries for the workflow, job, AI call, score and memory pages (sql/<dialect>/studio_ops.sql).

Only what no domain call answers: keyset pages of runs by status / type, of a run's or a stage's log lines, of the
running and the failed jobs, of semantic-memory users and of scorers; the AI calls per model per day; a scorer's
histogram; the database's clock. Each binds :tenant_id and reads one index range in order (see the SQL's comments).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import msgspec

from ..enums import LEVEL_BY_NAME, STATUS_BY_NAME, Status
from ..memories.records import User
from ..queryset import Many, QuerySet, Scalar
from ..workflows.records import WorkflowLog

_STATUS: Final = {"status": STATUS_BY_NAME.__getitem__}


class QueueStatusCount(msgspec.Struct, gc=False):
    """How many of a tenant's jobs one queue holds in one status."""

    queue: str
    status: str
    jobs: int


class RunRow(msgspec.Struct, gc=False):
    """A workflow run as the runs list shows it: its WorkflowRun fields without input, output, config, metadata."""

    id: str
    workflow_id: str
    workflow_name: str
    workflow_type: str
    status: Status
    priority: int
    started_at: datetime | None
    completed_at: datetime | None
    duration: int | None
    total_cost: float
    total_tokens: int
    created_at: datetime
    updated_at: datetime


class JobRow(msgspec.Struct, gc=False):
    """A job as the running and failed lists show it: no payload, and `last_error` cut to its first 1,000
    characters (the job's own page shows both whole)."""

    id: str
    queue: str
    workflow_run_id: str
    stage_id: str
    status: Status
    priority: int
    attempt: int
    max_attempts: int
    run_at: datetime
    worker_id: str | None
    locked_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class DailyModelUsage(msgspec.Struct, gc=False):
    """The AI calls of one model key on one UTC day (YYYY-MM-DD): how many, their tokens and exact cost."""

    day: str
    model_key: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_nanos: int


class ScorerRow(msgspec.Struct, gc=False):
    """A scorer that has scores in the tenant, and when its newest score was made."""

    scorer_id: str
    last_created: datetime


class ScoreBucket(msgspec.Struct, gc=False):
    """How many of a scorer's scores fall in histogram bucket `bucket` (0-based; see the query)."""

    bucket: int
    scores: int


class StudioOpsQueries(QuerySet, domain="studio_ops"):
    """The queries of sql/<dialect>/studio_ops.sql and what their rows decode to."""

    clock = Scalar(datetime)
    job_queue_counts = Many(QueueStatusCount, decode={"jobs": int})
    runs_all = Many(RunRow, decode=_STATUS)
    runs_by_status = Many(RunRow, decode=_STATUS)
    runs_by_type = Many(RunRow, decode=_STATUS)
    runs_by_type_status = Many(RunRow, decode=_STATUS)
    run_types = Many(str)
    run_logs_page = Many(WorkflowLog, decode={"level": LEVEL_BY_NAME.__getitem__})
    stage_logs_page = Many(WorkflowLog, decode={"level": LEVEL_BY_NAME.__getitem__})
    running_jobs = Many(JobRow, decode=_STATUS)
    failed_jobs = Many(JobRow, decode=_STATUS)
    ai_daily = Many(
        DailyModelUsage,
        decode={"calls": int, "input_tokens": int, "output_tokens": int, "cost_nanos": int},
    )
    scorers = Many(ScorerRow)
    score_histogram = Many(ScoreBucket, decode={"bucket": int, "scores": int})
    mem_users = Many(User)

"""The studio's read queries for the workflow, job, AI call, score and memory pages (sql/<dialect>/studio_ops.sql)."""

from __future__ import annotations

import msgspec

from ..queryset import Many, QuerySet


class QueueStatusCount(msgspec.Struct, gc=False):
    """How many of a tenant's jobs one queue holds in one status."""

    queue: str
    status: str
    jobs: int


class StudioOpsQueries(QuerySet, domain="studio_ops"):
    """The queries of sql/<dialect>/studio_ops.sql and what their rows decode to."""

    job_queue_counts = Many(QueueStatusCount, decode={"jobs": int})

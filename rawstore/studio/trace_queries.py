"""The studio's read queries for the traces list and waterfall pages (sql/<dialect>/studio_traces.sql)."""

from __future__ import annotations

import msgspec

from ..queryset import Many, QuerySet


class SpanScoreCount(msgspec.Struct, gc=False):
    """How many scores one span has."""

    span_id: str
    scores: int


class StudioTraceQueries(QuerySet, domain="studio_traces"):
    """The queries of sql/<dialect>/studio_traces.sql and what their rows decode to."""

    trace_score_counts = Many(SpanScoreCount, decode={"scores": int})

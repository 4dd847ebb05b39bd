"""The scores domain's queries (sql/<dialect>/scores.sql) and the records their rows decode to."""

from __future__ import annotations

from ..queryset import Batch, Many, One, QuerySet, Scalar
from .records import Score, ScoreStats

# The values of a validated score row, in this order (every dialect's insert names them).
SCORE_FIELDS = (
    "tenant_id",
    "id",
    "scorer_id",
    "run_id",
    "entity_id",
    "score",
    "output",
    "source",
    "scorer",
    "entity_type",
    "entity",
    "trace_id",
    "span_id",
    "resource_id",
    "thread_id",
    "reason",
    "input",
    "metadata",
    "additional_context",
    "request_context",
    "preprocess_step_result",
    "analyze_step_result",
    "preprocess_prompt",
    "analyze_prompt",
    "generate_score_prompt",
    "generate_reason_prompt",
    "created_at",
    "updated_at",
)


class ScoreQueries(QuerySet, domain="scores"):
    """The queries of sql/<dialect>/scores.sql and what their rows decode to."""

    insert_scores = Batch(fields=SCORE_FIELDS)
    get_score = One(Score)
    by_scorer = Many(Score)
    by_scorer_entity = Many(Score)
    by_run = Many(Score)
    by_entity = Many(Score)
    by_span = Many(Score)
    count_by_scorer = Scalar(int)
    count_by_scorer_entity = Scalar(int)
    count_by_run = Scalar(int)
    count_by_entity = Scalar(int)
    count_by_span = Scalar(int)
    stats_by_scorer = One(ScoreStats)
    stats_by_scorer_entity = One(ScoreStats)

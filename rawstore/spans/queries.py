"""The spans domain's queries (sql/<dialect>/spans.sql) and the records their rows decode to.

`Span.children` and `Span.summary` are not columns: every SELECT of spans ends with `NULL AS children, NULL AS
summary`, so its columns are the record's fields in order, and the decoder fills them (a new empty list, None)
through overrides instead of decoding a row record and copying it into a Span.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..queryset import Batch, Exec, Many, One, QuerySet, Scalar
from .records import RootKey, Span, TraceTotals

# The values of a validated span row, in this order (each dialect's SQL lists its columns as it likes).
SPAN_FIELDS = (
    "tenant_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "span_type",
    "started_at",
    "ended_at",
    "is_event",
    "input_tokens",
    "output_tokens",
    "entity_type",
    "entity_id",
    "entity_name",
    "resource_id",
    "thread_id",
    "run_id",
    "session_id",
    "created_at",
    "updated_at",
    "error",
    "scope",
    "tags",
    "links",
    "metadata",
    "attributes",
    "input",
    "output",
)

# The values of a validated update row (None: keep the stored value), in this order.
UPDATE_FIELDS = (
    "tenant_id",
    "trace_id",
    "span_id",
    "name",
    "span_type",
    "started_at",
    "parent_span_id",
    "ended_at",
    "is_event",
    "input_tokens",
    "output_tokens",
    "entity_type",
    "entity_id",
    "entity_name",
    "resource_id",
    "thread_id",
    "run_id",
    "session_id",
    "updated_at",
    "error",
    "scope",
    "tags",
    "links",
    "metadata",
    "attributes",
    "input",
    "output",
)


# Fields of an update that an index of rs_ai_spans covers (the roots indexes' columns and their predicate).
INDEXED_UPDATES = ("started_at", "parent_span_id", "entity_id", "resource_id", "thread_id", "run_id")
# Fields a span's end sets (end_spans); the token counts follow attributes.
END_FIELDS = ("ended_at", "output", "error", "attributes", "metadata", "input_tokens", "output_tokens")


def _no_children(_: Any) -> list[Span]:
    return []


def _no_summary(_: Any) -> None:
    return None


_SPAN: dict[str, Callable[[Any], Any]] = {"children": _no_children, "summary": _no_summary}
# Sums arrive as Decimal on PostgreSQL (sum of bigint is numeric) and MariaDB.
_TOTALS: dict[str, Callable[[Any], Any]] = dict.fromkeys(
    ("span_count", "error_count", "running", "input_tokens", "output_tokens"), int
)


class SpanQueries(QuerySet, domain="spans"):
    """The queries of sql/<dialect>/spans.sql and what their rows decode to."""

    insert_spans = Batch(fields=SPAN_FIELDS)
    update_spans = Batch(fields=UPDATE_FIELDS)
    update_spans_unindexed = Batch(fields=UPDATE_FIELDS)  # the same rows; its SQL sets no indexed column
    end_spans = Batch(fields=UPDATE_FIELDS)  # the same rows; its SQL sets only END_FIELDS
    get_span = One(Span, decode=_SPAN)
    trace_spans = Many(Span, decode=_SPAN)
    roots_page = Many(Span, decode=_SPAN)
    roots_by_entity = Many(Span, decode=_SPAN)
    roots_by_resource = Many(Span, decode=_SPAN)
    roots_by_thread = Many(Span, decode=_SPAN)
    roots_by_run = Many(Span, decode=_SPAN)
    count_roots = Scalar(int)
    trace_totals = Many(TraceTotals, decode=_TOTALS)
    delete_traces = Exec()
    nth_newest_root = One(RootKey)
    chunk_end = One(RootKey)
    delete_root_range = Exec()

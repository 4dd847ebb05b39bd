"""The traces domain's queries (sql/<dialect>/traces.sql) and the records their rows decode to."""

from __future__ import annotations

from ..queryset import Batch, Many, QuerySet, Scalar
from .records import TraceRecord

# The values of a validated span row, in this order.
TRACE_FIELDS = (
    "tenant_id",
    "id",
    "trace_id",
    "parent_span_id",
    "name",
    "scope",
    "kind",
    "start_time_ns",
    "end_time_ns",
    "attributes",
    "status",
    "events",
    "links",
    "other",
    "created_at",
)


class TraceQueries(QuerySet, domain="traces"):
    """The queries of sql/<dialect>/traces.sql and what their rows decode to."""

    insert_traces = Batch(fields=TRACE_FIELDS)
    traces = Many(TraceRecord)
    traces_by_scope = Many(TraceRecord)
    traces_by_name = Many(TraceRecord)
    count_traces = Scalar(int)
    count_traces_by_scope = Scalar(int)
    count_traces_by_name = Scalar(int)

"""The traces domain's queries (sql/<dialect>/traces.sql) and the records their rows decode to."""

from __future__ import annotations

from ..queryset import QuerySet


class TraceQueries(QuerySet, domain="traces"):
    """The queries of sql/<dialect>/traces.sql."""

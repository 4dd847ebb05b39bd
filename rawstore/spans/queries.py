"""The spans domain's queries (sql/<dialect>/spans.sql) and the records their rows decode to."""

from __future__ import annotations

from ..queryset import QuerySet


class SpanQueries(QuerySet, domain="spans"):
    """The queries of sql/<dialect>/spans.sql."""

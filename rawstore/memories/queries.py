"""The memories domain's queries (sql/<dialect>/memories.sql) and the records their rows decode to."""

from __future__ import annotations

from ..queryset import QuerySet


class MemoryItemQueries(QuerySet, domain="memories"):
    """The queries of sql/<dialect>/memories.sql."""

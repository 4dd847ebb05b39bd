"""The scores domain's queries (sql/<dialect>/scores.sql) and the records their rows decode to."""

from __future__ import annotations

from ..queryset import QuerySet


class ScoreQueries(QuerySet, domain="scores"):
    """The queries of sql/<dialect>/scores.sql."""

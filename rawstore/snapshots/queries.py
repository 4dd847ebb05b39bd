"""The snapshots domain's queries (sql/<dialect>/snapshots.sql) and the records their rows decode to."""

from __future__ import annotations

from ..queryset import QuerySet


class SnapshotQueries(QuerySet, domain="snapshots"):
    """The queries of sql/<dialect>/snapshots.sql."""

"""The evals domain's queries (sql/<dialect>/evals.sql) and the records their rows decode to."""

from __future__ import annotations

from ..queryset import QuerySet


class EvalQueries(QuerySet, domain="evals"):
    """The queries of sql/<dialect>/evals.sql."""

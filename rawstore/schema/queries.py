"""The schema domain's queries (sql/<dialect>/schema.sql) and the records their rows decode to.

The index DDL (CREATE / DROP INDEX, ANALYZE) is not among them: DDL takes no parameters, so it is built from the
templates of sql/<dialect>/ddl/schema.sql (see `DDL_TEMPLATES`), filled only with validated identifiers and literals
the database quoted itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..queryset import Exec, Many, One, QuerySet
from .records import CatalogIndex, ColumnInfo, IndexSize, IndexUse, Registered, TableInfo


def _int_or_none(v: Any) -> int | None:
    # MariaDB's information_schema sums and products can arrive as Decimal.
    return None if v is None else int(v)


_SIZES: dict[str, Callable[[Any], Any]] = dict.fromkeys(("rows_estimate", "total_bytes", "index_bytes"), _int_or_none)

DDL_TEMPLATES = (
    "quote_ident",
    "create_index",
    "create_index_online",
    "drop_index",
    "drop_index_online",
    "analyze_table",
)
"""The templates every sql/<dialect>/ddl/schema.sql defines."""


class SchemaQueries(QuerySet, domain="schema"):
    """The queries of sql/<dialect>/schema.sql: the catalog (tables, columns, indexes, sizes, usage) and the registry
    of the indexes `create_index` made. None is scoped to a tenant: neither the catalog nor an index belongs to one."""

    kit_tables = Many(str)
    table_stats = Many(TableInfo, decode=_SIZES)
    columns = Many(ColumnInfo)
    indexes = Many(CatalogIndex)
    index_sizes = Many(IndexSize, decode={"size_bytes": int})
    index_use = One(IndexUse, decode=dict.fromkeys(("scans", "tuples_read", "tuples_fetched"), _int_or_none))
    name_used = One(str)
    registered = One(Registered)
    register = Exec()
    unregister = Exec()
    quote_literal = One(str)
    ddl_lock = One(int)
    ddl_unlock = Exec()

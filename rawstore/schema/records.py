"""Records of schema operations (`store.schema`): the kit's tables, their columns and their indexes."""

from __future__ import annotations

from typing import Literal

import msgspec

# gc=False: the fields are strings, numbers, bools and lists of strings that cannot refer back to the record.

Owner = Literal["migration", "user"]
"""Who made an index: the kit's migrations (or anything else outside `create_index`), or `create_index`."""


class TableInfo(msgspec.Struct, gc=False):
    """One of the kit's tables (`rs_` prefix; yoyo's bookkeeping tables are not listed).

    `rows_estimate` is the database's estimate (PostgreSQL `reltuples`, MariaDB's InnoDB statistics) or, on SQLite,
    the rows counted in the table's pages; None while the database has no estimate yet (a PostgreSQL table never
    analyzed or vacuumed). `total_bytes` counts the table with its indexes (and TOAST on PostgreSQL), `index_bytes`
    its indexes alone; None where the database does not report sizes (SQLite without the dbstat table).
    """

    name: str
    rows_estimate: int | None
    total_bytes: int | None
    index_bytes: int | None


class ColumnInfo(msgspec.Struct, gc=False):
    """One column of a kit table, in table order.

    `type` is the database's own spelling (`text`, `timestamp with time zone`, `varchar(255)`, `TEXT`), `default`
    the SQL expression of its default, None when it has none.
    """

    name: str
    type: str
    nullable: bool
    default: str | None


class IndexInfo(msgspec.Struct, gc=False):
    """One index of a kit table.

    `columns` are its key columns in order, each as `create_index` takes them (`"created_at DESC"` for a descending
    one). `definition` is the database's own text (PostgreSQL `pg_get_indexdef`, SQLite's stored statement), or one
    rebuilt from the catalog where the database keeps none (MariaDB; SQLite's primary keys). Primary keys are named
    `<table>_pkey` on every database (MariaDB calls each one PRIMARY). `owner` is "user" for an index made by
    `create_index`, "migration" for every other (those of the kit's migrations). `size_bytes` is None where the
    database does not tell (MariaDB without read access to mysql.innodb_index_stats, SQLite without dbstat).
    """

    name: str
    table: str
    columns: list[str]
    unique: bool
    size_bytes: int | None
    definition: str
    owner: Owner


class IndexStats(msgspec.Struct, gc=False):
    """An index with its access method and usage statistics (`describe_index`).

    `scans`, `tuples_read` and `tuples_fetched` come from the database's statistics where it keeps them
    (PostgreSQL `pg_stat_user_indexes`: since the statistics were last reset; MariaDB `INDEX_STATISTICS` rows read,
    only with `userstat=1`), else None.
    """

    name: str
    table: str
    columns: list[str]
    unique: bool
    size_bytes: int | None
    definition: str
    owner: Owner
    method: str
    scans: int | None
    tuples_read: int | None
    tuples_fetched: int | None


# -- rows the store reads to build the records above ---------------------------------------------------------------


class CatalogIndex(msgspec.Struct, gc=False):
    """An index as the catalog describes it (internal): what `create_index` compares a request with.

    `valid` is False for a PostgreSQL index whose concurrent build failed or is still running, and `building`
    tells the two apart (a build of it is in progress).
    """

    name: str
    table: str
    columns: list[str]
    unique: bool
    method: str
    partial: bool
    valid: bool
    building: bool
    definition: str
    owner: Owner


class IndexSize(msgspec.Struct, gc=False):
    """The size of one index (internal)."""

    name: str
    table: str
    size_bytes: int


class IndexUse(msgspec.Struct, gc=False):
    """The usage statistics of one index (internal)."""

    scans: int | None
    tuples_read: int | None
    tuples_fetched: int | None


class Registered(msgspec.Struct, gc=False):
    """A row of rs_index_registry (internal): an index `create_index` made, or is making."""

    name: str
    table_name: str
    definition: str


__all__ = ["ColumnInfo", "IndexInfo", "IndexStats", "Owner", "TableInfo"]

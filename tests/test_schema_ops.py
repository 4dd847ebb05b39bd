"""store.schema: the kit's tables, columns and indexes, and index management, on every backend.

Every index a test makes is named rs_t_*; the `schema` fixture drops whatever such index a test leaves behind, so the
shared test databases keep only the migrations' indexes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

import rawstore
from rawstore.schema import ColumnInfo, IndexInfo, IndexStats, SchemaQueries, SchemaStore, TableInfo
from rawstore.schema.queries import DDL_TEMPLATES
from rawstore.sqlfiles import DIALECTS, Dialect, data_dir, load_queries, parse_sql_file
from tests import dbs

APP_TABLE = "app_schema_ops"
THREAD_COLUMNS = ["tenant_id", "id", "resource_id", "title", "metadata", "created_at", "updated_at"]
THREAD_INDEXES = ["rs_threads_pkey", "rs_threads_resource_created_idx", "rs_threads_resource_updated_idx"]


async def drop_raw(store: rawstore.Store, name: str, table: str) -> None:
    """Drop an index behind the kit's back (as a DBA, or a crash, would)."""
    sql = f"DROP INDEX {name} ON {table}" if store.dialect == "mysql" else f"DROP INDEX {name}"
    await dbs.ddl(store, sql)


async def registry(store: rawstore.Store) -> list[str]:
    async with store.transaction() as tx:
        return [r["name"] for r in await tx.fetch("SELECT name FROM rs_index_registry ORDER BY name")]


async def tidy(store: rawstore.Store) -> None:
    """Drop the test indexes (rs_t_*) and registry rows a test left, whoever made them."""
    for i in await store.schema.list_indexes():
        if i.name.startswith("rs_t_"):
            if i.owner == "user":
                await store.schema.drop_index(i.name, concurrently=False)
            else:
                await drop_raw(store, i.name, i.table)
    async with store.transaction() as tx:
        await tx.execute("DELETE FROM rs_index_registry")


@pytest.fixture
async def schema(store: rawstore.Store) -> AsyncIterator[SchemaStore]:
    await tidy(store)
    try:
        yield store.schema
    finally:
        await tidy(store)


@pytest.fixture
async def app_table(store: rawstore.Store) -> AsyncIterator[str]:
    """An application table (no rs_ prefix) with an index named like a kit index: never the kit's business."""
    await dbs.ddl(
        store,
        f"CREATE TABLE {APP_TABLE} (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(50))",
        f"CREATE INDEX rs_t_app_idx ON {APP_TABLE} (label)",
    )
    try:
        yield APP_TABLE
    finally:
        await dbs.ddl(store, f"DROP TABLE {APP_TABLE}")


def names(indexes: list[IndexInfo]) -> list[str]:
    return [i.name for i in indexes]


def shapes(indexes: list[IndexInfo]) -> list[tuple[Any, ...]]:
    """The indexes without their sizes (which grow as rows arrive, in rs_index_registry too)."""
    return [shape(i) for i in indexes]


def shape(i: IndexInfo) -> tuple[Any, ...]:
    return (i.name, i.table, tuple(i.columns), i.unique, i.definition, i.owner)


async def insert_thread(store: rawstore.Store, id: str, resource: str, title: str | None = None) -> None:
    """A plain INSERT (the memory domain's upsert would turn a unique-key clash into an update on MariaDB)."""
    async with store.transaction() as tx:
        await tx.execute(
            "INSERT INTO rs_threads (tenant_id, id, resource_id, title, created_at, updated_at)"
            " VALUES (:t, :id, :r, :title, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')",
            {"t": rawstore.current_tenant() or rawstore.DEFAULT_TENANT, "id": id, "r": resource, "title": title},
        )


# -- introspection ----------------------------------------------------------------------------------------------


async def test_schema_name(store: rawstore.Store) -> None:
    assert isinstance(store.schema, SchemaStore)
    assert store.schema.name == "public"
    async with store.transaction() as tx:
        assert not hasattr(tx, "schema"), "index DDL has no place inside an application transaction"


async def test_tables_are_the_kit_tables_only(
    backend: str, db_url: str, schema: SchemaStore, app_table: str, store: rawstore.Store
) -> None:
    tables = await schema.tables()
    assert all(isinstance(t, TableInfo) for t in tables)
    listed = [t.name for t in tables]
    # Whatever rs_ tables the migrations made (other domains add theirs), and nothing else.
    assert listed == dbs.kit_tables(backend, db_url)
    assert listed == sorted(listed)
    assert {"rs_threads", "rs_messages", "rs_jobs", "rs_index_registry"} <= set(listed)
    assert app_table not in listed and not any(n.startswith("rs_yoyo") for n in listed)
    for t in tables:
        assert t.total_bytes is not None and t.index_bytes is not None and 0 <= t.index_bytes <= t.total_bytes
        assert t.rows_estimate is None or t.rows_estimate >= 0


async def test_row_estimates_after_analyze(backend: str, schema: SchemaStore, store: rawstore.Store) -> None:
    for i in range(7):
        await store.memory.save_thread(rawstore.Thread(f"t{i}", resource_id="r"))
    assert await schema.analyze("rs_threads") == ["rs_threads"]
    threads = next(t for t in await schema.tables() if t.name == "rs_threads")
    # PostgreSQL's ANALYZE and SQLite's page count are exact on a table this small; InnoDB samples.
    assert threads.rows_estimate == 7 or (backend == "mysql" and threads.rows_estimate is not None)
    assert threads.total_bytes is not None and threads.total_bytes > 0


async def test_columns(schema: SchemaStore) -> None:
    cols = await schema.columns("rs_threads")
    assert all(isinstance(c, ColumnInfo) for c in cols)
    assert [c.name for c in cols] == THREAD_COLUMNS
    by = {c.name: c for c in cols}
    assert not by["tenant_id"].nullable and not by["id"].nullable and not by["created_at"].nullable
    assert by["title"].nullable and by["metadata"].nullable
    assert all(c.default is None for c in cols)
    assert all(isinstance(c.type, str) and c.type for c in cols)
    reg = {c.name: c for c in await schema.columns("rs_index_registry")}
    assert list(reg) == ["name", "table_name", "definition", "created_at"]


async def test_has_column(schema: SchemaStore) -> None:
    assert await schema.has_column("rs_threads", "title")
    assert not await schema.has_column("rs_threads", "titel")
    # A kit table the database does not have (yet): False, where columns() is NotFound.
    assert not await schema.has_column("rs_not_migrated", "id")
    with pytest.raises(rawstore.NotFound):
        await schema.columns("rs_not_migrated")


BAD_TABLES: list[Any] = [
    "threads", "app_schema_ops", "RS_THREADS", "rs_Threads", "rs_yoyo_migration", "rs_threads; DROP TABLE x",
    'rs_threads"', "", None, 5, "rs_" + "x" * 61,
]  # fmt: skip


async def test_table_names_are_validated(schema: SchemaStore) -> None:
    for table in BAD_TABLES:
        with pytest.raises(rawstore.InvalidInput):
            await schema.columns(table)
        with pytest.raises(rawstore.InvalidInput):
            await schema.has_column(table, "id")
        with pytest.raises(rawstore.InvalidInput):
            await schema.create_index("rs_t_idx", table, ["id"])
        if table is not None:  # None: every kit table
            with pytest.raises(rawstore.InvalidInput):
                await schema.list_indexes(table)
            with pytest.raises(rawstore.InvalidInput):
                await schema.analyze(table)


async def test_column_names_are_validated(schema: SchemaStore) -> None:
    for bad in ("Title", "title; --", "", None, 3):
        with pytest.raises(rawstore.InvalidInput):
            await schema.has_column("rs_threads", bad)  # type: ignore[arg-type]


async def test_list_indexes_of_the_migrations(schema: SchemaStore) -> None:
    threads = await schema.list_indexes("rs_threads")
    assert names(threads) == THREAD_INDEXES
    assert all(isinstance(i, IndexInfo) and i.owner == "migration" and i.table == "rs_threads" for i in threads)
    pkey, created, updated = threads
    assert pkey.unique and pkey.columns == ["tenant_id", "id"]
    assert not created.unique and created.columns == ["tenant_id", "resource_id", "created_at", "id"]
    assert updated.columns == ["tenant_id", "resource_id", "updated_at", "id"]
    assert all(i.size_bytes is not None and i.size_bytes > 0 for i in threads)
    assert all(i.definition for i in threads)
    everything = await schema.list_indexes()
    assert [(i.table, i.name) for i in everything] == sorted((i.table, i.name) for i in everything)
    assert {i.table for i in everything} <= {t.name for t in await schema.tables()}
    assert [i for i in everything if i.table == "rs_threads"] == threads
    jobs = {i.name: i for i in await schema.list_indexes("rs_jobs")}
    assert "priority DESC" in jobs["rs_jobs_claim_idx"].columns
    with pytest.raises(rawstore.NotFound):
        await schema.list_indexes("rs_not_migrated")


async def test_indexes_of_application_tables_are_not_listed(schema: SchemaStore, app_table: str) -> None:
    assert "rs_t_app_idx" not in names(await schema.list_indexes())
    with pytest.raises(rawstore.NotFound):
        await schema.describe_index("rs_t_app_idx")


async def test_describe_index(schema: SchemaStore, store: rawstore.Store) -> None:
    d = await schema.describe_index("rs_threads_resource_created_idx")
    assert isinstance(d, IndexStats)
    assert (d.name, d.table, d.owner, d.method, d.unique) == (
        "rs_threads_resource_created_idx", "rs_threads", "migration", "btree", False
    )  # fmt: skip
    listed = next(i for i in await schema.list_indexes("rs_threads") if i.name == d.name)
    assert msgspec.structs.astuple(listed) == msgspec.structs.astuple(d)[:7]
    if store.dialect == "postgres":
        assert isinstance(d.scans, int) and isinstance(d.tuples_read, int) and isinstance(d.tuples_fetched, int)
    elif store.dialect == "sqlite":
        assert (d.scans, d.tuples_read, d.tuples_fetched) == (None, None, None)
    else:  # MariaDB: rows read only with userstat=1, never scans or fetches
        assert d.scans is None and d.tuples_fetched is None
    pkey = await schema.describe_index("rs_threads_pkey")
    assert pkey.unique and pkey.owner == "migration" and pkey.columns == ["tenant_id", "id"]
    with pytest.raises(rawstore.NotFound):
        await schema.describe_index("rs_no_such_idx")
    for bad in ("Bad", "x; DROP TABLE rs_threads", "", None):
        with pytest.raises(rawstore.InvalidInput):
            await schema.describe_index(bad)  # type: ignore[arg-type]


# -- create, list, describe, drop ------------------------------------------------------------------------------


async def test_create_describe_and_drop(schema: SchemaStore, store: rawstore.Store) -> None:
    before = await schema.list_indexes()
    info = await schema.create_index("rs_t_resource_idx", "rs_threads", ["tenant_id", "resource_id", "created_at DESC"])
    assert isinstance(info, IndexInfo)
    assert (info.name, info.table, info.owner, info.unique) == ("rs_t_resource_idx", "rs_threads", "user", False)
    assert info.columns == ["tenant_id", "resource_id", "created_at DESC"]
    assert info.size_bytes is not None and info.size_bytes > 0
    assert "rs_t_resource_idx" in info.definition
    listed = await schema.list_indexes("rs_threads")
    assert names(listed) == sorted([*THREAD_INDEXES, "rs_t_resource_idx"])
    assert shape(next(i for i in listed if i.name == info.name)) == shape(info)
    d = await schema.describe_index("rs_t_resource_idx")
    assert (d.method, d.owner, d.columns) == ("btree", "user", info.columns)
    assert await registry(store) == ["rs_t_resource_idx"]

    assert await schema.drop_index("rs_t_resource_idx") is True
    assert shapes(await schema.list_indexes()) == shapes(before)
    assert await registry(store) == []
    assert await schema.drop_index("rs_t_resource_idx") is False  # missing: a no-op
    with pytest.raises(rawstore.NotFound):
        await schema.describe_index("rs_t_resource_idx")


@pytest.mark.parametrize("concurrently", [True, False])
async def test_create_is_idempotent_for_the_same_definition(schema: SchemaStore, concurrently: bool) -> None:
    first = await schema.create_index(
        "rs_t_idem_idx", "rs_threads", ["tenant_id", "created_at"], concurrently=concurrently
    )
    # ASC is the default direction: the same index. Neither call builds a second one.
    again = await schema.create_index("rs_t_idem_idx", "rs_threads", ["tenant_id", "created_at ASC"])
    assert shape(again) == shape(first)
    assert names(await schema.list_indexes("rs_threads")).count("rs_t_idem_idx") == 1
    for other in (
        dict(columns=["tenant_id", "created_at DESC"]),
        dict(columns=["tenant_id"]),
        dict(columns=["created_at", "tenant_id"]),
        dict(columns=["tenant_id", "created_at"], unique=True),
        dict(columns=["tenant_id", "created_at"], table="rs_messages"),
    ):
        args: dict[str, Any] = {"table": "rs_threads", **other}
        with pytest.raises(rawstore.Conflict, match="another definition"):
            await schema.create_index("rs_t_idem_idx", **args)
    assert (await schema.describe_index("rs_t_idem_idx")).columns == ["tenant_id", "created_at"]


async def test_create_of_a_migration_index_by_its_definition_is_a_no_op(schema: SchemaStore) -> None:
    info = await schema.create_index(
        "rs_threads_resource_created_idx", "rs_threads", ["tenant_id", "resource_id", "created_at", "id"]
    )
    assert info.owner == "migration"
    with pytest.raises(rawstore.Conflict):
        await schema.create_index("rs_threads_resource_created_idx", "rs_threads", ["tenant_id", "resource_id"])
    with pytest.raises(rawstore.Conflict):
        await schema.create_index("rs_threads_pkey", "rs_threads", ["tenant_id", "title"])


async def test_a_unique_index_is_enforced(schema: SchemaStore, store: rawstore.Store) -> None:
    info = await schema.create_index("rs_t_unique_idx", "rs_threads", ["tenant_id", "resource_id"], unique=True)
    assert info.unique
    await insert_thread(store, "t1", "r1")
    with pytest.raises(rawstore.Conflict):
        await insert_thread(store, "t2", "r1")
    await insert_thread(store, "t3", "r2")
    with rawstore.tenant("other"):  # tenant_id leads the index: another tenant may reuse the resource
        await insert_thread(store, "t2", "r1")


@pytest.mark.parametrize("concurrently", [True, False])
async def test_a_unique_index_over_duplicates_leaves_nothing_behind(
    schema: SchemaStore, store: rawstore.Store, concurrently: bool
) -> None:
    await insert_thread(store, "t1", "same")
    await insert_thread(store, "t2", "same")
    before = await schema.list_indexes()
    with pytest.raises(rawstore.Conflict):
        await schema.create_index(
            "rs_t_dup_idx", "rs_threads", ["tenant_id", "resource_id"], unique=True, concurrently=concurrently
        )
    # PostgreSQL's failed CONCURRENTLY build leaves an invalid index: the kit drops it, and forgets the name.
    assert shapes(await schema.list_indexes()) == shapes(before)
    assert await registry(store) == []
    info = await schema.create_index("rs_t_dup_idx", "rs_threads", ["tenant_id", "resource_id"])
    assert not info.unique


@pytest.mark.requires("partial_indexes")
async def test_partial_indexes(schema: SchemaStore, store: rawstore.Store) -> None:
    # A value with quotes, a backslash and non-ASCII text: quoted by the database, matched exactly.
    pinned = 'it\'s \\ "pinned" ☃ ; DROP TABLE rs_threads; --'
    info = await schema.create_index(
        "rs_t_pinned_idx", "rs_threads", ["tenant_id", "resource_id"], unique=True, where={"title": pinned}
    )
    assert info.owner == "user" and info.unique
    assert "WHERE" in info.definition.upper()
    await insert_thread(store, "t1", "r", pinned)
    await insert_thread(store, "t2", "r", pinned + "x")  # outside the index
    await insert_thread(store, "t3", "r")  # NULL title: outside it
    with pytest.raises(rawstore.Conflict):
        await insert_thread(store, "t4", "r", pinned)
    assert "rs_threads" in [t.name for t in await schema.tables()]
    # The same request is a no-op; another value, another column or none at all is another definition.
    again = await schema.create_index(
        "rs_t_pinned_idx", "rs_threads", ["tenant_id", "resource_id"], unique=True, where={"title": pinned}
    )
    assert shape(again) == shape(info)
    for where in ({"title": pinned + "!"}, {"title": None}, {"resource_id": pinned}, None, {}):
        with pytest.raises(rawstore.Conflict):
            await schema.create_index(
                "rs_t_pinned_idx", "rs_threads", ["tenant_id", "resource_id"], unique=True, where=where
            )


@pytest.mark.requires("partial_indexes")
async def test_partial_index_on_null_and_numbers(schema: SchemaStore, store: rawstore.Store) -> None:
    nulls = await schema.create_index(
        "rs_t_untitled_idx", "rs_threads", ["tenant_id", "resource_id"], unique=True, where={"title": None}
    )
    assert "NULL" in nulls.definition.upper()
    await insert_thread(store, "t1", "r")
    await insert_thread(store, "t2", "r", "titled")
    with pytest.raises(rawstore.Conflict):
        await insert_thread(store, "t3", "r")
    jobs = await schema.create_index(
        "rs_t_jobs_idx", "rs_jobs", ["tenant_id", "run_at"], where={"priority": 5, "attempt": -1, "status": "PENDING"}
    )
    assert jobs.owner == "user"
    evals = await schema.create_index(
        "rs_t_evals_idx", "rs_evals", ["tenant_id", "created_at"], where={"is_test": True}
    )
    assert evals.owner == "user"
    # 1 and True are different requests, and so are 5 and 5.0.
    with pytest.raises(rawstore.Conflict):
        await schema.create_index("rs_t_evals_idx", "rs_evals", ["tenant_id", "created_at"], where={"is_test": 1})
    with pytest.raises(rawstore.Conflict):
        await schema.create_index(
            "rs_t_jobs_idx",
            "rs_jobs",
            ["tenant_id", "run_at"],
            where={"priority": 5.0, "attempt": -1, "status": "PENDING"},
        )


@pytest.mark.backends("mysql")
async def test_no_partial_indexes_on_mariadb(schema: SchemaStore, store: rawstore.Store) -> None:
    assert not store.capabilities.partial_indexes
    before = await schema.list_indexes()
    with pytest.raises(rawstore.InvalidInput, match="no partial indexes"):
        await schema.create_index("rs_t_partial_idx", "rs_threads", ["tenant_id"], where={"title": "x"})
    assert shapes(await schema.list_indexes()) == shapes(before)
    assert await registry(store) == []
    # An empty where is no predicate at all.
    assert (await schema.create_index("rs_t_partial_idx", "rs_threads", ["tenant_id"], where={})).owner == "user"


async def test_index_methods(schema: SchemaStore, store: rawstore.Store) -> None:
    methods = store.capabilities.index_methods
    assert methods[0] == "btree"
    if store.dialect == "postgres":
        assert methods == ("btree", "hash", "gin", "gist", "brin")
        made = {
            "hash": await schema.create_index("rs_t_hash_idx", "rs_threads", ["resource_id"], method="hash"),
            "gin": await schema.create_index("rs_t_gin_idx", "rs_threads", ["metadata"], method="gin"),
            "brin": await schema.create_index("rs_t_brin_idx", "rs_threads", ["created_at"], method="brin"),
        }
        for method, info in made.items():
            assert (await schema.describe_index(info.name)).method == method
            assert f"USING {method}" in info.definition
        # gist has no operator class for text: the database says so, and nothing is left.
        before = await schema.list_indexes()
        with pytest.raises(rawstore.DatabaseError, match="operator class"):
            await schema.create_index("rs_t_gist_idx", "rs_threads", ["resource_id"], method="gist")
        assert shapes(await schema.list_indexes()) == shapes(before)
        assert "rs_t_gist_idx" not in await registry(store)
    else:
        assert methods == ("btree",)
        for method in ("hash", "gin"):
            with pytest.raises(rawstore.InvalidInput, match="method must be one of 'btree'"):
                await schema.create_index("rs_t_hash_idx", "rs_threads", ["resource_id"], method=method)
    info = await schema.create_index("rs_t_btree_idx", "rs_threads", ["resource_id"], method="btree")
    assert (await schema.describe_index(info.name)).method == "btree"


@pytest.mark.backends(*dbs.POSTGRES)
async def test_method_rules(schema: SchemaStore) -> None:
    with pytest.raises(rawstore.InvalidInput, match="unique indexes need method 'btree'"):
        await schema.create_index("rs_t_idx", "rs_threads", ["resource_id"], method="hash", unique=True)
    with pytest.raises(rawstore.InvalidInput, match="DESC columns need method 'btree'"):
        await schema.create_index("rs_t_idx", "rs_threads", ["created_at DESC"], method="brin")
    with pytest.raises(rawstore.InvalidInput, match="exactly one column"):
        await schema.create_index("rs_t_idx", "rs_threads", ["tenant_id", "resource_id"], method="hash")


async def test_name_clashes(schema: SchemaStore, app_table: str) -> None:
    # Index and table names share one namespace (PostgreSQL, SQLite; rawstore keeps it so on MariaDB too).
    with pytest.raises(rawstore.Conflict, match="the table rs_messages"):
        await schema.create_index("rs_messages", "rs_threads", ["resource_id"])
    # An application table's index already carries that name.
    with pytest.raises(rawstore.Conflict, match=f"an index of {app_table}"):
        await schema.create_index("rs_t_app_idx", "rs_threads", ["resource_id"])
    # The name of an index of another kit table.
    await schema.create_index("rs_t_shared_idx", "rs_threads", ["resource_id"])
    with pytest.raises(rawstore.Conflict, match="another definition"):
        await schema.create_index("rs_t_shared_idx", "rs_messages", ["thread_id"])


async def test_drop_index_leaves_the_migrations_indexes(schema: SchemaStore, app_table: str) -> None:
    before = await schema.list_indexes()
    for name in ("rs_threads_resource_created_idx", "rs_threads_pkey"):
        with pytest.raises(rawstore.InvalidInput, match="not made by create_index"):
            await schema.drop_index(name)
    for bad in ("app_idx", "Rs_t_idx", "rs_t_idx; DROP TABLE rs_threads", "", None, 1):
        with pytest.raises(rawstore.InvalidInput):
            await schema.drop_index(bad)  # type: ignore[arg-type]
    with pytest.raises(rawstore.InvalidInput):
        await schema.drop_index("rs_t_idx", concurrently="yes")  # type: ignore[arg-type]
    # An application table's index is not the kit's to drop: there is none of that name on the kit's tables.
    assert await schema.drop_index("rs_t_app_idx") is False
    assert shapes(await schema.list_indexes()) == shapes(before)


async def test_drop_index_without_concurrently(schema: SchemaStore) -> None:
    await schema.create_index("rs_t_plain_idx", "rs_threads", ["resource_id"], concurrently=False)
    assert await schema.drop_index("rs_t_plain_idx", concurrently=False) is True
    assert "rs_t_plain_idx" not in names(await schema.list_indexes())


# -- bad input: a typed error, and nothing built or recorded -----------------------------------------------------

BAD_CREATES: list[tuple[dict[str, Any], type[Exception]]] = [
    ({"name": "t_idx"}, rawstore.InvalidInput),
    ({"name": "RS_T_IDX"}, rawstore.InvalidInput),
    ({"name": "rs_T_idx"}, rawstore.InvalidInput),
    ({"name": "rs_t_idx; DROP TABLE rs_threads"}, rawstore.InvalidInput),
    ({"name": 'rs_t"idx'}, rawstore.InvalidInput),
    ({"name": "rs_" + "x" * 61}, rawstore.InvalidInput),
    ({"name": None}, rawstore.InvalidInput),
    ({"name": b"rs_t_idx"}, rawstore.InvalidInput),
    ({"table": "app_schema_ops"}, rawstore.InvalidInput),
    ({"table": "rs_yoyo_log"}, rawstore.InvalidInput),
    ({"table": "rs_not_migrated"}, rawstore.NotFound),
    ({"columns": "resource_id"}, rawstore.InvalidInput),
    ({"columns": []}, rawstore.InvalidInput),
    ({"columns": None}, rawstore.InvalidInput),
    ({"columns": ["no_such_column"]}, rawstore.InvalidInput),
    ({"columns": ["resource_id", "resource_id DESC"]}, rawstore.InvalidInput),
    ({"columns": ["resource_id DESCENDING"]}, rawstore.InvalidInput),
    ({"columns": ["resource_id NULLS FIRST"]}, rawstore.InvalidInput),
    ({"columns": ["lower(resource_id)"]}, rawstore.InvalidInput),
    ({"columns": ["resource_id); DROP TABLE rs_threads; --"]}, rawstore.InvalidInput),
    ({"columns": ["Resource_id"]}, rawstore.InvalidInput),
    ({"columns": [1]}, rawstore.InvalidInput),
    ({"columns": ["resource_id"] + [f"c{i}" for i in range(32)]}, rawstore.InvalidInput),
    ({"where": "title = 'x'"}, rawstore.InvalidInput),
    ({"where": ["title", "x"]}, rawstore.InvalidInput),
    ({"where": {"title; --": "x"}}, rawstore.InvalidInput),
    ({"where": {1: "x"}}, rawstore.InvalidInput),
    ({"where": {"no_such_column": "x"}}, rawstore.InvalidInput),
    ({"where": {"title": ["x"]}}, rawstore.InvalidInput),
    ({"where": {"title": {"a": 1}}}, rawstore.InvalidInput),
    ({"where": {"title": b"x"}}, rawstore.InvalidInput),
    ({"where": {"title": float("nan")}}, rawstore.InvalidInput),
    ({"where": {"title": float("inf")}}, rawstore.InvalidInput),
    ({"where": {"title": 2**63}}, rawstore.InvalidInput),
    ({"where": {"title": "nul\x00"}}, rawstore.InvalidInput),
    ({"where": {"title": "\ud800"}}, rawstore.InvalidInput),
    ({"where": {"title": "x" * 4001}}, rawstore.InvalidInput),
    ({"unique": 1}, rawstore.InvalidInput),
    ({"unique": None}, rawstore.InvalidInput),
    ({"concurrently": "no"}, rawstore.InvalidInput),
    ({"method": "BTREE"}, rawstore.InvalidInput),
    ({"method": "spgist"}, rawstore.InvalidInput),
    ({"method": "btree; DROP TABLE rs_threads"}, rawstore.InvalidInput),
    ({"method": 1}, rawstore.InvalidInput),
]


async def test_bad_create_changes_nothing(schema: SchemaStore, store: rawstore.Store) -> None:
    before = shapes(await schema.list_indexes())
    for bad, error in BAD_CREATES:
        args: dict[str, Any] = {"name": "rs_t_idx", "table": "rs_threads", "columns": ["tenant_id", "resource_id"]}
        args.update(bad)
        if not store.capabilities.partial_indexes and isinstance(bad.get("where"), dict):
            error = rawstore.InvalidInput  # refused before its values are even looked at
        with pytest.raises(error):
            await schema.create_index(args.pop("name"), args.pop("table"), args.pop("columns"), **args)
        assert shapes(await schema.list_indexes()) == before, bad
        assert await registry(store) == [], bad


# -- tenancy ------------------------------------------------------------------------------------------------------


async def test_indexes_belong_to_no_tenant(backend: str, db_url: str) -> None:
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", tenancy="required") as s:
        await tidy(s)
        try:
            # No tenant needed: tables and indexes are shared by every tenant.
            assert "rs_threads" in [t.name for t in await s.schema.tables()]
            with rawstore.tenant("a"):
                made = await s.schema.create_index("rs_t_tenant_idx", "rs_threads", ["tenant_id", "resource_id"])
            with rawstore.tenant("b"):
                seen = next(i for i in await s.schema.list_indexes("rs_threads") if i.name == made.name)
                assert shape(seen) == shape(made) and seen.owner == "user"
            assert await s.schema.drop_index("rs_t_tenant_idx") is True
        finally:
            await tidy(s)


# -- the query set and the DDL templates -----------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_defines_every_query_and_template(dialect: Dialect) -> None:
    from rawstore.queryset import Codecs, bind

    folder = data_dir("sql") / dialect
    queries = parse_sql_file((folder / "schema.sql").read_text("utf-8"), "schema", dialect, "schema.sql", "")
    bound = bind((SchemaQueries,), queries, Codecs(ts_in=lambda v: v, json_in=msgspec.json.decode))
    assert all(bound[d.slot] is not None for d in SchemaQueries.declared.values())
    # The templates live below the query folder: never loaded (nor prepared) as queries.
    assert not any(k.startswith("ddl.") for k in load_queries(dialect))
    templates = parse_sql_file((folder / "ddl" / "schema.sql").read_text("utf-8"), "ddl", dialect, "ddl", "{schema}")
    assert sorted(k.split(".", 1)[1] for k in templates) == sorted(DDL_TEMPLATES)


@pytest.mark.backends("sqlite", "postgres", "mysql")
async def test_select_columns_match_their_record_fields(backend: str, db_url: str) -> None:
    from tests.test_query_sets import _column_names

    dialect: Dialect = "postgres" if backend == "postgres" else "mysql" if backend == "mysql" else "sqlite"
    path = data_dir("sql") / dialect / "schema.sql"
    queries = parse_sql_file(path.read_text("utf-8"), "schema", dialect, str(path), '"public".')
    checked = 0
    for decl in SchemaQueries.declared.values():
        record = decl.record
        if isinstance(record, type) and issubclass(record, msgspec.Struct):
            got = await _column_names(backend, db_url, queries[decl.key])
            assert got == list(record.__struct_fields__), f"{decl.key} on {backend}: {got}"
            checked += 1
    assert checked == 6

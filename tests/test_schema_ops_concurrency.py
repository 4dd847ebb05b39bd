"""store.schema under concurrency and interruption: racing create_index calls, builds interrupted before or during
the DDL, PostgreSQL's invalid indexes, usage statistics, and a store on a schema other than public."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import rawstore
from rawstore.schema import SchemaStore
from tests import dbs
from tests.test_schema_ops import drop_raw, insert_thread, registry, shape, tidy

PG = dbs.POSTGRES


@pytest.fixture
async def schema(store: rawstore.Store) -> AsyncIterator[SchemaStore]:
    await tidy(store)
    try:
        yield store.schema
    finally:
        await tidy(store)


async def pg_fetch(backend: str, url: str, sql: str, *args: Any) -> list[Any]:
    """A query on a direct PostgreSQL connection of its own (the catalog as a superuser sees it)."""
    import asyncpg

    conn = await asyncpg.connect(dbs.direct_url(backend, url))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_identical_creates_race_to_one_index(schema: SchemaStore, store: rawstore.Store) -> None:
    made = await asyncio.gather(
        *[schema.create_index("rs_t_race_idx", "rs_threads", ["tenant_id", "resource_id"]) for _ in range(4)]
    )
    assert len({shape(i) for i in made}) == 1 and made[0].owner == "user"
    assert [i.name for i in await schema.list_indexes("rs_threads")].count("rs_t_race_idx") == 1
    assert await registry(store) == ["rs_t_race_idx"]


async def test_different_definitions_race_one_wins(schema: SchemaStore, store: rawstore.Store) -> None:
    variants = [["tenant_id", "resource_id"], ["tenant_id", "created_at"], ["resource_id"], ["tenant_id", "id"]]
    results = await asyncio.gather(
        *[schema.create_index("rs_t_race_idx", "rs_threads", cols) for cols in variants], return_exceptions=True
    )
    won = [(cols, r) for cols, r in zip(variants, results, strict=True) if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1, results
    assert all(isinstance(e, rawstore.Conflict) for e in lost), lost
    cols, info = won[0]
    assert (await schema.describe_index("rs_t_race_idx")).columns == cols == info.columns
    assert await registry(store) == ["rs_t_race_idx"]


async def test_different_indexes_of_one_table_at_once(schema: SchemaStore) -> None:
    specs = {"rs_t_a_idx": ["resource_id"], "rs_t_b_idx": ["tenant_id", "created_at"], "rs_t_c_idx": ["updated_at"]}
    made = await asyncio.gather(*[schema.create_index(n, "rs_threads", c) for n, c in specs.items()])
    assert {i.name: i.columns for i in made} == specs
    listed = {i.name for i in await schema.list_indexes("rs_threads")}
    assert set(specs) <= listed
    assert await asyncio.gather(*[schema.drop_index(n) for n in specs]) == [True, True, True]
    assert not set(specs) & {i.name for i in await schema.list_indexes("rs_threads")}


async def test_create_and_drop_race(schema: SchemaStore) -> None:
    await schema.create_index("rs_t_flip_idx", "rs_threads", ["resource_id"])
    dropped = await asyncio.gather(*[schema.drop_index("rs_t_flip_idx") for _ in range(3)])
    assert sorted(dropped) == [False, False, True]
    assert "rs_t_flip_idx" not in {i.name for i in await schema.list_indexes()}


async def test_a_create_interrupted_before_its_build(schema: SchemaStore, store: rawstore.Store) -> None:
    """The registry row is written first: a crash before the build leaves a row without an index, which no
    listing shows; the same request builds it, another is refused until drop_index clears the row."""
    await schema.create_index("rs_t_lost_idx", "rs_threads", ["resource_id"])
    await drop_raw(store, "rs_t_lost_idx", "rs_threads")  # as if the build never happened
    assert await registry(store) == ["rs_t_lost_idx"]
    assert "rs_t_lost_idx" not in {i.name for i in await schema.list_indexes()}
    with pytest.raises(rawstore.NotFound):
        await schema.describe_index("rs_t_lost_idx")
    with pytest.raises(rawstore.Conflict, match=r"drop_index\('rs_t_lost_idx'\)"):
        await schema.create_index("rs_t_lost_idx", "rs_threads", ["tenant_id"])
    again = await schema.create_index("rs_t_lost_idx", "rs_threads", ["resource_id"])
    assert again.owner == "user" and again.columns == ["resource_id"]
    await drop_raw(store, "rs_t_lost_idx", "rs_threads")
    assert await schema.drop_index("rs_t_lost_idx") is False  # no index, but the row goes
    assert await registry(store) == []
    assert (await schema.create_index("rs_t_lost_idx", "rs_threads", ["tenant_id"])).columns == ["tenant_id"]


async def test_an_index_dropped_outside_the_kit_is_no_longer_listed(schema: SchemaStore, store: rawstore.Store) -> None:
    await schema.create_index("rs_t_gone_idx", "rs_threads", ["resource_id"])
    await drop_raw(store, "rs_t_gone_idx", "rs_threads")
    assert "rs_t_gone_idx" not in {i.name for i in await schema.list_indexes()}


async def test_an_index_made_outside_the_kit_is_the_migrations(schema: SchemaStore, store: rawstore.Store) -> None:
    """Only create_index's own indexes are "user": one a DBA made by hand on a kit table is never dropped."""
    await dbs.ddl(store, "CREATE INDEX rs_t_dba_idx ON rs_threads (resource_id)")
    try:
        info = next(i for i in await schema.list_indexes("rs_threads") if i.name == "rs_t_dba_idx")
        assert info.owner == "migration"
        with pytest.raises(rawstore.InvalidInput):
            await schema.drop_index("rs_t_dba_idx")
        # Asking for exactly that index is a no-op; for another definition, Conflict.
        assert shape(await schema.create_index("rs_t_dba_idx", "rs_threads", ["resource_id"])) == shape(info)
        with pytest.raises(rawstore.Conflict):
            await schema.create_index("rs_t_dba_idx", "rs_threads", ["title"])
    finally:
        await drop_raw(store, "rs_t_dba_idx", "rs_threads")


@pytest.mark.backends(*PG)
async def test_an_invalid_index_is_built_again(
    backend: str, db_url: str, schema: SchemaStore, store: rawstore.Store
) -> None:
    """What a failed or cancelled CONCURRENTLY build leaves (an invalid index) is dropped and built again by the
    same request, refused for another, and dropped by drop_index."""
    await schema.create_index("rs_t_invalid_idx", "rs_threads", ["resource_id"])
    mark = "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'rs_t_invalid_idx'::regclass"
    valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = 'rs_t_invalid_idx'::regclass"
    await pg_fetch(backend, db_url, mark)
    assert [r[0] for r in await pg_fetch(backend, db_url, valid)] == [False]
    with pytest.raises(rawstore.Conflict):
        await schema.create_index("rs_t_invalid_idx", "rs_threads", ["tenant_id"])
    for concurrently in (True, False):
        again = await schema.create_index("rs_t_invalid_idx", "rs_threads", ["resource_id"], concurrently=concurrently)
        assert again.owner == "user"
        assert [r[0] for r in await pg_fetch(backend, db_url, valid)] == [True]
        await pg_fetch(backend, db_url, mark)
    assert await schema.drop_index("rs_t_invalid_idx") is True
    assert await pg_fetch(backend, db_url, "SELECT to_regclass('rs_t_invalid_idx') IS NULL AS gone") == [(True,)]


@pytest.mark.backends(*PG)
async def test_a_cancelled_concurrent_build_is_recovered(
    backend: str, db_url: str, schema: SchemaStore, store: rawstore.Store
) -> None:
    """CREATE INDEX CONCURRENTLY waits for the transactions writing the table. Cancelled while it waits, it leaves
    an invalid index and its registry row; the next create_index of the same definition builds it."""
    waiting = (
        "SELECT count(*) FROM pg_stat_progress_create_index p"
        " WHERE p.relid = 'rs_threads'::regclass AND p.phase LIKE 'waiting%'"
    )
    async with store.transaction() as tx:
        await tx.execute(
            "INSERT INTO rs_threads (tenant_id, id, resource_id, created_at, updated_at)"
            " VALUES ('default', 'w', 'r', now(), now())"
        )
        task = asyncio.create_task(schema.create_index("rs_t_cancel_idx", "rs_threads", ["resource_id"]))
        for _ in range(400):  # until the build waits for this transaction (at most 20 s)
            if (await pg_fetch(backend, db_url, waiting))[0][0]:
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the concurrent build never waited for the open transaction")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await tx.execute("DELETE FROM rs_threads WHERE id = 'w'")
    # The cancelled statement ends on the server once the cancel request lands.
    for _ in range(400):
        if not (await pg_fetch(backend, db_url, waiting))[0][0]:
            break
        await asyncio.sleep(0.05)
    assert await registry(store) == ["rs_t_cancel_idx"]
    info = await schema.create_index("rs_t_cancel_idx", "rs_threads", ["resource_id"])
    assert info.owner == "user"
    rows = await pg_fetch(
        backend, db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'rs_t_cancel_idx'::regclass"
    )
    assert [r[0] for r in rows] == [True]


@pytest.mark.backends(*PG)
async def test_usage_statistics(backend: str, schema: SchemaStore, store: rawstore.Store) -> None:
    await schema.create_index("rs_t_used_idx", "rs_threads", ["tenant_id", "resource_id"])
    before = await schema.describe_index("rs_t_used_idx")
    assert before.scans == 0 and before.tuples_read == 0
    for i in range(3):
        await insert_thread(store, f"t{i}", "r")
    async with store.transaction() as tx:
        await tx.execute("SET LOCAL enable_seqscan = off")
        await tx.execute("SET LOCAL enable_bitmapscan = off")
        rows = await tx.fetch("SELECT id FROM rs_threads WHERE tenant_id = 'default' AND resource_id = 'r'")
        assert len(rows) == 3
        # The backend reports its statistics when it goes idle; forced, so the next call sees them.
        await tx.fetch("SELECT pg_stat_force_next_flush()")
    after = await schema.describe_index("rs_t_used_idx")
    assert after.scans is not None and after.scans >= 1
    assert after.tuples_read is not None and after.tuples_read >= 3
    assert after.tuples_fetched is not None and after.tuples_fetched >= 3


@pytest.mark.backends(*PG)
async def test_a_schema_other_than_public(backend: str, db_url: str, schema: SchemaStore) -> None:
    other = "rs_schema_ops_alt"
    direct = dbs.direct_url(backend, db_url)
    await pg_fetch(backend, db_url, f"DROP SCHEMA IF EXISTS {other} CASCADE")
    try:
        rawstore.migrate(direct, schema=other)
        async with rawstore.connect(db_url, schema=other, pgbouncer=backend == "pgbouncer") as s:
            assert s.schema.name == other
            public = [t.name for t in await schema.tables()]
            assert [t.name for t in await s.schema.tables()] == public
            made = await s.schema.create_index("rs_t_alt_idx", "rs_threads", ["resource_id"], where={"title": "x"})
            assert f"{other}.rs_threads" in made.definition
            assert "rs_t_alt_idx" not in {i.name for i in await schema.list_indexes()}
            assert [i.name for i in await s.schema.list_indexes("rs_threads")].count("rs_t_alt_idx") == 1
            assert await s.schema.analyze("rs_threads") == ["rs_threads"]
            assert await s.schema.drop_index("rs_t_alt_idx") is True
            assert "rs_t_alt_idx" not in {i.name for i in await s.schema.list_indexes()}
    finally:
        await pg_fetch(backend, db_url, f"DROP SCHEMA IF EXISTS {other} CASCADE")


async def test_stores_of_separate_processes_race(backend: str, db_url: str, schema: SchemaStore) -> None:
    """Two stores (as two application instances would have) create the same indexes at once: every call returns the
    index, one of each is built. PostgreSQL ends a second CONCURRENTLY build queued on the same table as a deadlock
    (the kit waits for the first build instead, or tries again); on MariaDB the stores' calls take turns (a named
    lock), as information_schema skips a table while DDL changes it."""
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer") as other:
        calls = [
            s.create_index(name, "rs_threads", ["tenant_id", col])
            for name, col in (("rs_t_x_idx", "resource_id"), ("rs_t_y_idx", "created_at"))
            for s in (schema, other.schema, schema, other.schema)
        ]
        made = await asyncio.gather(*calls)
    assert {i.name: tuple(i.columns) for i in made} == {
        "rs_t_x_idx": ("tenant_id", "resource_id"),
        "rs_t_y_idx": ("tenant_id", "created_at"),
    }
    listed = [i.name for i in await schema.list_indexes("rs_threads")]
    assert listed.count("rs_t_x_idx") == 1 and listed.count("rs_t_y_idx") == 1

"""Transactions shared by the application's own SQL and the kit: commit, rollback, savepoints, bound values.

Application tables carry no rs_ prefix. They are created before the transaction under test (MariaDB commits DDL
implicitly) and dropped after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import rawstore
from rawstore import Message, Store, Thread
from tests import dbs

APP = "app_projects"
LINKS = "app_thread_links"
INSERT = f"INSERT INTO {APP} (id, name, n) VALUES (:id, :name, :n)"
INJECTION = "x'); DROP TABLE app_projects; --"


class Boom(Exception):
    """An application error raised inside a transaction block."""


@pytest.fixture
async def app(store: Store) -> AsyncIterator[str]:
    """The application's own table, created in its own transaction and dropped after the test."""
    await dbs.ddl(
        store, f"CREATE TABLE {APP} (id VARCHAR(255) NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, n INTEGER)"
    )
    try:
        yield APP
    finally:
        await dbs.ddl(store, f"DROP TABLE {APP}")


@pytest.fixture
async def links(store: Store, backend: str) -> AsyncIterator[str]:
    """An application table whose rows reference kit threads (seed 001: project.id == thread.id).

    On MariaDB a foreign key's columns must share the kit's byte-wise collation (README, "Values")."""
    options = " COLLATE utf8mb4_nopad_bin" if backend == "mysql" else ""
    await dbs.ddl(
        store,
        f"CREATE TABLE {LINKS} (tenant_id VARCHAR(64) NOT NULL, thread_id VARCHAR(255) NOT NULL, "
        f"PRIMARY KEY (tenant_id, thread_id), "
        f"FOREIGN KEY (tenant_id, thread_id) REFERENCES rs_threads (tenant_id, id)){options}",
    )
    try:
        yield LINKS
    finally:
        await dbs.ddl(store, f"DROP TABLE {LINKS}")


async def _app_ids(store: Store) -> list[str]:
    async with store.transaction() as tx:
        return [r["id"] for r in await tx.fetch(f"SELECT id FROM {APP} ORDER BY id")]


async def test_raise_inside_rolls_back_app_row_and_thread(store: Store, app: str) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            assert await tx.execute(INSERT, {"id": "p1", "name": "project", "n": 1}) == 1
            await tx.memory.save_thread(Thread("p1", "user-1", title="project chat"))
            await tx.memory.save_messages([Message("m1", "p1", "user", {"text": "hi"})])
            raise Boom
    assert await _app_ids(store) == []
    assert await store.memory.get_thread("p1") is None
    assert await store.memory.get_messages(["m1"]) == []


async def test_clean_exit_commits_both(store: Store, app: str) -> None:
    async with store.transaction() as tx:
        await tx.execute(INSERT, {"id": "p1", "name": "project", "n": 1})
        await tx.memory.save_thread(Thread("p1", "user-1", title="project chat"))
        await tx.memory.save_messages([Message("m1", "p1", "user", {"text": "hi"})])
    assert await _app_ids(store) == ["p1"]
    thread = await store.memory.get_thread("p1")
    assert thread is not None and thread.title == "project chat"
    assert [m.id for m in await store.memory.get_messages(["m1"])] == ["m1"]


async def test_an_sql_error_fails_the_whole_transaction_and_the_pool_recovers(
    backend: str, db_url: str, app: str
) -> None:
    """An error from the app's SQL (without a savepoint) leaves the block; nothing commits; the connection is reused."""
    async with rawstore.connect(db_url, max_size=1, min_size=1, pgbouncer=backend == "pgbouncer") as one:
        with pytest.raises(rawstore.DatabaseError):
            async with one.transaction() as tx:
                await tx.execute(INSERT, {"id": "p1", "name": "a", "n": 1})
                await tx.memory.save_thread(Thread("p1", "r"))
                await tx.execute("SELECT no_such_column FROM app_projects")
        # The only pooled connection is back in a clean state: no open transaction, nothing committed.
        async with one.transaction() as tx:
            assert await tx.fetch(f"SELECT id FROM {APP}") == []
            await tx.execute(INSERT, {"id": "p2", "name": "b", "n": 2})
        assert await one.memory.get_thread("p1") is None
        assert await _app_ids(one) == ["p2"]


async def test_a_transaction_whose_first_statement_fails_or_that_runs_none_leaves_no_transaction_open(
    backend: str, db_url: str, app: str
) -> None:
    """On SQLite the BEGIN waits for the block's first statement and goes with it: a block that runs no statement
    and one whose first statement fails must both leave the only pooled connection outside any transaction, so the
    next block's write commits and another connection (which must not meet a held write lock) sees it."""
    kw = {"max_size": 1, "min_size": 1, "pgbouncer": backend == "pgbouncer"}
    async with rawstore.connect(db_url, **kw) as one, rawstore.connect(db_url, **kw) as other:
        async with one.transaction():
            pass
        with pytest.raises(rawstore.DatabaseError):
            async with one.transaction() as tx:
                await tx.execute("SELECT no_such_column FROM app_projects")
        with pytest.raises(Boom):
            async with one.transaction() as tx:
                raise Boom
        async with one.transaction() as tx:
            await tx.execute(INSERT, {"id": "p1", "name": "a", "n": 1})
        assert await _app_ids(other) == ["p1"]
        async with other.transaction() as tx:  # the write lock is free
            await tx.execute(INSERT, {"id": "p2", "name": "b", "n": 2})
        assert await _app_ids(one) == ["p1", "p2"]


async def test_execute_returns_rowcounts(store: Store, app: str) -> None:
    async with store.transaction() as tx:
        assert await tx.execute(INSERT, {"id": "a", "name": "x", "n": 1}) == 1
        multi = f"INSERT INTO {APP} (id, name, n) VALUES (:i1, 'y', 2), (:i2, 'y', 3), (:i3, 'y', 4)"
        assert await tx.execute(multi, {"i1": "b", "i2": "c", "i3": "d"}) == 3
        assert await tx.execute(f"UPDATE {APP} SET n = n + 10 WHERE n >= :min", {"min": 3}) == 2
        assert await tx.execute(f"UPDATE {APP} SET name = :name WHERE id = :id", {"name": "z", "id": "nope"}) == 0
        assert await tx.execute(f"DELETE FROM {APP} WHERE name = :name", {"name": "y"}) == 3
        assert await tx.execute(f"DELETE FROM {APP}") == 1


async def test_fetch_rows_by_position_and_by_name(store: Store, app: str) -> None:
    async with store.transaction() as tx:
        await tx.execute(INSERT, {"id": "a", "name": "first", "n": 1})
        await tx.execute(INSERT, {"id": "b", "name": "second", "n": None})
        rows = await tx.fetch(f"SELECT id, name, n FROM {APP} ORDER BY id")
        assert len(rows) == 2
        first = rows[0]
        assert (first[0], first[1], first[2]) == ("a", "first", 1)
        assert (first["id"], first["name"], first["n"]) == ("a", "first", 1)
        assert dict(first) == {"id": "a", "name": "first", "n": 1}
        assert list(first.keys()) == ["id", "name", "n"]
        assert tuple(first) == ("a", "first", 1)
        assert len(first) == 3
        assert first.get("missing", "dflt") == "dflt"
        with pytest.raises(KeyError):
            first["missing"]
        assert dict(rows[1]) == {"id": "b", "name": "second", "n": None}

        row = await tx.fetchrow(f"SELECT n AS total, name FROM {APP} WHERE id = :id", {"id": "a"})
        assert row is not None
        assert row["total"] == 1 and row[1] == "first"
        assert await tx.fetchrow(f"SELECT id FROM {APP} WHERE id = :id", {"id": "nope"}) is None
        assert await tx.fetch(f"SELECT id FROM {APP} WHERE id = :id", {"id": "nope"}) == []


async def test_values_are_bound_never_spliced(store: Store, app: str) -> None:
    tricky = [INJECTION, "50% off %s %% :name ? $1", "quote ' and \" and \\ backslash", "ünïcødé 🎉"]
    async with store.transaction() as tx:
        for i, value in enumerate(tricky):
            assert await tx.execute(INSERT, {"id": f"k{i}", "name": value, "n": i}) == 1
    async with store.transaction() as tx:
        stored = [r["name"] for r in await tx.fetch(f"SELECT name FROM {APP} ORDER BY id")]
        assert stored == tricky
        # A value used in WHERE matches only itself, literally.
        row = await tx.fetchrow(f"SELECT id FROM {APP} WHERE name = :name", {"name": INJECTION})
        assert row is not None and row["id"] == "k0"
        assert await tx.fetch(f"SELECT id FROM {APP} WHERE name = :name", {"name": "x' OR '1'='1"}) == []
        # A literal % in the app's SQL is not a placeholder on any driver.
        row = await tx.fetchrow(f"SELECT count(*) AS c FROM {APP} WHERE name LIKE '%DROP TABLE%'")
        assert row is not None and row["c"] == 1
    assert await _app_ids(store) == ["k0", "k1", "k2", "k3"]  # the table survived


async def test_nested_transaction_rolls_back_only_inner_writes(store: Store, app: str) -> None:
    async with store.transaction() as tx:
        await tx.execute(INSERT, {"id": "outer-1", "name": "o", "n": 1})
        await tx.memory.save_thread(Thread("outer-thread", "r"))
        with pytest.raises(Boom):
            async with tx.transaction() as inner:
                await inner.execute(INSERT, {"id": "inner", "name": "i", "n": 2})
                await inner.memory.save_thread(Thread("inner-thread", "r"))
                await inner.memory.save_messages([Message("m-in", "outer-thread", "user", "x")])
                assert await inner.fetchrow(f"SELECT id FROM {APP} WHERE id = :id", {"id": "inner"}) is not None
                raise Boom
        # Inside the outer transaction the inner writes are already gone.
        assert await tx.fetchrow(f"SELECT id FROM {APP} WHERE id = :id", {"id": "inner"}) is None
        assert await tx.memory.get_thread("inner-thread") is None
        await tx.execute(INSERT, {"id": "outer-2", "name": "o", "n": 3})
    assert await _app_ids(store) == ["outer-1", "outer-2"]
    assert await store.memory.get_thread("outer-thread") is not None
    assert await store.memory.get_thread("inner-thread") is None
    assert await store.memory.get_messages(["m-in"]) == []


async def test_nested_transaction_recovers_from_an_sql_error(store: Store, app: str) -> None:
    """A failed statement inside a savepoint is undone with it; the outer transaction goes on (PostgreSQL too)."""
    async with store.transaction() as tx:
        await tx.execute(INSERT, {"id": "a", "name": "o", "n": 1})
        with pytest.raises(rawstore.Conflict):
            async with tx.transaction() as inner:
                await inner.execute(INSERT, {"id": "b", "name": "i", "n": 2})
                await inner.execute(INSERT, {"id": "a", "name": "duplicate", "n": 3})
        await tx.execute(INSERT, {"id": "c", "name": "o", "n": 4})
        await tx.memory.save_thread(Thread("t", "r"))
    assert await _app_ids(store) == ["a", "c"]
    assert await store.memory.get_thread("t") is not None


async def test_nested_transactions_commit_with_the_outer_one(store: Store, app: str) -> None:
    async with store.transaction() as tx:
        async with tx.transaction() as inner:
            await inner.execute(INSERT, {"id": "l1", "name": "x", "n": 1})
            async with inner.transaction() as innermost:
                await innermost.execute(INSERT, {"id": "l2", "name": "x", "n": 2})
                await innermost.memory.save_thread(Thread("deep", "r"))
            with pytest.raises(Boom):
                async with inner.transaction() as doomed:
                    await doomed.execute(INSERT, {"id": "l3", "name": "x", "n": 3})
                    raise Boom
        assert await store.memory.get_thread("deep") is None  # not committed yet: invisible outside
    assert await _app_ids(store) == ["l1", "l2"]
    assert await store.memory.get_thread("deep") is not None


async def test_nested_block_rolled_back_by_the_outer_one(store: Store, app: str) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            async with tx.transaction() as inner:
                await inner.execute(INSERT, {"id": "x", "name": "x", "n": 1})
                await inner.memory.save_thread(Thread("t", "r"))
            raise Boom
    assert await _app_ids(store) == []
    assert await store.memory.get_thread("t") is None


async def test_tx_memory_sees_its_own_uncommitted_writes(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.memory.save_thread(Thread("t1", "res"))
        assert await tx.memory.get_thread("t1") is not None
        assert [t.id for t in (await tx.memory.list_threads("res")).items] == ["t1"]
        await tx.memory.save_messages([Message(f"m{i}", "t1", "user", i) for i in range(3)])
        page = await tx.memory.list_messages("t1")
        assert [m.content for m in page.items] == [0, 1, 2]
        assert len(await tx.memory.get_messages(["m0", "m2"])) == 2
        await tx.memory.update_resource("res", working_memory="notes")
        res = await tx.memory.get_resource("res")
        assert res is not None and res.working_memory == "notes"
        # Nobody else sees them before the commit.
        assert await store.memory.get_thread("t1") is None
        assert await store.memory.get_messages(["m0"]) == []
        assert await store.memory.get_resource("res") is None
        await tx.memory.delete_messages(["m1"])
        assert [m.id for m in (await tx.memory.list_messages("t1")).items] == ["m0", "m2"]
    assert [m.id for m in (await store.memory.list_messages("t1")).items] == ["m0", "m2"]


async def test_a_failed_kit_call_does_not_poison_the_transaction(store: Store, app: str) -> None:
    async with store.transaction() as tx:
        await tx.execute(INSERT, {"id": "before", "name": "b", "n": 1})
        await tx.memory.save_thread(Thread("t", "r"))
        with pytest.raises(rawstore.NotFound):
            await tx.memory.save_messages([Message("m-ok", "t", "user", "x"), Message("m-bad", "missing", "user", "y")])
        with pytest.raises(rawstore.NotFound):
            await tx.memory.update_thread("missing", title="x")
        with pytest.raises(rawstore.Conflict):
            await tx.memory.clone_thread("t", new_thread_id="t")
        with pytest.raises(rawstore.InvalidInput):
            await tx.memory.save_thread(Thread("", "r"))
        # Later statements of the same transaction still work ...
        await tx.execute(INSERT, {"id": "after", "name": "a", "n": 2})
        saved = await tx.memory.save_messages([Message("m2", "t", "user", "z")])
        assert [m.id for m in saved] == ["m2"]
    # ... and commit, while the failed batch wrote nothing.
    assert await _app_ids(store) == ["after", "before"]
    assert [m.id for m in (await store.memory.list_messages("t")).items] == ["m2"]


async def test_a_database_error_in_a_kit_call_undoes_only_that_call(store: Store, links: str) -> None:
    """delete_thread deletes the messages, then the thread; the app's foreign key refuses the second statement.

    The kit call's savepoint must restore the messages it already deleted, and the transaction must go on.
    """
    await store.memory.save_thread(Thread("linked", "r"))
    await store.memory.save_messages([Message(f"m{i}", "linked", "user", i) for i in range(3)])
    async with store.transaction() as tx:
        link = {"t": rawstore.DEFAULT_TENANT, "id": "linked"}
        await tx.execute(f"INSERT INTO {LINKS} (tenant_id, thread_id) VALUES (:t, :id)", link)
        with pytest.raises(rawstore.RawstoreError) as err:
            await tx.memory.delete_thread("linked")
        # (Conflict is right; PostgreSQL and SQLite say NotFound: see test_errors_and_connect.py)
        assert isinstance(err.value, (rawstore.Conflict, rawstore.NotFound)), repr(err.value)
        assert err.value.__cause__ is not None
        # The messages the failed call had deleted are back, inside the transaction ...
        assert len((await tx.memory.list_messages("linked")).items) == 3
        await tx.memory.save_thread(Thread("other", "r"))
    # ... and after the commit.
    assert await store.memory.get_thread("linked") is not None
    assert len((await store.memory.list_messages("linked")).items) == 3
    assert await store.memory.get_thread("other") is not None
    async with store.transaction() as tx:
        assert [r[0] for r in await tx.fetch(f"SELECT thread_id FROM {LINKS}")] == ["linked"]
        await tx.execute(f"DELETE FROM {LINKS}")


async def test_concurrent_calls_on_one_transaction_are_serialized(store: Store, app: str) -> None:
    async with store.transaction() as tx:
        await asyncio.gather(
            *(tx.execute(INSERT, {"id": f"p{i}", "name": "x", "n": i}) for i in range(5)),
            *(tx.memory.save_thread(Thread(f"t{i}", "r")) for i in range(5)),
        )
        assert len(await tx.fetch(f"SELECT id FROM {APP}")) == 5
    assert len(await _app_ids(store)) == 5
    assert len((await store.memory.list_threads("r")).items) == 5


async def test_transaction_reports_the_dialect(store: Store, backend: str) -> None:
    async with store.transaction() as tx:
        assert tx.dialect == store.dialect == ("postgres" if backend == "pgbouncer" else backend)

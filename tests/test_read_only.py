"""Read-only transactions with a statement timeout (`store.transaction(read_only=True, timeout=...)`) and SQLite's
`?mode=ro` URLs: reads work, every write is ReadOnly with nothing written, a long statement is StatementTimeout, and
the pooled connection comes back without the limits."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import rawstore
from rawstore import Message, Store, Thread
from rawstore.errors import ConfigError, InvalidInput, ReadOnly, StatementTimeout
from tests import dbs


def count(side: int, joins: int = 2) -> str:
    """A portable CPU-bound query (no sleep a timeout might not interrupt) counting side**joins rows; MariaDB caps
    recursion at 1,000 steps, so the size comes from a cross join."""
    tables = ", ".join(f"d d{i}" for i in range(joins))
    cte = f"WITH RECURSIVE d(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < {side})"
    return f"{cte} SELECT COUNT(*) FROM {tables}"


SLOW = count(1000, 3)  # a billion rows: far past any test's timeout
APP = "app_read_only"


def _thread(tid: str = "t1") -> Thread:
    return Thread(id=tid, resource_id="r1", title="hello")


async def test_reads_work_and_kit_writes_are_refused(store: Store) -> None:
    await store.memory.save_thread(_thread())
    async with store.transaction(read_only=True, timeout=5) as tx:
        got = await tx.memory.get_thread("t1")
        assert got is not None and got.title == "hello"
        page = await tx.memory.list_threads(resource_id="r1")
        assert [t.id for t in page.items] == ["t1"]
        with pytest.raises(ReadOnly):
            await tx.memory.save_thread(_thread("t2"))
        with pytest.raises(ReadOnly):
            await tx.memory.save_messages(
                [Message(id="m1", thread_id="t1", role="user", content="x", resource_id="r1")]
            )
        # The refused writes were savepoints: the transaction still reads.
        assert await tx.memory.get_thread("t1") is not None
    assert await store.memory.get_thread("t2") is None
    assert (await store.memory.list_messages("t1")).items == []


async def test_application_writes_are_refused(store: Store) -> None:
    await dbs.ddl(store, f"CREATE TABLE {APP} (id VARCHAR(64) NOT NULL PRIMARY KEY)")
    try:
        with pytest.raises(ReadOnly):
            async with store.transaction(read_only=True) as tx:
                await tx.execute(f"INSERT INTO {APP} (id) VALUES (:id)", {"id": "a"})
        async with store.transaction() as tx:
            assert await tx.fetch(f"SELECT id FROM {APP}") == []
            # The pooled connection is writable again after the read-only block.
            await tx.execute(f"INSERT INTO {APP} (id) VALUES (:id)", {"id": "b"})
        async with store.transaction() as tx:
            assert [r["id"] for r in await tx.fetch(f"SELECT id FROM {APP}")] == ["b"]
    finally:
        await dbs.ddl(store, f"DROP TABLE {APP}")


async def test_long_statement_times_out_and_the_limit_does_not_outlive_it(backend: str, db_url: str) -> None:
    # One connection, so the statement after the timed-out block runs on the very link that had the limit.
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", max_size=1) as store:
        with pytest.raises(StatementTimeout):
            async with store.transaction(read_only=True, timeout=0.2) as tx:
                await tx.fetch(SLOW)
        async with store.transaction() as tx:
            # A short count runs under no limit at all (a leftover 1 ms limit would cancel it).
            rows = await tx.fetch(count(150))
            assert rows[0][0] == 22500
        async with store.transaction(read_only=True, timeout=30) as tx:
            assert (await tx.fetch(count(30)))[0][0] == 900
        await store.memory.save_thread(_thread())  # writable after a timed-out read-only block
        assert await store.memory.get_thread("t1") is not None


async def test_a_session_limit_is_reset_after_commit(backend: str, db_url: str) -> None:
    """The leftover the drivers must clear: MariaDB's max_statement_time is a session variable."""
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", max_size=1) as store:
        async with store.transaction(read_only=True, timeout=0.001) as tx:
            await tx.fetch("SELECT 1")
        async with store.transaction() as tx:
            assert (await tx.fetch(count(200)))[0][0] == 40000


@pytest.mark.parametrize(
    ("read_only", "limit"),
    [
        (False, 1.0),
        (True, 0),
        (True, -1),
        (True, math.nan),
        (True, math.inf),
        (True, True),
        (True, "1"),
        ("yes", None),
    ],
)
async def test_bad_options_are_invalid_input(store: Store, read_only: object, limit: object) -> None:
    with pytest.raises(InvalidInput):
        async with store.transaction(read_only=read_only, timeout=limit):  # type: ignore[arg-type]
            pass


@pytest.mark.backends("sqlite")
async def test_sqlite_mode_ro_url_refuses_every_write(backend: str, db_url: str) -> None:
    async with rawstore.connect(db_url) as rw:
        await rw.memory.save_thread(_thread())
    async with rawstore.connect(db_url + "?mode=ro") as ro:
        assert (await ro.memory.get_thread("t1")) is not None
        with pytest.raises(ReadOnly):
            await ro.memory.save_thread(_thread("t2"))
        with pytest.raises(ReadOnly):
            async with ro.transaction() as tx:
                await tx.execute("CREATE TABLE app_nope (id INTEGER)")
        async with ro.transaction(read_only=True, timeout=1) as tx:
            assert await tx.memory.get_thread("t1") is not None
    async with rawstore.connect(db_url) as rw:
        assert await rw.memory.get_thread("t2") is None


@pytest.mark.backends("sqlite")
async def test_sqlite_url_options_are_checked(backend: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mode=ro"):
        rawstore.connect(f"sqlite:///{tmp_path}/x.db?cache=shared")
    with pytest.raises(ConfigError):
        rawstore.connect("sqlite:///?mode=ro")

"""Retryable database errors come out typed, by code: Deadlock, SerializationFailure and LockTimeout, all
DatabaseErrors, on every database that can produce them; the store keeps working after each."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import pytest

import rawstore
from rawstore import Thread
from tests import dbs

TABLE = "app_retry_rows"


@pytest.fixture
async def rows(backend: str, db_url: str) -> AsyncIterator[rawstore.Store]:
    """A store over an application table with rows 1 and 2 (n = 0), dropped afterwards."""
    store = await rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", max_size=4)
    await dbs.ddl(store, f"CREATE TABLE {TABLE} (id INTEGER NOT NULL PRIMARY KEY, n INTEGER NOT NULL)")
    try:
        async with store.transaction() as tx:
            await tx.execute(f"INSERT INTO {TABLE} (id, n) VALUES (1, 0), (2, 0)")
        yield store
    finally:
        await dbs.ddl(store, f"DROP TABLE {TABLE}")
        await store.close()


def test_retryable_errors_are_database_errors() -> None:
    for cls in (rawstore.Deadlock, rawstore.SerializationFailure, rawstore.LockTimeout):
        assert issubclass(cls, rawstore.DatabaseError)


async def _still_works(store: rawstore.Store) -> None:
    await store.memory.save_thread(Thread("after", resource_id="r"))
    assert await store.memory.get_thread("after") is not None


@pytest.mark.requires("row_locks")
async def test_deadlock(backend: str, rows: rawstore.Store) -> None:
    """Two transactions lock rows 1 and 2 in opposite orders: the database picks one victim."""
    both_locked = asyncio.Event()
    locked: list[int] = []

    async def worker(first: int, second: int) -> None:
        async with rows.transaction() as tx:
            await tx.execute(f"UPDATE {TABLE} SET n = n + 1 WHERE id = :id", {"id": first})
            locked.append(first)
            if len(locked) == 2:
                both_locked.set()
            await asyncio.wait_for(both_locked.wait(), 10)
            await tx.execute(f"UPDATE {TABLE} SET n = n + 1 WHERE id = :id", {"id": second})

    results = await asyncio.gather(worker(1, 2), worker(2, 1), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], rawstore.Deadlock), results
    assert isinstance(errors[0].__cause__, Exception)
    async with rows.transaction() as tx:
        assert [r["n"] for r in await tx.fetch(f"SELECT n FROM {TABLE} ORDER BY id")] == [1, 1]
    await _still_works(rows)


@pytest.mark.backends("postgres", "pgbouncer")
async def test_serialization_failure_postgres(backend: str, rows: rawstore.Store) -> None:
    """REPEATABLE READ: a row changed and committed since this transaction's snapshot cannot be updated."""
    with pytest.raises(rawstore.SerializationFailure):
        async with rows.transaction() as tx:
            await tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            await tx.fetch(f"SELECT n FROM {TABLE} WHERE id = 1")  # takes the snapshot
            async with rows.transaction() as other:
                await other.execute(f"UPDATE {TABLE} SET n = 5 WHERE id = 1")
            await tx.execute(f"UPDATE {TABLE} SET n = 7 WHERE id = 1")
    async with rows.transaction() as tx:
        assert [r["n"] for r in await tx.fetch(f"SELECT n FROM {TABLE} WHERE id = 1")] == [5]
    await _still_works(rows)


@pytest.mark.backends("sqlite")
async def test_serialization_failure_sqlite_busy(backend: str, db_url: str) -> None:
    """Another connection holds the write lock for longer than the busy timeout."""
    store = await rawstore.connect(db_url, max_size=1)
    try:
        async with store.transaction() as tx:
            await tx.execute("PRAGMA busy_timeout = 200")  # this pooled connection waits 0.2 s, not 30
        holder = sqlite3.connect(db_url[len("sqlite:///") :], isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(rawstore.SerializationFailure):
                await store.memory.save_thread(Thread("t1", resource_id="r"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await _still_works(store)
    finally:
        await store.close()


@pytest.mark.requires("row_locks")
async def test_lock_timeout(backend: str, rows: rawstore.Store) -> None:
    """A row lock that another transaction holds, asked for with NOWAIT."""
    held = asyncio.Event()
    done = asyncio.Event()

    async def holder() -> None:
        async with rows.transaction() as tx:
            await tx.fetch(f"SELECT n FROM {TABLE} WHERE id = 1 FOR UPDATE")
            held.set()
            await asyncio.wait_for(done.wait(), 10)

    task = asyncio.ensure_future(holder())
    await asyncio.wait_for(held.wait(), 10)
    try:
        with pytest.raises(rawstore.LockTimeout):
            async with rows.transaction() as tx:
                await tx.fetch(f"SELECT n FROM {TABLE} WHERE id = 1 FOR UPDATE NOWAIT")
    finally:
        done.set()
        await task
    await _still_works(rows)


@pytest.mark.backends("postgres", "pgbouncer")
async def test_lock_timeout_setting(backend: str, rows: rawstore.Store) -> None:
    """PostgreSQL's lock_timeout (SET LOCAL inside the transaction) gives the same error."""
    held = asyncio.Event()
    done = asyncio.Event()

    async def holder() -> None:
        async with rows.transaction() as tx:
            await tx.execute(f"UPDATE {TABLE} SET n = 1 WHERE id = 2")
            held.set()
            await asyncio.wait_for(done.wait(), 10)

    task = asyncio.ensure_future(holder())
    await asyncio.wait_for(held.wait(), 10)
    try:
        with pytest.raises(rawstore.LockTimeout):
            async with rows.transaction() as tx:
                await tx.execute("SET LOCAL lock_timeout = '100ms'")
                await tx.execute(f"UPDATE {TABLE} SET n = 9 WHERE id = 2")
    finally:
        done.set()
        await task
    await _still_works(rows)

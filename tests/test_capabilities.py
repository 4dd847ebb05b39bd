"""Each driver's declared capabilities are true of its database: what it claims works, what it denies is absent."""

from __future__ import annotations

import asyncio

import pytest

import rawstore
from tests import dbs

TABLE = "app_caps"


async def test_declared_capabilities_hold(backend: str, store: rawstore.Store) -> None:
    caps = store.capabilities
    assert isinstance(caps, rawstore.Capabilities)
    await dbs.ddl(store, f"CREATE TABLE {TABLE} (id INTEGER NOT NULL PRIMARY KEY, n INTEGER NOT NULL)")
    try:
        async with store.transaction() as tx:
            await tx.execute(f"INSERT INTO {TABLE} (id, n) VALUES (1, 0)")
        returning = f"UPDATE {TABLE} SET n = n + 1 WHERE id = 1 RETURNING n"
        if caps.update_returning:
            async with store.transaction() as tx:
                assert [r["n"] for r in await tx.fetch(returning)] == [1]
        else:
            with pytest.raises(rawstore.DatabaseError):
                async with store.transaction() as tx:
                    await tx.fetch(returning)
        skip = f"SELECT id FROM {TABLE} WHERE id = 1 FOR UPDATE SKIP LOCKED"
        if caps.skip_locked:
            async with store.transaction() as tx:
                assert [r["id"] for r in await tx.fetch(skip)] == [1]
        else:
            with pytest.raises(rawstore.DatabaseError):
                async with store.transaction() as tx:
                    await tx.fetch(skip)
    finally:
        await dbs.ddl(store, f"DROP TABLE {TABLE}")
    assert caps.listen_notify == (backend == "postgres")
    # Full-text search everywhere (tsvector, FTS5, InnoDB FULLTEXT); a vector type only where pgvector is installed
    # (tests/test_memories_search.py exercises both).
    assert caps.full_text
    assert caps.vector == (backend == "pgvector")


async def test_row_locks_let_two_writers_work_on_different_rows(store: rawstore.Store) -> None:
    """With row locks a second transaction writes another row while the first holds its own; without them (one
    writer at a time) the second cannot start writing until the first ends."""
    await dbs.ddl(store, f"CREATE TABLE {TABLE} (id INTEGER NOT NULL PRIMARY KEY, n INTEGER NOT NULL)")
    try:
        async with store.transaction() as tx:
            await tx.execute(f"INSERT INTO {TABLE} (id, n) VALUES (1, 0), (2, 0)")

        async def second_writer() -> None:
            async with store.transaction() as tx2:
                await tx2.execute(f"UPDATE {TABLE} SET n = 2 WHERE id = 2")

        async with store.transaction() as tx:
            await tx.execute(f"UPDATE {TABLE} SET n = 1 WHERE id = 1")
            if store.capabilities.row_locks:
                await asyncio.wait_for(second_writer(), 10)
            else:
                with pytest.raises((TimeoutError, rawstore.SerializationFailure)):
                    await asyncio.wait_for(second_writer(), 0.5)
        async with store.transaction() as tx:
            rows = {r["id"]: r["n"] for r in await tx.fetch(f"SELECT id, n FROM {TABLE}")}
        assert rows == ({1: 1, 2: 2} if store.capabilities.row_locks else {1: 1, 2: 0})
    finally:
        await dbs.ddl(store, f"DROP TABLE {TABLE}")

"""The bulk paths under `store.memories.add_many` and the pgvector search: a batch's `[copy]` form (PostgreSQL COPY,
left out under row-level security), SQLite's one-statement `name[]` batches (several statements past the parameter
limit, all or none), work done alongside a batch (`Connection.batch(alongside=...)`: failures and cancellation leave
nothing written and the connection usable), and `transaction(first=...)`."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

import pytest

import rawstore
from rawstore import ConfigError, Conflict, Store
from rawstore.memories.queries import MemoryItemQueries
from rawstore.memories.records import Memory, User
from rawstore.queryset import Batch, Exec, QuerySet, bind
from rawstore.sqlfiles import CopyTarget, load_queries, multi_row, parse_sql_file
from rawstore.store import codecs

DIMS = 200
# Above add_many's threshold for building the returned memories alongside the write (20,000 floats).
BIG = 120


def _memories(prefix: str, user: str, n: int = BIG) -> list[Memory]:
    return [
        Memory(f"{prefix}{i:04d}", user, f"memory {i} of {user}", embedding=[1.0 + i % 7, *([0.5] * (DIMS - 1))])
        for i in range(n)
    ]


async def _count(store: Store, user: str) -> int:
    return len((await store.memories.list(user, include_deleted=True, limit=10_000)).items)


# -- parsing (no database) -----------------------------------------------------------------------------------------

BATCH = "-- name: put[]\nINSERT INTO {schema}rs_t (tenant_id, a) SELECT * FROM unnest(:tenant_id::text[], :a::int[])\n"


def test_a_copy_block_becomes_its_batchs_copy_form() -> None:
    text = BATCH + "\n-- name: put[copy]\n-- The same, by COPY.\nCOPY {schema}rs_t (tenant_id, a) FROM STDIN\n"
    q = parse_sql_file(text, "dom", "postgres", "f", '"app".')["dom.put"]
    assert q.array_batch and q.copy == CopyTarget("app", "rs_t", ("tenant_id", "a"))
    bare = parse_sql_file(text, "dom", "postgres", "f", "")
    assert set(bare) == {"dom.put"} and bare["dom.put"].copy == CopyTarget(None, "rs_t", ("tenant_id", "a"))


COPY_BLOCK = "-- name: put[copy]\nCOPY {schema}rs_t (tenant_id, a) FROM STDIN\n"
SQLITE_ONE = "-- name: put\nINSERT INTO rs_t (tenant_id) VALUES (:tenant_id)\n"


@pytest.mark.parametrize(
    ("text", "dialect", "match"),
    [
        (BATCH + COPY_BLOCK.replace("tenant_id, a", "a, tenant_id"), "postgres", "same order"),
        (BATCH + COPY_BLOCK.replace("tenant_id, a", "tenant_id"), "postgres", "same names"),
        (COPY_BLOCK, "postgres", "does not define"),
        (BATCH + COPY_BLOCK.replace("FROM STDIN", "TO STDOUT"), "postgres", "must be `COPY"),
        (BATCH + COPY_BLOCK + COPY_BLOCK, "postgres", "twice"),
        (SQLITE_ONE + COPY_BLOCK.replace(", a", ""), "sqlite", "PostgreSQL's"),
        ("-- name: put[]\nINSERT INTO rs_t (tenant_id) VALUES (:tenant_id)\n", "mysql", "already multi-row"),
        ("-- name: put[]\nINSERT INTO rs_t (tenant_id, a) SELECT :tenant_id, :a\n", "sqlite", "one VALUES"),
        (
            "-- name: put[]\nINSERT INTO rs_t (a) VALUES (:a) ON CONFLICT (a) DO UPDATE SET b = :b\n",
            "sqlite",
            "one VALUES",
        ),
    ],
)
def test_bad_batch_forms_are_refused_when_files_load(text: str, dialect: Any, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_sql_file(text, "dom", dialect, "f", "")


def test_stores_without_copy_keep_no_copy_form() -> None:
    assert load_queries("postgres", '"public".', copy=True)["memories.insert_memories"].copy is not None
    assert load_queries("postgres", '"public".')["memories.insert_memories"].copy is None
    assert all(q.copy is None for d in ("sqlite", "mysql") for q in load_queries(d, "", copy=True).values())


def test_a_copy_form_belongs_to_a_batch_declaration() -> None:
    class Wrong(QuerySet, domain="dom"):
        put = Exec()

    class Right(QuerySet, domain="dom"):
        put = Batch(fields=("a", "tenant_id"))

    from rawstore.drivers.sqlite import LiteDriver

    text = "-- name: put\nINSERT INTO {schema}rs_t (tenant_id, a) VALUES (:tenant_id, :a)\n\n" + COPY_BLOCK
    parsed = parse_sql_file(text, "dom", "postgres", "f", "")
    with pytest.raises(ConfigError, match=r"\[copy\] form"):
        bind([Wrong], parsed, codecs(LiteDriver("x.db", max_size=1)))
    bound = bind([Right], parsed, codecs(LiteDriver("x.db", max_size=1)))[Right.put.slot]
    assert bound is not None and bound.arrange([(1, "t")]) == [("t", 1)]  # the COPY's column order


@pytest.mark.parametrize(
    ("sql", "parts"),
    [
        ("INSERT INTO t (a, b) VALUES (?, json(?))", ("INSERT INTO t (a, b) VALUES ", "(?, json(?))", "")),
        (
            "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING",
            ("INSERT INTO t (a) VALUES ", "(?)", " ON CONFLICT (a) DO NOTHING"),
        ),
        ("INSERT INTO t (a, b) VALUES ('x)', ?)", ("INSERT INTO t (a, b) VALUES ", "('x)', ?)", "")),
        (
            "INSERT INTO t (a) VALUES (coalesce(?, 'VALUES ('))",
            ("INSERT INTO t (a) VALUES ", "(coalesce(?, 'VALUES ('))", ""),
        ),
        ("INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET b = ?", None),
        ("INSERT INTO t (a) SELECT ?", None),
        ("UPDATE t SET a = ?", None),
    ],
)
def test_multi_row_splits_an_insert_at_its_values_row(sql: str, parts: tuple[str, str, str] | None) -> None:
    assert multi_row(sql) == parts


# -- every backend ------------------------------------------------------------------------------------------------


async def test_a_large_batch_round_trips(store: Store) -> None:
    """add_many past the alongside threshold: the returned memories are the stored ones, in the given order."""
    await store.memories.save_user(User("u1", "u1@example.com"))
    batch = _memories("m", "u1")
    stored = await store.memories.add_many(batch)
    assert [m.id for m in stored] == [m.id for m in batch]
    assert all(isinstance(m.embedding, tuple) and len(m.embedding) == DIMS for m in stored)
    assert stored[5].embedding == (6.0, *([0.5] * (DIMS - 1)))
    got = {m.id: m for m in (await store.memories.list("u1", limit=1000)).items}
    assert [got[m.id] for m in stored] == stored


async def test_a_failing_large_batch_writes_nothing(store: Store) -> None:
    await store.memories.save_user(User("u1", "u1@example.com"))
    await store.memories.add(Memory("taken", "u1", "already here"))
    with pytest.raises(Conflict):
        await store.memories.add_many([*_memories("m", "u1"), Memory("taken", "u1", "clash")])
    assert await _count(store, "u1") == 1
    async with store.transaction() as tx:  # inside an application transaction: its savepoint rolls back alone
        await tx.memories.add(Memory("kept", "u1", "kept"))
        with pytest.raises(Conflict):
            await tx.memories.add_many([*_memories("n", "u1"), Memory("taken", "u1", "clash")])
    assert await _count(store, "u1") == 2
    assert len(await store.memories.add_many(_memories("m", "u1"))) == BIG


async def test_a_cancelled_large_batch_writes_nothing(store: Store) -> None:
    """Cancelled at any point (while it validates, writes or builds what it returns), a batch is written entirely
    or not at all, and the pool lends no connection with a statement still running on it."""
    for k, delay in enumerate((0.0, 0.001, 0.003, 0.006, 0.01, 0.02, 0.04, 0.08)):
        user = f"u{k}"
        await store.memories.save_user(User(user, f"{user}@example.com"))
        task = asyncio.ensure_future(store.memories.add_many(_memories(f"{user}-", user)))
        await asyncio.sleep(delay)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert await _count(store, user) in (0, BIG)
    await store.memories.save_user(User("after", "after@example.com"))
    assert len(await store.memories.add_many(_memories("ok", "after"))) == BIG


@pytest.mark.backends("postgres", "pgbouncer", "pgvector")
async def test_postgres_batches_go_by_copy(store: Store) -> None:
    assert store._ctx[MemoryItemQueries.insert_memories].query.copy == CopyTarget(
        "public", "rs_memories", tuple(MemoryItemQueries.insert_memories.fields or ())
    )


# -- row-level security: PostgreSQL refuses COPY FROM, the batch goes by its INSERT -----------------------------------


@pytest.mark.requires("row_level_security")
async def test_batches_under_row_level_security_go_by_insert(app_url: str, backend: str) -> None:
    s = await rawstore.connect(app_url, pgbouncer=backend == "pgbouncer", max_size=4, row_level_security=True)
    try:
        assert s._ctx[MemoryItemQueries.insert_memories].query.copy is None
        for t in ("a", "b"):
            with rawstore.tenant(t):
                await s.memories.save_user(User("u1", "u1@example.com"))
                # No embeddings: the role may not create pgvector's per-dimension tables.
                batch = [Memory(f"{t}{i}", "u1", f"text {i}", metadata={"i": i}) for i in range(50)]
                assert [m.id for m in await s.memories.add_many(batch)] == [m.id for m in batch]
        with rawstore.tenant("a"):
            assert {m.id[0] for m in (await s.memories.list("u1", limit=1000)).items} == {"a"}
    finally:
        await s.close()


# -- SQLite: one statement per batch, several past the parameter limit -------------------------------------------


@pytest.mark.backends("sqlite")
async def test_sqlite_batches_past_the_parameter_limit(store: Store) -> None:
    await store.memories.save_user(User("u1", "u1@example.com"))
    # The store's one pooled connection takes at most 50 parameters per statement: 4 memories of 12 values.
    async with store._driver.acquire() as conn:
        await conn._run(lambda db: db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 50))  # type: ignore[attr-defined]
    batch = [Memory(f"m{i}", "u1", f"text {i}") for i in range(22)]
    assert len(await store.memories.add_many(batch)) == 22 and await _count(store, "u1") == 22
    with pytest.raises(Conflict):  # the clash is in the last statement: the first five are rolled back with it
        await store.memories.add_many([Memory(f"n{i}", "u1", "x") for i in range(21)] + [Memory("m0", "u1", "x")])
    assert await _count(store, "u1") == 22
    # Outside a transaction, a batch of several statements opens one of its own.
    ts = "2025-01-01 00:00:00.000000"
    rows = [("default", f"x{i}", "u1", None, "t", 0.0, None, None, None, ts, ts, None) for i in range(9)]
    async with store._driver.acquire() as conn:
        with pytest.raises(Conflict):
            await conn.batch(store._ctx[MemoryItemQueries.insert_memories], [*rows, rows[0]])
        assert await conn.batch(store._ctx[MemoryItemQueries.insert_memories], rows) == 9
    assert await _count(store, "u1") == 31


# -- transaction(first=...) -----------------------------------------------------------------------------------------

FIRST = {"postgres": "SET LOCAL application_name = 'rs_first'", "mysql": "SET @rs_first = 1", "sqlite": "SELECT 1"}


async def test_a_transaction_starts_with_its_first_statements(store: Store) -> None:
    first = FIRST[store.dialect]
    async with store._driver.acquire() as conn:
        async with conn.transaction(first=first):
            if store.dialect == "postgres":
                assert (await conn.fetchrow("SELECT current_setting('application_name')", ()))[0] == "rs_first"  # type: ignore[index]
            async with conn.transaction(first=first):  # a savepoint
                pass
        if store.dialect == "postgres":  # local to the transaction
            assert (await conn.fetchrow("SELECT current_setting('application_name')", ()))[0] != "rs_first"  # type: ignore[index]
        with pytest.raises(rawstore.RawstoreError):
            async with conn.transaction(first="SELECT no_such_column FROM rs_memories"):
                pass
        async with conn.transaction():  # usable after the failed start
            await conn.fetchrow("SELECT 1", ())

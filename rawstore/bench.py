"""`rawstore bench [URL]`: the memory domain's hot paths, timed next to the raw driver doing the same work (then
the spans domain's, from `rawstore.bench_spans`).

Both sides run in one process on one database, interleaved (batch by batch, repetition by repetition), so a busy
machine or a growing table weighs on both alike. The raw side is what a careful hand-written data layer would do
with the same driver: the same tables and indexes, the same upsert and keyset SQL, JSON decoded with msgspec and
timestamps turned into aware UTC datetimes, but no validation, no pool and no query objects. Inserts use the
fastest plain path of each driver: asyncpg executemany, aiomysql executemany (rewritten into one multi-row
INSERT), and the stdlib sqlite3 executemany (synchronous, no worker thread).

The work lives in `Bench`, which `benchmarks/` (pytest-benchmark) drives too, so both measure the same thing.
Every run writes under its own tenant and deletes its rows at the end, so the bench can be pointed at a database
that holds other data.
"""

from __future__ import annotations

import abc
import asyncio
import gc
import math
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

import msgspec

from .bench_progress import PlainProgress, Progress, make_progress
from .bench_report import (
    KIND,
    SCHEMA,
    SERVER_VERSION_SQL,
    Check,
    Database,
    Document,
    Figure,
    ReportFileError,
    check_writable,
    encode,
    environment,
    load,
    load_average,
    rate_figure,
    rawstore_info,
    relative_figure,
    time_figure,
    utc_now,
    write_atomically,
)
from .errors import RawstoreError
from .memory import Include, Message, Thread
from .sqlfiles import Dialect
from .store import Store, connect
from .tenancy import tenant
from .timeutil import MIN_TS
from .url import parse_url, redact

Side = Literal["rawstore", "raw"]
SIDES: tuple[Side, Side] = ("rawstore", "raw")

PAGE_SIZE = 100
INCLUDE_AROUND = 5
# Page numbers are given as fractions of the thread so that cut-down runs still look at its start, middle and end.
PAGE_FRACTIONS = (0.0, 0.5, 0.9)
BASE_TS = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
KIT_THREAD = "bench-thread-rawstore"
RAW_THREAD = "bench-thread-raw"
RESOURCE = "bench-user-1"
SPAN_TRACE_SIZE = 1000  # spans in the trace that the spans suite's get_trace reads (at most --spans)

# (id, thread_id, role, content, resource_id, type, created_at): what the raw side hands back per message.
RawMessage = tuple[str, str, str, Any, "str | None", str, datetime]
RawThread = tuple[str, str, "str | None", Any, datetime, datetime]

_decode = msgspec.json.decode
_encode = msgspec.json.encode


# -- the data -----------------------------------------------------------------------------------------------------


def message_content(i: int) -> dict[str, Any]:
    """A Mastra-v2-shaped message body of about 300 bytes of JSON, with quotes, backslashes and non-ASCII."""
    text = (
        f'Turn {i}: the user asked "can you open C:\\logs\\run-{i % 97}.txt?" and the agent replied '
        f'that line {i % 1013} says "status: ok" — naïve check ✓'
    )
    return {
        "format": 2,
        "parts": [{"type": "text", "text": text}],
        "metadata": {
            "model": "gpt-4o-mini",
            "tokens": i % 4096,
            "latency_ms": (i * 37) % 900,
            "run": f"run-{i // 50:06d}",
        },
        "toolInvocations": [],
    }


def thread_metadata() -> dict[str, Any]:
    return {
        "project": {"id": "proj-7f3a", "name": 'Quarterly "planning" notes'},
        "tags": ["support", "priority:high", "lang:fr"],
        "settings": {"temperature": 0.2, "path": "C:\\agents\\default"},
    }


def make_messages(thread_id: str, start: int, count: int) -> list[Message]:
    """Messages `start`..`start+count-1` of a thread: random uuid4 ids, timestamps µs-spaced in tied pairs.

    The same arguments always give the same messages; each thread gets its own ids.
    """
    rng = random.Random(f"{thread_id}/{start}")
    out: list[Message] = []
    for i in range(start, start + count):
        mid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        # Two messages share each timestamp, so only the id orders them: the keyset must break ties correctly.
        ts = BASE_TS + timedelta(microseconds=(i // 2) * 250)
        role = "user" if i % 2 == 0 else "assistant"
        out.append(Message(mid, thread_id, role, message_content(i), RESOURCE, "v2", ts))
    return out


# -- the raw drivers ----------------------------------------------------------------------------------------------


# The session settings rawstore's own pools open, so the raw side of every benchmark pays the same costs.
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=ON")


async def raw_connect(url: str) -> Any:
    """One raw driver connection to `url`: asyncpg (UTC), aiomysql (autocommit, utf8mb4, READ COMMITTED) or
    aiosqlite (autocommit, the pragmas above)."""
    target = parse_url(url)
    if target.dialect == "postgres":
        import asyncpg

        return await asyncpg.connect(target.url, server_settings={"timezone": "UTC"})
    if target.dialect == "mysql":
        import aiomysql

        return await aiomysql.connect(
            autocommit=True,
            charset="utf8mb4",
            init_command="SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            **target.mysql,
        )
    import aiosqlite

    conn = await aiosqlite.connect(target.sqlite_path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        await conn.execute(f"PRAGMA {pragma}")
    return conn


def raw_sqlite(path: str) -> sqlite3.Connection:
    """A stdlib sqlite3 connection (autocommit, usable from any thread) with rawstore's pragmas."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in SQLITE_PRAGMAS:
        db.execute(f"PRAGMA {pragma}")
    return db


class RawDriver(abc.ABC):
    """One dedicated connection of the plain driver, doing what rawstore does for each hot path."""

    dialect: Dialect

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def save_batch(self, tenant_id: str, thread_id: str, messages: Sequence[Message]) -> None:
        """In one transaction: check the thread exists, upsert the batch, bump the thread's updated_at."""

    @abc.abstractmethod
    async def page(
        self, tenant_id: str, thread_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[RawMessage]:
        """Up to `limit` messages of the thread after (created_at, id), by the hybrid keyset predicate."""

    @abc.abstractmethod
    async def include(self, tenant_id: str, message_id: str, before: int, after: int) -> list[RawMessage]:
        """The message and its neighbours in its thread, ordered by (created_at, id)."""

    @abc.abstractmethod
    async def get_thread(self, tenant_id: str, thread_id: str) -> RawThread | None: ...

    @abc.abstractmethod
    async def analyze(self) -> None:
        """Refresh planner statistics (and the visibility map) after the bulk load."""

    @abc.abstractmethod
    async def purge(self, tenant_id: str) -> None:
        """Delete every row of the tenant."""


_MSG_COLS = "id, thread_id, role, content, resource_id, type, created_at"


class _PgRaw(RawDriver):
    dialect = "postgres"
    UPSERT = (
        "INSERT INTO rs_messages (tenant_id, id, thread_id, role, type, content, resource_id, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8) "
        "ON CONFLICT (tenant_id, id) DO UPDATE SET thread_id = EXCLUDED.thread_id, role = EXCLUDED.role, "
        "type = EXCLUDED.type, content = EXCLUDED.content, resource_id = EXCLUDED.resource_id"
    )
    COLS = "id, thread_id, role, content::text, resource_id, type, created_at"
    PAGE = (
        f"SELECT {COLS} FROM rs_messages WHERE tenant_id = $1 AND thread_id = $2 "
        "AND created_at >= $3 AND (created_at > $3 OR id > $4) ORDER BY created_at, id LIMIT $5"
    )
    ONE = f"SELECT {COLS} FROM rs_messages WHERE tenant_id = $1 AND id = $2"
    WINDOW = (
        f"SELECT * FROM (SELECT {COLS} FROM rs_messages WHERE tenant_id = $1 AND thread_id = $2 "
        "AND created_at <= $3 AND (created_at < $3 OR id < $4) ORDER BY created_at DESC, id DESC LIMIT $5) AS o "
        f"UNION ALL SELECT * FROM (SELECT {COLS} FROM rs_messages WHERE tenant_id = $1 AND thread_id = $2 "
        "AND created_at >= $3 AND (created_at > $3 OR id > $4) ORDER BY created_at, id LIMIT $6) AS n"
    )
    THREAD = (
        "SELECT id, resource_id, title, metadata::text, created_at, updated_at FROM rs_threads "
        "WHERE tenant_id = $1 AND id = $2"
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    async def open(self) -> None:
        self.conn = await raw_connect(self.url)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None

    async def save_batch(self, tenant_id: str, thread_id: str, messages: Sequence[Message]) -> None:
        rows = _rows(tenant_id, messages, _same)
        c = self.conn
        async with c.transaction():
            if (
                await c.fetchval("SELECT 1 FROM rs_threads WHERE tenant_id = $1 AND id = $2", tenant_id, thread_id)
                is None
            ):
                raise LookupError(thread_id)
            await c.executemany(self.UPSERT, rows)
            await c.execute(
                "UPDATE rs_threads SET updated_at = $3 WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                thread_id,
                datetime.now(UTC),
            )

    @staticmethod
    def _msgs(rows: Sequence[Any]) -> list[RawMessage]:
        return [(r[0], r[1], r[2], _decode(r[3]), r[4], r[5], r[6]) for r in rows]

    async def page(
        self, tenant_id: str, thread_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[RawMessage]:
        ts, mid = after or (MIN_TS, "")
        return self._msgs(await self.conn.fetch(self.PAGE, tenant_id, thread_id, ts, mid, limit))

    async def include(self, tenant_id: str, message_id: str, before: int, after: int) -> list[RawMessage]:
        t = await self.conn.fetchrow(self.ONE, tenant_id, message_id)
        if t is None:
            return []
        rows = await self.conn.fetch(self.WINDOW, tenant_id, t[1], t[6], t[0], before, after)
        out = self._msgs([t, *rows])
        out.sort(key=_msg_key)
        return out

    async def get_thread(self, tenant_id: str, thread_id: str) -> RawThread | None:
        r = await self.conn.fetchrow(self.THREAD, tenant_id, thread_id)
        if r is None:
            return None
        meta = r[3]
        return (r[0], r[1], r[2], None if meta is None else _decode(meta), r[4], r[5])

    async def analyze(self) -> None:
        await self.conn.execute("VACUUM ANALYZE rs_threads, rs_messages")

    async def purge(self, tenant_id: str) -> None:
        await self.conn.execute("DELETE FROM rs_messages WHERE tenant_id = $1", tenant_id)
        await self.conn.execute("DELETE FROM rs_threads WHERE tenant_id = $1", tenant_id)


class _MyRaw(RawDriver):
    dialect = "mysql"
    UPSERT = (
        "INSERT INTO rs_messages (tenant_id, id, thread_id, role, type, content, resource_id, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        "ON DUPLICATE KEY UPDATE thread_id = VALUES(thread_id), role = VALUES(role), type = VALUES(type), "
        "content = VALUES(content), resource_id = VALUES(resource_id)"
    )
    # MariaDB scans from the thread's start without the hint once tenant_id leads the index (see DESIGN.md).
    PAGE = (
        f"SELECT {_MSG_COLS} FROM rs_messages FORCE INDEX (rs_messages_thread_idx) "
        "WHERE tenant_id = %s AND thread_id = %s AND created_at >= %s AND (created_at > %s OR id > %s) "
        "ORDER BY created_at, id LIMIT %s"
    )
    ONE = f"SELECT {_MSG_COLS} FROM rs_messages WHERE tenant_id = %s AND id = %s"
    WINDOW = (
        f"(SELECT {_MSG_COLS} FROM rs_messages FORCE INDEX (rs_messages_thread_idx) "
        "WHERE tenant_id = %s AND thread_id = %s AND created_at <= %s AND (created_at < %s OR id < %s) "
        "ORDER BY created_at DESC, id DESC LIMIT %s) UNION ALL "
        f"(SELECT {_MSG_COLS} FROM rs_messages FORCE INDEX (rs_messages_thread_idx) "
        "WHERE tenant_id = %s AND thread_id = %s AND created_at >= %s AND (created_at > %s OR id > %s) "
        "ORDER BY created_at, id LIMIT %s)"
    )
    THREAD = (
        "SELECT id, resource_id, title, metadata, created_at, updated_at FROM rs_threads "
        "WHERE tenant_id = %s AND id = %s"
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    async def open(self) -> None:
        self.conn = await raw_connect(self.url)

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    async def save_batch(self, tenant_id: str, thread_id: str, messages: Sequence[Message]) -> None:
        rows = _rows(tenant_id, messages, _naive_utc)
        c = self.conn
        await c.begin()
        try:
            async with c.cursor() as cur:
                await cur.execute("SELECT 1 FROM rs_threads WHERE tenant_id = %s AND id = %s", (tenant_id, thread_id))
                if await cur.fetchone() is None:
                    raise LookupError(thread_id)
                await cur.executemany(self.UPSERT, rows)
                await cur.execute(
                    "UPDATE rs_threads SET updated_at = %s WHERE tenant_id = %s AND id = %s",
                    (datetime.now(UTC).replace(tzinfo=None), tenant_id, thread_id),
                )
            await c.commit()
        except BaseException:
            await c.rollback()
            raise

    async def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        async with self.conn.cursor() as cur:
            await cur.execute(sql, args)
            return list(await cur.fetchall())

    @staticmethod
    def _msgs(rows: Sequence[Any]) -> list[RawMessage]:
        return [(r[0], r[1], r[2], _decode(r[3]), r[4], r[5], r[6].replace(tzinfo=UTC)) for r in rows]

    async def page(
        self, tenant_id: str, thread_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[RawMessage]:
        ts, mid = after or (MIN_TS, "")
        naive = ts.astimezone(UTC).replace(tzinfo=None)
        return self._msgs(await self._fetch(self.PAGE, (tenant_id, thread_id, naive, naive, mid, limit)))

    async def include(self, tenant_id: str, message_id: str, before: int, after: int) -> list[RawMessage]:
        found = await self._fetch(self.ONE, (tenant_id, message_id))
        if not found:
            return []
        t = found[0]
        th, ts, mid = t[1], t[6], t[0]
        rows = await self._fetch(self.WINDOW, (tenant_id, th, ts, ts, mid, before, tenant_id, th, ts, ts, mid, after))
        out = self._msgs([t, *rows])
        out.sort(key=_msg_key)
        return out

    async def get_thread(self, tenant_id: str, thread_id: str) -> RawThread | None:
        async with self.conn.cursor() as cur:
            await cur.execute(self.THREAD, (tenant_id, thread_id))
            r = await cur.fetchone()
        if r is None:
            return None
        meta = r[3]
        return (
            r[0],
            r[1],
            r[2],
            None if meta is None else _decode(meta),
            r[4].replace(tzinfo=UTC),
            r[5].replace(tzinfo=UTC),
        )

    async def analyze(self) -> None:
        await self._fetch("ANALYZE TABLE rs_threads, rs_messages", ())

    async def purge(self, tenant_id: str) -> None:
        async with self.conn.cursor() as cur:
            await cur.execute("DELETE FROM rs_messages WHERE tenant_id = %s", (tenant_id,))
            await cur.execute("DELETE FROM rs_threads WHERE tenant_id = %s", (tenant_id,))


def _rows(tenant_id: str, messages: Sequence[Message], ts: Callable[[datetime], Any]) -> list[tuple[Any, ...]]:
    """The upsert's parameter rows, as a hand-written layer builds them (no validation)."""
    return [
        (tenant_id, m.id, m.thread_id, m.role, m.type, _encode(m.content).decode(), m.resource_id, ts(m.created_at))
        for m in messages
    ]


def _same(v: datetime) -> datetime:
    return v


def _naive_utc(v: datetime) -> datetime:
    return v.astimezone(UTC).replace(tzinfo=None)


def _lite_ts(v: datetime) -> str:
    # The fastest exact spelling of rawstore's fixed-width format: isoformat, cut before "+00:00".
    return (v if v.tzinfo is UTC else v.astimezone(UTC)).isoformat(" ", "microseconds")[:26]


def _lite_dt(v: str) -> datetime:
    # The fastest exact way back to an aware UTC datetime, as rawstore's driver does it: parse an explicit offset.
    return datetime.fromisoformat(v + "+00:00")


class _LiteRaw(RawDriver):
    """Writes through the stdlib sqlite3 module (no worker thread at all), reads through aiosqlite."""

    dialect = "sqlite"
    UPSERT = (
        "INSERT INTO rs_messages (tenant_id, id, thread_id, role, type, content, resource_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (tenant_id, id) DO UPDATE SET thread_id = excluded.thread_id, role = excluded.role, "
        "type = excluded.type, content = excluded.content, resource_id = excluded.resource_id"
    )
    PAGE = (
        f"SELECT {_MSG_COLS} FROM rs_messages WHERE tenant_id = ?1 AND thread_id = ?2 "
        "AND created_at >= ?3 AND (created_at > ?3 OR id > ?4) ORDER BY created_at, id LIMIT ?5"
    )
    ONE = f"SELECT {_MSG_COLS} FROM rs_messages WHERE tenant_id = ? AND id = ?"
    WINDOW = (
        f"SELECT * FROM (SELECT {_MSG_COLS} FROM rs_messages WHERE tenant_id = ?1 AND thread_id = ?2 "
        "AND created_at <= ?3 AND (created_at < ?3 OR id < ?4) ORDER BY created_at DESC, id DESC LIMIT ?5) "
        f"UNION ALL SELECT * FROM (SELECT {_MSG_COLS} FROM rs_messages WHERE tenant_id = ?1 AND thread_id = ?2 "
        "AND created_at >= ?3 AND (created_at > ?3 OR id > ?4) ORDER BY created_at, id LIMIT ?6)"
    )
    THREAD = (
        "SELECT id, resource_id, title, metadata, created_at, updated_at FROM rs_threads WHERE tenant_id = ? AND id = ?"
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = parse_url(url).sqlite_path
        self.sync: sqlite3.Connection | None = None
        self.conn: Any = None

    async def open(self) -> None:
        self.sync = raw_sqlite(self.path)
        self.conn = await raw_connect(self.url)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None
        if self.sync is not None:
            self.sync.close()
            self.sync = None

    async def save_batch(self, tenant_id: str, thread_id: str, messages: Sequence[Message]) -> None:
        db = self.sync
        assert db is not None
        rows = _rows(tenant_id, messages, _lite_ts)
        db.execute("BEGIN IMMEDIATE")
        try:
            if (
                db.execute("SELECT 1 FROM rs_threads WHERE tenant_id = ? AND id = ?", (tenant_id, thread_id)).fetchone()
                is None
            ):
                raise LookupError(thread_id)
            db.executemany(self.UPSERT, rows)
            db.execute(
                "UPDATE rs_threads SET updated_at = ? WHERE tenant_id = ? AND id = ?",
                (_lite_ts(datetime.now(UTC)), tenant_id, thread_id),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @staticmethod
    def _msgs(rows: Sequence[Any]) -> list[RawMessage]:
        return [(r[0], r[1], r[2], _decode(r[3]), r[4], r[5], _lite_dt(r[6])) for r in rows]

    async def page(
        self, tenant_id: str, thread_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[RawMessage]:
        ts, mid = after or (MIN_TS, "")
        return self._msgs(await self.conn.execute_fetchall(self.PAGE, (tenant_id, thread_id, _lite_ts(ts), mid, limit)))

    async def include(self, tenant_id: str, message_id: str, before: int, after: int) -> list[RawMessage]:
        found = await self.conn.execute_fetchall(self.ONE, (tenant_id, message_id))
        if not found:
            return []
        t = found[0]
        rows = await self.conn.execute_fetchall(self.WINDOW, (tenant_id, t[1], t[6], t[0], before, after))
        out = self._msgs([t, *rows])
        out.sort(key=_msg_key)
        return out

    async def get_thread(self, tenant_id: str, thread_id: str) -> RawThread | None:
        rows = await self.conn.execute_fetchall(self.THREAD, (tenant_id, thread_id))
        if not rows:
            return None
        r = rows[0]
        meta = r[3]
        return (r[0], r[1], r[2], None if meta is None else _decode(meta), _lite_dt(r[4]), _lite_dt(r[5]))

    async def analyze(self) -> None:
        # SQLite plans these queries from the indexes alone; a checkpoint leaves both sides the same WAL to read.
        await self.conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")

    async def purge(self, tenant_id: str) -> None:
        db = self.sync
        assert db is not None
        db.execute("DELETE FROM rs_messages WHERE tenant_id = ?", (tenant_id,))
        db.execute("DELETE FROM rs_threads WHERE tenant_id = ?", (tenant_id,))


def _msg_key(m: RawMessage) -> tuple[datetime, str]:
    return (m[6], m[0])


def raw_driver(url: str) -> RawDriver:
    dialect = parse_url(url).dialect
    if dialect == "postgres":
        return _PgRaw(url)
    if dialect == "mysql":
        return _MyRaw(url)
    return _LiteRaw(url)


# -- the workload -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PagePoint:
    """Where page `number` starts: rawstore's cursor, and the (created_at, id) the raw side resumes after."""

    number: int
    cursor: str | None
    after: tuple[datetime, str] | None


@dataclass
class Bench:
    """The memory hot paths on one database, for rawstore and the raw driver; every method scopes its own tenant.

    Call `open()` on a migrated database, `load()` to fill one thread per side, `analyze()`, `walk()` for the page
    cursors, then time `page`/`include`/`get_thread`; `close()` deletes the run's rows.
    """

    url: str
    messages: int = 100_000
    batch: int = 1000
    tenant_id: str = field(default_factory=lambda: "rsbench-" + secrets.token_hex(6))
    store: Store | None = None
    raw: RawDriver | None = None
    points: dict[int, PagePoint] = field(default_factory=dict)
    middle_id: str = ""

    @property
    def dialect(self) -> Dialect:
        return parse_url(self.url).dialect

    def _scope(self) -> AbstractContextManager[str]:
        return tenant(self.tenant_id)

    def _store(self) -> Store:
        assert self.store is not None, "Bench.open() first"
        return self.store

    def _raw(self) -> RawDriver:
        assert self.raw is not None, "Bench.open() first"
        return self.raw

    async def open(self, threads: Sequence[str] = (KIT_THREAD, RAW_THREAD)) -> None:
        self.store = await connect(self.url, max_size=4)
        self.raw = raw_driver(self.url)
        await self.raw.open()
        with self._scope():
            for tid in threads:
                await self.store.memory.save_thread(
                    Thread(tid, RESOURCE, "Benchmark thread", thread_metadata(), BASE_TS, BASE_TS)
                )

    async def add_thread(self, thread_id: str) -> None:
        with self._scope():
            await self._store().memory.save_thread(
                Thread(thread_id, RESOURCE, None, thread_metadata(), BASE_TS, BASE_TS)
            )

    async def close(self, *, purge: bool = True) -> None:
        try:
            if purge and self.raw is not None:
                await self.raw.purge(self.tenant_id)
        finally:
            if self.raw is not None:
                await self.raw.close()
                self.raw = None
            if self.store is not None:
                await self.store.close()
                self.store = None

    # -- writes

    async def save(self, side: Side, thread_id: str, messages: Sequence[Message]) -> float:
        """Save one batch; the seconds it took."""
        with self._scope():
            if side == "rawstore":
                memory = self._store().memory
                t0 = time.perf_counter()
                await memory.save_messages(messages)
            else:
                raw = self._raw()
                t0 = time.perf_counter()
                await raw.save_batch(self.tenant_id, thread_id, messages)
            return time.perf_counter() - t0

    async def load(self, progress: Callable[[int], None] | None = None) -> dict[Side, float]:
        """Save `messages` messages into each side's thread, batch by batch, alternating which side goes first.

        Returns the seconds each side spent inside its saves.
        """
        spent: dict[Side, float] = {"rawstore": 0.0, "raw": 0.0}
        middle = self.messages // 2
        for b, start in enumerate(range(0, self.messages, self.batch)):
            n = min(self.batch, self.messages - start)
            kit = make_messages(KIT_THREAD, start, n)
            raw = make_messages(RAW_THREAD, start, n)
            if start <= middle < start + n:
                self.middle_id = kit[middle - start].id
            order: tuple[Side, Side] = ("rawstore", "raw") if b % 2 == 0 else ("raw", "rawstore")
            for side in order:
                spent[side] += await self.save(
                    side, KIT_THREAD if side == "rawstore" else RAW_THREAD, kit if side == "rawstore" else raw
                )
            if progress is not None:
                progress(start + n)
        return spent

    async def analyze(self) -> None:
        await self._raw().analyze()

    # -- reads

    def page_numbers(self) -> list[int]:
        pages = max(1, math.ceil(self.messages / PAGE_SIZE))
        return sorted({min(pages, max(1, round(f * pages))) for f in PAGE_FRACTIONS})

    async def walk(self) -> dict[int, PagePoint]:
        """Follow rawstore's cursors through the thread, keeping where each measured page starts."""
        wanted = self.page_numbers()
        memory = self._store().memory
        cursor: str | None = None
        after: tuple[datetime, str] | None = None
        number = 1
        with self._scope():
            while True:
                if number in wanted:
                    self.points[number] = PagePoint(number, cursor, after)
                if number >= wanted[-1]:
                    break
                page = await memory.list_messages(KIT_THREAD, limit=PAGE_SIZE, cursor=cursor)
                if page.next_cursor is None:
                    break
                cursor, after = page.next_cursor, (page.items[-1].created_at, page.items[-1].id)
                number += 1
        return self.points

    async def _repeat(self, op: Callable[[], Awaitable[object]], n: int) -> list[float]:
        times: list[float] = []
        with self._scope():
            for _ in range(n):
                t0 = time.perf_counter()
                await op()
                times.append(time.perf_counter() - t0)
        return times

    def page_op(self, side: Side, point: PagePoint) -> Callable[[], Awaitable[object]]:
        if side == "rawstore":
            memory, cursor = self._store().memory, point.cursor
            return lambda: memory.list_messages(KIT_THREAD, limit=PAGE_SIZE, cursor=cursor)
        raw, t, after = self._raw(), self.tenant_id, point.after
        # One row more than the page, as rawstore fetches, to know whether a next page exists.
        return lambda: raw.page(t, KIT_THREAD, after, PAGE_SIZE + 1)

    def include_op(self, side: Side) -> Callable[[], Awaitable[object]]:
        mid = self.middle_id
        if side == "rawstore":
            memory = self._store().memory
            inc = [Include(mid, before=INCLUDE_AROUND, after=INCLUDE_AROUND)]
            return lambda: memory.list_messages(KIT_THREAD, limit=0, include=inc)
        raw, t = self._raw(), self.tenant_id
        return lambda: raw.include(t, mid, INCLUDE_AROUND, INCLUDE_AROUND)

    def get_thread_op(self, side: Side) -> Callable[[], Awaitable[object]]:
        if side == "rawstore":
            memory = self._store().memory
            return lambda: memory.get_thread(KIT_THREAD)
        raw, t = self._raw(), self.tenant_id
        return lambda: raw.get_thread(t, KIT_THREAD)

    async def page(self, side: Side, point: PagePoint, n: int = 1) -> list[float]:
        return await self._repeat(self.page_op(side, point), n)

    async def include(self, side: Side, n: int = 1) -> list[float]:
        return await self._repeat(self.include_op(side), n)

    async def get_thread(self, side: Side, n: int = 1) -> list[float]:
        return await self._repeat(self.get_thread_op(side), n)

    async def verify(self) -> list[str]:
        """Differences between what rawstore and the raw side return (none expected)."""
        problems: list[str] = []
        memory, raw, t = self._store().memory, self._raw(), self.tenant_id
        with self._scope():
            for p in self.points.values():
                kit = await memory.list_messages(KIT_THREAD, limit=PAGE_SIZE, cursor=p.cursor)
                rows = await raw.page(t, KIT_THREAD, p.after, PAGE_SIZE + 1)
                if [m.id for m in kit.items] != [r[0] for r in rows[:PAGE_SIZE]]:
                    problems.append(f"page {p.number}: rawstore and raw rows differ")
                elif kit.items and kit.items[0].content != rows[0][3]:
                    problems.append(f"page {p.number}: decoded content differs")
                expected = min(PAGE_SIZE, self.messages - (p.number - 1) * PAGE_SIZE)
                if len(kit.items) != expected:
                    problems.append(f"page {p.number}: {len(kit.items)} rows, expected {expected}")
            kit_inc = await memory.list_messages(
                KIT_THREAD, limit=0, include=[Include(self.middle_id, before=INCLUDE_AROUND, after=INCLUDE_AROUND)]
            )
            raw_inc = await raw.include(t, self.middle_id, INCLUDE_AROUND, INCLUDE_AROUND)
            if [m.id for m in kit_inc.items] != [r[0] for r in raw_inc]:
                problems.append("include: rawstore and raw rows differ")
            if len(kit_inc.items) != min(self.messages, 2 * INCLUDE_AROUND + 1):
                problems.append(f"include: {len(kit_inc.items)} rows")
            th = await memory.get_thread(KIT_THREAD)
            rt = await raw.get_thread(t, KIT_THREAD)
            if th is None or rt is None:
                problems.append("get_thread: thread missing")
            elif (th.id, th.resource_id, th.title, th.metadata, th.created_at, th.updated_at) != rt:
                problems.append("get_thread: rawstore and raw values differ")
        return problems


class BenchMismatch(Exception):
    """rawstore and the raw driver returned different rows: the timings would compare different work."""


# -- the report ---------------------------------------------------------------------------------------------------


@dataclass
class Line:
    operation: str
    kit: str
    raw: str
    ratio: str


@dataclass
class Report:
    """One database's results: the printed table (`lines`), and the same figures as data (`figures`, for
    `--json`, `--html` and `--compare`)."""

    title: str
    lines: list[Line] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    dialect: str = ""
    url: str = ""  # redacted
    server_version: str | None = None

    def add(self, figure: Figure, text: str | None = None) -> None:
        """A figure, and its line in the table (`text`: the operation column, default the figure's label)."""
        self.figures.append(figure)
        self.lines.append(
            Line(text or figure.label, figure.text(figure.rawstore), figure.text(figure.raw), figure.ratio_text())
        )

    def render(self) -> str:
        head = Line("operation", "rawstore", "raw driver", "ratio")
        rows = [head, *self.lines]
        w = [max(len(getattr(r, a)) for r in rows) for a in ("operation", "kit", "raw", "ratio")]

        def fmt(r: Line) -> str:
            return f"{r.operation:<{w[0]}} | {r.kit:>{w[1]}} | {r.raw:>{w[2]}} | {r.ratio:>{w[3]}}"

        out = [self.title, "", fmt(head), "-+-".join("-" * x for x in w), *map(fmt, self.lines), ""]
        out.append("ratio = rawstore speed / raw driver speed (1.00x = as fast as the raw driver; higher is better)")
        out.extend(self.notes)
        if self.checks:
            out.append("")
            out.extend(f"  [{'ok' if ok else 'MISS'}] {what}" for what, ok in self.checks)
        return "\n".join(out)


def _rate(n: float, seconds: float, unit: str) -> str:
    return f"{n / seconds:,.0f} {unit}/s" if seconds > 0 else "-"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


class _Scoped(Protocol):
    def _scope(self) -> AbstractContextManager[str]: ...


async def _interleaved(
    bench: _Scoped,
    ops: dict[Side, Callable[[], Awaitable[object]]],
    reps: int,
    warmup: int,
    tick: Callable[[int], None] | None = None,
) -> dict[Side, list[float]]:
    """Per-call times of each side, alternating calls so drift and noise hit both alike (`tick(2)` per round)."""
    times: dict[Side, list[float]] = {"rawstore": [], "raw": []}
    with bench._scope():
        for i in range(warmup + reps):
            order: tuple[Side, Side] = SIDES if i % 2 == 0 else ("raw", "rawstore")
            for side in order:
                op = ops[side]
                t0 = time.perf_counter()
                await op()
                dt = time.perf_counter() - t0
                if i >= warmup:
                    times[side].append(dt)
            if tick is not None:
                tick(2)
    return times


def depth_figures(
    report: Report, path: str, name: str, medians: dict[int, dict[Side, float]]
) -> list[tuple[int, int, float]]:
    """Add each deep page's time over page 1's, per side; (page, first page, rawstore's ratio) per deep page."""
    first = min(medians)
    out = []
    for number in sorted(medians):
        if number == first:
            continue
        k = medians[number]["rawstore"] / medians[first]["rawstore"]
        r = medians[number]["raw"] / medians[first]["raw"]
        report.add(
            relative_figure(
                f"{path}:page_{number}/page_{first}", path, f"{name}: time of page {number} / page {first}", k, r
            ),
            f"  time of page {number} / page {first}",
        )
        out.append((number, first, k))
    return out


async def server_version(store: Store, dialect: str) -> str | None:
    """The database server's version (SQLite: the library's), for the report's environment."""
    try:
        async with store.transaction() as tx:
            row = await tx.fetchrow(SERVER_VERSION_SQL[dialect])
    except RawstoreError:
        return None
    return None if row is None else str(row["version"])


async def run(
    url: str,
    *,
    messages: int,
    batch: int,
    reads: int,
    log: Callable[[str], None] | None = None,
    spans: int = 0,
    traces: int | None = None,
    progress: Progress | None = None,
) -> Report:
    """Measure every hot path on an already migrated database: the memory domain's, then (`spans` > 0) the spans
    domain's (`rawstore.bench_spans`) with `spans` spans per side among `traces` traces (default: `spans`).

    Progress goes to `progress` (default: plain lines on stderr, or through `log` when given)."""
    if progress is None:
        progress = PlainProgress() if log is None else _LogProgress(log)
    bench = Bench(url, messages=messages, batch=batch)
    dialect = bench.dialect
    report = Report(f"rawstore bench: {dialect}, {redact(url)}", dialect=dialect, url=redact(url))
    await bench.open()
    try:
        report.server_version = await server_version(bench._store(), dialect)
        gc.collect()
        with progress.phase(
            f"saving {messages:,} messages into each of two threads, batches of {batch:,}",
            total=2 * messages,
            unit="rows",
            label="save_messages",
        ) as tick:
            done = 0

            def advance(upto: int) -> None:
                nonlocal done
                tick(2 * (upto - done))
                done = upto

            spent = await bench.load(advance)
        fig = rate_figure(
            "memory.save_messages",
            "memory.save_messages",
            f"save_messages: {messages:,} msgs, batches of {batch:,}",
            messages,
            spent,
        )
        report.add(fig)
        ratio = fig.ratio or 0.0
        insert_target = 1.0 if dialect == "postgres" else 0.8
        report.checks.append((f"insert >= {insert_target:.1f}x raw (got {ratio:.2f}x)", ratio >= insert_target))

        progress.log("analyzing tables" if dialect != "sqlite" else "checkpointing the WAL")
        await bench.analyze()
        progress.log("walking the thread for page cursors")
        points = await bench.walk()
        problems = await bench.verify()
        if problems:
            raise BenchMismatch("rawstore and the raw driver disagree: " + "; ".join(problems))

        medians: dict[int, dict[Side, float]] = {}
        page_reps, page_warmup = 41, 5
        with progress.phase(
            "timing pages", total=2 * len(points) * (page_reps + page_warmup), unit="calls", label="list_messages"
        ) as tick:
            for number, point in sorted(points.items()):
                ops = {s: bench.page_op(s, point) for s in SIDES}
                times = await _interleaved(bench, ops, reps=page_reps, warmup=page_warmup, tick=tick)
                medians[number] = {s: statistics.median(times[s]) for s in SIDES}
                report.add(
                    time_figure(
                        f"memory.list_messages:page_{number}",
                        "memory.list_messages",
                        f"list_messages page {number} (limit {PAGE_SIZE})",
                        times,
                    )
                )
        for number, first, k in depth_figures(report, "memory.list_messages", "list_messages", medians):
            report.checks.append((f"page {number} <= 1.5x page {first} (got {k:.2f}x)", k <= 1.5))

        with progress.phase("timing include", total=2 * (101 + 5), unit="calls", label="include") as tick:
            times = await _interleaved(bench, {s: bench.include_op(s) for s in SIDES}, reps=101, warmup=5, tick=tick)
        report.add(
            time_figure(
                "memory.include",
                "memory.include",
                f"include +-{INCLUDE_AROUND} around a middle message",
                times,
            )
        )

        # Ten interleaved chunks that add up to exactly `reads` (the first ones take the remainder).
        chunks = [reads // 10 + (c < reads % 10) for c in range(10)]
        total: dict[Side, float] = {"rawstore": 0.0, "raw": 0.0}
        samples: dict[Side, list[float]] = {"rawstore": [], "raw": []}
        warm = min(200, reads)
        with progress.phase(
            f"timing {reads:,} get_thread calls per side",
            total=2 * (warm + reads),
            unit="calls",
            label="get_thread",
        ) as tick:
            await bench.get_thread("rawstore", warm)
            await bench.get_thread("raw", warm)
            tick(2 * warm)
            for c, per in enumerate(chunks):
                order: tuple[Side, Side] = SIDES if c % 2 == 0 else ("raw", "rawstore")
                for side in order:
                    got = await bench.get_thread(side, per)
                    samples[side].extend(got)
                    total[side] += sum(got)
                    tick(per)
        fig = rate_figure(
            "memory.get_thread",
            "memory.get_thread",
            f"get_thread x {reads:,} (sequential)",
            reads,
            total,
            unit="reads",
            samples=samples,
        )
        report.add(fig)
        ratio = fig.ratio or 0.0
        report.checks.append((f"get_thread >= 0.85x raw (got {ratio:.2f}x)", ratio >= 0.85))
        report.notes.append(
            {
                "postgres": "raw driver: one asyncpg connection (executemany upsert; fetch/fetchrow); "
                "before reads: VACUUM ANALYZE",
                "mysql": "raw driver: one aiomysql connection (executemany = one multi-row upsert; cursor reads); "
                "before reads: ANALYZE TABLE",
                "sqlite": "raw driver: stdlib sqlite3 executemany for inserts, one aiosqlite connection "
                "(execute_fetchall) for reads; WAL, synchronous=NORMAL on both sides",
            }[dialect]
        )
    finally:
        progress.log("deleting the bench rows")
        await bench.close(purge=True)
    if spans:
        from .bench_spans import run_spans

        await run_spans(url, report, spans=spans, traces=spans if traces is None else traces, progress=progress)
    return report


class _LogProgress(PlainProgress):
    """Plain progress through a caller's log function (`run(..., log=print)`)."""

    def __init__(self, log: Callable[[str], None]) -> None:
        super().__init__()
        self._log = log

    def log(self, message: str) -> None:
        self._log(message)


# Below these sizes the ratios are biased and noisy, not just less precise: with few rows per-batch fixed costs
# (transaction, thread update, the first inserts into an empty index) weigh differently on the two sides, the
# measured pages sit close together in a small index, and a few hundred point reads take milliseconds, so one
# scheduler hiccup moves the ratio. Measured on SQLite on this project's shared 2-core machine, three runs each:
# insert ratio 0.53-0.72x at 1,000 messages against 0.84-0.90x at 20,000 (and about +-0.05 at the full 100,000).
# get_thread stays the noisiest figure on a busy machine (0.73-0.88x at 5,000 reads), hence 5,000 as the floor.
STABLE_MESSAGES = 20_000
STABLE_READS = 5_000


def size_warning(messages: int, reads: int) -> str | None:
    """The warning to print when the sizes are too small for the ratios to mean much; None at stable sizes."""
    small = []
    if messages < STABLE_MESSAGES:
        small.append(f"--messages {messages:,} < {STABLE_MESSAGES:,}")
    if reads < STABLE_READS:
        small.append(f"--reads {reads:,} < {STABLE_READS:,}")
    if not small:
        return None
    return (
        f"warning: sizes too small for stable ratios ({', '.join(small)}): fixed costs and noise dominate, "
        "so the ratios and the [ok]/[MISS] targets are not meaningful; the targets are set for the default sizes"
    )


def _named(reports: Sequence[Report]) -> list[str]:
    """Each database's name in the report: its dialect, `postgres#2` for a second PostgreSQL, and so on."""
    seen: dict[str, int] = {}
    names = []
    for r in reports:
        seen[r.dialect] = seen.get(r.dialect, 0) + 1
        names.append(r.dialect if seen[r.dialect] == 1 else f"{r.dialect}#{seen[r.dialect]}")
    return names


def document(
    reports: Sequence[Report],
    *,
    sizes: dict[str, int],
    started_at: str,
    load_start: list[float] | None,
    warnings: Sequence[str] = (),
) -> Document:
    """The `--json` document of a run (`rawstore.bench_report` describes it)."""
    return Document(
        schema=SCHEMA,
        kind=KIND,
        started_at=started_at,
        finished_at=utc_now(),
        rawstore=rawstore_info(),
        environment=environment(load_start),
        sizes=sizes,
        databases=[
            Database(
                name=name,
                dialect=r.dialect,
                url=r.url,
                server_version=r.server_version,
                title=r.title,
                figures=list(r.figures),
                checks=[Check(what, ok) for what, ok in r.checks],
                notes=list(r.notes),
            )
            for name, r in zip(_named(reports), reports, strict=True)
        ],
        warnings=list(warnings),
    )


def _fail(message: str) -> int:
    print(f"rawstore bench: {message}", file=sys.stderr, flush=True)
    return 2


def compare_files(old: str, new: str, *, threshold: float = 10.0, check: bool = False) -> int:
    """`rawstore bench --compare OLD.json --against NEW.json`: print the change per figure; runs no bench.

    Returns 2 when a file cannot be read, else 1 with `check` and a regression beyond `threshold` percent, else 0.
    """
    from .bench_compare import compare

    try:
        before, after = load(old, "--compare"), load(new, "--against")
    except ReportFileError as e:
        return _fail(str(e))
    result = compare(before, after, threshold=threshold, old_name=old, new_name=new)
    print(result.render())
    return 1 if check and result.regressions else 0


def main(
    url: str | Sequence[str] | None,
    *,
    messages: int = 100_000,
    batch: int = 1000,
    reads: int = 20_000,
    check: bool = False,
    spans: int | None = None,
    traces: int | None = None,
    json_path: str | None = None,
    html_path: str | None = None,
    compare: str | None = None,
    threshold: float = 10.0,
) -> int:
    """Run the bench on each URL in turn (None or none: a temporary SQLite file, deleted afterwards) and print a
    table per database.

    Each URL is migrated first (the bench needs the kit's tables), so it must be a direct URL, not PgBouncer.
    `spans` (default: `messages`; 0 skips them) and `traces` (default: `spans`) size the spans suite.
    `json_path` / `html_path`: write the figures as JSON (`rawstore.bench_report`) / a self-contained HTML report;
    `compare`: an earlier `--json` file, the change of every figure printed after the tables (`threshold`: the
    change, in percent, beyond which a worse figure is a regression). Files are checked before any bench work.
    Returns 0; 2 for bad sizes or files; 1 when rawstore and the raw driver disagree or, with `check`, when a
    target is missed or a figure regressed against `compare`.
    """
    urls: list[str | None] = [url] if isinstance(url, str) or url is None else list(url) or [None]
    for name, v in (("messages", messages), ("batch", batch), ("reads", reads)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            return _fail(f"{name} must be a positive integer, got {v!r}")
    spans = messages if spans is None else spans
    traces = max(1, spans) if traces is None else traces
    for name, v, least in (("spans", spans, 0), ("traces", traces, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            what = "a whole number, at least 0" if least == 0 else "a positive integer"
            return _fail(f"{name} must be {what}, got {v!r}")
    if not (isinstance(threshold, int | float) and threshold > 0):
        return _fail(f"threshold must be a positive percentage, got {threshold!r}")
    # Every file problem now, before minutes of benchmarking: the outputs must be writable, the baseline readable.
    try:
        if json_path is not None and html_path is not None and Path(json_path).resolve() == Path(html_path).resolve():
            raise ReportFileError(f"--json and --html name the same file: {json_path}")
        baseline = None if compare is None else load(compare, "--compare")
        for option, path in (("--json", json_path), ("--html", html_path)):
            if path is not None:
                check_writable(path, option)
    except ReportFileError as e:
        return _fail(str(e))

    warning = size_warning(messages, reads)
    if warning is None and 0 < spans < STABLE_MESSAGES:
        warning = (
            f"warning: sizes too small for stable ratios (--spans {spans:,} < {STABLE_MESSAGES:,}): fixed costs and"
            " noise dominate, so the spans ratios and their [ok]/[MISS] targets are not meaningful"
        )
    started_at, load_start = utc_now(), load_average()
    reports: list[Report] = []
    from .migrator import migrate

    with make_progress() as progress, ExitStack() as folders:
        if warning is not None:
            progress.log(warning)

        def temporary_sqlite() -> str:
            folder = folders.enter_context(tempfile.TemporaryDirectory(prefix="rawstore-bench-"))
            return f"sqlite:///{folder}/bench.db"

        targets = [one if one is not None else temporary_sqlite() for one in urls]
        # Every database is migrated (so reached, and refused if it is a PgBouncer) before any is benchmarked: an
        # unreachable third URL fails in seconds, not after the first two have run. The bench changes the
        # databases it is pointed at: say so before doing it.
        for target in targets:
            progress.log(
                f"migrating {redact(target)} first: applying any pending rawstore migrations (the bench needs its "
                "tables)"
            )
            done = migrate(target)
            progress.log(
                f"applied {len(done)} migration(s)" + (": " + ", ".join(done) if done else " (already up to date)")
            )
        for one, target in zip(urls, targets, strict=True):
            try:
                report = asyncio.run(
                    run(
                        target,
                        messages=messages,
                        batch=batch,
                        reads=reads,
                        spans=spans,
                        traces=traces,
                        progress=progress,
                    )
                )
            except BenchMismatch as e:
                progress.log(str(e))
                return 1
            if one is None:
                report.url = "(a temporary SQLite file)"
            reports.append(report)
    for i, report in enumerate(reports):
        if warning is not None:
            report.notes.append(warning)
        print(("\n" if i else "") + report.render())
    doc = document(
        reports,
        sizes={
            "messages": messages,
            "batch": batch,
            "reads": reads,
            "page_size": PAGE_SIZE,
            "spans": spans,
            "traces": traces if spans else 0,
            "trace_size": min(SPAN_TRACE_SIZE, spans),
        },
        started_at=started_at,
        load_start=load_start,
        warnings=[] if warning is None else [warning],
    )
    if json_path is not None:
        write_atomically(json_path, encode(doc))
        print(f"rawstore bench: wrote {json_path}", file=sys.stderr)
    if html_path is not None:
        from .bench_html import render_html

        write_atomically(html_path, render_html(doc).encode())
        print(f"rawstore bench: wrote {html_path}", file=sys.stderr)
    code = 0
    if baseline is not None:
        from .bench_compare import compare as compare_docs

        result = compare_docs(baseline, doc, threshold=threshold, old_name=compare or "", new_name="this run")
        print("\n" + result.render())
        if check and result.regressions:
            print(f"rawstore bench: --check: {len(result.regressions)} figure(s) regressed", file=sys.stderr)
            code = 1
    missed = [what for r in reports for what, ok in r.checks if not ok]
    if check and missed:
        print(f"rawstore bench: --check: {len(missed)} target(s) missed: " + "; ".join(missed), file=sys.stderr)
        code = 1
    return code

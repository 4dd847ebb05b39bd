"""aiosqlite: a small pool of WAL connections; each verb runs as one call in the connection's worker thread."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from ..errors import Conflict, ConnectionLost, DatabaseError, InvalidInput, NotFound, RawstoreError
from ..sqlfiles import Query
from .base import Connection, Driver, Row, _trace

T = TypeVar("T")
TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def translate(exc: BaseException, sql: str = "") -> RawstoreError:
    if isinstance(exc, RawstoreError):
        return exc
    msg = f"{type(exc).__name__}: {exc}"
    text = str(exc)
    if isinstance(exc, sqlite3.IntegrityError):
        if "FOREIGN KEY" in text:
            # SQLite reports both directions alike: deleting a referenced row is a conflict, a missing parent is not.
            return Conflict(msg) if sql.lstrip()[:6].upper() == "DELETE" else NotFound(msg)
        if "CHECK constraint" in text or "NOT NULL" in text:
            return InvalidInput(msg)
        return Conflict(msg)
    if isinstance(exc, (sqlite3.DataError, OverflowError)):
        return InvalidInput(msg)
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in text:
        return ConnectionLost(msg)
    if isinstance(exc, sqlite3.OperationalError) and ("unable to open" in text or "disk I/O" in text):
        return ConnectionLost(msg)
    if isinstance(exc, ValueError) and "no active connection" in text:
        return ConnectionLost(msg)
    return DatabaseError(msg)


class LiteConnection(Connection):
    dialect = "sqlite"
    style = "qmark"
    begin_sql = "BEGIN IMMEDIATE"

    def __init__(self, raw: aiosqlite.Connection) -> None:
        super().__init__()
        self.raw = raw

    async def _run(self, fn: Callable[[sqlite3.Connection], T], sql: str = "") -> T:
        # aiosqlite's _execute runs fn in the connection's thread: one hop per verb instead of several.
        db = self.raw._connection
        if db is None:
            raise ConnectionLost("the sqlite connection is closed")
        try:
            result: T = await self.raw._execute(fn, db)  # type: ignore[no-untyped-call]
            return result
        except Exception as e:
            raise translate(e, sql) from e

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        return await self._run(lambda db: db.execute(sql, args).rowcount, sql)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        return await self._run(lambda db: db.executemany(sql, rows).rowcount, sql)

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return await self._run(lambda db: db.execute(sql, args).fetchall(), sql)

    async def fetchrow(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        def one(db: sqlite3.Connection) -> Row | None:
            row: Row | None = db.execute(sql, args).fetchone()
            return row

        return await self._run(one, sql)

    async def fetch_named(self, sql: str, args: Sequence[Any] = ()) -> tuple[list[str], list[Row]]:
        def run(db: sqlite3.Connection) -> tuple[list[str], list[Row]]:
            cur = db.execute(sql, args)
            return [d[0] for d in cur.description or ()], cur.fetchall()

        return await self._run(run, sql)

    async def command(self, sql: str) -> None:
        await self._run(lambda db: db.execute(sql), sql)


def _fetchone(db: sqlite3.Connection, sql: str, args: Sequence[Any]) -> Row | None:
    row: Row | None = db.execute(sql, args).fetchone()
    return row


def ts_out(v: datetime) -> str:
    # isoformat with microseconds, cut before the "+00:00", is TS_FORMAT (six digits always, years 1000-9999)
    # at a third of strftime's cost.
    return (v if v.tzinfo is UTC else v.astimezone(UTC)).isoformat(" ", "microseconds")[:26]


def ts_in(v: str) -> datetime:
    return datetime.fromisoformat(v).replace(tzinfo=UTC)


class LiteDriver(Driver):
    dialect = "sqlite"
    style = "qmark"
    ts_out = staticmethod(ts_out)
    ts_in = staticmethod(ts_in)

    def __init__(self, path: str, *, max_size: int, busy_timeout_ms: int = 30000) -> None:
        self.path = path
        self.max_size = max_size
        self.busy_timeout_ms = busy_timeout_ms
        self._idle: asyncio.Queue[aiosqlite.Connection] | None = None
        self._all: list[aiosqlite.Connection] = []
        self._lock = asyncio.Lock()

    async def _connect(self) -> aiosqlite.Connection:
        try:
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
            await conn.execute("PRAGMA foreign_keys=ON")
        except Exception as e:
            raise translate(e) from e
        return conn

    async def open(self) -> None:
        if self.path != ":memory:":
            parent = Path(self.path).parent
            if not parent.is_dir():
                raise ConnectionLost(f"sqlite: folder {parent} does not exist")
        self._idle = asyncio.Queue()
        conn = await self._connect()
        self._all.append(conn)
        self._idle.put_nowait(conn)

    async def close(self) -> None:
        conns, self._all, self._idle = self._all, [], None
        for c in conns:
            with contextlib.suppress(Exception):  # closing a broken connection must not hide the others
                await c.close()

    async def _get(self) -> aiosqlite.Connection:
        idle = self._idle
        if idle is None:
            raise ConnectionLost("the store is closed")
        if idle.empty() and len(self._all) < self.max_size:
            async with self._lock:
                if idle.empty() and len(self._all) < self.max_size:
                    conn = await self._connect()
                    self._all.append(conn)
                    return conn
        return await idle.get()

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[LiteConnection]:
        raw = await self._get()
        conn = LiteConnection(raw)
        try:
            yield conn
        finally:
            await self._give_back(raw)

    async def fetchrow_once(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        # The hottest read path: an idle connection is taken without awaiting the queue or entering a
        # generator-based context manager, which together cost about a third of an aiosqlite point read.
        idle = self._idle
        raw = idle.get_nowait() if idle is not None and not idle.empty() else await self._get()
        db = raw._connection
        t = time.perf_counter()
        try:
            if db is None:
                raise ConnectionLost("the sqlite connection is closed")
            sql, args = q.compiled.sql, q.compiled.args(values)
            row: Row | None = await raw._execute(_fetchone, db, sql, args)  # type: ignore[no-untyped-call]
        except Exception as e:
            await self._give_back(raw)
            raise translate(e, q.compiled.sql) from e
        except BaseException:
            await self._give_back(raw)
            raise
        if raw.in_transaction or self._idle is None:
            await self._give_back(raw)
        else:
            self._idle.put_nowait(raw)
        _trace(q.name, t)
        return row

    async def _give_back(self, raw: aiosqlite.Connection) -> None:
        # A connection still inside a transaction (a rollback that failed, a cancelled task) must not be reused.
        if raw.in_transaction:
            try:
                await raw.rollback()
            except Exception:
                self._all.remove(raw)
                with contextlib.suppress(Exception):
                    await raw.close()
                return
        if self._idle is not None:
            self._idle.put_nowait(raw)

"""aiosqlite: a small pool of WAL connections; each verb runs as one call in the connection's worker thread."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import aiosqlite

from ..errors import (
    Conflict,
    ConnectionLost,
    DatabaseError,
    InvalidInput,
    NotFound,
    RawstoreError,
    ReadOnly,
    SerializationFailure,
    StatementTimeout,
)
from ..sqlfiles import Query, multi_row
from .base import Capabilities, Connection, Driver, Row, _trace, deletes, missing_table

T = TypeVar("T")
TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


# SQLite result codes (extended ones where they say more). Codes, never message text, decide.
_CONSTRAINT_FOREIGNKEY = 787
_CONSTRAINT_INVALID = {275, 1299}  # CHECK, NOTNULL
_CONSTRAINT_TRIGGER = 1811
_BUSY = {5, 6}  # primary BUSY and LOCKED, with every extended code (BUSY_SNAPSHOT, BUSY_TIMEOUT, LOCKED_...)
_LOST = {10, 14, 26}  # primary IOERR, CANTOPEN, NOTADB
_READONLY = 8  # primary READONLY: PRAGMA query_only, a mode=ro database
_INTERRUPT = 9  # the progress handler ended a statement that ran past its timeout
# Virtual machine steps between two looks at the clock: about a millisecond of work.
_PROGRESS_STEPS = 1000


def translate(exc: BaseException, sql: str = "", *, closed: bool = False) -> RawstoreError:
    """The RawstoreError for a sqlite3/aiosqlite error; `sql` is the statement that failed, `closed` whether its
    connection is closed now."""
    if isinstance(exc, RawstoreError):
        return exc
    msg = f"{type(exc).__name__}: {exc}"
    code = getattr(exc, "sqlite_errorcode", None) if isinstance(exc, sqlite3.Error) else None
    if isinstance(exc, sqlite3.IntegrityError):
        if code == _CONSTRAINT_FOREIGNKEY:
            return Conflict(msg) if deletes(sql) else NotFound(msg)
        if code in _CONSTRAINT_INVALID:
            return InvalidInput(msg)
        if code == _CONSTRAINT_TRIGGER and str(exc).startswith("CHECK constraint failed"):
            # A trigger's RAISE() carries no code of its own, only its message: the one place a message decides,
            # so that an application trigger can refuse a value the way a CHECK constraint would.
            return InvalidInput(msg)
        return Conflict(msg)
    if isinstance(exc, (sqlite3.DataError, OverflowError)):
        return InvalidInput(msg)
    if code is not None:
        if code & 0xFF in _BUSY:
            # Another connection held the write lock for the whole busy_timeout (or the snapshot went stale).
            return SerializationFailure(msg)
        if code & 0xFF in _LOST:
            return ConnectionLost(msg)
        if code & 0xFF == _READONLY:
            return ReadOnly(msg)
        if code & 0xFF == _INTERRUPT:
            return StatementTimeout(msg)
        if code == 1 and str(exc).startswith("no such table: rs_"):  # only the kit's own tables get the hint
            return missing_table(msg)
    if closed and isinstance(exc, (sqlite3.ProgrammingError, ValueError)):
        return ConnectionLost(msg)
    return DatabaseError(msg)


class LiteConnection(Connection):
    dialect = "sqlite"
    style = "qmark"
    begin_sql = "BEGIN IMMEDIATE"
    defers_begin = True

    def __init__(self, raw: aiosqlite.Connection, driver: LiteDriver) -> None:
        super().__init__()
        self.raw = raw
        self._driver = driver
        # Seconds each statement may run in a read-only transaction with a timeout; None: no limit.
        self._timeout: float | None = None
        # Set by while_writing for the call it waits on: (resolved when the call starts, set when it returns).
        self._waiting: tuple[asyncio.Future[None], threading.Event] | None = None

    async def begin_read_only(self, timeout_ms: int | None) -> None:
        # SQLite has no read-only transaction: query_only refuses writes on this connection until it is reset.
        await self.command("PRAGMA query_only = 1")
        try:
            await self.command("BEGIN")
        except BaseException:
            if not self.broken:
                await self.command(self._query_only_reset())
            raise
        self._timeout = None if timeout_ms is None else timeout_ms / 1000

    async def end_read_only(self, timeout_ms: int | None) -> None:
        self._timeout = None
        await self._run(_unlimit)
        await self.command(self._query_only_reset())

    def _query_only_reset(self) -> str:
        # A store opened with ?mode=ro keeps query_only on for the life of the link.
        return f"PRAGMA query_only = {int(self._driver.read_only)}"

    def abort(self) -> None:
        if not self.broken:
            self.broken = True
            self._driver._discard(self.raw)

    async def _run(self, fn: Callable[[sqlite3.Connection], T], sql: str = "") -> T:
        # aiosqlite's _execute runs fn in the connection's thread: one hop per verb instead of several.
        db = self.raw._connection
        if db is None or self.broken:
            raise ConnectionLost("the sqlite connection is closed (a call on it was cancelled)")
        if self._timeout is not None:
            fn = _limited(fn, self._timeout)
        if self.pending_begin:
            fn = _after(self.pending_begin, fn)
            self.pending_begin = ""
        if self._waiting is not None:
            fn = _signalled(fn, *self._waiting)
            self._waiting = None
        try:
            result: T = await self.raw._execute(fn, db)  # type: ignore[no-untyped-call]
            return result
        except Exception as e:
            raise translate(e, sql, closed=self.raw._connection is None) from e
        except BaseException:
            # The function still runs in the worker thread (a BEGIN IMMEDIATE may yet take the lock): only a
            # close queued behind it leaves no transaction open.
            self.abort()
            raise

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        return await self._run(lambda db: db.execute(sql, args).rowcount, sql)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        return await self._run(lambda db: db.executemany(sql, rows).rowcount, sql)

    async def while_writing(self, write: Coroutine[Any, Any, T], work: Iterator[object]) -> T:
        # The work shares the GIL with the connection's worker thread, which needs it around each call into SQLite
        # (binding the parameters, and after every step of the engine, which runs without it). A thread that
        # waits for the GIL gets it only when the holder lets go, at the latest after the switch interval (5 ms):
        # work run in one go would stall the statement by that much at each such point (measured: a 10 ms
        # INSERT took 21 ms next to 10 ms of float building). So each step of the work is followed by a short
        # sleep, which hands the GIL over to the worker if it waits; the work starts once the worker's call has
        # begun and stops when it has returned (what is left goes on during the COMMIT: see transaction).
        loop = asyncio.get_running_loop()
        underway: asyncio.Future[None] = loop.create_future()
        ended = threading.Event()
        self._waiting = (underway, ended)
        task = asyncio.ensure_future(write)
        first: list[asyncio.Future[Any]] = [task, underway]
        try:
            await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                self.leftover = _steps(work, ended)
        except BaseException:
            task.cancel()
            await asyncio.wait([task])
            raise
        finally:
            self._waiting = None
            underway.cancel()
        return await task

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return await self._run(lambda db: db.execute(sql, args).fetchall(), sql)

    async def set_statement(self, q: Query, rows: Sequence[Sequence[Any]]) -> int:
        # One INSERT with a VALUES row per item (as many as SQLite's parameter limit allows per statement): a
        # statement is one step of the engine, with the GIL released, and one flush of FTS5's pending terms, which
        # executemany pays once per row (three times slower on the memories' full-text index).
        parts = multi_row(q.compiled.sql)
        if parts is None:  # parse_sql_file refuses such a `name[]` query
            raise DatabaseError(f"query {q.name} is not a one-row INSERT ... VALUES")
        head, one, tail = parts
        width = one.count("?")

        def run(db: sqlite3.Connection) -> int:
            most = max(1, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
            # More rows than one statement takes, outside a transaction: a transaction of their own, all or none.
            own = len(rows) > most and not db.in_transaction
            if own:
                db.execute(self.begin_sql)
            try:
                n = 0
                for i in range(0, len(rows), most):
                    chunk = rows[i : i + most]
                    sql = head + ", ".join([one] * len(chunk)) + tail
                    args = list(itertools.chain.from_iterable(chunk))
                    n += db.execute(sql, args).rowcount
            except BaseException:
                if own:
                    db.execute("ROLLBACK")
                raise
            if own:
                db.execute("COMMIT")
            return n

        return await self._run(run, q.compiled.sql)

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


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _limited(fn: Callable[[sqlite3.Connection], T], seconds: float) -> Callable[[sqlite3.Connection], T]:
    """`fn` with a deadline: the progress handler interrupts it (SQLITE_INTERRUPT) once `seconds` have passed."""

    def run(db: sqlite3.Connection) -> T:
        deadline = time.monotonic() + seconds
        db.set_progress_handler(lambda: time.monotonic() > deadline, _PROGRESS_STEPS)
        return fn(db)

    return run


def _after(begin: str, fn: Callable[[sqlite3.Connection], T]) -> Callable[[sqlite3.Connection], T]:
    def both(db: sqlite3.Connection) -> T:
        db.execute(begin)
        return fn(db)

    return both


# The sleep after each step of a batch's alongside work: long enough for the worker thread, when it waits for the
# GIL, to take it (a thread wakes in tens of microseconds here), short enough to cost little (under a millisecond for
# a batch's dozens of steps).
_NAP = 0.00002


def _signalled(
    fn: Callable[[sqlite3.Connection], T], underway: asyncio.Future[None], ended: threading.Event
) -> Callable[[sqlite3.Connection], T]:
    """`fn` telling while_writing, from the worker thread, when it starts and when it has returned."""
    loop = underway.get_loop()

    def run(db: sqlite3.Connection) -> T:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(_resolve, underway)
        try:
            return fn(db)
        finally:
            ended.set()

    return run


def _steps(work: Iterator[object], ended: threading.Event) -> Iterator[object] | None:
    """Run steps of `work` until the worker's call has returned, each followed by a sleep short enough to cost
    little and long enough to hand the GIL over (see while_writing); the rest of the work, or None when done."""
    nap = time.sleep
    for _ in work:
        if ended.is_set():
            return work
        nap(_NAP)
    return None


def _unlimit(db: sqlite3.Connection) -> None:
    db.set_progress_handler(None, 0)


def _fetchone(db: sqlite3.Connection, sql: str, args: Sequence[Any]) -> Row | None:
    row: Row | None = db.execute(sql, args).fetchone()
    return row


# The last whole second ts_out formatted, and its text up to the microseconds: one tuple, so that a thread reads a
# pair that belongs together.
_last_second: tuple[datetime, str] = (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01 00:00:00.")


def ts_out(v: datetime) -> str:
    # TS_FORMAT (six digits always, years 1000-9999). The times a batch writes mostly fall in one second: its text
    # is kept, so a time in that second costs a subtraction and six digits (0.6 us instead of 1.2 us).
    global _last_second
    if v.tzinfo is not UTC:
        v = v.astimezone(UTC)
    base, head = _last_second
    d = v - base
    if not d.days and not d.seconds:
        return "%s%06d" % (head, d.microseconds)  # noqa: UP031 - %-formatting is the fastest here
    # %-formatting the fields: two thirds of the cost of an aware datetime's isoformat, a fifth of strftime's.
    head = "%04d-%02d-%02d %02d:%02d:%02d." % (v.year, v.month, v.day, v.hour, v.minute, v.second)  # noqa: UP031
    _last_second = (v.replace(microsecond=0), head)
    return "%s%06d" % (head, v.microsecond)  # noqa: UP031


def ts_in(v: str) -> datetime:
    # Parsing the offset is five times cheaper than .replace(tzinfo=UTC), and gives the same UTC singleton.
    return datetime.fromisoformat(v + "+00:00")


class LiteDriver(Driver):
    dialect = "sqlite"
    style = "qmark"
    # One writer at a time (BEGIN IMMEDIATE): there is nothing to skip, and no notifications. Partial indexes, all
    # B-trees, each built under the write lock. Full text: FTS5 (built into the sqlite3 of every CPython here).
    capabilities = Capabilities(
        update_returning=True,
        skip_locked=False,
        listen_notify=False,
        row_locks=False,
        full_text=True,
        partial_indexes=True,
        index_methods=("btree",),
        online_index_builds=False,
    )
    ts_out = staticmethod(ts_out)
    ts_in = staticmethod(ts_in)

    def __init__(self, path: str, *, max_size: int, busy_timeout_ms: int = 30000, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self.max_size = max_size
        self.busy_timeout_ms = busy_timeout_ms
        self._idle: collections.deque[aiosqlite.Connection] = collections.deque()
        self._slots = asyncio.Semaphore(max_size)
        self._open = False
        # Connections discarded while a cancelled call may still run in their thread: close() waits for them.
        self._closing: set[asyncio.Future[Any]] = set()

    def _pragmas(self) -> tuple[str, ...]:
        if self.read_only:  # the journal mode is the writer's to choose; a read-only link only waits and reads
            return (f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}", "PRAGMA query_only=ON")
        return (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}",
            "PRAGMA foreign_keys=ON",
        )

    async def _connect(self) -> aiosqlite.Connection:
        # Opening and setting up run as one call in the new worker thread. A caller cancelled meanwhile never sees
        # the sqlite3 connection, so the thread side closes it itself once it learns the caller is gone.
        guard = threading.Lock()
        state: dict[str, Any] = {"abandoned": False, "db": None}
        path, pragmas, uri = self.path, self._pragmas(), self.read_only

        def connector() -> sqlite3.Connection:
            target = f"file:{quote(str(Path(path).resolve()))}?mode=ro" if uri else path
            db = sqlite3.connect(target, isolation_level=None, check_same_thread=False, uri=uri)
            try:
                for p in pragmas:
                    db.execute(p)
            except BaseException:
                db.close()
                raise
            with guard:
                if state["abandoned"]:
                    db.close()
                    raise sqlite3.OperationalError("connect abandoned by a cancelled caller")
                state["db"] = db
            return db

        conn = aiosqlite.Connection(connector, 64)
        try:
            await conn
        except BaseException as e:
            with guard:
                state["abandoned"] = True
                db = state["db"]
            if db is not None:  # connected, but the answer was lost to the cancellation
                db.close()
            # aiosqlite queued the stop of its thread; close() waits for it.
            self._track(conn)
            if isinstance(e, Exception):
                raise translate(e) from e
            raise
        return conn

    def _track(self, conn: aiosqlite.Connection) -> None:
        thread = conn._thread
        if not thread.is_alive():
            return
        fut = asyncio.ensure_future(asyncio.to_thread(thread.join))
        self._closing.add(fut)
        fut.add_done_callback(self._closing.discard)

    def _discard(self, raw: aiosqlite.Connection) -> None:
        """Close a connection behind whatever its worker thread still runs (closing rolls back an open transaction);
        never lend it again."""
        if raw._running:
            raw.stop()
        self._track(raw)

    async def open(self) -> None:
        parent = Path(self.path).parent
        if not parent.is_dir():
            raise ConnectionLost(f"sqlite: folder {parent} does not exist")
        self._idle.append(await self._connect())
        self._open = True

    async def close(self) -> None:
        """Close idle connections now and busy ones as they come back; callers waiting for a slot fail; wait for
        the threads of connections discarded after a cancellation."""
        self._open = False
        idle, self._idle = self._idle, collections.deque()
        for c in idle:
            await _close_quietly(c)
        # One extra slot wakes the first waiter, which sees the store closed and passes the slot on.
        self._slots.release()
        while self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)

    async def _get(self) -> aiosqlite.Connection:
        if not self._open:
            raise ConnectionLost("the store is closed")
        await self._slots.acquire()
        if not self._open:
            self._slots.release()
            raise ConnectionLost("the store is closed")
        if self._idle:
            return self._idle.pop()
        try:
            return await self._connect()
        except BaseException:
            self._slots.release()
            raise

    async def _give_back(self, raw: aiosqlite.Connection, *, broken: bool = False) -> None:
        try:
            if broken:
                self._discard(raw)
                return
            if not self._open:
                await _close_quietly(raw)
                return
            # Nothing runs in the thread now (every verb was awaited), so in_transaction is exact: a connection
            # left inside a transaction (a failed rollback) is cleaned before reuse.
            if raw.in_transaction:
                await raw.rollback()
            self._idle.append(raw)
        except Exception:
            await _close_quietly(raw)
        except BaseException:
            self._discard(raw)
            raise
        finally:
            self._slots.release()

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[LiteConnection]:
        raw = await self._get()
        conn = LiteConnection(raw, self)
        try:
            yield conn
        except BaseException as e:
            await self._give_back(raw, broken=conn.broken or not isinstance(e, Exception))
            raise
        await self._give_back(raw, broken=conn.broken)

    async def fetchrow_once(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        # The hottest read path: no generator-based context manager and one call into the worker thread,
        # which together save about a third of an aiosqlite point read.
        if self._open and self._idle and not self._slots.locked():
            await self._slots.acquire()  # free slot: returns at once
            raw = self._idle.pop()
        else:
            raw = await self._get()
        t = time.perf_counter()
        try:
            db = raw._connection
            if db is None:
                raise ConnectionLost("the sqlite connection is closed")
            sql, args = q.compiled.render(values, "qmark")
            row: Row | None = await raw._execute(_fetchone, db, sql, args)  # type: ignore[no-untyped-call]
        except BaseException as e:
            await self._give_back(raw, broken=not isinstance(e, Exception))
            if isinstance(e, Exception):
                raise translate(e, q.compiled.sql, closed=raw._connection is None) from e
            raise
        if self._open and not db.in_transaction:
            self._idle.append(raw)
            self._slots.release()
        else:
            await self._give_back(raw)
        _trace(q.name, t)
        return row


async def _close_quietly(conn: aiosqlite.Connection) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection must not hide anything else
        await conn.close()
    # close() returns once the thread has closed the file, a moment before the thread ends: wait for that too,
    # so that nothing of a closed store outlives it.
    if conn._thread.is_alive():
        await asyncio.to_thread(conn._thread.join)

"""aiomysql (MySQL and MariaDB): an autocommit pool (no stale snapshots), UTC sessions, errno-based mapping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiomysql
import pymysql

from ..errors import (
    Conflict,
    ConnectionLost,
    DatabaseError,
    Deadlock,
    InvalidInput,
    LockTimeout,
    NotFound,
    RawstoreError,
    ReadOnly,
    SerializationFailure,
    StatementTimeout,
)
from ..sqlfiles import Query
from .base import Capabilities, Connection, Driver, Row, missing_table

# MySQL/MariaDB error numbers -> error. Numbers, never message text, decide.
_CODES: dict[int, Callable[[str], RawstoreError]] = {
    1062: Conflict,  # ER_DUP_ENTRY
    1451: Conflict,  # ER_ROW_IS_REFERENCED_2: the row is still referenced
    1452: NotFound,  # ER_NO_REFERENCED_ROW_2: the referenced row is missing
    1213: Deadlock,  # ER_LOCK_DEADLOCK
    1205: LockTimeout,  # ER_LOCK_WAIT_TIMEOUT (innodb_lock_wait_timeout, NOWAIT)
    3572: LockTimeout,  # ER_LOCK_NOWAIT (MySQL 8)
    1792: ReadOnly,  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
    1969: StatementTimeout,  # ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
    3024: StatementTimeout,  # ER_QUERY_TIMEOUT (MySQL max_execution_time)
    1020: SerializationFailure,  # ER_CHECKREAD: changed since the snapshot (MariaDB innodb_snapshot_isolation)
    **dict.fromkeys((1264, 1366, 1406, 1292, 3140, 4025, 4078, 3819, 1048), InvalidInput),
    # Unreachable server, dropped link, server gone away or shutting down, bad credentials, unknown database.
    **dict.fromkeys((2003, 2006, 2013, 2014, 2045, 2055, 1053, 1927, 1045, 1049), ConnectionLost),
}


def translate(exc: BaseException) -> RawstoreError:
    if isinstance(exc, RawstoreError):
        return exc
    msg = f"{type(exc).__name__}: {exc}"
    code = exc.args[0] if isinstance(exc, pymysql.err.Error) and exc.args and isinstance(exc.args[0], int) else 0
    if code == 1146 and ".rs_" in str(exc):  # ER_NO_SUCH_TABLE: only the kit's own tables get the hint
        return missing_table(msg)
    make = _CODES.get(code)
    if make is not None:
        return make(msg)
    if isinstance(exc, (OSError, asyncio.TimeoutError, pymysql.err.InterfaceError)):
        return ConnectionLost(msg)
    return DatabaseError(msg)


class MyConnection(Connection):
    dialect = "mysql"
    style = "format"
    begin_sql = "START TRANSACTION"
    begin_read_only_sql = "START TRANSACTION READ ONLY"
    # A session variable: it outlives the transaction, so end_read_only puts it back.
    timeout_sql = "SET SESSION max_statement_time = {s}"
    timeout_reset_sql = "SET SESSION max_statement_time = DEFAULT"

    def __init__(self, raw: aiomysql.Connection) -> None:
        super().__init__()
        self.raw = raw
        if "mariadb" not in str(raw.get_server_info()).lower():
            # MySQL names it max_execution_time, in milliseconds, and applies it to SELECTs only.
            self.timeout_sql = "SET SESSION max_execution_time = {ms}"
            self.timeout_reset_sql = "SET SESSION max_execution_time = DEFAULT"

    def abort(self) -> None:
        # close() drops the transport at once; the pool discards a closed connection when it comes back.
        self.broken = True
        self.raw.close()

    def fail(self, exc: Exception, sql: str) -> RawstoreError:
        err = translate(exc)
        if isinstance(err, ConnectionLost):
            self.abort()
        return err

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        with self.guard(sql):
            async with self.raw.cursor() as cur:
                return int(await cur.execute(sql, tuple(args)))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        with self.guard(sql):
            async with self.raw.cursor() as cur:
                await cur.executemany(sql, rows)
                return int(cur.rowcount)

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        with self.guard(sql):
            async with self.raw.cursor() as cur:
                await cur.execute(sql, tuple(args))
                return list(await cur.fetchall())

    async def fetchrow(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        with self.guard(sql):
            async with self.raw.cursor() as cur:
                await cur.execute(sql, tuple(args))
                row: Row | None = await cur.fetchone()
                return row

    async def fetch_named(self, sql: str, args: Sequence[Any] = ()) -> tuple[list[str], list[Row]]:
        with self.guard(sql):
            async with self.raw.cursor() as cur:
                await cur.execute(sql, tuple(args))
                names = [d[0] for d in cur.description or ()]
                return names, list(await cur.fetchall())

    async def command(self, sql: str) -> None:
        with self.guard(sql):
            async with self.raw.cursor() as cur:
                await cur.execute(sql)


def ts_out(v: datetime) -> datetime:
    return v.astimezone(UTC).replace(tzinfo=None)


def ts_in(v: datetime) -> datetime:
    return v.replace(tzinfo=UTC)


class MyDriver(Driver):
    dialect = "mysql"
    style = "format"
    # MariaDB has no RETURNING on UPDATE, no notifications, and no partial indexes; InnoDB builds a B-tree whatever
    # index type is asked for, and builds it online with LOCK=NONE. Full text: InnoDB FULLTEXT; no vector type
    # before MariaDB 11.7.
    capabilities = Capabilities(
        update_returning=False,
        skip_locked=True,
        listen_notify=False,
        row_locks=True,
        full_text=True,
        batch_binds_clock=True,
        partial_indexes=False,
        index_methods=("btree",),
        online_index_builds=True,
    )
    ts_out = staticmethod(ts_out)
    ts_in = staticmethod(ts_in)

    def __init__(self, params: dict[str, Any], *, min_size: int, max_size: int, connect_timeout: float) -> None:
        self.params = params
        self.min_size = min_size
        self.max_size = max_size
        self.connect_timeout = connect_timeout
        self.pool: aiomysql.Pool | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        try:
            # aiomysql's connect_timeout covers only the TCP connect, not a server that accepts and never greets.
            self.pool = await asyncio.wait_for(
                self._create_pool(), timeout=self.connect_timeout * max(1, self.min_size)
            )
        except Exception as e:
            raise translate(e) from e

    async def _create_pool(self) -> aiomysql.Pool:
        return await aiomysql.create_pool(
            minsize=self.min_size,
            maxsize=self.max_size,
            autocommit=True,
            charset="utf8mb4",
            connect_timeout=self.connect_timeout,
            init_command="SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            pool_recycle=3600,
            **self.params,
        )

    async def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            await self.pool.wait_closed()
            self.pool = None

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[MyConnection]:
        if self.pool is None:
            raise ConnectionLost("the store is closed")
        try:
            raw = await self.pool.acquire()
        except Exception as e:
            raise translate(e) from e
        conn = MyConnection(raw)
        try:
            yield conn
        except BaseException as e:
            _discard_if_unsafe(raw, e)
            raise
        finally:
            self._release(raw)

    async def fetchrow_once(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        # The hottest read path, without the generator-based context manager of `acquire`.
        pool = self.pool
        if pool is None:
            raise ConnectionLost("the store is closed")
        try:
            raw = await pool.acquire()
        except Exception as e:
            raise translate(e) from e
        try:
            return await MyConnection(raw).q_fetchrow(q, values)
        except BaseException as e:
            _discard_if_unsafe(raw, e)
            raise
        finally:
            self._release(raw)

    def _release(self, raw: aiomysql.Connection) -> None:
        pool = self.pool
        if pool is None:
            raw.close()
            return
        dropped = raw.closed or bool(raw.get_transaction_status())
        pool.release(raw)
        if dropped:
            # aiomysql wakes waiting acquirers only when a live connection comes back; after it drops one, a caller
            # queued for a free slot would wait forever.
            task = asyncio.get_running_loop().create_task(pool._wakeup())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


def _discard_if_unsafe(raw: aiomysql.Connection, exc: BaseException) -> None:
    # After a cancellation or a driver failure the connection may sit mid-protocol (an unread result): reusing it
    # would hang or mix answers. Closing it makes the pool drop it. Kit errors raised before or between
    # statements (InvalidInput, NotFound, Conflict) leave it clean.
    if isinstance(exc, RawstoreError) and not isinstance(exc, (ConnectionLost, DatabaseError)):
        return
    raw.close()

"""asyncpg: a pool, optional PgBouncer mode (no server-side statement cache), SQLSTATE-based error mapping."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from ..errors import Conflict, ConnectionLost, DatabaseError, InvalidInput, NotFound, RawstoreError
from ..sqlfiles import Query
from .base import Connection, Driver, Row, _trace


def translate(exc: BaseException) -> RawstoreError:
    if isinstance(exc, RawstoreError):
        return exc
    msg = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, asyncpg.UniqueViolationError):
        return Conflict(msg)
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        # "update or delete on table X violates ..." = the row is still referenced; otherwise a parent is missing.
        return Conflict(msg) if str(exc).startswith("update or delete") else NotFound(msg)
    if isinstance(exc, (asyncpg.DataError, asyncpg.CheckViolationError, asyncpg.NotNullViolationError)):
        return InvalidInput(msg)
    if isinstance(exc, asyncpg.exceptions.UntranslatableCharacterError):
        return InvalidInput(msg)
    if isinstance(
        exc,
        (
            OSError,
            asyncpg.PostgresConnectionError,
            asyncpg.ConnectionDoesNotExistError,
            asyncpg.exceptions.CannotConnectNowError,
            asyncpg.exceptions.ConnectionFailureError,
            asyncpg.exceptions.AdminShutdownError,
            asyncpg.exceptions.InvalidCatalogNameError,
            asyncpg.exceptions.InvalidAuthorizationSpecificationError,
            asyncpg.exceptions.InvalidPasswordError,
            TimeoutError,
        ),
    ):
        return ConnectionLost(msg)
    if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc):
        return ConnectionLost(msg)
    return DatabaseError(msg)


def _status_count(status: str) -> int:
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PgConnection(Connection):
    dialect = "postgres"
    style = "numeric"

    def __init__(self, raw: asyncpg.Connection) -> None:
        super().__init__()
        self.raw = raw

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        try:
            return _status_count(await self.raw.execute(sql, *args))
        except Exception as e:
            raise translate(e) from e

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            await self.raw.executemany(sql, rows)
        except Exception as e:
            raise translate(e) from e

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        try:
            rows: list[Row] = await self.raw.fetch(sql, *args)
            return rows
        except Exception as e:
            raise translate(e) from e

    async def fetchrow(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        try:
            row: Row | None = await self.raw.fetchrow(sql, *args)
            return row
        except Exception as e:
            raise translate(e) from e

    async def fetch_named(self, sql: str, args: Sequence[Any] = ()) -> tuple[list[str], list[Row]]:
        try:
            rows = await self.raw.fetch(sql, *args)
            return (list(rows[0].keys()) if rows else []), rows
        except Exception as e:
            raise translate(e) from e

    async def command(self, sql: str) -> None:
        try:
            await self.raw.execute(sql)
        except Exception as e:
            raise translate(e) from e


def _identity(v: Any) -> Any:
    return v


class PgDriver(Driver):
    dialect = "postgres"
    style = "numeric"
    ts_out = staticmethod(_identity)
    ts_in = staticmethod(_identity)

    def __init__(self, dsn: str, *, min_size: int, max_size: int, pgbouncer: bool, connect_timeout: float) -> None:
        self.dsn = dsn
        self.min_size = min_size
        self.max_size = max_size
        self.pgbouncer = pgbouncer
        self.connect_timeout = connect_timeout
        self.pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        try:
            self.pool = await asyncpg.create_pool(
                self.dsn,
                min_size=self.min_size,
                max_size=self.max_size,
                statement_cache_size=0 if self.pgbouncer else 256,
                timeout=self.connect_timeout,
                server_settings={} if self.pgbouncer else {"timezone": "UTC"},
            )
        except Exception as e:
            raise translate(e) from e

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[PgConnection]:
        if self.pool is None:
            raise ConnectionLost("the store is closed")
        try:
            raw = await self.pool.acquire()
        except Exception as e:
            raise translate(e) from e
        try:
            yield PgConnection(raw)
        finally:
            await self.pool.release(raw)

    async def fetchrow_once(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        # The pool's own fetchrow skips a context-manager layer on the hottest read path.
        if self.pool is None:
            raise ConnectionLost("the store is closed")
        t = time.perf_counter()
        try:
            row: Row | None = await self.pool.fetchrow(q.compiled.sql, *q.compiled.args(values))
            _trace(q.name, t)
            return row
        except RawstoreError:
            raise
        except Exception as e:
            raise translate(e) from e

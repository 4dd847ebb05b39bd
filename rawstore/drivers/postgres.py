"""asyncpg: a pool, optional PgBouncer mode (no server-side statement cache), SQLSTATE-based error mapping."""

from __future__ import annotations

import asyncio
import collections
import struct
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec

from ..errors import (
    ConfigError,
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
from ..sqlfiles import CopyTarget, Query
from .base import Capabilities, Connection, Driver, Listener, Row, _trace, deletes, missing_table

# SQLSTATE -> error, exact codes first, then two-character classes. Codes, never message text, decide.
_PG_CODES: dict[str, Callable[[str], RawstoreError]] = {
    "23505": Conflict,  # unique_violation
    "23P01": Conflict,  # exclusion_violation
    "23502": InvalidInput,  # not_null_violation
    "23514": InvalidInput,  # check_violation
    "40P01": Deadlock,  # deadlock_detected
    "40001": SerializationFailure,  # serialization_failure
    "55P03": LockTimeout,  # lock_not_available (lock_timeout, NOWAIT)
    "25006": ReadOnly,  # read_only_sql_transaction
    "57014": StatementTimeout,  # query_canceled (statement_timeout)
    "57P01": ConnectionLost,  # admin_shutdown
    "57P02": ConnectionLost,  # crash_shutdown
    "57P03": ConnectionLost,  # cannot_connect_now
    "53300": ConnectionLost,  # too_many_connections
    "3D000": ConnectionLost,  # invalid_catalog_name: the URL's database does not exist
}
_PG_CLASSES: dict[str, Callable[[str], RawstoreError]] = {
    "22": InvalidInput,  # data exceptions (bad encoding, out of range, invalid JSON text, ...)
    "08": ConnectionLost,  # connection exceptions, protocol violations included
    "28": ConnectionLost,  # invalid authorization
}


def translate(exc: BaseException, sql: str = "", *, closed: bool = False) -> RawstoreError:
    """The RawstoreError for an asyncpg (or socket) error; `sql` is the statement that failed, `closed` whether the
    connection it ran on is closed now."""
    if isinstance(exc, RawstoreError):
        return exc
    msg = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        if state == "23503":  # foreign_key_violation
            return Conflict(msg) if deletes(sql) else NotFound(msg)
        if state == "42P01" and "rs_" in str(exc):  # undefined_table: only the kit's own tables get the hint
            return missing_table(msg)
        make = _PG_CODES.get(state) or _PG_CLASSES.get(state[:2])
        return make(msg) if make is not None else DatabaseError(msg)
    if isinstance(exc, (OSError, TimeoutError, asyncpg.exceptions.ConnectionDoesNotExistError)):
        return ConnectionLost(msg)
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        # The protocol is out of step with the server (an unsolicited ErrorResponse from a proxy, say): the link
        # cannot be trusted with another statement.
        return ConnectionLost(msg)
    if isinstance(exc, asyncpg.InterfaceError) and closed:
        return ConnectionLost(msg)
    return DatabaseError(msg)


def _status_count(status: str) -> int:
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PgConnection(Connection):
    dialect = "postgres"
    style = "numeric"
    # Local to the transaction, so a connection PgBouncer hands to the next client carries no tenant.
    tenant_setting_sql = "SELECT set_config('rawstore.tenant_id', $1, true)"
    joins_statements = True

    def __init__(self, raw: asyncpg.Connection) -> None:
        super().__init__()
        self.raw = raw

    def abort(self) -> None:
        # No more verbs here; the pool settles the session in the background (asyncpg cancels the statement in
        # flight, then a ROLLBACK ends whatever transaction it left) before lending it again.
        self.broken = True

    def fail(self, exc: Exception, sql: str) -> RawstoreError:
        err = translate(exc, sql, closed=self.raw.is_closed())
        if isinstance(err, ConnectionLost):
            # asyncpg can keep a link whose protocol is out of step (an unsolicited ErrorResponse) looking open.
            self.broken = True
            self.raw.terminate()
        return err

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        with self.guard(sql):
            return _status_count(await self.raw.execute(sql, *args))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        with self.guard(sql):
            await self.raw.executemany(sql, rows)
            return -1

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        with self.guard(sql):
            rows: list[Row] = await self.raw.fetch(sql, *args)
            return rows

    async def copy_rows(self, target: CopyTarget, rows: Sequence[Sequence[Any]]) -> int:
        # Binary COPY: asyncpg encodes each row by the columns' types (read once by a cached one-row SELECT of the
        # columns) and streams the buffer while it encodes, so the server parses nothing.
        with self.guard(f"COPY {target.table}"):
            status = await self.raw.copy_records_to_table(
                target.table, records=rows, columns=list(target.columns), schema_name=target.schema
            )
            return _status_count(status)

    async def fetchrow(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        with self.guard(sql):
            row: Row | None = await self.raw.fetchrow(sql, *args)
            return row

    async def fetch_named(self, sql: str, args: Sequence[Any] = ()) -> tuple[list[str], list[Row]]:
        with self.guard(sql):
            rows = await self.raw.fetch(sql, *args)
            return (list(rows[0].keys()) if rows else []), rows

    async def command(self, sql: str) -> None:
        with self.guard(sql):
            await self.raw.execute(sql)


class _PgListener(Listener):
    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def alive(self) -> bool:
        return not self.raw.is_closed()

    async def close(self) -> None:
        if self.raw.is_closed():
            return
        try:
            await self.raw.close(timeout=5)
        except Exception:
            self.raw.terminate()


def _identity(v: Any) -> Any:
    return v


_VECTOR_HEAD = struct.Struct(">HH")


def _vector_out(value: Any) -> bytes:
    """A `vector` parameter in pgvector's binary form (dimension, a zero, big-endian float32 values): bytes already
    in that form (how rawstore sends them), a '[1,2,3]' string or any sequence of numbers (the application's own)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        inner = value.strip().removeprefix("[").removesuffix("]")
        value = [float(x) for x in inner.split(",")] if inner.strip() else []
    items = [float(x) for x in value]
    return _VECTOR_HEAD.pack(len(items), 0) + struct.pack(f">{len(items)}f", *items)


def _vector_in(data: bytes) -> tuple[float, ...]:
    """A `vector` value as a tuple of floats."""
    dims, _ = _VECTOR_HEAD.unpack_from(data)
    values: tuple[float, ...] = struct.unpack_from(f">{dims}f", data, 4)
    return values


async def _vector_codec(raw: Any, schema: str) -> None:
    # Binary: rawstore's bulk inserts send vectors as ready-made bytes, not as text to format and parse.
    await raw.set_type_codec("vector", schema=schema, encoder=_vector_out, decoder=_vector_in, format="binary")


# The index access methods store.schema.create_index offers on PostgreSQL (btree first: the default).
PG_INDEX_METHODS = ("btree", "hash", "gin", "gist", "brin")


def capabilities(pgbouncer: bool, *, direct_listen: bool = False) -> Capabilities:
    """PostgreSQL's: everything, but notifications through PgBouncer (transaction pooling) only when a direct URL
    is there for the listening session. `vector` is set by `PgDriver.open()` when the database has pgvector."""
    return Capabilities(
        update_returning=True,
        skip_locked=True,
        listen_notify=not pgbouncer or direct_listen,
        row_locks=True,
        full_text=True,
        partial_indexes=True,
        index_methods=PG_INDEX_METHODS,
        online_index_builds=True,
        row_level_security=True,
        copy_from=True,
    )


class PgDriver(Driver):
    """A small pool of its own: asyncpg's Pool resets every connection it takes back (one more round trip,
    `RESET ALL; UNLISTEN *; CLOSE ALL; ...`) and releases through a shielded task, which together cost more than
    the point read itself. Kit SQL leaves no session state, so only a connection that ran the application's own
    SQL is reset."""

    dialect = "postgres"
    style = "numeric"
    # Local to the transaction, so a connection PgBouncer hands to the next client carries no tenant.
    tenant_setting_sql = "SELECT set_config('rawstore.tenant_id', $1, true)"
    ts_out = staticmethod(_identity)
    ts_in = staticmethod(_identity)

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int,
        max_size: int,
        pgbouncer: bool,
        connect_timeout: float,
        listen_dsn: str | None = None,
    ) -> None:
        self.dsn = dsn
        # LISTEN needs a session of its own: through PgBouncer's transaction pooling it would land on any server, so
        # behind a pooler it opens on the direct URL when there is one.
        self.listen_dsn = listen_dsn if listen_dsn is not None else (None if pgbouncer else dsn)
        self.min_size = min_size
        self.max_size = max_size
        self.pgbouncer = pgbouncer
        self.capabilities = capabilities(pgbouncer, direct_listen=listen_dsn is not None)
        self.connect_timeout = connect_timeout
        self._idle: collections.deque[Any] = collections.deque()
        self._waiters: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._size = 0
        self._open = False
        self._settling: set[asyncio.Task[None]] = set()
        # The schema of the vector extension (pgvector), found by open(); None when the database has none.
        self.vector_schema: str | None = None

    async def _connect(self) -> Any:
        raw = await self._connect_raw()
        if self.vector_schema is not None:
            await _vector_codec(raw, self.vector_schema)
        return raw

    async def _detect_vector(self) -> None:
        """Look for the vector extension once, on a pooled connection (opening one if the pool holds none)."""
        if not self._idle:
            self._idle.append(await self._connect_raw())
            self._size += 1
        schema = await self._idle[0].fetchval(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'vector'"
        )
        if schema is None:
            return
        for raw in self._idle:
            await _vector_codec(raw, schema)
        self.vector_schema = schema
        self.capabilities = msgspec.structs.replace(self.capabilities, vector=True)

    async def _connect_raw(self) -> Any:
        try:
            return await asyncpg.connect(
                self.dsn,
                statement_cache_size=0 if self.pgbouncer else 256,
                timeout=self.connect_timeout,
                # Generic plans: a tenant the statistics have not seen yet is estimated at ~1 row, and the planner
                # then answers `tenant_id = $1 AND id = ANY($2)` by walking all the tenant's thread-index entries
                # (O(rows) per lookup); custom plans also re-plan every `= ANY($n)` query on each call (~0.1 ms).
                server_settings={} if self.pgbouncer else {"timezone": "UTC", "plan_cache_mode": "force_generic_plan"},
            )
        except asyncpg.exceptions.ProtocolViolationError as e:
            # At startup the only protocol violation a server reports is a refused startup parameter: PgBouncer
            # refuses the session settings a direct connection gets.
            if self.pgbouncer:
                raise
            raise ConfigError(
                f"{type(e).__name__}: {e} (is this URL a PgBouncer? connect with pgbouncer=True, which sends no"
                " session settings and caches no prepared statements)"
            ) from e

    async def listen(self, channel: str, callback: Callable[[str], None]) -> Listener | None:
        if self.listen_dsn is None:
            return None
        try:
            raw = await asyncpg.connect(self.listen_dsn, timeout=self.connect_timeout)
            await raw.add_listener(channel, lambda _c, _pid, _ch, payload: callback(payload))
        except Exception as e:
            raise translate(e) from e
        return _PgListener(raw)

    async def open(self) -> None:
        self._open = True
        try:
            for _ in range(self.min_size):
                self._idle.append(await self._connect())
                self._size += 1
            await self._detect_vector()
        except Exception as e:
            await self.close()
            raise translate(e) from e

    async def close(self) -> None:
        self._open = False
        if self._settling:  # each ends within connect_timeout; a settled connection is closed as it comes back
            await asyncio.gather(*list(self._settling), return_exceptions=True)
        idle, self._idle = self._idle, collections.deque()
        for raw in idle:
            try:
                await raw.close(timeout=5)
            except Exception:
                raw.terminate()
        self._size = 0
        while self._waiters:
            w = self._waiters.popleft()
            if not w.done():
                w.set_exception(ConnectionLost("the store is closed"))

    async def _get(self) -> Any:
        while True:
            if not self._open:
                raise ConnectionLost("the store is closed")
            while self._idle:
                raw = self._idle.pop()
                if not raw.is_closed():
                    return raw
                self._size -= 1
            if self._size < self.max_size:
                self._size += 1
                try:
                    return await self._connect()
                except BaseException as e:
                    self._size -= 1
                    if isinstance(e, Exception):
                        raise translate(e) from e
                    raise
            fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                raw = await fut
            except BaseException:
                if fut.done() and not fut.cancelled() and fut.exception() is None and fut.result() is not None:
                    self._put(fut.result())
                elif not fut.done():
                    self._waiters.remove(fut)
                raise
            if raw is not None:
                return raw
            # None: a connection was dropped, so a slot is free; loop to open a new one.

    def _put(self, raw: Any) -> None:
        while self._waiters:
            w = self._waiters.popleft()
            if not w.done():
                w.set_result(raw)
                return
        if self._open:
            self._idle.append(raw)
        else:
            raw.terminate()

    def _drop(self, raw: Any) -> None:
        raw.terminate()
        self._size -= 1
        while self._waiters:
            w = self._waiters.popleft()
            if not w.done():
                w.set_result(None)
                return

    async def _release(self, raw: Any, *, dirty: bool) -> None:
        # Never raises an Exception: the caller's work is done (or its own error matters more); a connection that
        # cannot be cleaned is simply dropped.
        try:
            if raw.is_closed():
                self._drop(raw)
                return
            if raw.is_in_transaction():
                await raw.execute("ROLLBACK")
            if dirty:
                await raw.reset()
        except Exception:
            self._drop(raw)
            return
        except BaseException:
            self._drop(raw)
            raise
        self._put(raw)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[PgConnection]:
        raw = await self._get()
        conn = PgConnection(raw)
        try:
            yield conn
        except BaseException as e:
            if conn.broken or not isinstance(e, Exception):
                self._settle(raw)
            else:
                await self._release(raw, dirty=True)
            raise
        if conn.broken:  # a cancelled call inside, caught by the holder
            self._settle(raw)
        else:
            await self._release(raw, dirty=conn.app_sql)

    def _settle(self, raw: Any) -> None:
        """Reset a connection whose holder was cancelled at an unknown point, off the caller's path.

        is_in_transaction() cannot be trusted while a statement (a BEGIN, say) may still be answered. A ROLLBACK
        queued behind it (asyncpg first waits for the cancelled statement to end) leaves the session outside any
        transaction whatever that statement did; only then is the connection lent again.
        """
        if raw.is_closed():
            self._drop(raw)
            return
        task = asyncio.get_running_loop().create_task(self._settled(raw))
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def _settled(self, raw: Any) -> None:
        try:
            async with asyncio.timeout(self.connect_timeout):
                await raw.execute("ROLLBACK")
                await raw.reset()
        except BaseException:
            self._drop(raw)
            return
        if raw.is_in_transaction() or raw.is_closed():
            self._drop(raw)
        else:
            self._put(raw)

    async def fetchrow_once(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        raw = self._idle.pop() if self._idle and self._open else None
        if raw is None or raw.is_closed():
            if raw is not None:
                self._size -= 1
            raw = await self._get()
        t = time.perf_counter()
        try:
            sql, args = q.compiled.render(values, "numeric")
            row: Row | None = await raw.fetchrow(sql, *args)
        except BaseException as e:
            err = translate(e, q.compiled.sql, closed=raw.is_closed()) if isinstance(e, Exception) else None
            if err is None:
                self._settle(raw)
            elif isinstance(err, ConnectionLost) or raw.is_closed():
                self._drop(raw)
            else:
                await self._release(raw, dirty=False)
            if err is not None and err is not e:
                raise err from e
            raise
        if raw.is_closed():
            self._drop(raw)
        else:
            self._put(raw)
        _trace(q.name, t)
        return row

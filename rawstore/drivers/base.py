"""The driver contract: a pool of connections with asyncpg-like verbs, rows as sequences, errors translated."""

from __future__ import annotations

import abc
import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from ..errors import ConfigError, ConnectionLost, DatabaseError
from ..queryset import Bound
from ..sqlfiles import CopyTarget, Dialect, Query, Style, compile_sql

log = logging.getLogger("rawstore")
R = TypeVar("R")
T = TypeVar("T")
Row = Sequence[Any]


class Connection(abc.ABC):
    """One database connection. Parameters arrive already positional; rows leave as sequences."""

    dialect: Dialect
    style: Style
    begin_sql = "BEGIN"
    # Whether one command may hold several statements (PostgreSQL's simple query protocol).
    joins_statements = False
    # Whether a transaction's BEGIN may wait for its first statement and go in the same call (see `pending_begin`).
    defers_begin = False
    begin_read_only_sql = "BEGIN READ ONLY"
    # A statement timeout for the rest of the transaction: `{ms}` milliseconds or `{s}` seconds, filled with numbers.
    timeout_sql = "SET LOCAL statement_timeout = {ms}"
    # Resets a timeout that outlives the transaction (a session variable); empty when it ends with it.
    timeout_reset_sql = ""

    def __init__(self) -> None:
        self._depth = 0
        # Set once the application's own SQL ran here: only then may the session hold state (SET, LISTEN, ...).
        self.app_sql = False
        # Set by abort(): the link is closed and the pool discards it.
        self.broken = False
        # A BEGIN not sent yet (drivers that defer it): the next statement sends it first, in the same call.
        self.pending_begin = ""
        # Work a batch's `alongside` left undone when its statement ended: it goes on while the COMMIT runs.
        self.leftover: Iterator[object] | None = None

    @abc.abstractmethod
    def abort(self) -> None:
        """Close the link at once, without a round trip; later verbs raise ConnectionLost.

        Called when a verb is cancelled (or the link fails) at an unknown point: a statement may still be in flight
        and its answer (a BEGIN's, say) may yet arrive, so the session's state is unknowable. Closing it is the only
        safe reset: the server rolls back whatever transaction the session held, and the pool never lends it again.
        """

    def fail(self, exc: Exception, sql: str) -> Exception:
        """The RawstoreError a driver exception from `sql` leaves as (drivers translate by their codes)."""
        return exc

    def guard(self, sql: str) -> _Guard:
        """Around one verb: refuses a broken link, translates the driver's errors, and aborts the link when the
        verb is cancelled (or otherwise interrupted) at an unknown point."""
        if self.broken:
            raise ConnectionLost("a call on this connection was cancelled or failed; its transaction is rolled back")
        return _Guard(self, sql)

    @abc.abstractmethod
    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement for every row, in the driver's fastest batch form; the rows changed (-1: unknown)."""

    @abc.abstractmethod
    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        """All rows of a query."""

    @abc.abstractmethod
    async def fetchrow(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        """The first row of a query, or None."""

    @abc.abstractmethod
    async def fetch_named(self, sql: str, args: Sequence[Any] = ()) -> tuple[list[str], list[Row]]:
        """Column names and all rows of a query."""

    @abc.abstractmethod
    async def command(self, sql: str) -> None:
        """A statement without parameters (transaction control)."""

    # -- named queries -------------------------------------------------------------------------------

    async def q_execute(self, q: Query, values: Mapping[str, Any]) -> int:
        sql, args = q.compiled.render(values, self.style)
        t = time.perf_counter()
        n = await self.execute(sql, args)
        _trace(q.name, t)
        return n

    async def q_fetch(self, q: Query, values: Mapping[str, Any]) -> list[Row]:
        sql, args = q.compiled.render(values, self.style)
        t = time.perf_counter()
        rows = await self.fetch(sql, args)
        _trace(q.name, t)
        return rows

    async def q_fetchrow(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        sql, args = q.compiled.render(values, self.style)
        t = time.perf_counter()
        row = await self.fetchrow(sql, args)
        _trace(q.name, t)
        return row

    async def q_batch_rows(self, q: Query, rows: Sequence[Sequence[Any]]) -> int:
        """Write many rows (positional, in the query's parameter order) atomically, in one round trip where the
        driver allows; the rows changed.

        A batch with a COPY form streams its rows by COPY; `name[]` queries are one statement for the whole batch
        (`set_statement`); others go through executemany.
        """
        if not rows:
            return 0
        t = time.perf_counter()
        c = q.compiled
        if q.copy is not None:
            n = await self.copy_rows(q.copy, rows)
        elif q.array_batch:
            n = await self.set_statement(q, rows)
        elif self._depth == 0 and len(rows) > 1:
            # executemany is several statements on some drivers (aiomysql splits at 1 MB, sqlite3 runs one per row):
            # all rows or none.
            async with self.transaction():
                n = await self.executemany(c.sql, rows)
        else:
            n = await self.executemany(c.sql, rows)
        _trace(q.name, t)
        return n

    async def set_statement(self, q: Query, rows: Sequence[Sequence[Any]]) -> int:
        """A `name[]` batch as one statement: here one list per column (PostgreSQL `unnest`)."""
        return await self.execute(q.compiled.sql, [list(col) for col in zip(*rows, strict=True)])

    async def copy_rows(self, target: CopyTarget, rows: Sequence[Sequence[Any]]) -> int:
        """Stream rows (in `target.columns` order) into a table by COPY; the rows written. Only drivers whose
        capabilities include `copy_from` have it (queries keep no COPY form elsewhere: see load_queries)."""
        raise ConfigError(f"{type(self).__name__} has no COPY (a query kept its [copy] form on a driver without it)")

    # -- declared queries: rows decoded to their records ---------------------------------------------------

    async def one(self, b: Bound[R], values: Mapping[str, Any]) -> R | None:
        """The first row of a declared query, decoded; None when there is none."""
        row = await self.q_fetchrow(b.query, values)
        return None if row is None else b.decode(row)

    async def many(self, b: Bound[R], values: Mapping[str, Any]) -> list[R]:
        """Every row of a declared query, decoded."""
        decode = b.decode
        return [decode(r) for r in await self.q_fetch(b.query, values)]

    async def scalar(self, b: Bound[R], values: Mapping[str, Any]) -> R:
        """The one value of a one-row, one-column query (a count)."""
        row = await self.q_fetchrow(b.query, values)
        if row is None:
            raise DatabaseError(f"query {b.query.name} returned no row")
        return b.decode(row)

    async def run(self, b: Bound[None], values: Mapping[str, Any]) -> int:
        """Execute a declared statement; the rows it changed."""
        return await self.q_execute(b.query, values)

    async def batch(
        self, b: Bound[None], rows: Sequence[Sequence[Any]], *, alongside: Iterator[object] | None = None
    ) -> int:
        """Execute a declared batch statement for many rows, each in its declared field order (see q_batch_rows).

        `alongside` is CPU work of the caller's to do while the database writes the batch: an iterator, each step
        (`next()`) a fraction of a millisecond. The driver runs as many steps as fit while it waits on the server
        (see while_writing), and more while the transaction's COMMIT runs; the caller finishes the iterator after
        the transaction.
        """
        write = self.q_batch_rows(b.query, b.arrange(rows))
        if alongside is None:
            return await write
        return await self.while_writing(write, alongside)

    async def while_writing(self, write: Coroutine[Any, Any, T], work: Iterator[object]) -> T:
        """Run `write` (a statement on this connection) as a task and steps of `work` while it waits on the server,
        giving the event loop a turn after each step so that the statement's I/O keeps flowing (asyncio drivers).

        The statement's error is raised and the remaining steps are left; when this is cancelled the task is too,
        and its end is awaited: no statement of it is left running on the connection.
        """
        task = asyncio.ensure_future(write)
        try:
            await asyncio.sleep(0)  # the statement goes out before any step
            for _ in work:
                if task.done():
                    self.leftover = work
                    break
                await asyncio.sleep(0)
        except BaseException:
            task.cancel()
            await asyncio.wait([task])
            raise
        return await task

    # -- the application's own SQL with :name placeholders -------------------------------------------

    def _app(self, sql: str, params: Mapping[str, Any] | None) -> tuple[str, tuple[Any, ...]]:
        if not isinstance(sql, str) or not sql.strip():
            from ..errors import InvalidInput

            raise InvalidInput("sql must be a non-empty string")
        self.app_sql = True
        return compile_sql(sql, self.style).render(params or {}, self.style)

    # -- transactions ---------------------------------------------------------------------------------

    async def begin_read_only(self, timeout_ms: int | None) -> None:
        """Begin a read-only transaction whose statements are cancelled after `timeout_ms` (None: no limit)."""
        await self.command(self.begin_read_only_sql)
        if timeout_ms is not None:
            await self.command(self.timeout_sql.format(ms=int(timeout_ms), s=int(timeout_ms) / 1000))

    async def end_read_only(self, timeout_ms: int | None) -> None:
        """Undo what begin_read_only set beyond the transaction's own life (session settings), after it ended."""
        if timeout_ms is not None and self.timeout_reset_sql:
            await self.command(self.timeout_reset_sql)

    @asynccontextmanager
    async def transaction(
        self, *, read_only: bool = False, timeout_ms: int | None = None, first: str = ""
    ) -> AsyncIterator[Connection]:
        """A transaction, or a savepoint when one is already open on this connection.

        `read_only` (outermost transaction only) refuses every write with ReadOnly; `timeout_ms` cancels any of its
        statements that runs longer (StatementTimeout). `first`: kit statements without parameters to run as the
        transaction starts (settings local to it), sent in the same message as the BEGIN where the driver can
        (`joins_statements`): one round trip instead of two.
        """
        depth = self._depth
        limited = read_only and depth == 0
        start = first
        # A cancelled BEGIN/SAVEPOINT aborts the link inside the verb, so nothing here can leave it half-open.
        if limited:
            await self.begin_read_only(timeout_ms)
        else:
            begin = self.begin_sql if depth == 0 else f"SAVEPOINT rs_sp{depth}"
            if depth == 0 and self.defers_begin:
                # SQLite's calls each cost a hop to the connection's thread: the BEGIN rides with the first
                # statement (a transaction that runs none sends nothing at all).
                self.pending_begin = begin
            elif first and self.joins_statements:
                # Sent below, where a failure of `first` (after its BEGIN succeeded) rolls back like any other.
                start = f"{begin}; {first}"
            else:
                await self.command(begin)
        self._depth = depth + 1
        try:
            if start:
                await self.command(start)
            yield self
        except BaseException as e:
            self._depth = depth
            if self.broken or not isinstance(e, Exception):
                # Cancelled at an unknown point: waiting for a ROLLBACK would delay the cancellation (and on a
                # link with a statement still in flight could even run inside it). Closing the link rolls back.
                self.abort()
                raise
            self.leftover = None  # the caller finishes its work (or drops it)
            try:
                if depth == 0 and self.pending_begin:
                    self.pending_begin = ""  # no statement ran: nothing began
                elif depth == 0:
                    await self.command("ROLLBACK")
                    if limited:
                        await self.end_read_only(timeout_ms)
                else:
                    await self.command(f"ROLLBACK TO SAVEPOINT rs_sp{depth}")
            except Exception:  # the original error matters more than a failed rollback on a dead link
                log.debug("rollback failed", exc_info=True)
                if limited:  # a session setting may be left behind: never lend this link again
                    self.abort()
            raise
        else:
            self._depth = depth
            if depth == 0 and self.pending_begin:
                self.pending_begin = ""  # no statement ran: nothing to commit
            elif depth == 0 and self.leftover is not None:
                work, self.leftover = self.leftover, None
                try:
                    await self.while_writing(self.command("COMMIT"), work)
                finally:
                    self.leftover = None  # what is still left, the caller finishes
            elif depth == 0:
                await self.command("COMMIT")
                if limited:
                    await self.end_read_only(timeout_ms)
            else:
                await self.command(f"RELEASE SAVEPOINT rs_sp{depth}")


class _Guard:
    """`with conn.guard(sql):` — a plain class, not a generator context manager: it sits on every verb."""

    __slots__ = ("conn", "sql")

    def __init__(self, conn: Connection, sql: str) -> None:
        self.conn = conn
        self.sql = sql

    def __enter__(self) -> None:
        return None

    def __exit__(self, tp: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        # Returns None: never swallows; a driver error leaves translated, anything else as it is.
        if exc is None:
            return
        if isinstance(exc, Exception):
            err = self.conn.fail(exc, self.sql)
            if err is not exc:
                raise err from exc
            return
        self.conn.abort()


class Listener(abc.ABC):
    """A session subscribed to notifications."""

    @abc.abstractmethod
    def alive(self) -> bool:
        """False once the session is gone (closed, or its server connection dropped)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop listening and close the session."""


class Capabilities(msgspec.Struct, frozen=True):
    """What a database offers beyond the SQL text, declared by its driver: domain code asks these, never the
    dialect's name.

    - `update_returning`: `UPDATE … RETURNING` (else a claim is a locking SELECT, then an UPDATE by key);
    - `skip_locked`: `FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait for each other;
    - `row_locks`: writers lock rows, not the whole database (so two transactions can deadlock or wait on a row
      lock); SQLite has one writer at a time;
    - `listen_notify`: a session can wait for notifications (PostgreSQL LISTEN, not through PgBouncer);
    - `copy_from`: a batch can be streamed by `COPY … FROM STDIN` (a query's `[copy]` form; PostgreSQL, through
      PgBouncer too, but not under row-level security, which PostgreSQL refuses COPY FROM for);
    - `vector`, `full_text`: native vector similarity and full-text search (the semantic-memory domain);
    - `batch_binds_clock`: a batch is sent as one multi-row INSERT only when every value is bound (aiomysql), so a
      batch that needs the database time reads it once and binds it instead of calling the clock in SQL;
    - `partial_indexes`: `CREATE INDEX … WHERE …` (PostgreSQL, SQLite; not MariaDB), for `store.schema.create_index`;
    - `index_methods`: the index access methods `create_index(method=...)` accepts, the first being the default;
    - `online_index_builds`: an index can be built while the table takes writes (PostgreSQL `CONCURRENTLY`, MariaDB
      `LOCK=NONE`); SQLite builds every index under its one write lock;
    - `row_level_security`: tables can enforce the tenant themselves (PostgreSQL policies on a per-transaction
      setting, `connect(..., row_level_security=True)` and `rawstore rls enable`).
    """

    update_returning: bool
    skip_locked: bool
    listen_notify: bool
    row_locks: bool = True
    vector: bool = False
    full_text: bool = False
    batch_binds_clock: bool = False
    partial_indexes: bool = False
    index_methods: tuple[str, ...] = ("btree",)
    online_index_builds: bool = False
    row_level_security: bool = False
    copy_from: bool = False


class Driver(abc.ABC):
    """A pool of connections to one database."""

    dialect: Dialect
    style: Style
    capabilities: Capabilities
    # With row-level security: the statement that names the tenant for the rest of the current transaction (one
    # parameter). Only drivers whose capabilities include row_level_security have it.
    tenant_setting_sql: str = ""

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    def acquire(self) -> Any:
        """An async context manager yielding a Connection."""

    async def listen(self, channel: str, callback: Callable[[str], None]) -> Listener | None:
        """Call `callback(payload)` for every notification on `channel` until the returned Listener is closed.

        None when the database (or the way it is reached, such as PgBouncer) has no notifications.
        """
        return None

    async def fetchrow_once(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        """One row from a query on a pooled connection held only for this call."""
        async with self.acquire() as conn:
            row: Row | None = await conn.q_fetchrow(q, values)
            return row

    # Codecs: how a UTC datetime crosses this driver.
    ts_out: Callable[[datetime], Any]
    ts_in: Callable[[Any], datetime]


def _trace(name: str, t0: float) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("query %s took %.3f ms", name, (time.perf_counter() - t0) * 1000)


NOT_MIGRATED = (
    " (the kit's tables are missing: run `rawstore migrate URL` on a direct URL first, or connect with migrate=True)"
)


_WRITE_VERB = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)


def deletes(sql: str) -> bool:
    """Whether the statement's first write verb is DELETE: a foreign-key violation of a DELETE means the row is still
    referenced (Conflict); of any other write, that the row it points at is missing (NotFound). Databases report both
    directions with one code, so the statement we ran decides, never the message."""
    m = _WRITE_VERB.search(sql)
    return m is not None and m.group(1).upper() == "DELETE"


def missing_table(msg: str) -> DatabaseError:
    """A DatabaseError for a query on a kit table that does not exist: almost always an unmigrated database."""
    return DatabaseError(msg + NOT_MIGRATED)


def fail(exc: BaseException) -> DatabaseError:
    return DatabaseError(f"{type(exc).__name__}: {exc}")

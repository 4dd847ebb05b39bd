"""`connect()`, the Store, and transactions that share one connection with the application's own SQL."""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import AsyncIterator, Generator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import msgspec

from .context import Context, TxContext
from .domains import QUERY_SETS, StoreDomains, TransactionDomains, build, close_domains
from .drivers.base import Capabilities, Connection, Driver
from .errors import ConfigError, InvalidInput
from .migrator import migrate as _migrate
from .queryset import Codecs, bind
from .schema import SchemaStore
from .sqlfiles import Dialect, load_queries
from .tenancy import TenancyMode
from .url import APP_URL_VARS, Target, check_schema, missing_extra, parse_url, redact, url_from_env


class Record:
    """A row of the application's own SQL: index it by position (`row[0]`) or by column (`row["id"]`).

    Iterating yields the values; `keys()`, `items()` and `dict(row)` give the column names too.
    """

    __slots__ = ("_names", "_values")

    def __init__(self, values: Sequence[Any], names: dict[str, int]) -> None:
        self._values = tuple(values)
        self._names = names

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._names[key]]
            except KeyError:
                raise KeyError(key) from None
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record):
            return self._values == other._values
        if isinstance(other, tuple):
            return self._values == other
        if isinstance(other, dict):
            return dict(self.items()) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def keys(self) -> list[str]:
        """The column names, in select order."""
        return list(self._names)

    def values(self) -> tuple[Any, ...]:
        """The values, in select order."""
        return self._values

    def items(self) -> list[tuple[str, Any]]:
        """(column, value) pairs, in select order."""
        return [(k, self._values[i]) for k, i in self._names.items()]

    def get(self, key: str, default: Any = None) -> Any:
        """The value of a column, or `default` when the row has no such column."""
        i = self._names.get(key)
        return default if i is None else self._values[i]

    def __repr__(self) -> str:
        return "Record(" + ", ".join(f"{k}={v!r}" for k, v in self.items()) + ")"


class Transaction(TransactionDomains):
    """One open transaction (or savepoint). Kit domains and the application's SQL share its connection."""

    def __init__(self, ctx: TxContext) -> None:
        self._ctx = ctx
        build(self, ctx)

    @property
    def dialect(self) -> Dialect:
        """ "postgres", "mysql" or "sqlite"."""
        return self._ctx.dialect

    async def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run the application's own statement (`:name` placeholders, values bound); returns the rows it changed."""
        async with self._ctx.lock:
            conn = self._ctx.check()
            text, args = conn._app(sql, params)
            return await conn.execute(text, args)

    async def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Record]:
        """Rows of the application's own query (`:name` placeholders, values bound)."""
        async with self._ctx.lock:
            conn = self._ctx.check()
            text, args = conn._app(sql, params)
            names, rows = await conn.fetch_named(text, args)
        index = {n: i for i, n in enumerate(names)}
        return [Record(r, index) for r in rows]

    async def fetchrow(self, sql: str, params: Mapping[str, Any] | None = None) -> Record | None:
        """The first row of the application's own query, or None."""
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A nested transaction: a savepoint released on success and rolled back on error."""
        async with self._ctx.lock:
            cm = self._ctx.check().transaction()
            await cm.__aenter__()
        inner = TxContext(self._ctx, self._ctx.conn, self._ctx.lock)
        try:
            yield Transaction(inner)
        except BaseException as e:
            inner.active = False
            async with self._ctx.lock:
                await cm.__aexit__(type(e), e, e.__traceback__)
            raise
        else:
            inner.active = False
            async with self._ctx.lock:
                await cm.__aexit__(None, None, None)


def codecs(driver: Driver) -> Codecs:
    """How the driver's values become record fields."""
    return Codecs(ts_in=driver.ts_in, json_in=msgspec.json.decode)


class Store(StoreDomains):
    """A connection pool to one database, with one attribute per domain (`store.memory`, ...)."""

    def __init__(self, driver: Driver, target: Target, tenancy: TenancyMode, schema: str, *, rls: bool = False) -> None:
        self._driver = driver
        self._target = target
        quoted = f'"{schema}".' if driver.dialect == "postgres" else ""
        # COPY FROM is refused on a table with row-level security: under it batches go by their statements.
        queries = load_queries(driver.dialect, quoted, copy=driver.capabilities.copy_from and not rls)
        self._ctx = Context(driver, tenancy, bind(QUERY_SETS, queries, codecs(driver)), rls=rls)
        build(self, self._ctx)
        # Introspection and index management; its schema name is `store.schema.name`.
        self.schema = SchemaStore(self._ctx, schema)

    @property
    def dialect(self) -> Dialect:
        """ "postgres", "mysql" or "sqlite"."""
        return self._driver.dialect

    def __repr__(self) -> str:
        return f"<rawstore.Store {redact(self._target.url)}>"

    @property
    def capabilities(self) -> Capabilities:
        """What this database offers beyond SQL text (UPDATE … RETURNING, SKIP LOCKED, LISTEN/NOTIFY, ...)."""
        return self._driver.capabilities

    @property
    def tenancy(self) -> TenancyMode:
        """ "optional" or "required", as given to `connect()`."""
        return self._ctx.tenancy

    @asynccontextmanager
    async def transaction(
        self,
        *,
        read_only: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-statement limit the database enforces
    ) -> AsyncIterator[Transaction]:
        """Open a transaction: commits when the block ends, rolls back if it raises.

        On SQLite it takes the write lock at once (BEGIN IMMEDIATE). With `read_only=True` it takes no lock and
        every write in it (the kit's or the application's own SQL) raises ReadOnly: PostgreSQL `BEGIN READ ONLY`,
        MySQL/MariaDB `START TRANSACTION READ ONLY`, SQLite a deferred BEGIN with `PRAGMA query_only`. `timeout`
        (seconds, with `read_only=True`) cancels any statement in it that runs longer, with StatementTimeout.
        """
        timeout_ms = _timeout_ms(read_only, timeout)
        async with self._driver.acquire() as conn, conn.transaction(read_only=read_only, timeout_ms=timeout_ms):
            ctx = TxContext(self._ctx, conn, asyncio.Lock())
            if ctx.rls:  # the application's own SQL in the block sees the current tenant's kit rows
                await ctx.scope(conn)
            try:
                yield Transaction(ctx)
            finally:
                ctx.active = False

    async def close(self) -> None:
        """Write the AI calls still buffered, stop job wake-ups, then close every pooled connection."""
        try:
            await close_domains(self)
        finally:
            await self._driver.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _timeout_ms(read_only: object, timeout: object) -> int | None:
    if not isinstance(read_only, bool):
        raise InvalidInput(f"read_only must be True or False, got {read_only!r}")
    if timeout is None:
        return None
    if not read_only:
        raise InvalidInput("timeout applies to read_only=True transactions only")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not math.isfinite(timeout) or timeout <= 0:
        raise InvalidInput(f"timeout must be a positive number of seconds, got {timeout!r}")
    return max(1, round(timeout * 1000))


def _driver(target: Target, opts: dict[str, Any], direct: Target | None) -> Driver:
    # Each driver module imports its extra's packages; without the extra, say which one to install.
    if target.dialect == "postgres":
        try:
            from .drivers.postgres import PgDriver
        except ModuleNotFoundError as e:
            missing_extra("postgres", e)

        return PgDriver(
            target.url,
            min_size=opts["min_size"],
            max_size=opts["max_size"],
            pgbouncer=opts["pgbouncer"] or target.pgbouncer,
            connect_timeout=opts["connect_timeout"],
            listen_dsn=None if direct is None else direct.url,
        )
    if target.dialect == "mysql":
        try:
            from .drivers.mysql import MyDriver
        except ModuleNotFoundError as e:
            missing_extra("mysql", e)

        return MyDriver(
            target.mysql, min_size=opts["min_size"], max_size=opts["max_size"], connect_timeout=opts["connect_timeout"]
        )
    try:
        from .drivers.sqlite import LiteDriver
    except ModuleNotFoundError as e:
        missing_extra("sqlite", e)

    return LiteDriver(target.sqlite_path, max_size=opts["max_size"], read_only=target.read_only)


def _targets(url: str, opts: dict[str, Any]) -> tuple[Target, Target | None]:
    """The URL's target and the direct URL's, checked together before anything connects."""
    schema = check_schema(opts["schema"])
    target = parse_url(url, schema=schema)
    direct_url = opts["direct_url"]
    direct = None if direct_url is None else parse_url(direct_url, schema=schema)
    if direct is not None and (direct.dialect != target.dialect or direct.pgbouncer):
        raise ConfigError(
            f"direct_url {redact(direct_url)} must reach the same {target.dialect} database without a pooler"
            " (no ?pgbouncer=true)"
        )
    if opts["row_level_security"] and target.dialect != "postgres":
        raise ConfigError(
            f"row_level_security=True needs PostgreSQL: {target.dialect} has no row-level security (the kit's own"
            " queries scope every call to its tenant there)"
        )
    if opts["migrate"] and direct is None and (opts["pgbouncer"] or target.pgbouncer):
        # yoyo through transaction pooling leaves stale locks and prepared-statement clashes.
        raise ConfigError(
            "migrate=True through PgBouncer needs the direct URL: pass direct_url=... (or set DIRECT_URL and call"
            " connect() without a URL), or run `rawstore migrate` with the direct URL at deploy time"
        )
    return target, direct


async def _open(url: str, opts: dict[str, Any]) -> Store:
    schema = opts["schema"]
    target, direct = _targets(url, opts)
    if opts["migrate"]:
        await asyncio.to_thread(_migrate, url if direct is None else opts["direct_url"], schema=schema)
    driver = _driver(target, opts, direct)
    await driver.open()
    try:
        return Store(driver, target, opts["tenancy"], schema, rls=opts["row_level_security"])
    except BaseException:
        await driver.close()
        raise


class _Connecting:
    """What `connect()` returns: await it for a Store, or use it as `async with connect(url) as store:`."""

    def __init__(self, url: str, opts: dict[str, Any]) -> None:
        self._url = url
        self._opts = opts
        self._store: Store | None = None

    def __await__(self) -> Generator[Any, None, Store]:
        return _open(self._url, self._opts).__await__()

    async def __aenter__(self) -> Store:
        self._store = await _open(self._url, self._opts)
        return self._store

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._store is not None:
            await self._store.close()


def connect(
    url: str | None = None,
    *,
    direct_url: str | None = None,
    min_size: int = 1,
    max_size: int = 10,
    schema: str = "public",
    pgbouncer: bool = False,
    tenancy: TenancyMode = "optional",
    migrate: bool = False,
    connect_timeout: float = 10.0,
    row_level_security: bool = False,
) -> _Connecting:
    """Open a Store on `url` (`postgresql://…`, `mysql://…`, `sqlite:///path.db`).

    Without `url`, the environment's DATABASE_URL (else RAWSTORE_DATABASE_URL) is used, and then DIRECT_URL, when
    set, as `direct_url`. `direct_url` reaches the same database without a pooler: `migrate=True` migrates through
    it and `store.jobs.wait()` listens on it, while every other call goes through `url`. A PostgreSQL URL ending in
    `?pgbouncer=true` is the same as `pgbouncer=True`.

    `min_size`/`max_size` size the pool; `schema` is the PostgreSQL schema of the kit's tables; `pgbouncer=True`
    turns off server-side prepared statements for PgBouncer's transaction pooling; `tenancy="required"` makes
    every call outside `rawstore.tenant(...)` raise TenantRequired; `migrate=True` applies pending migrations
    first (for embedded use; run `rawstore migrate` at deploy time otherwise). `row_level_security=True`
    (PostgreSQL) runs every kit call and every `store.transaction()` in a transaction that names the current tenant
    (`set_config('rawstore.tenant_id', ...)`), for the policies `rawstore rls enable` enforces.
    """
    if tenancy not in ("optional", "required"):
        raise ConfigError(f"tenancy must be 'optional' or 'required', got {tenancy!r}")
    for name, v, least, what in (
        ("min_size", min_size, 0, "a non-negative int (0 or more)"),
        ("max_size", max_size, 1, "a positive int (at least 1)"),
    ):
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            raise ConfigError(f"{name} must be {what}, got {v!r}")
    if min_size > max_size:
        raise ConfigError(f"min_size ({min_size}) must not exceed max_size ({max_size})")
    if url is None:
        url = url_from_env(APP_URL_VARS)
        if direct_url is None:
            direct_url = os.environ.get("DIRECT_URL", "").strip() or None
    for name, value in (("url", url), ("direct_url", direct_url)):
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{name} must be a database URL string, got {type(value).__name__}")
    if (
        isinstance(connect_timeout, bool)
        or not isinstance(connect_timeout, int | float)
        or not math.isfinite(connect_timeout)
        or connect_timeout <= 0
    ):
        raise ConfigError(f"connect_timeout must be a positive number of seconds, got {connect_timeout!r}")
    if not isinstance(row_level_security, bool):
        raise ConfigError(f"row_level_security must be True or False, got {row_level_security!r}")
    opts = dict(
        row_level_security=row_level_security,
        direct_url=direct_url,
        min_size=min_size,
        max_size=max_size,
        schema=schema,
        pgbouncer=pgbouncer,
        tenancy=tenancy,
        migrate=migrate,
        connect_timeout=connect_timeout,
    )
    _targets(url, opts)  # a bad URL, flag or pairing fails here, before anything connects
    return _Connecting(url, opts)


__all__ = ["Connection", "Record", "Store", "Transaction", "connect"]

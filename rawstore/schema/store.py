"""`SchemaStore` (`store.schema`): the kit's tables, columns and indexes, and index management.

Introspection reads the database's catalog (pg_catalog, information_schema, sqlite_master and the pragma table
functions) for the kit's own tables only: names starting with `rs_`, yoyo's bookkeeping (`rs_yoyo_*`) excepted, in the
store's schema on PostgreSQL.

`create_index` builds an index on a kit table from validated parts only: the name, the table and every column are
identifiers checked against a pattern and against the catalog, quoted by the kit; the method comes from the driver's
closed list; a partial index's `where` is a dict of column to value, each string quoted by the database's own quoting
function (DDL takes no parameters), numbers and booleans written by the kit. Which indexes it made is recorded in
rs_index_registry (migration 0018), written before the build: `list_indexes` reports those as owner "user", every
other as "migration", and `drop_index` drops only the former.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import msgspec

from ..context import Context
from ..drivers.base import Connection
from ..errors import (
    ConfigError,
    Conflict,
    DatabaseError,
    Deadlock,
    InvalidInput,
    LockTimeout,
    NotFound,
    RawstoreError,
    SerializationFailure,
)
from ..queryset import Codecs, bind
from ..sqlfiles import data_dir, parse_sql_file
from ..timeutil import utcnow
from ..validate import MAX_TITLE, check_bool, check_text, shown
from .queries import DDL_TEMPLATES
from .queries import SchemaQueries as Q
from .records import CatalogIndex, ColumnInfo, IndexInfo, IndexStats, TableInfo

log = logging.getLogger("rawstore")

PREFIX = "rs_"
"""The prefix of every kit table, and of every index `create_index` makes."""

MAX_IDENTIFIER = 63
"""The longest identifier (PostgreSQL's limit, in bytes: it silently truncates longer names; MariaDB's is 64)."""

MAX_INDEX_COLUMNS = 32
"""The most key columns an index may have (PostgreSQL's and MariaDB's limit)."""

MAX_WHERE_TERMS = 32
"""The most terms a partial index's `where` may have."""

DDL_LOCK_TIMEOUT = 600
"""Seconds a schema call waits for another process's (MariaDB; see ddl_lock in sql/mysql/schema.sql)."""

MAX_PASSES = 5
"""How many times create_index tries a build that failed for a reason worth another try (a deadlock with a
concurrent build, the invalid leftover of one)."""

_IDENT = re.compile(r"[a-z_][a-z0-9_]*\Z")
_YOYO = "rs_yoyo_"
_INT64 = 2**63


class _Spec(msgspec.Struct, frozen=True, gc=False):
    """What `create_index` was asked for, in canonical form: the registry's `definition`, compared field by field.

    `where` holds (column, type, value) triples sorted by column, so that 1, 1.0 and True stay three different
    predicates, as they are to the database.
    """

    table: str
    columns: list[str]
    unique: bool
    method: str
    where: list[tuple[str, str, Any]]


_encode_spec = msgspec.json.Encoder().encode
_decode_spec = msgspec.json.Decoder(_Spec).decode


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, got {type(value).__name__}")
    if not _IDENT.match(value) or len(value) > MAX_IDENTIFIER:
        raise InvalidInput(
            f"{what} must be a lowercase identifier (a-z, 0-9 and _, not starting with a digit, at most"
            f" {MAX_IDENTIFIER} characters), got {shown(value)}"
        )
    return value


def _kit_table(value: object, what: str = "table") -> str:
    name = _identifier(value, what)
    if not name.startswith(PREFIX) or name.startswith(_YOYO):
        raise InvalidInput(
            f"{what} {name!r} is not one of the kit's tables: store.schema works on rs_ tables only"
            " (yoyo's rs_yoyo_* bookkeeping excepted)"
        )
    return name


def _index_name(value: object, *, create: bool) -> str:
    name = _identifier(value, "index name")
    if not name.startswith(PREFIX):
        what = "create_index makes" if create else "drop_index drops"
        raise InvalidInput(f"index name {name!r} must start with rs_ (the indexes {what} carry the kit's prefix)")
    return name


def _index_columns(columns: object) -> list[tuple[str, str]]:
    """(column, "" or " DESC") pairs; a trailing ASC is the default and dropped."""
    if isinstance(columns, (str, bytes)) or not isinstance(columns, (list, tuple)):
        raise InvalidInput("columns must be a list of column names (each optionally followed by ' ASC' or ' DESC')")
    if not columns:
        raise InvalidInput("columns must name at least one column")
    if len(columns) > MAX_INDEX_COLUMNS:
        raise InvalidInput(f"an index has at most {MAX_INDEX_COLUMNS} columns, got {len(columns)}")
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(columns):
        what = f"columns[{i}]"
        if not isinstance(item, str):
            raise InvalidInput(f"{what} must be a string, got {type(item).__name__}")
        parts = item.split()
        direction = ""
        if len(parts) == 2 and parts[1].upper() in ("ASC", "DESC"):
            direction = " DESC" if parts[1].upper() == "DESC" else ""
        elif len(parts) != 1:
            raise InvalidInput(f"{what} must be a column name, optionally followed by ASC or DESC, got {shown(item)}")
        column = _identifier(parts[0], what)
        if column in seen:
            raise InvalidInput(f"{what}: column {column!r} appears twice")
        seen.add(column)
        out.append((column, direction))
    return out


def _where(where: object) -> list[tuple[str, str, Any]]:
    """The predicate of a partial index: (column, type, value) triples sorted by column."""
    if where is None:
        return []
    if not isinstance(where, Mapping):
        raise InvalidInput(
            f"where must be a dict of column -> value (None for IS NULL), or None; got {type(where).__name__}"
            " (a raw SQL condition is never accepted)"
        )
    if len(where) > MAX_WHERE_TERMS:
        raise InvalidInput(f"where has at most {MAX_WHERE_TERMS} columns, got {len(where)}")
    out: list[tuple[str, str, Any]] = []
    for key, value in where.items():
        column = _identifier(key, "a where column")
        what = f"where[{column!r}]"
        if value is None:
            out.append((column, "null", None))
        elif isinstance(value, bool):
            out.append((column, "bool", value))
        elif isinstance(value, int):
            if not -_INT64 <= value < _INT64:
                raise InvalidInput(f"{what} must fit in 64 bits, got {shown(value)}")
            out.append((column, "int", int(value)))
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidInput(f"{what} must be a finite number, got {shown(value)}")
            out.append((column, "float", float(value)))
        elif isinstance(value, str):
            out.append((column, "str", check_text(value, what, MAX_TITLE)))
        else:
            raise InvalidInput(f"{what} must be a str, int, float, bool or None, got {type(value).__name__}")
    return sorted(out, key=lambda t: t[0])


def _unquoted(column: str) -> str:
    # PostgreSQL quotes a key column whose name is a reserved word ("order"); the kit's identifiers need no quotes.
    if column.startswith('"'):
        name, _, rest = column[1:].partition('"')
        return name + rest
    return column


def _structure_matches(found: CatalogIndex, spec: _Spec) -> bool:
    return (
        found.table == spec.table
        and [_unquoted(c) for c in found.columns] == spec.columns
        and found.unique == spec.unique
        and found.method == spec.method
        and found.partial == bool(spec.where)
    )


def _info(found: CatalogIndex, size: int | None) -> IndexInfo:
    return IndexInfo(
        found.name,
        found.table,
        [_unquoted(c) for c in found.columns],
        found.unique,
        size,
        found.definition,
        found.owner,
    )


def _describe(spec: _Spec) -> str:
    cols = ", ".join(spec.columns)
    text = f"{'UNIQUE ' if spec.unique else ''}{spec.method} ({cols}) on {spec.table}"
    if spec.where:
        text += " WHERE " + " AND ".join(f"{c} = {v!r}" if t != "null" else f"{c} IS NULL" for c, t, v in spec.where)
    return text


def _bound_context(ctx: Context, qualifier: str) -> Context:
    """`ctx` itself when the store bound SchemaQueries with every other domain's queries, else a Context of its own
    that binds them from sql/<dialect>/schema.sql (store.schema takes its schema name, so it is built apart from
    the domain registry). `qualifier` replaces {schema}, as the store's own loading does."""
    probe = Q.kit_tables
    if probe.slot < len(ctx.bound) and ctx.bound[probe.slot] is not None:
        return ctx
    path = data_dir("sql") / ctx.dialect / "schema.sql"
    queries = parse_sql_file(path.read_text("utf-8"), "schema", ctx.dialect, str(path), qualifier)
    own = Context(ctx.driver, ctx.tenancy, bind((Q,), queries, Codecs(ts_in=ctx.ts_in, json_in=msgspec.json.decode)))
    own.shared = ctx.shared
    return own


def _templates(ctx: Context) -> dict[str, str]:
    path = data_dir("sql") / ctx.dialect / "ddl" / "schema.sql"
    parsed = parse_sql_file(path.read_text("utf-8"), "ddl", ctx.dialect, str(path), "{schema}")
    out = {key.partition(".")[2]: q.source for key, q in parsed.items()}
    missing = [n for n in DDL_TEMPLATES if n not in out]
    if missing:
        raise ConfigError(f"{path}: templates missing: {', '.join(missing)}")
    return out


class SchemaStore:
    """The kit's tables, their columns and indexes, and index management (`store.schema`).

    Not reachable inside `store.transaction()`: index DDL commits on its own on MariaDB, and PostgreSQL cannot build
    an index CONCURRENTLY inside a transaction block. No call is scoped to a tenant (tables and indexes are shared by
    all tenants), so none needs one, even with `tenancy="required"`.
    """

    def __init__(self, ctx: Context, name: str) -> None:
        self._name = name
        self._tpl = _templates(ctx)
        # The store's schema as a qualifier ("public". on PostgreSQL), for {schema} in queries and templates.
        self._qualifier = self._tpl["quote_ident"].format(ident=name) + "."
        self._ctx = _bound_context(ctx, self._qualifier)
        # The calls of one store run one at a time: two index builds on one table would deadlock on PostgreSQL (each
        # CONCURRENTLY build waits for the other's transaction), and MariaDB's information_schema skips a table
        # (with a warning) while DDL changes it.
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        """The schema of the kit's tables on PostgreSQL (`connect(schema=...)`, default "public"); "public" elsewhere,
        where the kit's tables live in the database the URL names."""
        return self._name

    def __repr__(self) -> str:
        return f"<rawstore SchemaStore {self._name!r}>"

    # -- introspection -----------------------------------------------------------------------------------------

    async def tables(self) -> list[TableInfo]:
        """The kit's tables (rs_ prefix, yoyo's bookkeeping excepted) in name order, with estimated rows and sizes.

        On SQLite the row counts and sizes come from the dbstat table, which reads every page of the kit's tables
        and indexes (not the application's): this call costs a pass over them there. A SQLite built without dbstat
        reports only the names.
        """
        ctx = self._ctx
        async with self._session() as conn:
            try:
                return await conn.many(ctx[Q.table_stats], {})
            except DatabaseError as e:
                if type(e) is not DatabaseError:
                    raise
                log.debug("table sizes unavailable: %s", e)
                names = await conn.many(ctx[Q.kit_tables], {})
        return [TableInfo(n, None, None, None) for n in names]

    async def columns(self, table: str) -> list[ColumnInfo]:
        """The columns of a kit table, in table order. InvalidInput for a name that is not a kit table's, NotFound
        for a kit table that does not exist (not migrated yet)."""
        table = _kit_table(table)
        ctx = self._ctx
        async with self._session() as conn:
            cols = await conn.many(ctx[Q.columns], {"table": table})
        if not cols:
            raise NotFound(f"no kit table {table!r} (is the database migrated?)")
        return cols

    async def has_column(self, table: str, column: str) -> bool:
        """Whether a kit table has a column; False when the table does not exist either (a database not yet
        migrated to the table's migration)."""
        table = _kit_table(table)
        column = _identifier(column, "column")
        ctx = self._ctx
        async with self._session() as conn:
            cols = await conn.many(ctx[Q.columns], {"table": table})
        return any(c.name == column for c in cols)

    # -- indexes -----------------------------------------------------------------------------------------------

    async def list_indexes(self, table: str | None = None) -> list[IndexInfo]:
        """Every index of the kit's tables (or of one of them), by table then name, primary keys included.

        NotFound for a kit table that does not exist.
        """
        if table is not None:
            table = _kit_table(table)
        ctx = self._ctx
        async with self._session() as conn:
            if table is not None and table not in await conn.many(ctx[Q.kit_tables], {}):
                raise NotFound(f"no kit table {table!r} (is the database migrated?)")
            found = await conn.many(ctx[Q.indexes], {"table": table, "name": None})
            sizes = await self._sizes(conn, table=table)
        return [_info(f, sizes.get((f.table, f.name))) for f in found]

    async def describe_index(self, name: str) -> IndexStats:
        """One index of a kit table with its method and usage statistics (None where the database keeps none).

        NotFound when no kit table has an index of that name.
        """
        name = _identifier(name, "index name")
        ctx = self._ctx
        async with self._session() as conn:
            found = await self._find(conn, name)
            if found is None:
                raise NotFound(f"no index {name!r} on the kit's tables")
            sizes = await self._sizes(conn, name=found.name)
            use = await conn.one(ctx[Q.index_use], {"table": found.table, "name": found.name})
        return IndexStats(
            found.name,
            found.table,
            [_unquoted(c) for c in found.columns],
            found.unique,
            sizes.get((found.table, found.name)),
            found.definition,
            found.owner,
            found.method,
            None if use is None else use.scans,
            None if use is None else use.tuples_read,
            None if use is None else use.tuples_fetched,
        )

    async def create_index(
        self,
        name: str,
        table: str,
        columns: Sequence[str],
        *,
        unique: bool = False,
        where: Mapping[str, str | int | float | bool | None] | None = None,
        method: str | None = None,
        concurrently: bool = True,
    ) -> IndexInfo:
        """Build an index on a kit table; the IndexInfo of the index.

        - `name` starts with rs_ and is a lowercase identifier; `table` is a kit table; each of `columns` is a column
          of it, optionally followed by " ASC" or " DESC".
        - `where` makes a partial index: each column equals its value (str, int, float, bool), or IS NULL for None.
          Only where `store.capabilities.partial_indexes` (PostgreSQL, SQLite; InvalidInput on MariaDB).
        - `method` is one of `store.capabilities.index_methods` (PostgreSQL: btree, hash, gin, gist, brin; others:
          btree), btree by default. `unique` and DESC columns need btree; hash takes exactly one column.
        - `concurrently` (default): PostgreSQL builds the index CONCURRENTLY, outside any transaction, while writes go
          on; MariaDB builds it with LOCK=NONE. SQLite always builds under its write lock.

        An index of that name with the same definition already there is a no-op (its IndexInfo is returned); with
        another definition, or when the name belongs to a table or to another object, Conflict. Bad input is
        InvalidInput (a missing table NotFound) with nothing built or recorded. An index that cannot be built (a
        unique index over duplicate rows: Conflict; a method the column's type has no operator class for:
        DatabaseError) leaves nothing behind.
        """
        caps = self._ctx.capabilities
        name = _index_name(name, create=True)
        table = _kit_table(table)
        cols = _index_columns(columns)
        unique = check_bool(unique, "unique")
        concurrently = check_bool(concurrently, "concurrently")
        if method is None:
            method = caps.index_methods[0]
        elif not isinstance(method, str) or method not in caps.index_methods:
            raise InvalidInput(
                f"method must be one of {', '.join(map(repr, caps.index_methods))} on this database,"
                f" got {shown(method)}"
            )
        terms = _where(where)
        if terms and not caps.partial_indexes:
            raise InvalidInput(
                "where=...: this database has no partial indexes (MariaDB); index the columns without a where,"
                " or lead the index with the column the where would have tested"
            )
        if method != "btree":
            if unique:
                raise InvalidInput(f"unique indexes need method 'btree', got {method!r}")
            if any(d for _, d in cols):
                raise InvalidInput(f"DESC columns need method 'btree', got {method!r}")
            if method == "hash" and len(cols) != 1:
                raise InvalidInput("a hash index takes exactly one column")
        spec = _Spec(table, [c + d for c, d in cols], unique, method, terms)
        ctx = self._ctx
        async with self._session() as conn:
            have = {c.name for c in await conn.many(ctx[Q.columns], {"table": table})}
            if not have:  # every table has a column
                raise NotFound(f"no kit table {table!r} (is the database migrated?)")
            for column in [c for c, _ in cols] + [t[0] for t in terms]:
                if column not in have:
                    raise InvalidInput(f"table {table} has no column {column!r}")
            found = await self._create(conn, name, spec, concurrently)
            size = (await self._sizes(conn, name=found.name)).get((found.table, found.name))
        return _info(found, size)

    async def drop_index(self, name: str, *, concurrently: bool = True) -> bool:
        """Drop an index `create_index` made; True when one was dropped, False when there was none (a no-op).

        InvalidInput for an index the kit's migrations made (or anything else did), which stays. `concurrently`
        (default): PostgreSQL drops it CONCURRENTLY (waiting for the transactions using the table instead of
        blocking them), MariaDB with LOCK=NONE.
        """
        name = _index_name(name, create=False)
        concurrently = check_bool(concurrently, "concurrently")
        ctx = self._ctx
        async with self._session() as conn:
            found = await self._find(conn, name)
            if found is None:
                # An interrupted create_index may have left its registry row: clear it.
                await conn.run(ctx[Q.unregister], {"name": name})
                return False
            if found.owner != "user":
                raise InvalidInput(
                    f"index {name} on {found.table} was not made by create_index (it is the kit's migrations'):"
                    " drop_index leaves it alone"
                )
            await self._drop(conn, found, concurrently)
            await conn.run(ctx[Q.unregister], {"name": name})
        log.info("dropped index %s on %s", name, found.table)
        return True

    async def analyze(self, table: str | None = None) -> list[str]:
        """Refresh the planner's statistics of the kit's tables (or of one): PostgreSQL ANALYZE, MariaDB ANALYZE TABLE,
        SQLite ANALYZE. The tables analyzed, in name order. NotFound for a kit table that does not exist."""
        if table is not None:
            table = _kit_table(table)
        ctx = self._ctx
        async with self._session() as conn:
            names = await conn.many(ctx[Q.kit_tables], {})
            if table is not None:
                if table not in names:
                    raise NotFound(f"no kit table {table!r} (is the database migrated?)")
                names = [table]
            for t in names:
                await conn.execute(self._ddl("analyze_table", table=self._qi(t)))
        return names

    # -- internals ---------------------------------------------------------------------------------------------

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[Connection]:
        """A connection for one call, the store's other schema calls and other processes' kept out meanwhile."""
        async with self._lock, self._ctx.session() as conn:
            locked = await conn.one(self._ctx[Q.ddl_lock], {"timeout": DDL_LOCK_TIMEOUT})
            if locked != 1:
                raise LockTimeout(
                    f"another process held the kit's schema lock for {DDL_LOCK_TIMEOUT} s (building an index?)"
                )
            try:
                yield conn
            finally:
                if not conn.broken:  # a closed session has released its lock already
                    await conn.run(self._ctx[Q.ddl_unlock], {})

    def _qi(self, ident: str) -> str:
        return self._tpl["quote_ident"].format(ident=ident)

    def _key(self, column: str) -> str:
        # "created_at DESC" -> "created_at" quoted, then " DESC".
        name, sep, direction = column.partition(" ")
        return self._qi(name) + sep + direction

    def _ddl(self, template: str, **fields: str) -> str:
        return self._tpl[template].format(schema=self._qualifier, **fields)

    async def _find(self, conn: Connection, name: str) -> CatalogIndex | None:
        found = await conn.many(self._ctx[Q.indexes], {"table": None, "name": name})
        return found[0] if found else None

    async def _sizes(
        self, conn: Connection, *, table: str | None = None, name: str | None = None
    ) -> dict[tuple[str, str], int]:
        """Index sizes by (table, name): of every index of the kit's tables, of one table's, or of one index."""
        try:
            rows = await conn.many(self._ctx[Q.index_sizes], {"table": table, "name": name})
        except DatabaseError as e:
            # MariaDB without read access to mysql.innodb_index_stats, SQLite without dbstat: no sizes.
            if type(e) is not DatabaseError:
                raise
            log.debug("index sizes unavailable: %s", e)
            return {}
        return {(r.table, r.name): r.size_bytes for r in rows}

    async def _registered_spec(self, conn: Connection, name: str) -> _Spec | None:
        row = await conn.one(self._ctx[Q.registered], {"name": name})
        if row is None:
            return None
        try:
            return _decode_spec(row.definition)
        except msgspec.DecodeError:
            return None  # written outside rawstore: it matches no request

    async def _register(self, conn: Connection, name: str, spec: _Spec) -> _Spec | None:
        """Record `spec` for `name` unless a row is there; the spec recorded now (ours or the one found)."""
        values = {
            "name": name,
            "table_name": spec.table,
            "definition": _encode_spec(spec).decode(),
            "created_at": self._ctx.ts_out(utcnow()),
        }
        await conn.run(self._ctx[Q.register], values)
        return await self._registered_spec(conn, name)

    async def _matches(
        self, conn: Connection, found: CatalogIndex, spec: _Spec, *, recorded: _Spec | None = None
    ) -> bool:
        """Whether an existing index is what `spec` asks for. An index of create_index is compared with the request
        it recorded (its where included); any other only by structure, and never to a partial one (its predicate
        is the database's text, which a request's values cannot be compared with)."""
        if not _structure_matches(found, spec):
            return False
        if found.owner == "user":
            return (recorded or await self._registered_spec(conn, found.name)) == spec
        return not found.partial

    async def _create(self, conn: Connection, name: str, spec: _Spec, concurrently: bool) -> CatalogIndex:
        # A pass ends with the index built, or starts again after a failure worth another try: a deadlock between two
        # concurrent builds on one table (PostgreSQL), or the invalid leftover of a failed concurrent build.
        for _ in range(MAX_PASSES):
            found = await self._find(conn, name)
            if found is not None:
                if not await self._matches(conn, found, spec):
                    raise Conflict(
                        f"an index named {name} already exists with another definition: {found.definition}"
                        f" (asked for {_describe(spec)})"
                    )
                if found.building:
                    # Another session (another process) is building this very index: wait for its outcome rather
                    # than queue a second build behind its table lock, which PostgreSQL would end as a deadlock.
                    found = await self._settled(conn, name)
                    if found is None:
                        continue
                if found.valid:
                    return found
                if found.owner != "user":
                    raise Conflict(f"index {name} exists but is not valid, and create_index did not make it")
                # What an interrupted or failed CONCURRENTLY build left: unusable, so build it again.
                await self._drop(conn, found, concurrently=True)
            else:
                used = await conn.one(self._ctx[Q.name_used], {"name": name})
                if used is not None:
                    raise Conflict(f"the name {name} is already used by {used}")
            recorded = await self._register(conn, name, spec)
            if recorded != spec:
                raise Conflict(
                    f"create_index of {name} with another definition is in progress, or was interrupted"
                    f" (drop_index({name!r}) clears an interrupted one)"
                )
            built = await self._build(conn, name, spec, concurrently)
            if built is not None:
                return built
        raise Conflict(f"index {name} could not be built: concurrent builds kept failing; try again")

    async def _settled(self, conn: Connection, name: str) -> CatalogIndex | None:
        """The index once no session builds it any more (None if it is gone by then)."""
        delay = 0.05
        while True:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
            found = await self._find(conn, name)
            if found is None or not found.building:
                return found

    async def _build(self, conn: Connection, name: str, spec: _Spec, concurrently: bool) -> CatalogIndex | None:
        """Run the CREATE INDEX; the index as built, or None when the caller should take another pass."""
        where = ""
        if spec.where:
            where = " WHERE " + " AND ".join([await self._term(conn, c, t, v) for c, t, v in spec.where])
        ddl = self._ddl(
            "create_index_online" if concurrently else "create_index",
            unique="UNIQUE " if spec.unique else "",
            name=self._qi(name),
            table=self._qi(spec.table),
            method=spec.method,
            columns=", ".join(self._key(c) for c in spec.columns),
            where=where,
        )
        try:
            await conn.execute(ddl)
        except RawstoreError as e:
            if conn.broken:
                raise  # the link is gone (cancelled, or lost): a later call clears or rebuilds what is left
            retry = isinstance(e, (Deadlock, SerializationFailure, LockTimeout))
            found = await self._find(conn, name)
            if found is not None and await self._matches(conn, found, spec):
                if found.valid:
                    return found  # a concurrent call built the same index first (MariaDB: duplicate key name)
                if found.building:
                    return None  # another session builds it: the next pass waits for it
                # The invalid index a failed CONCURRENTLY build leaves behind.
                await self._drop(conn, found, concurrently=True)
                found = None
            if found is not None:
                raise Conflict(
                    f"an index named {name} was created with another definition meanwhile: {found.definition}"
                ) from e
            if retry:
                return None
            await conn.run(self._ctx[Q.unregister], {"name": name})
            raise
        recorded = await self._registered_spec(conn, name)
        if recorded is None:
            # A concurrent failed build of the same index cleared the row after this build began: record it again.
            recorded = await self._register(conn, name, spec)
        found = await self._find(conn, name)
        if found is None:
            # IF NOT EXISTS skipped the build for an object of that name that is not an index of the kit's tables.
            used = await conn.one(self._ctx[Q.name_used], {"name": name})
            await conn.run(self._ctx[Q.unregister], {"name": name})
            raise Conflict(f"the name {name} is already used by {used or 'another object'}")
        if not await self._matches(conn, found, spec, recorded=recorded):
            raise Conflict(f"an index named {name} was created with another definition meanwhile: {found.definition}")
        if not found.valid:
            return None  # IF NOT EXISTS found another session's build, or its invalid leftover: look again
        log.info("created index %s on %s", name, spec.table)
        return found

    async def _term(self, conn: Connection, column: str, kind: str, value: Any) -> str:
        col = self._qi(column)
        if kind == "null":
            return f"{col} IS NULL"
        if kind == "bool":
            return f"{col} = {'TRUE' if value else 'FALSE'}"
        if kind in ("int", "float"):
            # repr of an int, or of a finite float, is digits, sign, point and exponent only: a valid SQL number.
            return f"{col} = {value!r}"
        quoted = await conn.one(self._ctx[Q.quote_literal], {"value": value})
        if quoted is None:
            raise DatabaseError(f"the database did not quote the value of where[{column!r}]")
        return f"{col} = {quoted}"

    async def _drop(self, conn: Connection, found: CatalogIndex, concurrently: bool) -> None:
        ddl = self._ddl(
            "drop_index_online" if concurrently else "drop_index",
            name=self._qi(found.name),
            table=self._qi(found.table),
        )
        try:
            await conn.execute(ddl)
        except RawstoreError:
            if conn.broken or await self._find(conn, found.name) is not None:
                raise
            # Dropped meanwhile by a concurrent call (MariaDB has no IF EXISTS without a warning): done all the same.

"""Schema migrations with yoyo, one folder per dialect, applied under yoyo's lock with rawstore's own history tables."""

from __future__ import annotations

import contextlib
import importlib
import logging
import sqlite3
import urllib.parse
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import ConfigError, MigrationError, RawstoreError
from .sqlfiles import data_dir
from .url import MIGRATE_URL_VARS, Target, missing_extra, parse_url, redact, url_from_env

log = logging.getLogger("rawstore")

MIGRATION_TABLE = "rs_yoyo_migration"
LOCK_TIMEOUT = 120


class MigrationReport(list[str]):
    """The ids of the migrations a call applied or rolled back (a list). It may also be awaited."""

    def __await__(self) -> Generator[Any, None, MigrationReport]:
        return self
        yield  # pragma: no cover - makes this a generator


def _backend(target: Target, *, read_only: bool = False, must_exist: bool = False) -> Any:
    """A yoyo backend on `target`. Read-only: the database itself refuses writes, and yoyo's tables are not made."""
    from yoyo.connections import get_backend_class, parse_uri

    try:
        parsed = parse_uri(target.yoyo_url)
        base = get_backend_class(parsed.scheme.lower())
    except Exception as e:
        raise ConfigError(f"cannot migrate {redact(target.url)}: {e}") from e
    if target.dialect == "sqlite":
        check_sqlite(target, must_exist=must_exist or read_only)
    else:
        # yoyo imports its driver (psycopg, PyMySQL) only when it connects, and would report it as a failed connect.
        try:
            importlib.import_module(base.driver_module)
        except ModuleNotFoundError as e:
            missing_extra(target.dialect, e)
    # yoyo's own tables would be unprefixed; the kit only ever creates rs_ objects.
    # yoyo probes for transactional DDL by creating a yoyo_tmp_* table; the answer is known per dialect, and the
    # probe would be an unprefixed object (left behind where the user may not drop it).
    transactional_ddl = target.dialect != "mysql"
    attrs: dict[str, Any] = {
        "log_table": "rs_yoyo_log",
        "lock_table": "rs_yoyo_lock",
        "version_table": "rs_yoyo_version",
        "_check_transactional_ddl": lambda self: transactional_ddl,
    }
    if target.dialect == "sqlite":
        attrs["connect"] = _sqlite_read_only_connect if read_only else _sqlite_connect
        if not read_only:
            attrs["begin"] = _sqlite_begin
    cls = type("Rawstore" + base.__name__, (base,), attrs)
    try:
        backend = cls(parsed, MIGRATION_TABLE)
    except Exception as e:
        raise MigrationError(f"cannot connect to {redact(target.url)} for migrations: {e}") from e
    try:
        if read_only:
            if target.dialect == "postgres":
                backend.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            elif target.dialect == "mysql":
                backend.execute("SET SESSION TRANSACTION READ ONLY")
            return backend
        backend.init_database()
        # yoyo ignores a failure to create its lock table and would then wait out the whole lock timeout.
        with backend.transaction(rollback_on_exit=True):
            backend.execute(f"SELECT 1 FROM {backend.lock_table_quoted} WHERE 1 = 0").fetchall()
    except Exception as e:
        backend.connection.close()
        raise MigrationError(f"cannot connect to {redact(target.url)} for migrations: {e}") from e
    return backend


def check_sqlite(target: Target, *, must_exist: bool) -> None:
    path = Path(target.sqlite_path)
    if not path.parent.is_dir():
        # Word for word what connect() says (rawstore/drivers/sqlite.py), so both paths read alike.
        raise MigrationError(f"sqlite: folder {path.parent} does not exist")
    if must_exist and not path.is_file():
        raise MigrationError(
            f"no such database: the SQLite file {target.sqlite_path} does not exist (`rawstore migrate` creates it)"
        )


def _sqlite_connect(self: Any, dburi: Any) -> sqlite3.Connection:
    # yoyo opens SQLite in shared-cache mode with the default 5 s busy timeout; several migrators (processes) on a
    # loaded machine can wait longer than that for each other's commits, and shared-cache locks skip the busy
    # handler altogether. A plain connection that waits as long as the migration lock does is what we need.
    conn = sqlite3.connect(dburi.database, timeout=LOCK_TIMEOUT, detect_types=sqlite3.PARSE_DECLTYPES)
    conn.isolation_level = None
    return conn


def _sqlite_begin(self: Any) -> None:
    # yoyo's deferred BEGIN makes a transaction that writes upgrade its read lock later, and SQLite refuses that
    # upgrade at once (SQLITE_BUSY, without waiting) while another connection is committing: one of several racing
    # migrators then failed between applying a migration and recording it, and the next applied it again. BEGIN
    # IMMEDIATE takes the write lock up front, where the busy timeout does wait.
    assert not self._in_transaction
    self._in_transaction = True
    self.execute("BEGIN IMMEDIATE")


def _sqlite_read_only_connect(self: Any, dburi: Any) -> sqlite3.Connection:
    # mode=ro neither creates a missing file nor writes to an existing one.
    uri = "file:" + urllib.parse.quote(dburi.database) + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=LOCK_TIMEOUT, detect_types=sqlite3.PARSE_DECLTYPES)
    conn.isolation_level = None
    return conn


def _prepare_postgres(target: Target, schema: str) -> None:
    """Refuse a connection pooler in front of the server, then create the kit's schema if it is not `public`."""
    if target.dialect != "postgres":
        return
    try:
        import psycopg
    except ModuleNotFoundError as e:
        missing_extra("postgres", e)

    try:
        conn = psycopg.connect(target.url, autocommit=True)
    except Exception as e:
        raise MigrationError(f"cannot connect to {redact(target.url)} for migrations: {e}") from e
    with conn:
        _refuse_pooler(conn, target)
        if schema == "public":
            return
        try:
            # IF NOT EXISTS is not race-free: a concurrent migrator may create it first.
            race = (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateSchema)
            with contextlib.suppress(*race):
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'.encode())
        except Exception as e:
            raise MigrationError(f"cannot create schema {schema!r}: {e}") from e


def _refuse_pooler(conn: Any, target: Target) -> None:
    """ConfigError if `conn` reaches PostgreSQL through PgBouncer (or another pooler) rather than directly.

    The process id a server announces when a connection opens (BackendKeyData, used to cancel queries) is the
    backend's own pg_backend_pid() on a direct connection, and through a plain TCP forwarder, SSH tunnel or Docker
    port mapping too, since those pass the bytes along. A pooler cannot hand out a real backend's id, because the
    client is not tied to one backend: PgBouncer sends a random one of its own. Comparing ports instead would
    mistake a mapped port (Docker's 5433 -> 5432) for a pooler and misses Unix sockets.
    Migrating through transaction pooling is unsafe: yoyo's lock, its DDL and its history rows may each run on a
    different server connection, and an interrupted run leaves a lock behind.
    """
    try:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    except Exception as e:
        raise MigrationError(f"cannot read the server's process id on {redact(target.url)}: {e}") from e
    if pid != conn.info.backend_pid:
        raise ConfigError(
            f"{redact(target.url)} reaches PostgreSQL through PgBouncer (or another connection pooler): "
            "migrations must run on a direct connection; use the direct URL of the PostgreSQL server "
            "(its own host and port), and PgBouncer only for `rawstore.connect(url, pgbouncer=True)`"
        )


def _migrations(target: Target) -> Any:
    from yoyo import read_migrations

    return read_migrations(str(data_dir("migrations") / target.dialect))


@contextmanager
def _session(url: str, schema: str, action: str, *, must_exist: bool = False) -> Iterator[tuple[Any, Any]]:
    """A yoyo backend and this dialect's migrations; any failure leaves as a RawstoreError.

    `must_exist`: a missing SQLite file is an error rather than a new empty database.
    """
    target = _direct(url, schema)
    if target.dialect == "sqlite":
        check_sqlite(target, must_exist=must_exist)
    _prepare_postgres(target, schema)
    backend = _backend(target, must_exist=must_exist)
    try:
        yield backend, _migrations(target)
    except RawstoreError:
        raise
    except Exception as e:
        raise MigrationError(f"{action} {redact(url)} failed: {_first_cause(e)}") from e
    finally:
        backend.connection.close()


def _first_cause(exc: BaseException) -> BaseException:
    """The error that started it all. On MariaDB a failed DDL statement has already committed and so dropped yoyo's
    savepoint; yoyo's `ROLLBACK TO SAVEPOINT` then fails too ("SAVEPOINT sp_7 does not exist") and hides the real
    error, which stays chained as its context."""
    seen = {id(exc)}
    while exc.__context__ is not None and id(exc.__context__) not in seen and isinstance(exc.__context__, Exception):
        exc = exc.__context__
        seen.add(id(exc))
    return exc


def _url(url: str | None) -> str:
    return url_from_env(MIGRATE_URL_VARS) if url is None else url


def _direct(url: str, schema: str) -> Target:
    """The target of a migration URL, which must reach the database directly."""
    target = parse_url(url, schema=schema)
    if target.pgbouncer:
        raise ConfigError(
            f"{redact(url)} is marked ?pgbouncer=true: migrations need a direct connection (transaction pooling"
            " breaks yoyo's lock); give the direct URL, or set DIRECT_URL"
        )
    return target


def migrate(url: str | None = None, *, schema: str = "public") -> MigrationReport:
    """Apply every pending migration to the database at `url` (a direct URL: PgBouncer is refused, ConfigError).

    Without `url`, the environment's DIRECT_URL, else DATABASE_URL (else RAWSTORE_DATABASE_URL) is used.
    Safe to run from several processes at once: yoyo's lock lets one apply while the others wait.
    Synchronous (yoyo is); from async code the result may also be awaited.
    """
    url = _url(url)
    with _session(url, schema, "migrating") as (backend, migrations), backend.lock(timeout=LOCK_TIMEOUT):
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    done = MigrationReport(m.id for m in pending)
    if done:
        log.info("applied migrations %s to %s", ", ".join(done), redact(url))
    return done


def pending(url: str | None = None, *, schema: str = "public") -> list[tuple[str, str]]:
    """(id, SQL) of every migration `migrate` would apply, in order; writes nothing (`rawstore migrate --dry-run`)."""
    url = _url(url)
    target = _direct(url, schema)
    folder = data_dir("migrations") / target.dialect
    if target.dialect == "sqlite" and not Path(target.sqlite_path).is_file():
        todo = [m.id for m in _migrations(target)]  # `migrate` would create the file and apply every migration
    else:
        todo = [mid for mid, done in status(url, schema=schema).items() if not done]
    return [(mid, (folder / f"{mid}.sql").read_text("utf-8")) for mid in todo]


def rollback(url: str | None = None, *, schema: str = "public", count: int | None = None) -> MigrationReport:
    """Roll back applied migrations, newest first: all of them, or the newest `count` (at least 1).

    Without `url`, the URL comes from the environment as for `migrate`.
    """
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        # A negative count would slice from the other end: -1 rolled back every migration but the oldest.
        raise ConfigError(f"count must be a whole number of migrations, at least 1 (or None for all), got {count!r}")
    session = _session(_url(url), schema, "rolling back", must_exist=True)
    with session as (backend, migrations), backend.lock(timeout=LOCK_TIMEOUT):
        todo = backend.to_rollback(migrations)
        if count is not None:
            todo = todo[:count]
        backend.rollback_migrations(todo)
    return MigrationReport(m.id for m in todo)


def status(url: str | None = None, *, schema: str = "public") -> dict[str, bool]:
    """Every migration id of this dialect, mapped to whether it is applied. Writes nothing.

    yoyo itself would create its history and lock tables (and rawstore the PostgreSQL schema) just to answer; here
    the connection is read-only and a database yoyo has never touched simply has nothing applied. A missing SQLite
    file is an error (MigrationError), as an unknown database is on a server. Without `url`, the URL comes from
    the environment as for `migrate`.
    """
    from yoyo import internalmigrations

    url = _url(url)
    target = _direct(url, schema)
    backend = _backend(target, read_only=True)
    try:
        migrations = _migrations(target)
        applied: set[str] = set()
        version = internalmigrations.get_current_version(backend)
        if version == 0:
            pass  # yoyo's history table does not exist: nothing was ever applied
        elif version < max(internalmigrations.schema_versions):
            raise MigrationError(
                f"the migration history of {redact(url)} is in an older yoyo format: `rawstore migrate` upgrades it"
            )
        else:
            applied = {row[0] for row in backend.execute(backend.format_sql(backend.applied_migrations_sql))}
        return {m.id: m.hash in applied for m in migrations}
    except RawstoreError:
        raise
    except Exception as e:
        raise MigrationError(f"reading migration status of {redact(url)} failed: {e}") from e
    finally:
        backend.connection.close()

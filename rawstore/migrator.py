"""Schema migrations with yoyo, one folder per dialect, applied under yoyo's lock with rawstore's own history tables."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

from .errors import ConfigError, MigrationError, RawstoreError
from .sqlfiles import data_dir
from .url import Target, parse_url, redact

log = logging.getLogger("rawstore")

MIGRATION_TABLE = "rs_yoyo_migration"
LOCK_TIMEOUT = 120


class MigrationReport(list[str]):
    """The ids of the migrations a call applied or rolled back (a list). It may also be awaited."""

    def __await__(self) -> Generator[Any, None, MigrationReport]:
        return self
        yield  # pragma: no cover - makes this a generator


def _backend(target: Target) -> Any:
    from yoyo.connections import get_backend_class, parse_uri

    try:
        parsed = parse_uri(target.yoyo_url)
        base = get_backend_class(parsed.scheme.lower())
    except Exception as e:
        raise ConfigError(f"cannot migrate {redact(target.url)}: {e}") from e
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
        attrs["connect"] = _sqlite_connect
    cls = type("Rawstore" + base.__name__, (base,), attrs)
    try:
        backend = cls(parsed, MIGRATION_TABLE)
        backend.init_database()
        # yoyo ignores a failure to create its lock table and would then wait out the whole lock timeout.
        with backend.transaction(rollback_on_exit=True):
            backend.execute(f"SELECT 1 FROM {backend.lock_table_quoted} WHERE 1 = 0").fetchall()
    except Exception as e:
        raise MigrationError(f"cannot connect to {redact(target.url)} for migrations: {e}") from e
    return backend


def _sqlite_connect(self: Any, dburi: Any) -> sqlite3.Connection:
    # yoyo opens SQLite in shared-cache mode with the default 5 s busy timeout; several migrators (processes) on a
    # loaded machine can wait longer than that for each other's commits, and shared-cache locks skip the busy
    # handler altogether. A plain connection that waits as long as the migration lock does is what we need.
    conn = sqlite3.connect(dburi.database, timeout=LOCK_TIMEOUT, detect_types=sqlite3.PARSE_DECLTYPES)
    conn.isolation_level = None
    return conn


def _ensure_schema(target: Target, schema: str) -> None:
    if target.dialect != "postgres" or schema == "public":
        return
    import psycopg

    try:
        # IF NOT EXISTS is not race-free: a concurrent migrator may create it first.
        race = (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateSchema)
        with psycopg.connect(target.url, autocommit=True) as conn, contextlib.suppress(*race):
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'.encode())
    except Exception as e:
        raise MigrationError(f"cannot create schema {schema!r}: {e}") from e


def _migrations(target: Target) -> Any:
    from yoyo import read_migrations

    return read_migrations(str(data_dir("migrations") / target.dialect))


@contextmanager
def _session(url: str, schema: str, action: str) -> Iterator[tuple[Any, Any]]:
    """A yoyo backend and this dialect's migrations; any failure leaves as a RawstoreError."""
    target = parse_url(url, schema=schema)
    _ensure_schema(target, schema)
    backend = _backend(target)
    try:
        yield backend, _migrations(target)
    except RawstoreError:
        raise
    except Exception as e:
        raise MigrationError(f"{action} {redact(url)} failed: {e}") from e
    finally:
        backend.connection.close()


def migrate(url: str, *, schema: str = "public") -> MigrationReport:
    """Apply every pending migration to the database at `url` (a direct URL, never through PgBouncer).

    Safe to run from several processes at once: yoyo's lock lets one apply while the others wait.
    Synchronous (yoyo is); from async code the result may also be awaited.
    """
    with _session(url, schema, "migrating") as (backend, migrations), backend.lock(timeout=LOCK_TIMEOUT):
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    done = MigrationReport(m.id for m in pending)
    if done:
        log.info("applied migrations %s to %s", ", ".join(done), redact(url))
    return done


def rollback(url: str, *, schema: str = "public", count: int | None = None) -> MigrationReport:
    """Roll back applied migrations, newest first: all of them, or the newest `count` (at least 1)."""
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        # A negative count would slice from the other end: -1 rolled back every migration but the oldest.
        raise ConfigError(f"count must be a whole number of migrations, at least 1 (or None for all), got {count!r}")
    with _session(url, schema, "rolling back") as (backend, migrations), backend.lock(timeout=LOCK_TIMEOUT):
        todo = backend.to_rollback(migrations)
        if count is not None:
            todo = todo[:count]
        backend.rollback_migrations(todo)
    return MigrationReport(m.id for m in todo)


def status(url: str, *, schema: str = "public") -> dict[str, bool]:
    """Every migration id of this dialect, mapped to whether it is applied."""
    with _session(url, schema, "reading migration status of") as (backend, migrations):
        applied = backend.get_applied_migration_hashes()
        return {m.id: m.hash in applied for m in migrations}

"""Test databases: which backends run, fresh empty databases on each server, and cleaning between tests.

Backends come from RAWSTORE_TEST_DBS (default: sqlite,postgres,mysql,pgbouncer; "pgvector" names the PostgreSQL with
the vector extension, which `scripts/test-all.sh` runs the semantic-memory suite on) and the servers from the
RAWSTORE_*_DSN variables that `scripts/dbs.sh start` prints. A backend whose server is missing is skipped locally
and is a failure when CI=true, so a broken provisioning step can never produce a green run.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec
import pytest

ALL = ("sqlite", "postgres", "mysql", "pgbouncer", "pgvector")
DEFAULT = ("sqlite", "postgres", "mysql", "pgbouncer")
DIRECT = ("sqlite", "postgres", "mysql", "pgvector")
# Backends on a PostgreSQL server (reached with psycopg for set-up and cleaning).
POSTGRES = ("postgres", "pgbouncer", "pgvector")
ENV = {
    "postgres": "RAWSTORE_PG_DSN",
    "mysql": "RAWSTORE_MYSQL_DSN",
    "pgbouncer": "RAWSTORE_PGBOUNCER_DSN",
    "pgvector": "RAWSTORE_PGVECTOR_DSN",
}


def capabilities(backend: str) -> Any:
    """The capabilities a backend's driver declares (imported only for a selected backend, whose extra is there)."""
    if backend == "sqlite":
        from rawstore.drivers.sqlite import LiteDriver

        return LiteDriver.capabilities
    if backend == "mysql":
        from rawstore.drivers.mysql import MyDriver

        return MyDriver.capabilities
    from rawstore.drivers import postgres

    caps = postgres.capabilities(pgbouncer=backend == "pgbouncer")
    # The driver detects the vector extension when it connects; the pgvector server has it in every database.
    return msgspec.structs.replace(caps, vector=backend == "pgvector")


def selected() -> list[str]:
    raw = os.environ.get("RAWSTORE_TEST_DBS", ",".join(DEFAULT))
    names = [x.strip() for x in raw.split(",") if x.strip()]
    bad = [n for n in names if n not in ALL]
    if bad:
        raise pytest.UsageError(f"RAWSTORE_TEST_DBS names unknown backends {bad}; choose from {ALL}")
    return names


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(backend: str, why: str) -> None:
    msg = f"{backend} is not reachable: {why}"
    if in_ci():
        pytest.fail(msg + " (CI=true: a database that cannot be reached fails the run)", pytrace=False)
    pytest.skip(msg)


def with_db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, ""))


def server_url(backend: str) -> str:
    key = ENV["postgres" if backend == "pgbouncer" else backend]
    url = os.environ.get(key)
    if not url:
        unavailable(backend, f'{key} is not set (run: eval "$(bash scripts/dbs.sh start)")')
    assert url is not None
    return url


def create_database(backend: str, name: str, tmp: Path, *, drop_only: bool = False) -> str:
    """An empty database called `name` on the backend's server (dropped first if it exists); its URL.

    With `drop_only`, the database is only dropped (cleanup after a session)."""
    if backend == "sqlite":
        path = tmp / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    base = server_url(backend)
    try:
        if backend in POSTGRES:
            import psycopg

            with psycopg.connect(with_db(base, "postgres"), autocommit=True, connect_timeout=5) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
                if not drop_only:
                    c.execute(f'CREATE DATABASE "{name}"'.encode())
        else:
            c2 = mysql_connect(base, database=False)
            try:
                with c2.cursor() as cur:
                    cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
                    if not drop_only:
                        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            finally:
                c2.close()
    except Exception as e:  # any failure to reach the server
        unavailable(backend, repr(e))
    if backend == "pgbouncer":
        return with_db(os.environ.get(ENV["pgbouncer"]) or unavailable(backend, "no pgbouncer DSN") or "", name)
    return with_db(base, name)


def direct_url(backend: str, url: str) -> str:
    """The URL migrations must use: PgBouncer's database, reached directly on PostgreSQL."""
    if backend != "pgbouncer":
        return url
    return with_db(server_url("postgres"), urlsplit(url).path.lstrip("/"))


def kit_tables(backend: str, url: str) -> list[str]:
    """The kit's data tables (rs_ prefix, yoyo's history excluded)."""
    rows: list[tuple[str]]
    if backend == "sqlite":
        with sqlite3.connect(url[len("sqlite:///") :]) as c:
            rows = c.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'rs\\_%' ESCAPE '\\'"
            ).fetchall()
    elif backend in POSTGRES:
        import psycopg

        with psycopg.connect(direct_url(backend, url)) as c:
            rows = c.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'rs\\_%'"
            ).fetchall()  # type: ignore[assignment]
    else:
        rows = mysql_query(
            url,
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_name LIKE 'rs\\_%'",
        )
    return sorted(r[0] for r in rows if not r[0].startswith("rs_yoyo"))


def mysql_connect(url: str, *, database: bool = True) -> Any:
    """A PyMySQL connection (autocommit, utf8mb4) to the URL's server, and to its database unless told not to."""
    import pymysql

    p = urlsplit(url)
    return pymysql.connect(
        host=p.hostname or "127.0.0.1",
        port=p.port or 3306,
        user=p.username or "root",
        password=p.password or "",
        database=p.path.lstrip("/") if database else None,
        autocommit=True,
        charset="utf8mb4",
        connect_timeout=5,
    )


def mysql_query(url: str, sql: str, *statements: str) -> list[tuple[str]]:

    c = mysql_connect(url)
    try:
        with c.cursor() as cur:
            for s in statements:
                cur.execute(s)
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        c.close()


def clean(backend: str, url: str, tables: list[str]) -> None:
    """Empty every kit table, fast."""
    if not tables:
        return
    if backend == "sqlite":
        with sqlite3.connect(url[len("sqlite:///") :]) as c:
            c.execute("PRAGMA foreign_keys=OFF")
            for t in tables:
                c.execute(f"DELETE FROM {t}")
        return
    if backend in POSTGRES:
        import psycopg

        with psycopg.connect(direct_url(backend, url), autocommit=True) as c:
            # CASCADE: tables the kit makes at run time (pgvector's per-dimension vector tables) reference these.
            c.execute(("TRUNCATE " + ", ".join(tables) + " CASCADE").encode())
        return
    mysql_query(
        url, "SELECT 1", "SET FOREIGN_KEY_CHECKS=0", *[f"DELETE FROM {t}" for t in tables], "SET FOREIGN_KEY_CHECKS=1"
    )


def copy_sqlite(src_url: str, dst: Path) -> str:
    shutil.copyfile(src_url[len("sqlite:///") :], dst)
    return f"sqlite:///{dst}"


async def ddl(store: Any, *statements: str) -> None:
    """Run the application's own DDL in one store transaction."""
    async with store.transaction() as tx:
        for statement in statements:
            await tx.execute(statement)


RLS_ROLE = "rs_rls_app"  # listed in PgBouncer's auth file by scripts/dbs.sh


def rls_role_url(direct: str, url: str) -> str:
    """`url` as RLS_ROLE, a role that neither owns the kit's tables nor bypasses row-level security; the role is made
    (once per server) and granted what a service needs on the database that `direct` reaches."""
    import contextlib

    import psycopg

    with psycopg.connect(direct, autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (RLS_ROLE,)).fetchone():
            with contextlib.suppress(psycopg.errors.DuplicateObject):  # another test process made it meanwhile
                c.execute(f"CREATE ROLE {RLS_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS")
        c.execute(f"GRANT USAGE ON SCHEMA public TO {RLS_ROLE}")
        c.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {RLS_ROLE}")
    p = urlsplit(url)
    return urlunsplit((p.scheme, f"{RLS_ROLE}@{p.hostname}:{p.port}", p.path, p.query, ""))

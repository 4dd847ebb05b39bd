"""Migrations on real databases: concurrency, migrate/rollback cycles, prefixes, schemas, errors and the files."""

from __future__ import annotations

import multiprocessing
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

import rawstore
from rawstore.sqlfiles import DIALECTS, data_dir
from tests import dbs

MIGRATIONS = data_dir("migrations")


def migration_ids(folder: Path) -> list[str]:
    """Ids of the forward migrations in a dialect folder, in order."""
    return sorted(p.name[: -len(".sql")] for p in folder.glob("*.sql") if not p.name.endswith(".rollback.sql"))


ALL_IDS = migration_ids(MIGRATIONS / "postgres")
APPLIED = dict.fromkeys(ALL_IDS, True)
PENDING = dict.fromkeys(ALL_IDS, False)
ROLLED_BACK = ALL_IDS[::-1]  # newest first
KIT_TABLES = {
    "rs_threads",
    "rs_messages",
    "rs_resources",
    "rs_workflow_runs",
    "rs_workflow_stages",
    "rs_workflow_logs",
    "rs_workflow_artifacts",
    "rs_jobs",
    "rs_ai_calls",
    "rs_ai_batches",
    "rs_workflow_snapshots",
    "rs_ai_spans",
    "rs_otel_traces",
    "rs_scores",
    "rs_evals",
    "rs_index_registry",
    "rs_mem_users",
    "rs_mem_sessions",
    "rs_memories",
}
YOYO_TABLES = {"rs_yoyo_migration", "rs_yoyo_log", "rs_yoyo_lock", "rs_yoyo_version"}
REPO = Path(__file__).resolve().parent.parent


def is_migrated(names: set[str]) -> bool:
    """The kit's tables and yoyo's history are there, and every table is prefixed rs_."""
    return names >= KIT_TABLES | YOYO_TABLES and all(n.startswith("rs_") for n in names)


# --- reading a database with the synchronous drivers -------------------------------------------------------------


def query(backend: str, url: str, sql: str) -> list[tuple[Any, ...]]:
    if backend == "sqlite":
        with closing(sqlite3.connect(url[len("sqlite:///") :])) as c:
            return [tuple(r) for r in c.execute(sql).fetchall()]
    if backend == "postgres":
        import psycopg

        with psycopg.connect(url, autocommit=True) as c:
            return [tuple(r) for r in c.execute(sql.encode()).fetchall()]
    return [tuple(r) for r in dbs.mysql_query(url, sql)]


def execute(backend: str, url: str, *statements: str) -> None:
    if backend == "sqlite":
        with closing(sqlite3.connect(url[len("sqlite:///") :])) as c, c:
            for s in statements:
                c.execute(s)
        return
    if backend == "postgres":
        import psycopg

        with psycopg.connect(url, autocommit=True) as c:
            for s in statements:
                c.execute(s.encode())
        return
    dbs.mysql_query(url, "SELECT 1", *statements)


def tables(backend: str, url: str, schema: str = "public") -> set[str]:
    """Base tables of the database (PostgreSQL: of `schema`)."""
    if backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    elif backend == "postgres":
        sql = f"SELECT tablename FROM pg_tables WHERE schemaname = '{schema}'"
    else:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
    return {r[0] for r in query(backend, url, sql)}


def objects(backend: str, url: str) -> set[str]:
    """Every named object an application could collide with: tables, views, indexes, sequences, routines, types.

    Each is `kind:name` (PostgreSQL: `kind:schema.name`, schemas themselves are `schema:name`).
    """
    if backend == "sqlite":
        rows = query(
            backend,
            url,
            "SELECT type || ':' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
    elif backend == "postgres":
        user_ns = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%'"
        rows = query(
            backend,
            url,
            f"""
            SELECT 'schema:' || n.nspname FROM pg_namespace n WHERE {user_ns}
            UNION ALL
            SELECT 'rel' || c.relkind::text || ':' || n.nspname || '.' || c.relname
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {user_ns}
            UNION ALL
            SELECT 'proc:' || n.nspname || '.' || p.proname
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {user_ns}
            UNION ALL
            SELECT 'type:' || n.nspname || '.' || t.typname
              FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE {user_ns} AND t.typtype IN ('e', 'd', 'r', 'm')
            """,
        )
    else:
        rows = query(
            backend,
            url,
            """
            SELECT CONCAT('table:', table_name) FROM information_schema.tables WHERE table_schema = DATABASE()
            UNION ALL
            SELECT DISTINCT CONCAT('index:', index_name) FROM information_schema.statistics
             WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY'
            UNION ALL
            SELECT CONCAT('routine:', routine_name) FROM information_schema.routines WHERE routine_schema = DATABASE()
            UNION ALL
            SELECT CONCAT('trigger:', trigger_name) FROM information_schema.triggers WHERE trigger_schema = DATABASE()
            UNION ALL
            SELECT CONCAT('event:', event_name) FROM information_schema.events WHERE event_schema = DATABASE()
            """,
        )
    return {r[0] for r in rows}


def bare_name(obj: str) -> str:
    """`relr:public.rs_threads` -> `rs_threads`."""
    return obj.split(":", 1)[1].rsplit(".", 1)[-1]


def history(backend: str, url: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(migration ids in rs_yoyo_migration, (migration id, operation) rows of rs_yoyo_log)."""
    applied = [r[0] for r in query(backend, url, "SELECT migration_id FROM rs_yoyo_migration ORDER BY migration_id")]
    log = [
        (r[0], r[1])
        for r in query(backend, url, "SELECT migration_id, operation FROM rs_yoyo_log ORDER BY created_at_utc, id")
    ]
    return applied, log


# --- concurrent migrators ----------------------------------------------------------------------------------------


def _migrate_worker(url: str, barrier: Any, results: Any) -> None:
    """Runs in a spawned process: wait until every migrator is ready, then migrate at the same moment."""
    try:
        barrier.wait(timeout=60)
        done = rawstore.migrate(url)
        results.put(("ok", list(done)))
    except BaseException as e:
        results.put(("error", f"{type(e).__module__}.{type(e).__name__}: {e}"))


@pytest.mark.parametrize("start", ["empty", "initialized"])
def test_concurrent_migrators_apply_once(direct_backend: str, fresh_url: Callable[[str], str], start: str) -> None:
    """Four processes migrate one database at the same instant: one applies everything, the others nothing.

    "empty": a brand-new database (yoyo's own tables are created in the race too); "initialized": yoyo's tables
    exist but nothing is applied, so the migrations themselves race (only the lock keeps them apart).
    """
    url = fresh_url(f"rs_mig_conc_{start}")
    if start == "initialized":
        # status() no longer writes; yoyo's own tables are made the way migrate() first makes them.
        with rawstore.migrator._session(url, "public", "initializing") as (backend, _):
            backend.ensure_internal_schema_updated()
        assert rawstore.status(url) == PENDING
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    results = ctx.Queue()
    procs = [ctx.Process(target=_migrate_worker, args=(url, barrier, results)) for _ in range(4)]
    for p in procs:
        p.start()
    outcomes: list[tuple[str, Any]] = []
    try:
        deadline = time.monotonic() + 150
        while len(outcomes) < 4 and time.monotonic() < deadline:
            try:
                outcomes.append(results.get(timeout=1))
            except Exception:
                if not any(p.is_alive() for p in procs) and results.empty():
                    break
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    errors = [detail for status, detail in outcomes if status != "ok"]
    assert errors == []
    reports = sorted(detail for _, detail in outcomes)
    assert reports == [[], [], [], ALL_IDS]
    assert rawstore.status(url) == APPLIED
    applied, log = history(direct_backend, url)
    assert applied == ALL_IDS
    assert log == [(mid, "apply") for mid in ALL_IDS]
    assert tables(direct_backend, url) >= KIT_TABLES
    # Nobody still holds yoyo's lock.
    assert query(direct_backend, url, "SELECT COUNT(*) FROM rs_yoyo_lock") == [(0,)]


# --- migrate / rollback cycles -----------------------------------------------------------------------------------


def test_migrate_rollback_migrate(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_mig_cycle")
    assert tables(direct_backend, url) == set()
    assert rawstore.status(url) == PENDING
    assert rawstore.rollback(url) == []  # nothing applied yet: nothing to roll back

    assert rawstore.migrate(url) == ALL_IDS
    assert rawstore.status(url) == APPLIED
    assert is_migrated(tables(direct_backend, url))
    assert history(direct_backend, url)[0] == ALL_IDS

    second = rawstore.migrate(url)
    assert isinstance(second, list)
    assert second == []

    assert rawstore.rollback(url) == ROLLED_BACK
    assert rawstore.status(url) == PENDING
    assert tables(direct_backend, url) == YOYO_TABLES
    assert history(direct_backend, url)[0] == []
    assert rawstore.rollback(url) == []

    assert rawstore.migrate(url) == ALL_IDS
    assert rawstore.status(url) == APPLIED
    assert is_migrated(tables(direct_backend, url))
    applied, log = history(direct_backend, url)
    assert applied == ALL_IDS
    # (yoyo's log timestamps have whole seconds on MariaDB: compare counts, not order)
    assert sorted(log) == sorted([(m, "apply") for m in ALL_IDS] * 2 + [(m, "rollback") for m in ALL_IDS])
    assert rawstore.migrate(url) == []


def test_rollback_count(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_mig_count")
    rawstore.migrate(url)
    with pytest.raises(rawstore.ConfigError):
        rawstore.rollback(url, count=0)  # counts below 1 are refused (-1 once rolled back all but one)
    assert rawstore.status(url) == APPLIED
    assert rawstore.rollback(url, count=1) == ALL_IDS[-1:]
    assert rawstore.status(url) == {**APPLIED, ALL_IDS[-1]: False}
    assert rawstore.rollback(url) == ALL_IDS[-2::-1]
    assert rawstore.status(url) == PENDING
    assert not KIT_TABLES & tables(direct_backend, url)


async def test_migrated_database_is_usable_after_a_cycle(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_mig_usable")
    rawstore.migrate(url)
    rawstore.rollback(url)
    rawstore.migrate(url)
    async with rawstore.connect(url) as store:
        await store.memory.save_thread(rawstore.Thread("t1", resource_id="u1", title="hello"))
        got = await store.memory.get_thread("t1")
        assert got is not None
        assert got.title == "hello"


# --- the kit leaves the application's objects alone --------------------------------------------------------------

APP_ROWS = [(1, "alice"), (2, "bob"), (3, "carol")]
# Names an application may well use: the kit's table names without the prefix, and yoyo's default table names.
APP_TABLES = ("threads", "messages", "resources", "_yoyo_migration", "yoyo_lock", "_yoyo_log")


def _app_rows(backend: str, url: str) -> dict[str, list[tuple[Any, ...]]]:
    return {t: query(backend, url, f"SELECT id, name FROM {t} ORDER BY id") for t in APP_TABLES}


def test_application_tables_untouched(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_mig_app")
    values = ", ".join(f"({i}, '{n}')" for i, n in APP_ROWS)
    execute(
        direct_backend,
        url,
        *[f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)" for t in APP_TABLES],
        *[f"INSERT INTO {t} (id, name) VALUES {values}" for t in APP_TABLES],
    )
    expected = {t: APP_ROWS for t in APP_TABLES}
    before = objects(direct_backend, url)
    assert _app_rows(direct_backend, url) == expected

    assert rawstore.migrate(url) == ALL_IDS
    assert _app_rows(direct_backend, url) == expected
    after_migrate = objects(direct_backend, url)
    assert before <= after_migrate
    added = after_migrate - before
    assert {bare_name(o) for o in added} >= KIT_TABLES | YOYO_TABLES
    assert [o for o in added if not bare_name(o).startswith("rs_")] == []
    # yoyo's own bookkeeping is all prefixed rs_yoyo_*: no yoyo table under any other name.
    yoyo_like = {bare_name(o) for o in added if "yoyo" in o}
    assert {n for n in yoyo_like if not n.startswith("rs_yoyo_")} == set()
    assert tables(direct_backend, url) >= YOYO_TABLES

    assert rawstore.rollback(url) == ROLLED_BACK
    assert _app_rows(direct_backend, url) == expected
    after_rollback = objects(direct_backend, url)
    assert before <= after_rollback
    leftover = after_rollback - before
    # Only yoyo's history remains (so a later migrate knows what happened), and it is prefixed.
    assert {bare_name(o) for o in leftover if o.split(":", 1)[0] in ("table", "relr")} == YOYO_TABLES
    assert [o for o in leftover if not bare_name(o).startswith("rs_yoyo_")] == []


@pytest.mark.backends("mysql")
def test_mysql_least_privilege_user_leaves_no_foreign_table(
    direct_backend: str, fresh_url: Callable[[str], str]
) -> None:
    """A MariaDB user that may create anything but drop only the kit's own tables: migrate and rollback work
    and add no object outside the rs_ prefix (nothing unprefixed may be created even for a moment)."""
    import pymysql

    url = fresh_url("rs_mig_priv")
    p = urlsplit(url)
    name = p.path.lstrip("/")
    root = pymysql.connect(
        host=p.hostname, port=p.port or 3306, user=p.username or "root", password=p.password or "", autocommit=True
    )
    user = f"rs_priv_{os.getpid()}"
    try:
        with root.cursor() as cur:
            try:
                cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
                cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'")
            except pymysql.MySQLError as e:
                pytest.skip(f"cannot create a MariaDB user: {e}")
            cur.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, INDEX, ALTER, REFERENCES ON `{name}`.* TO '{user}'@'%'"
            )
            for t in sorted(KIT_TABLES | YOYO_TABLES):
                cur.execute(f"GRANT CREATE, DROP ON `{name}`.`{t}` TO '{user}'@'%'")
        limited = urlunsplit((p.scheme, f"{user}:pw@{p.hostname}:{p.port or 3306}", p.path, "", ""))
        before = objects("mysql", url)
        assert rawstore.migrate(limited) == ALL_IDS
        assert rawstore.rollback(limited) == ROLLED_BACK
        added = objects("mysql", url) - before
        assert sorted(o for o in added if not bare_name(o).startswith("rs_")) == []
    finally:
        with root.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        root.close()


def _yoyo_url(backend: str, url: str) -> str:
    if backend == "postgres":
        p = urlsplit(url)
        return urlunsplit(("postgresql+psycopg", p.netloc, p.path, p.query, ""))
    return url


def test_application_own_yoyo_history_is_separate(
    direct_backend: str, fresh_url: Callable[[str], str], tmp_path: Path
) -> None:
    """An application that runs yoyo itself, with yoyo's default tables, and the kit do not see each other."""
    from yoyo import get_backend, read_migrations

    url = fresh_url("rs_mig_appyoyo")
    folder = tmp_path / "app_migrations"
    folder.mkdir()
    (folder / "0001_memory_threads.sql").write_text("CREATE TABLE app_items (id INTEGER PRIMARY KEY);\n")
    (folder / "0001_memory_threads.rollback.sql").write_text("DROP TABLE app_items;\n")
    app_migrations = read_migrations(str(folder))
    app = get_backend(_yoyo_url(direct_backend, url))
    try:
        with app.lock():
            app.apply_migrations(app.to_apply(app_migrations))
    finally:
        app.connection.close()
    execute(direct_backend, url, "INSERT INTO app_items (id) VALUES (7)")

    # Same migration id as the kit's on purpose: the kit must still apply its own and roll back only its own.
    assert rawstore.migrate(url) == ALL_IDS
    assert rawstore.rollback(url) == ROLLED_BACK
    assert query(direct_backend, url, "SELECT id FROM app_items") == [(7,)]
    assert [r[0] for r in query(direct_backend, url, "SELECT migration_id FROM _yoyo_migration")] == [
        "0001_memory_threads"
    ]
    app = get_backend(_yoyo_url(direct_backend, url))
    try:
        assert len(app.to_apply(app_migrations)) == 0
    finally:
        app.connection.close()


# --- the result type ---------------------------------------------------------------------------------------------


async def test_migrate_result_is_a_list_and_awaitable(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_mig_await")
    done = await rawstore.migrate(url)
    assert isinstance(done, list)
    assert done == ALL_IDS
    again = rawstore.migrate(url)
    assert isinstance(again, list)
    assert again == []
    assert await again == []
    assert rawstore.status(url) == APPLIED
    undone = await rawstore.rollback(url)
    assert isinstance(undone, list)
    assert undone == ROLLED_BACK


# --- PostgreSQL schemas ------------------------------------------------------------------------------------------


@pytest.mark.backends("postgres")
async def test_postgres_schema(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_mig_schema")
    before = objects("postgres", url)
    assert rawstore.migrate(url, schema="kit") == ALL_IDS
    assert is_migrated(tables("postgres", url, "kit"))
    assert tables("postgres", url, "public") == set()
    added = objects("postgres", url) - before
    assert "schema:kit" in added
    assert [o for o in added if o != "schema:kit" and not o.split(":", 1)[1].startswith("kit.rs_")] == []
    assert rawstore.status(url, schema="kit") == APPLIED
    assert rawstore.migrate(url, schema="kit") == []

    async with rawstore.connect(url, schema="kit") as store:
        await store.memory.save_thread(rawstore.Thread("t1", resource_id="u1", title="in kit"))
        got = await store.memory.get_thread("t1")
        assert got is not None
        assert (got.id, got.resource_id, got.title) == ("t1", "u1", "in kit")
    assert query("postgres", url, "SELECT id, title FROM kit.rs_threads") == [("t1", "in kit")]
    assert tables("postgres", url, "public") == set()

    assert rawstore.rollback(url, schema="kit") == ROLLED_BACK
    assert tables("postgres", url, "kit") == YOYO_TABLES
    assert tables("postgres", url, "public") == set()


@pytest.mark.backends("postgres")
def test_postgres_two_schemas_are_independent(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_mig_2schemas")
    assert rawstore.migrate(url, schema="kit_a") == ALL_IDS
    assert rawstore.migrate(url, schema="kit_b") == ALL_IDS
    assert rawstore.rollback(url, schema="kit_a") == ROLLED_BACK
    assert rawstore.status(url, schema="kit_a") == PENDING
    assert rawstore.status(url, schema="kit_b") == APPLIED
    assert is_migrated(tables("postgres", url, "kit_b"))
    assert tables("postgres", url, "public") == set()


@pytest.mark.backends("postgres")
def test_postgres_schema_created_by_someone_else_meanwhile(
    direct_backend: str, fresh_url: Callable[[str], str]
) -> None:
    """Another session creates the schema while migrate is creating it too (as with concurrent migrators)."""
    import psycopg

    url = fresh_url("rs_mig_schema_race")
    outcome: dict[str, Any] = {}

    def migrate() -> None:
        try:
            outcome["done"] = rawstore.migrate(url, schema="kit")
        except Exception as e:
            outcome["error"] = e

    with psycopg.connect(url) as other, psycopg.connect(url, autocommit=True) as monitor:
        other.execute(b'CREATE SCHEMA "kit"')  # not committed yet
        worker = threading.Thread(target=migrate)
        worker.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and worker.is_alive():
            waiting = monitor.execute(
                b"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if waiting and waiting[0]:
                break
            time.sleep(0.02)
        other.commit()
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["done"] == ALL_IDS
    assert is_migrated(tables("postgres", url, "kit"))


@pytest.mark.backends("postgres")
def test_postgres_status_and_rollback_before_the_schema_exists(
    direct_backend: str, fresh_url: Callable[[str], str]
) -> None:
    """Like on an unmigrated database without a schema: status reports everything pending, rollback does nothing.

    Both run as subprocesses so a hang costs seconds, not minutes.
    """
    url = fresh_url("rs_mig_schema_missing")
    script = Path(sys.executable).parent / "rawstore"
    procs = {
        cmd: subprocess.Popen(
            [str(script), cmd, url, "--schema", "kit"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for cmd in ("status", "rollback")
    }
    results: dict[str, tuple[int | None, str, str]] = {}
    deadline = time.monotonic() + 8
    for cmd, p in procs.items():
        try:
            out, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            results[cmd] = (None, out, "timed out after 8 s")
            continue
        results[cmd] = (p.returncode, out, err)
    assert results["status"] == (0, "".join(f"pending  {m}\n" for m in ALL_IDS), "")
    assert results["rollback"] == (0, "rolled back 0 migration(s)\n", "")


# --- errors ------------------------------------------------------------------------------------------------------

BAD_URLS = [
    "oracle://scott:tiger@127.0.0.1:1521/orcl",
    "postgresql+asyncpg://u@127.0.0.1/db",
    "mysql://root@127.0.0.1:33306",
    "mysql://root@127.0.0.1:33306/",
    "sqlite:///:memory:",
    "sqlite://",
    "not a url",
]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("call", ["migrate", "status", "rollback"])
def test_bad_url_is_config_error(call: str, url: str) -> None:
    with pytest.raises(rawstore.ConfigError):
        getattr(rawstore, call)(url)


@pytest.mark.parametrize("schema", ["bad-name", "kit; DROP TABLE x", "", "1kit"])
def test_bad_schema_is_config_error(schema: str) -> None:
    with pytest.raises(rawstore.ConfigError):
        rawstore.migrate("postgresql://postgres@127.0.0.1:1/nowhere", schema=schema)


UNREACHABLE = [
    "postgresql://postgres:secret@127.0.0.1:1/nowhere",
    "mysql://root:secret@127.0.0.1:1/nowhere",
    "sqlite:////nonexistent-rawstore-dir/sub/x.db",
]


@pytest.mark.parametrize("url", UNREACHABLE)
@pytest.mark.parametrize("call", ["migrate", "status", "rollback"])
def test_unreachable_server_is_rawstore_error(call: str, url: str) -> None:
    with pytest.raises(rawstore.RawstoreError) as info:
        getattr(rawstore, call)(url)
    assert isinstance(info.value, rawstore.MigrationError)
    assert "secret" not in str(info.value)


def test_unreachable_server_with_schema_is_migration_error() -> None:
    with pytest.raises(rawstore.MigrationError):
        rawstore.migrate("postgresql://postgres@127.0.0.1:1/nowhere", schema="kit")


# --- the migration files -----------------------------------------------------------------------------------------

_CREATE = re.compile(
    r"\bCREATE\s+(?:UNIQUE\s+|VIRTUAL\s+)?(?P<kind>TABLE|INDEX|VIEW|TRIGGER|SEQUENCE|TYPE|FUNCTION|PROCEDURE|POLICY)\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?[`\"]?(?P<name>\w+)",
    re.IGNORECASE,
)
_INLINE_NAME = re.compile(
    r"\b(?:CONSTRAINT|KEY|INDEX)\s+[`\"]?(?P<name>\w+)[`\"]?\s*(?:PRIMARY|UNIQUE|FOREIGN|CHECK|\()"
)
_DROP_TABLE = re.compile(r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?[`\"]?(?P<name>\w+)", re.IGNORECASE)
_ALTER_TABLE = re.compile(r"\bALTER\s+TABLE\s+[`\"]?(?P<name>\w+)", re.IGNORECASE)


@pytest.mark.parametrize("root", ["repository", "installed"])
def test_migration_files_match_across_dialects(root: str) -> None:
    base = REPO / "migrations" if root == "repository" else data_dir("migrations")
    ids = {d: set(migration_ids(base / d)) for d in DIALECTS}
    assert ids["postgres"], f"no migrations in {base}"
    assert ids["postgres"] == ids["mysql"] == ids["sqlite"]
    for d in DIALECTS:
        for mid in ids[d]:
            rollback = base / d / f"{mid}.rollback.sql"
            assert rollback.is_file(), f"{rollback} is missing"
            assert rollback.read_text("utf-8").strip()
        extra = (
            {p.name for p in (base / d).iterdir()}
            - {f"{m}.sql" for m in ids[d]}
            - {f"{m}.rollback.sql" for m in ids[d]}
        )
        assert extra == set(), f"unexpected files in {base / d}"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_migration_files_name_only_prefixed_objects(dialect: str) -> None:
    folder = data_dir("migrations") / dialect
    for mid in migration_ids(folder):
        text = re.sub(r"--[^\n]*", "", (folder / f"{mid}.sql").read_text("utf-8"))
        created = [m.group("name") for m in _CREATE.finditer(text)]
        inline = [m.group("name") for m in _INLINE_NAME.finditer(text)]
        altered = [m.group("name") for m in _ALTER_TABLE.finditer(text)]
        # A dialect that needs no change still has the id (same ids everywhere): a file of comments only, which yoyo
        # records without running anything (a `SELECT` would print its result on `rawstore migrate`).
        assert created or altered or not text.strip(), f"{dialect}/{mid} names no object"
        assert [n for n in created + inline + altered if not n.startswith("rs_")] == []
        made_tables = {m.group("name") for m in _CREATE.finditer(text) if m.group("kind").upper() == "TABLE"}
        rollback = re.sub(r"--[^\n]*", "", (folder / f"{mid}.rollback.sql").read_text("utf-8"))
        dropped = {m.group("name") for m in _DROP_TABLE.finditer(rollback)}
        assert dropped == made_tables, f"{dialect}/{mid}: rollback drops {dropped}, migration creates {made_tables}"


def test_yoyo_reads_the_same_ids_in_every_dialect() -> None:
    from yoyo import read_migrations

    ids = {d: [m.id for m in read_migrations(str(data_dir("migrations") / d))] for d in DIALECTS}
    assert ids["postgres"] == ids["mysql"] == ids["sqlite"]
    assert ids["postgres"][: len(ALL_IDS)] == ALL_IDS

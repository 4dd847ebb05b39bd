"""Typed errors (driver errors never escape untranslated), connect() options and failures, closing, logging."""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import rawstore
import rawstore.errors
from rawstore import Message, Resource, Store, Thread
from tests import dbs

DRIVER_MODULES = ("asyncpg", "pymysql", "aiomysql", "sqlite3", "aiosqlite")
APP = "app_items"
CHILD = "app_item_parts"


def _driver_exception(exc: BaseException | None) -> bool:
    return (
        exc is not None
        and not isinstance(exc, rawstore.RawstoreError)
        and (type(exc).__module__.split(".")[0] in DRIVER_MODULES)
    )


def _dialect(backend: str) -> str:
    return "postgres" if backend == "pgbouncer" else backend


@pytest.fixture
async def app(store: Store) -> AsyncIterator[str]:
    """An application table (id primary key, NOT NULL name) and a child table referencing it."""
    await dbs.ddl(store, f"CREATE TABLE {APP} (id VARCHAR(64) NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL)")
    await dbs.ddl(
        store,
        f"CREATE TABLE {CHILD} (id VARCHAR(64) NOT NULL PRIMARY KEY, item_id VARCHAR(64) NOT NULL, "
        f"FOREIGN KEY (item_id) REFERENCES {APP} (id))",
    )
    try:
        yield APP
    finally:
        await dbs.ddl(store, f"DROP TABLE {CHILD}")
        await dbs.ddl(store, f"DROP TABLE {APP}")


# -- the error classes ---------------------------------------------------------------------------------------


def _error_classes() -> list[type[BaseException]]:
    return [c for _, c in inspect.getmembers(rawstore.errors, inspect.isclass) if issubclass(c, BaseException)]


def test_every_error_class_is_a_rawstore_error() -> None:
    classes = _error_classes()
    names = {c.__name__ for c in classes}
    assert {"NotFound", "Conflict", "InvalidInput", "LeaseLost", "TenantRequired", "ConnectionLost"} <= names
    assert {"DatabaseError", "ConfigError", "MigrationError", "RawstoreError"} <= names
    for c in classes:
        assert issubclass(c, rawstore.RawstoreError), c
        assert getattr(rawstore, c.__name__) is c, f"{c.__name__} is not exported as rawstore.{c.__name__}"
        assert c.__name__ in rawstore.__all__
    assert issubclass(rawstore.LeaseLost, rawstore.Conflict)
    assert issubclass(rawstore.InvalidInput, ValueError)
    assert issubclass(rawstore.NotFound, LookupError)


# -- driver errors are translated ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql", ["SELEC 1", "SELECT no_such_column FROM rs_threads", "SELECT * FROM app_no_such_table"], ids=str
)
async def test_invalid_sql_is_a_database_error_caused_by_the_driver(store: Store, sql: str) -> None:
    with pytest.raises(rawstore.DatabaseError) as err:
        async with store.transaction() as tx:
            await tx.execute(sql)
    assert type(err.value) is rawstore.DatabaseError
    assert _driver_exception(err.value.__cause__), repr(err.value.__cause__)
    with pytest.raises(rawstore.DatabaseError) as err2:
        async with store.transaction() as tx:
            await tx.fetch(sql)
    assert _driver_exception(err2.value.__cause__)
    # The failed transactions were rolled back and their connections are usable again.
    async with store.transaction() as tx:
        assert (await tx.fetch("SELECT 1 AS one"))[0]["one"] == 1


async def test_unique_violation_of_app_sql_is_a_conflict(store: Store, app: str) -> None:
    insert = f"INSERT INTO {APP} (id, name) VALUES (:id, :name)"
    with pytest.raises(rawstore.Conflict) as err:
        async with store.transaction() as tx:
            await tx.execute(insert, {"id": "a", "name": "one"})
            await tx.execute(insert, {"id": "a", "name": "two"})
    assert _driver_exception(err.value.__cause__), repr(err.value.__cause__)
    async with store.transaction() as tx:
        assert await tx.fetch(f"SELECT id FROM {APP}") == []  # rolled back, the first insert too


async def test_not_null_violation_of_app_sql_is_invalid_input(store: Store, app: str) -> None:
    with pytest.raises(rawstore.InvalidInput) as err:
        async with store.transaction() as tx:
            await tx.execute(f"INSERT INTO {APP} (id, name) VALUES (:id, :name)", {"id": "a", "name": None})
    assert _driver_exception(err.value.__cause__)


async def test_missing_parent_of_app_sql_is_not_found(store: Store, app: str) -> None:
    with pytest.raises(rawstore.NotFound) as err:
        async with store.transaction() as tx:
            await tx.execute(f"INSERT INTO {CHILD} (id, item_id) VALUES ('p', :item)", {"item": "missing"})
    assert _driver_exception(err.value.__cause__)


async def test_deleting_a_referenced_row_is_a_conflict(
    store: Store, app: str, backend: str, request: pytest.FixtureRequest
) -> None:
    async with store.transaction() as tx:
        await tx.execute(f"INSERT INTO {APP} (id, name) VALUES ('a', 'n')")
        await tx.execute(f"INSERT INTO {CHILD} (id, item_id) VALUES ('p', 'a')")
    with pytest.raises(rawstore.RawstoreError) as err:
        async with store.transaction() as tx:
            await tx.execute(f"DELETE FROM {APP} WHERE id = :id", {"id": "a"})
    assert _driver_exception(err.value.__cause__)
    async with store.transaction() as tx:
        await tx.execute(f"DELETE FROM {CHILD}")
    assert isinstance(err.value, rawstore.Conflict), repr(err.value)


@pytest.mark.backends("postgres", "pgbouncer")
async def test_wrongly_typed_parameter_is_translated(store: Store) -> None:
    """PostgreSQL refuses a str for an integer parameter in the driver itself: still a RawstoreError."""
    with pytest.raises(rawstore.RawstoreError) as err:
        async with store.transaction() as tx:
            await tx.fetch("SELECT CAST(:x AS INTEGER) AS v", {"x": "abc"})
    assert _driver_exception(err.value.__cause__), repr(err.value.__cause__)


async def test_app_sql_with_a_missing_parameter_is_invalid_input(store: Store) -> None:
    async with store.transaction() as tx:
        with pytest.raises(rawstore.InvalidInput, match=":b"):
            await tx.fetch("SELECT :a AS a, :b AS b", {"a": "x"})
        with pytest.raises(rawstore.InvalidInput):
            await tx.execute("   ")
        assert (await tx.fetch("SELECT :a AS a", {"a": "x"}))[0]["a"] == "x"


@pytest.mark.backends("postgres", "mysql", "pgbouncer")
async def test_a_connection_killed_mid_call_is_connection_lost(backend: str, db_url: str) -> None:
    kill = "KILL CONNECTION_ID()" if backend == "mysql" else "SELECT pg_terminate_backend(pg_backend_pid())"
    async with rawstore.connect(db_url, min_size=1, max_size=1, pgbouncer=backend == "pgbouncer") as s:
        with pytest.raises(rawstore.ConnectionLost) as err:
            async with s.transaction() as tx:
                await tx.execute(kill)
        assert _driver_exception(err.value.__cause__), repr(err.value.__cause__)
        # The pool replaces the dead connection.
        await s.memory.save_thread(Thread("after", "r"))
        assert await s.memory.get_thread("after") is not None


# -- connecting ----------------------------------------------------------------------------------------------


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nobody else takes it) but not listening."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    try:
        yield int(s.getsockname()[1])
    finally:
        s.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections and then never says a word."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield int(s.getsockname()[1])
    finally:
        s.close()


def _need(dialect: str) -> None:
    if dialect not in dbs.selected():
        pytest.skip(f"{dialect} is not among RAWSTORE_TEST_DBS")


URLS = {
    "postgres": "postgresql://postgres@127.0.0.1:{port}/rawstore",
    "mysql": "mysql://root@127.0.0.1:{port}/rawstore",
}


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
async def test_closed_port_is_connection_lost(dialect: str, closed_port: int) -> None:
    _need(dialect)
    t0 = time.perf_counter()
    with pytest.raises(rawstore.ConnectionLost) as err:
        async with asyncio.timeout(10):
            await rawstore.connect(URLS[dialect].format(port=closed_port), connect_timeout=1)
    assert time.perf_counter() - t0 < 5
    assert _driver_exception(err.value.__cause__) or isinstance(err.value.__cause__, OSError), err.value.__cause__


@pytest.mark.parametrize(
    "dialect",
    [
        "postgres",
        "mysql",
    ],
)
async def test_unresponsive_server_is_connection_lost_within_connect_timeout(dialect: str, silent_port: int) -> None:
    _need(dialect)
    t0 = time.perf_counter()
    with pytest.raises(rawstore.ConnectionLost):
        async with asyncio.timeout(3):
            await rawstore.connect(URLS[dialect].format(port=silent_port), connect_timeout=0.5)
    assert time.perf_counter() - t0 < 2.5


@pytest.mark.backends("postgres", "mysql")
async def test_unknown_database_on_a_live_server_is_connection_lost(direct_backend: str) -> None:
    url = dbs.with_db(dbs.server_url(direct_backend), "rawstore_no_such_database")
    with pytest.raises(rawstore.ConnectionLost) as err:
        await rawstore.connect(url, connect_timeout=5)
    assert _driver_exception(err.value.__cause__), repr(err.value.__cause__)


async def test_sqlite_in_a_missing_folder_is_connection_lost(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no/such/folder/x.db"
    with pytest.raises(rawstore.ConnectionLost):
        await rawstore.connect(url)
    with pytest.raises(rawstore.ConnectionLost):
        async with rawstore.connect(url):
            pytest.fail("must not open")
    assert not (tmp_path / "no").exists()


BAD_URLS = [
    "oracle://scott:tiger@127.0.0.1/orcl",
    "redis://127.0.0.1:6379/0",
    "not a url",
    "",
    "mysql://root@127.0.0.1:{port}/",
    "sqlite:///:memory:",
    "sqlite://relative.db",
    "sqlite:///",
]


@pytest.mark.parametrize("url", BAD_URLS)
async def test_bad_urls_are_config_errors(url: str, closed_port: int) -> None:
    with pytest.raises(rawstore.ConfigError):
        await rawstore.connect(url.format(port=closed_port))


@pytest.mark.parametrize("url", [None, 42, b"sqlite:///x.db"], ids=repr)
async def test_non_string_urls_are_config_errors(url: Any) -> None:
    with pytest.raises(rawstore.ConfigError):
        await rawstore.connect(url)


BAD_OPTIONS: list[dict[str, Any]] = [
    {"tenancy": "x"},
    {"tenancy": None},
    {"tenancy": "REQUIRED"},
    {"max_size": 0},
    {"max_size": -1},
    {"max_size": True},
    {"max_size": 2.5},
    {"max_size": "10"},
    {"min_size": -1},
    {"min_size": 3, "max_size": 2},
    {"schema": "bad-name;"},
    {"schema": ""},
    {"schema": "1abc"},
    {"schema": 'x"; DROP SCHEMA public; --'},
    {"schema": None},
    {"migrate": True, "pgbouncer": True},
]


@pytest.mark.parametrize("options", BAD_OPTIONS, ids=repr)
@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
async def test_bad_options_are_config_errors_before_any_io(
    dialect: str, options: dict[str, Any], closed_port: int, tmp_path: Path
) -> None:
    """Options are checked first: a refused port or a missing folder would otherwise say ConnectionLost."""
    url = f"sqlite:///{tmp_path}/missing/x.db" if dialect == "sqlite" else URLS[dialect].format(port=closed_port)
    with pytest.raises(rawstore.ConfigError):
        await rawstore.connect(url, **options)
    with pytest.raises(rawstore.ConfigError):
        async with rawstore.connect(url, **options):
            pytest.fail("must not open")


@pytest.mark.parametrize("value", [0, -1, math.nan, "5"], ids=repr)
async def test_bad_connect_timeout_is_a_config_error(value: Any, closed_port: int) -> None:
    with pytest.raises(rawstore.ConfigError):
        await rawstore.connect(URLS["postgres"].format(port=closed_port), connect_timeout=value)


async def test_config_errors_leave_no_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    with pytest.raises(rawstore.ConfigError):
        await rawstore.connect(f"sqlite:///{path}", schema="bad-name;")
    assert not path.exists()


async def test_async_with_closes_the_store(backend: str, db_url: str) -> None:
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer") as s:
        assert isinstance(s, Store)
        await s.memory.save_thread(Thread("t", "r"))
        assert await s.memory.get_thread("t") is not None
    with pytest.raises(rawstore.ConnectionLost):
        await s.memory.get_thread("t")
    with pytest.raises(rawstore.ConnectionLost):
        await s.memory.save_thread(Thread("t2", "r"))
    with pytest.raises(rawstore.ConnectionLost):
        await s.memory.list_messages("t")
    with pytest.raises(rawstore.ConnectionLost):
        async with s.transaction():
            pytest.fail("a closed store must not open a transaction")
    await s.close()  # closing twice is harmless


async def test_async_with_closes_the_store_when_the_block_raises(backend: str, db_url: str) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer") as s:
            raise Boom
    with pytest.raises(rawstore.ConnectionLost):
        await s.memory.get_resource("r")


async def test_awaited_connect_and_close(backend: str, db_url: str) -> None:
    s = await rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", min_size=0, max_size=2)
    try:
        assert await s.memory.get_thread("nope") is None
    finally:
        await s.close()
    with pytest.raises(rawstore.ConnectionLost):
        await s.memory.update_resource("r", working_memory="x")


async def test_store_properties(store: Store, backend: str) -> None:
    assert store.dialect == _dialect(backend)
    assert store.tenancy == "optional"
    assert store.schema.name == "public"


# -- logging -------------------------------------------------------------------------------------------------

SECRET = "s3cr3t-Value-7f2a9c"
DURATION = re.compile(r"\btook \d+(\.\d+)? ms\b")


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "rawstore" or r.name.startswith("rawstore.")]


def _everything_logged(record: logging.LogRecord) -> str:
    text = logging.Formatter("%(message)s").format(record)
    return " ".join([text, repr(record.args), repr(record.msg), record.exc_text or ""])


async def test_logs_query_names_and_durations_never_values(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="rawstore")
    tenant_secret = SECRET + "-tenant"
    with rawstore.tenant(tenant_secret):
        await store.memory.save_thread(Thread(SECRET + "-thread", SECRET, title=SECRET, metadata={"k": SECRET}))
        await store.memory.save_messages([Message(SECRET + "-msg", SECRET + "-thread", "user", {"text": SECRET})])
        await store.memory.list_messages(SECRET + "-thread")
        await store.memory.get_messages([SECRET + "-msg"])
        await store.memory.list_threads(SECRET)
        await store.memory.update_resource(SECRET + "-res", working_memory=SECRET)
        await store.memory.save_resource(Resource(SECRET + "-res2", working_memory=SECRET))
        async with store.transaction() as tx:
            await tx.memory.update_thread(SECRET + "-thread", title=SECRET + "!")
            await tx.fetch("SELECT :v AS v", {"v": SECRET})
        with pytest.raises(rawstore.NotFound):
            await store.memory.save_messages([Message("m", SECRET + "-missing", "user", SECRET)])

    records = _records(caplog)
    messages = [r.getMessage() for r in records]
    assert records, "nothing was logged under 'rawstore'"
    for name in ("memory.upsert_thread", "memory.insert_new_messages", "memory.messages_asc", "memory.get_messages"):
        hits = [m for m in messages if name in m]
        assert hits, f"no record names {name}: {messages}"
        assert all(DURATION.search(m) for m in hits), hits
    assert all(r.levelno == logging.DEBUG for r in records if "took" in r.getMessage())
    for r in records:
        assert SECRET not in _everything_logged(r), f"a parameter value was logged: {r.getMessage()!r}"


async def test_no_query_record_without_debug(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="rawstore")
    await store.memory.save_thread(Thread("t", "r"))
    assert not [r for r in _records(caplog) if r.levelno < logging.INFO]


async def test_point_reads_are_logged_too(
    store: Store, backend: str, caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> None:
    await store.memory.save_thread(Thread("t", "r"))
    caplog.set_level(logging.DEBUG, logger="rawstore")
    assert await store.memory.get_thread("t") is not None
    assert await store.memory.get_resource("r") is None
    messages = [r.getMessage() for r in _records(caplog)]
    assert any("memory.get_thread" in m and DURATION.search(m) for m in messages), messages
    assert any("memory.get_resource" in m and DURATION.search(m) for m in messages), messages


# -- what a newcomer hit (issue 7 §6) ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [-1, 0, True, 1.5, "1"], ids=repr)
def test_rollback_count_below_one_is_rejected_before_anything_is_rolled_back(
    direct_backend: str, fresh_url: Any, count: Any
) -> None:
    url = fresh_url("rs_err_count")
    applied = rawstore.migrate(url)
    with pytest.raises(rawstore.ConfigError, match="count"):
        rawstore.rollback(url, count=count)
    assert rawstore.status(url) == dict.fromkeys(applied, True)
    assert rawstore.rollback(url, count=1) == applied[-1:]


async def test_a_missing_sqlite_folder_is_worded_alike_by_connect_and_the_migrator(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no/such/x.db"
    said: dict[str, str] = {}
    with pytest.raises(rawstore.ConnectionLost) as lost:
        await rawstore.connect(url)
    said["connect"] = str(lost.value)
    with pytest.raises(rawstore.MigrationError) as failed:
        await rawstore.connect(url, migrate=True)
    said["connect(migrate=True)"] = str(failed.value)
    for name in ("migrate", "status", "rollback"):
        with pytest.raises(rawstore.MigrationError) as failed:
            getattr(rawstore, name)(url)
        said[name] = str(failed.value)
    assert said == dict.fromkeys(said, f"sqlite: folder {tmp_path}/no/such does not exist")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_size": 0}, "max_size must be a positive int (at least 1), got 0"),
        ({"max_size": -3}, "max_size must be a positive int (at least 1), got -3"),
        ({"max_size": 2.5}, "max_size must be a positive int (at least 1), got 2.5"),
        ({"min_size": -1}, "min_size must be a non-negative int (0 or more), got -1"),
        ({"min_size": True}, "min_size must be a non-negative int (0 or more), got True"),
        ({"min_size": 3, "max_size": 2}, "min_size (3) must not exceed max_size (2)"),
    ],
    ids=repr,
)
async def test_each_pool_size_option_has_its_own_message(options: dict[str, Any], message: str) -> None:
    with pytest.raises(rawstore.ConfigError) as err:
        await rawstore.connect("sqlite:///unused.db", **options)
    assert str(err.value) == message


# A missing extra is simulated in a child process: `sys.modules[name] = None` makes `import name` fail exactly as an
# absent package does (ModuleNotFoundError), without touching the installed environment.
_WITHOUT = """
import asyncio, sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None
import rawstore
async def main() -> None:
    try:
        if sys.argv[2] == "connect":
            await rawstore.connect(sys.argv[3], connect_timeout=1)
        else:
            getattr(rawstore, sys.argv[2])(sys.argv[3], **({"schema": sys.argv[4]} if len(sys.argv) > 4 else {}))
    except rawstore.RawstoreError as e:
        print(type(e).__name__, e)
    else:
        print("no error")
asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("modules", "call", "url", "extra"),
    [
        ("asyncpg", "connect", "postgresql://postgres@127.0.0.1:{port}/x", "postgres"),
        ("aiomysql", "connect", "mysql://root@127.0.0.1:{port}/x", "mysql"),
        ("pymysql,aiomysql", "connect", "mysql://root@127.0.0.1:{port}/x", "mysql"),
        ("aiosqlite", "connect", "sqlite:///{tmp}/x.db", "sqlite"),
        ("psycopg", "migrate", "postgresql://postgres@127.0.0.1:{port}/x", "postgres"),
        ("psycopg", "migrate", "postgresql://postgres@127.0.0.1:{port}/x kit", "postgres"),
        ("psycopg", "status", "postgresql://postgres@127.0.0.1:{port}/x", "postgres"),
        ("psycopg", "rollback", "postgresql://postgres@127.0.0.1:{port}/x", "postgres"),
        ("pymysql", "migrate", "mysql://root@127.0.0.1:{port}/x", "mysql"),
        ("pymysql", "status", "mysql://root@127.0.0.1:{port}/x", "mysql"),
    ],
)
def test_a_missing_extra_is_a_config_error_naming_it(
    modules: str, call: str, url: str, extra: str, closed_port: int, tmp_path: Path
) -> None:
    import subprocess
    import sys

    args = url.format(port=closed_port, tmp=tmp_path).split()
    r = subprocess.run(
        [sys.executable, "-c", _WITHOUT, modules, call, *args], capture_output=True, text=True, timeout=60
    )
    assert r.stderr == ""
    assert r.stdout.startswith("ConfigError "), r.stdout
    assert f"pip install 'rawstore[{extra}]'" in r.stdout, r.stdout
    assert not (tmp_path / "x.db").exists()

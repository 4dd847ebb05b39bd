"""Fixtures of the benchmark suite: one prepared `rawstore.bench.Bench` per selected database.

Backends come from RAWSTORE_TEST_DBS (sqlite, postgres, mysql; default all three), servers from RAWSTORE_PG_DSN and
RAWSTORE_MYSQL_DSN, sizes from RAWSTORE_BENCH_MESSAGES and RAWSTORE_BENCH_READS. Each server gets its own
rawstore_bench_<pid> database, dropped at the end. A missing or unreachable server skips locally and fails the run
when CI=true, so a broken provisioning step cannot pass as a green benchmark run.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest

import rawstore
from rawstore.bench import Bench

T = TypeVar("T")

BENCH_BACKENDS = ("sqlite", "postgres", "mysql")
# The test suite's own list also names pgbouncer; benchmarks always go direct (a pooler only adds its own hop).
KNOWN = (*BENCH_BACKENDS, "pgbouncer")
DSN_ENV = {"postgres": "RAWSTORE_PG_DSN", "mysql": "RAWSTORE_MYSQL_DSN"}


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}")
    return value


def selected_backends() -> list[str]:
    raw = os.environ.get("RAWSTORE_TEST_DBS", ",".join(BENCH_BACKENDS))
    names = [x.strip() for x in raw.split(",") if x.strip()]
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise pytest.UsageError(f"RAWSTORE_TEST_DBS names unknown backends {unknown}; choose from {BENCH_BACKENDS}")
    return [n for n in names if n in BENCH_BACKENDS]


MESSAGES = _int_env("RAWSTORE_BENCH_MESSAGES", 100_000)
READS = _int_env("RAWSTORE_BENCH_READS", 20_000)
BATCH = min(1000, MESSAGES)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(backend: str, why: str) -> None:
    msg = f"{backend} is not available for benchmarks: {why}"
    if in_ci():
        pytest.fail(msg + " (CI=true: an unreachable database fails the run)", pytrace=False)
    pytest.skip(msg)


def _with_db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, ""))


def _server(backend: str) -> str:
    key = DSN_ENV[backend]
    url = os.environ.get(key, "").strip()
    if not url:
        unavailable(backend, f'{key} is not set (run: eval "$(bash scripts/dbs.sh start)")')
    return url


def _recreate(backend: str, base: str, name: str, *, drop_only: bool = False) -> None:
    if backend == "postgres":
        import psycopg

        with psycopg.connect(_with_db(base, "postgres"), autocommit=True, connect_timeout=5) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
            if not drop_only:
                c.execute(f'CREATE DATABASE "{name}"'.encode())
        return
    import pymysql

    p = urlsplit(base)
    conn = pymysql.connect(
        host=p.hostname or "127.0.0.1",
        port=p.port or 3306,
        user=p.username or "root",
        password=p.password or "",
        connect_timeout=5,
    )
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            if not drop_only:
                cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    finally:
        conn.close()


@dataclass
class Prepared:
    """A migrated database holding a `MESSAGES`-long thread per side, with the page cursors already walked."""

    backend: str
    bench: Bench
    runner: asyncio.Runner
    reads: int

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        """Drive one coroutine to completion on this database's event loop (pytest-benchmark calls are sync)."""

        async def call() -> T:
            return await make()

        return self.runner.run(call())

    def group(self, what: str) -> str:
        """The pytest-benchmark group: both sides of one hot path on one database, side by side."""
        return f"{self.backend}: {what}"


@pytest.fixture(scope="session", params=selected_backends())
def prepared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared]:
    backend = str(request.param)
    name = f"rawstore_bench_{os.getpid()}"
    base = ""
    if backend == "sqlite":
        folder: Path = tmp_path_factory.mktemp("bench")
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        base = _server(backend)
        try:
            _recreate(backend, base, name)
        except Exception as e:  # any failure to reach or use the server
            unavailable(backend, repr(e))
        url = _with_db(base, name)
    rawstore.migrate(url)
    runner = asyncio.Runner()
    bench = Bench(url, messages=MESSAGES, batch=BATCH)
    ready = Prepared(backend, bench, runner, READS)
    try:
        runner.run(bench.open())
        runner.run(bench.load())
        runner.run(bench.analyze())
        runner.run(bench.walk())
        yield ready
    finally:
        try:
            runner.run(bench.close(purge=False))
        finally:
            runner.close()
            if base:
                _recreate(backend, base, name, drop_only=True)

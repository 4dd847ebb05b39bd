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

import pytest

import rawstore
from rawstore.bench import Bench
from tests import dbs

T = TypeVar("T")

BENCH_BACKENDS = ("sqlite", "postgres", "mysql")


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
    # The test suite's list (validated there) may also name pgbouncer; benchmarks always go direct.
    return [n for n in dbs.selected() if n in BENCH_BACKENDS]


MESSAGES = _int_env("RAWSTORE_BENCH_MESSAGES", 100_000)
READS = _int_env("RAWSTORE_BENCH_READS", 20_000)
BATCH = min(1000, MESSAGES)


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
    folder: Path = tmp_path_factory.mktemp("bench")
    # Unreachable servers fail the session under CI=true and skip it otherwise, as in the test suite.
    url = dbs.create_database(backend, name, folder)
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
            if backend != "sqlite":
                dbs.create_database(backend, name, folder, drop_only=True)

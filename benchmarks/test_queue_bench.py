"""The job queue's hot paths, timed for rawstore and for the raw driver doing the same work (`queue_workload`): on
rawstore's own table (`raw`) and on a plain job table without the kit's tenant keys, foreign key and extra indexes
(`plain`), so the cost of the kit's schema shows next to the cost of the kit's code.

Sizes: RAWSTORE_BENCH_ENQUEUE jobs per enqueue_many (default 50,000) and RAWSTORE_BENCH_JOBS jobs per drain (default
2,000). Each round starts from an empty table; jobs/s = jobs / round time.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import _int_env, selected_backends
from queue_workload import QueueBench

import rawstore
from tests import dbs

T = TypeVar("T")
ENQUEUE = _int_env("RAWSTORE_BENCH_ENQUEUE", 50_000)
JOBS = _int_env("RAWSTORE_BENCH_JOBS", 2_000)
SIDES = ("rawstore", "raw", "plain")


class Bench:
    def __init__(self, backend: str, bench: QueueBench, runner: asyncio.Runner) -> None:
        self.backend = backend
        self.bench = bench
        self.runner = runner

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coro)


@pytest.fixture(scope="module", params=selected_backends())
def qbench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    backend = str(request.param)
    name = f"rawstore_qbench_{os.getpid()}"
    folder: Path = tmp_path_factory.mktemp("qbench")
    url = dbs.create_database(backend, name, folder)
    rawstore.migrate(url)
    runner = asyncio.Runner()
    bench = QueueBench(url)
    try:
        runner.run(bench.open())
        yield Bench(backend, bench, runner)
    finally:
        try:
            runner.run(bench.close())
        finally:
            runner.close()
            if backend != "sqlite":
                dbs.create_database(backend, name, folder, drop_only=True)


@pytest.mark.parametrize("side", SIDES)
def test_enqueue_many(benchmark: Any, qbench: Bench, side: str) -> None:
    benchmark.group = f"{qbench.backend}: enqueue_many of {ENQUEUE:,} jobs"
    benchmark.extra_info.update(side=side, jobs=ENQUEUE)

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        qbench.run(qbench.bench.reset())
        return (), {}

    benchmark.pedantic(lambda: qbench.run(qbench.bench.enqueue(side, ENQUEUE)), setup=setup, rounds=3)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("workers", [1, 2, 4, 8])
@pytest.mark.parametrize("batch", [1, 10], ids=["claim1", "claim10"])
def test_dequeue_and_complete(benchmark: Any, qbench: Bench, side: str, workers: int, batch: int) -> None:
    benchmark.group = f"{qbench.backend}: drain {JOBS:,} jobs, {workers} workers, {batch} per claim"
    benchmark.extra_info.update(side=side, jobs=JOBS, workers=workers, batch=batch)

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        qbench.run(qbench.bench.reset())
        qbench.run(qbench.bench.enqueue(side, JOBS))
        qbench.run(qbench.bench.settle())
        return (), {}

    def drain() -> None:
        assert qbench.run(qbench.bench.drain(side, workers, batch)) == JOBS

    benchmark.pedantic(drain, setup=setup, rounds=3)

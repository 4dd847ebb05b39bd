"""`store.spans` hot paths, each timed for rawstore and for the raw driver doing the same work in the same run.

The workload (data, the raw side's SQL and its fastest write paths: COPY on PostgreSQL, multi-row INSERTs on MariaDB,
executemany on SQLite) is `rawstore.bench_spans`, the code `rawstore bench` runs. Per database (sqlite, postgres,
mysql among RAWSTORE_TEST_DBS) the module fixture has both sides write RAWSTORE_BENCH_SPANS spans (default 2,000) in
batches of 1,000, interleaved, then end them all (update_many), adds single-span traces up to
RAWSTORE_BENCH_SPAN_TRACES traces (default 2,000) and one trace of RAWSTORE_BENCH_TRACE_SPANS spans (default 1,000),
and walks the list to its deep page (page 500, or half way on a shorter list). `test_spans_summary` prints the
fixture's write figures and ratios; the benchmarks time each operation per side. Each server gets its own
rawstore_spanbench_<pid> database, dropped at the end; a missing server skips locally and fails under CI=true.

The issue's sizes: RAWSTORE_BENCH_SPANS=100000 RAWSTORE_BENCH_SPAN_TRACES=100000.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

import rawstore
from rawstore.bench import SIDES, Side
from rawstore.bench_spans import PAGE, SpanBench
from tests import dbs

T = TypeVar("T")
BACKENDS = ("sqlite", "postgres", "mysql")


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}")
    return value


SPANS = _int_env("RAWSTORE_BENCH_SPANS", 2_000)
TRACES = _int_env("RAWSTORE_BENCH_SPAN_TRACES", 2_000)
TRACE_SPANS = _int_env("RAWSTORE_BENCH_TRACE_SPANS", 1_000)
READ_ROUNDS = 15

side_param = pytest.mark.parametrize("side", SIDES)


@dataclass
class Prepared:
    backend: str
    bench: SpanBench
    runner: asyncio.Runner
    created: dict[Side, float]
    ended: dict[Side, float]
    next_batch: dict[Side, int] = field(default_factory=lambda: {"rawstore": 0, "raw": 0})

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await make()

        return self.runner.run(call())

    def group(self, what: str) -> str:
        return f"{self.backend}: {what}"


@pytest.fixture(scope="module", params=[b for b in dbs.selected() if b in BACKENDS])
def prepared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared]:
    backend = str(request.param)
    name = f"rawstore_spanbench_{os.getpid()}"
    folder: Path = tmp_path_factory.mktemp("spanbench")
    url = dbs.create_database(backend, name, folder)  # fails under CI=true when the server is unreachable
    rawstore.migrate(url)
    runner = asyncio.Runner()
    bench = SpanBench(url, spans=SPANS, traces=TRACES, trace_size=TRACE_SPANS)
    try:
        runner.run(bench.open())
        gc.collect()
        created = runner.run(bench.create())
        gc.collect()
        ended = runner.run(bench.end())
        runner.run(bench.fill())
        runner.run(bench.analyze())
        runner.run(bench.walk())
        yield Prepared(backend, bench, runner, created, ended)
    finally:
        try:
            runner.run(bench.close(purge=False))
        finally:
            runner.close()
            if backend != "sqlite":
                dbs.create_database(backend, name, folder, drop_only=True)


def test_results_match(prepared: Prepared) -> None:
    """Both sides return the same spans, trees, pages and totals, so their timings compare the same work."""
    assert prepared.run(prepared.bench.verify) == []


def test_spans_summary(prepared: Prepared, capsys: pytest.CaptureFixture[str]) -> None:
    """The fixture's interleaved writes as rows/s per side and ratios, and the deep page against page 1."""
    bench = prepared.bench
    lines = [f"\n{prepared.backend}: store.spans, {SPANS:,} spans per side, batches of {bench.batch:,}"]
    for what, spent in (("create_many", prepared.created), ("update_many (span ends)", prepared.ended)):
        kit, raw = SPANS / spent["rawstore"], SPANS / spent["raw"]
        lines.append(f"  {what}: rawstore {kit:,.0f} rows/s, raw driver {raw:,.0f} rows/s, ratio {kit / raw:.2f}")
    numbers = sorted(bench.cursors)
    medians: dict[int, dict[Side, float]] = {}
    for number in numbers:
        medians[number] = {}
        for side in SIDES:
            op = bench.page_op(side, number)
            times = prepared.run(lambda op=op: _times(bench, op, 21))  # type: ignore[misc]
            medians[number][side] = statistics.median(times)
    first, deep = numbers[0], numbers[-1]
    for number in numbers:
        k, r = medians[number]["rawstore"], medians[number]["raw"]
        lines.append(f"  list_traces page {number} of {TRACES:,}: rawstore {k * 1e3:.3f} ms, raw {r * 1e3:.3f} ms")
    if deep != first:
        k = medians[deep]["rawstore"] / medians[first]["rawstore"]
        lines.append(f"  page {deep} / page {first}: rawstore {k:.2f}x (target <= 1.5x)")
    with capsys.disabled():
        print("\n".join(lines))


async def _times(bench: SpanBench, op: Callable[[], Awaitable[object]], n: int) -> list[float]:
    out = []
    with bench._scope():
        await op()
        for _ in range(n):
            t0 = time.perf_counter()
            await op()
            out.append(time.perf_counter() - t0)
    return out


async def _repeat(bench: SpanBench, op: Callable[[], Awaitable[object]], n: int) -> None:
    with bench._scope():
        for _ in range(n):
            await op()


@side_param
def test_get_trace(benchmark: Any, prepared: Prepared, side: Side) -> None:
    bench = prepared.bench
    op = bench.get_trace_op(side)
    benchmark.group = prepared.group(f"get_trace of a {bench.trace_size:,}-span trace")
    benchmark.extra_info.update(side=side, spans=bench.trace_size)
    benchmark.pedantic(prepared.run, args=(lambda: _repeat(bench, op, 1),), rounds=READ_ROUNDS, warmup_rounds=1)


@side_param
@pytest.mark.parametrize("where", ["first", "deep"])
def test_list_traces_page(benchmark: Any, prepared: Prepared, side: Side, where: str) -> None:
    bench = prepared.bench
    numbers = sorted(bench.cursors)
    number = numbers[0] if where == "first" else numbers[-1]
    op = bench.page_op(side, number)
    benchmark.group = prepared.group(f"list_traces page {number} (limit {PAGE}) of {TRACES:,} traces x10")
    benchmark.extra_info.update(side=side, page=number)
    benchmark.pedantic(prepared.run, args=(lambda: _repeat(bench, op, 10),), rounds=READ_ROUNDS, warmup_rounds=1)


@side_param
def test_list_traces_with_summary(benchmark: Any, prepared: Prepared, side: Side) -> None:
    bench = prepared.bench
    op = bench.summary_op(side)
    benchmark.group = prepared.group(f"list_traces page 1 with_summary (limit {PAGE}) x10")
    benchmark.extra_info.update(side=side)
    benchmark.pedantic(prepared.run, args=(lambda: _repeat(bench, op, 10),), rounds=READ_ROUNDS, warmup_rounds=1)


@side_param
def test_update_many(benchmark: Any, prepared: Prepared, side: Side) -> None:
    """The ends of one batch of 1,000 of this side's spans per round (written again: the same statements)."""
    bench = prepared.bench
    batches = bench.batches()
    state = {"i": 0}

    def next_batch() -> tuple[tuple[Any, ...], dict[str, Any]]:
        start, count = batches[state["i"] % len(batches)]
        state["i"] += 1
        return (lambda: bench.end_batch(side, start, count),), {}

    benchmark.group = prepared.group(f"update_many: {bench.batch:,} span ends")
    benchmark.extra_info.update(side=side, batch=bench.batch)
    benchmark.pedantic(prepared.run, setup=next_batch, rounds=len(batches), warmup_rounds=0)


@side_param
def test_create_many(benchmark: Any, prepared: Prepared, side: Side) -> None:
    """One new batch of 1,000 spans per round; last in the file, as it grows the table the reads use."""
    bench = prepared.bench
    rounds = max(1, min(10, SPANS // bench.batch))

    def next_batch() -> tuple[tuple[Any, ...], dict[str, Any]]:
        # Past every span the fixture wrote, a new batch each round.
        start = SPANS + prepared.next_batch[side] * bench.batch
        prepared.next_batch[side] += 1
        return (lambda: bench.create_batch(side, start, bench.batch),), {}

    benchmark.group = prepared.group(f"create_many: {bench.batch:,} spans (1-4 kB input and output JSON)")
    benchmark.extra_info.update(side=side, batch=bench.batch)
    benchmark.pedantic(prepared.run, setup=next_batch, rounds=rounds, warmup_rounds=0)

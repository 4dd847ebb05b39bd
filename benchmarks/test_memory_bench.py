"""The memory domain's hot paths, each timed for rawstore and for the raw driver doing the same work.

Every benchmark is parametrized by side; both sides of one operation share a group, so pytest-benchmark prints them
next to each other. The workload (data, SQL of the raw side, cursors) is `rawstore.bench`, the same code that
`rawstore bench` runs.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Prepared

from rawstore.bench import INCLUDE_AROUND, PAGE_SIZE, SIDES, Side, make_messages

# Several operations per round, so the event-loop hop of each round stays small next to what is measured.
PAGES_PER_ROUND = 10
READS_PER_ROUND = 100
PAGE_ROUNDS = 20

side_param = pytest.mark.parametrize("side", SIDES)


def test_results_match(prepared: Prepared) -> None:
    """Both sides return the same rows, so their timings compare the same work."""
    assert prepared.run(prepared.bench.verify) == []


@side_param
@pytest.mark.parametrize("where", [0, 1, 2], ids=["first", "middle", "deep"])
def test_list_messages_page(benchmark: Any, prepared: Prepared, side: Side, where: int) -> None:
    bench = prepared.bench
    numbers = sorted(bench.points)
    number = numbers[min(where, len(numbers) - 1)]
    point = bench.points[number]
    benchmark.group = prepared.group(
        f"list_messages page {number} of {bench.messages:,} messages (limit {PAGE_SIZE}) x{PAGES_PER_ROUND}"
    )
    benchmark.extra_info.update(side=side, page=number, per_round=PAGES_PER_ROUND)
    benchmark.pedantic(
        prepared.run, args=(lambda: bench.page(side, point, PAGES_PER_ROUND),), rounds=PAGE_ROUNDS, warmup_rounds=1
    )


@side_param
def test_include_context(benchmark: Any, prepared: Prepared, side: Side) -> None:
    bench = prepared.bench
    benchmark.group = prepared.group(f"include +-{INCLUDE_AROUND} around a middle message x{PAGES_PER_ROUND}")
    benchmark.extra_info.update(side=side, per_round=PAGES_PER_ROUND)
    benchmark.pedantic(
        prepared.run, args=(lambda: bench.include(side, PAGES_PER_ROUND),), rounds=PAGE_ROUNDS, warmup_rounds=1
    )


@side_param
def test_get_thread(benchmark: Any, prepared: Prepared, side: Side) -> None:
    bench = prepared.bench
    per_round = min(READS_PER_ROUND, prepared.reads)
    benchmark.group = prepared.group(f"get_thread x{per_round} sequential")
    benchmark.extra_info.update(side=side, per_round=per_round)
    benchmark.pedantic(
        prepared.run,
        args=(lambda: bench.get_thread(side, per_round),),
        rounds=max(1, prepared.reads // per_round),
        warmup_rounds=1,
    )


@side_param
def test_save_messages(benchmark: Any, prepared: Prepared, side: Side) -> None:
    """Batches appended to a thread of each side's own; last in the file, as it grows the table the reads use."""
    bench = prepared.bench
    size = bench.batch
    thread_id = f"bench-insert-{side}"
    prepared.run(lambda: bench.add_thread(thread_id))
    start = 0

    def next_batch() -> tuple[tuple[Any, ...], dict[str, Any]]:
        nonlocal start
        batch = make_messages(thread_id, start, size)
        start += size
        return (lambda: bench.save(side, thread_id, batch),), {}

    benchmark.group = prepared.group(f"save_messages, batches of {size:,}")
    benchmark.extra_info.update(side=side, batch=size)
    benchmark.pedantic(prepared.run, setup=next_batch, rounds=max(1, bench.messages // size))

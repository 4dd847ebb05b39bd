"""`store.ai_calls.log_call` throughput, next to the raw driver inserting the same rows in the same batches.

Per database (sqlite, postgres, mysql among RAWSTORE_TEST_DBS) one round is: log `CALLS` calls and `flush()` them
(rawstore), or build the same rows and insert them in batches of `AICallLog.batch_size`, one transaction each
(raw driver). The raw side is what a careful hand-written logger would do with the same driver and tables: a UUIDv7
per call, the clock read once per batch, exact nano-unit costs, metadata encoded with msgspec, `INSERT … ON CONFLICT
DO NOTHING` (MariaDB: a no-op `ON DUPLICATE KEY UPDATE`) through executemany (asyncpg, aiomysql rewritten into one
multi-row INSERT, stdlib sqlite3 in BEGIN IMMEDIATE), with no validation and no pool. Each side writes under its own
tenant. `test_log_call_throughput_summary` runs both sides interleaved and prints calls/s and the ratio.

Sizes: RAWSTORE_BENCH_AI_CALLS calls per round (default 5,000), RAWSTORE_BENCH_AI_ROUNDS rounds (default 3). Each
server gets its own rawstore_aibench_<pid> database, dropped at the end; a missing server skips locally and fails
under CI=true, as in the test suite.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

import msgspec
import pytest

import rawstore
from rawstore import AICall, AICallLog, Store
from rawstore.bench import raw_connect, raw_sqlite
from rawstore.ids import uuid7
from rawstore.url import parse_url
from tests import dbs

T = TypeVar("T")
Side = Literal["rawstore", "raw"]
SIDES: tuple[Side, Side] = ("rawstore", "raw")
BACKENDS = ("sqlite", "postgres", "mysql")
BATCH = AICallLog.batch_size
NANOS = 10**9


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}")
    return value


CALLS = _int_env("RAWSTORE_BENCH_AI_CALLS", 5_000)
ROUNDS = _int_env("RAWSTORE_BENCH_AI_ROUNDS", 3)

COLUMNS = (
    "tenant_id, id, topic, call_type, model_key, model_id, prompt, response, "
    "input_tokens, output_tokens, cost_nanos, metadata, created_at"
)


def make_calls(n: int) -> list[AICall]:
    """Calls shaped like a workflow's: ~1 KB prompt, ~300 B response, a few topics and models, small metadata."""
    models = [("fast", "gpt-4o-mini-2024-07-18", 0.00015), ("smart", "claude-sonnet-4", 0.003)]
    out = []
    for i in range(n):
        key, model_id, price = models[i % 2]
        prompt = f"Stage {i % 7} of run {i // 100}: summarise the document below — naïve ✓\n" + "lorem ipsum " * 80
        response = f"Summary {i}: the document says " + "dolor sit amet " * 18
        tokens_in, tokens_out = 250 + i % 500, 60 + i % 120
        out.append(
            AICall(
                f"workflow/run-{i // 100:05d}/stage-{i % 7}",
                "text",
                key,
                model_id,
                prompt,
                response,
                tokens_in,
                tokens_out,
                round(price * (tokens_in + tokens_out) / 1000, 9),
                {"attempt": 1, "stage": i % 7, "latency_ms": (i * 37) % 900},
            )
        )
    return out


def _rows(tenant: str, calls: Sequence[AICall], ts: Callable[[datetime], Any]) -> list[tuple[Any, ...]]:
    now = ts(datetime.now(UTC))
    enc = msgspec.json.encode
    return [
        (
            tenant,
            uuid7(),
            c.topic,
            c.call_type,
            c.model_key,
            c.model_id,
            c.prompt,
            c.response,
            c.input_tokens,
            c.output_tokens,
            int(Decimal(repr(c.cost)) * NANOS),
            None if c.metadata is None else enc(c.metadata).decode(),
            now,
        )
        for c in calls
    ]


class RawLogger:
    """The raw driver side: one connection, batches of BATCH rows, one transaction per batch."""

    def __init__(self, backend: str, url: str) -> None:
        self.backend = backend
        self.url = url
        self.conn: Any = None

    async def open(self) -> None:
        if self.backend == "sqlite":
            self.conn = raw_sqlite(parse_url(self.url).sqlite_path)
        else:
            self.conn = await raw_connect(self.url)

    async def close(self) -> None:
        if self.conn is not None:
            if self.backend == "postgres":
                await self.conn.close()
            else:
                self.conn.close()
            self.conn = None

    async def log(self, tenant: str, calls: Sequence[AICall]) -> None:
        for i in range(0, len(calls), BATCH):
            chunk = calls[i : i + BATCH]
            if self.backend == "postgres":
                rows = _rows(tenant, chunk, lambda v: v)
                async with self.conn.transaction():
                    await self.conn.executemany(
                        f"INSERT INTO rs_ai_calls ({COLUMNS}) VALUES "
                        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13) "
                        "ON CONFLICT (tenant_id, id) DO NOTHING",
                        rows,
                    )
            elif self.backend == "mysql":
                rows = _rows(tenant, chunk, lambda v: v.replace(tzinfo=None))
                await self.conn.begin()
                async with self.conn.cursor() as cur:
                    await cur.executemany(
                        f"INSERT INTO rs_ai_calls ({COLUMNS}) VALUES "
                        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                        "ON DUPLICATE KEY UPDATE tenant_id = tenant_id",
                        rows,
                    )
                await self.conn.commit()
            else:
                rows = _rows(tenant, chunk, lambda v: v.isoformat(" ", "microseconds")[:26])
                db = self.conn
                db.execute("BEGIN IMMEDIATE")
                db.executemany(
                    f"INSERT INTO rs_ai_calls ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (tenant_id, id) DO NOTHING",
                    rows,
                )
                db.execute("COMMIT")


@dataclass
class AIBench:
    backend: str
    store: Store
    raw: RawLogger
    runner: asyncio.Runner
    calls: list[AICall]
    seconds: dict[Side, list[float]] = field(default_factory=lambda: {"rawstore": [], "raw": []})

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await make()

        return self.runner.run(call())

    async def round(self, side: Side) -> float:
        """One timed round: CALLS calls logged and durably written. Returns its seconds."""
        gc.collect()
        t = time.perf_counter()
        if side == "rawstore":
            with rawstore.tenant("aibench-rawstore"):
                log = self.store.ai_calls.log_call
                for c in self.calls:
                    log(c)
            await self.store.ai_calls.flush()
        else:
            await self.raw.log("aibench-raw", self.calls)
        seconds = time.perf_counter() - t
        self.seconds[side].append(seconds)
        return seconds


@pytest.fixture(scope="module", params=[b for b in dbs.selected() if b in BACKENDS])
def aibench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AIBench]:
    backend = str(request.param)
    name = f"rawstore_aibench_{os.getpid()}"
    folder: Path = tmp_path_factory.mktemp("aibench")
    url = dbs.create_database(backend, name, folder)  # fails under CI=true when the server is unreachable
    rawstore.migrate(url)
    runner = asyncio.Runner()
    store = runner.run(_connect(url))
    raw = RawLogger(backend, url)
    try:
        runner.run(raw.open())
        yield AIBench(backend, store, raw, runner, make_calls(CALLS))
    finally:
        try:
            runner.run(raw.close())
            runner.run(store.close())
        finally:
            runner.close()
            if backend != "sqlite":
                dbs.create_database(backend, name, folder, drop_only=True)


async def _connect(url: str) -> Store:
    return await rawstore.connect(url)


@pytest.mark.parametrize("side", SIDES)
def test_log_call(benchmark: Any, aibench: AIBench, side: Side) -> None:
    benchmark.group = f"{aibench.backend}: log_call x{CALLS:,} + flush (batches of {BATCH})"
    benchmark.extra_info.update(side=side, calls=CALLS, batch=BATCH)
    benchmark.pedantic(aibench.run, args=(lambda: aibench.round(side),), rounds=ROUNDS, warmup_rounds=1)


def test_log_call_throughput_summary(aibench: AIBench, capsys: pytest.CaptureFixture[str]) -> None:
    """Both sides interleaved round by round; prints calls/s and the ratio, and checks they wrote the same rows."""
    best: dict[Side, float] = {}
    rounds = max(1, min(ROUNDS, 3))
    for _ in range(rounds):
        for side in SIDES:
            t = aibench.run(lambda side=side: aibench.round(side))  # type: ignore[misc]
            best[side] = min(best.get(side, t), t)

    async def totals(tenant: str) -> rawstore.AICallStats:
        with rawstore.tenant(tenant):
            return await aibench.store.ai_calls.get_stats("")

    kit = aibench.run(lambda: totals("aibench-rawstore"))
    raw = aibench.run(lambda: totals("aibench-raw"))
    assert kit.total_calls == raw.total_calls > 0 and kit.total_calls % CALLS == 0
    assert kit.total_cost == raw.total_cost and kit.per_model.keys() == raw.per_model.keys()
    assert kit.total_input_tokens == raw.total_input_tokens
    rates = {side: CALLS / best[side] for side in SIDES}
    med = {side: CALLS / statistics.median(aibench.seconds[side]) for side in SIDES}
    with capsys.disabled():
        print(
            f"\n{aibench.backend}: log_call+flush {rates['rawstore']:,.0f} calls/s, raw driver {rates['raw']:,.0f}"
            f" calls/s (best of {rounds} interleaved rounds of {CALLS:,}), ratio {rates['rawstore'] / rates['raw']:.2f}"
            f"; medians of all rounds {med['rawstore']:,.0f} vs {med['raw']:,.0f} ({med['rawstore'] / med['raw']:.2f})"
        )

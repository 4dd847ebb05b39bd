"""`store.traces`: `insert_many` throughput and `list` pages (first and deep), next to the raw driver doing the same
work in the same run.

insert_many: one round writes `SPANS` OpenTelemetry spans (about 1 kB of JSON each: ~15 attributes, a status, two
events, a resource in `other`) in calls of `BATCH` records. rawstore validates every record and sends each batch in one
round trip inside one transaction per call. The raw side builds the same rows with msgspec (no validation) and writes
each batch in one transaction with the driver's bulk path: executemany (asyncpg; aiomysql rewrites it into one
multi-row INSERT; stdlib sqlite3 in BEGIN IMMEDIATE), and on PostgreSQL also COPY (`copy_records_to_table`), the
fastest path there is. Each side writes under its own tenant.

list: `LIST_SPANS` spans in one tenant; page 1 and the page half-way down (limit 100, newest start first). The raw side
runs the same keyset SQL on one connection and decodes the rows to tuples (JSON parsed, timestamps aware), the work
rawstore does to build its records.

Sizes (small defaults, so the CI run stays quick; the figures in docs/traces.md use 20,000 / 3 / 100,000 / 200):
RAWSTORE_BENCH_TRACES spans per insert round (default 1,000), RAWSTORE_BENCH_TRACE_ROUNDS rounds (default 2),
RAWSTORE_BENCH_TRACE_LIST spans in the listed tenant (default 2,000), RAWSTORE_BENCH_TRACE_READS page reads per timing
(default 50). Each server gets its own rawstore_tracebench_<pid>
database, dropped at the end; a missing server skips locally and fails under CI=true, as in the test suite.
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
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import pytest

import rawstore
from rawstore import Store
from rawstore.bench import raw_connect, raw_sqlite
from rawstore.traces import TraceRecord
from rawstore.traces import store as traces_store
from rawstore.url import parse_url
from tests import dbs

T = TypeVar("T")
BACKENDS = ("sqlite", "postgres", "mysql")
BATCH = traces_store.BATCH_SIZE
LIMIT = 100
NS0 = 1_750_000_000_000_000_000


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}")
    return value


SPANS = _int_env("RAWSTORE_BENCH_TRACES", 1_000)
ROUNDS = _int_env("RAWSTORE_BENCH_TRACE_ROUNDS", 2)
LIST_SPANS = _int_env("RAWSTORE_BENCH_TRACE_LIST", 2_000)
READS = _int_env("RAWSTORE_BENCH_TRACE_READS", 50)

COLUMNS = (
    "tenant_id, id, trace_id, parent_span_id, name, scope, kind, start_time_ns, end_time_ns, "
    "attributes, status, events, links, other, created_at"
)
SELECT = (
    "id, trace_id, name, scope, kind, start_time_ns, end_time_ns, parent_span_id, attributes{c}, status{c}, "
    "events{c}, links{c}, other{c}, created_at"
)
_NAMES = ["agent run: 'support'", "llm: 'gpt-4o-mini'", "tool: 'search_docs'", "workflow step: 'triage'", "GET /api"]
_SCOPES = ["mastra", "@opentelemetry/instrumentation-http"]


def make_spans(n: int, prefix: str, start: int = NS0) -> list[TraceRecord]:
    """Spans shaped like an agent's: ten per trace, ~1 kB of JSON each, a few names and scopes, starts 1 µs apart
    in pairs (so ties occur)."""
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        t0 = start + (i // 2) * 1000
        attrs = {
            "service.name": "support-bot",
            "http.method": "POST",
            "http.url": f"https://api.example.com/v1/chat/{i % 97}",
            "http.status_code": 200,
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 250 + i % 500,
            "gen_ai.usage.output_tokens": 60 + i % 120,
            "agent.name": "support",
            "thread.id": f"thread-{i // 50}",
            "resource.id": f"user-{i % 31}",
            "run.id": f"run-{i // 10}",
            "retry": i % 3 == 0,
            "latency_ms": (i * 37) % 900 + 0.5,
            "prompt.preview": "Summarise the customer's last message — naïve ✓ " * 3,
        }
        out.append(
            TraceRecord(
                f"{prefix}-{i:08d}",
                f"trace-{prefix}-{i // 10:07d}",
                _NAMES[i % len(_NAMES)],
                _SCOPES[i % 2],
                i % 5,
                t0,
                t0 + 1_500_000 + i % 1000,
                None if i % 10 == 0 else f"{prefix}-{i - i % 10:08d}",
                attrs,
                {"code": 1 if i % 17 else 2, "message": "" if i % 17 else "upstream timeout"},
                [
                    {"name": "llm.start", "time": [1750000000, 1000 * i], "attributes": {"attempt": 1}},
                    {"name": "llm.end", "time": [1750000001, 1000 * i], "attributes": {"finish": "stop"}},
                ],
                [],
                {"resource": {"service.name": "support-bot", "telemetry.sdk.language": "nodejs"}, "dropped": 0},
                now,
            )
        )
    return out


def _rows(tenant: str, spans: Sequence[TraceRecord], ts: Callable[[datetime], Any]) -> list[tuple[Any, ...]]:
    """The insert's parameter rows, as a hand-written layer builds them (no validation)."""
    enc = msgspec.json.encode

    def j(v: Any) -> str | None:
        return None if v is None else enc(v).decode()

    return [
        (
            tenant,
            s.id,
            s.trace_id,
            s.parent_span_id,
            s.name,
            s.scope,
            s.kind,
            s.start_time_ns,
            s.end_time_ns,
            j(s.attributes),
            j(s.status),
            j(s.events),
            j(s.links),
            j(s.other),
            ts(s.created_at),
        )
        for s in spans
    ]


def _lite_ts(v: datetime) -> str:
    return v.astimezone(UTC).isoformat(" ", "microseconds")[:26]


_decode = msgspec.json.decode


def _maybe(v: Any) -> Any:
    return None if v is None else _decode(v)


class RawTraces:
    """The raw driver side: one connection, batches of BATCH rows, one transaction per batch."""

    def __init__(self, backend: str, url: str) -> None:
        self.backend = backend
        self.url = url
        self.conn: Any = None
        self.reader: Any = None

    async def open(self) -> None:
        if self.backend == "sqlite":
            self.conn = raw_sqlite(parse_url(self.url).sqlite_path)
            self.reader = await raw_connect(self.url)
        else:
            self.conn = await raw_connect(self.url)
            self.reader = self.conn

    async def close(self) -> None:
        if self.conn is not None:
            if self.backend == "postgres":
                await self.conn.close()
            elif self.backend == "sqlite":
                self.conn.close()
                await self.reader.close()
            else:
                self.conn.close()
            self.conn = self.reader = None

    async def insert(self, tenant: str, spans: Sequence[TraceRecord], *, copy: bool = False) -> None:
        for i in range(0, len(spans), BATCH):
            chunk = spans[i : i + BATCH]
            if self.backend == "postgres":
                rows = _rows(tenant, chunk, lambda v: v)
                async with self.conn.transaction():
                    if copy:
                        await self.conn.copy_records_to_table(
                            "rs_otel_traces", records=rows, columns=[c.strip() for c in COLUMNS.split(",")]
                        )
                    else:
                        await self.conn.executemany(
                            f"INSERT INTO rs_otel_traces ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                            "$10::jsonb, $11::jsonb, $12::jsonb, $13::jsonb, $14::jsonb, $15)",
                            rows,
                        )
            elif self.backend == "mysql":
                rows = _rows(tenant, chunk, lambda v: v.astimezone(UTC).replace(tzinfo=None))
                await self.conn.begin()
                async with self.conn.cursor() as cur:
                    await cur.executemany(
                        f"INSERT INTO rs_otel_traces ({COLUMNS}) VALUES "
                        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        rows,
                    )
                await self.conn.commit()
            else:
                rows = _rows(tenant, chunk, _lite_ts)
                db = self.conn
                db.execute("BEGIN IMMEDIATE")
                db.executemany(
                    f"INSERT INTO rs_otel_traces ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                db.execute("COMMIT")

    async def page(self, tenant: str, after: tuple[int, str] | None, limit: int) -> list[tuple[Any, ...]]:
        """Up to `limit` spans newest start first, strictly before (start_time_ns, id)."""
        c_ns, c_id = after or (2**63 - 1, "\U0010ffff" * 2)
        if self.backend == "postgres":
            rows = await self.reader.fetch(
                f"SELECT {SELECT.format(c='::text')} FROM rs_otel_traces WHERE tenant_id = $1 "
                "AND start_time_ns <= $2 AND (start_time_ns < $2 OR id < $3) "
                f"ORDER BY start_time_ns DESC, id DESC LIMIT {limit}",
                tenant,
                c_ns,
                c_id,
            )
            tz = None
        elif self.backend == "mysql":
            async with self.reader.cursor() as cur:
                await cur.execute(
                    f"SELECT {SELECT.format(c='')} FROM rs_otel_traces FORCE INDEX (rs_otel_traces_start_idx) "
                    "WHERE tenant_id = %s AND start_time_ns <= %s AND (start_time_ns < %s OR id < %s) "
                    "ORDER BY start_time_ns DESC, id DESC LIMIT %s",
                    (tenant, c_ns, c_ns, c_id, limit),
                )
                rows = list(await cur.fetchall())
            tz = UTC
        else:
            async with self.reader.execute(
                f"SELECT {SELECT.format(c='')} FROM rs_otel_traces WHERE tenant_id = ? "
                "AND start_time_ns <= ? AND (start_time_ns < ? OR id < ?) "
                "ORDER BY start_time_ns DESC, id DESC LIMIT ?",
                (tenant, c_ns, c_ns, c_id, limit),
            ) as cur:
                rows = list(await cur.fetchall())
            tz = None
        out = []
        for r in rows:
            created = r[13]
            if tz is not None:
                created = created.replace(tzinfo=tz)
            elif isinstance(created, str):
                created = datetime.fromisoformat(created + "+00:00")
            out.append(
                (
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    _maybe(r[8]),
                    _maybe(r[9]),
                    _maybe(r[10]),
                    _maybe(r[11]),
                    _maybe(r[12]),
                    created,
                )
            )
        return out

    async def analyze(self) -> None:
        if self.backend == "postgres":
            await self.conn.execute("VACUUM ANALYZE rs_otel_traces")
        elif self.backend == "mysql":
            async with self.conn.cursor() as cur:
                await cur.execute("ANALYZE TABLE rs_otel_traces")
                await cur.fetchall()
        else:
            self.conn.execute("ANALYZE rs_otel_traces")


SIDES = ("rawstore", "raw", "raw-copy")


def _sides(backend: str) -> tuple[str, ...]:
    return SIDES if backend == "postgres" else SIDES[:2]


@dataclass
class TraceBench:
    backend: str
    store: Store
    raw: RawTraces
    runner: asyncio.Runner
    rounds_done: int = 0
    seconds: dict[str, list[float]] = field(default_factory=dict)
    cursors: dict[str, Any] = field(default_factory=dict)

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await make()

        return self.runner.run(call())

    async def insert_round(self, side: str) -> float:
        """One timed round: SPANS new spans (fresh ids) inserted in calls of BATCH. Returns its seconds."""
        self.rounds_done += 1
        spans = make_spans(SPANS, f"r{self.rounds_done}")
        gc.collect()
        t = time.perf_counter()
        if side == "rawstore":
            with rawstore.tenant("tracebench-rawstore"):
                for i in range(0, len(spans), BATCH):
                    await self.store.traces.insert_many(spans[i : i + BATCH])
        else:
            await self.raw.insert(f"tracebench-{side}", spans, copy=side == "raw-copy")
        seconds = time.perf_counter() - t
        self.seconds.setdefault(side, []).append(seconds)
        return seconds

    async def load_list(self) -> None:
        """LIST_SPANS spans in the tenant the list benchmarks read; the cursors of page 1 and the middle page."""
        spans = make_spans(LIST_SPANS, "list")
        with rawstore.tenant("tracebench-list"):
            for i in range(0, len(spans), BATCH):
                await self.store.traces.insert_many(spans[i : i + BATCH])
        await self.raw.analyze()
        pages = max(1, LIST_SPANS // LIMIT)
        deep = pages // 2
        cursor = None
        with rawstore.tenant("tracebench-list"):
            for _ in range(deep):
                page = await self.store.traces.list(limit=LIMIT, cursor=cursor)
                cursor = page.next_cursor
        self.cursors = {"first": None, "deep": cursor, "deep_page": deep + 1}

    async def kit_page(self, which: str) -> int:
        n = 0
        with rawstore.tenant("tracebench-list"):
            for _ in range(READS):
                page = await self.store.traces.list(limit=LIMIT, cursor=self.cursors[which])
                n += len(page.items)
        return n

    async def raw_page(self, which: str) -> int:
        cursor = self.cursors[which]
        after = None if cursor is None else traces_store.decode_cursor(cursor)
        n = 0
        for _ in range(READS):
            n += len(await self.raw.page("tracebench-list", after, LIMIT))
        return n


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One prepared database per backend; the insert benchmark pairs each backend with its raw sides (COPY is
    PostgreSQL's)."""
    if "tracebench" not in metafunc.fixturenames:
        return
    backends = [b for b in dbs.selected() if b in BACKENDS]
    if "side" in metafunc.fixturenames and metafunc.function.__name__ == "test_insert_many":
        pairs = [(b, s) for b in backends for s in _sides(b)]
        metafunc.parametrize(
            ("tracebench", "side"), pairs, indirect=["tracebench"], scope="module", ids=[f"{b}-{s}" for b, s in pairs]
        )
    else:
        metafunc.parametrize("tracebench", backends, indirect=True, scope="module")


@pytest.fixture(scope="module")
def tracebench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TraceBench]:
    backend = str(request.param)
    name = f"rawstore_tracebench_{os.getpid()}"
    folder: Path = tmp_path_factory.mktemp("tracebench")
    url = dbs.create_database(backend, name, folder)  # fails under CI=true when the server is unreachable
    rawstore.migrate(url)
    runner = asyncio.Runner()
    store = runner.run(_connect(url))
    raw = RawTraces(backend, url)
    try:
        runner.run(raw.open())
        bench = TraceBench(backend, store, raw, runner)
        runner.run(bench.load_list())
        yield bench
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


def test_insert_many(benchmark: Any, tracebench: TraceBench, side: str) -> None:
    benchmark.group = f"{tracebench.backend}: traces.insert_many x{SPANS:,} (calls of {BATCH})"
    benchmark.extra_info.update(side=side, spans=SPANS, batch=BATCH)
    benchmark.pedantic(tracebench.run, args=(lambda: tracebench.insert_round(side),), rounds=ROUNDS, warmup_rounds=1)


@pytest.mark.parametrize("which", ["first", "deep"])
@pytest.mark.parametrize("side", ["rawstore", "raw"])
def test_list_page(benchmark: Any, tracebench: TraceBench, side: str, which: str) -> None:
    benchmark.group = f"{tracebench.backend}: traces.list page {which} of {LIST_SPANS:,} (limit {LIMIT}) x{READS}"
    benchmark.extra_info.update(side=side, page=which, spans=LIST_SPANS, reads=READS)
    read = tracebench.kit_page if side == "rawstore" else tracebench.raw_page
    n = benchmark.pedantic(tracebench.run, args=(lambda: read(which),), rounds=ROUNDS, warmup_rounds=1)
    assert n == READS * min(LIMIT, LIST_SPANS)


def test_traces_summary(tracebench: TraceBench, capsys: pytest.CaptureFixture[str]) -> None:
    """Every side interleaved round by round; prints spans/s, page times and the ratios."""
    sides = _sides(tracebench.backend)
    best: dict[str, float] = {}
    for _ in range(max(1, min(ROUNDS, 3))):
        for side in sides:
            t = tracebench.run(lambda side=side: tracebench.insert_round(side))  # type: ignore[misc]
            best[side] = min(best.get(side, t), t)

    async def total(tenant: str) -> int | None:
        with rawstore.tenant(tenant):
            return (await tracebench.store.traces.list(limit=0, with_total=True)).total

    counts = {side: tracebench.run(lambda side=side: total(f"tracebench-{side}")) for side in sides}  # type: ignore[misc]
    assert len(set(counts.values())) == 1, counts
    rate = {side: SPANS / best[side] for side in sides}
    page: dict[tuple[str, str], float] = {}
    for which in ("first", "deep"):
        for side, read in (("rawstore", tracebench.kit_page), ("raw", tracebench.raw_page)):
            times = []
            for _ in range(3):
                t = time.perf_counter()
                tracebench.run(lambda read=read, which=which: read(which))  # type: ignore[misc]
                times.append((time.perf_counter() - t) / READS * 1000)
            page[side, which] = statistics.median(times)
    with capsys.disabled():
        line = f"\n{tracebench.backend}: traces.insert_many {rate['rawstore']:,.0f} spans/s"
        for side in sides[1:]:
            line += f", {side} {rate[side]:,.0f} (ratio {rate['rawstore'] / rate[side]:.2f})"
        print(line + f" [best of interleaved rounds of {SPANS:,}]")
        print(
            f"{tracebench.backend}: traces.list page 1 {page['rawstore', 'first']:.3f} ms (raw"
            f" {page['raw', 'first']:.3f}, ratio {page['rawstore', 'first'] / page['raw', 'first']:.2f}); page"
            f" {tracebench.cursors['deep_page']} of {max(1, LIST_SPANS // LIMIT)} {page['rawstore', 'deep']:.3f} ms"
            f" (raw {page['raw', 'deep']:.3f}, ratio {page['rawstore', 'deep'] / page['raw', 'deep']:.2f});"
            f" deep/first {page['rawstore', 'deep'] / page['rawstore', 'first']:.2f}"
        )

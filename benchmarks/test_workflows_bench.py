"""The workflow domain's hot paths, each timed for rawstore and for the raw driver doing the same work.

- `create_logs`: a batch of log lines (1,000 by default) in one round trip. The raw side takes the same entries,
  builds the rows (a UUIDv7 per line, metadata encoded with msgspec) and sends the fastest plain form of its driver:
  asyncpg one `unnest` INSERT, aiomysql executemany (rewritten into one multi-row INSERT) in a transaction,
  aiosqlite executemany inside BEGIN IMMEDIATE ... COMMIT. rawstore also validates every entry and takes the
  batch's created_at from the database's clock.
- `claim_next_pending_run`: one claim per call, sequentially, over runs seeded for each side. The raw side sends
  the same SQL (PostgreSQL and SQLite: one UPDATE ... RETURNING; MariaDB: SELECT ... FOR UPDATE SKIP LOCKED, UPDATE
  and re-read in one transaction) and decodes the row's JSON columns as rawstore does.

Each database gets its own rawstore_wfbench_<pid> database (dropped at the end); both sides share its tables
under two tenants. Sizes: RAWSTORE_BENCH_LOG_BATCH, RAWSTORE_BENCH_LOG_ROUNDS, RAWSTORE_BENCH_CLAIMS. Run with
`-s` to see the interleaved throughput summary (logs/s and claims/s of each side and their ratio).
"""

from __future__ import annotations

import abc
import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import pytest
from conftest import selected_backends

import rawstore
from rawstore.bench import raw_connect
from rawstore.ids import uuid7
from tests import dbs

T = TypeVar("T")
SIDES = ("rawstore", "raw")
KIT_TENANT = "wfbench-rawstore"
RAW_TENANT = "wfbench-raw"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


LOG_BATCH = _int_env("RAWSTORE_BENCH_LOG_BATCH", 1000)
LOG_ROUNDS = _int_env("RAWSTORE_BENCH_LOG_ROUNDS", 20)
CLAIMS = _int_env("RAWSTORE_BENCH_CLAIMS", 500)
CLAIMS_PER_ROUND = min(50, CLAIMS)
CLAIM_ROUNDS = max(1, CLAIMS // CLAIMS_PER_ROUND)

_encode = msgspec.json.encode
_decode = msgspec.json.decode
_LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
_LOG_COLS = "tenant_id, id, workflow_run_id, workflow_stage_id, level, message, metadata, created_at"
_RUN_COLS = (
    "id, created_at, updated_at, workflow_id, workflow_name, workflow_type, status, started_at, completed_at, "
    "duration, input, output, config, total_cost, total_tokens, priority, metadata, version"
)


def make_entries(run_id: str, start: int, count: int) -> list[dict[str, Any]]:
    """Log entries as an engine writes them: a level, a message of ~80 characters, metadata on some lines."""
    return [
        {
            "level": _LEVELS[i % 4],
            "message": f"stage extract: processed document {i:07} of batch {start // max(count, 1)} in {i % 97} ms",
            "workflow_run_id": run_id,
            "metadata": {"doc": i, "tokens": i % 512} if i % 4 == 0 else None,
        }
        for i in range(start, start + count)
    ]


# -- the raw side ---------------------------------------------------------------------------------------


class Raw(abc.ABC):
    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def insert_logs(self, entries: Sequence[dict[str, Any]]) -> None: ...

    @abc.abstractmethod
    async def claim(self) -> tuple[Any, ...] | None: ...

    @abc.abstractmethod
    async def seed_runs(self, tenant: str, count: int) -> None:
        """`count` PENDING runs of one tenant, in one statement (set-up, not timed)."""


def _row(r: Sequence[Any], ts: Callable[[Any], datetime]) -> tuple[Any, ...]:
    """A claimed run as a raw layer would hand it back: JSON columns decoded, timestamps as aware UTC datetimes."""
    return (
        r[0],
        ts(r[1]),
        ts(r[2]),
        *r[3:7],
        None if r[7] is None else ts(r[7]),
        None if r[8] is None else ts(r[8]),
        r[9],
        _decode(r[10]),
        None if r[11] is None else _decode(r[11]),
        _decode(r[12]),
        *r[13:16],
        None if r[16] is None else _decode(r[16]),
        r[17],
    )


def _pg_ts(v: datetime) -> datetime:
    return v


def _my_ts(v: datetime) -> datetime:
    return v.replace(tzinfo=UTC)


def _lite_ts(v: str) -> datetime:
    return datetime.fromisoformat(v + "+00:00")


def _meta(e: dict[str, Any]) -> str | None:
    m = e.get("metadata")
    return None if m is None else _encode(m).decode()


class PgRaw(Raw):
    INSERT = (
        f"INSERT INTO rs_workflow_logs ({_LOG_COLS}) SELECT $1, i, r, s, l, m, md::jsonb, now() "
        "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(i, r, s, l, m, md)"
    )
    CLAIM = (
        "UPDATE rs_workflow_runs SET status = 'RUNNING', started_at = now(), version = version + 1, "
        "updated_at = now() WHERE tenant_id = $1 AND status = 'PENDING' AND id = ("
        "SELECT id FROM rs_workflow_runs WHERE tenant_id = $1 AND status = 'PENDING' "
        "ORDER BY priority DESC, created_at, id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED) "
        "RETURNING id, created_at, updated_at, workflow_id, workflow_name, workflow_type, status, started_at, "
        "completed_at, duration, input::text, output::text, config::text, total_cost, total_tokens, priority, "
        "metadata::text, version"
    )
    SEED = (
        "INSERT INTO rs_workflow_runs (tenant_id, id, workflow_id, workflow_name, workflow_type, status, priority, "
        "input, config, total_cost, total_tokens, version, created_at, updated_at) "
        "SELECT $1, i, 'wf', 'bench', 'bench', 'PENDING', 5, '{\"doc\": 1}', '{}', 0, 0, 1, now(), now() "
        "FROM unnest($2::text[]) AS u(i)"
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    async def open(self) -> None:
        self.conn = await raw_connect(self.url)

    async def close(self) -> None:
        await self.conn.close()

    async def insert_logs(self, entries: Sequence[dict[str, Any]]) -> None:
        cols: list[list[Any]] = [[], [], [], [], [], []]
        for e in entries:
            cols[0].append(uuid7())
            cols[1].append(e.get("workflow_run_id"))
            cols[2].append(e.get("workflow_stage_id"))
            cols[3].append(e["level"])
            cols[4].append(e["message"])
            cols[5].append(_meta(e))
        await self.conn.execute(self.INSERT, RAW_TENANT, *cols)

    async def claim(self) -> tuple[Any, ...] | None:
        r = await self.conn.fetchrow(self.CLAIM, RAW_TENANT)
        return None if r is None else _row(r, _pg_ts)

    async def seed_runs(self, tenant: str, count: int) -> None:
        await self.conn.execute(self.SEED, tenant, [uuid7() for _ in range(count)])


class MyRaw(Raw):
    INSERT = f"INSERT INTO rs_workflow_logs ({_LOG_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    PICK = (
        "SELECT id FROM rs_workflow_runs FORCE INDEX (rs_workflow_runs_claim_idx) "
        "WHERE tenant_id = %s AND status = 'PENDING' ORDER BY priority DESC, created_at, id LIMIT 1 "
        "FOR UPDATE SKIP LOCKED"
    )
    MARK = (
        "UPDATE rs_workflow_runs SET status = 'RUNNING', started_at = UTC_TIMESTAMP(6), version = version + 1, "
        "updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = %s AND id = %s AND status = 'PENDING'"
    )
    GET = f"SELECT {_RUN_COLS} FROM rs_workflow_runs WHERE tenant_id = %s AND id = %s"
    SEED = (
        "INSERT INTO rs_workflow_runs (tenant_id, id, workflow_id, workflow_name, workflow_type, status, priority, "
        "input, config, total_cost, total_tokens, version, created_at, updated_at) "
        "VALUES (%s, %s, 'wf', 'bench', 'bench', 'PENDING', 5, '{\"doc\": 1}', '{}', 0, 0, 1, %s, %s)"
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    async def open(self) -> None:
        self.conn = await raw_connect(self.url)

    async def close(self) -> None:
        self.conn.close()

    async def insert_logs(self, entries: Sequence[dict[str, Any]]) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [
            (
                RAW_TENANT,
                uuid7(),
                e.get("workflow_run_id"),
                e.get("workflow_stage_id"),
                e["level"],
                e["message"],
                _meta(e),
                now,
            )
            for e in entries
        ]
        c = self.conn
        await c.begin()
        try:
            async with c.cursor() as cur:
                await cur.executemany(self.INSERT, rows)
            await c.commit()
        except BaseException:
            await c.rollback()
            raise

    async def claim(self) -> tuple[Any, ...] | None:
        c = self.conn
        await c.begin()
        try:
            async with c.cursor() as cur:
                await cur.execute(self.PICK, (RAW_TENANT,))
                picked = await cur.fetchone()
                row = None
                if picked is not None:
                    await cur.execute(self.MARK, (RAW_TENANT, picked[0]))
                    await cur.execute(self.GET, (RAW_TENANT, picked[0]))
                    row = await cur.fetchone()
            await c.commit()
        except BaseException:
            await c.rollback()
            raise
        return None if row is None else _row(row, _my_ts)

    async def seed_runs(self, tenant: str, count: int) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        async with self.conn.cursor() as cur:
            await cur.executemany(self.SEED, [(tenant, uuid7(), now, now) for _ in range(count)])


_LITE_NOW = "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"


class LiteRaw(Raw):
    INSERT = f"INSERT INTO rs_workflow_logs ({_LOG_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, {_LITE_NOW})"
    CLAIM = (
        f"UPDATE rs_workflow_runs SET status = 'RUNNING', started_at = {_LITE_NOW}, version = version + 1, "
        f"updated_at = {_LITE_NOW} WHERE tenant_id = ?1 AND status = 'PENDING' AND id = ("
        "SELECT id FROM rs_workflow_runs WHERE tenant_id = ?1 AND status = 'PENDING' "
        f"ORDER BY priority DESC, created_at, id LIMIT 1) RETURNING {_RUN_COLS}"
    )
    SEED = (
        "INSERT INTO rs_workflow_runs (tenant_id, id, workflow_id, workflow_name, workflow_type, status, priority, "
        "input, config, total_cost, total_tokens, version, created_at, updated_at) "
        f"VALUES (?, ?, 'wf', 'bench', 'bench', 'PENDING', 5, '{{\"doc\": 1}}', '{{}}', 0, 0, 1, {_LITE_NOW}, "
        f"{_LITE_NOW})"
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    async def open(self) -> None:
        self.conn = await raw_connect(self.url)

    async def close(self) -> None:
        await self.conn.close()

    async def insert_logs(self, entries: Sequence[dict[str, Any]]) -> None:
        rows = [
            (
                RAW_TENANT,
                uuid7(),
                e.get("workflow_run_id"),
                e.get("workflow_stage_id"),
                e["level"],
                e["message"],
                _meta(e),
            )
            for e in entries
        ]
        c = self.conn
        await c.execute("BEGIN IMMEDIATE")
        try:
            await c.executemany(self.INSERT, rows)
            await c.execute("COMMIT")
        except BaseException:
            await c.execute("ROLLBACK")
            raise

    async def claim(self) -> tuple[Any, ...] | None:
        async with self.conn.execute(self.CLAIM, (RAW_TENANT,)) as cur:
            rows = await cur.fetchall()
        return _row(rows[0], _lite_ts) if rows else None

    async def seed_runs(self, tenant: str, count: int) -> None:
        await self.conn.executemany(self.SEED, [(tenant, uuid7()) for _ in range(count)])


def raw_side(backend: str, url: str) -> Raw:
    if backend == "postgres":
        return PgRaw(url)
    if backend == "mysql":
        return MyRaw(url)
    return LiteRaw(url)


# -- fixture --------------------------------------------------------------------------------------------


@dataclass
class WfBench:
    backend: str
    store: rawstore.Store
    raw: Raw
    runner: asyncio.Runner
    runs: dict[str, str] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIDES, 0))

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await make()

        return self.runner.run(call())

    def group(self, what: str) -> str:
        return f"{self.backend}: {what}"

    async def insert_logs(self, side: str, entries: Sequence[dict[str, Any]]) -> None:
        if side == "rawstore":
            with rawstore.tenant(KIT_TENANT):
                await self.store.workflows.create_logs(entries)
        else:
            await self.raw.insert_logs(entries)
        self.written[side] += len(entries)

    def entries(self, side: str, count: int = LOG_BATCH) -> list[dict[str, Any]]:
        return make_entries(self.runs[side], self.written[side], count)

    async def claim(self, side: str) -> Any:
        if side == "rawstore":
            with rawstore.tenant(KIT_TENANT):
                return await self.store.workflows.claim_next_pending_run()
        return await self.raw.claim()

    async def claims(self, side: str, n: int) -> int:
        got = 0
        for _ in range(n):
            got += (await self.claim(side)) is not None
        return got


@pytest.fixture(scope="session", params=selected_backends())
def wfbench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WfBench]:
    backend = str(request.param)
    name = f"rawstore_wfbench_{os.getpid()}"
    folder: Path = tmp_path_factory.mktemp("wfbench")
    # Unreachable servers fail the session under CI=true and skip it otherwise, as in the test suite.
    url = dbs.create_database(backend, name, folder)
    rawstore.migrate(url)
    runner = asyncio.Runner()
    raw = raw_side(backend, url)

    async def setup() -> WfBench:
        store = await rawstore.connect(url)
        await raw.open()
        bench = WfBench(backend, store, raw, runner)
        for side, tenant in (("rawstore", KIT_TENANT), ("raw", RAW_TENANT)):
            with rawstore.tenant(tenant):
                run = await store.workflows.create_run(
                    workflow_id="wf", workflow_name="bench", workflow_type="bench", input={}, priority=-1
                )
            bench.runs[side] = run.id
            await raw.seed_runs(tenant, 2 * CLAIMS + 10)
        return bench

    try:
        bench = runner.run(setup())
        try:
            yield bench
        finally:
            runner.run(bench.store.close())
            runner.run(raw.close())
    finally:
        runner.close()
        if backend != "sqlite":
            dbs.create_database(backend, name, folder, drop_only=True)


side_param = pytest.mark.parametrize("side", SIDES)


# -- correctness of the comparison ----------------------------------------------------------------------


def test_both_sides_write_the_same_rows(wfbench: WfBench) -> None:
    """Both sides store the same lines for the same entries, so their timings compare the same work."""
    bench = wfbench

    async def check() -> None:
        for side in SIDES:
            await bench.insert_logs(side, bench.entries(side, 10))
        with rawstore.tenant(KIT_TENANT):
            kit = await bench.store.workflows.list_logs(bench.runs["rawstore"], limit=10)
        with rawstore.tenant(RAW_TENANT):
            raw = await bench.store.workflows.list_logs(bench.runs["raw"], limit=10)
        assert [(x.level, x.message, x.metadata) for x in kit] == [(x.level, x.message, x.metadata) for x in raw]
        kit_run, raw_run = await bench.claim("rawstore"), await bench.claim("raw")
        assert kit_run is not None and raw_run is not None
        assert (kit_run.status, kit_run.version, kit_run.input) == (raw_run[6], raw_run[17], raw_run[10])

    bench.run(check)


# -- create_logs ----------------------------------------------------------------------------------------


@side_param
def test_create_logs(benchmark: Any, wfbench: WfBench, side: str) -> None:
    bench = wfbench

    def next_batch() -> tuple[tuple[Any, ...], dict[str, Any]]:
        entries = bench.entries(side)
        return (lambda: bench.insert_logs(side, entries),), {}

    benchmark.group = bench.group(f"create_logs, batches of {LOG_BATCH:,}")
    benchmark.extra_info.update(side=side, batch=LOG_BATCH)
    benchmark.pedantic(bench.run, setup=next_batch, rounds=LOG_ROUNDS, warmup_rounds=1)


@side_param
def test_claim_next_pending_run(benchmark: Any, wfbench: WfBench, side: str) -> None:
    bench = wfbench
    benchmark.group = bench.group(f"claim_next_pending_run x{CLAIMS_PER_ROUND} sequential")
    benchmark.extra_info.update(side=side, per_round=CLAIMS_PER_ROUND)
    claimed = benchmark.pedantic(
        bench.run, args=(lambda: bench.claims(side, CLAIMS_PER_ROUND),), rounds=CLAIM_ROUNDS, iterations=1
    )
    assert claimed == CLAIMS_PER_ROUND, "the seeded runs ran out: raise RAWSTORE_BENCH_CLAIMS"


# -- interleaved summary ----------------------------------------------------------------------------------


def test_throughput_summary(wfbench: WfBench) -> None:
    """Both sides interleaved (log batch by batch, claim by claim), so a busy machine weighs on both alike.

    Prints rows/s of each side and the ratio (median batch for logs, total time for claims).
    """
    bench = wfbench
    logs: dict[str, list[float]] = {s: [] for s in SIDES}
    claims: dict[str, float] = dict.fromkeys(SIDES, 0.0)
    n_claims = max(1, CLAIMS // 2)

    async def measure() -> None:
        for _ in range(max(3, LOG_ROUNDS // 2)):
            for side in SIDES:
                entries = bench.entries(side)
                t = time.perf_counter()
                await bench.insert_logs(side, entries)
                logs[side].append(time.perf_counter() - t)
        for _ in range(n_claims):
            for side in SIDES:
                t = time.perf_counter()
                assert await bench.claim(side) is not None
                claims[side] += time.perf_counter() - t

    bench.run(measure)
    log_rate = {s: LOG_BATCH / sorted(v)[len(v) // 2] for s, v in logs.items()}
    claim_rate = {s: n_claims / v for s, v in claims.items()}
    for what, rate in ((f"create_logs x{LOG_BATCH}", log_rate), ("claim_next_pending_run", claim_rate)):
        print(
            f"\n[{bench.backend}] {what}: rawstore {rate['rawstore']:,.0f}/s, raw {rate['raw']:,.0f}/s, "
            f"ratio {rate['rawstore'] / rate['raw']:.2f}",
            end="",
        )

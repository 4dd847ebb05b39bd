"""Workflow snapshots: `persist` + `load` of 1 kB, 1 MB and 50 MB snapshots, and `list_runs` over many runs (no
snapshot read), each timed for rawstore and for the raw driver doing the same work in the same run.

- persist + load: upsert a run's snapshot, then read it back (what a workflow engine does around every step of a
  run). The raw side encodes the snapshot with msgspec, sends the same upsert (`INSERT ... ON CONFLICT DO UPDATE` /
  `ON DUPLICATE KEY UPDATE`, keeping created_at, `RETURNING` the stored keys and timestamps) and the same point SELECT,
  and decodes the JSON with msgspec; rawstore also validates ids and the JSON (depth, NUL) and derives the status
  column. Each side upserts a few runs of its own tenant over and over (the steady state: the run exists).
- list_runs: a page of 100 runs, newest first, without snapshots, among `RUNS` runs that each carry a ~1 kB
  snapshot: unfiltered page 1, the page ~half-way down the list (from its cursor), page 1 of one workflow, page 1
  of one resource in one status. The raw side sends the same SELECT (keyset predicate, the same index) and turns
  each row into a tuple with aware UTC datetimes. Both sides read the same rows.

Drivers: asyncpg, aiomysql, aiosqlite (one dedicated connection; rawstore goes through its pool). Sizes:
- RAWSTORE_BENCH_SNAPSHOT_SIZES: snapshot sizes (default "1k,1m"; the issue's figures add 50m);
- RAWSTORE_BENCH_SNAPSHOT_OPS: persist + load pairs per round for 1 kB (default 100); 40 kB and up do
  proportionally fewer (1 MB 3, 50 MB 1);
- RAWSTORE_BENCH_SNAPSHOT_RUNS: runs listed (default 2,000; the issue's figure is 100,000);
- RAWSTORE_BENCH_SNAPSHOT_ROUNDS: rounds per benchmark (default 5).
Each server gets its own rawstore_snapbench_<pid> database, dropped at the end. Run with `-s` for the interleaved
summary (ops/s or ms of each side, and their ratio).
"""

from __future__ import annotations

import abc
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import msgspec
import pytest
from conftest import selected_backends

import rawstore
from rawstore.bench import raw_connect
from tests import dbs

T = TypeVar("T")
SIDES = ("rawstore", "raw")
TENANT = {"rawstore": "snapbench-rawstore", "raw": "snapbench-raw"}
LIST_TENANT = "snapbench-list"
PAGE = 100
KB, MB = 1024, 1024 * 1024
UNITS = {"k": KB, "m": MB}


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


def _sizes() -> list[str]:
    raw = os.environ.get("RAWSTORE_BENCH_SNAPSHOT_SIZES", "1k,1m")
    out = [s.strip().lower() for s in raw.split(",") if s.strip()]
    for s in out:
        if not (s[:-1].isdigit() and s[-1] in UNITS):
            raise pytest.UsageError(f"RAWSTORE_BENCH_SNAPSHOT_SIZES: {s!r} is not like 1k, 1m or 50m")
    return out


SIZES = _sizes()
OPS = _int_env("RAWSTORE_BENCH_SNAPSHOT_OPS", 100)
RUNS = _int_env("RAWSTORE_BENCH_SNAPSHOT_RUNS", 2_000)
ROUNDS = _int_env("RAWSTORE_BENCH_SNAPSHOT_ROUNDS", 5)

_encode = msgspec.json.encode
_decode = msgspec.json.decode


def nbytes(size: str) -> int:
    return int(size[:-1]) * UNITS[size[-1]]


def ops_for(size: str) -> int:
    """persist + load pairs per round: OPS for 1 kB, proportionally fewer (at least one) for bigger snapshots."""
    return max(1, min(OPS, OPS * 40 * KB // nbytes(size)))


def make_snapshot(size: int, run: str = "run") -> dict[str, Any]:
    """A Mastra-shaped snapshot of about `size` bytes of JSON: its steps' outputs carry most of the weight."""
    step_text = 4 * KB if size >= 64 * KB else 200
    steps = max(1, (size - 400) // (step_text + 60))
    text = ("Step output: the quick brown fox jumps over the lazy dog — naïve ✓ " * (step_text // 60 + 1))[:step_text]
    return {
        "runId": run,
        "status": "running",
        "value": {"step-0": "success"},
        "context": {f"step-{i}": {"status": "success", "output": {"text": text, "n": i}} for i in range(steps)},
        "activePaths": [0],
        "suspendedPaths": {},
        "serializedStepGraph": [{"type": "step", "step": {"id": f"step-{i}"}} for i in range(min(steps, 5))],
        "requestContext": {"user": "u-1"},
        "timestamp": 1_750_000_000_000,
    }


# -- the raw side -----------------------------------------------------------------------------------------

_KEYS = "workflow_name, run_id, resource_id, status, created_at, updated_at"


class Raw(abc.ABC):
    """One dedicated raw-driver connection doing what rawstore does."""

    url: str
    conn: Any

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = None

    async def open(self) -> None:
        self.conn = await raw_connect(self.url)

    async def close(self) -> None:
        await self.conn.close()

    @abc.abstractmethod
    async def persist(self, tenant: str, wf: str, run: str, snapshot: Any) -> tuple[Any, ...]: ...

    @abc.abstractmethod
    async def load(self, tenant: str, wf: str, run: str) -> Any: ...

    @abc.abstractmethod
    async def page(self, tenant: str, filters: dict[str, str], before: tuple[datetime, str, str]) -> list[Any]:
        """Up to PAGE runs (keys and timestamps) strictly before `before`, newest first."""

    @abc.abstractmethod
    async def seed(self, tenant: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert (workflow_name, run_id, resource_id, status, created_at, snapshot text) rows (set-up)."""


def _status(snapshot: Any) -> Any:
    return snapshot.get("status") if isinstance(snapshot, dict) else None


def _where(filters: dict[str, str], mark: Callable[[int], str], first: int) -> tuple[str, list[str]]:
    names = [f for f in ("workflow_name", "resource_id", "status") if f in filters]
    return "".join(f" AND {f} = {mark(first + i)}" for i, f in enumerate(names)), [filters[f] for f in names]


def _order(filters: dict[str, str]) -> str:
    return (
        "created_at DESC, run_id DESC"
        if "workflow_name" in filters
        else "created_at DESC, workflow_name DESC, run_id DESC"
    )


class PgRaw(Raw):
    UPSERT = (
        "INSERT INTO rs_workflow_snapshots AS s (tenant_id, workflow_name, run_id, resource_id, status, created_at, "
        "updated_at, snapshot) VALUES ($1, $2, $3, NULL, $4, $5, $5, $6::jsonb) "
        "ON CONFLICT (tenant_id, workflow_name, run_id) DO UPDATE SET resource_id = coalesce(EXCLUDED.resource_id, "
        "s.resource_id), status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, snapshot = EXCLUDED.snapshot "
        f"RETURNING {_KEYS}"
    )
    LOAD = (
        "SELECT snapshot::text FROM rs_workflow_snapshots WHERE tenant_id = $1 AND workflow_name = $2 AND run_id = $3"
    )

    async def persist(self, tenant: str, wf: str, run: str, snapshot: Any) -> tuple[Any, ...]:
        text = _encode(snapshot).decode()
        r = await self.conn.fetchrow(self.UPSERT, tenant, wf, run, _status(snapshot), datetime.now(UTC), text)
        return tuple(r)

    async def load(self, tenant: str, wf: str, run: str) -> Any:
        text = await self.conn.fetchval(self.LOAD, tenant, wf, run)
        return None if text is None else _decode(text)

    async def page(self, tenant: str, filters: dict[str, str], before: tuple[datetime, str, str]) -> list[Any]:
        where, args = _where(filters, lambda i: f"${i}", 5)
        sql = (
            f"SELECT {_KEYS} FROM rs_workflow_snapshots WHERE tenant_id = $1{where} AND created_at <= $2 "
            "AND (created_at < $2 OR workflow_name < $3 OR (workflow_name = $3 AND run_id < $4)) "
            f"ORDER BY {_order(filters)} LIMIT {PAGE}"
        )
        return [tuple(r) for r in await self.conn.fetch(sql, tenant, *before, *args)]

    async def seed(self, tenant: str, rows: Sequence[tuple[Any, ...]]) -> None:
        cols = list(zip(*rows, strict=True))
        await self.conn.execute(
            "INSERT INTO rs_workflow_snapshots (tenant_id, workflow_name, run_id, resource_id, status, created_at, "
            "updated_at, snapshot) SELECT $1, w, r, res, st, c, c, s::jsonb FROM unnest($2::text[], $3::text[], "
            "$4::text[], $5::text[], $6::timestamptz[], $7::text[]) AS u(w, r, res, st, c, s)",
            tenant,
            *map(list, cols),
        )


class MyRaw(Raw):
    UPSERT = (
        "INSERT INTO rs_workflow_snapshots (tenant_id, workflow_name, run_id, resource_id, status, created_at, "
        "updated_at, snapshot) VALUES (%s, %s, %s, NULL, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE "
        "resource_id = coalesce(VALUES(resource_id), resource_id), status = VALUES(status), "
        f"updated_at = VALUES(updated_at), snapshot = VALUES(snapshot) RETURNING {_KEYS}"
    )
    LOAD = "SELECT snapshot FROM rs_workflow_snapshots WHERE tenant_id = %s AND workflow_name = %s AND run_id = %s"
    INDEX: ClassVar[dict[tuple[str, ...], str]] = {
        (): "created",
        ("workflow_name",): "name",
        ("resource_id", "status"): "resource_status",
    }

    async def close(self) -> None:
        self.conn.close()

    async def persist(self, tenant: str, wf: str, run: str, snapshot: Any) -> tuple[Any, ...]:
        text = _encode(snapshot).decode()
        now = datetime.now(UTC).replace(tzinfo=None)
        async with self.conn.cursor() as cur:
            await cur.execute(self.UPSERT, (tenant, wf, run, _status(snapshot), now, now, text))
            r = await cur.fetchone()
        return (*r[:4], r[4].replace(tzinfo=UTC), r[5].replace(tzinfo=UTC))

    async def load(self, tenant: str, wf: str, run: str) -> Any:
        async with self.conn.cursor() as cur:
            await cur.execute(self.LOAD, (tenant, wf, run))
            r = await cur.fetchone()
        return None if r is None else _decode(r[0])

    async def page(self, tenant: str, filters: dict[str, str], before: tuple[datetime, str, str]) -> list[Any]:
        where, args = _where(filters, lambda i: "%s", 0)
        index = "rs_workflow_snapshots_" + self.INDEX[tuple(f for f in filters)] + "_idx"
        sql = (
            f"SELECT {_KEYS} FROM rs_workflow_snapshots FORCE INDEX ({index}) WHERE tenant_id = %s{where} "
            "AND created_at <= %s AND (created_at < %s OR workflow_name < %s OR (workflow_name = %s AND run_id < %s)) "
            f"ORDER BY {_order(filters)} LIMIT {PAGE}"
        )
        ts, wf, run = before
        naive = ts.astimezone(UTC).replace(tzinfo=None)
        async with self.conn.cursor() as cur:
            await cur.execute(sql, (tenant, *args, naive, naive, wf, wf, run))
            rows = await cur.fetchall()
        return [(*r[:4], r[4].replace(tzinfo=UTC), r[5].replace(tzinfo=UTC)) for r in rows]

    async def seed(self, tenant: str, rows: Sequence[tuple[Any, ...]]) -> None:
        sql = (
            "INSERT INTO rs_workflow_snapshots (tenant_id, workflow_name, run_id, resource_id, status, created_at, "
            "updated_at, snapshot) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        )
        async with self.conn.cursor() as cur:
            for i in range(0, len(rows), 1000):
                chunk = [
                    (tenant, w, r, res, st, c.replace(tzinfo=None), c.replace(tzinfo=None), s)
                    for w, r, res, st, c, s in rows[i : i + 1000]
                ]
                await cur.executemany(sql, chunk)


def _lite_ts(v: datetime) -> str:
    return v.isoformat(" ", "microseconds")[:26]


def _lite_dt(v: str) -> datetime:
    return datetime.fromisoformat(v + "+00:00")


class LiteRaw(Raw):
    UPSERT = (
        "INSERT INTO rs_workflow_snapshots (tenant_id, workflow_name, run_id, resource_id, status, created_at, "
        "updated_at, snapshot) VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?5, ?6) "
        "ON CONFLICT (tenant_id, workflow_name, run_id) DO UPDATE SET resource_id = coalesce(excluded.resource_id, "
        "resource_id), status = excluded.status, updated_at = excluded.updated_at, snapshot = excluded.snapshot "
        f"RETURNING {_KEYS}"
    )
    LOAD = "SELECT snapshot FROM rs_workflow_snapshots WHERE tenant_id = ? AND workflow_name = ? AND run_id = ?"

    async def persist(self, tenant: str, wf: str, run: str, snapshot: Any) -> tuple[Any, ...]:
        text = _encode(snapshot).decode()
        args = (tenant, wf, run, _status(snapshot), _lite_ts(datetime.now(UTC)), text)
        async with self.conn.execute(self.UPSERT, args) as cur:
            r = await cur.fetchone()
        await self.conn.commit()
        return (*r[:4], _lite_dt(r[4]), _lite_dt(r[5]))

    async def load(self, tenant: str, wf: str, run: str) -> Any:
        async with self.conn.execute(self.LOAD, (tenant, wf, run)) as cur:
            r = await cur.fetchone()
        return None if r is None else _decode(r[0])

    async def page(self, tenant: str, filters: dict[str, str], before: tuple[datetime, str, str]) -> list[Any]:
        where, args = _where(filters, lambda i: f"?{i}", 5)
        sql = (
            f"SELECT {_KEYS} FROM rs_workflow_snapshots WHERE tenant_id = ?1{where} AND created_at <= ?2 "
            "AND (created_at < ?2 OR workflow_name < ?3 OR (workflow_name = ?3 AND run_id < ?4)) "
            f"ORDER BY {_order(filters)} LIMIT {PAGE}"
        )
        ts, wf, run = before
        async with self.conn.execute(sql, (tenant, _lite_ts(ts), wf, run, *args)) as cur:
            rows = await cur.fetchall()
        return [(*r[:4], _lite_dt(r[4]), _lite_dt(r[5])) for r in rows]

    async def seed(self, tenant: str, rows: Sequence[tuple[Any, ...]]) -> None:
        await self.conn.execute("BEGIN IMMEDIATE")
        await self.conn.executemany(
            "INSERT INTO rs_workflow_snapshots (tenant_id, workflow_name, run_id, resource_id, status, created_at, "
            "updated_at, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(tenant, w, r, res, st, _lite_ts(c), _lite_ts(c), s) for w, r, res, st, c, s in rows],
        )
        await self.conn.execute("COMMIT")


def raw_side(backend: str, url: str) -> Raw:
    return {"postgres": PgRaw, "mysql": MyRaw}.get(backend, LiteRaw)(url)


# -- fixture --------------------------------------------------------------------------------------------

_MAX = "\U0010ffff" * 2
_T0 = datetime(2025, 1, 1, tzinfo=UTC)
STATUSES = ("success", "success", "success", "running", "failed", "suspended", "waiting")
RESOURCES = max(1, RUNS // 100)
# The listings timed: name -> list_runs filters (the deep page walks to its cursor first).
LISTINGS: dict[str, dict[str, str]] = {
    "page 1": {},
    "deep page": {},
    "page 1 of one workflow": {"workflow_name": "workflow-3"},
    "page 1 of one resource, one status": {"resource_id": f"user-{7 % RESOURCES:04}", "status": "success"},
}


def seed_rows(n: int) -> list[tuple[Any, ...]]:
    """`n` runs over 10 workflows, RUNS/100 resources (every 10th run none), 7 statuses weighted to success; created one
    millisecond apart with every third pair sharing a timestamp (ties break on (workflow_name, run_id))."""
    snap = make_snapshot(KB)
    out = []
    for i in range(n):
        status = STATUSES[i % len(STATUSES)]
        text = _encode(snap | {"runId": f"run-{i:06}", "status": status}).decode()
        res = None if i % 10 == 0 else f"user-{i % RESOURCES:04}"
        created = _T0 + timedelta(milliseconds=i - (i % 3 == 1))
        out.append((f"workflow-{i % 10}", f"run-{i:06}", res, status, created, text))
    return out


@dataclass
class SnapBench:
    backend: str
    store: rawstore.Store
    raw: Raw
    runner: asyncio.Runner
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    deep_cursor: str | None = None
    deep_before: tuple[datetime, str, str] = (_T0, "", "")

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await make()

        return self.runner.run(call())

    def group(self, what: str) -> str:
        return f"{self.backend}: {what}"

    def snapshot(self, size: str) -> dict[str, Any]:
        if size not in self.snapshots:
            self.snapshots[size] = make_snapshot(nbytes(size))
        return self.snapshots[size]

    async def persist_load(self, side: str, size: str, ops: int) -> None:
        snap = self.snapshot(size)
        tenant = TENANT[side]
        for i in range(ops):
            run = f"{size}-{i % 4}"
            if side == "rawstore":
                with rawstore.tenant(tenant):
                    await self.store.snapshots.persist("bench", run, snap)
                    got = await self.store.snapshots.load("bench", run)
            else:
                await self.raw.persist(tenant, "bench", run, snap)
                got = await self.raw.load(tenant, "bench", run)
            assert got is not None

    async def listing(self, side: str, what: str) -> int:
        filters = LISTINGS[what]
        if side == "rawstore":
            cursor = self.deep_cursor if what == "deep page" else None
            with rawstore.tenant(LIST_TENANT):
                page = await self.store.snapshots.list_runs(limit=PAGE, cursor=cursor, **filters)
            return len(page.items)
        before = self.deep_before if what == "deep page" else (datetime(9999, 12, 31, tzinfo=UTC), _MAX, _MAX)
        return len(await self.raw.page(LIST_TENANT, filters, before))


@pytest.fixture(scope="session", params=selected_backends())
def snapbench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnapBench]:
    backend = str(request.param)
    name = f"rawstore_snapbench_{os.getpid()}"
    folder: Path = tmp_path_factory.mktemp("snapbench")
    # Unreachable servers fail the session under CI=true and skip it otherwise, as in the test suite.
    url = dbs.create_database(backend, name, folder)
    rawstore.migrate(url)
    runner = asyncio.Runner()
    raw = raw_side(backend, url)

    async def setup() -> SnapBench:
        store = await rawstore.connect(url)
        await raw.open()
        bench = SnapBench(backend, store, raw, runner)
        rows = seed_rows(RUNS)
        for i in range(0, len(rows), 10_000):
            await raw.seed(LIST_TENANT, rows[i : i + 10_000])
        async with store.transaction() as tx:
            if backend == "mysql":
                await tx.fetch("ANALYZE TABLE rs_workflow_snapshots")
            else:
                await tx.execute("ANALYZE rs_workflow_snapshots" if backend == "postgres" else "ANALYZE")
        # The cursor of the page half-way down the unfiltered list.
        depth = max(1, RUNS // PAGE // 2)
        cursor = None
        with rawstore.tenant(LIST_TENANT):
            for _ in range(depth):
                page = await store.snapshots.list_runs(limit=PAGE, cursor=cursor)
                cursor = page.next_cursor
                last = page.items[-1]
                bench.deep_before = (last.created_at, last.workflow_name, last.run_id)
        bench.deep_cursor = cursor
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


# -- correctness of the comparison ----------------------------------------------------------------------


def test_both_sides_do_the_same_work(snapbench: SnapBench) -> None:
    bench = snapbench

    async def check() -> None:
        snap = bench.snapshot(SIZES[0])
        with rawstore.tenant(TENANT["rawstore"]):
            kit = await bench.store.snapshots.persist("check", "r", snap)
            kit_loaded = await bench.store.snapshots.load("check", "r")
        raw = await bench.raw.persist(TENANT["raw"], "check", "r", snap)
        assert (kit.workflow_name, kit.run_id, kit.resource_id, kit.status) == raw[:4]
        assert kit_loaded == await bench.raw.load(TENANT["raw"], "check", "r") == snap
        for what, filters in LISTINGS.items():
            cursor = bench.deep_cursor if what == "deep page" else None
            with rawstore.tenant(LIST_TENANT):
                page = await bench.store.snapshots.list_runs(limit=PAGE, cursor=cursor, **filters)
            before = bench.deep_before if what == "deep page" else (datetime(9999, 12, 31, tzinfo=UTC), _MAX, _MAX)
            rows = await bench.raw.page(LIST_TENANT, filters, before)
            kit_rows = [
                (r.workflow_name, r.run_id, r.resource_id, r.status, r.created_at, r.updated_at) for r in page.items
            ]
            assert kit_rows == rows and rows, what
            assert all(r.snapshot is None for r in page.items)

    bench.run(check)


# -- persist + load ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("side", SIDES)
def test_persist_load(benchmark: Any, snapbench: SnapBench, side: str, size: str) -> None:
    bench = snapbench
    ops = ops_for(size)
    bench.snapshot(size)
    benchmark.group = bench.group(f"persist + load of a {size} snapshot x{ops}")
    benchmark.extra_info.update(side=side, size=size, ops=ops)
    benchmark.pedantic(bench.run, args=(lambda: bench.persist_load(side, size, ops),), rounds=ROUNDS, warmup_rounds=1)


# -- list_runs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("what", list(LISTINGS))
@pytest.mark.parametrize("side", SIDES)
def test_list_runs(benchmark: Any, snapbench: SnapBench, side: str, what: str) -> None:
    bench = snapbench
    benchmark.group = bench.group(f"list_runs {what}, limit {PAGE}, among {RUNS:,} runs")
    benchmark.extra_info.update(side=side, runs=RUNS)

    async def pages() -> int:
        n = 0
        for _ in range(20):
            n += await bench.listing(side, what)
        return n

    got = benchmark.pedantic(bench.run, args=(pages,), rounds=ROUNDS, warmup_rounds=1)
    assert got > 0


# -- interleaved summary ----------------------------------------------------------------------------------


def test_snapshots_summary(snapbench: SnapBench, pytestconfig: pytest.Config) -> None:
    """Both sides interleaved op by op, so a busy machine weighs on both alike. Prints each side's best and median
    op and the ratios rawstore / raw of their speeds (> 1: rawstore is faster). Under --benchmark-disable (the CI
    smoke run) each op runs three times only."""
    bench = snapbench
    smoke = bool(pytestconfig.getoption("benchmark_disable", False))
    lines = []

    async def measure(op: Callable[[str], Awaitable[Any]], times: int) -> dict[str, list[float]]:
        spent: dict[str, list[float]] = {s: [] for s in SIDES}
        for _ in range(times):
            for side in SIDES:
                t = time.perf_counter()
                await op(side)
                spent[side].append(time.perf_counter() - t)
        return {s: sorted(v) for s, v in spent.items()}

    def line(what: str, got: dict[str, list[float]], unit: str) -> str:
        best = {s: v[0] for s, v in got.items()}
        med = {s: statistics.median(v) for s, v in got.items()}
        scale, fmt = (1000.0, "{:8.2f} ms") if unit == "ms" else (1.0, "{:8.3f} s")
        kit, raw = fmt.format(best["rawstore"] * scale), fmt.format(best["raw"] * scale)
        return (
            f"{what:<48} best: rawstore {kit}, raw {raw}, ratio {best['raw'] / best['rawstore']:.2f}"
            f" | median ratio {med['raw'] / med['rawstore']:.2f}"
        )

    for size in SIZES:
        # Enough interleaved ops for a stable best (a 50 MB op takes seconds: a few of those).
        times = 3 if smoke else min(300, max(ops_for(size) * ROUNDS * 2, 60 if nbytes(size) < 10 * MB else 3))
        got = bench.run(lambda size=size, times=times: measure(lambda s: bench.persist_load(s, size, 1), times))  # type: ignore[misc]
        lines.append(line(f"persist + load {size}", got, "ms" if nbytes(size) < 10 * MB else "s"))
    first: dict[str, list[float]] = {}
    for what in LISTINGS:
        got = bench.run(lambda what=what: measure(lambda s: bench.listing(s, what), 3 if smoke else 300))  # type: ignore[misc]
        first = first or got
        lines.append(line(f"list_runs {what}", got, "ms"))
        if what == "deep page":
            lines[-1] += f" | deep/first (rawstore, best) {got['rawstore'][0] / first['rawstore'][0]:.2f}"
    print(f"\n[{bench.backend}] {RUNS:,} runs listed, pages of {PAGE}\n  " + "\n  ".join(lines))

"""The job-queue workload, for rawstore and for the raw driver doing the same work, on two schemas.

`enqueue`: one batch of N jobs (rawstore `enqueue_many` vs one multi-row INSERT: `unnest` on asyncpg, executemany
elsewhere). `drain`: W workers on W connections claim jobs (1 or 10 per claim) and complete them (one statement per
job, or one per batch of ten) until the queue is empty.

Three sides:
- `rawstore`: the kit's calls.
- `raw`: the raw driver on rawstore's own table `rs_jobs` (another tenant), running the kit's claim SQL (SKIP
  LOCKED on PostgreSQL and MariaDB, `UPDATE … RETURNING` on SQLite), returning the same columns and completing with
  the same fenced UPDATE; it skips only rawstore's validation and record decoding. It pays every cost of the kit's
  schema (the extra indexes, the foreign key to runs, MariaDB's generated unique-key column), so it cannot show them.
- `plain`: the raw driver on `qbench_jobs`, the plain job table an application would write (the seed's columns, no
  tenant, no foreign key, one claim index), created in the benchmark's own database. Its loop is the one the issue
  measured: the same claim, each claim completed with one fenced `UPDATE … WHERE id = ANY(ids) AND lease = $2`, and
  enqueue as one multi-row INSERT with the database time read once (MariaDB) or computed in the statement.

Run `python -m benchmarks.queue_workload [sqlite|postgres|mysql ...]` for a table of jobs/s (sizes from
RAWSTORE_BENCH_JOBS, default 5,000 per drain, and RAWSTORE_BENCH_ENQUEUE, default 50,000; worker counts from
RAWSTORE_BENCH_WORKERS, default 1,2,4,8; rounds from RAWSTORE_BENCH_ROUNDS, default 3).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import rawstore
from rawstore.bench import raw_connect
from rawstore.url import parse_url

KIT, RAW = "bench-kit", "bench-raw"
COLS = (
    "id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload{cast}, "
    "run_at, next_poll_at, "
    "unique_key, worker_id, lease, locked_at, started_at, completed_at, last_error, created_at, updated_at"
)


class RawQueue:
    """The raw-driver side: W dedicated connections and the queue SQL written out by hand."""

    def __init__(self, url: str, dialect: str) -> None:
        self.url = url
        self.dialect = dialect
        self.conns: list[Any] = []

    async def open(self, n: int) -> None:
        while len(self.conns) < n:
            self.conns.append(await raw_connect(self.url))

    async def close(self) -> None:
        for c in self.conns:
            if self.dialect == "mysql":
                c.close()
            else:
                await c.close()
        self.conns = []

    async def enqueue(self, run_id: str, n: int) -> None:
        """The same rows rawstore writes, every per-job column sent as a parameter (as an application would)."""
        c = self.conns[0]
        ids = [str(uuid.uuid4()) for _ in range(n)]
        stages = [f"s{k}" for k in range(n)]
        cols = (
            "tenant_id, id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at,"
            " unique_key, created_at, updated_at"
        )
        if self.dialect == "postgres":
            await c.execute(
                f"INSERT INTO rs_jobs ({cols}) SELECT $1, i, q, r, s, 'PENDING', p, 0, m, pl::jsonb,"
                " coalesce(ra, now()), u, now(), now() FROM unnest($2::text[], $3::text[], $4::text[], $5::text[],"
                " $6::int[], $7::int[], $8::text[], $9::timestamptz[], $10::text[]) AS x(i, q, r, s, p, m, pl, ra, u)",
                RAW,
                ids,
                ["default"] * n,
                [run_id] * n,
                stages,
                [5] * n,
                [3] * n,
                ["{}"] * n,
                [None] * n,
                [None] * n,
            )
            return
        rows = [(RAW, i, "default", run_id, s, 5, 3, "{}", None, None) for i, s in zip(ids, stages, strict=True)]
        if self.dialect == "mysql":
            now = "UTC_TIMESTAMP(6)"
            async with c.cursor() as cur:
                await cur.execute("BEGIN")
                await cur.executemany(
                    f"INSERT INTO rs_jobs ({cols}) VALUES (%s, %s, %s, %s, %s, 'PENDING', %s, 0, %s, %s,"
                    f" COALESCE(%s, {now}), %s, {now}, {now})",
                    rows,
                )
                await cur.execute("COMMIT")
            return
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"
        await c.execute("BEGIN IMMEDIATE")
        await c.executemany(
            f"INSERT INTO rs_jobs ({cols}) VALUES (?, ?, ?, ?, ?, 'PENDING', ?, 0, ?, ?, coalesce(?, {now}), ?,"
            f" {now}, {now})",
            rows,
        )
        await c.execute("COMMIT")

    async def worker(self, c: Any, name: str, batch: int) -> int:
        claim, complete = _RAW_SQL[self.dialect]
        done = 0
        while True:
            lease = uuid.uuid4().hex
            if self.dialect == "postgres":
                rows = await c.fetch(_PG_CLAIM_ONE if batch == 1 else claim, RAW, name, lease, batch)
                if not rows:
                    return done
                await c.execute(complete, RAW, [r[0] for r in rows], lease)
            elif self.dialect == "mysql":
                async with c.cursor() as cur:
                    await cur.execute("BEGIN")
                    await cur.execute(claim, (RAW, batch))
                    rows = await cur.fetchall()
                    if not rows:
                        await cur.execute("COMMIT")
                        return done
                    ids = [r[0] for r in rows]
                    now = rows[0][20]
                    marks = ", ".join(["%s"] * len(ids))
                    await cur.execute(
                        "UPDATE rs_jobs SET status = 'RUNNING', worker_id = %s, lease = %s, locked_at = %s,"
                        " started_at = %s, attempt = attempt + 1, updated_at = %s"
                        f" WHERE tenant_id = %s AND id IN ({marks})",
                        (name, lease, now, now, now, RAW, *ids),
                    )
                    await cur.execute("COMMIT")
                    await cur.execute(complete.format(marks=marks), (RAW, lease, *ids))
            else:
                rows = await (await c.execute(claim, (name, lease, RAW, RAW, batch))).fetchall()
                if not rows:
                    return done
                ids = [r[0] for r in rows]
                marks = ", ".join(["?"] * len(ids))
                await c.execute(complete.format(marks=marks), (RAW, lease, *ids))
            done += len(rows)

    async def drain(self, workers: int, batch: int) -> int:
        await self.open(workers)
        counts = await asyncio.gather(*[self.worker(self.conns[i], f"raw{i}", batch) for i in range(workers)])
        return sum(counts)


_PG_CLAIM = (
    "WITH c AS (SELECT id FROM rs_jobs WHERE tenant_id = $1 AND status = 'PENDING' AND run_at <= now()"
    " AND attempt < max_attempts ORDER BY priority DESC, run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)"
    " UPDATE rs_jobs AS j SET status = 'RUNNING', worker_id = $2, lease = $3, locked_at = now(), started_at = now(),"
    " attempt = j.attempt + 1, updated_at = now() FROM c WHERE j.tenant_id = $1 AND j.id = c.id"
    " RETURNING " + COLS.replace("id,", "j.id,", 1).format(cast="::text")
)
# For one job the reference's fastest form: the pick runs once as an InitPlan.
_PG_CLAIM_ONE = (
    "UPDATE rs_jobs SET status = 'RUNNING', worker_id = $2, lease = $3, locked_at = now(), started_at = now(),"
    " attempt = attempt + 1, updated_at = now() WHERE tenant_id = $1 AND id = (SELECT id FROM rs_jobs"
    " WHERE tenant_id = $1 AND status = 'PENDING' AND run_at <= now() AND attempt < max_attempts"
    " ORDER BY priority DESC, run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING " + COLS.format(cast="::text")
)
_PG_COMPLETE = (
    "UPDATE rs_jobs SET status = 'COMPLETED', completed_at = now(), locked_at = NULL, updated_at = now()"
    " WHERE tenant_id = $1 AND id = ANY($2) AND lease = $3 AND status = 'RUNNING'"
)
_MY_CLAIM = (
    f"SELECT {COLS.format(cast='')}, UTC_TIMESTAMP(6) FROM rs_jobs FORCE INDEX (rs_jobs_claim_idx)"
    " WHERE tenant_id = %s AND status = 'PENDING' AND run_at <= UTC_TIMESTAMP(6) AND attempt < max_attempts"
    " ORDER BY priority DESC, run_at, id LIMIT %s FOR UPDATE SKIP LOCKED"
)
_MY_COMPLETE = (
    "UPDATE rs_jobs SET status = 'COMPLETED', completed_at = UTC_TIMESTAMP(6), locked_at = NULL,"
    " updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = %s AND lease = %s AND status = 'RUNNING' AND id IN ({marks})"
)
_LITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"
_LITE_CLAIM = (
    f"UPDATE rs_jobs SET status = 'RUNNING', worker_id = ?, lease = ?, locked_at = {_LITE_NOW},"
    f" started_at = {_LITE_NOW}, attempt = attempt + 1, updated_at = {_LITE_NOW}"
    " WHERE tenant_id = ? AND id IN (SELECT id FROM rs_jobs WHERE tenant_id = ? AND status = 'PENDING'"
    f" AND run_at <= {_LITE_NOW} AND attempt < max_attempts ORDER BY priority DESC, run_at, id LIMIT ?)"
    f" RETURNING {COLS.format(cast='')}"
)
_LITE_COMPLETE = (
    f"UPDATE rs_jobs SET status = 'COMPLETED', completed_at = {_LITE_NOW}, locked_at = NULL,"
    f" updated_at = {_LITE_NOW} WHERE tenant_id = ? AND lease = ? AND status = 'RUNNING' AND id IN ({{marks}})"
)
_RAW_SQL = {
    "postgres": (_PG_CLAIM, _PG_COMPLETE),
    "mysql": (_MY_CLAIM, _MY_COMPLETE),
    "sqlite": (_LITE_CLAIM, _LITE_COMPLETE),
}


PLAIN = "qbench_jobs"
# Created once in the benchmark's fresh database.
_PLAIN_DDL = {
    "postgres": (
        f"CREATE TABLE {PLAIN} (id text PRIMARY KEY, queue text NOT NULL, workflow_run_id text NOT NULL,"
        " stage_id text NOT NULL, status text NOT NULL, priority integer NOT NULL, attempt integer NOT NULL,"
        " max_attempts integer NOT NULL, payload jsonb NOT NULL, run_at timestamptz NOT NULL,"
        " next_poll_at timestamptz, unique_key text, worker_id text, lease text, locked_at timestamptz,"
        " started_at timestamptz, completed_at timestamptz, last_error text, created_at timestamptz NOT NULL,"
        " updated_at timestamptz NOT NULL)",
        f"CREATE INDEX {PLAIN}_claim_idx ON {PLAIN} (priority DESC, run_at, id) WHERE status = 'PENDING'",
    ),
    "mysql": (
        f"CREATE TABLE {PLAIN} (id VARCHAR(255) NOT NULL PRIMARY KEY, queue VARCHAR(255) NOT NULL,"
        " workflow_run_id VARCHAR(255) NOT NULL, stage_id VARCHAR(255) NOT NULL, status VARCHAR(16) NOT NULL,"
        " priority INT NOT NULL, attempt INT NOT NULL, max_attempts INT NOT NULL, payload JSON NOT NULL,"
        " run_at DATETIME(6) NOT NULL, next_poll_at DATETIME(6) NULL, unique_key VARCHAR(255) NULL,"
        " worker_id VARCHAR(255) NULL, lease VARCHAR(64) NULL, locked_at DATETIME(6) NULL,"
        " started_at DATETIME(6) NULL, completed_at DATETIME(6) NULL, last_error MEDIUMTEXT NULL,"
        " created_at DATETIME(6) NOT NULL, updated_at DATETIME(6) NOT NULL,"
        f" KEY {PLAIN}_claim_idx (status, priority DESC, run_at, id)"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin",
    ),
    "sqlite": (
        f"CREATE TABLE {PLAIN} (id TEXT PRIMARY KEY, queue TEXT NOT NULL, workflow_run_id TEXT NOT NULL,"
        " stage_id TEXT NOT NULL, status TEXT NOT NULL, priority INTEGER NOT NULL, attempt INTEGER NOT NULL,"
        " max_attempts INTEGER NOT NULL, payload TEXT NOT NULL, run_at TEXT NOT NULL, next_poll_at TEXT,"
        " unique_key TEXT, worker_id TEXT, lease TEXT, locked_at TEXT, started_at TEXT, completed_at TEXT,"
        " last_error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
        f"CREATE INDEX {PLAIN}_claim_idx ON {PLAIN} (priority DESC, run_at, id) WHERE status = 'PENDING'",
    ),
}
_PLAIN_COLS = (
    "id, queue, workflow_run_id, stage_id, status, priority, attempt, max_attempts, payload, run_at, unique_key,"
    " created_at, updated_at"
)
_PG_PLAIN_CLAIM = (
    f"WITH c AS (SELECT id FROM {PLAIN} WHERE status = 'PENDING' AND run_at <= now()"
    " AND attempt < max_attempts ORDER BY priority DESC, run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)"
    f" UPDATE {PLAIN} AS j SET status = 'RUNNING', worker_id = $1, lease = $2, locked_at = now(), started_at = now(),"
    " attempt = j.attempt + 1, updated_at = now() FROM c WHERE j.id = c.id"
    " RETURNING " + COLS.replace("id,", "j.id,", 1).format(cast="::text")
)
_PG_PLAIN_CLAIM_ONE = (
    f"UPDATE {PLAIN} SET status = 'RUNNING', worker_id = $1, lease = $2, locked_at = now(), started_at = now(),"
    f" attempt = attempt + 1, updated_at = now() WHERE id = (SELECT id FROM {PLAIN}"
    " WHERE status = 'PENDING' AND run_at <= now() AND attempt < max_attempts"
    " ORDER BY priority DESC, run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING " + COLS.format(cast="::text")
)
_PG_PLAIN_COMPLETE_ONE = (
    f"UPDATE {PLAIN} SET status = 'COMPLETED', completed_at = now(), locked_at = NULL, updated_at = now()"
    " WHERE id = $1 AND lease = $2 AND status = 'RUNNING'"
)
_PG_PLAIN_COMPLETE = (
    f"UPDATE {PLAIN} SET status = 'COMPLETED', completed_at = now(), locked_at = NULL, updated_at = now()"
    " WHERE id = ANY($1) AND lease = $2 AND status = 'RUNNING'"
)
_MY_PLAIN_CLAIM = (
    f"SELECT {COLS.format(cast='')}, UTC_TIMESTAMP(6) FROM {PLAIN} FORCE INDEX ({PLAIN}_claim_idx)"
    " WHERE status = 'PENDING' AND run_at <= UTC_TIMESTAMP(6) AND attempt < max_attempts"
    " ORDER BY priority DESC, run_at, id LIMIT %s FOR UPDATE SKIP LOCKED"
)
_MY_PLAIN_COMPLETE = (
    f"UPDATE {PLAIN} SET status = 'COMPLETED', completed_at = UTC_TIMESTAMP(6), locked_at = NULL,"
    " updated_at = UTC_TIMESTAMP(6) WHERE id IN ({marks}) AND lease = %s AND status = 'RUNNING'"
)
_LITE_PLAIN_CLAIM = (
    f"UPDATE {PLAIN} SET status = 'RUNNING', worker_id = ?, lease = ?, locked_at = {_LITE_NOW},"
    f" started_at = {_LITE_NOW}, attempt = attempt + 1, updated_at = {_LITE_NOW}"
    f" WHERE id IN (SELECT id FROM {PLAIN} WHERE status = 'PENDING'"
    f" AND run_at <= {_LITE_NOW} AND attempt < max_attempts ORDER BY priority DESC, run_at, id LIMIT ?)"
    f" RETURNING {COLS.format(cast='')}"
)
_LITE_PLAIN_COMPLETE = (
    f"UPDATE {PLAIN} SET status = 'COMPLETED', completed_at = {_LITE_NOW}, locked_at = NULL,"
    f" updated_at = {_LITE_NOW} WHERE id IN ({{marks}}) AND lease = ? AND status = 'RUNNING'"
)


class PlainQueue(RawQueue):
    """The raw driver on a plain job table (`qbench_jobs`): what the kit's schema costs is the gap to this side."""

    async def create(self) -> None:
        await self.open(1)
        c = self.conns[0]
        for stmt in _PLAIN_DDL[self.dialect]:
            if self.dialect == "mysql":
                async with c.cursor() as cur:
                    await cur.execute(stmt)
            else:
                await c.execute(stmt)

    async def enqueue(self, run_id: str, n: int) -> None:
        """N jobs in one multi-row INSERT, every per-job value a parameter, times from the database clock."""
        c = self.conns[0]
        ids = [str(uuid.uuid4()) for _ in range(n)]
        stages = [f"s{k}" for k in range(n)]
        if self.dialect == "postgres":
            await c.execute(
                f"INSERT INTO {PLAIN} ({_PLAIN_COLS}) SELECT i, q, r, s, 'PENDING', p, 0, m, pl::jsonb,"
                " coalesce(ra, now()), u, now(), now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
                " $5::int[], $6::int[], $7::text[], $8::timestamptz[], $9::text[]) AS x(i, q, r, s, p, m, pl, ra, u)",
                ids,
                ["default"] * n,
                [run_id] * n,
                stages,
                [5] * n,
                [3] * n,
                ["{}"] * n,
                [None] * n,
                [None] * n,
            )
            return
        if self.dialect == "mysql":
            async with c.cursor() as cur:
                await cur.execute("BEGIN")
                # One read of the database clock, so that every value is a placeholder: aiomysql then sends the
                # batch as multi-row INSERTs (a VALUES row with an expression in it is sent one row at a time).
                await cur.execute("SELECT UTC_TIMESTAMP(6)")
                (now,) = await cur.fetchone()
                await cur.executemany(
                    f"INSERT INTO {PLAIN} ({_PLAIN_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (i, "default", run_id, s, "PENDING", 5, 0, 3, "{}", now, None, now, now)
                        for i, s in zip(ids, stages, strict=True)
                    ],
                )
                await cur.execute("COMMIT")
            return
        now = _LITE_NOW
        await c.execute("BEGIN IMMEDIATE")
        await c.executemany(
            f"INSERT INTO {PLAIN} ({_PLAIN_COLS}) VALUES (?, ?, ?, ?, 'PENDING', ?, 0, ?, ?, coalesce(?, {now}), ?,"
            f" {now}, {now})",
            [(i, "default", run_id, s, 5, 3, "{}", None, None) for i, s in zip(ids, stages, strict=True)],
        )
        await c.execute("COMMIT")

    async def worker(self, c: Any, name: str, batch: int) -> int:
        done = 0
        while True:
            lease = uuid.uuid4().hex
            if self.dialect == "postgres":
                rows = await c.fetch(_PG_PLAIN_CLAIM_ONE if batch == 1 else _PG_PLAIN_CLAIM, name, lease, batch)
                if not rows:
                    return done
                if batch == 1:
                    await c.execute(_PG_PLAIN_COMPLETE_ONE, rows[0][0], lease)
                else:
                    await c.execute(_PG_PLAIN_COMPLETE, [r[0] for r in rows], lease)
            elif self.dialect == "mysql":
                async with c.cursor() as cur:
                    await cur.execute("BEGIN")
                    await cur.execute(_MY_PLAIN_CLAIM, (batch,))
                    rows = await cur.fetchall()
                    if not rows:
                        await cur.execute("COMMIT")
                        return done
                    ids = [r[0] for r in rows]
                    now = rows[0][20]
                    marks = ", ".join(["%s"] * len(ids))
                    await cur.execute(
                        f"UPDATE {PLAIN} SET status = 'RUNNING', worker_id = %s, lease = %s, locked_at = %s,"
                        f" started_at = %s, attempt = attempt + 1, updated_at = %s WHERE id IN ({marks})",
                        (name, lease, now, now, now, *ids),
                    )
                    await cur.execute("COMMIT")
                    await cur.execute(_MY_PLAIN_COMPLETE.format(marks=marks), (*ids, lease))
            else:
                rows = await (await c.execute(_LITE_PLAIN_CLAIM, (name, lease, batch))).fetchall()
                if not rows:
                    return done
                ids = [r[0] for r in rows]
                marks = ", ".join(["?"] * len(ids))
                await c.execute(_LITE_PLAIN_COMPLETE.format(marks=marks), (*ids, lease))
            done += len(rows)


class KitQueue:
    """The rawstore side: one Store whose pool has a connection per worker."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.store: rawstore.Store | None = None
        self.size = 0

    async def open(self, n: int) -> rawstore.Store:
        if self.store is None or self.size < n:
            if self.store is not None:
                await self.store.close()
            self.store = await rawstore.connect(self.url, max_size=n, min_size=n)
            self.size = n
        return self.store

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()
            self.store = None

    async def enqueue(self, run_id: str, n: int) -> None:
        store = await self.open(1)
        with rawstore.tenant(KIT):
            await store.jobs.enqueue_many([{"workflow_run_id": run_id, "stage_id": f"s{k}"} for k in range(n)])

    async def worker(self, store: rawstore.Store, name: str, batch: int) -> int:
        done = 0
        with rawstore.tenant(KIT):
            while True:
                if batch == 1:
                    job = await store.jobs.dequeue(worker_id=name)
                    if job is None:
                        return done
                    await store.jobs.complete(job.id, lease=job.lease or "")
                    done += 1
                else:
                    jobs = await store.jobs.dequeue_many(worker_id=name, limit=batch)
                    if not jobs:
                        return done
                    done += await store.jobs.complete_many(jobs)

    async def drain(self, workers: int, batch: int) -> int:
        store = await self.open(workers)
        counts = await asyncio.gather(*[self.worker(store, f"kit{i}", batch) for i in range(workers)])
        return sum(counts)


class QueueBench:
    """All sides on one migrated database, with a workflow run per rs_jobs tenant for the jobs to belong to."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = parse_url(url).dialect
        self.kit = KitQueue(url)
        self.raw = RawQueue(url, self.dialect)
        self.plain = PlainQueue(url, self.dialect)
        self.runs: dict[str, str] = {}

    async def open(self) -> None:
        store = await self.kit.open(1)
        for tenant in (KIT, RAW):
            with rawstore.tenant(tenant):
                run = await store.workflows.create_run(
                    workflow_id="bench", workflow_name="bench", workflow_type="bench", input={}
                )
                self.runs[tenant] = run.id
        await self.raw.open(1)
        await self.plain.create()

    async def close(self) -> None:
        await self.kit.close()
        await self.raw.close()
        await self.plain.close()

    async def reset(self) -> None:
        """Delete both sides' jobs, so every round starts from the same empty table.

        On PostgreSQL the table is vacuumed too: the dead index entries of earlier rounds would otherwise sit ahead of
        the queue head and slow whichever side runs next (in service, autovacuum and `prune` play this part).
        """
        store = await self.kit.open(1)
        for tenant in (KIT, RAW):
            async with store.transaction() as tx:
                await tx.execute("DELETE FROM rs_jobs WHERE tenant_id = :t", {"t": tenant})
        async with store.transaction() as tx:
            await tx.execute(f"DELETE FROM {PLAIN}", {})
        if self.dialect == "postgres":
            await self.raw.open(1)
            await self.raw.conns[0].execute("VACUUM rs_jobs")
            await self.raw.conns[0].execute(f"VACUUM {PLAIN}")

    async def settle(self) -> None:
        """Statistics of the loaded queue (PostgreSQL), as autovacuum would have them in service.

        Statistics taken while the table was empty make a cached generic plan of `complete_many` scan the tenant's
        rows instead of probing the primary key; autoanalyze (2 % threshold on rs_jobs) corrects that within a minute.
        """
        if self.dialect == "postgres":
            await self.raw.open(1)
            await self.raw.conns[0].execute("ANALYZE rs_jobs")
            await self.raw.conns[0].execute(f"ANALYZE {PLAIN}")

    async def enqueue(self, side: str, n: int) -> None:
        if side == "rawstore":
            await self.kit.enqueue(self.runs[KIT], n)
        elif side == "raw":
            await self.raw.enqueue(self.runs[RAW], n)
        else:
            await self.plain.enqueue(self.runs[RAW], n)

    async def drain(self, side: str, workers: int, batch: int) -> int:
        if side == "rawstore":
            return await self.kit.drain(workers, batch)
        if side == "raw":
            return await self.raw.drain(workers, batch)
        return await self.plain.drain(workers, batch)


async def _timed(work: Awaitable[Any]) -> float:
    t = time.perf_counter()
    await work
    return time.perf_counter() - t


SIDES = ("rawstore", "raw", "plain")


async def table(
    url: str, jobs: int, enqueue_n: int, rounds: int = 3, workers: tuple[int, ...] = (1, 2, 4, 8)
) -> list[str]:
    """Markdown rows: enqueue rows/s, then drain jobs/s per (workers, batch), best of `rounds`, every side.

    The sides take turns within each round, so a slow spell of the shared machine hits all of them alike.
    """
    bench = QueueBench(url)
    await bench.open()
    lines = []

    def row(what: str, got: dict[str, float]) -> str:
        k, r, p = got["rawstore"], got["raw"], got["plain"]
        return f"| {what} | {k:,.0f} | {r:,.0f} | {p:,.0f} | {k / r:.2f}x | {k / p:.2f}x |"

    try:
        got: dict[str, float] = {}
        for _ in range(rounds):
            for side in SIDES:
                await bench.reset()
                secs = await _timed(bench.enqueue(side, enqueue_n))
                got[side] = max(got.get(side, 0), enqueue_n / secs)
        lines.append(row(f"enqueue_many {enqueue_n:,}", got))
        for batch in (1, 10):
            for w in workers:
                got = {}
                for _ in range(rounds):
                    for side in SIDES:
                        await bench.reset()
                        await bench.enqueue(side, jobs)
                        await bench.settle()
                        secs = await _timed(bench.drain(side, w, batch))
                        got[side] = max(got.get(side, 0), jobs / secs)
                lines.append(row(f"claim {batch:>2} x {w} workers", got))
    finally:
        await bench.close()
    return lines


HEADER = "| | rawstore | raw, rs_jobs | raw, plain table | vs raw rs_jobs | vs raw plain |\n|---|---|---|---|---|---|"


def main(argv: list[str]) -> None:
    from tests import dbs

    jobs = int(os.environ.get("RAWSTORE_BENCH_JOBS", "5000"))
    enqueue_n = int(os.environ.get("RAWSTORE_BENCH_ENQUEUE", "50000"))
    rounds = int(os.environ.get("RAWSTORE_BENCH_ROUNDS", "3"))
    workers = tuple(int(w) for w in os.environ.get("RAWSTORE_BENCH_WORKERS", "1,2,4,8").split(","))
    for backend in argv or ["sqlite", "postgres", "mysql"]:
        with tempfile.TemporaryDirectory() as tmp:
            url = dbs.create_database(backend, f"rawstore_qbench_{os.getpid()}", Path(tmp))
            rawstore.migrate(url)
            try:
                rows = asyncio.run(table(url, jobs, enqueue_n, rounds, workers))
            finally:
                if backend != "sqlite":
                    dbs.create_database(backend, f"rawstore_qbench_{os.getpid()}", Path(tmp), drop_only=True)
        print(f"\n{backend}: jobs/s (best of {rounds}; drains of {jobs:,} jobs)\n")
        print(HEADER)
        print("\n".join(rows), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

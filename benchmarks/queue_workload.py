"""The job-queue workload, for rawstore and for the raw driver doing the same work on the same table.

`enqueue`: one batch of N jobs (rawstore `enqueue_many` vs one multi-row INSERT: `unnest` on asyncpg, executemany
elsewhere). `drain`: W workers on W connections claim jobs (1 or 10 per claim) and complete them (one statement per
job, or one per batch of ten) until the queue is empty. The raw side runs the same claim SQL (SKIP LOCKED on
PostgreSQL and MariaDB, `UPDATE … RETURNING` on SQLite), returns the same columns, and completes with the same fenced
UPDATE; it skips only rawstore's validation and record decoding. The two sides use different tenants of one table.

Run `python -m benchmarks.queue_workload [sqlite|postgres|mysql ...]` for a table of jobs/s (sizes from
RAWSTORE_BENCH_JOBS, default 5,000 per drain, and RAWSTORE_BENCH_ENQUEUE, default 50,000).
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
    """Both sides on one migrated database, with a workflow run per tenant for the jobs to belong to."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = parse_url(url).dialect
        self.kit = KitQueue(url)
        self.raw = RawQueue(url, self.dialect)
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

    async def close(self) -> None:
        await self.kit.close()
        await self.raw.close()

    async def reset(self) -> None:
        """Delete both sides' jobs, so every round starts from the same empty table.

        On PostgreSQL the table is vacuumed too: the dead index entries of earlier rounds would otherwise sit ahead of
        the queue head and slow whichever side runs next (in service, autovacuum and `prune` play this part).
        """
        store = await self.kit.open(1)
        for tenant in (KIT, RAW):
            async with store.transaction() as tx:
                await tx.execute("DELETE FROM rs_jobs WHERE tenant_id = :t", {"t": tenant})
        if self.dialect == "postgres":
            await self.raw.open(1)
            await self.raw.conns[0].execute("VACUUM rs_jobs")

    async def settle(self) -> None:
        """Statistics of the loaded queue (PostgreSQL), as autovacuum would have them in service.

        Statistics taken while the table was empty make a cached generic plan of `complete_many` scan the tenant's
        rows instead of probing the primary key; autoanalyze (2 % threshold on rs_jobs) corrects that within a minute.
        """
        if self.dialect == "postgres":
            await self.raw.open(1)
            await self.raw.conns[0].execute("ANALYZE rs_jobs")

    async def enqueue(self, side: str, n: int) -> None:
        if side == "rawstore":
            await self.kit.enqueue(self.runs[KIT], n)
        else:
            await self.raw.enqueue(self.runs[RAW], n)

    async def drain(self, side: str, workers: int, batch: int) -> int:
        if side == "rawstore":
            return await self.kit.drain(workers, batch)
        return await self.raw.drain(workers, batch)


async def _timed(work: Awaitable[Any]) -> float:
    t = time.perf_counter()
    await work
    return time.perf_counter() - t


async def table(url: str, jobs: int, enqueue_n: int, rounds: int = 3) -> list[str]:
    """Markdown rows: enqueue rows/s, then drain jobs/s per (workers, batch), best of `rounds`, both sides."""
    bench = QueueBench(url)
    await bench.open()
    lines = []
    try:
        best: dict[tuple[str, str], float] = {}
        for _ in range(rounds):
            for side in ("rawstore", "raw"):
                await bench.reset()
                secs = await _timed(bench.enqueue(side, enqueue_n))
                best[("enqueue", side)] = max(best.get(("enqueue", side), 0), enqueue_n / secs)
        k, r = best[("enqueue", "rawstore")], best[("enqueue", "raw")]
        lines.append(f"| enqueue_many {enqueue_n:,} | {k:,.0f} | {r:,.0f} | {k / r:.2f}x |")
        for batch in (1, 10):
            for workers in (1, 2, 4, 8):
                got: dict[str, float] = {}
                for _ in range(rounds):
                    for side in ("rawstore", "raw"):
                        await bench.reset()
                        await bench.enqueue(side, jobs)
                        await bench.settle()
                        secs = await _timed(bench.drain(side, workers, batch))
                        got[side] = max(got.get(side, 0), jobs / secs)
                k, r = got["rawstore"], got["raw"]
                lines.append(f"| claim {batch:>2} x {workers} workers | {k:,.0f} | {r:,.0f} | {k / r:.2f}x |")
    finally:
        await bench.close()
    return lines


def main(argv: list[str]) -> None:
    from tests import dbs

    jobs = int(os.environ.get("RAWSTORE_BENCH_JOBS", "5000"))
    enqueue_n = int(os.environ.get("RAWSTORE_BENCH_ENQUEUE", "50000"))
    for backend in argv or ["sqlite", "postgres", "mysql"]:
        with tempfile.TemporaryDirectory() as tmp:
            url = dbs.create_database(backend, f"rawstore_qbench_{os.getpid()}", Path(tmp))
            rawstore.migrate(url)
            try:
                rows = asyncio.run(table(url, jobs, enqueue_n))
            finally:
                if backend != "sqlite":
                    dbs.create_database(backend, f"rawstore_qbench_{os.getpid()}", Path(tmp), drop_only=True)
        print(f"\n{backend}: jobs/s (best of 3; drains of {jobs:,} jobs)\n")
        print("| | rawstore | raw driver | ratio |\n|---|---|---|---|")
        print("\n".join(rows), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

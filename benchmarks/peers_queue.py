"""Job throughput of rawstore's queue against two peer Python job queues, procrastinate and pgqueuer.

Not part of the test suite or CI: procrastinate and pgqueuer are not rawstore dependencies. Run it from a virtualenv
that has them and rawstore installed::

    python -m venv /tmp/peers && /tmp/peers/bin/pip install procrastinate pgqueuer asyncpg 'psycopg[binary]'
    /tmp/peers/bin/pip install -e '.[postgres]'
    cd /work/main && /tmp/peers/bin/python -m benchmarks.peers_queue

The PostgreSQL server comes from RAWSTORE_PG_DSN (default postgresql://postgres@127.0.0.1:55432/rawstore, a
superuser: the script creates one database per side, rawstore_peers_<side>_<pid>, and drops them at the end). The
drain size is RAWSTORE_PEER_JOBS (default 5,000 jobs). It prints a markdown table of jobs/s, best of 3 rounds.

The work, the same for every side: N no-op jobs are enqueued in one batch, then W workers in this process claim and
complete them until the queue is empty, for W = 1, 2, 4, 8, claiming one job at a time and, where the queue can,
ten at a time. Only the drain is timed: from starting the workers to the last job being recorded as done. Before
every drain the side's tables are emptied (DELETE) and vacuumed, and after the enqueue they are analyzed, as
`queue_workload.QueueBench` does for rawstore (reset + settle), so no side runs on stale statistics or dead index
entries. After every drain the side's own tables are checked: each job finished exactly once (and the handler of the
peers ran once per job), or the script stops with an error.

rawstore: `queue_workload.KitQueue`, the code of our own queue benchmark: W tasks on a Store with a pool of W
  connections, each looping `jobs.dequeue` + `jobs.complete` (claim 1) or `jobs.dequeue_many(limit=10)` +
  `jobs.complete_many` (claim 10). Claiming and completing are one autocommit statement each. Finished jobs are kept
  (status COMPLETED). The pool is opened before the clock starts.
procrastinate: W workers (`App.run_worker_async`, each `concurrency=1`) run together, so each loops fetch one job
  (`procrastinate_fetch_job_v2`), run it, finish it (`procrastinate_finish_job_v1`) like the other sides' loops;
  `wait=False` (stop once the queue is empty), `listen_notify=False` (nothing to wait for), `delete_jobs="never"`
  (finished rows are kept, as rawstore keeps them); one psycopg pool of W + 1 connections (opened before the clock),
  otherwise defaults. RAWSTORE_PEER_PROCRASTINATE=concurrency runs one worker with `concurrency=W` instead,
  procrastinate's documented way for async tasks: its single fetch loop fills free slots one fetch at a time, so
  fetches are serial while up to W jobs run and finish concurrently (slower here than W workers). procrastinate
  has no batch claim, so the claim-10 rows are empty for it. Its pool, left at its defaults, checks a connection
  on every checkout (one extra round trip) and runs every query in a transaction (COMMIT is another).
  Extra work the other sides do not do: row triggers write a `procrastinate_events` row per job on insert, on
  claim and on completion (3 rows per job) and send a NOTIFY per inserted job; each worker prunes stalled workers
  and registers itself at start and unregisters at the end (inside the timed run, a few statements).
pgqueuer: W `QueueManager`s, one per asyncpg connection (a QueueManager uses one connection for everything), each
  run in `QueueExecutionMode.drain` with `batch_size` 1 or 10 and otherwise default settings: no
  `max_concurrent_tasks` cap, 30 s log aggregation interval, durable (logged) tables. `verify_structure` (about ten
  catalog queries) runs before the clock and is skipped inside the timed run; the LISTEN and the first health-check
  NOTIFY of each manager are inside it. A pgqueuer worker does not wait for a job to finish before claiming the
  next: the handler runs as a task and its completion goes through a buffer that writes one statement per
  `batch_size` completions (or every 0.1 s). Completing a job deletes it from the queue table and writes a log row;
  the claim writes a log row too (as does the enqueue), so `pgqueuer_log` gets 3 rows per job; they are folded
  into `pgqueuer_statistics` only every 30 s, i.e. not during these drains. A statement trigger on the queue table
  sends a NOTIFY per statement, which every manager's connection receives.

Read the numbers with that in mind: each side does its own bookkeeping (rawstore: a fenced lease and attempt count
per job; procrastinate: event rows; pgqueuer: log rows), and none of them does the same set of writes. The script
also prints each side's fixed cost, one worker draining an empty queue, to show what start-up and shut-down add.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psycopg

import rawstore
from benchmarks.queue_workload import KIT, QueueBench

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:55432/rawstore"
SIDES = ("rawstore", "procrastinate", "pgqueuer")
CONFIGS = [(batch, workers) for batch in (1, 10) for workers in (1, 2, 4, 8)]
ROUNDS = 3


def _with_db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, ""))


def _database(server: str, name: str, *, drop_only: bool = False) -> str:
    """An empty database `name` on the server (dropped first if it exists); its URL."""
    with psycopg.connect(_with_db(server, "postgres"), autocommit=True, connect_timeout=5) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        if not drop_only:
            c.execute(f'CREATE DATABASE "{name}"'.encode())
    return _with_db(server, name)


class BenchFailure(RuntimeError):
    """A drain that did not complete every job exactly once."""


def _check(side: str, what: str, got: Any, want: Any) -> None:
    if got != want:
        raise BenchFailure(f"{side}: {what} is {got!r}, expected {want!r}")


class RawstoreSide:
    """rawstore through the queue benchmark's own KitQueue/QueueBench."""

    name = "rawstore"

    def __init__(self, url: str) -> None:
        self.url = url
        self.bench = QueueBench(url)
        self.n = 0
        self.done = 0

    async def open(self) -> None:
        await asyncio.to_thread(rawstore.migrate, self.url)
        await self.bench.open()

    async def close(self) -> None:
        await self.bench.close()

    def supports(self, batch: int) -> bool:
        return True

    async def prepare(self, n: int, workers: int, batch: int) -> None:
        await self.bench.reset()
        if n:
            await self.bench.enqueue("rawstore", n)
        await self.bench.settle()
        await self.bench.kit.open(workers)  # the pool of W connections, before the clock
        self.n = n

    async def drain(self, workers: int, batch: int) -> None:
        self.done = await self.bench.drain("rawstore", workers, batch)

    async def verify(self) -> None:
        _check(self.name, "jobs the workers completed", self.done, self.n)
        c = self.bench.raw.conns[0]
        rows = await c.fetch("SELECT status, count(*) FROM rs_jobs WHERE tenant_id = $1 GROUP BY status", KIT)
        _check(self.name, "jobs by status", {r[0]: r[1] for r in rows}, {"COMPLETED": self.n} if self.n else {})
        again = await c.fetchval("SELECT count(*) FROM rs_jobs WHERE tenant_id = $1 AND attempt <> 1", KIT)
        _check(self.name, "jobs claimed more than once", again, 0)


class ProcrastinateSide:
    """procrastinate 3: W workers of concurrency 1 (or one of concurrency W) over a psycopg pool of W + 1."""

    name = "procrastinate"

    def __init__(self, url: str) -> None:
        self.url = url
        self.app: Any = None
        self.pool_size = 0
        self.admin: asyncpg.Connection | None = None
        self.seen: list[int] = []
        self.n = 0
        self.mode = os.environ.get("RAWSTORE_PEER_PROCRASTINATE", "workers")
        if self.mode not in ("workers", "concurrency"):
            raise SystemExit("RAWSTORE_PEER_PROCRASTINATE must be 'workers' or 'concurrency'")

    async def _app(self, pool_size: int) -> Any:
        import procrastinate

        if self.app is not None and self.pool_size == pool_size:
            return self.app
        if self.app is not None:
            await self.app.close_async()
        # The app lives in __main__ here on purpose (tasks are found by object, not import path): mute that warning.
        logging.getLogger("procrastinate.blueprints").setLevel(logging.ERROR)
        connector = procrastinate.PsycopgConnector(conninfo=self.url, min_size=pool_size, max_size=pool_size)
        app = procrastinate.App(connector=connector)

        async def noop(context: Any) -> None:
            self.seen.append(context.job.id)

        app.task(name="noop", pass_context=True)(noop)
        await app.open_async()
        self.app, self.pool_size = app, pool_size
        return app

    async def open(self) -> None:
        self.admin = await asyncpg.connect(self.url)
        app = await self._app(2)
        await app.schema_manager.apply_schema_async()

    async def close(self) -> None:
        if self.app is not None:
            await self.app.close_async()
        if self.admin is not None:
            await self.admin.close()

    def supports(self, batch: int) -> bool:
        return batch == 1

    async def prepare(self, n: int, workers: int, batch: int) -> None:
        assert self.admin is not None
        for table in ("procrastinate_events", "procrastinate_jobs", "procrastinate_workers"):
            await self.admin.execute(f"DELETE FROM {table}")
            await self.admin.execute(f"VACUUM {table}")
        app = await self._app(workers + 1)
        if n:
            await app.tasks["noop"].batch_defer_async(*[{} for _ in range(n)])
        for table in ("procrastinate_events", "procrastinate_jobs"):
            await self.admin.execute(f"ANALYZE {table}")
        self.seen = []
        self.n = n

    async def drain(self, workers: int, batch: int) -> None:
        options = {"wait": False, "listen_notify": False, "delete_jobs": "never", "install_signal_handlers": False}
        if self.mode == "concurrency":
            await self.app.run_worker_async(concurrency=workers, **options)
        else:
            await asyncio.gather(
                *[self.app.run_worker_async(concurrency=1, name=f"worker{i}", **options) for i in range(workers)]
            )

    async def verify(self) -> None:
        assert self.admin is not None
        _check(self.name, "handler calls", len(self.seen), self.n)
        _check(self.name, "distinct jobs handled", len(set(self.seen)), self.n)
        rows = await self.admin.fetch("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")
        _check(self.name, "jobs by status", {r[0]: r[1] for r in rows}, {"succeeded": self.n} if self.n else {})
        again = await self.admin.fetchval("SELECT count(*) FROM procrastinate_jobs WHERE attempts <> 1")
        _check(self.name, "jobs run more than once", again, 0)


class PgqueuerSide:
    """pgqueuer: W QueueManagers, each on its own asyncpg connection, in drain mode."""

    name = "pgqueuer"

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin: asyncpg.Connection | None = None
        self.conns: list[asyncpg.Connection] = []
        self.managers: list[Any] = []
        self.seen: list[int] = []
        self.n = 0

    async def open(self) -> None:
        from pgqueuer import AsyncpgDriver, Queries

        self.admin = await asyncpg.connect(self.url)
        await Queries(AsyncpgDriver(self.admin)).install()

    async def close(self) -> None:
        await self._close_workers()
        if self.admin is not None:
            await self.admin.close()

    async def _close_workers(self) -> None:
        for c in self.conns:
            await c.close()
        self.conns, self.managers = [], []

    def supports(self, batch: int) -> bool:
        return True

    async def prepare(self, n: int, workers: int, batch: int) -> None:
        from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager

        assert self.admin is not None
        for table in ("pgqueuer", "pgqueuer_log", "pgqueuer_statistics"):
            await self.admin.execute(f"DELETE FROM {table}")
            await self.admin.execute(f"VACUUM {table}")
        if n:
            await Queries(AsyncpgDriver(self.admin)).enqueue(["noop"] * n, [None] * n, [0] * n)
        for table in ("pgqueuer", "pgqueuer_log"):
            await self.admin.execute(f"ANALYZE {table}")
        # Fresh managers on fresh connections each drain: a manager's listener stays on its connection.
        await self._close_workers()

        async def noop(job: Job) -> None:
            self.seen.append(job.id)

        async def checked() -> None:
            pass

        for _ in range(workers):
            c = await asyncpg.connect(self.url)
            qm = QueueManager(Queries(AsyncpgDriver(c)))
            qm.entrypoint("noop")(noop)
            await qm.verify_structure()  # start-up check, outside the clock
            qm.verify_structure = checked  # type: ignore[method-assign]
            self.conns.append(c)
            self.managers.append(qm)
        self.seen = []
        self.n = n

    async def drain(self, workers: int, batch: int) -> None:
        from pgqueuer.types import QueueExecutionMode

        await asyncio.gather(*[qm.run(batch_size=batch, mode=QueueExecutionMode.drain) for qm in self.managers])

    async def verify(self) -> None:
        assert self.admin is not None
        _check(self.name, "handler calls", len(self.seen), self.n)
        _check(self.name, "distinct jobs handled", len(set(self.seen)), self.n)
        _check(self.name, "jobs left in the queue table", await self.admin.fetchval("SELECT count(*) FROM pgqueuer"), 0)
        rows = await self.admin.fetch(
            "SELECT status::text, count(*), count(DISTINCT job_id) FROM pgqueuer_log GROUP BY status"
        )
        want = {s: (self.n, self.n) for s in ("queued", "picked", "successful")} if self.n else {}
        _check(self.name, "log rows (count, distinct jobs) by status", {r[0]: (r[1], r[2]) for r in rows}, want)


Side = RawstoreSide | ProcrastinateSide | PgqueuerSide
FACTORIES: dict[str, Callable[[str], Side]] = {
    "rawstore": RawstoreSide,
    "procrastinate": ProcrastinateSide,
    "pgqueuer": PgqueuerSide,
}


async def _timed(work: Awaitable[Any]) -> float:
    t = time.perf_counter()
    await work
    return time.perf_counter() - t


async def _run(side: Side, n: int, workers: int, batch: int) -> float:
    """One verified drain of `n` jobs; its duration in seconds."""
    await side.prepare(n, workers, batch)
    secs = await _timed(side.drain(workers, batch))
    await side.verify()
    return secs


async def bench(urls: dict[str, str], jobs: int) -> tuple[list[str], list[str]]:
    """Markdown rows of jobs/s per configuration (best of ROUNDS), and each side's fixed cost."""
    sides = [FACTORIES[name](urls[name]) for name in SIDES]
    try:
        for side in sides:
            await side.open()
        fixed = []
        for side in sides:
            ms = min([await _run(side, 0, 1, 1) for _ in range(ROUNDS)]) * 1000
            fixed.append(f"{side.name}: {ms:.1f} ms")
        rows = []
        for batch, workers in CONFIGS:
            best: dict[str, float] = {}
            for _ in range(ROUNDS):
                for side in sides:
                    if side.supports(batch):
                        rate = jobs / await _run(side, jobs, workers, batch)
                        best[side.name] = max(best.get(side.name, 0.0), rate)
            cells = [f"{best[s]:,.0f}" if s in best else "—" for s in SIDES]
            rows.append(f"| claim {batch:>2} x {workers} workers | " + " | ".join(cells) + " |")
            print(rows[-1], file=sys.stderr, flush=True)
    finally:
        for side in sides:
            await side.close()
    return rows, fixed


def main() -> None:
    server = os.environ.get("RAWSTORE_PG_DSN") or DEFAULT_DSN
    jobs = int(os.environ.get("RAWSTORE_PEER_JOBS", "5000"))
    names = {side: f"rawstore_peers_{side}_{os.getpid()}" for side in SIDES}
    try:
        urls = {side: _database(server, name) for side, name in names.items()}
        started = time.perf_counter()
        rows, fixed = asyncio.run(bench(urls, jobs))
    finally:
        for name in names.values():
            _database(server, name, drop_only=True)
    print(f"\nPostgreSQL: jobs/s (best of {ROUNDS}; drains of {jobs:,} no-op jobs, all sides on one server)\n")
    print("| | " + " | ".join(SIDES) + " |\n|---|" + "---|" * len(SIDES))
    print("\n".join(rows))
    mode = os.environ.get("RAWSTORE_PEER_PROCRASTINATE", "workers")
    how = "W workers of concurrency 1" if mode == "workers" else "one worker of concurrency W"
    print(f"\n— procrastinate has no batch claim (one job per fetch). procrastinate ran as {how}.")
    print("Fixed cost per drain (1 worker, empty queue, best of 3): " + "; ".join(fixed))
    print(f"Total run time {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()

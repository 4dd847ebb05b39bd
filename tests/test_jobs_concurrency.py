"""Exactly-once claims under real concurrency: 8 workers on 8 connections drain 10,000 jobs on every backend; on
SQLite also 4 processes. Fenced transitions racing the stale-lease reaper never both win."""

from __future__ import annotations

import asyncio
import collections
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import pytest

import rawstore
from rawstore import LeaseLost, Status

JOBS = 10_000
WORKERS = 8


async def _enqueue_all(store: rawstore.Store, n: int) -> tuple[str, list[str]]:
    run = await store.workflows.create_run(workflow_id="wf", workflow_name="Drain", workflow_type="t", input={})
    specs = [{"workflow_run_id": run.id, "stage_id": f"s{i}", "priority": i % 3} for i in range(n)]
    ids = await store.jobs.enqueue_many(specs)
    return run.id, ids


async def _drain(store: rawstore.Store, worker: str, batch: int) -> list[str]:
    """Claim until the queue is empty; complete everything claimed. Returns the ids this worker completed."""
    done: list[str] = []
    while True:
        jobs = await store.jobs.dequeue_many(worker_id=worker, limit=batch)
        if not jobs:
            return done
        assert all(j.status is Status.RUNNING and j.worker_id == worker for j in jobs)
        if batch == 1:
            await store.jobs.complete(jobs[0].id, lease=jobs[0].lease or "")
        else:
            assert await store.jobs.complete_many(jobs) == len(jobs)
        done.extend(j.id for j in jobs)


@pytest.mark.slow
async def test_eight_workers_drain_ten_thousand_jobs_exactly_once(backend: str, db_url: str) -> None:
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", max_size=WORKERS) as store:
        _, ids = await _enqueue_all(store, JOBS)
        # Half the workers claim one job at a time, half claim ten: both paths race each other.
        results = await asyncio.gather(*[_drain(store, f"w{i}", 1 if i % 2 else 10) for i in range(WORKERS)])
        completed = [job_id for r in results for job_id in r]
        dupes = [k for k, v in collections.Counter(completed).items() if v > 1]
        assert dupes == [], f"{len(dupes)} jobs were completed twice"
        assert sorted(completed) == sorted(ids)
        assert sum(1 for r in results if r) >= 2, "the workers did not actually run concurrently"
        counts = await store.jobs.counts()
        assert counts[Status.COMPLETED] == JOBS and sum(counts.values()) == JOBS


def _process_drain(url: str, worker: str) -> list[str]:
    async def main() -> list[str]:
        async with rawstore.connect(url, max_size=2) as store:
            parts = await asyncio.gather(_drain(store, f"{worker}a", 1), _drain(store, f"{worker}b", 10))
            return [i for p in parts for i in p]

    return asyncio.run(main())


@pytest.mark.slow
@pytest.mark.backends("sqlite")
async def test_four_processes_drain_ten_thousand_jobs_exactly_once(backend: str, db_url: str) -> None:
    async with rawstore.connect(db_url) as store:
        _, ids = await _enqueue_all(store, JOBS)
    ctx = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(4, mp_context=ctx) as pool:
        futures = [loop.run_in_executor(pool, _process_drain, db_url, f"p{i}") for i in range(4)]
        results = await asyncio.gather(*futures)
    completed = [job_id for r in results for job_id in r]
    assert len(completed) == len(set(completed)), "a job was completed twice"
    assert sorted(completed) == sorted(ids)
    assert sum(1 for r in results if r) >= 2, "the processes did not actually run concurrently"
    async with rawstore.connect(db_url) as store:
        assert (await store.jobs.counts())[Status.COMPLETED] == JOBS


async def test_complete_racing_the_reaper_never_both_win(backend: str, db_url: str) -> None:
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", max_size=4) as store:
        store.jobs.backoff_base = 0
        run = await store.workflows.create_run(workflow_id="wf", workflow_name="Race", workflow_type="t", input={})
        await store.jobs.enqueue_many([{"workflow_run_id": run.id, "stage_id": "s", "max_attempts": 1000}] * 30)
        outcomes = collections.Counter[str]()
        while (job := await store.jobs.dequeue(worker_id="w")) is not None:
            await asyncio.sleep(0.002)

            async def complete(j: rawstore.Job = job) -> bool:
                try:
                    await store.jobs.complete(j.id, lease=j.lease or "")
                    return True
                except LeaseLost:
                    return False

            completed, released = await asyncio.gather(complete(), store.jobs.release_stale_jobs(timedelta(0)))
            after = await store.jobs.get_job(job.id)
            assert after is not None
            assert completed != bool(released), "exactly one of complete and release must win"
            assert after.status is (Status.COMPLETED if completed else Status.PENDING)
            outcomes["completed" if completed else "released"] += 1
        assert (await store.jobs.counts())[Status.COMPLETED] == 30
        assert outcomes["completed"] == 30


async def test_concurrent_single_claims_on_few_jobs_never_share_one(backend: str, db_url: str) -> None:
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", max_size=10) as store:
        _, ids = await _enqueue_all(store, 5)
        claimed = await asyncio.gather(*[store.jobs.dequeue(worker_id=f"w{i}") for i in range(10)])
        got = [j.id for j in claimed if j is not None]
        assert sorted(got) == sorted(ids)

"""The job queue after migration 0012 and the lean hot paths (issue "the job queue pays for its schema").

Each test pins a guarantee that one of the changes could have weakened: complete_many's one-lease form still fences
row by row, the pair form still matches each (id, lease), unkeyed and keyed enqueues both take the database clock,
MariaDB's stale scan and poll query still find exactly the right jobs without their old indexes, and the schema holds
exactly the indexes docs/jobs.md lists.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

import rawstore
from rawstore import Status


async def make_run(store: rawstore.Store) -> str:
    run = await store.workflows.create_run(workflow_id="wf", workflow_name="Flow", workflow_type="demo", input={})
    return run.id


async def test_complete_many_of_one_claim_skips_the_job_another_claim_holds(store: rawstore.Store) -> None:
    store.jobs.backoff_base = 0
    run = await make_run(store)
    await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": f"s{i}"} for i in range(3)])
    batch = await store.jobs.dequeue_many(worker_id="slow", limit=3)
    assert len({j.lease for j in batch}) == 1
    # One job of the batch is released as stale and claimed again: the batch's lease no longer holds for it.
    await asyncio.sleep(0.02)
    assert await store.jobs.release_stale_jobs(timedelta(0)) == 3
    again = await store.jobs.dequeue(worker_id="fresh")
    assert again is not None and again.lease not in {j.lease for j in batch}
    assert await store.jobs.complete_many(batch) == 0  # none of the batch is RUNNING under its lease now
    kept = await store.jobs.get_job(again.id)
    assert kept is not None and kept.status is Status.RUNNING and kept.lease == again.lease
    assert await store.jobs.complete_many([again]) == 1
    counts = await store.jobs.counts()
    assert (counts[Status.COMPLETED], counts[Status.PENDING]) == (1, 2)


async def test_complete_many_across_claims_matches_each_pair(store: rawstore.Store) -> None:
    run = await make_run(store)
    await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": f"s{i}"} for i in range(3)])
    a, b, c = [await store.jobs.dequeue(worker_id=f"w{i}") for i in range(3)]
    assert a is not None and b is not None and c is not None
    assert a.lease and b.lease and c.lease and len({a.lease, b.lease, c.lease}) == 3
    # Every lease in the call is some claim's lease, but a and b are offered each other's: only c matches.
    assert await store.jobs.complete_many([(a.id, b.lease), (b.id, a.lease), (c.id, c.lease)]) == 1
    assert await store.jobs.complete_many([(a.id, a.lease), (b.id, b.lease), (c.id, c.lease)]) == 2
    assert (await store.jobs.counts())[Status.COMPLETED] == 3


async def test_one_lease_batch_completes_each_job_once(store: rawstore.Store) -> None:
    run = await make_run(store)
    await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": f"s{i}"} for i in range(20)])
    batch = await store.jobs.dequeue_many(worker_id="w", limit=20)
    results = await asyncio.gather(*[store.jobs.complete_many(batch) for _ in range(4)])
    assert sum(results) == 20
    assert await store.jobs.complete_many(batch) == 0


async def test_enqueue_many_stamps_every_job_with_one_database_time(store: rawstore.Store) -> None:
    run = await make_run(store)
    at = datetime(2030, 5, 6, 7, 8, 9, 101112, tzinfo=UTC)
    specs = [{"workflow_run_id": run, "stage_id": f"s{i}"} for i in range(500)]
    specs[7]["run_at"] = at
    ids = await store.jobs.enqueue_many(specs)
    jobs = [await store.jobs.get_job(i) for i in ids]
    assert all(j is not None for j in jobs)
    stamps = {j.created_at for j in jobs if j is not None}
    if store.dialect != "sqlite":  # SQLite's executemany runs (and reads 'now') once per row
        assert len(stamps) == 1  # one reading of the database clock for the whole batch
    assert all(abs(t - datetime.now(UTC)) < timedelta(seconds=30) for t in stamps)
    for i, j in enumerate(jobs):
        assert j is not None and j.status is Status.PENDING and j.attempt == 0
        assert j.updated_at == j.created_at and j.run_at == (at if i == 7 else j.created_at)
    # Undelayed jobs of one batch come out in input order (same run_at, then id, a UUIDv7 in input order).
    claimed = await store.jobs.dequeue_many(worker_id="w", limit=10)
    assert [j.id for j in claimed] == [i for k, i in enumerate(ids) if k != 7][:10]


async def test_unkeyed_and_keyed_batches_mix(store: rawstore.Store) -> None:
    run = await make_run(store)
    plain = await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": "p"} for _ in range(3)])
    keyed = await store.jobs.enqueue_many(
        [
            {"workflow_run_id": run, "stage_id": "k", "unique_key": "a"},
            {"workflow_run_id": run, "stage_id": "n"},
            {"workflow_run_id": run, "stage_id": "k", "unique_key": "a"},
        ]
    )
    assert len(set(plain)) == 3 and keyed[0] == keyed[2] and keyed[1] != keyed[0]
    assert await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": "k", "unique_key": "a"}]) == [keyed[0]]
    assert (await store.jobs.counts())[Status.PENDING] == 5


async def test_enqueue_many_inside_a_transaction_rolls_back_with_it(store: rawstore.Store) -> None:
    run = await make_run(store)
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": f"s{i}"} for i in range(50)])
            assert (await tx.jobs.counts())[Status.PENDING] == 50
            raise RuntimeError("roll back")
    assert sum((await store.jobs.counts()).values()) == 0


async def test_release_stale_finds_only_running_jobs_among_many(store: rawstore.Store) -> None:
    store.jobs.backoff_base = 0
    run = await make_run(store)
    await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": f"s{i}"} for i in range(200)])
    done = await store.jobs.dequeue_many(worker_id="w", limit=50)
    assert await store.jobs.complete_many(done) == 50
    stale = await store.jobs.dequeue_many(worker_id="dead", limit=3)
    await asyncio.sleep(0.02)
    assert await store.jobs.release_stale_jobs(timedelta(0)) == 3
    for job in stale:
        back = await store.jobs.get_job(job.id)
        assert back is not None and back.status is Status.PENDING and back.lease is None
    counts = await store.jobs.counts()
    assert (counts[Status.PENDING], counts[Status.COMPLETED], counts[Status.RUNNING]) == (150, 50, 0)


async def test_poll_skips_a_suspended_job_that_was_cancelled(store: rawstore.Store) -> None:
    run = await make_run(store)
    first, second = await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": s} for s in ("a", "b")])
    jobs = await store.jobs.dequeue_many(worker_id="w", limit=2)
    past = datetime.now(UTC) - timedelta(seconds=5)
    for job, ago in zip(jobs, (2, 1), strict=True):
        await store.jobs.suspend(job.id, lease=job.lease or "", next_poll_at=past - timedelta(seconds=ago))
    assert [s.job_id for s in await store.jobs.get_suspended_jobs_ready_to_poll()] == [first, second]
    assert await store.jobs.cancel(first) is True
    assert await store.jobs.get_suspended_jobs_ready_to_poll() == [rawstore.SuspendedJob(second, "b", run)]
    assert await store.jobs.get_suspended_jobs_ready_to_poll(limit=1) == [rawstore.SuspendedJob(second, "b", run)]


_PG_INDEXES = "SELECT indexname FROM pg_indexes WHERE tablename = 'rs_jobs' AND schemaname = current_schema()"
_MY_INDEXES = (
    "SELECT index_name, GROUP_CONCAT(column_name ORDER BY seq_in_index) FROM information_schema.statistics"
    " WHERE table_schema = DATABASE() AND table_name = 'rs_jobs' GROUP BY index_name"
)
_LITE_INDEXES = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rs_jobs' AND sql IS NOT NULL"
_COMMON = {
    "rs_jobs_claim_idx",
    "rs_jobs_queue_claim_idx",
    "rs_jobs_suspended_idx",
    "rs_jobs_unique_idx",
    "rs_jobs_run_idx",
}


async def test_rs_jobs_holds_exactly_the_documented_indexes(store: rawstore.Store) -> None:
    async with store.transaction() as tx:
        # rs_jobs_failed_idx (migration 0021, the studio's failed jobs) is partial on FAILED: no enqueue, claim or
        # completion writes it. MariaDB, without partial indexes, has none.
        if store.dialect == "postgres":
            names = {r[0] for r in await tx.fetch(_PG_INDEXES)}
            assert names == _COMMON | {"rs_jobs_pkey", "rs_jobs_running_idx", "rs_jobs_failed_idx"}
        elif store.dialect == "sqlite":
            names = {r[0] for r in await tx.fetch(_LITE_INDEXES)}
            assert names == _COMMON | {"rs_jobs_running_idx", "rs_jobs_failed_idx"}
        else:
            cols = {r[0]: r[1] for r in await tx.fetch(_MY_INDEXES)}
            # MariaDB (no partial indexes): no running-jobs index, and the suspended index does not lead with
            # status, so neither is rewritten by a claim or a completion (migration 0012).
            assert set(cols) == _COMMON | {"PRIMARY"}
            assert cols["rs_jobs_suspended_idx"] == "tenant_id,next_poll_at"
            assert cols["rs_jobs_claim_idx"].startswith("tenant_id,status,")

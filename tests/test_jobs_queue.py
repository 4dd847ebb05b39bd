"""The job queue (`store.jobs`) on every backend: enqueue and dedupe, claim order, delays, leases and fencing,
retries and backoff, stale-lease recovery, suspension, cancellation, counts, pruning and wake-ups."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import rawstore
from rawstore import InvalidInput, Job, LeaseLost, NotFound, Status


async def make_run(store: rawstore.Store) -> str:
    run = await store.workflows.create_run(workflow_id="wf", workflow_name="Flow", workflow_type="demo", input={})
    return run.id


def now() -> datetime:
    return datetime.now(UTC)


async def claim(store: rawstore.Store, worker: str = "w1", **kw: Any) -> Job:
    job = await store.jobs.dequeue(worker_id=worker, **kw)
    assert job is not None
    return job


# -- enqueue ------------------------------------------------------------------------------------------------------


async def test_enqueue_stores_a_pending_job_with_defaults(store: rawstore.Store) -> None:
    run = await make_run(store)
    job_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="s1")
    job = await store.jobs.get_job(job_id)
    assert job is not None
    assert (job.id, job.workflow_run_id, job.stage_id, job.queue) == (job_id, run, "s1", "default")
    assert (job.status, job.priority, job.attempt, job.max_attempts, job.payload) == (Status.PENDING, 5, 0, 3, {})
    assert job.lease is None and job.worker_id is None and job.locked_at is None and job.started_at is None
    assert job.completed_at is None and job.last_error is None and job.unique_key is None
    assert job.run_at == job.created_at and abs(job.created_at - now()) < timedelta(seconds=30)
    assert await store.jobs.get_job("missing") is None


async def test_enqueue_keeps_every_field(store: rawstore.Store) -> None:
    run = await make_run(store)
    at = datetime(2030, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    payload = {"n": 1, "nested": {"ü": [1.5, None, True]}}
    job_id = await store.jobs.enqueue(
        workflow_run_id=run,
        stage_id="s",
        priority=-3,
        payload=payload,
        run_at=at,
        max_attempts=7,
        queue="q2",
        unique_key="k",
    )
    job = await store.jobs.get_job(job_id)
    assert job is not None
    assert (job.priority, job.payload, job.run_at, job.max_attempts, job.queue, job.unique_key) == (
        -3,
        payload,
        at,
        7,
        "q2",
        "k",
    )


async def test_enqueue_for_a_missing_run_is_not_found(store: rawstore.Store) -> None:
    with pytest.raises(NotFound):
        await store.jobs.enqueue(workflow_run_id="no-such-run", stage_id="s")
    assert (await store.jobs.counts())[Status.PENDING] == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("priority", "high"),
        ("priority", True),
        ("priority", 2**31),
        ("max_attempts", 0),
        ("run_at", datetime(2030, 1, 1)),
        ("queue", ""),
        ("stage_id", "a\x00b"),
        ("unique_key", 5),
        ("payload", {"bad": float("nan")}.keys()),
    ],
)
async def test_bad_enqueue_input_raises_and_writes_nothing(store: rawstore.Store, field: str, value: Any) -> None:
    run = await make_run(store)
    kw: dict[str, Any] = {"workflow_run_id": run, "stage_id": "s", field: value}
    with pytest.raises(InvalidInput):
        await store.jobs.enqueue(**kw)
    with pytest.raises(InvalidInput):
        await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": "ok"}, kw])
    assert sum((await store.jobs.counts()).values()) == 0


async def test_enqueue_many_rejects_unknown_or_missing_keys(store: rawstore.Store) -> None:
    run = await make_run(store)
    with pytest.raises(InvalidInput, match="unknown"):
        await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": "s", "prio": 1}])
    with pytest.raises(InvalidInput, match="stage_id"):
        await store.jobs.enqueue_many([{"workflow_run_id": run}])
    with pytest.raises(InvalidInput):
        await store.jobs.enqueue_many({"workflow_run_id": run, "stage_id": "s"})  # type: ignore[arg-type]
    assert await store.jobs.enqueue_many([]) == []
    assert sum((await store.jobs.counts()).values()) == 0


async def test_enqueue_many_returns_ids_in_input_order_and_honours_every_field(store: rawstore.Store) -> None:
    run = await make_run(store)
    later = now() + timedelta(hours=1)
    specs: list[dict[str, Any]] = [
        {"workflow_run_id": run, "stage_id": f"s{i}", "priority": i, "payload": {"i": i}, "queue": f"q{i % 2}"}
        for i in range(5)
    ]
    specs.append({"workflow_run_id": run, "stage_id": "late", "run_at": later, "max_attempts": 9})
    ids = await store.jobs.enqueue_many(specs)
    assert len(ids) == len(set(ids)) == 6
    for job_id, spec in zip(ids, specs, strict=True):
        job = await store.jobs.get_job(job_id)
        assert job is not None and job.stage_id == spec["stage_id"]
        assert job.priority == spec.get("priority", 5) and job.payload == spec.get("payload", {})
        assert job.queue == spec.get("queue", "default") and job.max_attempts == spec.get("max_attempts", 3)
    late = await store.jobs.get_job(ids[-1])
    assert late is not None and abs(late.run_at - later) < timedelta(milliseconds=1)
    claimed = await store.jobs.dequeue_many(worker_id="w", limit=10)
    assert [j.stage_id for j in claimed] == ["s4", "s3", "s2", "s1", "s0"]  # the delayed one is not due


async def test_unique_key_returns_the_pending_or_running_job(store: rawstore.Store) -> None:
    run = await make_run(store)
    first = await store.jobs.enqueue(workflow_run_id=run, stage_id="s", unique_key="k")
    assert await store.jobs.enqueue(workflow_run_id=run, stage_id="other", unique_key="k") == first
    job = await claim(store)
    assert job.id == first
    assert await store.jobs.enqueue(workflow_run_id=run, stage_id="s", unique_key="k") == first  # still running
    await store.jobs.complete(first, lease=job.lease or "")
    again = await store.jobs.enqueue(workflow_run_id=run, stage_id="s", unique_key="k")
    assert again != first
    ids = await store.jobs.enqueue_many(
        [
            {"workflow_run_id": run, "stage_id": "a", "unique_key": "k"},
            {"workflow_run_id": run, "stage_id": "b", "unique_key": "n"},
            {"workflow_run_id": run, "stage_id": "c", "unique_key": "n"},
            {"workflow_run_id": run, "stage_id": "d"},
        ]
    )
    assert ids[0] == again and ids[1] == ids[2] and len({ids[1], ids[3], again}) == 3
    counts = await store.jobs.counts()
    assert counts[Status.PENDING] == 3 and counts[Status.COMPLETED] == 1


async def test_concurrent_enqueues_of_one_unique_key_make_one_job(store: rawstore.Store) -> None:
    run = await make_run(store)
    ids = await asyncio.gather(
        *[store.jobs.enqueue(workflow_run_id=run, stage_id=f"s{i}", unique_key="once") for i in range(8)]
    )
    assert len(set(ids)) == 1
    assert (await store.jobs.counts())[Status.PENDING] == 1


# -- claims -------------------------------------------------------------------------------------------------------


async def test_claim_order_is_priority_then_fifo(store: rawstore.Store) -> None:
    run = await make_run(store)
    order = [(1, "low-a"), (9, "high-a"), (5, "mid-a"), (9, "high-b"), (1, "low-b"), (5, "mid-b")]
    for prio, stage in order:
        await store.jobs.enqueue(workflow_run_id=run, stage_id=stage, priority=prio)
    got = [(await claim(store)).stage_id for _ in order]
    assert got == ["high-a", "high-b", "mid-a", "mid-b", "low-a", "low-b"]
    assert await store.jobs.dequeue(worker_id="w1") is None


async def test_claim_sets_running_lease_attempt_and_database_times(store: rawstore.Store) -> None:
    run = await make_run(store)
    job_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    job = await claim(store, "worker-7")
    assert (job.id, job.status, job.worker_id, job.attempt) == (job_id, Status.RUNNING, "worker-7", 1)
    assert job.lease and job.locked_at is not None and job.started_at == job.locked_at
    assert job == await store.jobs.get_job(job_id)


async def test_delayed_jobs_are_not_claimed_early(store: rawstore.Store) -> None:
    run = await make_run(store)
    await store.jobs.enqueue(workflow_run_id=run, stage_id="later", run_at=now() + timedelta(hours=1), priority=9)
    await store.jobs.enqueue(workflow_run_id=run, stage_id="soon", run_at=now() + timedelta(seconds=0.4))
    await store.jobs.enqueue(workflow_run_id=run, stage_id="past", run_at=now() - timedelta(days=1), priority=1)
    assert [j.stage_id for j in await store.jobs.dequeue_many(worker_id="w", limit=10)] == ["past"]
    await asyncio.sleep(0.6)
    assert [j.stage_id for j in await store.jobs.dequeue_many(worker_id="w", limit=10)] == ["soon"]


async def test_queue_filter(store: rawstore.Store) -> None:
    run = await make_run(store)
    await store.jobs.enqueue(workflow_run_id=run, stage_id="a", queue="emails", priority=1)
    await store.jobs.enqueue(workflow_run_id=run, stage_id="b", queue="llm", priority=9)
    assert (await claim(store, queue="emails")).stage_id == "a"
    assert await store.jobs.dequeue(worker_id="w", queue="emails") is None
    assert (await claim(store)).stage_id == "b"


async def test_dequeue_many_claims_in_order_with_one_lease(store: rawstore.Store) -> None:
    run = await make_run(store)
    await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": f"s{i:02}"} for i in range(25)])
    jobs = await store.jobs.dequeue_many(worker_id="w", limit=10)
    assert [j.stage_id for j in jobs] == [f"s{i:02}" for i in range(10)]
    assert len({j.lease for j in jobs}) == 1 and all(j.status is Status.RUNNING for j in jobs)
    assert await store.jobs.dequeue_many(worker_id="w", limit=0) == []
    assert len(await store.jobs.dequeue_many(worker_id="w", limit=100)) == 15
    with pytest.raises(InvalidInput):
        await store.jobs.dequeue_many(worker_id="w", limit=-1)
    with pytest.raises(InvalidInput):
        await store.jobs.dequeue(worker_id="")


async def test_tenants_do_not_see_each_others_jobs(store: rawstore.Store) -> None:
    with rawstore.tenant("a"):
        run = await make_run(store)
        job_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    with rawstore.tenant("b"):
        assert await store.jobs.dequeue(worker_id="w") is None
        assert await store.jobs.get_job(job_id) is None
        assert (await store.jobs.counts())[Status.PENDING] == 0
        with pytest.raises(NotFound):  # the run belongs to tenant a
            await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    with rawstore.tenant("a"):
        assert (await claim(store)).id == job_id


# -- leases -------------------------------------------------------------------------------------------------------


async def test_complete_needs_the_current_lease(store: rawstore.Store) -> None:
    run = await make_run(store)
    job_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    job = await claim(store)
    with pytest.raises(LeaseLost):
        await store.jobs.complete(job_id, lease="not-the-lease")
    with pytest.raises(LeaseLost):
        await store.jobs.fail(job_id, lease="not-the-lease", error="x")
    with pytest.raises(LeaseLost):
        await store.jobs.suspend(job_id, lease="not-the-lease", next_poll_at=now())
    with pytest.raises(LeaseLost):
        await store.jobs.heartbeat(job_id, lease="not-the-lease")
    assert await store.jobs.get_job(job_id) == job  # nothing changed
    assert job.lease is not None
    await store.jobs.heartbeat(job_id, lease=job.lease)
    await store.jobs.complete(job_id, lease=job.lease)
    done = await store.jobs.get_job(job_id)
    assert done is not None and done.status is Status.COMPLETED and done.completed_at is not None
    with pytest.raises(LeaseLost, match="COMPLETED"):
        await store.jobs.complete(job_id, lease=job.lease)
    with pytest.raises(LeaseLost, match="does not exist"):
        await store.jobs.complete("nope", lease=job.lease)


async def test_heartbeat_renews_the_lease(store: rawstore.Store) -> None:
    run = await make_run(store)
    await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    job = await claim(store)
    assert job.lease is not None
    await asyncio.sleep(0.5)
    await store.jobs.heartbeat(job.id, lease=job.lease)
    assert await store.jobs.release_stale_jobs(timedelta(seconds=0.4)) == 0
    renewed = await store.jobs.get_job(job.id)
    assert renewed is not None and renewed.locked_at is not None and job.locked_at is not None
    assert renewed.locked_at > job.locked_at


async def test_zombie_complete_after_release_and_reclaim_raises_lease_lost(store: rawstore.Store) -> None:
    store.jobs.backoff_base = 0
    run = await make_run(store)
    job_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    zombie = await claim(store, "zombie")
    await asyncio.sleep(0.05)
    assert await store.jobs.release_stale_jobs(timedelta(0)) == 1
    released = await store.jobs.get_job(job_id)
    assert released is not None and released.status is Status.PENDING and released.lease is None
    assert released.last_error is not None and "heartbeat" in released.last_error
    fresh = await claim(store, "fresh")
    assert fresh.id == job_id and fresh.attempt == 2 and fresh.lease != zombie.lease
    assert zombie.lease is not None and fresh.lease is not None
    with pytest.raises(LeaseLost, match="another claim"):
        await store.jobs.complete(job_id, lease=zombie.lease)
    with pytest.raises(LeaseLost):
        await store.jobs.heartbeat(job_id, lease=zombie.lease)
    assert await store.jobs.complete_many([(job_id, zombie.lease)]) == 0
    await store.jobs.complete(job_id, lease=fresh.lease)
    done = await store.jobs.get_job(job_id)
    assert done is not None and done.status is Status.COMPLETED and done.worker_id == "fresh"


async def test_release_stale_fails_jobs_without_attempts_left(store: rawstore.Store) -> None:
    store.jobs.backoff_base = 0
    run = await make_run(store)
    job_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="s", max_attempts=2)
    for _ in range(2):
        await claim(store)
        await asyncio.sleep(0.02)
        assert await store.jobs.release_stale_jobs(older_than=timedelta(0)) == 1
    job = await store.jobs.get_job(job_id)
    assert job is not None and job.status is Status.FAILED and job.attempt == 2 and job.completed_at is not None
    assert job.last_error is not None and "lease expired" in job.last_error
    assert await store.jobs.dequeue(worker_id="w") is None
    assert await store.jobs.release_stale_jobs() == 0


async def test_release_stale_leaves_fresh_leases(store: rawstore.Store) -> None:
    run = await make_run(store)
    await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    await claim(store)
    assert await store.jobs.release_stale_jobs() == 0  # default: five minutes
    with pytest.raises(InvalidInput):
        await store.jobs.release_stale_jobs(timedelta(seconds=-1))


# -- failure and retries ----------------------------------------------------------------------------------------


async def test_fail_without_retry_is_final(store: rawstore.Store) -> None:
    run = await make_run(store)
    job_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    job = await claim(store)
    await store.jobs.fail(job_id, lease=job.lease or "", error="boom")
    failed = await store.jobs.get_job(job_id)
    assert failed is not None and failed.status is Status.FAILED and failed.last_error == "boom"
    assert failed.completed_at is not None
    assert await store.jobs.dequeue(worker_id="w") is None


async def test_retries_back_off_then_fail_after_max_attempts(store: rawstore.Store) -> None:
    store.jobs.backoff_base = 0.3
    run = await make_run(store)
    job_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="s", max_attempts=3)
    for attempt in (1, 2):
        job = await claim(store)
        assert job.attempt == attempt
        await store.jobs.fail(job_id, lease=job.lease or "", error=f"try {attempt}", retry=True)
        pending = await store.jobs.get_job(job_id)
        assert pending is not None and pending.status is Status.PENDING and pending.last_error == f"try {attempt}"
        assert pending.completed_at is None and pending.lease is None
        # Backoff: 0.3 s * 2**(attempt-1), jitter 0.75..1.25, measured on the database clock.
        delay = (pending.run_at - pending.updated_at).total_seconds()
        assert 0.3 * 2 ** (attempt - 1) * 0.74 <= delay <= 0.3 * 2 ** (attempt - 1) * 1.26
        assert await store.jobs.dequeue(worker_id="w") is None  # not yet due
        await asyncio.sleep(delay + 0.05)
    job = await claim(store)
    assert job.attempt == 3
    await store.jobs.fail(job_id, lease=job.lease or "", error="last", retry=True)
    final = await store.jobs.get_job(job_id)
    assert final is not None and final.status is Status.FAILED and final.last_error == "last"
    assert await store.jobs.dequeue(worker_id="w") is None


async def test_backoff_is_capped(store: rawstore.Store) -> None:
    store.jobs.backoff_base = 1000
    store.jobs.backoff_cap = 1
    run = await make_run(store)
    job_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    job = await claim(store)
    await store.jobs.fail(job_id, lease=job.lease or "", error="e", retry=True)
    pending = await store.jobs.get_job(job_id)
    assert pending is not None and 0 < (pending.run_at - pending.updated_at).total_seconds() <= 1.0001
    with pytest.raises(InvalidInput):
        store.jobs.backoff_cap = -1


async def test_fail_validates_input(store: rawstore.Store) -> None:
    run = await make_run(store)
    await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    job = await claim(store)
    with pytest.raises(InvalidInput):
        await store.jobs.fail(job.id, lease=job.lease or "", error=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        await store.jobs.fail(job.id, lease=job.lease or "", error="e", retry="yes")  # type: ignore[arg-type]
    assert await store.jobs.get_job(job.id) == job


# -- suspension ---------------------------------------------------------------------------------------------------


async def test_suspend_poll_and_resume(store: rawstore.Store) -> None:
    run = await make_run(store)
    due_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="due", max_attempts=1)
    later_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="later")
    due, later = await store.jobs.dequeue_many(worker_id="w", limit=2)
    await store.jobs.suspend(due_id, lease=due.lease or "", next_poll_at=now() - timedelta(seconds=1))
    await store.jobs.suspend(later_id, lease=later.lease or "", next_poll_at=now() + timedelta(hours=1))
    parked = await store.jobs.get_job(due_id)
    assert parked is not None and parked.status is Status.SUSPENDED and parked.lease is None
    assert parked.attempt == 0  # suspension gives the attempt back
    with pytest.raises(LeaseLost):
        await store.jobs.complete(due_id, lease=due.lease or "")
    assert await store.jobs.get_suspended_jobs_ready_to_poll() == [rawstore.SuspendedJob(due_id, "due", run)]
    assert await store.jobs.dequeue(worker_id="w") is None  # suspended jobs are never claimed
    assert await store.jobs.resume(due_id) is True
    assert await store.jobs.resume(due_id) is False
    with pytest.raises(NotFound):
        await store.jobs.resume("missing")
    again = await claim(store)
    assert again.id == due_id and again.attempt == 1  # claimable at once, even on its only attempt
    assert await store.jobs.get_suspended_jobs_ready_to_poll() == []
    with pytest.raises(InvalidInput):
        await store.jobs.suspend(due_id, lease=again.lease or "", next_poll_at=datetime(2030, 1, 1))


# -- cancel, counts, prune ----------------------------------------------------------------------------------------


async def test_cancel_and_cancel_by_run(store: rawstore.Store) -> None:
    run = await make_run(store)
    other = await make_run(store)
    pending = await store.jobs.enqueue(workflow_run_id=run, stage_id="p", priority=1)
    running_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="r", priority=9)
    running = await claim(store)
    assert running.id == running_id
    done_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="d", priority=1)
    keep = await store.jobs.enqueue(workflow_run_id=other, stage_id="k", priority=0)
    done = await claim(store)
    assert done.id in (pending, done_id)
    await store.jobs.complete(done.id, lease=done.lease or "")
    assert await store.jobs.cancel_by_run(run) == 2
    with pytest.raises(LeaseLost, match="CANCELLED"):
        await store.jobs.complete(running_id, lease=running.lease or "")
    assert await store.jobs.cancel(done.id) is False
    assert await store.jobs.cancel(keep) is True
    assert await store.jobs.cancel(keep) is False
    with pytest.raises(NotFound):
        await store.jobs.cancel("missing")
    counts = await store.jobs.counts()
    assert counts == {**dict.fromkeys(Status, 0), Status.CANCELLED: 3, Status.COMPLETED: 1}


async def test_counts_per_queue(store: rawstore.Store) -> None:
    run = await make_run(store)
    await store.jobs.enqueue_many(
        [{"workflow_run_id": run, "stage_id": "s", "queue": q} for q in ("a", "a", "b", "default")]
    )
    await claim(store, queue="a")
    assert (await store.jobs.counts("a"))[Status.RUNNING] == 1
    assert (await store.jobs.counts("a"))[Status.PENDING] == 1
    assert (await store.jobs.counts("b"))[Status.PENDING] == 1
    assert (await store.jobs.counts())[Status.PENDING] == 3
    assert set(await store.jobs.counts("none")) == set(Status)


async def test_prune_deletes_only_finished_jobs(store: rawstore.Store) -> None:
    run = await make_run(store)
    ids = await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": f"s{i}"} for i in range(6)])
    jobs = await store.jobs.dequeue_many(worker_id="w", limit=4)
    assert await store.jobs.complete_many(jobs[:2]) == 2
    await store.jobs.fail(jobs[2].id, lease=jobs[2].lease or "", error="x")
    await store.jobs.cancel(ids[5])
    assert await store.jobs.prune(finished_before=now() - timedelta(hours=1)) == 0
    assert await store.jobs.prune(finished_before=timedelta(hours=1)) == 0
    await asyncio.sleep(0.01)
    assert await store.jobs.prune(finished_before=timedelta(0)) == 4
    left = await store.jobs.counts()
    assert (left[Status.RUNNING], left[Status.PENDING], sum(left.values())) == (1, 1, 2)
    with pytest.raises(InvalidInput):
        await store.jobs.prune(finished_before=datetime(2030, 1, 1))


async def test_complete_many_counts_only_jobs_it_completed(store: rawstore.Store) -> None:
    run = await make_run(store)
    await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": f"s{i}"} for i in range(5)])
    jobs = await store.jobs.dequeue_many(worker_id="w", limit=5)
    await store.jobs.cancel(jobs[0].id)
    pairs = [(j.id, j.lease or "") for j in jobs[3:]]
    assert await store.jobs.complete_many([*jobs[:3], ("missing", "x"), (jobs[1].id, "wrong")]) == 2
    assert await store.jobs.complete_many(pairs) == 2
    assert await store.jobs.complete_many([]) == 0
    with pytest.raises(InvalidInput):
        await store.jobs.complete_many([("only-id",)])  # type: ignore[list-item]
    counts = await store.jobs.counts()
    assert (counts[Status.COMPLETED], counts[Status.CANCELLED]) == (4, 1)


# -- transactions -------------------------------------------------------------------------------------------------


async def test_enqueue_and_claim_inside_a_transaction(store: rawstore.Store) -> None:
    run = await make_run(store)
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.jobs.enqueue(workflow_run_id=run, stage_id="rolled-back")
            raise RuntimeError
    assert sum((await store.jobs.counts()).values()) == 0
    async with store.transaction() as tx:
        job_id = await tx.jobs.enqueue(workflow_run_id=run, stage_id="kept")
        job = await tx.jobs.dequeue(worker_id="w")
        assert job is not None and job.id == job_id
        await tx.jobs.complete(job_id, lease=job.lease or "")
    done = await store.jobs.get_job(job_id)
    assert done is not None and done.status is Status.COMPLETED


# -- wake-ups -----------------------------------------------------------------------------------------------------


async def test_wait_times_out_without_jobs_and_wakes_on_enqueue(
    store: rawstore.Store, backend: str, db_url: str
) -> None:
    run = await make_run(store)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await store.jobs.wait(0.3) is False
    assert loop.time() - t0 >= 0.29
    # Another store (another process, for all the first one knows) enqueues while this one waits.
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", max_size=2) as other:
        waiter = asyncio.create_task(store.jobs.wait(10))
        await asyncio.sleep(0.2)
        t0 = loop.time()
        await other.jobs.enqueue(workflow_run_id=run, stage_id="s")
        assert await waiter is True
        assert loop.time() - t0 < 2
    with pytest.raises(InvalidInput):
        await store.jobs.wait(-1)


async def test_a_notification_between_dequeue_and_wait_is_not_lost(store: rawstore.Store) -> None:
    run = await make_run(store)
    assert await store.jobs.wait(0.05) is False
    assert await store.jobs.dequeue(worker_id="w") is None
    await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await store.jobs.wait(5) is True
    assert loop.time() - t0 < 1


async def test_enqueue_many_is_all_or_nothing(store: rawstore.Store) -> None:
    run = await make_run(store)
    specs: list[dict[str, Any]] = [{"workflow_run_id": run, "stage_id": f"s{i}"} for i in range(3000)]
    specs.append({"workflow_run_id": "no-such-run", "stage_id": "last"})
    with pytest.raises(NotFound):
        await store.jobs.enqueue_many(specs)
    assert sum((await store.jobs.counts()).values()) == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda j: j.get_job(""),
        lambda j: j.resume(None),
        lambda j: j.cancel("a\x00b"),
        lambda j: j.cancel_by_run(""),
        lambda j: j.counts(""),
        lambda j: j.get_suspended_jobs_ready_to_poll(limit=-1),
        lambda j: j.heartbeat("x", lease=5),
        lambda j: j.complete(7, lease="l"),
        lambda j: j.release_stale_jobs("5 minutes"),
        lambda j: j.prune(finished_before="yesterday"),
        lambda j: j.dequeue_many(worker_id="w", limit=10_001),
        lambda j: j.dequeue(worker_id="w", queue=""),
    ],
)
async def test_bad_input_to_every_call_is_invalid_input_and_changes_nothing(store: rawstore.Store, call: Any) -> None:
    run = await make_run(store)
    job_id = await store.jobs.enqueue(workflow_run_id=run, stage_id="s")
    before = await store.jobs.get_job(job_id)
    with pytest.raises(InvalidInput):
        await call(store.jobs)
    assert await store.jobs.get_job(job_id) == before


def test_bad_settings_are_invalid_input(store: rawstore.Store) -> None:
    for name, value in (("backoff_base", "2"), ("backoff_cap", float("nan")), ("poll_interval", 0)):
        with pytest.raises(InvalidInput):
            setattr(store.jobs, name, value)
    assert (store.jobs.backoff_base, store.jobs.backoff_cap, store.jobs.poll_interval) == (2.0, 600.0, 0.2)


async def test_racing_resumes_and_cancels_have_one_winner(store: rawstore.Store) -> None:
    run = await make_run(store)
    ids = await store.jobs.enqueue_many([{"workflow_run_id": run, "stage_id": f"s{i}"} for i in range(6)])
    for job in await store.jobs.dequeue_many(worker_id="w", limit=6):
        await store.jobs.suspend(job.id, lease=job.lease or "", next_poll_at=now())
    for job_id in ids[:3]:
        assert sorted(await asyncio.gather(*[store.jobs.resume(job_id) for _ in range(4)])) == [False] * 3 + [True]
    for job_id in ids[3:]:
        assert sorted(await asyncio.gather(*[store.jobs.cancel(job_id) for _ in range(4)])) == [False] * 3 + [True]
    counts = await store.jobs.counts()
    assert (counts[Status.PENDING], counts[Status.CANCELLED]) == (3, 3)

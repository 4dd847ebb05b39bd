"""A call cancelled or timed out at any point leaves no connection inside a transaction and no write half-done, and
every write that returned success is durable (seen from this store and from a fresh one), on every backend."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import threading
from collections.abc import Iterator

import pytest

import rawstore
from rawstore import Message, Status, Thread

MESSAGES = 40


@contextlib.contextmanager
def sqlite_write_lock(backend: str, db_url: str) -> Iterator[threading.Event]:
    """On SQLite, hold the database's write lock from another connection until the event is set, so that a kit
    write sits in `BEGIN IMMEDIATE`'s busy wait when it is cancelled. Elsewhere a no-op."""
    release = threading.Event()
    if backend != "sqlite":
        yield release
        return
    locked = threading.Event()

    def hold() -> None:
        c = sqlite3.connect(db_url[len("sqlite:///") :], isolation_level=None)
        try:
            c.execute("BEGIN IMMEDIATE")
            locked.set()
            release.wait(30)
            c.execute("ROLLBACK")
        finally:
            c.close()

    t = threading.Thread(target=hold)
    t.start()
    locked.wait(10)
    try:
        yield release
    finally:
        release.set()
        t.join()


async def _open(backend: str, db_url: str, size: int) -> rawstore.Store:
    return await rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", min_size=1, max_size=size)


def _messages(thread_id: str, tag: str) -> list[Message]:
    return [Message(f"{tag}-{i:03d}", thread_id, "user", {"i": i}) for i in range(MESSAGES)]


async def _thread_message_count(store: rawstore.Store, thread_id: str) -> int:
    page = await store.memory.list_messages(thread_id, limit=1000)
    return len(page.items)


async def _cancel_after(coro: object, steps: int) -> None:
    task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
    for _ in range(steps):
        await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, rawstore.RawstoreError):
        await task


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 17, 25])
async def test_cancelled_write_does_not_swallow_the_next_acknowledged_write(
    backend: str, db_url: str, steps: int
) -> None:
    """Pool of one: a `save_messages` cancelled after `steps` event-loop steps, then an acknowledged `enqueue`."""
    store = await _open(backend, db_url, 1)
    try:
        await store.memory.save_thread(Thread("t1", resource_id="r"))
        run = await store.workflows.create_run(workflow_id="wf", workflow_name="W", workflow_type="t", input={})
        with sqlite_write_lock(backend, db_url) as release:
            await _cancel_after(store.memory.save_messages(_messages("t1", "a")), steps)
            release.set()
        job_id = await store.jobs.enqueue(workflow_run_id=run.id, stage_id="s")
        assert await store.jobs.get_job(job_id) is not None, "an acknowledged enqueue is missing from the same store"
        # The cancelled batch is all there or not at all.
        assert await _thread_message_count(store, "t1") in (0, MESSAGES)
        again = await store.jobs.enqueue(workflow_run_id=run.id, stage_id="s2")
    finally:
        await store.close()
    async with await _open(backend, db_url, 1) as fresh:
        assert await fresh.jobs.get_job(job_id) is not None, "an acknowledged enqueue is missing from a fresh store"
        assert await fresh.jobs.get_job(again) is not None
        assert await _thread_message_count(fresh, "t1") in (0, MESSAGES)


@pytest.mark.parametrize("delay_ms", [0.2, 0.5, 1, 2, 3, 5, 8])
async def test_timed_out_write_does_not_swallow_the_next_acknowledged_write(
    backend: str, db_url: str, delay_ms: float
) -> None:
    """The same with `asyncio.timeout`: a timeout is a cancellation seen from outside."""
    store = await _open(backend, db_url, 1)
    try:
        await store.memory.save_thread(Thread("t1", resource_id="r"))
        run = await store.workflows.create_run(workflow_id="wf", workflow_name="W", workflow_type="t", input={})
        ids = []
        for round_ in range(3):
            with contextlib.suppress(TimeoutError, rawstore.RawstoreError):
                async with asyncio.timeout(delay_ms / 1000):
                    await store.memory.save_messages(_messages("t1", f"r{round_}"))
            ids.append(await store.jobs.enqueue(workflow_run_id=run.id, stage_id=f"s{round_}"))
        for job_id in ids:
            assert await store.jobs.get_job(job_id) is not None
        assert await _thread_message_count(store, "t1") % MESSAGES == 0
    finally:
        await store.close()
    async with await _open(backend, db_url, 1) as fresh:
        for job_id in ids:
            assert await fresh.jobs.get_job(job_id) is not None


async def test_cancelled_call_inside_a_transaction_aborts_it(backend: str, db_url: str) -> None:
    """A kit call cancelled inside `store.transaction()` cannot be half-committed: the block then fails with
    ConnectionLost, nothing of it is written, and the store keeps working."""
    store = await _open(backend, db_url, 1)
    try:
        await store.memory.save_thread(Thread("t1", resource_id="r"))
        with pytest.raises(rawstore.ConnectionLost):
            async with store.transaction() as tx:
                await tx.memory.save_thread(Thread("t2", resource_id="r"))
                task = asyncio.ensure_future(tx.memory.save_messages(_messages("t1", "x")))
                await asyncio.sleep(0)
                await asyncio.sleep(0)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await tx.memory.save_thread(Thread("t3", resource_id="r"))
        assert await store.memory.get_thread("t2") is None
        assert await store.memory.get_thread("t3") is None
        assert await _thread_message_count(store, "t1") == 0
        await store.memory.save_thread(Thread("t4", resource_id="r"))
    finally:
        await store.close()
    async with await _open(backend, db_url, 1) as fresh:
        assert await fresh.memory.get_thread("t4") is not None
        assert await fresh.memory.get_thread("t2") is None


@pytest.mark.slow
async def test_cancellation_storm_loses_no_acknowledged_write(backend: str, db_url: str) -> None:
    """400 calls with 0.5-10 ms timeouts on a pool of four: every acknowledged enqueue, message batch and completion
    is there afterwards, from a fresh store."""
    rng = random.Random(7)
    store = await _open(backend, db_url, 4)
    enqueued: list[str] = []
    completed: list[str] = []
    batches: list[str] = []
    try:
        await store.memory.save_thread(Thread("t1", resource_id="r"))
        run = await store.workflows.create_run(workflow_id="wf", workflow_name="W", workflow_type="t", input={})

        async def one(i: int) -> None:
            kind = i % 4
            # Every fifth call has time to finish, so that acknowledged writes race the cancelled ones.
            async with asyncio.timeout(rng.uniform(0.0005, 0.010) if i % 5 else 5.0):
                if kind == 0:
                    enqueued.append(await store.jobs.enqueue(workflow_run_id=run.id, stage_id=f"s{i}"))
                elif kind == 1:
                    await store.memory.save_messages(_messages("t1", f"b{i}")[:5])
                    batches.append(f"b{i}")
                elif kind == 2:
                    job = await store.jobs.dequeue(worker_id=f"w{i}")
                    if job is not None:
                        await store.jobs.complete(job.id, lease=job.lease or "")
                        completed.append(job.id)
                else:
                    await store.jobs.counts()

        async def guarded(i: int) -> None:
            with contextlib.suppress(TimeoutError, rawstore.RawstoreError):
                await one(i)

        for start in range(0, 400, 40):
            await asyncio.gather(*[guarded(i) for i in range(start, start + 40)])
        # After the storm, sequential acknowledged writes on every pooled connection.
        after = [await store.jobs.enqueue(workflow_run_id=run.id, stage_id=f"after{i}") for i in range(8)]
    finally:
        await store.close()
    assert enqueued or completed or batches, "no call finished within its timeout: the storm tested nothing"
    async with await _open(backend, db_url, 1) as fresh:
        for job_id in enqueued + after:
            assert await fresh.jobs.get_job(job_id) is not None, f"acknowledged enqueue {job_id} was lost"
        for job_id in completed:
            job = await fresh.jobs.get_job(job_id)
            assert job is not None and job.status is Status.COMPLETED, f"acknowledged completion {job_id} was lost"
        stored = {m.id for m in (await fresh.memory.list_messages("t1", limit=1000)).items}
        for tag in batches:
            assert {f"{tag}-{i:03d}" for i in range(5)} <= stored, f"acknowledged batch {tag} was lost"
        # No batch is half there.
        for tag in {m.split("-")[0] for m in stored}:
            assert {f"{tag}-{i:03d}" for i in range(5)} <= stored, f"batch {tag} is half-written"

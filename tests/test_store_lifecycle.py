"""A transaction object stops working when its block ends; the pool stays healthy after failures."""

from __future__ import annotations

import asyncio

import pytest

from rawstore import NotFound, RawstoreError, Store, Thread


async def test_transaction_object_is_dead_after_its_block(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.memory.save_thread(Thread("t", "r"))
    with pytest.raises(RawstoreError):
        await tx.memory.get_thread("t")
    with pytest.raises(RawstoreError):
        await tx.execute("SELECT 1")
    async with store.transaction() as tx2:
        async with tx2.transaction() as inner:
            await inner.memory.get_thread("t")
        with pytest.raises(RawstoreError):
            await inner.fetch("SELECT 1")
        assert await tx2.memory.get_thread("t") is not None


async def test_pool_survives_failed_and_cancelled_transactions(store: Store) -> None:
    for _ in range(12):  # more than the pool size: a leaked connection or open transaction would show up
        with pytest.raises(NotFound):
            async with store.transaction() as tx:
                await tx.memory.save_thread(Thread("t", "r"))
                await tx.memory.update_thread("missing", title="x")
    assert await store.memory.get_thread("t") is None

    started = asyncio.Event()

    async def slow() -> None:
        async with store.transaction() as tx:
            await tx.memory.save_thread(Thread("c", "r"))
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(slow())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await store.memory.get_thread("c") is None
    await asyncio.gather(*(store.memory.save_thread(Thread(f"p{i}", "r")) for i in range(15)))
    assert (await store.memory.list_threads("r", with_total=True)).total == 15


async def test_concurrent_calls_inside_one_transaction_are_serialized(store: Store) -> None:
    async with store.transaction() as tx:
        await asyncio.gather(*(tx.memory.save_thread(Thread(f"t{i}", "r")) for i in range(10)))
        assert (await tx.memory.list_threads("r", with_total=True)).total == 10
    assert (await store.memory.list_threads("r", with_total=True)).total == 10


@pytest.mark.parametrize("size", [1, 2])
async def test_tiny_pool_under_load_with_cancellations(backend: str, db_url: str, size: int) -> None:
    """More callers than connections: waiters are served in turn, cancelled waiters and holders give slots back."""
    import rawstore

    async with rawstore.connect(db_url, min_size=0, max_size=size, pgbouncer=backend == "pgbouncer") as s:
        await s.memory.save_thread(Thread("t", "r"))

        async def reader(i: int) -> None:
            for _ in range(5):
                assert await s.memory.get_thread("t") is not None
                await s.memory.list_threads("r", limit=1)

        async def holder() -> None:
            async with s.transaction() as tx:
                await tx.memory.get_thread("t")
                await asyncio.sleep(10)

        doomed = [asyncio.create_task(holder()) for _ in range(size)]
        await asyncio.sleep(0.05)
        waiting = [asyncio.create_task(reader(i)) for i in range(10)]
        await asyncio.sleep(0.05)
        for task in doomed:
            task.cancel()
        await asyncio.wait_for(asyncio.gather(*waiting), timeout=30)
        for task in doomed:
            with pytest.raises(asyncio.CancelledError):
                await task
        # Cancel some waiters while the pool is contended; the rest must still finish.
        more = [asyncio.create_task(reader(i)) for i in range(10)]
        await asyncio.sleep(0)
        for task in more[::2]:
            task.cancel()
        results = await asyncio.wait_for(asyncio.gather(*more, return_exceptions=True), timeout=30)
        assert all(r is None or isinstance(r, asyncio.CancelledError) for r in results)
        assert await s.memory.get_thread("t") is not None


async def test_store_closed_while_callers_wait(backend: str, db_url: str) -> None:
    import rawstore

    s = await rawstore.connect(db_url, min_size=0, max_size=1, pgbouncer=backend == "pgbouncer")
    await s.memory.save_thread(Thread("t", "r"))
    gate = asyncio.Event()

    async def holder() -> None:
        async with s.transaction() as tx:
            await tx.memory.get_thread("t")
            await gate.wait()

    h = asyncio.create_task(holder())
    await asyncio.sleep(0.05)
    waiter = asyncio.create_task(s.memory.get_thread("t"))
    await asyncio.sleep(0.05)
    closing = asyncio.create_task(s.close())
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.wait_for(closing, timeout=10)
    await asyncio.wait_for(asyncio.gather(h, return_exceptions=True), timeout=10)
    # A caller queued when the store closed is either served or told the store closed; it never hangs.
    done = await asyncio.wait_for(asyncio.gather(waiter, return_exceptions=True), timeout=10)
    assert isinstance(done[0], Thread | RawstoreError), repr(done[0])
    with pytest.raises(RawstoreError):
        await s.memory.get_thread("t")
    with pytest.raises(RawstoreError):
        async with s.transaction():
            pass

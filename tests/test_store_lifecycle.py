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

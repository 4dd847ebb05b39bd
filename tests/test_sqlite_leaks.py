"""SQLite: connects and calls cancelled at any point leave no file handle and no worker thread behind once the store
is closed, and every worker thread ends while its event loop still runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import rawstore
from rawstore import Thread

pytestmark = pytest.mark.backends("sqlite")


def _open_handles(path: str) -> int:
    """File descriptors of this process on the database file or its -wal/-shm companions."""
    target = os.path.realpath(path)
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}").startswith(target):
                n += 1
    return n


def _worker_threads() -> int:
    # aiosqlite names no threads; its workers run _connection_worker_thread.
    return sum(1 for t in threading.enumerate() if "_connection_worker_thread" in repr(getattr(t, "_target", None)))


async def test_cancelled_reads_leave_no_handle_or_thread_after_close(backend: str, db_url: str) -> None:
    path = db_url[len("sqlite:///") :]
    threads_before = _worker_threads()
    async with rawstore.connect(db_url) as s:
        await s.memory.save_thread(Thread("t1", resource_id="r"))
    # A new store every round: its pool opens connections on demand, so the cancelled reads race connects too.
    for round_ in range(20):
        store = await rawstore.connect(db_url, max_size=4)
        tasks = [asyncio.ensure_future(store.memory.get_thread("t1")) for _ in range(4)]
        await asyncio.sleep(0.002 if round_ % 2 else 0)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await store.close()
        assert _open_handles(path) == 0, f"round {round_}: file handles of a closed store are still open"
        assert _worker_threads() == threads_before, f"round {round_}: worker threads of a closed store still run"


async def test_cancelled_connects_leave_nothing_after_close(backend: str, db_url: str) -> None:
    path = db_url[len("sqlite:///") :]
    threads_before = _worker_threads()
    store = await rawstore.connect(db_url, max_size=4)
    driver = store._driver
    for i in range(40):
        task = asyncio.ensure_future(driver._connect())  # type: ignore[attr-defined]
        for _ in range(i % 8):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            conn = await task
            await conn.close()
    await store.close()
    assert _open_handles(path) == 0
    assert _worker_threads() == threads_before


def test_no_worker_thread_outlives_its_event_loop(tmp_path: Path, backend: str, db_url: str) -> None:
    """In a fresh interpreter: cancellation-heavy use, close, and exit print no "Event loop is closed" crash."""
    code = f"""
import asyncio, rawstore
from rawstore import Thread
async def main():
    store = await rawstore.connect({db_url!r}, max_size=4)
    await store.memory.save_thread(Thread("t1", resource_id="r"))
    await store.close()
    for r in range(20):
        store = await rawstore.connect({db_url!r}, max_size=4)
        tasks = [asyncio.ensure_future(store.memory.get_thread("t1")) for _ in range(4)]
        await asyncio.sleep(0.002 if r % 2 else 0)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await store.close()
asyncio.run(main())
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Event loop is closed" not in r.stderr and "Traceback" not in r.stderr, r.stderr

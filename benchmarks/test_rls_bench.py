"""What PostgreSQL row-level security mode costs: point reads and batch inserts with `row_level_security=True` (as a
role held to the policies, RLS enforced) next to plain mode (the owner, RLS off) in the same run.

In RLS mode every kit call is a transaction that first names its tenant (`set_config`), so a point read is four
round trips instead of one; a batch insert, already a transaction, gains one. Rounds alternate between the modes.
Sizes: RAWSTORE_BENCH_RLS_READS point reads per round (default 2,000), RAWSTORE_BENCH_RLS_BATCHES batches of 1,000
messages per round (default 5), RAWSTORE_BENCH_RLS_ROUNDS rounds (default 3). PostgreSQL (and PgBouncer) only.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

import rawstore
from rawstore import Message, Thread, deploy
from tests import dbs

READS = int(os.environ.get("RAWSTORE_BENCH_RLS_READS", "2000"))
BATCHES = int(os.environ.get("RAWSTORE_BENCH_RLS_BATCHES", "5"))
ROUNDS = int(os.environ.get("RAWSTORE_BENCH_RLS_ROUNDS", "3"))


@pytest.fixture(scope="module", params=[b for b in ("postgres", "pgbouncer") if b in dbs.selected()])
def urls(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """(backend, owner URL, app-role URL) of a migrated database with RLS enforced."""
    backend = str(request.param)
    name = f"rawstore_rlsbench_{os.getpid()}"
    url = dbs.create_database(backend, name, Path(tmp_path_factory.mktemp("rls")))
    direct = dbs.direct_url(backend, url)
    rawstore.migrate(direct)
    app = dbs.rls_role_url(direct, url)
    asyncio.run(deploy.rls(direct, "enable"))
    try:
        yield backend, url, app
    finally:
        dbs.create_database(backend, name, Path(tmp_path_factory.mktemp("rls")), drop_only=True)


async def _timed(fn: Callable[[], Awaitable[None]]) -> float:
    t0 = time.perf_counter()
    await fn()
    return time.perf_counter() - t0


def test_rls_mode_cost(urls: tuple[str, str, str]) -> None:
    backend, owner_url, app_url = urls
    bouncer = backend == "pgbouncer"

    async def main() -> dict[str, dict[str, list[float]]]:
        plain = await rawstore.connect(owner_url, pgbouncer=bouncer, max_size=2)
        rls = await rawstore.connect(app_url, pgbouncer=bouncer, max_size=2, row_level_security=True)
        times: dict[str, dict[str, list[float]]] = {"plain": {"read": [], "insert": []}}
        times["rls"] = {"read": [], "insert": []}
        try:
            for mode, store in (("plain", plain), ("rls", rls)):
                with rawstore.tenant(f"bench-{mode}"):
                    await store.memory.save_thread(Thread("t", resource_id="r"))
            for r in range(ROUNDS):
                for mode, store in (("plain", plain), ("rls", rls)):
                    with rawstore.tenant(f"bench-{mode}"):

                        async def reads(store: rawstore.Store = store) -> None:
                            for _ in range(READS):
                                await store.memory.get_thread("t")

                        async def inserts(store: rawstore.Store = store, r: int = r) -> None:
                            for b in range(BATCHES):
                                msgs = [Message(f"m{r}-{b}-{i}", "t", "user", {"text": "hi" * 50}) for i in range(1000)]
                                await store.memory.save_messages(msgs)

                        times[mode]["read"].append(await _timed(reads) / READS)
                        times[mode]["insert"].append(await _timed(inserts) / BATCHES)
        finally:
            await plain.close()
            await rls.close()
        return times

    times = asyncio.run(main())
    lines = [f"\nrow-level security mode on {backend} (median of {ROUNDS} interleaved rounds):"]
    for op, unit, scale in (("read", "µs per get_thread", 1e6), ("insert", "ms per save_messages of 1,000", 1e3)):
        p, r = statistics.median(times["plain"][op]), statistics.median(times["rls"][op])
        lines.append(f"  {unit:32} plain {p * scale:8.1f}  rls {r * scale:8.1f}  rls/plain {r / p:5.2f}x")
    print("\n".join(lines))
    assert all(v > 0 for mode in times.values() for op in mode.values() for v in op)

"""Conformance: `store.snapshots.update_results` / `update_state` (atomic read-modify-write under real concurrent
connections, no lost update), and a 50 MB snapshot, on every backend."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import rawstore
from rawstore import InvalidInput, Store
from rawstore.validate import encode_json
from tests.test_snapshots import count, refused


def deep(n: int) -> Any:
    """A value nesting `n` lists."""
    v: Any = 1
    for _ in range(n):
        v = [v]
    return v


# -- update_results --------------------------------------------------------------------------------------


async def test_update_results_creates_a_missing_run(store: Store) -> None:
    ctx = await store.snapshots.update_results("wf", "r1", step_id="step-a", result={"status": "success", "out": [1]})
    assert ctx == {"step-a": {"status": "success", "out": [1]}}
    assert await store.snapshots.load("wf", "r1") == {
        "status": "pending",
        "context": {"step-a": {"status": "success", "out": [1]}},
        "requestContext": {},
    }
    run = await store.snapshots.get_run("r1")
    assert run is not None and run.status == "pending" and run.resource_id is None
    ctx = await store.snapshots.update_results("wf", "r2", step_id="s", result=None, request_context={"user": "u"})
    assert ctx == {"s": None}
    assert await store.snapshots.load("wf", "r2") == {
        "status": "pending",
        "context": {"s": None},
        "requestContext": {"user": "u"},
    }


async def test_update_results_sets_a_step_and_merges_request_context(store: Store) -> None:
    snap = {
        "status": "running",
        "context": {"input": {"q": 1}, "a": {"status": "running"}},
        "requestContext": {"user": "u1", "locale": "fr"},
        "other": [1, 2],
    }
    stored = await store.snapshots.persist("wf", "r1", snap, resource_id="res")
    ctx = await store.snapshots.update_results(
        "wf",
        "r1",
        step_id="a",
        result={"status": "success", "output": "é 🎉"},
        request_context={"locale": "de", "x": None},
    )
    assert ctx == {"input": {"q": 1}, "a": {"status": "success", "output": "é 🎉"}}
    assert await store.snapshots.load("wf", "r1") == {
        "status": "running",
        "context": ctx,
        "requestContext": {"user": "u1", "locale": "de", "x": None},
        "other": [1, 2],
    }
    run = await store.snapshots.get_run("r1")
    assert run is not None
    assert (run.status, run.resource_id, run.created_at) == ("running", "res", stored.created_at)
    assert run.updated_at >= stored.updated_at


async def test_update_results_fills_in_a_missing_context(store: Store) -> None:
    await store.snapshots.persist("wf", "r1", {"status": "running", "context": None})
    assert await store.snapshots.update_results("wf", "r1", step_id="s", result=1, request_context={"a": 1}) == {"s": 1}
    assert await store.snapshots.load("wf", "r1") == {
        "status": "running",
        "context": {"s": 1},
        "requestContext": {"a": 1},
    }
    await store.snapshots.persist("wf", "r2", {})
    assert await store.snapshots.update_results("wf", "r2", step_id="s", result=[]) == {"s": []}
    assert await store.snapshots.load("wf", "r2") == {"context": {"s": []}}


NOT_OBJECTS: list[Any] = [[1, 2], "text", 7, {"context": [1]}, {"context": "x"}, {"context": {}, "requestContext": [1]}]


async def test_update_results_refuses_a_snapshot_that_is_not_an_object(store: Store) -> None:
    for i, stored in enumerate(NOT_OBJECTS):
        await store.snapshots.persist("wf", f"r{i}", stored)
        before = await store.snapshots.get_run(f"r{i}")
        with pytest.raises(InvalidInput, match="not a JSON object"):
            await store.snapshots.update_results("wf", f"r{i}", step_id="s", result=1, request_context={"a": 1})
        assert await store.snapshots.get_run(f"r{i}") == before, stored


BAD_RESULTS: list[dict[str, Any]] = [
    {"step_id": ""},
    {"step_id": 5},
    {"result": print},
    {"result": "nul \x00"},
    {"result": deep(30)},  # 30 deep, 2 levels down: 32
    {"request_context": [1]},
    {"request_context": {1: "x"}},
    {"request_context": "x"},
    {"request_context": {"k": object()}},
]


async def test_update_results_rejects_bad_input_and_writes_nothing(store: Store) -> None:
    await store.snapshots.persist("wf", "r1", {"context": {}})
    for kwargs in BAD_RESULTS:
        call: dict[str, Any] = {"step_id": "s", "result": 1} | kwargs
        await refused(store.snapshots.update_results("wf", "missing", **call), kwargs)
        await refused(store.snapshots.update_results("wf", "r1", **call), kwargs)
    assert await count(store) == 1
    assert await store.snapshots.load("wf", "r1") == {"context": {}}


async def test_update_results_takes_the_deepest_result_that_fits(store: Store) -> None:
    assert await store.snapshots.update_results("wf", "r1", step_id="s", result=deep(29)) == {"s": deep(29)}
    assert (await store.snapshots.load("wf", "r1"))["context"]["s"] == deep(29)


# -- update_state ----------------------------------------------------------------------------------------


async def test_update_state_sets_the_given_keys_and_the_status(store: Store) -> None:
    assert await store.snapshots.update_state("wf", "missing", status="success") is None
    assert await count(store) == 0
    stored = await store.snapshots.persist(
        "wf", "r1", {"status": "running", "context": {"a": 1}, "result": "old", "waitingPaths": {"x": [0]}}
    )
    snap = await store.snapshots.update_state(
        "wf", "r1", status="suspended", suspended_paths={"step-b": [1, 0]}, error={"message": "boom"}
    )
    want = {
        "status": "suspended",
        "context": {"a": 1},
        "result": "old",
        "waitingPaths": {"x": [0]},
        "suspendedPaths": {"step-b": [1, 0]},
        "error": {"message": "boom"},
    }
    assert snap == want
    assert await store.snapshots.load("wf", "r1") == want
    run = await store.snapshots.get_run("r1")
    assert run is not None and run.status == "suspended" and run.created_at == stored.created_at
    assert [r.run_id for r in (await store.snapshots.list_runs(status="suspended")).items] == ["r1"]
    assert (await store.snapshots.list_runs(status="running")).items == []
    snap = await store.snapshots.update_state("wf", "r1", status="success", result={"answer": 42}, waiting_paths={})
    assert snap == want | {"status": "success", "result": {"answer": 42}, "waitingPaths": {}}
    assert await store.snapshots.load("wf", "r1") == snap


BAD_STATES: list[dict[str, Any]] = [
    {"status": None},
    {"status": ""},
    {"status": "x" * 65},
    {"status": 1},
    {"result": print},
    {"error": "nul \x00"},
    {"suspended_paths": object()},
    {"waiting_paths": deep(31)},  # 31 deep, 1 level down: 32
]


async def test_update_state_rejects_bad_input_and_writes_nothing(store: Store) -> None:
    await store.snapshots.persist("wf", "r1", {"status": "running"})
    before = await store.snapshots.get_run("r1")
    for kwargs in BAD_STATES:
        await refused(store.snapshots.update_state("wf", "r1", **({"status": "success"} | kwargs)), kwargs)
    assert await store.snapshots.get_run("r1") == before


async def test_update_state_refuses_a_snapshot_that_is_not_an_object(store: Store) -> None:
    await store.snapshots.persist("wf", "r1", ["status"])
    with pytest.raises(InvalidInput, match="not a JSON object"):
        await store.snapshots.update_state("wf", "r1", status="success")
    run = await store.snapshots.get_run("r1")
    assert run is not None and run.snapshot == ["status"] and run.status is None


# -- concurrency: real concurrent connections, no lost update ------------------------------------------------

WRITERS = 8


async def test_concurrent_update_results_on_a_missing_run_all_survive(store: Store) -> None:
    await asyncio.gather(
        *(
            store.snapshots.update_results(
                "wf", "r1", step_id=f"step-{i}", result={"i": i}, request_context={f"k{i}": i}
            )
            for i in range(WRITERS)
        )
    )
    snap = await store.snapshots.load("wf", "r1")
    assert snap["context"] == {f"step-{i}": {"i": i} for i in range(WRITERS)}
    assert snap["requestContext"] == {f"k{i}": i for i in range(WRITERS)}
    assert await count(store) == 1


async def test_concurrent_update_results_on_an_existing_run_all_survive(store: Store) -> None:
    await store.snapshots.persist("wf", "r1", {"status": "running", "context": {"input": 1}, "requestContext": {}})
    for round_ in range(2):
        results = await asyncio.gather(
            *(
                store.snapshots.update_results("wf", "r1", step_id=f"s{round_}-{i}", result=[round_, i])
                for i in range(WRITERS)
            )
        )
        # Each call returns the context as it left it: its own step is there.
        assert all(ctx[f"s{round_}-{i}"] == [round_, i] for i, ctx in enumerate(results))
    snap = await store.snapshots.load("wf", "r1")
    want = {"input": 1} | {f"s{r}-{i}": [r, i] for r in range(2) for i in range(WRITERS)}
    assert snap == {"status": "running", "context": want, "requestContext": {}}


async def test_concurrent_update_state_and_update_results_all_survive(store: Store) -> None:
    await store.snapshots.persist("wf", "r1", {"status": "running", "context": {}})
    calls = []
    for i in range(WRITERS):
        calls.append(store.snapshots.update_results("wf", "r1", step_id=f"s{i}", result=i))
    calls.append(store.snapshots.update_state("wf", "r1", status="suspended", suspended_paths={"s0": [0]}))
    calls.append(store.snapshots.update_state("wf", "r1", status="suspended", waiting_paths={"s1": [1]}))
    await asyncio.gather(*calls)
    snap = await store.snapshots.load("wf", "r1")
    assert snap == {
        "status": "suspended",
        "context": {f"s{i}": i for i in range(WRITERS)},
        "suspendedPaths": {"s0": [0]},
        "waitingPaths": {"s1": [1]},
    }
    run = await store.snapshots.get_run("r1")
    assert run is not None and run.status == "suspended"


async def test_concurrent_updates_across_tenants_and_runs(store: Store) -> None:
    async def work(tenant: str, run: str, i: int) -> None:
        with rawstore.tenant(tenant):
            await store.snapshots.update_results("wf", run, step_id=f"s{i}", result=tenant)

    await asyncio.gather(*(work(t, r, i) for t in ("a", "b") for r in ("r1", "r2") for i in range(3)))
    for t in ("a", "b"):
        with rawstore.tenant(t):
            for r in ("r1", "r2"):
                assert (await store.snapshots.load("wf", r))["context"] == {f"s{i}": t for i in range(3)}
    assert await count(store) == 4


# -- a 50 MB snapshot ---------------------------------------------------------------------------------------

MB = 1024 * 1024


def big_snapshot(size: int) -> dict[str, Any]:
    """A snapshot shaped like a long human-in-the-loop run: many steps, each with a large text output."""
    chunk = ("The quick brown fox jumps over the lazy dog. " * 226)[:10_000] + " — naïve ✓"
    steps = size // (len(chunk.encode()) + 60)
    return {
        "status": "suspended",
        "runId": "big",
        "context": {f"step-{i:05}": {"status": "success", "output": {"text": chunk, "n": i}} for i in range(steps)},
        "suspendedPaths": {"approve": [steps - 1]},
        "requestContext": {},
    }


async def test_a_50_mb_snapshot_persists_and_loads(store: Store) -> None:
    snap = big_snapshot(50 * MB)
    size = len(encode_json(snap, "snapshot").encode())
    assert 49 * MB < size < 51 * MB
    stored = await store.snapshots.persist("wf", "big", snap, resource_id="user")
    assert stored.status == "suspended"
    assert await store.snapshots.load("wf", "big") == snap
    # A listing without snapshots does not carry it; with one it does.
    page = await store.snapshots.list_runs(resource_id="user")
    assert [(r.run_id, r.snapshot) for r in page.items] == [("big", None)]

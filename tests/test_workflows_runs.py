"""Conformance: workflow runs (`store.workflows`), on every backend."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import rawstore
from rawstore import Conflict, InvalidInput, NotFound, Status, Store, WorkflowRun

T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)

JSON_VALUES: dict[str, Any] = {
    "nested": {"a": [1, 2.5, None, True, False, "x"], "b": {"c": {"d": []}}},
    "unicode": "héllo wörld — 日本語 🎉 \u2028 'single' \"double\" \\back\\slash",
    "empty": {},
    "big": 2**53 + 1,
    "neg": -0.5,
}


async def _run(store: Store, **kw: Any) -> WorkflowRun:
    args: dict[str, Any] = {"workflow_id": "wf-1", "workflow_name": "Ingest", "workflow_type": "ingest", "input": {}}
    args.update(kw)
    return await store.workflows.create_run(**args)


async def _all_runs(store: Store) -> list[WorkflowRun]:
    out: list[WorkflowRun] = []
    for s in Status:
        out.extend(await store.workflows.get_runs_by_status(s))
    return out


# -- create / get ---------------------------------------------------------------------------------------


async def test_create_run_defaults(store: Store) -> None:
    run = await _run(store, input={"doc": 1})
    assert uuid.UUID(run.id).version == 7
    assert (run.status, run.priority, run.config, run.version) == (Status.PENDING, 5, {}, 1)
    assert type(run.status) is Status
    assert (run.started_at, run.completed_at, run.duration, run.output, run.metadata) == (None,) * 5
    assert (run.total_cost, run.total_tokens) == (0.0, 0)
    assert run.created_at == run.updated_at
    assert run.created_at.tzinfo is not None and run.created_at.utcoffset() == timedelta(0)
    assert await store.workflows.get_run(run.id) == run


async def test_create_run_round_trips_every_field(store: Store) -> None:
    run = await store.workflows.create_run(
        id="run-1",
        workflow_id="wf",
        workflow_name="Name with ünïcode",
        workflow_type="etl",
        input=JSON_VALUES,
        config=[1, "two", None],
        priority=-3,
        metadata={"owner": "ops", "tags": ["a"]},
    )
    assert (run.id, run.workflow_id, run.workflow_name, run.workflow_type) == (
        "run-1",
        "wf",
        "Name with ünïcode",
        "etl",
    )
    assert run.input == JSON_VALUES and run.config == [1, "two", None]
    assert run.priority == -3 and run.metadata == {"owner": "ops", "tags": ["a"]}
    assert await store.workflows.get_run("run-1") == run


async def test_input_may_be_any_json_value_including_null(store: Store) -> None:
    for value in (None, "text", 3, [1, {"a": None}], True):
        run = await _run(store, input=value)
        got = await store.workflows.get_run(run.id)
        assert got is not None and got.input == value


async def test_duplicate_run_id_is_a_conflict(store: Store) -> None:
    first = await _run(store, id="dup", input={"v": 1})
    with pytest.raises(Conflict):
        await _run(store, id="dup", input={"v": 2})
    assert await store.workflows.get_run("dup") == first


async def test_get_missing_run(store: Store) -> None:
    assert await store.workflows.get_run("nope") is None
    assert await store.workflows.get_run_status("nope") is None


async def test_get_run_status(store: Store) -> None:
    run = await _run(store)
    assert await store.workflows.get_run_status(run.id) is Status.PENDING
    await store.workflows.update_run(run.id, status=Status.SUSPENDED)
    assert await store.workflows.get_run_status(run.id) is Status.SUSPENDED


BAD_CREATE: list[dict[str, Any]] = [
    {"workflow_id": ""},
    {"workflow_id": 5},
    {"workflow_id": "x" * 256},
    {"workflow_name": "   "},
    {"workflow_name": "n" * 256},
    {"workflow_type": None},
    {"workflow_type": "a\x00b"},
    {"input": {"bad": object()}},
    {"input": "nul \x00 inside"},
    {"config": {"c": 1j}},
    {"priority": "5"},
    {"priority": True},
    {"priority": 2**31},
    {"id": ""},
    {"id": 7},
    {"metadata": ["not", "a", "dict"]},
    {"metadata": {1: "int key"}},
]


@pytest.mark.parametrize("bad", BAD_CREATE, ids=lambda d: next(iter(d)))
async def test_create_run_rejects_bad_input_and_writes_nothing(store: Store, bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        await _run(store, **bad)
    assert await _all_runs(store) == []


async def test_create_run_unknown_keyword_is_a_type_error(store: Store) -> None:
    with pytest.raises(TypeError):
        await _run(store, status="RUNNING")


# -- get_runs_by_status -----------------------------------------------------------------------------------


async def test_runs_by_status_oldest_first(store: Store) -> None:
    ids = []
    for i in range(5):
        # Reverse-sorted ids: the order must come from created_at, not from the id.
        ids.append((await _run(store, id=f"r{9 - i}")).id)
        await asyncio.sleep(0.003)  # SQLite's clock has millisecond resolution
    await _run(store, id="other")
    await store.workflows.update_run("other", status="RUNNING")
    pending = await store.workflows.get_runs_by_status(Status.PENDING)
    assert [r.id for r in pending] == ids
    assert [r.id for r in await store.workflows.get_runs_by_status("PENDING", limit=2)] == ids[:2]
    assert [r.id for r in await store.workflows.get_runs_by_status("RUNNING")] == ["other"]
    assert await store.workflows.get_runs_by_status(Status.FAILED) == []


@pytest.mark.parametrize("bad", ["pending", "DONE", None, 3, Status])
async def test_status_arguments_are_checked(store: Store, bad: Any) -> None:
    run = await _run(store)
    with pytest.raises(InvalidInput):
        await store.workflows.get_runs_by_status(bad)
    with pytest.raises(InvalidInput):
        await store.workflows.update_run(run.id, status=bad)
    assert (await store.workflows.get_run(run.id)) == run


# -- update_run -----------------------------------------------------------------------------------------


async def test_update_run_sets_given_fields_and_bumps_version(store: Store) -> None:
    run = await _run(store, metadata={"m": 1})
    later = T0 + timedelta(minutes=5, microseconds=1)
    up = await store.workflows.update_run(
        run.id,
        status=Status.COMPLETED,
        started_at=T0,
        completed_at=later,
        duration=300_000,
        output={"rows": 12},
        total_cost=0.125,
        total_tokens=4096,
    )
    assert (up.status, up.started_at, up.completed_at, up.duration) == (Status.COMPLETED, T0, later, 300_000)
    assert (up.output, up.total_cost, up.total_tokens) == ({"rows": 12}, 0.125, 4096)
    assert up.version == 2 and up.updated_at >= run.updated_at and up.created_at == run.created_at
    # Untouched fields keep their values.
    assert (up.input, up.config, up.metadata, up.priority, up.workflow_name) == ({}, {}, {"m": 1}, 5, "Ingest")
    assert await store.workflows.get_run(run.id) == up


async def test_update_run_every_field(store: Store) -> None:
    run = await _run(store)
    up = await store.workflows.update_run(
        run.id,
        workflow_id="wf-2",
        workflow_name="Renamed",
        workflow_type="other",
        input=[1],
        config={"c": True},
        priority=9,
        metadata={"k": "v"},
    )
    assert (up.workflow_id, up.workflow_name, up.workflow_type) == ("wf-2", "Renamed", "other")
    assert (up.input, up.config, up.priority, up.metadata) == ([1], {"c": True}, 9, {"k": "v"})


async def test_update_run_none_clears_nullable_fields(store: Store) -> None:
    run = await _run(store, metadata={"m": 1})
    await store.workflows.update_run(run.id, started_at=T0, completed_at=T0, duration=5, output={"o": 1})
    up = await store.workflows.update_run(
        run.id, completed_at=None, duration=None, output=None, metadata=None, input=None
    )
    assert (up.completed_at, up.duration, up.output, up.metadata, up.input) == (None,) * 5
    assert up.started_at == T0 and up.version == 3


async def test_update_run_with_no_fields_only_bumps(store: Store) -> None:
    run = await _run(store)
    up = await store.workflows.update_run(run.id)
    assert up.version == 2 and up.updated_at >= run.updated_at
    assert {k: v for k, v in _fields(up).items() if k not in ("version", "updated_at")} == {
        k: v for k, v in _fields(run).items() if k not in ("version", "updated_at")
    }


def _fields(run: WorkflowRun) -> dict[str, Any]:
    return {f: getattr(run, f) for f in run.__struct_fields__}


async def test_update_run_non_utc_datetimes_are_the_same_instant(store: Store) -> None:
    run = await _run(store)
    local = T0.astimezone(timezone(timedelta(hours=-7)))
    up = await store.workflows.update_run(run.id, started_at=local)
    assert up.started_at == T0 and up.started_at is not None and up.started_at.utcoffset() == timedelta(0)


async def test_update_missing_run_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.workflows.update_run("ghost", status="RUNNING")
    with pytest.raises(NotFound):
        await store.workflows.update_run("ghost", status="RUNNING", expected_version=1)
    assert await _all_runs(store) == []


async def test_expected_version_fences_the_update(store: Store) -> None:
    run = await _run(store)
    up = await store.workflows.update_run(run.id, status="RUNNING", expected_version=1)
    assert up.version == 2
    with pytest.raises(Conflict, match="version 2"):
        await store.workflows.update_run(run.id, status="FAILED", output={"x": 1}, expected_version=1)
    assert await store.workflows.get_run(run.id) == up
    done = await store.workflows.update_run(run.id, status="COMPLETED", expected_version=2)
    assert done.version == 3 and done.status is Status.COMPLETED


BAD_UPDATE: list[dict[str, Any]] = [
    {"status": None},
    {"workflow_id": None},
    {"workflow_name": ""},
    {"config": None},
    {"total_cost": None},
    {"total_cost": float("inf")},
    {"total_cost": -1},
    {"total_cost": "1.0"},
    {"total_tokens": -1},
    {"total_tokens": 1.5},
    {"priority": None},
    {"duration": -5},
    {"duration": "10"},
    {"started_at": datetime(2025, 1, 1)},
    {"completed_at": "2025-01-01"},
    {"output": {"x": object()}},
    {"metadata": "x"},
    {"expected_version": "1"},
    {"expected_version": True},
]


@pytest.mark.parametrize("bad", BAD_UPDATE, ids=lambda d: next(iter(d)))
async def test_update_run_rejects_bad_input_and_changes_nothing(store: Store, bad: dict[str, Any]) -> None:
    run = await _run(store)
    with pytest.raises(InvalidInput):
        # A valid field next to the bad one: it must not be written either.
        await store.workflows.update_run(run.id, **({"status": "RUNNING"} | bad))
    assert await store.workflows.get_run(run.id) == run


async def test_update_run_unknown_keyword_is_a_type_error(store: Store) -> None:
    run = await _run(store)
    with pytest.raises(TypeError):
        await store.workflows.update_run(run.id, colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        await store.workflows.update_run(run.id, "RUNNING")  # type: ignore[misc]
    assert await store.workflows.get_run(run.id) == run


# -- claims ---------------------------------------------------------------------------------------------


async def test_claim_pending_run(store: Store) -> None:
    run = await _run(store)
    assert await store.workflows.claim_pending_run(run.id) is True
    got = await store.workflows.get_run(run.id)
    assert got is not None and got.status is Status.RUNNING and got.version == 2
    assert got.started_at is not None and got.started_at >= run.created_at
    assert await store.workflows.claim_pending_run(run.id) is False
    assert await store.workflows.claim_pending_run("missing") is False
    again = await store.workflows.get_run(run.id)
    assert again == got


async def test_claim_next_takes_highest_priority_then_oldest(store: Store) -> None:
    low = await _run(store, id="z-low", priority=1)
    await asyncio.sleep(0.003)
    old = await _run(store, id="y-old", priority=7)
    await asyncio.sleep(0.003)
    new = await _run(store, id="a-new", priority=7)
    await asyncio.sleep(0.003)
    running = await _run(store, id="b-running", priority=99)
    await store.workflows.update_run(running.id, status="RUNNING")
    order = []
    while (claimed := await store.workflows.claim_next_pending_run()) is not None:
        assert claimed.status is Status.RUNNING and claimed.version == 2
        assert claimed.started_at is not None and claimed.started_at >= claimed.created_at
        assert claimed.updated_at == claimed.started_at
        assert await store.workflows.get_run(claimed.id) == claimed
        order.append(claimed.id)
    assert order == [old.id, new.id, low.id]
    assert await store.workflows.claim_next_pending_run() is None


async def test_claim_next_on_empty_store(store: Store) -> None:
    assert await store.workflows.claim_next_pending_run() is None


async def test_ten_concurrent_claimers_on_three_runs(store: Store) -> None:
    """The conformance case of the issue: 10 concurrent claim_next_pending_run on 3 runs give exactly 3 winners."""
    runs = {(await _run(store, id=f"run-{i}")).id for i in range(3)}
    results = await asyncio.gather(*(store.workflows.claim_next_pending_run() for _ in range(10)))
    winners = [r.id for r in results if r is not None]
    assert len(winners) == 3 and set(winners) == runs
    assert await store.workflows.get_runs_by_status(Status.PENDING) == []
    assert all(r.version == 2 for r in await store.workflows.get_runs_by_status(Status.RUNNING))


async def test_concurrent_claim_loops_claim_each_run_once(store: Store) -> None:
    total = 30
    for i in range(total):
        await _run(store, id=f"run-{i:02}", priority=i % 3)
    claimed: list[str] = []

    async def worker() -> None:
        while (run := await store.workflows.claim_next_pending_run()) is not None:
            claimed.append(run.id)

    await asyncio.gather(*(worker() for _ in range(6)))
    assert sorted(claimed) == [f"run-{i:02}" for i in range(total)]


async def test_concurrent_claim_pending_run_has_one_winner(store: Store) -> None:
    run = await _run(store)
    results = await asyncio.gather(*(store.workflows.claim_pending_run(run.id) for _ in range(10)))
    assert results.count(True) == 1
    got = await store.workflows.get_run(run.id)
    assert got is not None and got.version == 2


async def test_concurrent_fenced_updates_have_one_winner(store: Store) -> None:
    run = await _run(store)

    async def attempt(i: int) -> int | None:
        try:
            return (await store.workflows.update_run(run.id, total_tokens=i, expected_version=1)).total_tokens
        except Conflict:
            return None

    results = await asyncio.gather(*(attempt(i) for i in range(1, 11)))
    won = [r for r in results if r is not None]
    assert len(won) == 1
    got = await store.workflows.get_run(run.id)
    assert got is not None and got.version == 2 and got.total_tokens == won[0]


async def test_unfenced_concurrent_updates_all_count(store: Store) -> None:
    run = await _run(store)
    await asyncio.gather(*(store.workflows.update_run(run.id, priority=i) for i in range(10)))
    got = await store.workflows.get_run(run.id)
    assert got is not None and got.version == 11


# -- tenancy and transactions ---------------------------------------------------------------------------


async def test_runs_are_tenant_scoped(store: Store) -> None:
    with rawstore.tenant("a"):
        run = await _run(store, id="shared-id", input={"tenant": "a"})
    with rawstore.tenant("b"):
        assert await store.workflows.get_run("shared-id") is None
        assert await store.workflows.get_run_status("shared-id") is None
        assert await store.workflows.get_runs_by_status(Status.PENDING) == []
        assert await store.workflows.claim_next_pending_run() is None
        assert await store.workflows.claim_pending_run("shared-id") is False
        with pytest.raises(NotFound):
            await store.workflows.update_run("shared-id", status="FAILED")
        other = await _run(store, id="shared-id", input={"tenant": "b"})
        assert other.input == {"tenant": "b"}
    with rawstore.tenant("a"):
        assert await store.workflows.get_run("shared-id") == run
        claimed = await store.workflows.claim_next_pending_run()
        assert claimed is not None and claimed.input == {"tenant": "a"}
    with rawstore.tenant("b"):
        assert await store.workflows.get_run_status("shared-id") is Status.PENDING


async def test_runs_inside_a_transaction_commit_or_roll_back_together(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.workflows.create_run(workflow_id="w", workflow_name="n", workflow_type="t", input={}, id="r1")
            assert await tx.workflows.get_run("r1") is not None
            raise RuntimeError("roll back")
    assert await store.workflows.get_run("r1") is None
    async with store.transaction() as tx:
        await tx.workflows.create_run(workflow_id="w", workflow_name="n", workflow_type="t", input={}, id="r2")
        # A failed kit call is its own savepoint: the transaction stays usable.
        with pytest.raises(Conflict):
            await tx.workflows.create_run(workflow_id="w", workflow_name="n", workflow_type="t", input={}, id="r2")
        with pytest.raises(NotFound):
            await tx.workflows.update_run("ghost", status="FAILED")
        claimed = await tx.workflows.claim_next_pending_run()
        assert claimed is not None and claimed.id == "r2"
    got = await store.workflows.get_run("r2")
    assert got is not None and got.status is Status.RUNNING

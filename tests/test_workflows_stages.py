"""Conformance: workflow stages (`store.workflows`), on every backend."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import rawstore
from rawstore import Conflict, InvalidInput, NotFound, Status, Store, WorkflowStage

T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


async def _run(store: Store, run_id: str = "run") -> str:
    run = await store.workflows.create_run(
        id=run_id, workflow_id="wf", workflow_name="Flow", workflow_type="flow", input={}
    )
    return run.id


async def _stage(store: Store, run_id: str, stage_id: str, group: int = 1, number: int = 1, **kw: Any) -> WorkflowStage:
    return await store.workflows.create_stage(
        workflow_run_id=run_id,
        stage_id=stage_id,
        stage_name=f"Stage {stage_id}",
        stage_number=number,
        execution_group=group,
        **kw,
    )


FULL: dict[str, Any] = {
    "status": Status.SUSPENDED,
    "attempt": 2,
    "started_at": T0,
    "completed_at": T0 + timedelta(seconds=1),
    "duration": 1000,
    "input_data": {"in": [1, 2]},
    "output_data": "out",
    "config": {"c": None},
    "suspended_state": {"batch": "b-1"},
    "resume_data": [True],
    "next_poll_at": T0 + timedelta(minutes=1),
    "poll_interval": 60_000,
    "max_wait_until": T0 + timedelta(hours=1),
    "metrics": {"tokens": 12},
    "embedding_info": {"model": "m"},
    "error_message": "héllo\nworld",
}


# -- create / get ---------------------------------------------------------------------------------------


async def test_create_stage_defaults(store: Store) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "extract")
    assert uuid.UUID(st.id).version == 7
    assert (st.workflow_run_id, st.stage_id, st.stage_name, st.stage_number, st.execution_group) == (
        run_id,
        "extract",
        "Stage extract",
        1,
        1,
    )
    assert (st.status, st.attempt, st.version) == (Status.PENDING, 0, 1)
    nullable = [f for f in FULL if f not in ("status", "attempt")]
    assert all(getattr(st, f) is None for f in nullable)
    assert st.created_at == st.updated_at and st.created_at.utcoffset() == timedelta(0)
    assert await store.workflows.get_stage(run_id, "extract") == st
    assert await store.workflows.get_stage_by_id(st.id) == st


async def test_create_stage_round_trips_every_field(store: Store) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "s", group=3, number=-2, **FULL)
    assert {f: getattr(st, f) for f in FULL} == FULL
    assert (st.stage_number, st.execution_group) == (-2, 3)
    assert await store.workflows.get_stage(run_id, "s") == st


async def test_create_stage_needs_an_existing_run(store: Store) -> None:
    with pytest.raises(NotFound):
        await _stage(store, "ghost", "s")
    await _run(store)
    assert await store.workflows.get_stages_by_run("ghost") == []


async def test_duplicate_stage_is_a_conflict_but_other_runs_may_reuse_it(store: Store) -> None:
    a = await _run(store, "a")
    b = await _run(store, "b")
    first = await _stage(store, a, "s")
    with pytest.raises(Conflict):
        await _stage(store, a, "s", group=9)
    other = await _stage(store, b, "s")
    assert other.id != first.id
    assert await store.workflows.get_stage(a, "s") == first


async def test_get_missing_stage(store: Store) -> None:
    run_id = await _run(store)
    assert await store.workflows.get_stage(run_id, "nope") is None
    assert await store.workflows.get_stage("ghost", "nope") is None
    assert await store.workflows.get_stage_by_id("nope") is None


BAD_STAGE: list[dict[str, Any]] = [
    {"stage_id": ""},
    {"stage_id": None},
    {"stage_name": ""},
    {"stage_name": 3},
    {"stage_number": "1"},
    {"stage_number": 2**31},
    {"execution_group": 1.0},
    {"execution_group": None},
    {"status": "done"},
    {"status": None},
    {"attempt": -1},
    {"attempt": None},
    {"started_at": datetime(2025, 1, 1)},
    {"next_poll_at": "soon"},
    {"duration": -1},
    {"poll_interval": True},
    {"input_data": {"x": object()}},
    {"metrics": "\x00"},
    {"error_message": 5},
    {"error_message": "x" * 1_000_001},
]


@pytest.mark.parametrize("bad", BAD_STAGE, ids=lambda d: next(iter(d)))
async def test_create_and_upsert_reject_bad_input_and_write_nothing(store: Store, bad: dict[str, Any]) -> None:
    run_id = await _run(store)
    args: dict[str, Any] = {
        "workflow_run_id": run_id,
        "stage_id": "s",
        "stage_name": "S",
        "stage_number": 1,
        "execution_group": 1,
    }
    args.update(bad)
    with pytest.raises(InvalidInput):
        await store.workflows.create_stage(**args)
    with pytest.raises(InvalidInput):
        await store.workflows.upsert_stage(**args)
    assert await store.workflows.get_stages_by_run(run_id) == []


# -- upsert ---------------------------------------------------------------------------------------------


async def test_upsert_inserts_with_create_defaults(store: Store) -> None:
    run_id = await _run(store)
    st = await store.workflows.upsert_stage(
        workflow_run_id=run_id, stage_id="s", stage_name="S", stage_number=2, execution_group=1
    )
    assert (st.status, st.attempt, st.version, st.started_at) == (Status.PENDING, 0, 1, None)
    assert await store.workflows.get_stage(run_id, "s") == st


async def test_upsert_updates_only_given_fields(store: Store) -> None:
    run_id = await _run(store)
    created = await _stage(store, run_id, "s", **FULL)
    up = await store.workflows.upsert_stage(
        workflow_run_id=run_id,
        stage_id="s",
        stage_name="Renamed",
        stage_number=5,
        execution_group=4,
        status="RUNNING",
        next_poll_at=None,
        output_data={"new": 1},
    )
    assert (up.id, up.created_at) == (created.id, created.created_at)
    assert (up.stage_name, up.stage_number, up.execution_group) == ("Renamed", 5, 4)
    assert (up.status, up.next_poll_at, up.output_data) == (Status.RUNNING, None, {"new": 1})
    assert up.version == 2 and up.updated_at >= created.updated_at
    kept = {f: v for f, v in FULL.items() if f not in ("status", "next_poll_at", "output_data")}
    assert {f: getattr(up, f) for f in kept} == kept
    assert await store.workflows.get_stage(run_id, "s") == up
    # Only the required keywords: every other field keeps its stored value, defaults are not re-applied.
    same = await store.workflows.upsert_stage(
        workflow_run_id=run_id, stage_id="s", stage_name="Renamed", stage_number=5, execution_group=4
    )
    assert same.version == 3
    assert {f: getattr(same, f) for f in FULL} == {f: getattr(up, f) for f in FULL}


async def test_upsert_of_a_missing_run_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.workflows.upsert_stage(
            workflow_run_id="ghost", stage_id="s", stage_name="S", stage_number=1, execution_group=1
        )


async def test_concurrent_upserts_make_one_stage(store: Store) -> None:
    run_id = await _run(store)

    async def upsert(i: int) -> WorkflowStage:
        return await store.workflows.upsert_stage(
            workflow_run_id=run_id, stage_id="s", stage_name="S", stage_number=1, execution_group=1, attempt=i
        )

    results = await asyncio.gather(*(upsert(i) for i in range(10)))
    assert len({r.id for r in results}) == 1
    stages = await store.workflows.get_stages_by_run(run_id)
    assert len(stages) == 1 and stages[0].version == 10
    assert sorted(r.version for r in results) == list(range(1, 11))


# -- update ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["id", "key"])
async def test_update_stage_sets_and_clears_fields(store: Store, by: str) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "s", **FULL)

    async def update(**kw: Any) -> WorkflowStage:
        if by == "id":
            return await store.workflows.update_stage(st.id, **kw)
        return await store.workflows.update_stage_by_run_and_stage_id(run_id, "s", **kw)

    up = await update(status=Status.COMPLETED, next_poll_at=None, error_message=None, output_data=[1], attempt=3)
    assert (up.status, up.next_poll_at, up.error_message, up.output_data, up.attempt) == (
        Status.COMPLETED,
        None,
        None,
        [1],
        3,
    )
    assert up.version == 2 and up.id == st.id and up.created_at == st.created_at
    kept = {
        f: v for f, v in FULL.items() if f not in ("status", "next_poll_at", "error_message", "output_data", "attempt")
    }
    assert {f: getattr(up, f) for f in kept} == kept
    renamed = await update(stage_name="N", stage_number=7, execution_group=8)
    assert (renamed.stage_name, renamed.stage_number, renamed.execution_group, renamed.version) == ("N", 7, 8, 3)
    bumped = await update()
    assert bumped.version == 4 and bumped.updated_at >= renamed.updated_at
    assert await store.workflows.get_stage_by_id(st.id) == bumped


@pytest.mark.parametrize("by", ["id", "key"])
async def test_update_stage_expected_version_and_missing(store: Store, by: str) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "s")

    async def update(**kw: Any) -> WorkflowStage:
        if by == "id":
            return await store.workflows.update_stage(st.id, **kw)
        return await store.workflows.update_stage_by_run_and_stage_id(run_id, "s", **kw)

    up = await update(status="RUNNING", expected_version=1)
    with pytest.raises(Conflict):
        await update(status="FAILED", expected_version=1)
    assert await store.workflows.get_stage_by_id(st.id) == up
    with pytest.raises(InvalidInput):
        await update(status="FAILED", stage_number="9")
    with pytest.raises(InvalidInput):
        await update(status="FAILED", stage_name=None)
    with pytest.raises(TypeError):
        await update(stage_id="other")
    assert await store.workflows.get_stage_by_id(st.id) == up
    with pytest.raises(NotFound):
        await store.workflows.update_stage("ghost", status="FAILED")
    with pytest.raises(NotFound):
        await store.workflows.update_stage_by_run_and_stage_id(run_id, "ghost", status="FAILED")
    with pytest.raises(NotFound):
        await store.workflows.update_stage_by_run_and_stage_id("ghost", "s", status="FAILED", expected_version=2)


# -- queries --------------------------------------------------------------------------------------------


async def _layout(store: Store, run_id: str) -> None:
    """Stages created out of order: (group, number, stage_id, status)."""
    layout = [
        (2, 2, "g2-b", "COMPLETED"),
        (1, 1, "g1-a", "COMPLETED"),
        (3, 1, "g3-a", "FAILED"),
        (2, 1, "g2-a", "COMPLETED"),
        (1, 2, "g1-b", "FAILED"),
        (3, 2, "g3-b", "SUSPENDED"),
        (2, 3, "g2-c", "SUSPENDED"),
    ]
    for group, number, sid, status in layout:
        await _stage(store, run_id, sid, group=group, number=number, status=status)


async def test_stages_by_run_order_filter_and_direction(store: Store) -> None:
    run_id = await _run(store)
    await _layout(store, run_id)
    other = await _run(store, "other")
    await _stage(store, other, "x")
    asc = [s.stage_id for s in await store.workflows.get_stages_by_run(run_id)]
    assert asc == ["g1-a", "g1-b", "g2-a", "g2-b", "g2-c", "g3-a", "g3-b"]
    desc = [s.stage_id for s in await store.workflows.get_stages_by_run(run_id, descending=True)]
    assert desc == asc[::-1]
    done = await store.workflows.get_stages_by_run(run_id, status=Status.COMPLETED)
    assert [s.stage_id for s in done] == ["g1-a", "g2-a", "g2-b"]
    failed = await store.workflows.get_stages_by_run(run_id, status="FAILED", descending=True)
    assert [s.stage_id for s in failed] == ["g3-a", "g1-b"]
    assert await store.workflows.get_stages_by_run("ghost") == []
    with pytest.raises(InvalidInput):
        await store.workflows.get_stages_by_run(run_id, status="failed")
    with pytest.raises(InvalidInput):
        await store.workflows.get_stages_by_run(run_id, descending="yes")  # type: ignore[arg-type]


async def test_first_and_last_stage_queries(store: Store) -> None:
    run_id = await _run(store)
    wf = store.workflows
    assert await wf.get_first_failed_stage(run_id) is None
    assert await wf.get_last_completed_stage(run_id) is None
    assert await wf.get_first_suspended_stage_ready_to_resume(run_id) is None
    await _layout(store, run_id)
    first_failed = await wf.get_first_failed_stage(run_id)
    assert first_failed is not None and first_failed.stage_id == "g1-b"
    last_done = await wf.get_last_completed_stage(run_id)
    assert last_done is not None and last_done.stage_id == "g2-b"  # ties in group 2 break on stage_number
    before3 = await wf.get_last_completed_stage_before(run_id, 3)
    assert before3 is not None and before3.stage_id == "g2-b"
    before2 = await wf.get_last_completed_stage_before(run_id, 2)  # strictly before group 2
    assert before2 is not None and before2.stage_id == "g1-a"
    assert await wf.get_last_completed_stage_before(run_id, 1) is None
    resumable = await wf.get_first_suspended_stage_ready_to_resume(run_id)
    assert resumable is not None and resumable.stage_id == "g2-c"
    # A suspended stage still waiting for its next poll is not ready.
    await wf.update_stage_by_run_and_stage_id(run_id, "g2-c", next_poll_at=T0)
    resumable = await wf.get_first_suspended_stage_ready_to_resume(run_id)
    assert resumable is not None and resumable.stage_id == "g3-b"
    with pytest.raises(InvalidInput):
        await wf.get_last_completed_stage_before(run_id, "3")  # type: ignore[arg-type]


async def test_suspended_stages_due_before(store: Store) -> None:
    a = await _run(store, "a")
    b = await _run(store, "b")
    await _stage(store, a, "late", status="SUSPENDED", next_poll_at=T0 + timedelta(minutes=10))
    await _stage(store, b, "due-2", status="SUSPENDED", next_poll_at=T0 + timedelta(minutes=1))
    await _stage(store, a, "due-1", status="SUSPENDED", next_poll_at=T0)
    await _stage(store, b, "edge", status="SUSPENDED", next_poll_at=T0 + timedelta(minutes=5))
    await _stage(store, a, "no-poll", status="SUSPENDED")
    await _stage(store, b, "running", status="RUNNING", next_poll_at=T0)
    due = await store.workflows.get_suspended_stages(T0 + timedelta(minutes=5))
    assert [s.stage_id for s in due] == ["due-1", "due-2", "edge"]  # inclusive bound, soonest first, all runs
    assert [s.stage_id for s in await store.workflows.get_suspended_stages(T0 + timedelta(minutes=5), limit=2)] == [
        "due-1",
        "due-2",
    ]
    assert await store.workflows.get_suspended_stages(T0 - timedelta(microseconds=1)) == []
    # No bound: the database's clock, which is past every next_poll_at above.
    assert [s.stage_id for s in await store.workflows.get_suspended_stages()] == ["due-1", "due-2", "edge", "late"]
    future = datetime.now(UTC) + timedelta(days=1)
    await store.workflows.update_stage_by_run_and_stage_id(a, "late", next_poll_at=future)
    assert [s.stage_id for s in await store.workflows.get_suspended_stages()] == ["due-1", "due-2", "edge"]


async def test_suspended_stages_ties_break_on_id(store: Store) -> None:
    run_id = await _run(store)
    ids = [(await _stage(store, run_id, f"s{9 - i}", status="SUSPENDED", next_poll_at=T0)).id for i in range(4)]
    got = await store.workflows.get_suspended_stages(T0)
    assert [s.id for s in got] == sorted(ids)


@pytest.mark.parametrize("bad", [{"before": datetime(2025, 1, 1)}, {"before": "now"}, {"limit": -1}, {"limit": "5"}])
async def test_suspended_stages_rejects_bad_arguments(store: Store, bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        await store.workflows.get_suspended_stages(**({"before": T0} | bad))


async def test_suspended_stages_default_limit_is_100(store: Store) -> None:
    run_id = await _run(store)
    for i in range(105):
        await _stage(store, run_id, f"s{i:03}", status="SUSPENDED", next_poll_at=T0)
    assert len(await store.workflows.get_suspended_stages(T0)) == 100
    assert len(await store.workflows.get_suspended_stages(T0, limit=1000)) == 105


# -- delete and cascades --------------------------------------------------------------------------------


async def test_delete_stage_takes_its_logs_and_unlinks_its_artifacts(store: Store) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "s")
    keep = await _stage(store, run_id, "keep")
    await store.workflows.create_log(level="INFO", message="of s", workflow_run_id=run_id, workflow_stage_id=st.id)
    await store.workflows.create_log(level="INFO", message="of keep", workflow_run_id=run_id, workflow_stage_id=keep.id)
    await store.workflows.save_artifact(
        workflow_run_id=run_id, key="k", type="ARTIFACT", data=1, workflow_stage_id=st.id
    )
    assert await store.workflows.delete_stage(st.id) is True
    assert await store.workflows.get_stage_by_id(st.id) is None
    assert [lg.message for lg in await store.workflows.list_logs(run_id)] == ["of keep"]
    arts = await store.workflows.list_artifacts(run_id)
    assert [(a.key, a.workflow_stage_id) for a in arts] == [("k", None)]
    assert await store.workflows.delete_stage(st.id) is False
    assert await store.workflows.delete_stage("never") is False
    assert [s.stage_id for s in await store.workflows.get_stages_by_run(run_id)] == ["keep"]


async def test_deleting_a_run_cascades_to_its_rows(store: Store) -> None:
    """Runs have no delete call; an application deleting one with its own SQL takes stages, logs and artifacts."""
    run_id = await _run(store)
    st = await _stage(store, run_id, "s")
    await store.workflows.create_log(level="INFO", message="m", workflow_run_id=run_id, workflow_stage_id=st.id)
    await store.workflows.save_stage_output(run_id, "flow", "s", {"o": 1})
    keep = await _run(store, "keep")
    await _stage(store, keep, "s")
    async with store.transaction() as tx:
        await tx.execute("DELETE FROM rs_workflow_runs WHERE id = :id", {"id": run_id})
    assert await store.workflows.get_stage_by_id(st.id) is None
    assert await store.workflows.list_logs(run_id) == []
    assert await store.workflows.list_artifacts(run_id) == []
    assert len(await store.workflows.get_stages_by_run(keep)) == 1


# -- tenancy --------------------------------------------------------------------------------------------


async def test_stages_are_tenant_scoped(store: Store) -> None:
    with rawstore.tenant("a"):
        run_id = await _run(store)
        st = await _stage(store, run_id, "s", status="SUSPENDED", next_poll_at=T0)
        await _stage(store, run_id, "f", status="FAILED")
    with rawstore.tenant("b"):
        wf = store.workflows
        assert await wf.get_stage(run_id, "s") is None
        assert await wf.get_stage_by_id(st.id) is None
        assert await wf.get_stages_by_run(run_id) == []
        assert await wf.get_suspended_stages(T0) == []
        assert await wf.get_first_failed_stage(run_id) is None
        assert await wf.get_stage_id_for_artifact(run_id, "s") is None
        with pytest.raises(NotFound):
            await _stage(store, run_id, "x")  # the run is another tenant's
        with pytest.raises(NotFound):
            await wf.update_stage(st.id, status="FAILED")
        assert await wf.delete_stage(st.id) is False
        await _run(store)
        mine = await _stage(store, run_id, "s")
        assert mine.id != st.id
    with rawstore.tenant("a"):
        assert await store.workflows.get_stage_by_id(st.id) == st
        assert [s.stage_id for s in await store.workflows.get_suspended_stages(T0)] == ["s"]

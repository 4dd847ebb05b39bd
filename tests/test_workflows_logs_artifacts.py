"""Conformance: workflow logs and artifacts (`store.workflows`), on every backend."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import msgspec
import pytest

import rawstore
from rawstore import ArtifactType, InvalidInput, LogLevel, NotFound, Store, WorkflowStage

UNICODE = {"text": "héllo — 日本語 🎉", "list": [1, 2.5, None, True], "nested": {"a": {"b": []}}}


async def _run(store: Store, run_id: str = "run") -> str:
    run = await store.workflows.create_run(
        id=run_id, workflow_id="wf", workflow_name="Flow", workflow_type="flow", input={}
    )
    return run.id


async def _stage(store: Store, run_id: str, stage_id: str) -> WorkflowStage:
    return await store.workflows.create_stage(
        workflow_run_id=run_id, stage_id=stage_id, stage_name=stage_id, stage_number=1, execution_group=1
    )


# -- create_log -----------------------------------------------------------------------------------------


async def test_create_log_round_trip(store: Store) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "s")
    log = await store.workflows.create_log(
        level=LogLevel.WARN, message="héllo\nwörld", workflow_run_id=run_id, workflow_stage_id=st.id, metadata=UNICODE
    )
    assert uuid.UUID(log.id).version == 7
    assert (log.level, log.message, log.workflow_run_id, log.workflow_stage_id, log.metadata) == (
        LogLevel.WARN,
        "héllo\nwörld",
        run_id,
        st.id,
        UNICODE,
    )
    assert type(log.level) is LogLevel and log.created_at.utcoffset() == timedelta(0)
    assert await store.workflows.list_logs(run_id) == [log]


async def test_log_without_run_or_stage(store: Store) -> None:
    log = await store.workflows.create_log(level="DEBUG", message="")
    assert (log.workflow_run_id, log.workflow_stage_id, log.metadata, log.message) == (None, None, None, "")


async def test_log_of_a_missing_run_or_stage_is_not_found(store: Store) -> None:
    run_id = await _run(store)
    with pytest.raises(NotFound):
        await store.workflows.create_log(level="INFO", message="m", workflow_run_id="ghost")
    with pytest.raises(NotFound):
        await store.workflows.create_log(level="INFO", message="m", workflow_run_id=run_id, workflow_stage_id="ghost")
    assert await store.workflows.list_logs(run_id) == []


BAD_LOG: list[dict[str, Any]] = [
    {"level": "info"},
    {"level": "FATAL"},
    {"level": None},
    {"level": 3},
    {"message": None},
    {"message": 5},
    {"message": "nul\x00"},
    {"message": "\ud800"},
    {"message": "x" * 1_000_001},
    {"workflow_run_id": ""},
    {"workflow_run_id": 1},
    {"workflow_stage_id": " "},
    {"metadata": "x"},
    {"metadata": {"k": object()}},
]


@pytest.mark.parametrize("bad", BAD_LOG, ids=lambda d: f"{next(iter(d))}={str(next(iter(d.values())))[:10]!r}")
async def test_bad_log_input_writes_nothing(store: Store, bad: dict[str, Any]) -> None:
    run_id = await _run(store)
    entry: dict[str, Any] = {"level": "INFO", "message": "ok", "workflow_run_id": run_id} | bad
    with pytest.raises(InvalidInput):
        await store.workflows.create_log(**entry)
    good = {"level": "INFO", "message": "good", "workflow_run_id": run_id}
    with pytest.raises(InvalidInput):
        await store.workflows.create_logs([good, good, entry, good])
    assert await store.workflows.list_logs(run_id) == []


# -- create_logs ----------------------------------------------------------------------------------------


async def test_create_logs_keeps_order_and_shares_created_at(store: Store) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "s")
    levels = list(LogLevel)
    entries: list[dict[str, Any]] = [
        {
            "level": levels[i % 4] if i % 2 else levels[i % 4].value,
            "message": f"line {i} é" if i % 3 else f"line {i}",
            "workflow_run_id": run_id,
            "workflow_stage_id": st.id if i % 5 == 0 else None,
            "metadata": {"i": i} if i % 7 == 0 else None,
        }
        for i in range(1500)
    ]
    assert await store.workflows.create_logs(entries) == 1500
    logs = await store.workflows.list_logs(run_id, limit=5000)
    assert [lg.message for lg in logs] == [e["message"] for e in entries]
    assert [lg.level for lg in logs] == [LogLevel(e["level"]) for e in entries]
    assert [lg.workflow_stage_id for lg in logs] == [e["workflow_stage_id"] for e in entries]
    assert [lg.metadata for lg in logs] == [e["metadata"] for e in entries]
    assert len({lg.created_at for lg in logs}) == 1
    assert len({lg.id for lg in logs}) == 1500


async def test_create_logs_minimal_entries_and_empty_batch(store: Store) -> None:
    assert await store.workflows.create_logs([]) == 0
    assert await store.workflows.create_logs([{"level": "INFO", "message": "no run"}]) == 1


async def test_create_logs_with_a_missing_run_writes_nothing(store: Store) -> None:
    run_id = await _run(store)
    entries = [{"level": "INFO", "message": f"m{i}", "workflow_run_id": run_id} for i in range(10)]
    entries.append({"level": "INFO", "message": "orphan", "workflow_run_id": "ghost"})
    with pytest.raises(NotFound):
        await store.workflows.create_logs(entries)
    assert await store.workflows.list_logs(run_id) == []


@pytest.mark.parametrize(
    "entries",
    [
        "not a list",
        {"level": "INFO", "message": "a dict, not a list"},
        [["level", "INFO"]],
        [{"level": "INFO"}],
        [{"level": "INFO", "message": "m", "colour": "red"}],
        [{"message": "m"}],
    ],
    ids=["string", "dict", "pairs", "no-message", "unknown-key", "no-level"],
)
async def test_create_logs_rejects_malformed_batches(store: Store, entries: Any) -> None:
    with pytest.raises(InvalidInput):
        await store.workflows.create_logs(entries)
    assert await store.workflows.create_logs([]) == 0


async def test_concurrent_log_batches_all_land(store: Store) -> None:
    run_id = await _run(store)

    async def batch(b: int) -> int:
        return await store.workflows.create_logs(
            [{"level": "INFO", "message": f"{b}-{i}", "workflow_run_id": run_id} for i in range(50)]
        )

    assert sum(await asyncio.gather(*(batch(b) for b in range(8)))) == 400
    logs = await store.workflows.list_logs(run_id)
    assert len(logs) == 400
    for b in range(8):  # each batch stays in order
        mine = [lg.message for lg in logs if lg.message.startswith(f"{b}-")]
        assert mine == [f"{b}-{i}" for i in range(50)]


# -- list_logs ------------------------------------------------------------------------------------------


async def test_list_logs_filters(store: Store) -> None:
    run_id = await _run(store)
    other = await _run(store, "other")
    s1 = await _stage(store, run_id, "s1")
    s2 = await _stage(store, run_id, "s2")
    o1 = await _stage(store, other, "s1")
    wf = store.workflows
    await wf.create_log(level="INFO", message="run", workflow_run_id=run_id)
    await asyncio.sleep(0.003)  # SQLite's clock has millisecond resolution
    await wf.create_log(level="ERROR", message="s1 error", workflow_run_id=run_id, workflow_stage_id=s1.id)
    await asyncio.sleep(0.003)
    await wf.create_log(level="INFO", message="s2 info", workflow_run_id=run_id, workflow_stage_id=s2.id)
    await asyncio.sleep(0.003)
    await wf.create_log(level="INFO", message="s1 info", workflow_run_id=run_id, workflow_stage_id=s1.id)
    await wf.create_log(level="INFO", message="other s1", workflow_run_id=other, workflow_stage_id=o1.id)
    await wf.create_log(level="INFO", message="no run")
    assert [lg.message for lg in await wf.list_logs(run_id)] == ["run", "s1 error", "s2 info", "s1 info"]
    assert [lg.message for lg in await wf.list_logs(run_id, stage_id="s1")] == ["s1 error", "s1 info"]
    assert [lg.message for lg in await wf.list_logs(run_id, level=LogLevel.INFO)] == ["run", "s2 info", "s1 info"]
    assert [lg.message for lg in await wf.list_logs(run_id, stage_id="s1", level="ERROR")] == ["s1 error"]
    assert [lg.message for lg in await wf.list_logs(run_id, limit=2)] == ["run", "s1 error"]
    assert await wf.list_logs(run_id, stage_id="missing") == []
    assert await wf.list_logs("ghost") == []
    assert await wf.list_logs(run_id, limit=0) == []
    for bad in ({"level": "warn"}, {"limit": -1}, {"stage_id": ""}, {"limit": None}):
        with pytest.raises(InvalidInput):
            await wf.list_logs(run_id, **bad)


async def test_list_logs_default_limit_is_1000(store: Store) -> None:
    run_id = await _run(store)
    await store.workflows.create_logs(
        [{"level": "INFO", "message": str(i), "workflow_run_id": run_id} for i in range(1001)]
    )
    assert len(await store.workflows.list_logs(run_id)) == 1000


# -- artifacts ------------------------------------------------------------------------------------------


def _size(value: Any) -> int:
    return len(msgspec.json.encode(value))


async def test_save_and_load_artifact(store: Store) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "s")
    art = await store.workflows.save_artifact(
        workflow_run_id=run_id,
        key="report.json",
        type=ArtifactType.ARTIFACT,
        data=UNICODE,
        workflow_stage_id=st.id,
        metadata={"mime": "application/json"},
    )
    assert (art.workflow_run_id, art.workflow_stage_id, art.key, art.type) == (
        run_id,
        st.id,
        "report.json",
        ArtifactType.ARTIFACT,
    )
    assert type(art.type) is ArtifactType
    assert art.data == UNICODE and art.metadata == {"mime": "application/json"}
    assert art.size == _size(UNICODE) and art.size > len(msgspec.json.encode(UNICODE).decode())  # bytes, not chars
    assert await store.workflows.load_artifact(run_id, "report.json") == UNICODE
    assert await store.workflows.has_artifact(run_id, "report.json") is True
    assert await store.workflows.list_artifacts(run_id) == [art]


async def test_save_artifact_replaces_and_keeps_identity(store: Store) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "s")
    first = await store.workflows.save_artifact(
        workflow_run_id=run_id, key="k", type="METADATA", data={"v": 1}, workflow_stage_id=st.id, metadata={"m": 1}
    )
    again = await store.workflows.save_artifact(workflow_run_id=run_id, key="k", type="ARTIFACT", data=[1, 2, 3])
    assert (again.id, again.created_at) == (first.id, first.created_at)
    assert (again.type, again.data, again.size, again.workflow_stage_id, again.metadata) == (
        ArtifactType.ARTIFACT,
        [1, 2, 3],
        _size([1, 2, 3]),
        None,
        None,
    )
    assert again.updated_at >= first.updated_at
    assert await store.workflows.list_artifacts(run_id) == [again]


async def test_artifact_data_may_be_any_json_value(store: Store) -> None:
    run_id = await _run(store)
    for i, value in enumerate([None, "s", 0, -1.5, [], {}, [None, {"a": "é"}], 2**60]):
        key = f"v{i}"
        art = await store.workflows.save_artifact(workflow_run_id=run_id, key=key, type="ARTIFACT", data=value)
        assert art.data == value and art.size == _size(value)
        assert await store.workflows.load_artifact(run_id, key) == value
        assert await store.workflows.has_artifact(run_id, key) is True


async def test_missing_artifacts(store: Store) -> None:
    run_id = await _run(store)
    assert await store.workflows.load_artifact(run_id, "nope") is None
    assert await store.workflows.has_artifact(run_id, "nope") is False
    assert await store.workflows.delete_artifact(run_id, "nope") is False
    assert await store.workflows.list_artifacts(run_id) == []
    assert await store.workflows.list_artifacts("ghost") == []


async def test_delete_artifact(store: Store) -> None:
    run_id = await _run(store)
    for key in ("a", "b"):
        await store.workflows.save_artifact(workflow_run_id=run_id, key=key, type="ARTIFACT", data=key)
    assert await store.workflows.delete_artifact(run_id, "a") is True
    assert await store.workflows.delete_artifact(run_id, "a") is False
    assert [a.key for a in await store.workflows.list_artifacts(run_id)] == ["b"]


async def test_list_artifacts_by_key_and_per_run(store: Store) -> None:
    run_id = await _run(store)
    other = await _run(store, "other")
    for key in ("b/2", "a", "B", "b/10", "é"):
        await store.workflows.save_artifact(workflow_run_id=run_id, key=key, type="ARTIFACT", data=key)
    await store.workflows.save_artifact(workflow_run_id=other, key="a", type="ARTIFACT", data="other")
    assert [a.key for a in await store.workflows.list_artifacts(run_id)] == ["B", "a", "b/10", "b/2", "é"]
    assert await store.workflows.load_artifact(other, "a") == "other"


async def test_artifact_link_must_be_a_stage_of_the_run(store: Store) -> None:
    run_id = await _run(store)
    other = await _run(store, "other")
    foreign = await _stage(store, other, "s")
    await store.workflows.save_artifact(workflow_run_id=run_id, key="k", type="ARTIFACT", data=1)
    with pytest.raises(NotFound):
        await store.workflows.save_artifact(
            workflow_run_id=run_id, key="k", type="ARTIFACT", data=2, workflow_stage_id=foreign.id
        )
    with pytest.raises(NotFound):
        await store.workflows.save_artifact(
            workflow_run_id=run_id, key="new", type="ARTIFACT", data=2, workflow_stage_id="ghost"
        )
    with pytest.raises(NotFound):
        await store.workflows.save_artifact(workflow_run_id="ghost", key="k", type="ARTIFACT", data=1)
    assert [(a.key, a.data) for a in await store.workflows.list_artifacts(run_id)] == [("k", 1)]


BAD_ARTIFACT: list[dict[str, Any]] = [
    {"key": ""},
    {"key": "k" * 401},
    {"key": 5},
    {"type": "artifact"},
    {"type": None},
    {"data": {"x": object()}},
    {"data": "\x00"},
    {"workflow_run_id": ""},
    {"workflow_stage_id": 3},
    {"metadata": [1]},
]


@pytest.mark.parametrize("bad", BAD_ARTIFACT, ids=lambda d: next(iter(d)))
async def test_save_artifact_rejects_bad_input_and_writes_nothing(store: Store, bad: dict[str, Any]) -> None:
    run_id = await _run(store)
    args: dict[str, Any] = {"workflow_run_id": run_id, "key": "k", "type": "ARTIFACT", "data": 1} | bad
    with pytest.raises(InvalidInput):
        await store.workflows.save_artifact(**args)
    assert await store.workflows.list_artifacts(run_id) == []


async def test_artifact_key_arguments_are_checked(store: Store) -> None:
    run_id = await _run(store)
    for call in (
        store.workflows.load_artifact,
        store.workflows.has_artifact,
        store.workflows.delete_artifact,
    ):
        with pytest.raises(InvalidInput):
            await call(run_id, "")
        with pytest.raises(InvalidInput):
            await call("", "k")


async def test_get_stage_id_for_artifact(store: Store) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "s")
    assert await store.workflows.get_stage_id_for_artifact(run_id, "s") == st.id
    assert await store.workflows.get_stage_id_for_artifact(run_id, "nope") is None
    assert await store.workflows.get_stage_id_for_artifact("ghost", "s") is None


# -- save_stage_output ----------------------------------------------------------------------------------


async def test_save_stage_output_links_the_stage(store: Store) -> None:
    run_id = await _run(store)
    st = await _stage(store, run_id, "extract")
    key = await store.workflows.save_stage_output(run_id, "etl", "extract", UNICODE)
    assert key == f"workflow-v2/etl/{run_id}/extract/output.json"
    (art,) = await store.workflows.list_artifacts(run_id)
    assert (art.key, art.type, art.data, art.size, art.workflow_stage_id) == (
        key,
        ArtifactType.STAGE_OUTPUT,
        UNICODE,
        _size(UNICODE),
        st.id,
    )
    assert await store.workflows.load_artifact(run_id, key) == UNICODE


async def test_save_stage_output_before_the_stage_exists_then_again(store: Store) -> None:
    run_id = await _run(store)
    key = await store.workflows.save_stage_output(run_id, "etl", "later", {"v": 1})
    (first,) = await store.workflows.list_artifacts(run_id)
    assert first.workflow_stage_id is None
    # An application-set metadata survives a re-save; data, size and link are replaced.
    await store.workflows.save_artifact(
        workflow_run_id=run_id, key=key, type="ARTIFACT", data=0, metadata={"pinned": True}
    )
    st = await _stage(store, run_id, "later")
    assert await store.workflows.save_stage_output(run_id, "etl", "later", [1, 2]) == key
    (again,) = await store.workflows.list_artifacts(run_id)
    assert (again.id, again.created_at) == (first.id, first.created_at)
    assert (again.type, again.data, again.size, again.workflow_stage_id, again.metadata) == (
        ArtifactType.STAGE_OUTPUT,
        [1, 2],
        _size([1, 2]),
        st.id,
        {"pinned": True},
    )


async def test_save_stage_output_errors(store: Store) -> None:
    run_id = await _run(store)
    with pytest.raises(NotFound):
        await store.workflows.save_stage_output("ghost", "etl", "s", 1)
    for args in [
        (run_id, "", "s", 1),
        (run_id, "etl", "", 1),
        ("", "etl", "s", 1),
        (run_id, "etl", "s", {"x": object()}),
        (run_id, "t" * 200, "s" * 200, 1),  # the key would exceed 400 characters
    ]:
        with pytest.raises(InvalidInput):
            await store.workflows.save_stage_output(*args)
    assert await store.workflows.list_artifacts(run_id) == []


async def test_concurrent_stage_outputs_keep_one_artifact(store: Store) -> None:
    run_id = await _run(store)
    await _stage(store, run_id, "s")
    await asyncio.gather(*(store.workflows.save_stage_output(run_id, "etl", "s", {"i": i}) for i in range(10)))
    arts = await store.workflows.list_artifacts(run_id)
    assert len(arts) == 1 and arts[0].data["i"] in range(10)


async def test_save_stage_output_inside_a_rolled_back_transaction(store: Store) -> None:
    run_id = await _run(store)
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.workflows.save_stage_output(run_id, "etl", "s", 1)
            await tx.workflows.create_logs([{"level": "INFO", "message": "m", "workflow_run_id": run_id}])
            assert await tx.workflows.has_artifact(run_id, f"workflow-v2/etl/{run_id}/s/output.json")
            raise RuntimeError("roll back")
    assert await store.workflows.list_artifacts(run_id) == []
    assert await store.workflows.list_logs(run_id) == []


@pytest.mark.backends("postgres", "pgbouncer")
async def test_postgres_stage_link_is_a_foreign_key(store: Store) -> None:
    """Only PostgreSQL can SET NULL one column of a composite key: a stage deleted by the application's own SQL
    unlinks its artifacts there too (elsewhere delete_stage does it)."""
    run_id = await _run(store)
    st = await _stage(store, run_id, "s")
    await store.workflows.save_artifact(
        workflow_run_id=run_id, key="k", type="ARTIFACT", data=1, workflow_stage_id=st.id
    )
    async with store.transaction() as tx:
        await tx.execute("DELETE FROM rs_workflow_stages WHERE id = :id", {"id": st.id})
    (art,) = await store.workflows.list_artifacts(run_id)
    assert art.workflow_stage_id is None


# -- tenancy --------------------------------------------------------------------------------------------


async def test_logs_and_artifacts_are_tenant_scoped(store: Store) -> None:
    with rawstore.tenant("a"):
        run_id = await _run(store)
        st = await _stage(store, run_id, "s")
        await store.workflows.create_logs([{"level": "INFO", "message": "a", "workflow_run_id": run_id}])
        await store.workflows.save_stage_output(run_id, "etl", "s", {"tenant": "a"})
    key = f"workflow-v2/etl/{run_id}/s/output.json"
    with rawstore.tenant("b"):
        wf = store.workflows
        assert await wf.list_logs(run_id) == []
        assert await wf.list_artifacts(run_id) == []
        assert await wf.load_artifact(run_id, key) is None
        assert await wf.has_artifact(run_id, key) is False
        assert await wf.delete_artifact(run_id, key) is False
        with pytest.raises(NotFound):
            await wf.create_log(level="INFO", message="x", workflow_run_id=run_id)
        with pytest.raises(NotFound):
            await wf.create_logs([{"level": "INFO", "message": "x", "workflow_stage_id": st.id}])
        with pytest.raises(NotFound):
            await wf.save_stage_output(run_id, "etl", "s", {"tenant": "b"})
        with pytest.raises(NotFound):
            await wf.save_artifact(workflow_run_id=run_id, key=key, type="ARTIFACT", data=1)
    with rawstore.tenant("a"):
        assert await store.workflows.load_artifact(run_id, key) == {"tenant": "a"}
        assert [lg.message for lg in await store.workflows.list_logs(run_id)] == ["a"]

"""Near-equal keys: strings that differ only by a trailing space, case, Unicode normal form or a NUL never meet.

The README promises that tenants and ids compare byte-wise on every database. A collation that pads (MariaDB's
utf8mb4_bin is PAD SPACE), folds case or normalises would let tenant "x " read tenant "x"'s rows, and id "a " read or
overwrite id "a". Every domain table with a text key is covered: memory threads/messages/resources, workflow
runs/stages/logs/artifacts, jobs (dequeue, counts, unique_key, queues) and AI calls/batches. A row written under key
or tenant A is never visible under a near-equal B, and both can be written independently. NUL characters cannot be
stored by PostgreSQL, so the kit rejects them everywhere: that is tested to be a clean InvalidInput with nothing
written.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import rawstore
from rawstore import AICall, Message, Resource, Status, Store, Thread, tenant
from tests import dbs

# Each example runs on the same (function-scoped) store, so every example works in a namespace of its own: a fresh
# salt leads each tenant and key, and the near-equal difference is in the part after it.
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TRANSFORMS: dict[str, Callable[[str], str]] = {
    "trailing space": lambda s: s + " ",
    "two trailing spaces": lambda s: s + "  ",
    "trailing tab": lambda s: s + "\t",
    "trailing no-break space": lambda s: s + "\u00a0",
    "upper": str.upper,
    "lower": str.lower,
    "swapcase": str.swapcase,
    "NFC": lambda s: unicodedata.normalize("NFC", s),
    "NFD": lambda s: unicodedata.normalize("NFD", s),
    "NFKC": lambda s: unicodedata.normalize("NFKC", s),
}
# Letters whose case or normal forms differ (é precomposed and e + combining acute, ß, İ, ǅ, ﬁ), a space inside the
# string, and a character outside the BMP.
ALPHABET = [*"aAzZ09-_.", "\u00e9", "e\u0301", "\u00df", "\u0130", "\u01c5", "\ufb01", " ", "\U0001f600"]
BASES = st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=5).map("".join)


def _pair(base: str, pick: int, swap: bool) -> tuple[str, str]:
    # Only the transforms that change this base (the trailing ones always do), so no draw is wasted.
    others = [t(base) for _, t in sorted(TRANSFORMS.items()) if t(base) != base]
    other = others[pick % len(others)]
    return (other, base) if swap else (base, other)


PAIRS = st.builds(_pair, BASES, st.integers(0, len(TRANSFORMS) - 1), st.booleans())
# The reported cases, and one of each kind, on every run.
EXPLICIT = [
    ("padX", "padX "),
    ("id-a ", "id-a"),
    ("a", "a  "),
    ("Abc", "abc"),
    ("caf\u00e9", "cafe\u0301"),
    ("x", "x\t"),
    ("k", "k\u00a0"),
]


def _examples(test: Any) -> Any:
    for a, b in EXPLICIT:
        test = example(pair=(a, b))(test)
    return test


def _salt() -> str:
    return uuid.uuid4().hex[:8]


def _call(label: str, call_id: str, topic: str = "topic", model_key: str = "model") -> AICall:
    return AICall(topic, "chat", model_key, "model-id", "prompt", label, 1, 2, 0.25, id=call_id)


# --- tenants -----------------------------------------------------------------------------------------------------


async def _write_world(store: Store, label: str) -> dict[str, str]:
    """One row in every kit table under the current tenant, with the same fixed ids whatever the tenant."""
    await store.memory.save_resource(Resource("r", working_memory=label))
    await store.memory.save_thread(Thread("t", "r", title=label))
    await store.memory.save_messages([Message("m", "t", "user", label)])
    await store.workflows.create_run(
        id="run", workflow_id="wf", workflow_name="name", workflow_type="type", input=label
    )
    stage = await store.workflows.create_stage(
        workflow_run_id="run", stage_id="s", stage_name=label, stage_number=1, execution_group=1
    )
    await store.workflows.create_log(level="INFO", message=label, workflow_run_id="run", workflow_stage_id=stage.id)
    await store.workflows.save_artifact(workflow_run_id="run", key="k", type="ARTIFACT", data=label)
    job_id = await store.jobs.enqueue(workflow_run_id="run", stage_id="s", payload=label, queue="q", unique_key="u")
    assert await store.ai_calls.log_batch_results("b", [_call(label, "call")]) is True
    return {"stage": stage.id, "job": job_id}


def _zero() -> dict[Status, int]:
    return dict.fromkeys(Status, 0)


async def _assert_nothing(store: Store, other: dict[str, str]) -> None:
    """The current tenant sees none of the rows another tenant wrote (`other`: that tenant's generated ids)."""
    m, w, j, ai = store.memory, store.workflows, store.jobs, store.ai_calls
    assert await m.get_resource("r") is None
    assert await m.get_thread("t") is None
    assert (await m.list_threads("r")).items == []
    assert await m.get_messages(["m"]) == []
    assert await w.get_run("run") is None
    assert await w.get_runs_by_status("PENDING") == []
    assert await w.get_stage("run", "s") is None
    assert await w.get_stage_by_id(other["stage"]) is None
    assert await w.get_stages_by_run("run") == []
    assert await w.list_logs("run") == []
    assert await w.load_artifact("run", "k") is None
    assert await w.has_artifact("run", "k") is False
    assert await w.list_artifacts("run") == []
    assert await j.get_job(other["job"]) is None
    assert await j.counts() == _zero()
    assert await j.counts("q") == _zero()
    assert await ai.is_recorded("b") is False
    assert await ai.get_call("call") is None
    assert (await ai.list_calls("topic")).items == []
    assert (await ai.get_stats()).total_calls == 0
    # Claims last: under a colliding tenant they would take the other tenant's run and job.
    assert await w.claim_next_pending_run() is None
    assert await j.dequeue(worker_id="w") is None
    assert await j.dequeue(worker_id="w", queue="q") is None


async def _assert_world(store: Store, label: str, ids: dict[str, str]) -> None:
    """The current tenant sees exactly its own rows, as it wrote them, and nothing was claimed."""
    m, w, j, ai = store.memory, store.workflows, store.jobs, store.ai_calls
    res = await m.get_resource("r")
    assert res is not None and res.working_memory == label
    th = await m.get_thread("t")
    assert th is not None and th.title == label
    assert [t.title for t in (await m.list_threads("r")).items] == [label]
    assert [x.content for x in await m.get_messages(["m"])] == [label]
    assert [x.content for x in (await m.list_messages("t")).items] == [label]
    run = await w.get_run("run")
    assert run is not None and run.input == label and run.status == Status.PENDING
    assert [r.input for r in await w.get_runs_by_status("PENDING")] == [label]
    stages = await w.get_stages_by_run("run")
    assert [(s.id, s.stage_name) for s in stages] == [(ids["stage"], label)]
    assert [x.message for x in await w.list_logs("run")] == [label]
    assert [x.message for x in await w.list_logs("run", stage_id="s")] == [label]
    assert await w.load_artifact("run", "k") == label
    assert [a.data for a in await w.list_artifacts("run")] == [label]
    job = await j.get_job(ids["job"])
    assert job is not None and job.payload == label and job.status == Status.PENDING
    assert await j.counts() == {**_zero(), Status.PENDING: 1}
    assert await j.counts("q") == {**_zero(), Status.PENDING: 1}
    assert await ai.is_recorded("b") is True
    call = await ai.get_call("call")
    assert call is not None and call.response == label
    assert [c.response for c in (await ai.list_calls("topic")).items] == [label]
    assert (await ai.get_stats()).total_calls == 1


async def _claim_own(store: Store, label: str, ids: dict[str, str]) -> None:
    """Claims in the current tenant take its own run and job, and then nothing more."""
    run = await store.workflows.claim_next_pending_run()
    assert run is not None and (run.id, run.input) == ("run", label)
    assert await store.workflows.claim_next_pending_run() is None
    job = await store.jobs.dequeue(worker_id="w", queue="q")
    assert job is not None and (job.id, job.payload) == (ids["job"], label)
    assert await store.jobs.dequeue(worker_id="w") is None
    assert await store.jobs.counts() == {**_zero(), Status.RUNNING: 1}


@SETTINGS
@given(pair=PAIRS)
@_examples
async def test_near_equal_tenants_are_separate(store: Store, pair: tuple[str, str]) -> None:
    salt = _salt()
    ta, tb = salt + pair[0], salt + pair[1]
    with tenant(ta):
        ids_a = await _write_world(store, "A")
    with tenant(tb):
        await _assert_nothing(store, ids_a)
        # The same ids under the other tenant are new rows: no Conflict, no unique_key dedupe across tenants.
        ids_b = await _write_world(store, "B")
        assert ids_b["job"] != ids_a["job"]
        await _assert_world(store, "B", ids_b)
    with tenant(ta):
        await _assert_world(store, "A", ids_a)
        await _claim_own(store, "A", ids_a)
    with tenant(tb):
        await _claim_own(store, "B", ids_b)


# --- ids within one tenant ---------------------------------------------------------------------------------------


async def _memory_ids(store: Store, a: str, b: str) -> None:
    m = store.memory
    await m.save_resource(Resource("r" + a, working_memory="A"))
    assert await m.get_resource("r" + b) is None
    await m.save_resource(Resource("r" + b, working_memory="B"))
    ra, rb = await m.get_resource("r" + a), await m.get_resource("r" + b)
    assert ra is not None and (ra.id, ra.working_memory) == ("r" + a, "A")
    assert rb is not None and (rb.id, rb.working_memory) == ("r" + b, "B")

    await m.save_thread(Thread("t" + a, "o" + a, title="A"))
    assert await m.get_thread("t" + b) is None
    assert (await m.list_threads("o" + b)).items == []
    await m.save_thread(Thread("t" + b, "o" + b, title="B"))
    for key, label in ((a, "A"), (b, "B")):
        th = await m.get_thread("t" + key)
        assert th is not None and (th.id, th.resource_id, th.title) == ("t" + key, "o" + key, label)
        assert [(x.id, x.title) for x in (await m.list_threads("o" + key)).items] == [("t" + key, label)]
        # The resource_id filter of get_thread compares exactly too.
        assert await m.get_thread("t" + key, resource_id="o" + (b if key == a else a)) is None

    await m.save_messages([Message("m" + a, "t" + a, "user", "A")])
    assert await m.get_messages(["m" + b]) == []
    assert (await m.list_messages("t" + b)).items == []
    # Saving "m"+b must add a message, not update "m"+a (an upsert keyed on a padded id would overwrite it).
    await m.save_messages([Message("m" + b, "t" + b, "user", "B")])
    for key, label in ((a, "A"), (b, "B")):
        got = await m.get_messages(["m" + key])
        assert [(x.id, x.thread_id, x.content) for x in got] == [("m" + key, "t" + key, label)]
        assert [x.id for x in (await m.list_messages("t" + key)).items] == ["m" + key]
    assert await m.delete_messages(["m" + b]) == 1
    assert [x.content for x in await m.get_messages(["m" + a])] == ["A"]


async def _workflow_ids(store: Store, a: str, b: str, fold: Callable[[str], str]) -> None:
    w = store.workflows
    run_a = await w.create_run(id="w" + a, workflow_id="f" + a, workflow_name="n", workflow_type="y", input="A")
    assert await w.get_run("w" + b) is None
    await w.create_run(id="w" + b, workflow_id="f" + b, workflow_name="n", workflow_type="y", input="B")
    for key, label in ((a, "A"), (b, "B")):
        got = await w.get_run("w" + key)
        assert got is not None and (got.id, got.workflow_id, got.input) == ("w" + key, "f" + key, label)

    sa = await w.create_stage(
        workflow_run_id=run_a.id, stage_id="s" + a, stage_name="A", stage_number=1, execution_group=1
    )
    assert await w.get_stage(run_a.id, "s" + b) is None
    assert await w.get_stages_by_run("w" + b) == []
    assert await w.get_stage_by_id(fold(sa.id)) is None
    sb = await w.create_stage(
        workflow_run_id=run_a.id, stage_id="s" + b, stage_name="B", stage_number=2, execution_group=1
    )
    assert sorted((s.stage_id, s.stage_name) for s in await w.get_stages_by_run(run_a.id)) == sorted(
        [("s" + a, "A"), ("s" + b, "B")]
    )

    await w.create_log(level="INFO", message="A", workflow_run_id=run_a.id, workflow_stage_id=sa.id)
    assert await w.list_logs("w" + b) == []
    assert await w.list_logs(run_a.id, stage_id="s" + b) == []
    await w.create_log(level="INFO", message="B", workflow_run_id=run_a.id, workflow_stage_id=sb.id)
    assert [x.message for x in await w.list_logs(run_a.id, stage_id="s" + a)] == ["A"]
    assert [x.message for x in await w.list_logs(run_a.id, stage_id="s" + b)] == ["B"]

    await w.save_artifact(workflow_run_id=run_a.id, key="k" + a, type="ARTIFACT", data="A")
    assert await w.load_artifact(run_a.id, "k" + b) is None
    assert await w.has_artifact(run_a.id, "k" + b) is False
    assert await w.load_artifact("w" + b, "k" + a) is None
    # A second key is a second artifact, not a replacement of the first.
    await w.save_artifact(workflow_run_id=run_a.id, key="k" + b, type="ARTIFACT", data="B")
    arts = await w.list_artifacts(run_a.id)
    assert sorted((x.key, x.data) for x in arts) == sorted([("k" + a, "A"), ("k" + b, "B")])
    assert await w.load_artifact(run_a.id, "k" + a) == "A"
    assert await w.delete_artifact(run_a.id, "k" + b) is True
    assert await w.load_artifact(run_a.id, "k" + a) == "A"


async def _job_ids(store: Store, a: str, b: str, fold: Callable[[str], str]) -> None:
    j = store.jobs
    run = "j" + a
    await store.workflows.create_run(id=run, workflow_id="f", workflow_name="n", workflow_type="y", input=None)
    await store.workflows.create_run(id="j" + b, workflow_id="f", workflow_name="n", workflow_type="y", input=None)
    ja = await j.enqueue(workflow_run_id=run, stage_id="s", payload="A", queue="q" + a, unique_key="u" + a)
    assert await j.get_job(fold(ja)) is None
    assert await j.counts("q" + b) == _zero()
    assert await j.dequeue(worker_id="w", queue="q" + b) is None
    assert await j.cancel_by_run("j" + b) == 0
    # A near-equal unique key is another key: a new job, not the holder's id.
    jb = await j.enqueue(workflow_run_id=run, stage_id="s", payload="B", queue="q" + b, unique_key="u" + b)
    assert jb != ja
    assert await j.enqueue(workflow_run_id=run, stage_id="s", unique_key="u" + a) == ja
    assert await j.enqueue(workflow_run_id=run, stage_id="s", unique_key="u" + b) == jb
    many = await j.enqueue_many(
        [
            {"workflow_run_id": run, "stage_id": "s", "unique_key": "v" + a},
            {"workflow_run_id": run, "stage_id": "s", "unique_key": "v" + b},
            {"workflow_run_id": run, "stage_id": "s", "unique_key": "u" + b},
        ]
    )
    assert len(set(many[:2])) == 2 and many[2] == jb and not {ja, jb} & set(many[:2])
    for key, job_id, label in ((a, ja, "A"), (b, jb, "B")):
        got = await j.get_job(job_id)
        assert got is not None and (got.queue, got.unique_key, got.payload) == ("q" + key, "u" + key, label)
        assert await j.counts("q" + key) == {**_zero(), Status.PENDING: 1}
    claimed = await j.dequeue(worker_id="w", queue="q" + b)
    assert claimed is not None and claimed.id == jb
    assert await j.dequeue(worker_id="w", queue="q" + b) is None
    got_a = await j.get_job(ja)
    assert got_a is not None and got_a.status == Status.PENDING


async def _ai_ids(store: Store, a: str, b: str) -> None:
    ai = store.ai_calls
    assert await ai.log_batch_results("b" + a, [_call("A", "c" + a, topic="x" + a, model_key="k" + a)]) is True
    assert await ai.is_recorded("b" + b) is False
    assert await ai.get_call("c" + b) is None
    assert (await ai.list_calls("x" + b)).items == []
    assert await ai.log_batch_results("b" + b, [_call("B", "c" + b, topic="x" + b, model_key="k" + b)]) is True
    ai.log_call(_call("A2", "d" + a))
    ai.log_call(_call("B2", "d" + b))
    await ai.flush()
    for key, label in ((a, "A"), (b, "B")):
        got = await ai.get_call("c" + key)
        assert got is not None and (got.id, got.topic, got.model_key, got.response) == (
            "c" + key,
            "x" + key,
            "k" + key,
            label,
        )
        assert [c.id for c in (await ai.list_calls("x" + key)).items] == ["c" + key]
        d = await ai.get_call("d" + key)
        assert d is not None and d.response == label + "2"
    stats = await ai.get_stats()
    assert {k: s.calls for k, s in stats.per_model.items()} == {"k" + a: 1, "k" + b: 1, "model": 2}


def _folder(a: str, b: str) -> Callable[[str], str]:
    """A near-equal change like the one between a and b, for a generated id (a lowercase UUID): the same change
    where it alters the id, else upper case, else a trailing space."""
    f = next((t for t in TRANSFORMS.values() if t(a) == b or t(b) == a), TRANSFORMS["trailing space"])

    def fold(s: str) -> str:
        for candidate in (f(s), s.upper(), s + " "):
            if candidate != s:
                return candidate
        raise AssertionError("unreachable")  # pragma: no cover

    return fold


@SETTINGS
@given(pair=PAIRS)
@_examples
async def test_near_equal_ids_are_separate(store: Store, pair: tuple[str, str]) -> None:
    salt = _salt()
    a, b = salt + pair[0], salt + pair[1]
    fold = _folder(*pair)
    with tenant("ids-" + salt):
        await _memory_ids(store, a, b)
        await _workflow_ids(store, a, b, fold)
        await _job_ids(store, a, b, fold)
        await _ai_ids(store, a, b)


# --- NUL ---------------------------------------------------------------------------------------------------------

KIT_TABLES = (
    "rs_threads",
    "rs_messages",
    "rs_resources",
    "rs_workflow_runs",
    "rs_workflow_stages",
    "rs_workflow_logs",
    "rs_workflow_artifacts",
    "rs_jobs",
    "rs_ai_calls",
    "rs_ai_batches",
)

NUL = "k\x00"
NulCall = Callable[[Store], Awaitable[Any]]
NUL_CALLS: dict[str, NulCall] = {
    "save_resource": lambda s: s.memory.save_resource(Resource(NUL)),
    "get_resource": lambda s: s.memory.get_resource(NUL),
    "save_thread id": lambda s: s.memory.save_thread(Thread(NUL, "r")),
    "save_thread resource_id": lambda s: s.memory.save_thread(Thread("t2", NUL)),
    "get_thread": lambda s: s.memory.get_thread(NUL),
    "list_threads": lambda s: s.memory.list_threads(NUL),
    "save_messages id": lambda s: s.memory.save_messages([Message(NUL, "t", "user", "x")]),
    "save_messages thread_id": lambda s: s.memory.save_messages([Message("m2", NUL, "user", "x")]),
    "get_messages": lambda s: s.memory.get_messages([NUL]),
    "create_run": lambda s: s.workflows.create_run(
        id=NUL, workflow_id="f", workflow_name="n", workflow_type="y", input=None
    ),
    "get_run": lambda s: s.workflows.get_run(NUL),
    "create_stage": lambda s: s.workflows.create_stage(
        workflow_run_id="run", stage_id=NUL, stage_name="n", stage_number=1, execution_group=1
    ),
    "get_stage": lambda s: s.workflows.get_stage("run", NUL),
    "create_log": lambda s: s.workflows.create_log(level="INFO", message="x", workflow_run_id=NUL),
    "list_logs": lambda s: s.workflows.list_logs(NUL),
    "save_artifact": lambda s: s.workflows.save_artifact(workflow_run_id="run", key=NUL, type="ARTIFACT", data=1),
    "load_artifact": lambda s: s.workflows.load_artifact("run", NUL),
    "enqueue unique_key": lambda s: s.jobs.enqueue(workflow_run_id="run", stage_id="s", unique_key=NUL),
    "enqueue queue": lambda s: s.jobs.enqueue(workflow_run_id="run", stage_id="s", queue=NUL),
    "enqueue_many": lambda s: s.jobs.enqueue_many(
        [{"workflow_run_id": "run", "stage_id": "s"}, {"workflow_run_id": "run", "stage_id": "s", "unique_key": NUL}]
    ),
    "get_job": lambda s: s.jobs.get_job(NUL),
    "counts": lambda s: s.jobs.counts(NUL),
    "dequeue": lambda s: s.jobs.dequeue(worker_id="w", queue=NUL),
    "log_batch_results batch_id": lambda s: s.ai_calls.log_batch_results(NUL, []),
    "log_batch_results call id": lambda s: s.ai_calls.log_batch_results("b2", [_call("x", NUL)]),
    "is_recorded": lambda s: s.ai_calls.is_recorded(NUL),
    "get_call": lambda s: s.ai_calls.get_call(NUL),
    "list_calls": lambda s: s.ai_calls.list_calls(NUL),
}


async def _row_counts(store: Store) -> dict[str, int]:
    out: dict[str, int] = {}
    async with store.transaction() as tx:
        for table in KIT_TABLES:
            rows = await tx.fetch(f"SELECT count(*) FROM {table}")
            out[table] = int(rows[0][0])
    return out


@pytest.mark.parametrize("where", ["tenant", "key"])
async def test_nul_is_rejected_before_anything_is_written(store: Store, where: str) -> None:
    with tenant("nul"):
        ids = await _write_world(store, "A")
    before = await _row_counts(store)
    if where == "tenant":
        for bad in ("nul\x00", "\x00", "nul\x00 "):
            with pytest.raises(rawstore.InvalidInput, match="NUL"), tenant(bad):
                pass
    else:
        with tenant("nul"):
            for name, call in NUL_CALLS.items():
                with pytest.raises(rawstore.InvalidInput, match="NUL") as info:
                    await call(store)
                assert isinstance(info.value, rawstore.RawstoreError), name
            with pytest.raises(rawstore.InvalidInput, match="NUL"):
                store.ai_calls.log_call(_call("x", NUL))
            await store.ai_calls.flush()
    assert await _row_counts(store) == before
    with tenant("nul"):
        await _assert_world(store, "A", ids)


# --- the schema: every indexed text column compares byte-wise ----------------------------------------------------

_PG_INDEXED_TEXT = r"""
SELECT t.relname, ic.relname, a.attname, coll.collname
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ON true
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
  LEFT JOIN pg_collation coll ON coll.oid = (i.indcollation::oid[])[k.ord - 1]
 WHERE n.nspname = 'public' AND t.relname LIKE 'rs\_%' AND t.relname NOT LIKE 'rs\_yoyo%'
   AND a.atttypid IN ('text'::regtype, 'varchar'::regtype)
   AND k.ord <= i.indnkeyatts  -- key columns: an INCLUDE column is carried along, never compared
"""
_MY_INDEXED_TEXT = r"""
SELECT s.table_name, s.index_name, s.column_name, c.collation_name
  FROM information_schema.statistics s
  JOIN information_schema.columns c
    ON c.table_schema = s.table_schema AND c.table_name = s.table_name AND c.column_name = s.column_name
 WHERE s.table_schema = DATABASE() AND s.table_name LIKE 'rs\_%' AND s.table_name NOT LIKE 'rs\_yoyo%'
   AND c.collation_name IS NOT NULL
   AND s.index_type <> 'FULLTEXT'  -- word search, case-insensitive on purpose; it compares no keys
"""
_MY_TABLES = r"""
SELECT table_name, table_collation FROM information_schema.tables
 WHERE table_schema = DATABASE() AND table_name LIKE 'rs\_%' AND table_name NOT LIKE 'rs\_yoyo%'
"""
_MY_FKS = """
SELECT table_name, constraint_name, referenced_table_name, delete_rule FROM information_schema.referential_constraints
 WHERE constraint_schema = DATABASE() ORDER BY constraint_name
"""
MY_FKS = [
    ("rs_jobs", "rs_jobs_run_fk", "rs_workflow_runs", "CASCADE"),
    ("rs_messages", "rs_messages_thread_fk", "rs_threads", "RESTRICT"),
    ("rs_workflow_artifacts", "rs_workflow_artifacts_run_fk", "rs_workflow_runs", "CASCADE"),
    ("rs_workflow_logs", "rs_workflow_logs_run_fk", "rs_workflow_runs", "CASCADE"),
    ("rs_workflow_logs", "rs_workflow_logs_stage_fk", "rs_workflow_stages", "CASCADE"),
    ("rs_workflow_stages", "rs_workflow_stages_run_fk", "rs_workflow_runs", "CASCADE"),
]


def _sql(backend: str, url: str, sql: str, *statements: str) -> list[tuple[Any, ...]]:
    if backend == "sqlite":
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(url[len("sqlite:///") :])) as c, c:
            for s in statements:
                c.execute(s)
            return [tuple(r) for r in c.execute(sql).fetchall()]
    if backend == "postgres":
        import psycopg

        with psycopg.connect(url, autocommit=True) as c:
            for s in statements:
                c.execute(s.encode())
            return [tuple(r) for r in c.execute(sql.encode()).fetchall()]
    return [tuple(r) for r in dbs.mysql_query(url, sql, *statements)]


def _indexed_text_collations(backend: str, url: str) -> dict[tuple[str, str, str], str]:
    """(table, index, column) -> collation of every text column of every kit index (keys, uniques, plain)."""
    if backend == "postgres":
        return {(r[0], r[1], r[2]): r[3] for r in _sql(backend, url, _PG_INDEXED_TEXT)}
    if backend == "mysql":
        return {(r[0], r[1], r[2]): r[3] for r in _sql(backend, url, _MY_INDEXED_TEXT)}
    out: dict[tuple[str, str, str], str] = {}
    for (table,) in _sql(
        backend,
        url,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rs\\_%' "
        "ESCAPE '\\' AND name NOT LIKE 'rs\\_yoyo%' ESCAPE '\\'",
    ):
        for idx in _sql(backend, url, f"PRAGMA index_list({table})"):
            for col in _sql(backend, url, f"PRAGMA index_xinfo({idx[1]})"):
                if col[5] and col[2] is not None:  # key columns (not the rowid)
                    out[(table, idx[1], col[2])] = col[4]
    return out


def test_every_indexed_text_column_compares_bytewise(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    """The schema itself: no kit index has a text column whose collation pads, folds case or normalises."""
    url = fresh_url("rs_nek_schema")
    rawstore.migrate(url)
    found = _indexed_text_collations(direct_backend, url)
    expected = {"postgres": "C", "mysql": "utf8mb4_nopad_bin", "sqlite": "BINARY"}[direct_backend]
    assert len(found) >= 40  # every key of every table (a wrong query would find none)
    # On PostgreSQL a status column (a CHECK-listed ASCII word) may keep the database's collation: PostgreSQL's
    # collations decide equality byte-wise anyway, and nothing pages by status.
    enums = {"status"} if direct_backend == "postgres" else set()
    assert {k: v for k, v in found.items() if v != expected and k[2] not in enums} == {}
    if direct_backend == "mysql":
        # Every table names its collation (none inherits the database's default), and it is the byte-wise one.
        assert {t: c for t, c in _sql("mysql", url, _MY_TABLES) if c != expected} == {}
    if direct_backend == "sqlite":
        ddl = " ".join(r[0] for r in _sql("sqlite", url, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"))
        assert "COLLATE" not in ddl.upper()


@pytest.mark.backends("mysql")
async def test_0011_converts_a_populated_mariadb_database(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    """Upgrading a MariaDB database that holds rows: rows and foreign keys survive, near-equal keys become two keys,
    and the rollback restores the padded schema exactly (refusing while near-equal keys would merge)."""
    url = fresh_url("rs_nek_upgrade")
    rawstore.migrate(url)
    later = [m for m in rawstore.status(url) if m >= "0011"]
    assert later and later[0].startswith("0011_")
    rawstore.rollback(url, count=len(later))
    padded = _show_create(url)
    assert all("COLLATE=utf8mb4_bin" in ddl for t, ddl in padded.items() if not t.startswith("rs_ai_"))
    now = "UTC_TIMESTAMP(6)"
    _sql(
        "mysql",
        url,
        "SELECT 1",
        f"INSERT INTO rs_resources (tenant_id, id, created_at, updated_at) VALUES ('t', 'r', {now}, {now})",
        "INSERT INTO rs_threads (tenant_id, id, resource_id, created_at, updated_at)"
        f" VALUES ('t', 'th', 'r', {now}, {now})",
        "INSERT INTO rs_messages (tenant_id, id, thread_id, role, type, content, created_at)"
        f" VALUES ('t', 'm', 'th', 'user', 'v2', '\"hi\"', {now})",
        # Written through a padded match before 0011 (the thread is 'th'): kept as it is by the conversion.
        "INSERT INTO rs_messages (tenant_id, id, thread_id, role, type, content, created_at)"
        f" VALUES ('t', 'm2', 'th ', 'user', 'v2', '\"legacy\"', {now})",
        "INSERT INTO rs_workflow_runs (tenant_id, id, workflow_id, workflow_name, workflow_type, status, priority,"
        " input, config, total_cost, total_tokens, version, created_at, updated_at)"
        f" VALUES ('t', 'run', 'wf', 'n', 'y', 'PENDING', 5, '1', '{{}}', 0, 0, 1, {now}, {now})",
        "INSERT INTO rs_workflow_stages (tenant_id, id, workflow_run_id, stage_id, stage_name, stage_number,"
        " execution_group, status, attempt, version, created_at, updated_at)"
        f" VALUES ('t', 'st', 'run', 's', 'n', 1, 1, 'PENDING', 0, 1, {now}, {now})",
        "INSERT INTO rs_workflow_logs (tenant_id, id, workflow_run_id, workflow_stage_id, level, message, created_at)"
        f" VALUES ('t', 'l', 'run', 'st', 'INFO', 'x', {now})",
        "INSERT INTO rs_workflow_artifacts (tenant_id, id, workflow_run_id, `key`, type, data, size, created_at,"
        f" updated_at) VALUES ('t', 'a', 'run', 'k', 'ARTIFACT', '1', 1, {now}, {now})",
        "INSERT INTO rs_jobs (tenant_id, id, queue, workflow_run_id, stage_id, status, priority, attempt,"
        " max_attempts, payload, run_at, unique_key, created_at, updated_at)"
        f" VALUES ('t', 'j', 'q', 'run', 's', 'PENDING', 5, 0, 3, '{{}}', {now}, 'u', {now}, {now})",
    )
    counts = {t: _sql("mysql", url, f"SELECT count(*) FROM {t}")[0][0] for t in KIT_TABLES}

    assert rawstore.migrate(url) == later
    assert {t: _sql("mysql", url, f"SELECT count(*) FROM {t}")[0][0] for t in KIT_TABLES} == counts
    assert {k: v for k, v in _indexed_text_collations("mysql", url).items() if v != "utf8mb4_nopad_bin"} == {}
    assert [r for r in _sql("mysql", url, _MY_FKS) if r[0] in {f[0] for f in MY_FKS}] == MY_FKS
    # Near-equal keys are two keys now, through the kit too.
    resource = f"INSERT INTO rs_resources (tenant_id, id, created_at, updated_at) VALUES ('t', 'r ', {now}, {now})"
    _sql("mysql", url, "SELECT 1", resource)
    async with rawstore.connect(url) as store:
        with tenant("t"):
            got = await store.memory.get_thread("th")
            assert got is not None and got.resource_id == "r"
            assert await store.memory.get_thread("th ") is None
            assert await store.jobs.get_job("j") is not None
        with tenant("t "):
            assert await store.memory.get_thread("th") is None
            assert await store.jobs.dequeue(worker_id="w") is None
    # The foreign keys are enforced again, and still cascade.
    with pytest.raises(Exception, match="foreign key constraint fails"):
        _sql(
            "mysql",
            url,
            "SELECT 1",
            "INSERT INTO rs_messages (tenant_id, id, thread_id, role, type, content,"
            f" created_at) VALUES ('t', 'm3', 'nope', 'user', 'v2', '1', {now})",
        )
    _sql("mysql", url, "SELECT 1", "DELETE FROM rs_workflow_runs WHERE tenant_id = 't' AND id = 'run'")
    for table in ("rs_workflow_stages", "rs_workflow_logs", "rs_workflow_artifacts", "rs_jobs"):
        assert _sql("mysql", url, f"SELECT count(*) FROM {table}") == [(0,)], table

    # Back to PAD SPACE: refused while 'r' and 'r ' would become one key; fine (and exact) once one is gone.
    with pytest.raises(rawstore.MigrationError):
        rawstore.rollback(url, count=len(later))
    _sql("mysql", url, "SELECT 1", "DELETE FROM rs_resources WHERE id = 'r '")
    rawstore.rollback(url, count=len([m for m, done in rawstore.status(url).items() if done and m >= "0011"]))
    assert _show_create(url) == padded
    assert rawstore.migrate(url) == later


def _show_create(url: str) -> dict[str, str]:
    tables = [r[0] for r in _sql("mysql", url, _MY_TABLES)]
    return {t: _sql("mysql", url, f"SHOW CREATE TABLE {t}")[0][1] for t in sorted(tables)}


@pytest.mark.backends("mysql")
def test_0011_refuses_application_foreign_keys_before_changing_anything(
    direct_backend: str, fresh_url: Callable[[str], str]
) -> None:
    """MariaDB cannot convert a column that another table's foreign key references, and the kit never alters an
    application's table: 0011 names such keys and stops before its first change, then runs once they are gone."""
    url = fresh_url("rs_nek_appfk")
    rawstore.migrate(url)
    later = [m for m in rawstore.status(url) if m >= "0011"]
    rawstore.rollback(url, count=len(later))
    before = _show_create(url)
    _sql(
        "mysql",
        url,
        "SELECT 1",
        "CREATE TABLE app_links (tenant_id VARCHAR(64) NOT NULL, thread_id VARCHAR(255) NOT NULL,"
        " PRIMARY KEY (tenant_id, thread_id), CONSTRAINT app_links_thread_fk FOREIGN KEY (tenant_id, thread_id)"
        " REFERENCES rs_threads (tenant_id, id))",
    )
    with pytest.raises(rawstore.MigrationError, match=r"app_links\.app_links_thread_fk.*utf8mb4_nopad_bin"):
        rawstore.migrate(url)
    after = _show_create(url)
    assert {t: d for t, d in after.items() if t != "app_links"} == before
    assert not [m for m, done in rawstore.status(url).items() if done and m >= "0011"]
    # The documented way through: drop the key, migrate, convert the application's columns, add the key back.
    _sql("mysql", url, "SELECT 1", "ALTER TABLE app_links DROP FOREIGN KEY app_links_thread_fk")
    assert rawstore.migrate(url) == later
    _sql(
        "mysql",
        url,
        "SELECT 1",
        "ALTER TABLE app_links CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin",
        "ALTER TABLE app_links ADD CONSTRAINT app_links_thread_fk FOREIGN KEY (tenant_id, thread_id)"
        " REFERENCES rs_threads (tenant_id, id)",
    )

"""Bad input to every public call raises only a RawstoreError and writes nothing (issue 7 §4), on every backend.

The public calls of `store.memory`, `store.workflows`, `store.jobs` and `store.ai_calls` are enumerated by
introspection, so a new method is fuzzed as soon as it exists (and fails `test_every_public_call_has_baselines`
until it has valid baseline arguments). Each call gets valid baseline arguments with some of them replaced by
arbitrary Python values: numbers of every kind, strings with NUL and lone surrogates, bytes, containers, deep and
cyclic nesting, naive and aware datetimes, foreign objects, and records (msgspec Structs) with wrong-typed fields.
A call may succeed, or raise InvalidInput, NotFound or Conflict (LeaseLost): any other exception, including a
DatabaseError (the database saw what validation should have refused), fails. A rejected call must leave every kit
table's row count as it was.

Also here: JSON nesting depth behaves the same on every database (`rawstore.validate.MAX_JSON_DEPTH` levels of
arrays/objects are stored and read back everywhere; one more is InvalidInput before any write).

`RAWSTORE_FUZZ_EXAMPLES` (default 100) sets the hypothesis examples per domain and backend.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from rawstore import (
    AICall,
    AICallLog,
    ArtifactType,
    Conflict,
    Include,
    InvalidInput,
    Job,
    JobQueue,
    LogLevel,
    MemoryStore,
    Message,
    MessageUpdate,
    NotFound,
    RawstoreError,
    Resource,
    Status,
    Store,
    Thread,
    WorkflowStore,
)
from rawstore.validate import MAX_JSON_DEPTH, json_text, too_deep
from tests import dbs

EXAMPLES = int(os.environ.get("RAWSTORE_FUZZ_EXAMPLES", "100"))
NOW = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)

DOMAINS: dict[str, type] = {"memory": MemoryStore, "workflows": WorkflowStore, "jobs": JobQueue, "ai_calls": AICallLog}
# Calls that take no argument and end the store (or its queue listener) for every call after them.
NOT_FUZZED = {"close"}
# Rejections a caller can act on; anything else (DatabaseError above all) means bad input reached the database.
EXPECTED_ERRORS = (InvalidInput, NotFound, Conflict)


def public_calls(cls: type) -> dict[str, str]:
    """Public methods (async or sync) and settable properties of a domain class: name -> "async"/"sync"/"setter"."""
    out: dict[str, str] = {}
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or name in NOT_FUZZED:
            continue
        if isinstance(member, property):
            if member.fset is not None:
                out[name] = "setter"
        elif inspect.iscoroutinefunction(member):
            out[name] = "async"
        elif inspect.isfunction(member):
            out[name] = "sync"
    return out


CALLS: dict[str, str] = {f"{d}.{n}": kind for d, cls in DOMAINS.items() for n, kind in public_calls(cls).items()}


def params(key: str) -> list[inspect.Parameter]:
    domain, name = key.split(".")
    if CALLS[key] == "setter":
        return [inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY)]
    fn = getattr(DOMAINS[domain], name)
    return list(inspect.signature(fn).parameters.values())[1:]


# -- valid baseline arguments ----------------------------------------------------------------------------------

CALL = AICall("topic", "chat", "mk", "model", "prompt", "response", 1, 2, 0.5, {"k": 1})
JOB = Job(
    "job-x", "default", "run-1", "s1", Status.RUNNING, 5, 1, 3, {}, NOW, None, None, "w", "lease-x",
    NOW, NOW, None, None, NOW, NOW,
)  # fmt: skip
# By parameter name (the domains name parameters consistently); ids name the rows the `world` fixture creates.
BASE: dict[str, Any] = {
    "thread_id": "t",
    "source_thread_id": "t",
    "resource_id": "r",
    "thread": Thread("t", "r", "title", {"k": 1}, NOW, NOW),
    "resource": Resource("r", "working memory", {"k": 1}, NOW, NOW),
    "messages": [Message("m1", "t", "user", {"text": "hi"}, "r", "v2", NOW)],
    "ids": ["m1"],
    "updates": [MessageUpdate("m1", role="assistant", content={"text": "yo"})],
    "include": [Include("m1", before=1, after=1)],
    "workflow_id": "wf",
    "workflow_name": "name",
    "workflow_type": "type",
    "input": {"a": [1, 2]},
    "run_id": "run-1",
    "workflow_run_id": "run-1",
    "stage_id": "s1",
    "stage_name": "stage",
    "stage_number": 1,
    "execution_group": 1,
    "status": "PENDING",
    "level": "INFO",
    "message": "hello",
    "entries": [{"level": "INFO", "message": "m", "workflow_run_id": "run-1", "metadata": {"k": 1}}],
    "key": "k",
    "type": "ARTIFACT",
    "data": {"x": [1]},
    "output": {"o": 1},
    "worker_id": "w",
    "limit": 1,
    "job_id": "job-x",
    "lease": "lease-x",
    "error": "boom",
    "next_poll_at": NOW,
    "jobs": [("job-x", "lease-x"), JOB],
    "specs": [{"workflow_run_id": "run-1", "stage_id": "s1", "payload": {"p": 1}}],
    "finished_before": timedelta(days=1),
    "timeout": 0,
    "backoff_base": 2.0,
    "backoff_cap": 600.0,
    "poll_interval": 0.2,
    "call": CALL,
    "results": [CALL],
    "batch_id": "b1",
    "call_id": "c1",
    "topic": "topic",
}
# Where one name means different things: the stage row id (a UUIDv7 the kit makes; any well-formed id will do).
OVERRIDES: dict[str, dict[str, Any]] = {
    "workflows.update_stage": {"id": "stage-row"},
    "workflows.get_stage_by_id": {"id": "stage-row"},
    "workflows.delete_stage": {"id": "stage-row"},
}
SETTING_DEFAULTS = {"backoff_base": 2.0, "backoff_cap": 600.0, "poll_interval": 0.2}


def baseline(key: str, name: str) -> Any:
    over = OVERRIDES.get(key, {})
    if name in over:
        return over[name]
    return BASE[name]


def has_baseline(key: str, name: str) -> bool:
    return name in OVERRIDES.get(key, {}) or name in BASE


# -- arbitrary values ------------------------------------------------------------------------------------------


class Opaque:
    """An object no call knows."""

    def __repr__(self) -> str:
        return "Opaque()"


def nested(depth: int, kind: str = "mixed", leaf: Any = 1) -> Any:
    """`depth` arrays/objects nested inside each other ("list", "dict", or alternating from a dict at the top)."""
    v = leaf
    for level in range(depth - 1, -1, -1):
        as_dict = kind == "dict" or (kind == "mixed" and level % 2 == 0)
        v = {"k": v} if as_dict else [v]
    return v


def cyclic_list() -> Any:
    x: list[Any] = []
    x.append(x)
    return x


def cyclic_dict() -> Any:
    x: dict[str, Any] = {}
    x["self"] = x
    return x


NASTY_STRINGS = [
    "", " ", "\t\n", "\x00", "a\x00b", "\ud800", "a\udfffb", "é" * 300, "\U0010ffff",
    "PENDING", "INFO", "ARTIFACT", "asc", "desc", "created_at", "t", "r", "m1", "run-1", "s1", "null", "[]",
]  # fmt: skip
MISC = [
    object(), Opaque(), Opaque, len, Ellipsis, NotImplemented, Status.PENDING, LogLevel.INFO, ArtifactType.ARTIFACT,
    uuid.UUID(int=1), range(3), b"bytes", bytearray(b"ba"), memoryview(b"mv"), 1 + 2j, Decimal("NaN"),
    Decimal("sNaN"), Decimal("Infinity"), Decimal("1e1000"), Decimal("0.1"), date(2024, 1, 1),
    datetime(2024, 1, 1), datetime.max, datetime.min, datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 0, tzinfo=timezone(-timedelta(hours=23))),
    datetime(1000, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=23))), timedelta.max, timedelta.min,
    -timedelta(seconds=1), 2**31, 2**63, 2**64, -(2**63) - 1, 10**400, -(10**400), math.nan, math.inf, -math.inf,
    1e308, -0.0, 5e-324, True, False, None,
]  # fmt: skip
LAZY = {"cyclic list": cyclic_list, "cyclic dict": cyclic_dict}

offsets = st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59))
zones = st.one_of(st.just(UTC), st.builds(timezone, offsets))
texts = st.one_of(
    st.text(st.characters(exclude_categories=())),
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from([64, 65, 255, 256, 70_000]).map(lambda n: "x" * n),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    texts,
    st.binary(max_size=8),
    st.decimals(),
    st.complex_numbers(max_magnitude=1e6),
    st.datetimes(),
    st.datetimes(timezones=zones),
    st.timedeltas(),
    st.dates(),
    st.sampled_from(MISC),
)
hashable = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts, st.tuples())
containers = st.recursive(
    scalars,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3),
        st.tuples(kids, kids),
        st.dictionaries(hashable, kids, max_size=3),
        st.frozensets(hashable, max_size=3),
        st.sets(hashable, max_size=3),
    ),
    max_leaves=8,
)
deep = st.builds(
    nested,
    st.one_of(st.sampled_from([MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 64, 990, 2_000, 100_000]), st.integers(0, 1_200)),
    st.sampled_from(["list", "dict", "mixed"]),
)
lazy = st.sampled_from(sorted(LAZY)).map(lambda name: LAZY[name]())


def fuzz_struct(base: msgspec.Struct) -> st.SearchStrategy[Any]:
    """`base` with some fields replaced by arbitrary values (msgspec Structs do not check types when built)."""
    fields = st.sampled_from(base.__struct_fields__)
    return st.dictionaries(fields, st.deferred(lambda: leaf_values), min_size=1).map(
        lambda changes: msgspec.structs.replace(base, **changes)
    )


def fuzz_dict(base: dict[str, Any], keys: list[str]) -> st.SearchStrategy[Any]:
    """`base` with some keys replaced, dropped, or unknown ones added."""

    def build(changes: dict[Any, Any], drop: set[str]) -> dict[Any, Any]:
        out = {k: v for k, v in base.items() if k not in drop}
        out.update(changes)
        return out

    return st.builds(
        build,
        st.dictionaries(st.one_of(st.sampled_from(keys), hashable), st.deferred(lambda: leaf_values), max_size=3),
        st.sets(st.sampled_from(sorted(base)), max_size=2),
    )


def batch(item: st.SearchStrategy[Any], base: Any) -> st.SearchStrategy[Any]:
    return st.lists(st.one_of(st.just(base), item, st.deferred(lambda: leaf_values)), min_size=1, max_size=3)


records = st.one_of(
    fuzz_struct(BASE["thread"]),
    fuzz_struct(BASE["resource"]),
    fuzz_struct(BASE["messages"][0]),
    fuzz_struct(BASE["updates"][0]),
    fuzz_struct(BASE["include"][0]),
    fuzz_struct(CALL),
    fuzz_struct(JOB),
)
leaf_values: st.SearchStrategy[Any] = st.one_of(scalars, containers, deep, lazy)
anything: st.SearchStrategy[Any] = st.one_of(leaf_values, records)

ENQUEUE_KEYS = ["workflow_run_id", "stage_id", "priority", "payload", "run_at", "max_attempts", "queue", "unique_key"]
LOG_KEYS = ["level", "message", "workflow_run_id", "workflow_stage_id", "metadata"]
STRUCTURED: dict[str, st.SearchStrategy[Any]] = {
    "thread": fuzz_struct(BASE["thread"]),
    "resource": fuzz_struct(BASE["resource"]),
    "call": fuzz_struct(CALL),
    "messages": batch(fuzz_struct(BASE["messages"][0]), BASE["messages"][0]),
    "updates": batch(fuzz_struct(BASE["updates"][0]), BASE["updates"][0]),
    "include": batch(fuzz_struct(BASE["include"][0]), BASE["include"][0]),
    "results": batch(fuzz_struct(CALL), CALL),
    "jobs": batch(st.one_of(fuzz_struct(JOB), st.tuples(anything, anything)), ("job-x", "lease-x")),
    "specs": batch(fuzz_dict(BASE["specs"][0], ENQUEUE_KEYS), BASE["specs"][0]),
    "entries": batch(fuzz_dict(BASE["entries"][0], LOG_KEYS), BASE["entries"][0]),
    "ids": st.lists(anything, max_size=3),
}


def fuzz_for(name: str) -> st.SearchStrategy[Any]:
    extra = STRUCTURED.get(name)
    return anything if extra is None else st.one_of(extra, anything)


# -- plans: one call with some arguments replaced ------------------------------------------------------------


def show(v: Any, depth: int = 0) -> str:
    """repr that survives deep and cyclic values (hypothesis prints plans of failing examples)."""
    if depth > 4:
        return "…"
    if isinstance(v, msgspec.Struct):
        inner = ", ".join(f"{f}={show(getattr(v, f), depth + 1)}" for f in v.__struct_fields__)
        return f"{type(v).__name__}({inner})"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{show(k, depth + 1)}: {show(x, depth + 1)}" for k, x in list(v.items())[:4]) + "}"
    if isinstance(v, (list, tuple)):
        body = ", ".join(show(x, depth + 1) for x in v[:4])
        return f"[{body}]" if isinstance(v, list) else f"({body})"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


class Plan:
    """Call `key` with `values` for the named parameters and baselines for the others; the first `positional`
    positional-or-keyword parameters are passed by position. (Not a dataclass: hypothesis pretty-prints those field
    by field, which recurses into deep values; this repr does not.)"""

    def __init__(self, key: str, values: dict[str, Any] | None = None, positional: int = 0) -> None:
        self.key = key
        self.values = values or {}
        self.positional = positional

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={show(v)}" for k, v in self.values.items())
        return f"Plan({self.key}({inner}), positional={self.positional})"

    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for i, p in enumerate(params(self.key)):
            if p.name in self.values:
                value = self.values[p.name]
            elif has_baseline(self.key, p.name):
                value = baseline(self.key, p.name)
            else:
                assert p.default is not inspect.Parameter.empty, f"{self.key}: no baseline for {p.name}"
                continue
            if p.kind is inspect.Parameter.POSITIONAL_ONLY or (
                p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and i < self.positional and len(args) == i
            ):
                args.append(value)
            else:
                kwargs[p.name] = value
        return args, kwargs


@st.composite
def plans(draw: st.DrawFn, keys: list[str]) -> Plan:
    key = draw(st.sampled_from(keys))
    names = [p.name for p in params(key)]
    # Mostly one bad argument (so validation of the later ones is reached too), sometimes several.
    one = st.sampled_from(names).map(lambda n: {n})
    chosen = draw(st.one_of(one, one, st.sets(st.sampled_from(names), min_size=1))) if names else set()
    values = {n: draw(fuzz_for(n)) for n in sorted(chosen)}
    return Plan(key, values, draw(st.integers(0, len(names))))


# -- running a plan and checking what it did ----------------------------------------------------------------------


@dataclass
class World:
    store: Store
    tables: list[str]
    counts: tuple[int, ...] | None = None

    async def row_counts(self) -> tuple[int, ...]:
        sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t})" for t in self.tables)
        async with self.store.transaction() as tx:
            row = await tx.fetchrow(sql)
        assert row is not None
        return tuple(int(x) for x in row.values())


@pytest.fixture
async def world(store: Store, backend: str, db_url: str) -> World:
    """A thread "t" of resource "r" with message "m1", run "run-1" with stage "s1", a pending job, AI call "c1"."""
    await store.memory.save_resource(Resource("r"))
    await store.memory.save_thread(Thread("t", "r"))
    await store.memory.save_messages([Message("m1", "t", "user", {"text": "hi"}, "r")])
    wf = store.workflows
    await wf.create_run(workflow_id="wf", workflow_name="n", workflow_type="type", input={}, id="run-1")
    await wf.create_stage(workflow_run_id="run-1", stage_id="s1", stage_name="s", stage_number=1, execution_group=1)
    await store.jobs.enqueue(workflow_run_id="run-1", stage_id="s1")
    store.ai_calls.log_call(msgspec.structs.replace(CALL, id="c1"))
    await store.ai_calls.flush()
    return World(store, dbs.kit_tables(backend, db_url))


async def invoke(store: Store, plan: Plan) -> None:
    domain, name = plan.key.split(".")
    target = getattr(store, domain)
    if CALLS[plan.key] == "setter":
        try:
            setattr(target, name, plan.values.get(name, SETTING_DEFAULTS[name]))
        finally:
            for setting, default in SETTING_DEFAULTS.items():
                setattr(target, setting, default)
        return
    args, kwargs = plan.arguments()
    # `wait` sleeps for as long as a valid timeout says: cut it short (that is not an error of the call).
    try:
        async with asyncio.timeout(0.2 if name == "wait" else 60) as cm:
            result = getattr(target, name)(*args, **kwargs)
            if inspect.isawaitable(result):
                await result
    except TimeoutError:
        if name == "wait" and cm.expired():
            return
        raise
    if domain == "ai_calls":
        # log_call only buffers: the database must accept what validation let through.
        await store.ai_calls.flush()


async def check(world: World, plan: Plan, *, count: bool = True) -> str:
    """Run the plan; "ok" or the name of the expected error. Fails on any other exception, and (with `count`) when a
    rejected call changed a row count."""
    if count and world.counts is None:
        world.counts = await world.row_counts()
    try:
        await invoke(world.store, plan)
    except EXPECTED_ERRORS as e:
        assert str(e), f"{plan!r}: {type(e).__name__} without a message"
        if count:
            after = await world.row_counts()
            assert after == world.counts, f"{plan!r} raised {type(e).__name__} but changed row counts"
        return type(e).__name__
    except RawstoreError as e:
        raise AssertionError(f"{plan!r} raised {type(e).__name__} (bad input must not reach the database): {e}") from e
    except Exception as e:
        raise AssertionError(f"{plan!r} raised an untyped {type(e).__name__}: {e}") from e
    world.counts = None
    return "ok"


# -- the tests -----------------------------------------------------------------------------------------------------


def test_every_public_call_has_baselines() -> None:
    for domain, cls in DOMAINS.items():
        assert len(public_calls(cls)) >= 5, f"introspection found almost nothing on {domain}"
    # The calls named in the issue and the hot paths are among those found.
    for key in ("memory.save_messages", "jobs.enqueue_many", "ai_calls.log_call", "workflows.create_logs"):
        assert key in CALLS
    assert {"jobs.backoff_base", "jobs.backoff_cap", "jobs.poll_interval"} <= set(CALLS)
    assert len(CALLS) >= 60
    for key in CALLS:
        for p in params(key):
            if p.default is inspect.Parameter.empty:
                assert has_baseline(key, p.name), f"{key}: add a valid baseline for {p.name!r} to BASE"


def _domain_keys(domain: str) -> list[str]:
    return sorted(k for k in CALLS if k.startswith(domain + "."))


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(plan=plans(_domain_keys("memory")))
@example(plan=Plan("memory.save_messages", {"messages": [Message("0", [], "user", None)]}))
@example(plan=Plan("memory.save_messages", {"messages": [Message("0", "t", {"r": 1}, None)]}))
@example(plan=Plan("memory.save_messages", {"messages": [Message("0", "t", "user", None, ["r"])]}))
@example(plan=Plan("memory.save_messages", {"messages": [Message("0", "t", "user", nested(990, "list"))]}))
@example(plan=Plan("memory.save_thread", {"thread": Thread("t2", "r", metadata=nested(990, "dict"))}))
@example(plan=Plan("memory.save_thread", {"thread": Thread("t2", "r", metadata=nested(MAX_JSON_DEPTH + 1, "dict"))}))
async def test_memory_calls_raise_only_rawstore_errors(world: World, plan: Plan) -> None:
    event(await check(world, plan))


@FUZZ
@given(plan=plans(_domain_keys("workflows")))
@example(plan=Plan("workflows.create_run", {"input": nested(990, "list")}))
@example(plan=Plan("workflows.create_run", {"input": nested(MAX_JSON_DEPTH + 1, "list")}))
@example(plan=Plan("workflows.create_logs", {"entries": [{"level": "INFO", "message": "m", "workflow_run_id": []}]}))
async def test_workflow_calls_raise_only_rawstore_errors(world: World, plan: Plan) -> None:
    event(await check(world, plan))


@FUZZ
@given(plan=plans(_domain_keys("jobs")))
@example(plan=Plan("jobs.enqueue", {"payload": nested(990, "list")}))
@example(plan=Plan("jobs.enqueue", {"payload": nested(MAX_JSON_DEPTH + 1, "mixed")}))
@example(plan=Plan("jobs.wait", {"timeout": 10**400}))
async def test_job_calls_raise_only_rawstore_errors(world: World, plan: Plan) -> None:
    event(await check(world, plan))


@FUZZ
@given(plan=plans(_domain_keys("ai_calls")))
@example(plan=Plan("ai_calls.log_call", {"call": msgspec.structs.replace(CALL, metadata=nested(990, "dict"))}))
@example(plan=Plan("ai_calls.log_call", {"call": msgspec.structs.replace(CALL, metadata=nested(32, "dict"))}))
async def test_ai_call_log_calls_raise_only_rawstore_errors(world: World, plan: Plan) -> None:
    event(await check(world, plan))


# A fixed catalogue tried in every argument position (and in every field of record arguments) of every call, so each
# call meets each kind of bad value on every run, whatever hypothesis draws.
CATALOGUE: list[Any] = [
    None, True, 0, -1, 2**64, 10**400, math.nan, math.inf, 1e308, "", " ", "\x00", "\ud800", "x" * 70_000, b"x",
    [], [[]], {}, {1: 2}, {(1,): 2}, {None: 1}, {1}, frozenset(), object(), Opaque(), 1j, Decimal("NaN"),
    datetime(2024, 1, 1), datetime(9999, 12, 31, 23, 0, tzinfo=timezone(-timedelta(hours=23))), timedelta.max,
    -timedelta(seconds=1), Status.RUNNING, nested(MAX_JSON_DEPTH + 1), nested(990, "list"), nested(100_000, "dict"),
    cyclic_list(), cyclic_dict(), Message("0", [], "user", None), Thread("t", {"r": 1}),
]  # fmt: skip
RECORD_ARGS = {
    "thread": lambda v: v,
    "resource": lambda v: v,
    "call": lambda v: v,
    "messages": lambda v: [v],
    "updates": lambda v: [v],
    "include": lambda v: [v],
    "results": lambda v: [v],
    "jobs": lambda v: [v],
}


def sweep(key: str) -> Iterator[list[Plan]]:
    """Groups of plans: each parameter of the call with each catalogue value, and each field of a record argument."""
    for p in params(key):
        yield [Plan(key, {p.name: v}) for v in CATALOGUE]
        wrap = RECORD_ARGS.get(p.name)
        if wrap is not None:
            base = baseline(key, p.name)
            record = base[-1] if isinstance(base, list) else base
            for f in record.__struct_fields__:
                yield [Plan(key, {p.name: wrap(msgspec.structs.replace(record, **{f: v}))}) for v in CATALOGUE]
        if p.name in ("specs", "entries"):
            base_dict = BASE[p.name][0]
            for k in ENQUEUE_KEYS if p.name == "specs" else LOG_KEYS:
                yield [Plan(key, {p.name: [{**base_dict, k: v}]}) for v in CATALOGUE]


async def test_every_call_rejects_every_catalogued_bad_value(world: World) -> None:
    outcomes: dict[str, int] = {}
    for key in sorted(CALLS):
        for group in sweep(key):
            # Row counts once per group (the fuzz tests count around every call): a group in which every call was
            # rejected must have changed none.
            before = await world.row_counts()
            results = [await check(world, plan, count=False) for plan in group]
            if "ok" not in results:
                assert await world.row_counts() == before, f"a rejected {key} call changed row counts"
            for outcome in results:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    # Most of the catalogue is bad everywhere: a sweep that rejects nothing tests nothing.
    assert outcomes.get("InvalidInput", 0) > 2_000, outcomes


# -- one JSON nesting limit on every database -------------------------------------------------------------------

JsonCall = Callable[[Store, Any], Awaitable[Any]]


async def _run_stage(store: Store) -> str:
    s = await store.workflows.get_stage("run-1", "s1")
    assert s is not None
    return s.id


def _stage_calls(field_name: str) -> dict[str, JsonCall]:
    wf = lambda s: s.workflows  # noqa: E731
    common = {"workflow_run_id": "run-1", "stage_name": "n", "stage_number": 1, "execution_group": 1}

    async def create(s: Store, v: Any) -> Any:
        st_ = await wf(s).create_stage(stage_id=f"new-{uuid.uuid4().hex}", **common, **{field_name: v})
        return getattr(st_, field_name)

    async def upsert(s: Store, v: Any) -> Any:
        return getattr(await wf(s).upsert_stage(stage_id="s1", **common, **{field_name: v}), field_name)

    async def update(s: Store, v: Any) -> Any:
        return getattr(await wf(s).update_stage(await _run_stage(s), **{field_name: v}), field_name)

    async def update_by_key(s: Store, v: Any) -> Any:
        return getattr(await wf(s).update_stage_by_run_and_stage_id("run-1", "s1", **{field_name: v}), field_name)

    return {
        f"create_stage {field_name}": create,
        f"upsert_stage {field_name}": upsert,
        f"update_stage {field_name}": update,
        f"update_stage_by_run_and_stage_id {field_name}": update_by_key,
    }


async def _thread_meta(s: Store, v: Any) -> Any:
    return (await s.memory.save_thread(Thread("t2", "r", metadata=v))).metadata


async def _update_thread_meta(s: Store, v: Any) -> Any:
    return (await s.memory.update_thread("t", metadata=v)).metadata


async def _clone_meta(s: Store, v: Any) -> Any:
    thread, _ = await s.memory.clone_thread("t", metadata=v)
    got = await s.memory.get_thread(thread.id)
    assert got is not None and got.metadata is not None
    return {k: x for k, x in got.metadata.items() if k != "clone"}


async def _message_content(s: Store, v: Any) -> Any:
    await s.memory.save_messages([Message("m2", "t", "user", v)])
    return (await s.memory.get_messages(["m2"]))[0].content


async def _update_message_content(s: Store, v: Any) -> Any:
    await s.memory.update_messages([MessageUpdate("m1", content=v)])
    return (await s.memory.get_messages(["m1"]))[0].content


async def _resource_meta(s: Store, v: Any) -> Any:
    return (await s.memory.save_resource(Resource("r2", metadata=v))).metadata


async def _update_resource_meta(s: Store, v: Any) -> Any:
    return (await s.memory.update_resource("r3", metadata=v)).metadata


def _run_field(field_name: str) -> JsonCall:
    async def call(s: Store, v: Any) -> Any:
        args: dict[str, Any] = {"input": {}, field_name: v}
        run = await s.workflows.create_run(workflow_id="w", workflow_name="n", workflow_type="t", **args)
        return getattr(run, field_name)

    return call


def _update_run_field(field_name: str) -> JsonCall:
    async def call(s: Store, v: Any) -> Any:
        return getattr(await s.workflows.update_run("run-1", **{field_name: v}), field_name)

    return call


async def _log_meta(s: Store, v: Any) -> Any:
    return (await s.workflows.create_log(level="INFO", message="m", workflow_run_id="run-1", metadata=v)).metadata


async def _logs_meta(s: Store, v: Any) -> Any:
    await s.workflows.create_logs([{"level": "WARN", "message": "deep", "workflow_run_id": "run-1", "metadata": v}])
    logs = await s.workflows.list_logs("run-1", level="WARN")
    return logs[-1].metadata


async def _artifact_data(s: Store, v: Any) -> Any:
    return (await s.workflows.save_artifact(workflow_run_id="run-1", key="a", type="ARTIFACT", data=v)).data


async def _artifact_meta(s: Store, v: Any) -> Any:
    art = await s.workflows.save_artifact(workflow_run_id="run-1", key="b", type="ARTIFACT", data=1, metadata=v)
    return art.metadata


async def _stage_output(s: Store, v: Any) -> Any:
    key = await s.workflows.save_stage_output("run-1", "type", "s1", v)
    return await s.workflows.load_artifact("run-1", key)


async def _payload(s: Store, v: Any) -> Any:
    job = await s.jobs.get_job(await s.jobs.enqueue(workflow_run_id="run-1", stage_id="s1", payload=v))
    assert job is not None
    return job.payload


async def _payload_many(s: Store, v: Any) -> Any:
    (job_id,) = await s.jobs.enqueue_many([{"workflow_run_id": "run-1", "stage_id": "s1", "payload": v}])
    job = await s.jobs.get_job(job_id)
    assert job is not None
    return job.payload


async def _call_meta(s: Store, v: Any) -> Any:
    call_id = s.ai_calls.log_call(msgspec.structs.replace(CALL, metadata=v))
    await s.ai_calls.flush()
    got = await s.ai_calls.get_call(call_id)
    assert got is not None and got.metadata is not None
    return got.metadata


async def _batch_meta(s: Store, v: Any) -> Any:
    call_id = uuid.uuid4().hex
    assert await s.ai_calls.log_batch_results(call_id, [msgspec.structs.replace(CALL, id=call_id, metadata=v)])
    got = await s.ai_calls.get_call(call_id)
    assert got is not None and got.metadata is not None
    return {k: x for k, x in got.metadata.items() if k != "batch_id"}


# Every JSON field of every call that writes one, and how to read the stored value back. Metadata fields take dicts.
JSON_FIELDS: dict[str, tuple[str, JsonCall]] = {
    "save_thread metadata": ("dict", _thread_meta),
    "update_thread metadata": ("dict", _update_thread_meta),
    "clone_thread metadata": ("dict", _clone_meta),
    "save_messages content": ("list", _message_content),
    "update_messages content": ("list", _update_message_content),
    "save_resource metadata": ("dict", _resource_meta),
    "update_resource metadata": ("dict", _update_resource_meta),
    **{
        f"create_run {f}": ("dict" if f == "metadata" else "list", _run_field(f))
        for f in ("input", "config", "metadata")
    },
    **{
        f"update_run {f}": ("dict" if f == "metadata" else "list", _update_run_field(f))
        for f in ("input", "output", "config", "metadata")
    },
    **{
        name: ("list", call)
        for f in ("input_data", "output_data", "config", "suspended_state", "resume_data", "metrics", "embedding_info")
        for name, call in _stage_calls(f).items()
    },
    "create_log metadata": ("dict", _log_meta),
    "create_logs metadata": ("dict", _logs_meta),
    "save_artifact data": ("list", _artifact_data),
    "save_artifact metadata": ("dict", _artifact_meta),
    "save_stage_output output": ("list", _stage_output),
    "enqueue payload": ("list", _payload),
    "enqueue_many payload": ("list", _payload_many),
    "log_call metadata": ("dict", _call_meta),
    "log_batch_results metadata": ("dict", _batch_meta),
}
# The innermost object: brackets and quotes inside strings are text, not nesting.
TRICKY_LEAF = {"s": 'a\\"[[[[{{{{' + "[" * 40, "[[[[": "]]]]", "\\": "\\\\"}


@pytest.mark.parametrize("label", sorted(JSON_FIELDS))
async def test_json_nesting_limit_is_the_same_on_every_database(world: World, label: str) -> None:
    kind, call = JSON_FIELDS[label]
    # Alternate objects and arrays; metadata must be an object at the top.
    shape = "mixed" if kind == "dict" else "list"
    at_limit = nested(MAX_JSON_DEPTH - 1, shape, leaf=TRICKY_LEAF)
    assert depth(at_limit) == MAX_JSON_DEPTH
    assert await call(world.store, at_limit) == at_limit
    before = await world.row_counts()
    for deeper in (nested(MAX_JSON_DEPTH + 1, shape), nested(990, shape), nested(100_000, shape)):
        with pytest.raises(InvalidInput, match="nested") as info:
            await call(world.store, deeper)
        assert str(MAX_JSON_DEPTH) in str(info.value)
    assert await world.row_counts() == before


def depth(v: Any) -> int:
    """Arrays/objects on the deepest path of a JSON value (a scalar is 0)."""
    if isinstance(v, dict):
        return 1 + max(map(depth, v.values()), default=0)
    if isinstance(v, list):
        return 1 + max(map(depth, v), default=0)
    return 0


def test_nested_builds_the_depth_it_says() -> None:
    assert nested(0) == 1
    assert nested(1, "list") == [1]
    assert nested(3, "mixed") == {"k": [{"k": 1}]}
    assert depth(nested(MAX_JSON_DEPTH - 1, "mixed", TRICKY_LEAF)) == MAX_JSON_DEPTH


def has_nul(v: Any) -> bool:
    if isinstance(v, str):
        return "\x00" in v
    if isinstance(v, dict):
        return any(has_nul(k) or has_nul(x) for k, x in v.items())
    if isinstance(v, list):
        return any(map(has_nul, v))
    return False


# Strings full of what the depth check must not mistake for structure: brackets, quotes, backslashes, escapes.
json_strings = st.text(st.sampled_from(list('[]{}"\\ab\n\x00\x01é')), max_size=6)
json_values = st.recursive(
    st.one_of(st.none(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), json_strings),
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(json_strings, kids, max_size=3)),
    max_leaves=6,
)


@st.composite
def deep_json(draw: st.DrawFn) -> Any:
    """A value wrapped in up to 40 arrays/objects, each with siblings of its own."""
    v = draw(json_values)
    for _ in range(draw(st.integers(0, MAX_JSON_DEPTH + 9))):
        siblings = draw(st.lists(json_values, max_size=2))
        if draw(st.booleans()):
            at = draw(st.integers(0, len(siblings)))
            v = [*siblings[:at], v, *siblings[at:]]
        else:
            v = {**dict(zip(draw(st.lists(json_strings, min_size=2, max_size=2)), siblings, strict=False)), "in": v}
    return v


@settings(max_examples=300, deadline=None, database=None)
@given(value=deep_json())
def test_the_depth_check_agrees_with_the_value(value: Any) -> None:
    data = msgspec.json.encode(value)
    event("too deep" if depth(value) > MAX_JSON_DEPTH else "within the limit")
    assert too_deep(data) == (depth(value) > MAX_JSON_DEPTH)
    text = json_text(data)
    assert (text is None) == (depth(value) > MAX_JSON_DEPTH or has_nul(value))
    if text is not None:
        assert msgspec.json.decode(text) == value

"""Bad input to every public call of store.memories raises only InvalidInput, NotFound or Conflict and writes
nothing, on every backend (the same arbitrary values as tests/test_bad_input_property.py: numbers of every kind,
strings with NUL and lone surrogates, bytes, containers, deep and cyclic nesting, naive and aware datetimes, foreign
objects, records with wrong-typed fields). `RAWSTORE_FUZZ_EXAMPLES` (default 100) sets the examples per backend."""

from __future__ import annotations

import inspect
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from rawstore import Conflict, InvalidInput, NotFound, RawstoreError, Store
from rawstore.memories import Memory, SemanticMemoryStore, User
from tests.test_bad_input_property import EXAMPLES, fuzz_struct, leaf_values, nested

OLD = datetime(2001, 1, 1, tzinfo=UTC)
MEMORY = Memory("m9", "u1", "new memory text", session_id="s1", importance=0.5, embedding=[0.0, 1.0, 0.0])
# Valid arguments for every call (the `world` below holds user u1, session s1 and memory m1 with a 3-d embedding).
BASE: dict[str, dict[str, Any]] = {
    "save_user": {"user": User("u9", "u9@example.com")},
    "get_user": {"user_id": "u1"},
    "get_user_by_email": {"email": "u1@example.com"},
    "delete_user": {"user_id": "nobody"},
    "start_session": {"user_id": "u1", "id": None, "metadata": {"k": 1}},
    "end_session": {"session_id": "s1"},
    "get_session": {"session_id": "s1"},
    "list_sessions": {"user_id": "u1", "limit": 10, "cursor": None},
    "add": {"memory": MEMORY},
    "add_many": {"memories": [MEMORY]},
    "get": {"memory_id": "m1"},
    "update": {"memory_id": "m1", "content": "changed", "importance": 0.2, "embedding": [1.0, 1.0, 0.0],
               "metadata": {"a": 1}},
    "delete": {"memory_id": "nobody"},
    "restore": {"memory_id": "nobody"},
    "purge": {"deleted_before": OLD},
    "list": {"user_id": "u1", "session_id": None, "min_importance": None, "include_deleted": False,
             "order_by": "created_at", "limit": 10, "cursor": None},
    "search": {"user_id": "u1", "text": "memory", "vector": [1.0, 0.0, 0.0], "mode": "hybrid", "limit": 10,
               "session_id": None, "min_importance": None, "metadata": None, "include_deleted": False},
}  # fmt: skip
POSITIONAL = {"user", "memory", "memories", "user_id", "email", "session_id", "memory_id"}


def public_calls() -> list[str]:
    return sorted(
        n
        for n, f in inspect.getmembers(SemanticMemoryStore)
        if not n.startswith("_") and inspect.iscoroutinefunction(f)
    )


def test_every_public_call_has_a_baseline() -> None:
    assert public_calls() == sorted(BASE)
    for name in BASE:
        params = list(inspect.signature(getattr(SemanticMemoryStore, name)).parameters)[1:]
        assert sorted(params) == sorted(BASE[name]), name


values = st.one_of(leaf_values, fuzz_struct(MEMORY), fuzz_struct(BASE["save_user"]["user"]))


class Plan:
    """One call and its arguments; its repr stays short whatever the values (hypothesis prints a failing plan)."""

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        self.name = name
        self.args = args

    def __repr__(self) -> str:
        return f"Plan({self.name!r}, {show(self.args)})"


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    name = draw(st.sampled_from(sorted(BASE)))
    args = dict(BASE[name])
    for key in draw(st.sets(st.sampled_from(sorted(args)), min_size=1, max_size=2)):
        args[key] = draw(st.one_of(values, st.lists(values, max_size=2)) if key == "memories" else values)
    return Plan(name, args)


@pytest.fixture
async def world(store: Store) -> Store:
    await store.memories.save_user(User("u1", "u1@example.com"))
    await store.memories.start_session("u1", id="s1")
    await store.memories.add(Memory("m1", "u1", "first memory", session_id="s1", embedding=[1.0, 0.0, 0.0]))
    return store


async def counts(store: Store) -> tuple[int, ...]:
    async with store.transaction() as tx:
        row = await tx.fetchrow(
            "SELECT (SELECT count(*) FROM rs_mem_users) AS u, (SELECT count(*) FROM rs_mem_sessions) AS s,"
            " (SELECT count(*) FROM rs_memories) AS m"
        )
    assert row is not None
    return tuple(int(x) for x in row.values())


def show(args: dict[str, Any]) -> str:
    """The arguments, briefly (a value may be too deep or cyclic for repr)."""
    out = []
    for k, v in args.items():
        try:
            text = repr(v)
        except BaseException:  # RecursionError included
            text = f"<{type(v).__name__}>"
        out.append(f"{k}={text[:80]}")
    return ", ".join(out)


async def check(store: Store, name: str, args: dict[str, Any]) -> str:
    before = await counts(store)
    pos = [args[k] for k in args if k in POSITIONAL][:1]
    kw = {k: v for k, v in args.items() if not (pos and k == next(k2 for k2 in args if k2 in POSITIONAL))}
    try:
        await getattr(store.memories, name)(*pos, **kw)
    except (InvalidInput, NotFound, Conflict) as e:
        assert str(e), f"{name}: {type(e).__name__} without a message"
        assert await counts(store) == before, f"{name}({show(args)}) raised {type(e).__name__} but wrote"
        return type(e).__name__
    except RawstoreError as e:
        raise AssertionError(
            f"{name}({show(args)}) raised {type(e).__name__} (bad input reached the database): {e}"
        ) from e
    except Exception as e:
        raise AssertionError(f"{name}({show(args)}) raised an untyped {type(e).__name__}: {e}") from e
    return "ok"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(plan=plans())
@example(plan=Plan("add", {"memory": Memory("x", "u1", "t", embedding=[math.nan, 1.0, 0.0])}))
@example(plan=Plan("add", {"memory": Memory("x", "u1", "t", metadata=nested(990, "dict"))}))
@example(plan=Plan("search", {**BASE["search"], "metadata": {"k": nested(5, "list")}}))
@example(plan=Plan("search", {**BASE["search"], "text": "\ud800 \x00 ' \" ((", "vector": None}))
@example(plan=Plan("update", {**BASE["update"], "embedding": [1.0] * 4}))
async def test_memories_calls_raise_only_rawstore_errors(world: Store, plan: Plan) -> None:
    event(await check(world, plan.name, plan.args))

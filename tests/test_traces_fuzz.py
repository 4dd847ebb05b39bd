"""Bad input to every public call of `store.traces` raises only InvalidInput (or Conflict) and writes nothing.

The calls are found by introspection of `TraceStore`, so a new method is swept as soon as it exists. Each parameter,
and each field of a `TraceRecord` argument, gets every value of the shared catalogue of bad values
(`tests/test_bad_input_property.py`: NUL and lone surrogates, huge and non-finite numbers, deep and cyclic JSON,
naive datetimes, foreign objects, ...), then hypothesis draws arbitrary values for a few arguments at once. A call may
succeed or raise InvalidInput or Conflict; anything else (a DatabaseError above all: the database saw what validation
should have refused) fails, and a rejected call must leave the row count of rs_otel_traces as it was.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rawstore import Conflict, InvalidInput, RawstoreError, Store
from rawstore.traces import TraceRecord, TraceStore
from tests.test_bad_input_property import CATALOGUE, anything, fuzz_struct

EXAMPLES = int(os.environ.get("RAWSTORE_FUZZ_EXAMPLES", "100"))
NOW = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
NS0 = 1_750_000_000_000_000_000
SPAN = TraceRecord(
    "span-1",
    "trace-1",
    "agent run",
    "mastra",
    1,
    NS0,
    NS0 + 10,
    "parent",
    {"a": 1},
    {"code": 0},
    [{"e": 1}],
    [],
    {"o": None},
    NOW,
)
BASE: dict[str, Any] = {"records": [SPAN]}
RECORD_ARGS = {"records": lambda v: [v]}
EXPECTED = (InvalidInput, Conflict)


def public_calls() -> dict[str, list[inspect.Parameter]]:
    return {
        name: list(inspect.signature(fn).parameters.values())[1:]
        for name, fn in inspect.getmembers(TraceStore, inspect.iscoroutinefunction)
        if not name.startswith("_")
    }


CALLS = public_calls()


def arguments(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of a call: `values` where given, baselines for the other required parameters."""
    out: dict[str, Any] = {}
    for p in CALLS[name]:
        if p.name in values:
            out[p.name] = values[p.name]
        elif p.default is inspect.Parameter.empty:
            out[p.name] = BASE[p.name]
    return out


async def rows(store: Store) -> int:
    async with store.transaction() as tx:
        row = await tx.fetchrow("SELECT count(*) AS n FROM rs_otel_traces")
    assert row is not None
    return int(row["n"])


async def outcome(store: Store, name: str, values: dict[str, Any]) -> str:
    """ "ok" or the name of the expected error; fails on any other exception."""
    try:
        await getattr(store.traces, name)(**arguments(name, values))
    except EXPECTED as e:
        assert str(e), f"{name}({values!r}): {type(e).__name__} without a message"
        return type(e).__name__
    except RawstoreError as e:
        raise AssertionError(f"{name}: {type(e).__name__} (bad input must not reach the database): {e}") from e
    except Exception as e:
        raise AssertionError(f"{name}: an untyped {type(e).__name__}: {e}") from e
    return "ok"


def sweep() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(call, argument sets): each parameter with each catalogue value, and each field of a TraceRecord argument."""
    for name, params in sorted(CALLS.items()):
        for p in params:
            yield name, [{p.name: v} for v in CATALOGUE]
            wrap = RECORD_ARGS.get(p.name)
            if wrap is not None:
                for f in TraceRecord.__struct_fields__:
                    yield name, [{p.name: wrap(msgspec.structs.replace(SPAN, **{f: v}))} for v in CATALOGUE]


def test_every_public_call_is_found() -> None:
    assert set(CALLS) == {"insert_many", "list"}
    for name, params in CALLS.items():
        for p in params:
            if p.default is inspect.Parameter.empty:
                assert p.name in BASE, f"{name}: add a valid baseline for {p.name!r}"


async def test_every_call_rejects_every_catalogued_bad_value(store: Store) -> None:
    counts: dict[str, int] = {}
    for name, group in sweep():
        before = await rows(store)
        results = [await outcome(store, name, values) for values in group]
        if "ok" not in results:
            assert await rows(store) == before, f"a rejected {name} call changed the row count"
        for r in results:
            counts[r] = counts.get(r, 0) + 1
    assert counts.get("InvalidInput", 0) > 500, counts


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def plans(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(CALLS)))
    names = [p.name for p in CALLS[name]]
    chosen = draw(st.sets(st.sampled_from(names), min_size=1, max_size=3))
    values: dict[str, Any] = {}
    for n in sorted(chosen):
        if n == "records":
            values[n] = draw(st.one_of(st.lists(st.one_of(fuzz_struct(SPAN), st.just(SPAN)), max_size=3), anything))
        else:
            values[n] = draw(anything)
    return name, values


@FUZZ
@given(plan=plans())
async def test_arbitrary_arguments_raise_only_invalid_input_or_conflict(
    store: Store, plan: tuple[str, dict[str, Any]]
) -> None:
    name, values = plan
    before = await rows(store)
    result = await outcome(store, name, values)
    if result != "ok":
        assert await rows(store) == before, f"a rejected {name} call changed the row count"
    event(f"{name}: {result}")

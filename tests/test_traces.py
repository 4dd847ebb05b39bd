"""Conformance: legacy OpenTelemetry traces (`store.traces`): atomic bulk inserts, the newest-first list with its
filters (literal name prefix, scope, exact attribute match, start-time bounds), cursors, tenants and transactions."""

from __future__ import annotations

import asyncio
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

import rawstore
from rawstore import Conflict, InvalidInput, Store
from rawstore.evals import EvalRecord
from rawstore.timeutil import to_micros
from rawstore.traces import TraceRecord
from rawstore.traces import store as traces_store

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)
NS0 = 1_750_000_000_000_000_000
MAX_NS = 2**63 - 1


def span(span_id: str, start: int = NS0, **kw: Any) -> TraceRecord:
    fields: dict[str, Any] = dict(
        trace_id="trace-1", name="agent run", scope="mastra", kind=1, start_time_ns=start, end_time_ns=start + 5_000
    )
    fields.update(kw)
    return TraceRecord(span_id, **fields)


async def count(store: Store) -> int:
    """Rows in rs_otel_traces, every tenant, read with the application's own SQL."""
    async with store.transaction() as tx:
        row = await tx.fetchrow("SELECT count(*) AS n FROM rs_otel_traces")
    assert row is not None
    return int(row["n"])


async def ids(store: Store, **kw: Any) -> list[str]:
    """Every id the list returns for these filters, walking all pages of `limit` (default 2)."""
    kw.setdefault("limit", 2)
    out: list[str] = []
    cursor = None
    for _ in range(1000):
        page = await store.traces.list(cursor=cursor, **kw)
        out.extend(r.id for r in page.items)
        assert page.has_more == (page.next_cursor is not None)
        if not page.has_more:
            return out
        cursor = page.next_cursor
    raise AssertionError("the list does not end")


# -- the record ------------------------------------------------------------------------------------------------


def test_trace_record_is_positional_in_the_contract_order() -> None:
    r = TraceRecord("s", "t", "n", "sc", 2, 10, 20, "p", {"a": 1}, {"code": 0}, [1], [2], {"o": 1}, T0)
    assert (r.id, r.trace_id, r.name, r.scope, r.kind) == ("s", "t", "n", "sc", 2)
    assert (r.start_time_ns, r.end_time_ns) == (10, 20)
    assert (r.parent_span_id, r.attributes, r.status, r.events, r.links, r.other, r.created_at) == (
        "p",
        {"a": 1},
        {"code": 0},
        [1],
        [2],
        {"o": 1},
        T0,
    )
    d = TraceRecord("s", "t", "n", "sc", 0, 1, 1)
    assert d.parent_span_id is d.attributes is d.status is d.events is d.links is d.other is None
    assert d.created_at.tzinfo is UTC


# -- insert_many and reading back --------------------------------------------------------------------------------


async def test_insert_many_round_trips_every_field(store: Store) -> None:
    attrs = {"http.method": "GET", "n": 3, "f": 2.5, "ok": True, "none": None, "list": [1, "x", None], "é 🎉": "日本"}
    full = TraceRecord(
        "span-1",
        "trace-1",
        "GET /api/«x»",
        "@opentelemetry/instrumentation-http",
        2,
        NS0,
        NS0 + 123_456_789,
        "parent-0",
        attrs,
        {"code": 2, "message": "boom — ✗"},
        [{"name": "exception", "time": [1, 2], "attributes": {"k": "v"}}],
        [{"traceId": "t2", "spanId": "s2"}],
        {"resource": {"service.name": "svc"}, "dropped": 0},
        T0,
    )
    bare = TraceRecord("span-2", "trace-1", "", "", 0, 0, 0, created_at=T0.astimezone(timezone(timedelta(hours=5))))
    edge = span("span-3", MAX_NS - 1, end_time_ns=MAX_NS, kind=2**31 - 1, status="plain string", events=[], links={})
    assert await store.traces.insert_many([full, bare, edge]) == 3
    page = await store.traces.list()
    assert [r.id for r in page.items] == ["span-3", "span-1", "span-2"]
    assert page.items[0] == edge
    assert page.items[1] == full
    got = page.items[2]
    assert got == TraceRecord("span-2", "trace-1", "", "", 0, 0, 0, created_at=T0)
    assert got.created_at.utcoffset() == timedelta(0)
    assert page.has_more is False and page.next_cursor is None and page.total is None
    assert await store.traces.insert_many([]) == 0
    assert await store.traces.insert_many(()) == 0


async def test_json_values_round_trip_exactly(store: Store) -> None:
    values: list[Any] = [
        0,
        -1,
        2**53 + 1,
        -(2**63),
        0.1,
        1.5e-7,
        "",
        "a\\b\"c'\n\t",
        "𝄞 ☃ é",
        [],
        {},
        [[[]]],
        {"a": {"b": {"c": [1, {"d": None}]}}},
        True,
        False,
    ]
    spans = [
        span(f"s{i:02}", NS0 + i, attributes={"v": v}, status=v, events=v, links=v, other=v)
        for i, v in enumerate(values)
    ]
    await store.traces.insert_many(spans)
    got = {r.id: r for r in (await store.traces.list(limit=100)).items}
    for i, v in enumerate(values):
        r = got[f"s{i:02}"]
        assert r.attributes == {"v": v}
        for field in ("status", "events", "links", "other"):
            back = getattr(r, field)
            assert back == v and type(back) is type(v), (field, v, back)


async def test_nan_and_infinities_are_stored_as_null(store: Store) -> None:
    await store.traces.insert_many([span("s", attributes={"x": math.nan, "y": [math.inf]}, other=-math.inf)])
    (r,) = (await store.traces.list()).items
    assert r.attributes == {"x": None, "y": [None]} and r.other is None


# -- ordering, cursors and totals ----------------------------------------------------------------------------------


async def test_newest_start_first_with_ties_broken_by_id_across_pages(store: Store) -> None:
    # Seven spans at one start time, three later, two earlier: inserted out of order, in two batches.
    tied = [span(f"tie-{c}", NS0) for c in "dagcfbe"]
    later = [span(f"late-{i}", NS0 + i) for i in (1, 3, 2)]
    earlier = [span(f"early-{i}", NS0 - i) for i in (2, 1)]
    await store.traces.insert_many(tied[:4] + earlier)
    await store.traces.insert_many(later + tied[4:])
    want = ["late-3", "late-2", "late-1"] + [f"tie-{c}" for c in "gfedcba"] + ["early-1", "early-2"]
    for limit in (1, 2, 3, 5, 12, 100):
        assert await ids(store, limit=limit) == want, limit
    first = await store.traces.list(limit=4, with_total=True)
    assert first.total == 12 and first.has_more
    second = await store.traces.list(limit=4, with_total=True, cursor=first.next_cursor)
    assert [r.id for r in second.items] == want[4:8] and second.total == 12


async def test_spans_added_between_pages_are_neither_lost_nor_repeated(store: Store) -> None:
    await store.traces.insert_many([span(f"a{i}", NS0) for i in range(6)])
    p1 = await store.traces.list(limit=3)
    assert [r.id for r in p1.items] == ["a5", "a4", "a3"]
    # Newer spans, and spans tied with the cursor on both sides of it, arrive between the pages.
    await store.traces.insert_many([span("z-new", NS0 + 1), span("a35", NS0), span("a0x", NS0)])
    p2 = await store.traces.list(limit=10, cursor=p1.next_cursor)
    assert [r.id for r in p2.items] == ["a2", "a1", "a0x", "a0"]


async def test_limit_zero_and_totals(store: Store) -> None:
    await store.traces.insert_many([span(f"s{i}", NS0 + i) for i in range(3)])
    page = await store.traces.list(limit=0, with_total=True)
    assert page.items == [] and page.total == 3 and not page.has_more and page.next_cursor is None
    assert (await store.traces.list(limit=3)).has_more is False


async def test_cursors_are_checked(store: Store) -> None:
    await store.traces.insert_many([span(f"s{i}", NS0 + i) for i in range(3)])
    good = (await store.traces.list(limit=1)).next_cursor
    assert good is not None
    for bad in ("", "!!!", "bm90IG1zZ3BhY2s", 3, good[:-3]):
        with pytest.raises(InvalidInput, match="cursor"):
            await store.traces.list(cursor=bad)  # type: ignore[arg-type]
    # A cursor of another list (the evals', a datetime cursor) is refused.
    await store.evals.save(EvalRecord("a", "m", "i", "o", 1, "x", "r", "g", created_at=T0))
    await store.evals.save(EvalRecord("a", "m", "i", "o", 1, "x", "r", "g", created_at=T0))
    other = (await store.evals.list(limit=1)).next_cursor
    with pytest.raises(InvalidInput, match="another list"):
        await store.traces.list(cursor=other)
    assert isinstance(traces_store.encode_cursor(NS0, "s"), str)


# -- filters ---------------------------------------------------------------------------------------------------


async def test_name_prefix_is_literal(store: Store) -> None:
    names = ["a%b", "a_b", "axb", "ab", "a\\b", "a", "A%b", "b%", "a%", "日本語", "日本", "a%b "]
    await store.traces.insert_many([span(f"s{i:02}", NS0 + i, name=n) for i, n in enumerate(names)])

    async def named(prefix: str) -> set[str]:
        page = await store.traces.list(name_prefix=prefix, with_total=True)
        assert page.total == len(page.items)
        return {r.name for r in page.items}

    assert await named("a%") == {"a%b", "a%", "a%b "}
    assert await named("a_") == {"a_b"}
    assert await named("a\\") == {"a\\b"}
    assert await named("a%b") == {"a%b", "a%b "}
    assert await named("a%b ") == {"a%b "}
    assert await named("%") == set()
    assert await named("_") == set()
    assert await named("A") == {"A%b"}
    assert await named("日本") == {"日本語", "日本"}
    assert await named("") == set(names)
    assert await named("a" * 255) == set()
    with pytest.raises(InvalidInput, match="name_prefix"):
        await store.traces.list(name_prefix="a" * 256)
    with pytest.raises(InvalidInput, match="name_prefix"):
        await store.traces.list(name_prefix=3)  # type: ignore[arg-type]


async def test_name_prefix_pages_newest_first(store: Store) -> None:
    await store.traces.insert_many(
        [span(f"s{i}", NS0 + i % 3, name=["run: x", "run: y", "other"][i % 3]) for i in range(9)]
    )
    got = await ids(store, name_prefix="run: ")
    assert got == ["s7", "s4", "s1", "s6", "s3", "s0"]


async def test_scope_filter_alone_and_with_a_name_prefix(store: Store) -> None:
    spans = [
        span("s1", NS0 + 1, scope="mastra", name="agent run"),
        span("s2", NS0 + 2, scope="mastra", name="tool call"),
        span("s3", NS0 + 3, scope="http", name="agent run"),
        span("s4", NS0 + 4, scope="mastra ", name="agent run"),
        span("s5", NS0 + 5, scope="Mastra", name="agent run"),
        span("s6", NS0 + 2, scope="mastra", name="agent step"),
    ]
    await store.traces.insert_many(spans)
    assert await ids(store, scope="mastra") == ["s6", "s2", "s1"]
    assert await ids(store, scope="mastra", name_prefix="agent") == ["s6", "s1"]
    assert await ids(store, scope="mastra", name_prefix="agent r") == ["s1"]
    assert await ids(store, scope="mastra", name_prefix="") == ["s6", "s2", "s1"]
    assert await ids(store, scope="") == []
    page = await store.traces.list(scope="mastra", name_prefix="agent", with_total=True, limit=1)
    assert page.total == 2 and [r.id for r in page.items] == ["s6"]


ATTRS: dict[str, Any] = {
    "a-int": {"k": 1},
    "a-float": {"k": 1.0},
    "a-true": {"k": True},
    "a-str": {"k": "1"},
    "a-null": {"k": None},
    "a-missing": {"other": 1},
    "a-none": None,
    "a-obj": {"k": {"x": 1, "y": [1, 2, {"z": None}]}, "extra": "e"},
    "a-arr": {"k": [1, 2, 3]},
    "a-text": {"k": "Value", "m": "x"},
    "a-text2": {"k": "value "},
    "a-big": {"k": 12345678901234567},
    "a-keys": {"http.method": "GET", 'q"uote': 1, "back\\slash": 2, "ключ 🎉": "✓", "": "empty", "$": "$", "*": 3},
}


async def test_attribute_filter_is_exact_json_equality_per_key(store: Store) -> None:
    await store.traces.insert_many([span(name, NS0 + i, attributes=a) for i, (name, a) in enumerate(ATTRS.items())])

    async def matching(filt: dict[str, Any] | None) -> set[str]:
        page = await store.traces.list(attributes=filt, with_total=True)
        assert page.total == len(page.items)
        assert set(await ids(store, attributes=filt)) == {r.id for r in page.items}
        return {r.id for r in page.items}

    # Numbers compare by value (1 equals 1.0); true, "1" and null are other values; a missing key never matches.
    assert await matching({"k": 1}) == {"a-int", "a-float"}
    assert await matching({"k": 1.0}) == {"a-int", "a-float"}
    assert await matching({"k": True}) == {"a-true"}
    assert await matching({"k": False}) == set()
    assert await matching({"k": "1"}) == {"a-str"}
    assert await matching({"k": None}) == {"a-null"}
    assert await matching({"k": 12345678901234567}) == {"a-big"}
    # Objects compare key by key whatever their order, recursively (numbers by value inside too); arrays in order.
    assert await matching({"k": {"y": [1.0, 2, {"z": None}], "x": 1}}) == {"a-obj"}
    assert await matching({"k": {"x": 1}}) == set()
    assert await matching({"k": {"x": 1, "y": [1, 2, {"z": None}], "w": 0}}) == set()
    assert await matching({"k": {"x": 1, "y": [2, 1, {"z": None}]}}) == set()
    assert await matching({"k": {"x": 1, "y": [1, 2, {}]}}) == set()
    assert await matching({"k": [1, 2, 3]}) == {"a-arr"}
    assert await matching({"k": [1, 2]}) == set()
    assert await matching({"k": [3, 2, 1]}) == set()
    assert await matching({"k": [1, 2, 3, 4]}) == set()
    assert await matching({"k": {}}) == set()
    assert await matching({"k": []}) == set()
    # Strings are exact: case and trailing spaces count.
    assert await matching({"k": "Value"}) == {"a-text"}
    assert await matching({"k": "value"}) == set()
    assert await matching({"k": "value "}) == {"a-text2"}
    # Every given key must match; keys are plain text (dots, quotes, backslashes, unicode, empty).
    assert await matching({"k": "Value", "m": "x"}) == {"a-text"}
    assert await matching({"k": "Value", "m": "y"}) == set()
    assert await matching({"http.method": "GET"}) == {"a-keys"}
    assert await matching({'q"uote': 1, "back\\slash": 2}) == {"a-keys"}
    assert await matching({"ключ 🎉": "✓"}) == {"a-keys"}
    assert await matching({"": "empty", "$": "$", "*": 3}) == {"a-keys"}
    assert await matching({"http": {"method": "GET"}}) == set()
    assert await matching({"other": 1}) == {"a-missing"}
    # No filter and an empty one list everything, spans without attributes included.
    assert await matching(None) == set(ATTRS)
    assert await matching({}) == set(ATTRS)


KEYS = ["a\nb", "t\tab", "c\x01d", "\x1f", "\x7f", "\r\x08\x0c", '"', "\\", 'q"\\x', "", "\\u0041", "A", "é", "😀"]
KEYS += ["u\u2028v", "\ufeff", "a\u0300", "$.x", "a[0]", "x.*", "'", "k" * 255, "ключ " * 51]


async def test_attribute_keys_are_plain_text(store: Store) -> None:
    """Every key is matched as exactly the text it is, escapes and all, alone and together with all the others."""
    everything = {k: i for i, k in enumerate(KEYS)}
    spans = [span(f"one-{i:02}", NS0 + i, attributes={k: i, "shared": True}) for i, k in enumerate(KEYS)]
    await store.traces.insert_many([*spans, span("all", NS0 + 100, attributes=everything)])
    for i, k in enumerate(KEYS):
        assert await ids(store, attributes={k: i}, limit=50) == ["all", f"one-{i:02}"], repr(k)
        assert await ids(store, attributes={k: i + 1}, limit=50) == [], repr(k)
    assert await ids(store, attributes=everything) == ["all"]
    assert await ids(store, attributes={"\\u0041": 10, "A": 11}) == ["all"]
    assert await ids(store, attributes={"A": 10}) == []


async def test_attribute_filter_combines_with_name_scope_and_time(store: Store) -> None:
    await store.traces.insert_many(
        [
            span("s1", NS0 + 1, name="run a", scope="x", attributes={"env": "prod"}),
            span("s2", NS0 + 2, name="run b", scope="x", attributes={"env": "dev"}),
            span("s3", NS0 + 3, name="run c", scope="y", attributes={"env": "prod"}),
            span("s4", NS0 + 4, name="job d", scope="x", attributes={"env": "prod"}),
        ]
    )
    prod = {"env": "prod"}
    assert await ids(store, attributes=prod) == ["s4", "s3", "s1"]
    assert await ids(store, attributes=prod, name_prefix="run") == ["s3", "s1"]
    assert await ids(store, attributes=prod, scope="x") == ["s4", "s1"]
    assert await ids(store, attributes=prod, scope="x", name_prefix="run") == ["s1"]
    assert await ids(store, attributes=prod, since=NS0 + 2, until=NS0 + 3) == ["s3"]
    page = await store.traces.list(attributes=prod, scope="x", with_total=True, limit=1)
    assert page.total == 2


async def test_bad_attribute_filters_are_refused(store: Store) -> None:
    for bad, what in (
        ([("k", 1)], "attributes must be a dict"),
        ("k", "attributes must be a dict"),
        ({1: "x"}, "attributes keys"),
        ({"k" * 256: 1}, "attributes keys"),
        ({"k": object()}, "attributes is not JSON"),
        ({"k\x00": 1}, "attributes keys"),
    ):
        with pytest.raises(InvalidInput, match=re.escape(what)):
            await store.traces.list(attributes=bad)  # type: ignore[arg-type]


async def test_since_and_until_bound_the_start_time(store: Store) -> None:
    base = to_micros(T0) * 1000
    starts = {"a": base - 1, "b": base, "c": base + 999, "d": base + 1000, "e": base + 5000}
    await store.traces.insert_many([span(k, v) for k, v in starts.items()])
    # Ints are exact nanoseconds, both bounds inclusive.
    assert await ids(store, since=base, until=base + 999) == ["c", "b"]
    assert await ids(store, since=base + 1, until=base + 1000) == ["d", "c"]
    assert await ids(store, since=base + 5000) == ["e"]
    assert await ids(store, until=base - 1) == ["a"]
    # A datetime covers its whole microsecond: until=T0 takes every start within T0's microsecond.
    assert await ids(store, since=T0, until=T0) == ["c", "b"]
    assert await ids(store, since=T0 + timedelta(microseconds=1)) == ["e", "d"]
    assert await ids(store, until=T0 - timedelta(microseconds=1)) == ["a"]
    assert await ids(store, since=T0.astimezone(timezone(timedelta(hours=-3))), until=T0) == ["c", "b"]
    # Far bounds are clamped to what a 64-bit nanosecond time holds.
    far_past = datetime(1000, 1, 1, tzinfo=UTC)
    far_future = datetime(9999, 1, 1, tzinfo=UTC)
    assert await ids(store, since=far_past, until=far_future) == ["e", "d", "c", "b", "a"]
    assert await ids(store, until=far_past) == []
    assert await ids(store, since=far_future) == []
    assert await ids(store, since=base + 1, until=base) == []
    page = await store.traces.list(since=T0, until=T0, with_total=True, limit=1)
    assert page.total == 2 and page.has_more
    for kw in (
        {"since": "2025-01-01"},
        {"until": True},
        {"since": -1},
        {"until": MAX_NS + 1},
        {"since": datetime(2025, 1, 1)},  # naive
        {"until": 1.5},
    ):
        with pytest.raises(InvalidInput, match=r"since|until"):
            await store.traces.list(**kw)


async def test_list_options_are_checked(store: Store) -> None:
    for kw, what in (
        ({"limit": -1}, "limit"),
        ({"limit": "5"}, "limit"),
        ({"limit": True}, "limit"),
        ({"with_total": 1}, "with_total"),
        ({"scope": 5}, "scope"),
        ({"scope": "s" * 256}, "scope"),
        ({"scope": "a\x00"}, "scope"),
    ):
        with pytest.raises(InvalidInput, match=what):
            await store.traces.list(**kw)


# -- atomic writes and bad input ----------------------------------------------------------------------------------


async def test_a_stored_id_is_a_conflict_and_nothing_of_the_batch_is_written(store: Store) -> None:
    await store.traces.insert_many([span("dup", NS0)])
    with pytest.raises(Conflict):
        await store.traces.insert_many([span("new-1", NS0 + 1), span("dup", NS0 + 2), span("new-2", NS0 + 3)])
    assert await count(store) == 1
    (r,) = (await store.traces.list()).items
    assert r.start_time_ns == NS0


async def test_an_id_repeated_in_the_batch_is_a_conflict(store: Store) -> None:
    with pytest.raises(Conflict, match=r"records\[2\]\.id 'x' repeats records\[0\]"):
        await store.traces.insert_many([span("x"), span("y"), span("x")])
    assert await count(store) == 0


async def test_a_conflict_in_a_later_round_trip_rolls_back_the_earlier_ones(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(traces_store, "BATCH_SIZE", 3)
    await store.traces.insert_many([span("taken", NS0)])
    batch = [span(f"s{i:02}", NS0 + i) for i in range(10)] + [span("taken", NS0 + 99)]
    with pytest.raises(Conflict):
        await store.traces.insert_many(batch)
    assert await count(store) == 1
    assert await store.traces.insert_many(batch[:-1]) == 10
    assert await count(store) == 11


DEEP: Any = "deep"
for _ in range(32):
    DEEP = [DEEP]

BAD_SPANS: list[tuple[str, dict[str, Any]]] = [
    ("id", {"id": ""}),
    ("id", {"id": " "}),
    ("id", {"id": 5}),
    ("id", {"id": "x" * 256}),
    ("id", {"id": "a\x00b"}),
    ("id", {"id": "\ud800"}),
    ("trace_id", {"trace_id": None}),
    ("trace_id", {"trace_id": ""}),
    ("parent_span_id", {"parent_span_id": ""}),
    ("parent_span_id", {"parent_span_id": 1}),
    ("name", {"name": None}),
    ("name", {"name": "n" * 256}),
    ("name", {"name": "a\x00"}),
    ("scope", {"scope": 1}),
    ("scope", {"scope": "s" * 256}),
    ("kind", {"kind": -1}),
    ("kind", {"kind": "1"}),
    ("kind", {"kind": True}),
    ("kind", {"kind": 2**31}),
    ("start_time_ns", {"start_time_ns": -1}),
    ("start_time_ns", {"start_time_ns": 1.5}),
    ("start_time_ns", {"start_time_ns": MAX_NS + 1, "end_time_ns": MAX_NS + 1}),
    ("start_time_ns", {"start_time_ns": None}),
    ("end_time_ns", {"end_time_ns": MAX_NS + 1}),
    ("end_time_ns", {"end_time_ns": "x"}),
    ("end_time_ns", {"end_time_ns": NS0 - 1}),
    ("attributes", {"attributes": [1, 2]}),
    ("attributes", {"attributes": "k=v"}),
    ("attributes", {"attributes": {1: "int key"}}),
    ("attributes", {"attributes": {"k": object()}}),
    ("attributes", {"attributes": {"k": "nul \x00"}}),
    ("status", {"status": object()}),
    ("events", {"events": DEEP}),
    ("links", {"links": ["\ud800"]}),
    ("other", {"other": {"z": 1j}}),
    ("created_at", {"created_at": datetime(2025, 1, 1)}),
    ("created_at", {"created_at": "2025-01-01T00:00:00Z"}),
    ("created_at", {"created_at": None}),
]


async def test_bad_records_are_refused_before_anything_is_written(store: Store) -> None:
    for field, change in BAD_SPANS:
        bad = msgspec.structs.replace(span("bad", NS0), **change)
        with pytest.raises(InvalidInput, match=re.escape(f"records[1].{field}")):
            await store.traces.insert_many([span("good", NS0), bad, span("good-2", NS0)])
    for records in ("spans", b"x", span("s"), None, {"a": span("s")}, 5):
        with pytest.raises(InvalidInput, match=r"list of rawstore\.TraceRecord"):
            await store.traces.insert_many(records)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"records\[1\] must be a rawstore\.TraceRecord"):
        await store.traces.insert_many([span("good"), {"id": "x"}])  # type: ignore[list-item]
    assert await count(store) == 0


# -- tenants, transactions, concurrency ----------------------------------------------------------------------------


async def test_tenants_never_see_each_other(store: Store) -> None:
    with rawstore.tenant("acme"):
        await store.traces.insert_many([span("s1", NS0, attributes={"t": "acme"}), span("s2", NS0 + 1)])
    with rawstore.tenant("globex"):
        # The same span ids are free in another tenant.
        await store.traces.insert_many([span("s1", NS0 + 5, attributes={"t": "globex"})])
        page = await store.traces.list(with_total=True)
        assert [(r.id, r.attributes) for r in page.items] == [("s1", {"t": "globex"})] and page.total == 1
        assert await ids(store, attributes={"t": "acme"}) == []
        assert await ids(store, name_prefix="agent") == ["s1"]
        assert await ids(store, scope="mastra") == ["s1"]
    with rawstore.tenant("acme"):
        assert await ids(store) == ["s2", "s1"]
        with pytest.raises(Conflict):
            await store.traces.insert_many([span("s1")])
    assert await ids(store) == []
    assert await count(store) == 3


async def test_tenancy_required_refuses_calls_without_a_tenant(backend: str, db_url: str) -> None:
    s = await rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", tenancy="required")
    try:
        with pytest.raises(rawstore.TenantRequired):
            await s.traces.insert_many([span("s")])
        with pytest.raises(rawstore.TenantRequired):
            await s.traces.list()
        with rawstore.tenant("t"):
            assert await s.traces.insert_many([span("s")]) == 1
            assert len((await s.traces.list()).items) == 1
    finally:
        await s.close()


async def test_inside_a_transaction_spans_commit_or_roll_back_with_the_application(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.traces.insert_many([span("kept", NS0)])
        assert [r.id for r in (await tx.traces.list()).items] == ["kept"]
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.traces.insert_many([span("lost", NS0 + 1)])
            assert len((await tx.traces.list()).items) == 2
            raise RuntimeError("application failure")
    assert await ids(store) == ["kept"]
    # A failed insert inside a transaction leaves the transaction usable (its own savepoint rolled back).
    async with store.transaction() as tx:
        with pytest.raises(Conflict):
            await tx.traces.insert_many([span("other", NS0 + 2), span("kept", NS0 + 3)])
        await tx.traces.insert_many([span("after", NS0 + 4)])
    assert await ids(store) == ["after", "kept"]


async def test_concurrent_batches_all_land(store: Store) -> None:
    async def writer(w: int) -> int:
        n = 0
        for b in range(3):
            n += await store.traces.insert_many([span(f"w{w}-b{b}-{i}", NS0 + i, trace_id=f"t{w}") for i in range(20)])
        return n

    assert await asyncio.gather(*(writer(w) for w in range(6))) == [60] * 6
    page = await store.traces.list(limit=1000, with_total=True)
    assert page.total == 360 and len({r.id for r in page.items}) == 360


async def test_concurrent_batches_sharing_an_id_one_wins_the_other_writes_nothing(store: Store) -> None:
    async def writer(w: int) -> bool:
        try:
            await store.traces.insert_many([span(f"own-{w}-{i}", NS0 + i) for i in range(30)] + [span("shared")])
        except Conflict:
            return False
        return True

    results = await asyncio.gather(*(writer(w) for w in range(4)))
    assert results.count(True) == 1
    assert await count(store) == 31
    winner = results.index(True)
    assert set(await ids(store, limit=100)) == {f"own-{winner}-{i}" for i in range(30)} | {"shared"}

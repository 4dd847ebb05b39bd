"""Conformance: AI spans (`store.spans`) — writes, updates, trace trees, input checks, tenants, transactions and
concurrent writers, on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

import rawstore
from rawstore import Conflict, InvalidInput, NotFound, Store
from rawstore.spans import Span, SpanUpdate, Trace, TraceSummary
from rawstore.spans import store as span_store
from rawstore.spans.store import tokens

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)

RICH: dict[str, Any] = {
    "text": "«naïve» — 日本語 🎉 'q' \"dq\" \\bs\nnew line\ttab",
    "nested": {"list": [1, 2.5, -3, None, True, False, "", [], {}], "deep": {"a": {"b": {"c": [0.1, 1.5e-7, -0.0]}}}},
    "empty": "",
    "big": 2**62,
}


def span(trace: str, sid: str, parent: str | None = None, at: float = 0.0, **kw: Any) -> Span:
    fields: dict[str, Any] = {"name": f"span {sid}", "span_type": "model_generation"}
    fields.update(kw)
    return Span(trace, sid, started_at=T0 + timedelta(seconds=at), parent_span_id=parent, **fields)


async def count(store: Store, where: str = "1 = 1") -> int:
    """Spans in rs_ai_spans, every tenant, read with the application's own SQL."""
    async with store.transaction() as tx:
        row = await tx.fetchrow(f"SELECT count(*) AS n FROM rs_ai_spans WHERE {where}")
    assert row is not None
    return int(row["n"])


def plain(s: Span) -> dict[str, Any]:
    """A span's stored fields (children, summary and the kit's timestamps left out)."""
    d = msgspec.structs.asdict(s)
    for k in ("children", "summary", "created_at", "updated_at"):
        d.pop(k)
    return d


# -- records ------------------------------------------------------------------------------------------------------


def test_records_are_positional_in_the_contract_order() -> None:
    s = Span("t", "s", "name", "agent_run", T0)
    assert (s.trace_id, s.span_id, s.name, s.span_type, s.started_at) == ("t", "s", "name", "agent_run", T0)
    assert s.parent_span_id is None and s.ended_at is None and s.is_event is False and s.tags is None
    assert s.created_at is None and s.updated_at is None and s.children == [] and s.summary is None
    assert list(Span.__struct_fields__[:8]) == [
        "trace_id",
        "span_id",
        "name",
        "span_type",
        "started_at",
        "parent_span_id",
        "ended_at",
        "is_event",
    ]
    assert Span.__struct_fields__[-4:] == ("created_at", "updated_at", "children", "summary")
    u = SpanUpdate("t", "s", ended_at=T0)
    assert (u.trace_id, u.span_id, u.ended_at, u.output) == ("t", "s", T0, None)
    assert TraceSummary(1, 0, 2, 3, None).input_tokens == 2
    assert Trace("t", [s], s).roots == []


def test_tokens_come_from_usage_or_opentelemetry_attributes() -> None:
    assert tokens({"usage": {"inputTokens": 10, "outputTokens": 4}}) == (10, 4)
    assert tokens({"usage": {"promptTokens": 7, "completionTokens": 2}}) == (7, 2)
    assert tokens({"gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 9}) == (3, 9)
    # usage first, OpenTelemetry for what usage lacks; inputTokens before promptTokens.
    assert tokens({"usage": {"inputTokens": 1, "promptTokens": 99}, "gen_ai.usage.output_tokens": 5}) == (1, 5)
    assert tokens({"usage": {"inputTokens": 12.0}}) == (12, 0)
    # Counts that are not whole numbers in range count as 0: never refused, never guessed.
    for bad in (-1, 1.5, "12", True, None, 2**53, float("nan"), [3]):
        assert tokens({"usage": {"inputTokens": bad, "outputTokens": bad}}) == (0, 0), bad
    assert tokens(None) == tokens([1]) == tokens("usage") == tokens({"usage": [1, 2]}) == (0, 0)


# -- create and read back -----------------------------------------------------------------------------------------


async def test_create_round_trips_every_field(store: Store) -> None:
    minus7 = timezone(timedelta(hours=-7))
    s = Span(
        "trace-1",
        "span-1",
        "agent run: 'support'",
        "agent_run",
        T0.astimezone(minus7),
        None,
        (T0 + timedelta(seconds=2, microseconds=1)).astimezone(minus7),
        True,
        {"name": "mastra", "version": "1.0"},
        {"usage": {"inputTokens": 10, "outputTokens": 4}, "model": "gpt-4o", "rich": RICH},
        RICH,
        [{"traceId": "x", "spanId": "y"}],
        "a plain JSON string",
        [1, "two", {"three": 3}],
        {"message": "boom", "stack": "line 1\nline 2"},
        "agent",
        "support-agent",
        "Support agent",
        "user-1",
        "thread-1",
        "run-1",
        "session-1",
        ["prod", "é"],
    )
    created = await store.spans.create(s)
    assert created.created_at is not None and created.created_at == created.updated_at
    assert created.created_at.tzinfo is not None
    trace = await store.spans.get_trace("trace-1")
    assert trace is not None and len(trace.spans) == 1
    got = trace.spans[0]
    assert plain(got) == plain(s)
    assert got.started_at == T0 and got.started_at.utcoffset() == timedelta(0)
    assert got.ended_at == T0 + timedelta(seconds=2, microseconds=1)
    assert got.created_at == created.created_at and got.updated_at == created.updated_at
    assert got.is_event is True and got.children == [] and got.summary is None
    assert trace.root is got and trace.roots == [got] and trace.trace_id == "trace-1"


async def test_json_scalars_and_absent_values(store: Store) -> None:
    given = T0 - timedelta(days=3)
    spans = [
        span("t", "a", input=0, output=False, metadata=1.5, tags="tag", scope=[], links={}),
        span("t", "b", created_at=given, updated_at=given + timedelta(seconds=1)),
    ]
    assert await store.spans.create_many(spans) == 2
    trace = await store.spans.get_trace("t")
    assert trace is not None
    a, b = trace.spans
    assert (a.input, a.output, a.metadata, a.tags, a.scope, a.links) == (0, False, 1.5, "tag", [], {})
    assert a.attributes is None and a.error is None and a.entity_id is None and a.ended_at is None
    # Given created_at / updated_at are kept (an import keeps its history); None means the time of the call.
    assert b.created_at == given and b.updated_at == given + timedelta(seconds=1)


async def test_get_trace_builds_the_tree_in_start_order(store: Store) -> None:
    spans = [
        span("tr", "root", at=0, span_type="agent_run"),
        span("tr", "llm-2", "root", at=2),
        span("tr", "llm-1", "root", at=1),
        span("tr", "tool-b", "llm-1", at=1.5),
        span("tr", "tool-a", "llm-1", at=1.5),  # same start as tool-b: span_id orders them
        span("tr", "orphan", "gone", at=0.5),
        span("tr", "event", "root", at=3, is_event=True),
        span("other", "x"),
    ]
    await store.spans.create_many(spans)
    trace = await store.spans.get_trace("tr")
    assert trace is not None
    assert [s.span_id for s in trace.spans] == ["root", "orphan", "llm-1", "tool-a", "tool-b", "llm-2", "event"]
    by = {s.span_id: s for s in trace.spans}
    assert [c.span_id for c in by["root"].children] == ["llm-1", "llm-2", "event"]
    assert [c.span_id for c in by["llm-1"].children] == ["tool-a", "tool-b"]
    assert by["llm-1"].children[0] is by["tool-a"]  # the same objects as in `spans`
    assert by["orphan"].children == [] and by["tool-a"].children == []
    assert [s.span_id for s in trace.roots] == ["root", "orphan"]
    assert trace.root is by["root"]
    assert await store.spans.get_trace("nope") is None


async def test_orphans_only_and_parent_cycles_are_top_level(store: Store) -> None:
    await store.spans.create_many(
        [
            span("orphans", "b", "missing", at=1),
            span("orphans", "a", "missing", at=2),
            span("cycle", "x", "y", at=0),
            span("cycle", "y", "x", at=1),
            span("cycle", "z", "y", at=2),
            span("self", "s", "s"),
        ]
    )
    o = await store.spans.get_trace("orphans")
    assert o is not None and [s.span_id for s in o.roots] == ["b", "a"] and o.root.span_id == "b"
    c = await store.spans.get_trace("cycle")
    assert c is not None
    # The walk from x closes the cycle at x: x becomes top-level, y its child, z y's child.
    assert [s.span_id for s in c.roots] == ["x"]
    by = {s.span_id: s for s in c.spans}
    assert by["x"].children == [by["y"]] and by["y"].children == [by["z"]]
    s = await store.spans.get_trace("self")
    assert s is not None and s.roots == s.spans and s.spans[0].children == []


async def test_a_large_trace_is_read_whole(store: Store) -> None:
    spans = [span("big", "root", at=0)] + [span("big", f"s{i:04d}", "root", at=1 + i / 1000) for i in range(1500)]
    assert await store.spans.create_many(spans) == 1501
    trace = await store.spans.get_trace("big")
    assert trace is not None and len(trace.spans) == 1501 and len(trace.root.children) == 1500


# -- conflicts and bad input ----------------------------------------------------------------------------------------


async def test_duplicate_in_the_batch_is_a_conflict_and_nothing_is_written(store: Store) -> None:
    batch = [span("t", "a"), span("t", "b"), span("t", "a", name="again")]
    with pytest.raises(Conflict, match="twice"):
        await store.spans.create_many(batch)
    assert await count(store) == 0
    # The same span id in two traces is two spans.
    assert await store.spans.create_many([span("t1", "a"), span("t2", "a")]) == 2


async def test_duplicate_of_a_stored_span_is_a_conflict_and_nothing_is_written(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.spans.create(span("t", "stored"))
    with pytest.raises(Conflict):
        await store.spans.create(span("t", "stored", name="other"))
    # Several statements (chunks) in one transaction: the duplicate in the last one undoes the first.
    monkeypatch.setattr(span_store, "CHUNK", 2)
    batch = [span("t", f"new-{i}") for i in range(5)] + [span("t", "stored")]
    with pytest.raises(Conflict):
        await store.spans.create_many(batch)
    assert await count(store) == 1
    trace = await store.spans.get_trace("t")
    assert trace is not None and trace.spans[0].name == "span stored"


def _bad_spans() -> list[tuple[str, Any]]:
    class Opaque:
        pass

    deep: Any = []
    for _ in range(40):
        deep = [deep]
    return [
        ("trace_id", span("", "s")),
        ("trace_id", span(" ", "s")),
        ("trace_id", span("x" * 129, "s")),
        ("trace_id", span(3, "s")),  # type: ignore[arg-type]
        ("span_id", span("t", "a\x00b")),
        ("span_id", span("t", None)),  # type: ignore[arg-type]
        ("parent_span_id", span("t", "s", "")),
        ("parent_span_id", span("t", "s", "p" * 129)),
        ("name", span("t", "s", name="")),
        ("name", span("t", "s", name="n" * 1025)),
        ("span_type", span("t", "s", span_type=None)),
        ("span_type", span("t", "s", span_type="x" * 65)),
        ("started_at", Span("t", "s", "n", "x", datetime(2025, 1, 1))),  # naive
        ("started_at", Span("t", "s", "n", "x", "2025-01-01")),  # type: ignore[arg-type]
        ("ended_at", span("t", "s", ended_at=datetime(2025, 1, 1))),
        ("is_event", span("t", "s", is_event=1)),
        ("input", span("t", "s", input={"n": 1j})),
        ("output", span("t", "s", output=Opaque())),
        ("attributes", span("t", "s", attributes={"k": "nul \x00 here"})),
        ("metadata", span("t", "s", metadata=deep)),
        ("tags", span("t", "s", tags=["\ud800"])),
        ("entity_type", span("t", "s", entity_type="")),
        ("entity_id", span("t", "s", entity_id="")),
        ("entity_name", span("t", "s", entity_name="e" * 256)),
        ("resource_id", span("t", "s", resource_id="r" * 256)),
        ("thread_id", span("t", "s", thread_id=5)),
        ("run_id", span("t", "s", run_id=" ")),
        ("session_id", span("t", "s", session_id="a\x00")),
        ("created_at", span("t", "s", created_at=datetime(2025, 1, 1))),
        ("updated_at", span("t", "s", updated_at=datetime(1, 1, 1, tzinfo=UTC))),
    ]


async def test_bad_span_is_invalid_input_and_nothing_is_written(store: Store) -> None:
    for field, bad in _bad_spans():
        with pytest.raises(InvalidInput, match=rf"spans\[1\]\.{field}"):
            await store.spans.create_many([span("t", "good"), bad])
        with pytest.raises(InvalidInput, match=rf"span\.{field}"):
            await store.spans.create(bad)
    assert await count(store) == 0


@pytest.mark.parametrize("bad", ["not a list", b"x", None, 5, {"a": 1}, [1], [None]])
async def test_create_many_needs_a_list_of_spans(store: Store, bad: Any) -> None:
    with pytest.raises(InvalidInput):
        await store.spans.create_many(bad)
    assert await store.spans.create_many([]) == 0
    assert await count(store) == 0


async def test_create_many_refuses_a_single_span(store: Store) -> None:
    with pytest.raises(InvalidInput, match=r"list of rawstore\.Span"):
        await store.spans.create_many(span("t", "s"))  # type: ignore[arg-type]


# -- updates ------------------------------------------------------------------------------------------------------


async def test_update_sets_given_fields_and_keeps_the_rest(store: Store) -> None:
    created = await store.spans.create(
        span("t", "s", input={"q": 1}, attributes={"usage": {"inputTokens": 3}}, resource_id="r")
    )
    end = T0 + timedelta(seconds=5)
    got = await store.spans.update("t", "s", ended_at=end, output=RICH, error={"message": "x"}, tags=["a"])
    assert got.ended_at == end and got.output == RICH and got.error == {"message": "x"} and got.tags == ["a"]
    assert got.input == {"q": 1} and got.resource_id == "r" and got.name == "span s"
    assert got.created_at == created.created_at
    assert got.updated_at is not None and created.updated_at is not None and got.updated_at > created.updated_at
    # Every mutable field may change, the parent and the start included.
    again = await store.spans.update(
        "t",
        "s",
        name="renamed",
        span_type="tool_call",
        started_at=T0 - timedelta(seconds=1),
        parent_span_id="p",
        is_event=True,
        scope={"v": 2},
        metadata={"m": 1},
        links=[1],
        input="new",
        entity_type="workflow",
        entity_id="wf",
        entity_name="Workflow",
        resource_id="r2",
        thread_id="th",
        run_id="run",
        session_id="sess",
    )
    assert (again.name, again.span_type, again.parent_span_id, again.is_event) == ("renamed", "tool_call", "p", True)
    assert again.started_at == T0 - timedelta(seconds=1) and again.output == RICH and again.input == "new"
    assert (again.entity_type, again.entity_id, again.entity_name) == ("workflow", "wf", "Workflow")
    assert (again.resource_id, again.thread_id, again.run_id, again.session_id) == ("r2", "th", "run", "sess")
    assert (again.scope, again.metadata, again.links) == ({"v": 2}, {"m": 1}, [1])
    trace = await store.spans.get_trace("t")
    assert trace is not None and plain(trace.spans[0]) == plain(again)


async def test_update_of_a_missing_span_is_not_found(store: Store) -> None:
    await store.spans.create(span("t", "s"))
    with pytest.raises(NotFound):
        await store.spans.update("t", "nope", name="x")
    with pytest.raises(NotFound):
        await store.spans.update("other", "s", name="x")


async def test_bad_update_is_invalid_input_and_changes_nothing(store: Store) -> None:
    await store.spans.create(span("t", "s", output={"kept": True}))
    before = await store.spans.get_trace("t")
    for fields, match in (
        ({"nope": 1}, "nope"),
        ({"created_at": T0}, "created_at"),
        ({"children": []}, "children"),
        ({"name": ""}, r"update\.name"),
        ({"ended_at": datetime(2025, 1, 1)}, r"update\.ended_at"),
        ({"is_event": "yes"}, r"update\.is_event"),
        ({"output": [object()]}, r"update\.output"),
        ({"parent_span_id": "p" * 129}, r"update\.parent_span_id"),
        ({"resource_id": ""}, r"update\.resource_id"),
    ):
        with pytest.raises(InvalidInput, match=match):
            await store.spans.update("t", "s", **fields)
    for trace_id, span_id in (("", "s"), ("t", "x" * 129), (None, "s")):
        with pytest.raises(InvalidInput):
            await store.spans.update(trace_id, span_id, name="x")  # type: ignore[arg-type]
    assert await store.spans.get_trace("t") == before


async def test_update_many_applies_a_batch_and_skips_missing_spans(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(span_store, "CHUNK", 3)  # several statements, one transaction
    await store.spans.create_many([span("t", f"s{i}", None if i == 0 else "s0", at=i) for i in range(7)])
    end = T0 + timedelta(minutes=1)
    updates = [SpanUpdate("t", f"s{i}", ended_at=end + timedelta(seconds=i), output={"i": i}) for i in range(7)]
    updates.append(SpanUpdate("t", "missing", ended_at=end))
    assert await store.spans.update_many(updates) == 7
    trace = await store.spans.get_trace("t")
    assert trace is not None
    for s in trace.spans:
        i = int(s.span_id[1:])
        assert s.ended_at == end + timedelta(seconds=i) and s.output == {"i": i} and s.name == f"span s{i}"
    assert len({s.updated_at for s in trace.spans}) == 1
    assert await store.spans.update_many([]) == 0


async def test_update_many_merges_updates_of_one_span_in_order(store: Store) -> None:
    await store.spans.create(span("t", "s", input="in"))
    n = await store.spans.update_many(
        [
            SpanUpdate("t", "s", output="first", name="first"),
            SpanUpdate("t", "s", output="second", error={"e": 1}),
            SpanUpdate("t", "s", ended_at=T0 + timedelta(seconds=1)),
        ]
    )
    assert n == 1
    trace = await store.spans.get_trace("t")
    assert trace is not None
    s = trace.spans[0]
    assert (s.name, s.output, s.error, s.input, s.ended_at) == (
        "first",
        "second",
        {"e": 1},
        "in",
        T0 + timedelta(seconds=1),
    )


async def test_bad_update_many_changes_nothing(store: Store) -> None:
    await store.spans.create_many([span("t", "a"), span("t", "b")])
    before = await store.spans.get_trace("t")
    for bad in (
        [SpanUpdate("t", "a", name="ok"), SpanUpdate("t", "b", ended_at=datetime(2025, 1, 1))],
        [SpanUpdate("t", "a", name="ok"), {"trace_id": "t", "span_id": "b"}],
        [SpanUpdate("t", "a", name="ok"), SpanUpdate("t", "", name="x")],
        "not a list",
        SpanUpdate("t", "a", name="x"),
    ):
        with pytest.raises(InvalidInput):
            await store.spans.update_many(bad)  # type: ignore[arg-type]
    assert await store.spans.get_trace("t") == before


async def test_token_columns_follow_the_attributes(store: Store) -> None:
    await store.spans.create_many(
        [
            span("t", "root", attributes={"usage": {"inputTokens": 100, "outputTokens": 20}}),
            span("t", "a", "root", attributes={"usage": {"promptTokens": 7, "completionTokens": 3}}),
            span("t", "b", "root", attributes={"gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 1}),
            span("t", "c", "root", attributes={"usage": {"inputTokens": "many"}}),
        ]
    )

    async def totals() -> tuple[int, int]:
        async with store.transaction() as tx:
            row = await tx.fetchrow(
                "SELECT sum(input_tokens) AS i, sum(output_tokens) AS o FROM rs_ai_spans WHERE trace_id = 't'"
            )
        assert row is not None
        return int(row["i"]), int(row["o"])

    assert await totals() == (112, 24)
    # A new attributes value recomputes the span's counts; an update without attributes keeps them.
    await store.spans.update("t", "a", attributes={"model": "x"})
    await store.spans.update("t", "b", output="done")
    await store.spans.update_many([SpanUpdate("t", "c", attributes={"usage": {"inputTokens": 50, "outputTokens": 6}})])
    assert await totals() == (155, 27)


# -- tenants and transactions -------------------------------------------------------------------------------------


async def test_tenants_never_see_each_others_spans(store: Store) -> None:
    with rawstore.tenant("a"):
        await store.spans.create_many([span("shared", "root", input="a's"), span("shared", "c", "root")])
    with rawstore.tenant("b"):
        assert await store.spans.get_trace("shared") is None
        assert (await store.spans.list_traces()).items == []
        with pytest.raises(NotFound):
            await store.spans.update("shared", "root", name="stolen")
        assert await store.spans.update_many([SpanUpdate("shared", "root", name="stolen")]) == 0
        assert await store.spans.delete_traces(["shared"]) == 0
        assert await store.spans.prune(keep_last=0) == 0
        # The same ids are free in another tenant.
        await store.spans.create(span("shared", "root", input="b's"))
        b_trace = await store.spans.get_trace("shared")
        assert b_trace is not None and [s.input for s in b_trace.spans] == ["b's"]
    with rawstore.tenant("a"):
        trace = await store.spans.get_trace("shared")
        assert trace is not None and trace.root.input == "a's" and trace.root.name == "span root"
        assert len(trace.spans) == 2
    assert await count(store) == 3


async def test_spans_inside_a_transaction_commit_or_roll_back_together(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.spans.create_many([span("t", "a"), span("t", "b", "a")])
            await tx.spans.update("t", "b", output="x")
            trace = await tx.spans.get_trace("t")
            assert trace is not None and len(trace.spans) == 2
            raise RuntimeError("abort")
    assert await count(store) == 0
    async with store.transaction() as tx:
        await tx.spans.create(span("t", "a"))
        # A failed call inside the transaction rolls back only itself (a savepoint).
        with pytest.raises(Conflict):
            await tx.spans.create_many([span("t", "z"), span("t", "a")])
        assert await tx.spans.update_many([SpanUpdate("t", "a", output=1)]) == 1
    trace = await store.spans.get_trace("t")
    assert trace is not None and [(s.span_id, s.output) for s in trace.spans] == [("a", 1)]


# -- concurrency ----------------------------------------------------------------------------------------------------


async def test_concurrent_batches_of_distinct_traces_all_land(store: Store) -> None:
    async def batch(k: int) -> int:
        return await store.spans.create_many(
            [span(f"trace-{k}", "root")] + [span(f"trace-{k}", f"c{i}", "root", at=i) for i in range(40)]
        )

    assert await asyncio.gather(*(batch(k) for k in range(6))) == [41] * 6
    assert await count(store) == 6 * 41


async def test_concurrent_batches_with_a_shared_span_write_it_once(store: Store) -> None:
    async def batch(k: int) -> str:
        # Every batch holds the shared span, in a different position; spans of its own otherwise.
        spans = [span("t", f"own-{k}-{i}") for i in range(20)]
        spans.insert(k * 3, span("t", "shared", name=f"from {k}"))
        try:
            await store.spans.create_many(spans)
        except Conflict:
            return "conflict"
        return "ok"

    outcomes = await asyncio.gather(*(batch(k) for k in range(5)))
    assert sorted(outcomes) == ["conflict"] * 4 + ["ok"]
    assert await count(store) == 21


async def test_concurrent_updates_of_different_fields_all_survive(store: Store) -> None:
    await store.spans.create_many([span("t", f"s{i}") for i in range(30)])
    fields = ["output", "error", "metadata", "tags", "links"]

    async def updater(field: str) -> int:
        # Each updater touches every span (in a shuffled order), setting only its own field.
        order = sorted(range(30), key=lambda i: (i * 7 + len(field)) % 30)
        return await store.spans.update_many([SpanUpdate("t", f"s{i}", **{field: f"{field}-{i}"}) for i in order])

    assert await asyncio.gather(*(updater(f) for f in fields)) == [30] * len(fields)
    trace = await store.spans.get_trace("t")
    assert trace is not None
    for s in trace.spans:
        i = s.span_id[1:]
        assert [getattr(s, f) for f in fields] == [f"{f}-{i}" for f in fields]

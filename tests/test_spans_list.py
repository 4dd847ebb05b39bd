"""Conformance: listing traces by their root spans (`list_traces`: keyset pages, filters, totals, summaries) and
deleting them (`delete_traces`, `prune`), on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import rawstore
from rawstore import InvalidInput, Store
from rawstore.pagination import encode_cursor
from rawstore.spans import Span, SpanUpdate, TraceSummary
from rawstore.spans import store as span_store

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)


def span(trace: str, sid: str, parent: str | None = None, at: float = 0.0, **kw: Any) -> Span:
    fields: dict[str, Any] = {"name": f"span {sid}", "span_type": "agent_run" if parent is None else "tool_call"}
    fields.update(kw)
    return Span(trace, sid, started_at=T0 + timedelta(seconds=at), parent_span_id=parent, **fields)


async def walk(store: Store, limit: int, **filters: Any) -> list[Span]:
    """Every root of a listing, page by page; checks the page invariants on the way."""
    out: list[Span] = []
    cursor = None
    while True:
        page = await store.spans.list_traces(limit=limit, cursor=cursor, **filters)
        assert len(page.items) <= limit
        out.extend(page.items)
        assert page.has_more == (page.next_cursor is not None)
        if not page.has_more:
            return out
        assert len(page.items) == limit
        cursor = page.next_cursor


def order(spans: list[Span]) -> list[tuple[datetime, str, str]]:
    return [(s.started_at, s.trace_id, s.span_id) for s in spans]


async def count(store: Store) -> int:
    async with store.transaction() as tx:
        row = await tx.fetchrow("SELECT count(*) AS n FROM rs_ai_spans")
    assert row is not None
    return int(row["n"])


# -- pages -----------------------------------------------------------------------------------------------------------


async def test_roots_newest_first_and_equal_starts_never_lost_or_repeated(store: Store) -> None:
    spans: list[Span] = []
    for i in range(23):
        trace = f"trace-{(i * 7) % 23:02d}"
        at = (i // 5) * 10.0  # five roots share each start
        spans.append(span(trace, "root", at=at))
        spans.append(span(trace, "child", "root", at=at + 1))
    # Two roots in one trace (a trace may have several): span_id orders them.
    spans.append(span("trace-05", "root-2", at=20.0))
    await store.spans.create_many(spans)
    expected = sorted(((s.started_at, s.trace_id, s.span_id) for s in spans if s.parent_span_id is None), reverse=True)
    for limit in (1, 3, 5, 24, 100):
        got = await walk(store, limit)
        assert order(got) == expected, limit
        assert all(s.parent_span_id is None and s.children == [] and s.summary is None for s in got)
    page = await store.spans.list_traces()
    assert len(page.items) == 20 and page.has_more and page.total is None  # default limit 20


async def test_a_span_inserted_between_pages_is_neither_lost_nor_repeated(store: Store) -> None:
    await store.spans.create_many([span(f"t{i}", "root", at=0) for i in range(6)])
    first = await store.spans.list_traces(limit=3)
    assert [s.trace_id for s in first.items] == ["t5", "t4", "t3"]
    # Same start as the page's last root: one sorting after the cursor comes next, one before it was already passed.
    await store.spans.create_many([span("t25", "root", at=0), span("t45", "root", at=0)])
    rest = await walk_from(store, first.next_cursor)
    assert [s.trace_id for s in rest] == ["t25", "t2", "t1", "t0"]


async def walk_from(store: Store, cursor: str | None) -> list[Span]:
    out: list[Span] = []
    while cursor is not None:
        page = await store.spans.list_traces(limit=2, cursor=cursor)
        out.extend(page.items)
        cursor = page.next_cursor
    return out


async def test_limit_zero_last_page_and_empty_list(store: Store) -> None:
    assert (await store.spans.list_traces()).items == []
    await store.spans.create_many([span("a", "r", at=1), span("b", "r", at=2)])
    zero = await store.spans.list_traces(limit=0, with_total=True)
    assert zero.items == [] and zero.total == 2 and zero.next_cursor is None and not zero.has_more
    page = await store.spans.list_traces(limit=2)
    assert [s.trace_id for s in page.items] == ["b", "a"] and not page.has_more and page.next_cursor is None


def _corpus() -> list[Span]:
    out: list[Span] = []
    for i in range(24):
        agent = i % 3 == 0
        root = span(
            f"tr-{i:02d}",
            "root",
            at=i,
            name="agent run: 'helper'" if agent else "workflow run: 'etl'",
            span_type="agent_run" if agent else "workflow_run",
            entity_type="agent" if agent else "workflow",
            entity_id="helper" if agent else "etl",
            resource_id=f"user-{i % 2}",
            thread_id=f"thread-{i % 4}",
            run_id=f"run-{i // 2}",
            ended_at=None if i % 5 == 0 else T0 + timedelta(seconds=i + 1),
            error={"message": "failed"} if i % 6 == 1 else None,
        )
        # Children carry the same entity and resource ids as their root, and never show up in the list.
        out.append(root)
        out.append(span(f"tr-{i:02d}", "child", "root", at=i + 0.5, entity_id=root.entity_id, resource_id="user-0"))
    return out


def _status(s: Span) -> str:
    return "error" if s.error is not None else "running" if s.ended_at is None else "ok"


FILTERS: list[dict[str, Any]] = [
    {"name": "agent run: 'helper'"},
    {"span_type": "workflow_run"},
    {"entity_type": "agent"},
    {"entity_id": "etl"},
    {"resource_id": "user-1"},
    {"thread_id": "thread-2"},
    {"run_id": "run-3"},
    {"status": "ok"},
    {"status": "error"},
    {"status": "running"},
    {"since": T0 + timedelta(seconds=5), "until": T0 + timedelta(seconds=9)},
    {"entity_id": "helper", "status": "ok", "resource_id": "user-1"},
    {"resource_id": "user-0", "thread_id": "thread-2", "since": T0 + timedelta(seconds=3)},
    {"run_id": "run-4", "entity_type": "workflow", "span_type": "workflow_run", "name": "workflow run: 'etl'"},
    {"thread_id": "thread-1", "status": "running"},
    {"entity_id": "nobody"},
    {"until": T0 - timedelta(seconds=1)},
]


def _matches(s: Span, f: dict[str, Any]) -> bool:
    for key, want in f.items():
        if key == "status":
            if _status(s) != want:
                return False
        elif key == "since":
            if s.started_at < want:
                return False
        elif key == "until":
            if s.started_at > want:
                return False
        elif getattr(s, key) != want:
            return False
    return True


async def test_every_filter_and_combination_pages_through_its_roots(store: Store) -> None:
    corpus = _corpus()
    await store.spans.create_many(corpus)
    roots = [s for s in corpus if s.parent_span_id is None]
    for f in FILTERS:
        expected = sorted(((s.started_at, s.trace_id, s.span_id) for s in roots if _matches(s, f)), reverse=True)
        got = await walk(store, 4, **f)
        assert order(got) == expected, f
        total = (await store.spans.list_traces(limit=1, with_total=True, **f)).total
        assert total == len(expected), f
    # since / until are inclusive.
    edge = await store.spans.list_traces(since=T0 + timedelta(seconds=7), until=T0 + timedelta(seconds=7))
    assert [s.trace_id for s in edge.items] == ["tr-07"]


async def test_with_summary_totals_each_whole_trace(store: Store) -> None:
    usage = {"usage": {"inputTokens": 100, "outputTokens": 10}}
    await store.spans.create_many(
        [
            span("done", "root", at=0, ended_at=T0 + timedelta(seconds=9), attributes=usage),
            span("done", "llm", "root", at=1, ended_at=T0 + timedelta(seconds=12, microseconds=5), attributes=usage),
            span("done", "tool", "llm", at=2, ended_at=T0 + timedelta(seconds=3), error={"message": "retry"}),
            span("done", "event", "root", at=13, is_event=True),  # an event has no end: it never counts as running
            span("done", "orphan", "gone", at=-1, ended_at=T0, attributes={"gen_ai.usage.input_tokens": 1}),
            span("live", "root", at=20, attributes={"usage": {"promptTokens": 5, "completionTokens": 2}}),
            span("live", "llm", "root", at=21, ended_at=T0 + timedelta(seconds=22)),
            span("bare", "root", at=30, ended_at=T0 + timedelta(seconds=30)),
        ]
    )
    page = await store.spans.list_traces(with_summary=True)
    got = {s.trace_id: s.summary for s in page.items}
    assert got == {
        "done": TraceSummary(5, 1, 201, 20, timedelta(seconds=14)),  # from the orphan's start to the event
        "live": TraceSummary(2, 0, 5, 2, None),
        "bare": TraceSummary(1, 0, 0, 0, timedelta(0)),
    }
    await store.spans.update("live", "root", ended_at=T0 + timedelta(seconds=25), error="late")
    at20 = T0 + timedelta(seconds=20)
    page = await store.spans.list_traces(since=at20, until=at20, with_summary=True)
    assert [s.trace_id for s in page.items] == ["live"]
    assert page.items[0].summary == TraceSummary(2, 1, 5, 2, timedelta(seconds=5))
    # Without with_summary no summary is read.
    assert all(s.summary is None for s in (await store.spans.list_traces()).items)


async def test_bad_list_arguments_are_invalid_input(store: Store) -> None:
    await store.spans.create(span("t", "root"))
    other = encode_cursor("threads:created_at:desc", T0, "x")
    for kw in (
        {"status": "done"},
        {"status": "OK"},
        {"limit": -1},
        {"limit": True},
        {"limit": "5"},
        {"since": datetime(2025, 1, 1)},
        {"until": "2025-01-01"},
        {"cursor": "!!!"},
        {"cursor": ""},
        {"cursor": other},
        {"cursor": encode_cursor("spans:traces", T0, "no separator")},
        {"name": ""},
        {"span_type": 3},
        {"entity_id": ""},
        {"resource_id": "r" * 256},
        {"thread_id": 1},
        {"run_id": "a\x00"},
        {"with_total": 1},
        {"with_summary": "yes"},
    ):
        with pytest.raises(InvalidInput):
            await store.spans.list_traces(**kw)


# -- deletes ---------------------------------------------------------------------------------------------------------


async def test_delete_traces_removes_whole_traces(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(span_store, "CHUNK", 2)  # several statements, one transaction
    await store.spans.create_many([span(f"t{i}", s, None if s == "r" else "r") for i in range(5) for s in "rab"])
    assert await store.spans.delete_traces(["t0", "t2", "t3", "missing", "t2"]) == 9
    assert [s.trace_id for s in (await store.spans.list_traces()).items] == ["t4", "t1"]
    assert await store.spans.get_trace("t2") is None
    assert await store.spans.delete_traces([]) == 0
    for bad in ("t1", None, [""], ["x" * 129], [1]):
        with pytest.raises(InvalidInput):
            await store.spans.delete_traces(bad)  # type: ignore[arg-type]
    assert await count(store) == 6


async def _traces(store: Store, n: int, *, children: int = 1) -> None:
    spans = []
    for i in range(n):
        spans.append(span(f"t{i:03d}", "root", at=i))
        spans.extend(span(f"t{i:03d}", f"c{k}", "root", at=i + 100 + k) for k in range(children))
    await store.spans.create_many(spans)


async def remaining(store: Store) -> list[str]:
    return sorted({s.trace_id for s in await walk(store, 100)})


@pytest.mark.parametrize("chunk", [1000, 3])
async def test_prune_by_age_deletes_whole_old_traces(store: Store, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(span_store, "CHUNK", chunk)
    await _traces(store, 10, children=2)
    # Children start long after their root: a trace goes by its root's start, whole.
    assert await store.spans.prune(started_before=T0 + timedelta(seconds=4)) == 12
    assert await remaining(store) == [f"t{i:03d}" for i in range(4, 10)]
    assert await store.spans.get_trace("t003") is None
    assert await store.spans.prune(started_before=T0 + timedelta(seconds=4)) == 0
    assert await store.spans.prune(started_before=T0 + timedelta(seconds=4, microseconds=1)) == 3  # strictly before
    assert await store.spans.prune(started_before=datetime(1000, 1, 1, tzinfo=UTC)) == 0
    assert await count(store) == 15


@pytest.mark.parametrize("chunk", [1000, 3])
async def test_prune_keep_last_and_both_bounds(store: Store, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(span_store, "CHUNK", chunk)
    await _traces(store, 10)
    assert await store.spans.prune(keep_last=20) == 0
    assert await store.spans.prune(keep_last=7) == 6
    assert await remaining(store) == [f"t{i:03d}" for i in range(3, 10)]
    # Both: older than the date AND not among the newest kept.
    assert await store.spans.prune(started_before=T0 + timedelta(seconds=5), keep_last=6) == 2  # only t003
    assert await store.spans.prune(started_before=T0 + timedelta(seconds=9), keep_last=4) == 4  # t004, t005
    assert await remaining(store) == [f"t{i:03d}" for i in range(6, 10)]
    assert await store.spans.prune(keep_last=0) == 8
    assert await count(store) == 0


async def test_prune_keeps_orphan_only_traces_and_other_tenants(store: Store) -> None:
    await store.spans.create_many([span("orphans", "x", "gone", at=-50), span("old", "root", at=-40)])
    with rawstore.tenant("other"):
        await store.spans.create(span("old", "root", at=-40))
    assert await store.spans.prune(started_before=T0) == 1
    assert await store.spans.get_trace("orphans") is not None
    with rawstore.tenant("other"):
        assert await store.spans.get_trace("old") is not None
    assert await store.spans.delete_traces(["orphans"]) == 1


async def test_prune_needs_a_bound_and_checks_its_input(store: Store) -> None:
    await _traces(store, 3)
    for kw in (
        {},
        {"keep_last": -1},
        {"keep_last": 1.5},
        {"keep_last": True},
        {"started_before": datetime(2025, 1, 1)},
        {"started_before": "2025-01-01"},
    ):
        with pytest.raises(InvalidInput):
            await store.spans.prune(**kw)
    assert await count(store) == 6


async def test_prune_inside_a_transaction_rolls_back_with_it(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(span_store, "CHUNK", 2)
    await _traces(store, 5)
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            assert await tx.spans.prune(keep_last=1) == 8
            assert [s.trace_id for s in (await tx.spans.list_traces()).items] == ["t004"]
            raise RuntimeError("abort")
    assert await count(store) == 10


async def test_updates_of_indexed_fields_move_roots_in_the_list(store: Store) -> None:
    await store.spans.create_many(
        [
            span(t, "root", at=i, resource_id="r1", entity_id="e1", thread_id="th", run_id="run")
            for i, t in enumerate("abcd")
        ]
    )
    n = await store.spans.update_many(
        [
            SpanUpdate("a", "root", started_at=T0 + timedelta(seconds=10)),
            SpanUpdate("b", "root", resource_id="r2", entity_id="e2"),
            SpanUpdate("c", "root", parent_span_id="elsewhere"),  # no longer a root
            SpanUpdate("d", "root", thread_id="th2", run_id="run2", output="done"),
        ]
    )
    assert n == 4
    assert [s.trace_id for s in (await store.spans.list_traces()).items] == ["a", "d", "b"]
    assert [s.trace_id for s in (await store.spans.list_traces(resource_id="r1")).items] == ["a", "d"]
    assert [s.trace_id for s in (await store.spans.list_traces(entity_id="e2")).items] == ["b"]
    assert [s.trace_id for s in (await store.spans.list_traces(thread_id="th")).items] == ["a", "b"]
    assert [s.trace_id for s in (await store.spans.list_traces(run_id="run2")).items] == ["d"]
    assert (await store.spans.list_traces(since=T0 + timedelta(seconds=5))).items[0].trace_id == "a"

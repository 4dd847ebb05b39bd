"""Conformance: the lists of `store.scores` (by scorer, run, entity, span) and `stats`, on every backend."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rawstore import InvalidInput, Page, Store
from rawstore.scores import Score, ScoreSource, ScoreStats

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)


def us(n: int) -> datetime:
    return T0 + timedelta(microseconds=n)


def sc(**kw: Any) -> Score:
    fields: dict[str, Any] = dict(
        id="",
        scorer_id="relevancy",
        run_id="run-1",
        entity_id="agent-1",
        score=0.5,
        output={"text": "answer"},
        source="LIVE",
        scorer={"name": "relevancy"},
        entity_type="AGENT",
        created_at=T0,
        updated_at=T0,
    )
    fields.update(kw)
    return Score(**fields)


def newest_first(scores: list[Score]) -> list[str]:
    return [s.id for s in sorted(scores, key=lambda s: (s.created_at, s.id), reverse=True)]


Lister = Callable[..., Awaitable[Page[Score]]]


async def walk(list_call: Lister, *args: Any, limit: int, **kw: Any) -> list[str]:
    """Every id of a list, page by page; checks has_more / next_cursor on the way."""
    ids: list[str] = []
    cursor = None
    for _ in range(1000):
        page = await list_call(*args, limit=limit, cursor=cursor, **kw)
        assert len(page.items) <= limit
        ids.extend(s.id for s in page.items)
        assert page.has_more == (page.next_cursor is not None)
        if not page.has_more:
            return ids
        assert len(page.items) == limit
        cursor = page.next_cursor
    raise AssertionError("the list never ended")


# A small world: 2 scorers x 2 entities x 2 sources x 3 runs, one span per run, distinct times, some equal.
async def world(store: Store) -> list[Score]:
    scores: list[Score] = []
    n = 0
    for scorer in ("relevancy", "toxicity"):
        for entity, etype in (("agent-1", "AGENT"), ("wf-1", "WORKFLOW")):
            for source in ("LIVE", "TEST"):
                for run in range(3):
                    scores.append(
                        sc(
                            id=f"{scorer[:3]}-{entity}-{source}-{run}",
                            scorer_id=scorer,
                            entity_id=entity,
                            entity_type=etype,
                            source=source,
                            run_id=f"run-{run}",
                            trace_id=f"trace-{run}",
                            span_id="span-a" if n % 2 else "span-b",
                            score=(n % 7) / 7,
                            # every third pair shares a timestamp: ties are broken by id
                            created_at=us((n // 2) * 10),
                        )
                    )
                    n += 1
    return await store.scores.save_many(scores)


# -- ordering, pages, ties --------------------------------------------------------------------------------------


async def test_list_by_scorer_is_newest_first_by_created_at_then_id(store: Store) -> None:
    scores = await world(store)
    want = newest_first([s for s in scores if s.scorer_id == "relevancy"])
    page = await store.scores.list_by_scorer("relevancy")
    assert [s.id for s in page.items] == want and not page.has_more and page.next_cursor is None
    assert page.total is None
    for limit in (1, 2, 5, 11, 12, 13):
        assert await walk(store.scores.list_by_scorer, "relevancy", limit=limit) == want
    got = {s.id: s for s in page.items}
    for s in scores:
        if s.scorer_id == "relevancy":
            assert got[s.id] == s


async def test_equal_timestamps_never_lose_or_repeat_rows_across_pages(store: Store) -> None:
    same = [sc(id=f"s{i:02}", run_id="tied", trace_id="t", span_id="s", created_at=T0) for i in range(13)]
    await store.scores.save_many(same)
    want = [f"s{i:02}" for i in reversed(range(13))]
    for limit in (1, 3, 4, 12, 13):
        assert await walk(store.scores.list_by_scorer, "relevancy", limit=limit) == want
        assert await walk(store.scores.list_by_scorer, "relevancy", entity_id="agent-1", limit=limit) == want
        assert await walk(store.scores.list_by_run, "tied", limit=limit) == want
        assert await walk(store.scores.list_by_entity, "agent-1", "AGENT", limit=limit) == want
        assert await walk(store.scores.list_by_span, "t", "s", limit=limit) == want


async def test_a_score_saved_between_pages_does_not_shift_the_next_page(store: Store) -> None:
    await store.scores.save_many([sc(id=f"s{i}", created_at=us(i)) for i in range(6)])
    first = await store.scores.list_by_run("run-1", limit=3)
    assert [s.id for s in first.items] == ["s5", "s4", "s3"]
    await store.scores.save(sc(id="newer", created_at=us(100)))
    await store.scores.save(sc(id="s3a", created_at=us(3)))  # ties with s3, sorts after it by id
    rest = await store.scores.list_by_run("run-1", limit=10, cursor=first.next_cursor)
    assert [s.id for s in rest.items] == ["s2", "s1", "s0"]


# -- each list and its filters ----------------------------------------------------------------------------------


async def test_list_by_scorer_filters(store: Store) -> None:
    scores = await world(store)

    def want(**f: Any) -> list[str]:
        return newest_first([s for s in scores if all(getattr(s, k) == v for k, v in f.items())])

    ls = store.scores.list_by_scorer
    cases: list[dict[str, Any]] = [
        {},
        {"entity_id": "agent-1"},
        {"entity_id": "wf-1", "entity_type": "WORKFLOW"},
        {"entity_id": "wf-1", "entity_type": "AGENT"},
        {"entity_type": "WORKFLOW"},
        {"source": "TEST"},
        {"source": ScoreSource.LIVE},
        {"entity_id": "agent-1", "source": "TEST"},
        {"entity_id": "agent-1", "entity_type": "AGENT", "source": "LIVE"},
        {"entity_type": "AGENT", "source": "TEST"},
    ]
    for f in cases:
        expected = want(scorer_id="toxicity", **f)
        page = await ls("toxicity", with_total=True, **f)
        assert [s.id for s in page.items] == expected, f
        assert page.total == len(expected), f
        assert await walk(ls, "toxicity", limit=2, **f) == expected, f
    assert (await ls("nobody", with_total=True)).total == 0
    assert (await ls("toxicity", entity_id="nobody")).items == []


async def test_list_by_run_entity_and_span(store: Store) -> None:
    scores = await world(store)

    def want(**f: Any) -> list[str]:
        return newest_first([s for s in scores if all(getattr(s, k) == v for k, v in f.items())])

    for run in ("run-0", "run-2"):
        page = await store.scores.list_by_run(run, with_total=True)
        assert [s.id for s in page.items] == want(run_id=run) and page.total == 8
        assert await walk(store.scores.list_by_run, run, limit=3) == want(run_id=run)
    for entity, etype in (("agent-1", "AGENT"), ("wf-1", "WORKFLOW")):
        page = await store.scores.list_by_entity(entity, etype, with_total=True)
        assert [s.id for s in page.items] == want(entity_id=entity, entity_type=etype) and page.total == 12
    assert (await store.scores.list_by_entity("agent-1", "WORKFLOW", with_total=True)).total == 0
    for trace, span in (("trace-1", "span-a"), ("trace-0", "span-b")):
        page = await store.scores.list_by_span(trace, span, with_total=True)
        assert [s.id for s in page.items] == want(trace_id=trace, span_id=span)
        assert page.total == len(page.items) > 0
        assert await walk(store.scores.list_by_span, trace, span, limit=2) == want(trace_id=trace, span_id=span)
    assert (await store.scores.list_by_span("trace-1", "nope")).items == []


async def test_since_and_until_are_inclusive_and_total_ignores_the_cursor(store: Store) -> None:
    await store.scores.save_many(
        [sc(id=f"s{i}", created_at=us(i * 10), trace_id="t", span_id="s", score=i) for i in range(10)]
    )
    calls: list[tuple[Lister, tuple[Any, ...]]] = [
        (store.scores.list_by_scorer, ("relevancy",)),
        (store.scores.list_by_run, ("run-1",)),
        (store.scores.list_by_entity, ("agent-1", "AGENT")),
        (store.scores.list_by_span, ("t", "s")),
    ]
    for call, args in calls:
        page = await call(*args, since=us(20), until=us(60), with_total=True)
        assert [s.id for s in page.items] == ["s6", "s5", "s4", "s3", "s2"] and page.total == 5
        first = await call(*args, since=us(20), until=us(60), limit=2, with_total=True)
        assert [s.id for s in first.items] == ["s6", "s5"] and first.total == 5 and first.has_more
        second = await call(*args, since=us(20), until=us(60), limit=2, cursor=first.next_cursor, with_total=True)
        assert [s.id for s in second.items] == ["s4", "s3"] and second.total == 5
        third = await call(*args, since=us(20), until=us(60), limit=2, cursor=second.next_cursor)
        assert [s.id for s in third.items] == ["s2"] and not third.has_more and third.total is None
        assert (await call(*args, since=us(61), until=us(69))).items == []
        assert (await call(*args, since=us(60), until=us(20))).items == []
        assert [s.id for s in (await call(*args, until=us(0))).items] == ["s0"]
        assert [s.id for s in (await call(*args, since=us(90))).items] == ["s9"]
        # limit 0: no rows, but the total when asked
        zero = await call(*args, limit=0, with_total=True)
        assert zero.items == [] and zero.total == 10 and not zero.has_more


# -- bad list arguments -----------------------------------------------------------------------------------------


async def test_lists_refuse_bad_arguments(store: Store) -> None:
    await store.scores.save_many([sc(id=f"s{i}", created_at=us(i)) for i in range(3)])
    run_cursor = (await store.scores.list_by_run("run-1", limit=1)).next_cursor
    scorer_cursor = (await store.scores.list_by_scorer("relevancy", limit=1)).next_cursor
    assert run_cursor and scorer_cursor
    bad_common: list[dict[str, Any]] = [
        {"limit": -1},
        {"limit": True},
        {"limit": "10"},
        {"limit": 10**7},
        {"since": datetime(2025, 1, 1)},
        {"until": "2025-01-01"},
        {"cursor": ""},
        {"cursor": "not-a-cursor"},
        {"cursor": 5},
        {"with_total": 1},
    ]
    for kw in bad_common:
        with pytest.raises(InvalidInput):
            await store.scores.list_by_scorer("relevancy", **kw)
        with pytest.raises(InvalidInput):
            await store.scores.list_by_run("run-1", **kw)
        with pytest.raises(InvalidInput):
            await store.scores.list_by_entity("agent-1", "AGENT", **kw)
        with pytest.raises(InvalidInput):
            await store.scores.list_by_span("t", "s", **kw)
    # A cursor belongs to its own list.
    with pytest.raises(InvalidInput, match="another list"):
        await store.scores.list_by_scorer("relevancy", cursor=run_cursor)
    with pytest.raises(InvalidInput, match="another list"):
        await store.scores.list_by_run("run-1", cursor=scorer_cursor)
    for kw in ({"source": "live"}, {"source": 1}, {"entity_id": ""}, {"entity_type": ""}, {"entity_id": 5}):
        with pytest.raises(InvalidInput):
            await store.scores.list_by_scorer("relevancy", **kw)
    for bad in ("", " ", None, "x" * 256):
        with pytest.raises(InvalidInput):
            await store.scores.list_by_scorer(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            await store.scores.list_by_run(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            await store.scores.list_by_entity(bad, "AGENT")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            await store.scores.list_by_entity("agent-1", bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            await store.scores.list_by_span(bad, "s")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            await store.scores.list_by_span("t", bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            await store.scores.stats(bad)  # type: ignore[arg-type]


# -- stats ------------------------------------------------------------------------------------------------------


async def test_stats_count_mean_min_max(store: Store) -> None:
    scores = await world(store)
    cases: list[dict[str, Any]] = [
        {},
        {"entity_id": "agent-1"},
        {"source": "TEST"},
        {"source": ScoreSource.LIVE, "entity_id": "wf-1"},
        {"since": us(30), "until": us(70)},
        {"entity_id": "wf-1", "since": us(70)},
        {"source": "LIVE", "until": us(0)},
    ]
    for scorer in ("relevancy", "toxicity"):
        for f in cases:
            lo, hi = f.get("since", T0), f.get("until", us(10**6))
            sel = [
                s.score
                for s in scores
                if s.scorer_id == scorer
                and all(getattr(s, k) == v for k, v in f.items() if k in ("entity_id", "source"))
                and lo <= s.created_at <= hi
            ]
            got = await store.scores.stats(scorer, **f)
            if not sel:
                assert got == ScoreStats(0, None, None, None), (scorer, f)
                continue
            assert (got.count, got.min, got.max) == (len(sel), min(sel), max(sel)), (scorer, f)
            assert got.mean == pytest.approx(sum(sel) / len(sel), rel=1e-12), (scorer, f)
            assert type(got.count) is int and type(got.mean) is float


async def test_stats_of_nothing_is_count_zero_and_none(store: Store) -> None:
    assert await store.scores.stats("nobody") == ScoreStats(0, None, None, None)
    await store.scores.save(sc(score=0.25))
    assert await store.scores.stats("relevancy", source="TEST") == ScoreStats(0, None, None, None)
    assert await store.scores.stats("relevancy", entity_id="other") == ScoreStats(0, None, None, None)
    assert await store.scores.stats("relevancy", until=T0 - timedelta(microseconds=1)) == ScoreStats(
        0, None, None, None
    )
    assert await store.scores.stats("relevancy") == ScoreStats(1, 0.25, 0.25, 0.25)


async def test_stats_at_the_score_bounds_do_not_overflow(store: Store) -> None:
    # PostgreSQL's avg(float8) overflows on these (it also sums squares); MariaDB's SUM gives 0 on an overflow.
    await store.scores.save_many(
        [sc(score=1e288), sc(score=-1e288), sc(score=1e288), sc(score=1e200), sc(score=-1e200)]
    )
    got = await store.scores.stats("relevancy")
    assert got.count == 5 and got.min == -1e288 and got.max == 1e288
    assert got.mean == pytest.approx(1e288 / 5, rel=1e-9)


async def test_stats_refuse_bad_arguments(store: Store) -> None:
    for kw in ({"source": "test"}, {"entity_id": ""}, {"since": datetime(2025, 1, 1)}, {"until": 5}):
        with pytest.raises(InvalidInput):
            await store.scores.stats("relevancy", **kw)


# -- concurrency ------------------------------------------------------------------------------------------------


async def test_concurrent_writers_and_readers(store: Store) -> None:
    """Saves and page walks on several connections at once: every saved score is listed once, in order."""

    async def writer(w: int) -> list[Score]:
        out: list[Score] = []
        for b in range(3):
            out += await store.scores.save_many(
                [sc(run_id=f"w{w}", created_at=us(b * 100 + i), score=w + i / 10) for i in range(5)]
            )
        return out

    async def reader() -> int:
        n = 0
        for _ in range(3):
            n += len(await walk(store.scores.list_by_scorer, "relevancy", limit=4))
        return n

    results = await asyncio.gather(*(writer(w) for w in range(5)), *(reader() for _ in range(3)))
    saved = [s for r in results[:5] for s in r]  # type: ignore[union-attr]
    assert len(saved) == 75
    assert await walk(store.scores.list_by_scorer, "relevancy", limit=7) == newest_first(saved)
    for w in range(5):
        assert await walk(store.scores.list_by_run, f"w{w}", limit=4) == newest_first(
            [s for s in saved if s.run_id == f"w{w}"]
        )
    assert (await store.scores.stats("relevancy")).count == 75

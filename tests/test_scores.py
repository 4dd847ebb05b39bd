"""Conformance: scorer results (`store.scores`): save, save_many, get, input checks, tenants and transactions."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import msgspec
import pytest

import rawstore
from rawstore import Conflict, InvalidInput, Store
from rawstore.scores import Score, ScoreSource

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def sc(**kw: Any) -> Score:
    """A score with the required fields filled in; keywords override any field."""
    fields: dict[str, Any] = dict(
        id="",
        scorer_id="answer-relevancy",
        run_id="run-1",
        entity_id="agent-1",
        score=0.75,
        output={"text": "The answer — naïve ✓ 日本語 🎉"},
        source="LIVE",
        scorer={"name": "Answer relevancy", "type": "llm", "judge": {"model": "gpt-4o"}},
        entity_type="AGENT",
        created_at=T0,
        updated_at=T0,
    )
    fields.update(kw)
    return Score(**fields)


async def count(store: Store) -> int:
    """Rows in rs_scores, all tenants, read with the application's own SQL."""
    async with store.transaction() as tx:
        row = await tx.fetchrow("SELECT count(*) AS n FROM rs_scores")
    assert row is not None
    return int(row["n"])


# -- the record -------------------------------------------------------------------------------------------------


def test_score_is_positional_in_the_contract_order() -> None:
    s = Score("id-1", "sc", "run", "ent", 0.5, {"o": 1}, ScoreSource.TEST, {"name": "s"}, "AGENT", {"e": 1}, "tr", "sp")
    assert (s.id, s.scorer_id, s.run_id, s.entity_id, s.score, s.output) == ("id-1", "sc", "run", "ent", 0.5, {"o": 1})
    assert (s.source, s.scorer, s.entity_type, s.entity, s.trace_id, s.span_id) == (
        "TEST",
        {"name": "s"},
        "AGENT",
        {"e": 1},
        "tr",
        "sp",
    )
    names = list(Score.__struct_fields__)
    assert names[:8] == ["id", "scorer_id", "run_id", "entity_id", "score", "output", "source", "scorer"]
    assert names[-2:] == ["created_at", "updated_at"]
    d = Score("", "sc", "run", "ent", 1, None, "LIVE", {})
    assert d.reason is None and d.metadata is None and d.input is None and d.entity_type is None
    assert d.created_at.tzinfo is UTC and d.updated_at.tzinfo is UTC


def test_score_source_is_a_str_enum() -> None:
    assert ScoreSource.LIVE == "LIVE" and ScoreSource("TEST") is ScoreSource.TEST
    assert [s.value for s in ScoreSource] == ["LIVE", "TEST"]


# -- save / get -------------------------------------------------------------------------------------------------


async def test_save_assigns_a_uuid7_and_get_reads_every_field_back(store: Store) -> None:
    full = sc(
        entity={"id": "agent-1", "name": "Support agent", "tools": ["search", "calc"]},
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
        span_id="00f067aa0ba902b7",
        resource_id="user-42",
        thread_id="thread-7",
        reason="Relevant: it answers «the question» with 'quotes' and \"double quotes\" and \\ backslashes.",
        input=[{"role": "user", "content": "What is 2+2?"}],
        metadata={"experiment": "e-1", "n": 3, "ok": True, "none": None},
        additional_context={"docs": [1, 2.5, None, "x"]},
        request_context={"tenant": "acme", "locale": "fr-FR"},
        preprocess_step_result={"statements": ["a", "b"]},
        analyze_step_result={"verdicts": [{"verdict": "yes", "reason": "é"}]},
        preprocess_prompt="Split the answer into statements.",
        analyze_prompt="Judge each statement.",
        generate_score_prompt="Score from 0 to 1.",
        generate_reason_prompt="Explain the score.",
    )
    saved = await store.scores.save(full)
    assert UUID7.match(saved.id)
    assert saved == msgspec.structs.replace(full, id=saved.id, source=ScoreSource.LIVE)
    assert saved.source is ScoreSource.LIVE
    got = await store.scores.get(saved.id)
    assert got == saved
    assert got is not None and got.source is ScoreSource.LIVE and type(got.score) is float
    assert got.created_at == T0 and got.created_at.tzinfo is UTC


async def test_json_fields_take_any_json_value_and_none_reads_back_as_none(store: Store) -> None:
    values: list[Any] = ["a plain string", 42, -3.25, True, False, [1, [2, [3]]], {"": {"deep": [{}]}}, [], {}]
    saved = await store.scores.save_many(
        [
            sc(
                output=v,
                entity=v,
                input=v,
                additional_context=v,
                request_context=v,
                preprocess_step_result=v,
                analyze_step_result=v,
            )
            for v in values
        ]
    )
    for s, v in zip(saved, values, strict=True):
        got = await store.scores.get(s.id)
        assert got is not None
        for f in (
            "output",
            "entity",
            "input",
            "additional_context",
            "request_context",
            "preprocess_step_result",
            "analyze_step_result",
        ):
            assert getattr(got, f) == v and type(getattr(got, f)) is type(v), (f, v)
    bare = await store.scores.save(sc(output=None, entity_type=None))
    got = await store.scores.get(bare.id)
    assert got is not None
    # Mastra turns a NULL JSON column into {}: here None stays None.
    for f in (
        "output",
        "entity",
        "input",
        "metadata",
        "additional_context",
        "request_context",
        "preprocess_step_result",
        "analyze_step_result",
        "entity_type",
        "trace_id",
        "span_id",
        "reason",
        "preprocess_prompt",
        "analyze_prompt",
        "generate_score_prompt",
        "generate_reason_prompt",
    ):
        assert getattr(got, f) is None, f
    assert got.scorer == {"name": "Answer relevancy", "type": "llm", "judge": {"model": "gpt-4o"}}


async def test_save_keeps_a_caller_id_and_none_id_gets_one(store: Store) -> None:
    mine = await store.scores.save(sc(id="score-é-1"))
    assert mine.id == "score-é-1"
    assert (await store.scores.get("score-é-1")) == mine
    auto = await store.scores.save(sc(id=None))
    assert UUID7.match(auto.id)
    assert await store.scores.get("missing") is None


async def test_save_of_a_stored_id_is_conflict_and_keeps_the_first(store: Store) -> None:
    first = await store.scores.save(sc(id="dup", score=0.1))
    with pytest.raises(Conflict):
        await store.scores.save(sc(id="dup", score=0.9))
    assert await store.scores.get("dup") == first
    assert await count(store) == 1


async def test_scores_are_floats_exactly(store: Store) -> None:
    values: list[Any] = [0, 1, -1, 0.1, 1 / 3, 5e-324, -0.0, 2.0**53 + 2, 1e288, -1e288, 123456789.000001]
    saved = await store.scores.save_many([sc(score=v) for v in values])
    for s, v in zip(saved, values, strict=True):
        got = await store.scores.get(s.id)
        assert got is not None and type(got.score) is float and got.score == float(v), v
    other: list[tuple[Any, float]] = [(Decimal("0.25"), 0.25), (Fraction(1, 3), 1 / 3), (7, 7.0)]
    for given, want in other:
        s = await store.scores.save(sc(score=given))
        assert s.score == want and type(s.score) is float
        got = await store.scores.get(s.id)
        assert got is not None and got.score == want


async def test_datetimes_are_utc_to_the_microsecond(store: Store) -> None:
    plus2 = timezone(timedelta(hours=2))
    local = datetime(2025, 1, 2, 5, 4, 5, 6, tzinfo=plus2)
    s = await store.scores.save(sc(created_at=local, updated_at=local + timedelta(microseconds=1)))
    assert s.created_at == local and s.created_at.tzinfo is UTC and s.created_at.hour == 3
    got = await store.scores.get(s.id)
    assert got is not None and got.created_at == local and got.created_at.tzinfo is UTC
    assert got.updated_at - got.created_at == timedelta(microseconds=1)


# -- save_many ----------------------------------------------------------------------------------------------------


async def test_save_many_returns_the_stored_scores_in_order(store: Store) -> None:
    scores = [sc(score=i / 10, run_id=f"run-{i}") for i in range(5)]
    saved = await store.scores.save_many(scores)
    assert [s.run_id for s in saved] == [f"run-{i}" for i in range(5)]
    ids = [s.id for s in saved]
    assert all(UUID7.match(i) for i in ids) and ids == sorted(ids) and len(set(ids)) == 5
    for s in saved:
        assert await store.scores.get(s.id) == s
    assert await store.scores.save_many([]) == []
    assert await store.scores.save_many(()) == []


async def test_save_many_one_bad_score_writes_nothing(store: Store) -> None:
    scores = [sc(score=0.5) for _ in range(4)] + [sc(score=float("nan"))]
    with pytest.raises(InvalidInput, match=r"scores\[4\]\.score"):
        await store.scores.save_many(scores)
    with pytest.raises(InvalidInput, match=r"scores\[1\]"):
        await store.scores.save_many([sc(), "not a score"])  # type: ignore[list-item]
    assert await count(store) == 0


async def test_save_many_duplicate_in_batch_is_conflict_and_writes_nothing(store: Store) -> None:
    with pytest.raises(Conflict, match="more than once"):
        await store.scores.save_many([sc(id="a"), sc(id="b"), sc(id="a")])
    assert await count(store) == 0


async def test_save_many_duplicate_of_a_stored_id_writes_nothing(store: Store) -> None:
    await store.scores.save(sc(id="taken"))
    # 1,500 scores: more than one insert batch, the duplicate in the last one; the first batch is rolled back too.
    scores = [sc(id=f"s{i:04}") for i in range(1499)] + [sc(id="taken")]
    with pytest.raises(Conflict):
        await store.scores.save_many(scores)
    assert await count(store) == 1
    assert await store.scores.get("s0000") is None


async def test_save_many_takes_only_a_list_of_scores(store: Store) -> None:
    for bad in (sc(), "abc", b"abc", 5, None, {"a": sc()}):
        with pytest.raises(InvalidInput):
            await store.scores.save_many(bad)  # type: ignore[arg-type]
    assert await count(store) == 0


# -- bad input: typed error, nothing written ---------------------------------------------------------------------


def _nest(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


DEEP = _nest(32)  # one level more than every database stores alike (rawstore.validate.MAX_JSON_DEPTH)

BAD: list[tuple[str, dict[str, Any]]] = [
    ("score", {"score": float("nan")}),
    ("score", {"score": float("inf")}),
    ("score", {"score": float("-inf")}),
    ("score", {"score": 1e289}),
    ("score", {"score": -1e300}),
    ("score", {"score": 10**400}),
    ("score", {"score": Decimal("NaN")}),
    ("score", {"score": Decimal("sNaN")}),
    ("score", {"score": Decimal("1e400")}),
    ("score", {"score": "0.5"}),
    ("score", {"score": None}),
    ("score", {"score": True}),
    ("score", {"score": [0.5]}),
    ("scorer", {"scorer": None}),
    ("scorer", {"scorer": ["a"]}),
    ("scorer", {"scorer": "relevancy"}),
    ("scorer", {"scorer": {1: "a"}}),
    ("scorer", {"scorer": {"f": object()}}),
    ("source", {"source": "live"}),
    ("source", {"source": ""}),
    ("source", {"source": None}),
    ("source", {"source": 1}),
    ("source", {"source": "LIVE "}),
    ("id", {"id": "  "}),
    ("id", {"id": "x" * 256}),
    ("id", {"id": "a\x00b"}),
    ("id", {"id": 5}),
    ("scorer_id", {"scorer_id": ""}),
    ("scorer_id", {"scorer_id": None}),
    ("run_id", {"run_id": ""}),
    ("run_id", {"run_id": "\ud800"}),
    ("entity_id", {"entity_id": " "}),
    ("entity_type", {"entity_type": ""}),
    ("entity_type", {"entity_type": 3}),
    ("trace_id", {"trace_id": ""}),
    ("span_id", {"span_id": "s" * 300}),
    ("resource_id", {"resource_id": 1}),
    ("thread_id", {"thread_id": "\x00"}),
    ("reason", {"reason": 5}),
    ("reason", {"reason": "a\x00"}),
    ("generate_reason_prompt", {"generate_reason_prompt": b"bytes"}),
    ("output", {"output": object()}),
    ("output", {"output": {"s": "a\x00b"}}),
    ("input", {"input": {"when": datetime}}),
    ("entity", {"entity": object()}),
    ("metadata", {"metadata": ["not", "a", "dict"]}),
    ("metadata", {"metadata": {1: "int key"}}),
    ("request_context", {"request_context": "\ud800"}),
    ("analyze_step_result", {"analyze_step_result": DEEP}),
    ("created_at", {"created_at": datetime(2025, 1, 1)}),
    ("created_at", {"created_at": "2025-01-01"}),
    ("updated_at", {"updated_at": datetime(999, 1, 1, tzinfo=UTC)}),
]


@pytest.mark.parametrize(("field", "change"), BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
def test_bad_score_fields_are_refused_before_any_io(field: str, change: dict[str, Any]) -> None:
    """Checked without a database: the validation runs before any I/O (the store below has no connection)."""
    from rawstore.scores.store import ScoreStore

    class NoIO:
        ts_out = staticmethod(lambda v: v)

        def tenant(self) -> str:
            return "t"

        def write(self) -> Any:
            raise AssertionError("no I/O may happen for bad input")

    store = ScoreStore(NoIO())  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=rf"score\.{field}\b"):
        asyncio.run(store.save(sc(**change)))
    with pytest.raises(InvalidInput, match=rf"scores\[1\]\.{field}\b"):
        asyncio.run(store.save_many([sc(), sc(**change)]))


async def test_bad_input_writes_nothing(store: Store) -> None:
    for field, change in BAD:
        with pytest.raises(InvalidInput):
            await store.scores.save(sc(**change))
        with pytest.raises(InvalidInput):
            await store.scores.save_many([sc(), sc(**change)])
        assert field
    with pytest.raises(InvalidInput):
        await store.scores.save({"scorer_id": "x"})  # type: ignore[arg-type]
    assert await count(store) == 0


async def test_get_refuses_bad_ids(store: Store) -> None:
    for bad in ("", " ", "x" * 256, "a\x00", None, 5):
        with pytest.raises(InvalidInput):
            await store.scores.get(bad)  # type: ignore[arg-type]


# -- tenants, transactions, concurrency --------------------------------------------------------------------------


async def test_tenants_see_only_their_own_scores(store: Store) -> None:
    with rawstore.tenant("a"):
        a = await store.scores.save(sc(id="same", score=0.2, trace_id="tr", span_id="sp"))
    with rawstore.tenant("b"):
        assert await store.scores.get("same") is None
        assert (await store.scores.list_by_scorer("answer-relevancy", with_total=True)).total == 0
        assert (await store.scores.list_by_run("run-1")).items == []
        assert (await store.scores.list_by_entity("agent-1", "AGENT")).items == []
        assert (await store.scores.list_by_span("tr", "sp")).items == []
        assert (await store.scores.stats("answer-relevancy")).count == 0
        # The same id in another tenant is another score.
        b = await store.scores.save(sc(id="same", score=0.9))
    with rawstore.tenant("a"):
        assert await store.scores.get("same") == a
        assert (await store.scores.stats("answer-relevancy")).mean == 0.2
    with rawstore.tenant("b"):
        assert await store.scores.get("same") == b
    assert await count(store) == 2


async def test_every_call_runs_inside_a_transaction(store: Store) -> None:
    async with store.transaction() as tx:
        s = await tx.scores.save(sc(id="in-tx"))
        many = await tx.scores.save_many([sc(id="in-tx-2"), sc(id="in-tx-3")])
        assert await tx.scores.get("in-tx") == s
        assert len((await tx.scores.list_by_scorer("answer-relevancy")).items) == 3
        assert len((await tx.scores.list_by_run("run-1")).items) == 3
        assert len((await tx.scores.list_by_entity("agent-1", "AGENT")).items) == 3
        assert (await tx.scores.list_by_span("x", "y")).items == []
        assert (await tx.scores.stats("answer-relevancy")).count == 3
        assert [m.id for m in many] == ["in-tx-2", "in-tx-3"]
    assert await count(store) == 3


async def test_a_rolled_back_transaction_leaves_no_score(store: Store) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.scores.save_many([sc(), sc()])
            raise Boom
    assert await count(store) == 0


async def test_a_failed_save_many_inside_a_transaction_keeps_the_rest(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.scores.save(sc(id="kept"))
        with pytest.raises(Conflict):
            await tx.scores.save_many([sc(id="new"), sc(id="kept")])
        with pytest.raises(Conflict):
            await tx.scores.save(sc(id="kept"))
        assert await tx.scores.get("new") is None
        await tx.scores.save(sc(id="after"))
    assert await count(store) == 2 and await store.scores.get("kept") is not None
    assert await store.scores.get("after") is not None


async def test_concurrent_saves_all_land(store: Store) -> None:
    batches = [[sc(run_id=f"run-{b}", score=(b * 10 + i) / 100) for i in range(10)] for b in range(8)]
    results = await asyncio.gather(
        *(store.scores.save_many(batch) for batch in batches),
        *(store.scores.save(sc(run_id="single", score=i / 10)) for i in range(8)),
    )
    ids = [s.id for r in results[:8] for s in r] + [s.id for s in results[8:]]  # type: ignore[union-attr]
    assert len(set(ids)) == 88
    assert await count(store) == 88
    stats = await store.scores.stats("answer-relevancy")
    assert stats.count == 88


async def test_concurrent_saves_of_one_id_store_it_once(store: Store) -> None:
    outcomes = await asyncio.gather(
        *(store.scores.save_many([sc(id=f"own-{i}"), sc(id="contested", score=i)]) for i in range(6)),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, list)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1 and len(lost) == 5 and all(isinstance(e, Conflict) for e in lost), outcomes
    assert await count(store) == 2
    got = await store.scores.get("contested")
    assert got is not None and got.score == won[0][1].score

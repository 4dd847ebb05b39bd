"""Conformance: legacy evals (`store.evals`): save and atomic save_many with kit-assigned ids, the newest-first list
with its agent, test/live and created_at filters, cursors, tenants and transactions."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

import rawstore
from rawstore import Conflict, InvalidInput, Store
from rawstore.evals import EvalRecord
from rawstore.evals import store as evals_store
from rawstore.traces import TraceRecord

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)


def ev(agent: str = "support-agent", created_at: datetime = T0, **kw: Any) -> EvalRecord:
    fields: dict[str, Any] = dict(
        metric_name="answer-relevancy",
        input="What is «naïve» in 日本語? 🎉",
        output="It means … \"quoted\" \\ 'single'",
        result={"score": 0.875, "info": {"reason": "close", "tokens": [1, 2, 3]}},
        instructions="Be brief.",
        run_id="run-1",
        global_run_id="global-1",
        created_at=created_at,
    )
    fields.update(kw)
    return EvalRecord(agent, **fields)


async def count(store: Store) -> int:
    """Rows in rs_evals, every tenant, read with the application's own SQL."""
    async with store.transaction() as tx:
        row = await tx.fetchrow("SELECT count(*) AS n FROM rs_evals")
    assert row is not None
    return int(row["n"])


async def listed(store: Store, **kw: Any) -> list[EvalRecord]:
    """Every eval the list returns for these filters, walking all pages of `limit` (default 2)."""
    kw.setdefault("limit", 2)
    out: list[EvalRecord] = []
    cursor = None
    for _ in range(1000):
        page = await store.evals.list(cursor=cursor, **kw)
        out.extend(page.items)
        assert page.has_more == (page.next_cursor is not None)
        if not page.has_more:
            return out
        cursor = page.next_cursor
    raise AssertionError("the list does not end")


async def runs(store: Store, **kw: Any) -> list[str]:
    return [e.run_id for e in await listed(store, **kw)]


# -- the record ------------------------------------------------------------------------------------------------


def test_eval_record_is_positional_in_the_contract_order() -> None:
    e = EvalRecord("a", "m", "in", "out", {"score": 1}, "instr", "r", "g", {"testPath": "x"}, T0, "id-1")
    assert (e.agent_name, e.metric_name, e.input, e.output, e.result) == ("a", "m", "in", "out", {"score": 1})
    assert (e.instructions, e.run_id, e.global_run_id, e.test_info, e.created_at, e.id) == (
        "instr",
        "r",
        "g",
        {"testPath": "x"},
        T0,
        "id-1",
    )
    d = EvalRecord("a", "m", "in", "out", None, "instr", "r", "g")
    assert d.test_info is None and d.id is None and d.created_at.tzinfo is UTC


# -- save, save_many, reading back -------------------------------------------------------------------------------


async def test_save_assigns_an_id_and_round_trips_every_field(store: Store) -> None:
    saved = await store.evals.save(ev(test_info={"testName": "t", "testPath": "evals/a.test.ts"}))
    assert saved.id is not None and uuid.UUID(saved.id).version == 7
    assert saved == ev(test_info={"testName": "t", "testPath": "evals/a.test.ts"}, id=saved.id)
    (got,) = (await store.evals.list()).items
    assert got == saved
    assert got.created_at.tzinfo is not None and got.created_at.utcoffset() == timedelta(0)
    # A caller's id is kept; a non-UTC created_at is the same instant, returned and read back in UTC.
    local = T0.astimezone(timezone(timedelta(hours=-7)))
    mine = await store.evals.save(ev(id="mine", created_at=local + timedelta(seconds=1)))
    assert mine.id == "mine" and mine.created_at == T0 + timedelta(seconds=1) and mine.created_at.tzinfo is UTC
    page = await store.evals.list()
    assert [e.id for e in page.items] == ["mine", saved.id] and page.items[0] == mine


async def test_results_of_any_json_value_and_texts_round_trip(store: Store) -> None:
    results: list[Any] = [None, 0, 0.5, "text", [1, None, {"a": []}], {}, {"score": 1, "info": None}, True]
    big = "lorem ipsum ✓ " * 20_000
    await store.evals.save_many(
        [ev(run_id=f"r{i}", created_at=T0 + timedelta(seconds=i), result=r) for i, r in enumerate(results)]
    )
    await store.evals.save(ev(run_id="big", input=big, output="", instructions="", created_at=T0 - timedelta(1)))
    got = {e.run_id: e for e in await listed(store, limit=100)}
    for i, r in enumerate(results):
        back = got[f"r{i}"].result
        assert back == r and type(back) is type(r), (r, back)
    assert got["big"].input == big and got["big"].output == "" and got["big"].instructions == ""


async def test_save_many_is_atomic_and_counts(store: Store) -> None:
    assert await store.evals.save_many([]) == 0
    assert await store.evals.save_many([ev(run_id=f"r{i}") for i in range(5)]) == 5
    assert await count(store) == 5
    ids = {e.id for e in (await store.evals.list()).items}
    assert len(ids) == 5 and all(i is not None and uuid.UUID(i).version == 7 for i in ids)
    # A stored id: Conflict, nothing of the batch written.
    await store.evals.save(ev(id="taken"))
    with pytest.raises(Conflict):
        await store.evals.save_many([ev(run_id="new-1"), ev(id="taken"), ev(run_id="new-2")])
    with pytest.raises(Conflict):
        await store.evals.save(ev(id="taken"))
    # An id repeated in the batch: Conflict before any I/O.
    with pytest.raises(Conflict, match=r"evals\[2\]\.id 'x' repeats evals\[0\]"):
        await store.evals.save_many([ev(id="x"), ev(), ev(id="x")])
    assert await count(store) == 6


async def test_a_conflict_in_a_later_round_trip_rolls_back_the_earlier_ones(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evals_store, "BATCH_SIZE", 2)
    await store.evals.save(ev(id="taken"))
    batch = [ev(run_id=f"r{i}") for i in range(7)] + [ev(id="taken")]
    with pytest.raises(Conflict):
        await store.evals.save_many(batch)
    assert await count(store) == 1
    assert await store.evals.save_many(batch[:-1]) == 7


DEEP: Any = "deep"
for _ in range(32):
    DEEP = [DEEP]

BAD_EVALS: list[tuple[str, dict[str, Any]]] = [
    ("agent_name", {"agent_name": ""}),
    ("agent_name", {"agent_name": "  "}),
    ("agent_name", {"agent_name": None}),
    ("agent_name", {"agent_name": "a" * 256}),
    ("agent_name", {"agent_name": "a\x00"}),
    ("metric_name", {"metric_name": ""}),
    ("metric_name", {"metric_name": 3}),
    ("metric_name", {"metric_name": "m" * 256}),
    ("input", {"input": None}),
    ("input", {"input": {"not": "text"}}),
    ("input", {"input": "nul \x00"}),
    ("input", {"input": "x" * (16 * 1024 * 1024 + 1)}),
    ("output", {"output": 5}),
    ("output", {"output": "\ud800"}),
    ("instructions", {"instructions": None}),
    ("run_id", {"run_id": ""}),
    ("run_id", {"run_id": None}),
    ("run_id", {"run_id": "r" * 256}),
    ("global_run_id", {"global_run_id": 7}),
    ("result", {"result": object()}),
    ("result", {"result": DEEP}),
    ("result", {"result": {"s": "\x00"}}),
    ("test_info", {"test_info": "evals/a.test.ts"}),
    ("test_info", {"test_info": ["testPath"]}),
    ("test_info", {"test_info": {1: "x"}}),
    ("test_info", {"test_info": {"testPath": object()}}),
    ("created_at", {"created_at": datetime(2025, 1, 1)}),
    ("created_at", {"created_at": "2025-01-01"}),
    ("created_at", {"created_at": datetime(999, 1, 1, tzinfo=UTC)}),
    ("id", {"id": ""}),
    ("id", {"id": 5}),
    ("id", {"id": "i" * 256}),
]


async def test_bad_evals_are_refused_before_anything_is_written(store: Store) -> None:
    for field, change in BAD_EVALS:
        bad = msgspec.structs.replace(ev(), **change)
        with pytest.raises(InvalidInput, match=re.escape(f"evals[1].{field}")):
            await store.evals.save_many([ev(), bad, ev()])
        with pytest.raises(InvalidInput, match=re.escape(f"eval.{field}")):
            await store.evals.save(bad)
    for evals in ("evals", b"x", ev(), None, {"a": ev()}):
        with pytest.raises(InvalidInput, match=r"list of rawstore\.EvalRecord"):
            await store.evals.save_many(evals)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"evals\[1\] must be a rawstore\.EvalRecord"):
        await store.evals.save_many([ev(), {"agent_name": "x"}])  # type: ignore[list-item]
    with pytest.raises(InvalidInput, match=r"eval must be a rawstore\.EvalRecord"):
        await store.evals.save(TraceRecord("s", "t", "n", "sc", 0, 1, 1))  # type: ignore[arg-type]
    assert await count(store) == 0


# -- the list ----------------------------------------------------------------------------------------------------


async def test_newest_first_with_equal_timestamps_across_pages(store: Store) -> None:
    # Eight evals share one created_at; their ids (UUIDv7, assigned in list order) break the tie, newest first.
    await store.evals.save_many([ev(run_id=f"tie-{i}") for i in range(8)])
    await store.evals.save(ev(run_id="later", created_at=T0 + timedelta(microseconds=1)))
    await store.evals.save(ev(run_id="earlier", created_at=T0 - timedelta(microseconds=1)))
    await store.evals.save_many([ev(run_id=f"tie-{i}") for i in range(8, 10)])
    want = ["later"] + [f"tie-{i}" for i in range(9, -1, -1)] + ["earlier"]
    for limit in (1, 2, 3, 5, 12, 100):
        assert await runs(store, limit=limit) == want, limit
    first = await store.evals.list(limit=5, with_total=True)
    assert first.total == 12 and first.has_more
    second = await store.evals.list(limit=5, with_total=True, cursor=first.next_cursor)
    assert [e.run_id for e in second.items] == want[5:10] and second.total == 12


async def test_evals_saved_between_pages_are_neither_lost_nor_repeated(store: Store) -> None:
    await store.evals.save_many([ev(id=f"e{i}", run_id=f"e{i}") for i in range(6)])
    p1 = await store.evals.list(limit=3)
    assert [e.run_id for e in p1.items] == ["e5", "e4", "e3"]
    await store.evals.save_many(
        [
            ev(id="zz", run_id="newer", created_at=T0 + timedelta(seconds=1)),
            ev(id="e35", run_id="e35"),
            ev(id="e0x", run_id="e0x"),
        ]
    )
    p2 = await store.evals.list(limit=10, cursor=p1.next_cursor)
    assert [e.run_id for e in p2.items] == ["e2", "e1", "e0x", "e0"]


async def test_type_filter_test_means_a_non_null_test_path(store: Store) -> None:
    infos: dict[str, Any] = {
        "none": None,
        "empty": {},
        "name-only": {"testName": "t"},
        "null-path": {"testPath": None, "testName": "t"},
        "path": {"testPath": "evals/a.test.ts"},
        "empty-path": {"testPath": ""},
        "object-path": {"testPath": {"file": "x"}},
        "false-path": {"testPath": False},
        "nested-path": {"meta": {"testPath": "x"}},
    }
    await store.evals.save_many(
        [ev(run_id=k, test_info=v, created_at=T0 + timedelta(seconds=i)) for i, (k, v) in enumerate(infos.items())]
    )
    tests = ["false-path", "object-path", "empty-path", "path"]
    lives = ["nested-path", "null-path", "name-only", "empty", "none"]
    assert await runs(store, type="test") == tests
    assert await runs(store, type="live") == lives
    assert len(await runs(store)) == 9
    page = await store.evals.list(type="test", with_total=True, limit=1)
    assert page.total == 4 and page.has_more
    assert (await store.evals.list(type="live", with_total=True, limit=0)).total == 5
    for bad in ("TEST", "Live", "", 1, True):
        with pytest.raises(InvalidInput, match="type"):
            await store.evals.list(type=bad)  # type: ignore[arg-type]


async def test_agent_filter_alone_and_with_the_type(store: Store) -> None:
    rows = [
        ("a1", "support", None),
        ("a2", "support", {"testPath": "p"}),
        ("a3", "Support", None),
        ("a4", "support ", {"testPath": "p"}),
        ("a5", "sales", {"testPath": "p"}),
        ("a6", "support", None),
    ]
    await store.evals.save_many(
        [
            ev(agent, run_id=r, test_info=info, created_at=T0 + timedelta(seconds=i))
            for i, (r, agent, info) in enumerate(rows)
        ]
    )
    assert await runs(store, agent_name="support") == ["a6", "a2", "a1"]
    assert await runs(store, agent_name="support", type="live") == ["a6", "a1"]
    assert await runs(store, agent_name="support", type="test") == ["a2"]
    assert await runs(store, agent_name="support ") == ["a4"]
    assert await runs(store, agent_name="Support") == ["a3"]
    assert await runs(store, agent_name="nobody") == []
    page = await store.evals.list(agent_name="support", type="live", with_total=True, limit=1)
    assert page.total == 2 and [e.run_id for e in page.items] == ["a6"]
    for bad in ("", " ", 5, "a" * 256):
        with pytest.raises(InvalidInput, match="agent_name"):
            await store.evals.list(agent_name=bad)  # type: ignore[arg-type]


async def test_since_and_until_are_inclusive_on_created_at(store: Store) -> None:
    us = timedelta(microseconds=1)
    times = {"a": T0 - us, "b": T0, "c": T0 + us, "d": T0 + 2 * us}
    await store.evals.save_many([ev(run_id=k, created_at=v) for k, v in times.items()])
    assert await runs(store, since=T0, until=T0 + us) == ["c", "b"]
    assert await runs(store, since=T0) == ["d", "c", "b"]
    assert await runs(store, until=T0) == ["b", "a"]
    assert await runs(store, since=T0 + us, until=T0) == []
    local = timezone(timedelta(hours=9))
    assert await runs(store, since=T0.astimezone(local), until=(T0 + us).astimezone(local)) == ["c", "b"]
    page = await store.evals.list(since=T0, with_total=True, limit=1)
    assert page.total == 3 and page.has_more
    assert await runs(store, since=T0, type="live", agent_name="support-agent") == ["d", "c", "b"]
    for kw in ({"since": "2025-01-01"}, {"until": datetime(2025, 1, 1)}, {"since": 5}):
        with pytest.raises(InvalidInput, match=r"since|until"):
            await store.evals.list(**kw)


async def test_list_options_and_cursors_are_checked(store: Store) -> None:
    await store.evals.save_many([ev(run_id=f"r{i}") for i in range(3)])
    for kw, what in (
        ({"limit": -1}, "limit"),
        ({"limit": 1.0}, "limit"),
        ({"with_total": "yes"}, "with_total"),
        ({"cursor": ""}, "cursor"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": 5}, "cursor"),
    ):
        with pytest.raises(InvalidInput, match=what):
            await store.evals.list(**kw)
    page = await store.evals.list(limit=0, with_total=True)
    assert page.items == [] and page.total == 3 and not page.has_more
    # A cursor of another list (the traces', an integer-nanosecond cursor) is refused.
    await store.traces.insert_many([TraceRecord(f"s{i}", "t", "n", "sc", 0, 1, 1) for i in range(2)])
    other = (await store.traces.list(limit=1)).next_cursor
    with pytest.raises(InvalidInput, match="another list"):
        await store.evals.list(cursor=other)


# -- tenants, transactions, concurrency ----------------------------------------------------------------------------


async def test_tenants_never_see_each_other(store: Store) -> None:
    with rawstore.tenant("acme"):
        await store.evals.save_many([ev(id="e1", run_id="acme-1"), ev(run_id="acme-2", test_info={"testPath": "p"})])
    with rawstore.tenant("globex"):
        await store.evals.save(ev(id="e1", run_id="globex-1"))  # the same id is free in another tenant
        page = await store.evals.list(with_total=True)
        assert [e.run_id for e in page.items] == ["globex-1"] and page.total == 1
        assert await runs(store, type="test") == []
        assert await runs(store, agent_name="support-agent") == ["globex-1"]
    with rawstore.tenant("acme"):
        assert sorted(await runs(store)) == ["acme-1", "acme-2"]
        assert await runs(store, type="test", agent_name="support-agent") == ["acme-2"]
        with pytest.raises(Conflict):
            await store.evals.save(ev(id="e1"))
    assert await runs(store) == []
    assert await count(store) == 3


async def test_tenancy_required_refuses_calls_without_a_tenant(backend: str, db_url: str) -> None:
    s = await rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", tenancy="required")
    try:
        for call in (lambda: s.evals.save(ev()), lambda: s.evals.save_many([ev()]), lambda: s.evals.list()):
            with pytest.raises(rawstore.TenantRequired):
                await call()
        with rawstore.tenant("t"):
            await s.evals.save(ev())
            assert len((await s.evals.list()).items) == 1
    finally:
        await s.close()


async def test_inside_a_transaction_evals_commit_or_roll_back_with_the_application(store: Store) -> None:
    async with store.transaction() as tx:
        kept = await tx.evals.save(ev(run_id="kept"))
        assert (await tx.evals.list()).items == [kept]
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.evals.save_many([ev(run_id="lost-1"), ev(run_id="lost-2")])
            assert len((await tx.evals.list()).items) == 3
            raise RuntimeError("application failure")
    assert await runs(store) == ["kept"]
    async with store.transaction() as tx:
        with pytest.raises(Conflict):
            await tx.evals.save_many([ev(run_id="dropped"), ev(id=kept.id)])
        await tx.evals.save(ev(run_id="after", created_at=T0 + timedelta(seconds=1)))
    assert await runs(store) == ["after", "kept"]


async def test_concurrent_saves_all_land_with_distinct_ids(store: Store) -> None:
    async def writer(w: int) -> list[str]:
        out = []
        for i in range(10):
            saved = await store.evals.save(
                ev(f"agent-{w % 2}", run_id=f"w{w}-{i}", test_info={"testPath": "p"} if i % 2 else None)
            )
            assert saved.id is not None
            out.append(saved.id)
        await store.evals.save_many([ev(f"agent-{w % 2}", run_id=f"w{w}-m{i}") for i in range(5)])
        return out

    results = await asyncio.gather(*(writer(w) for w in range(6)))
    assert len({i for r in results for i in r}) == 60
    page = await store.evals.list(limit=1000, with_total=True)
    assert page.total == 90 and len({e.id for e in page.items}) == 90
    assert len(await listed(store, agent_name="agent-0", type="test", limit=7)) == 15

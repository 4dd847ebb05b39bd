"""Conformance: workflow snapshots (`store.snapshots`) — persist, load, get_run, delete, list_runs (filters, cursors,
ties, totals), bad input, tenants and transactions, on every backend."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Coroutine
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import rawstore
from rawstore import InvalidInput, Store
from rawstore.snapshots import WorkflowSnapshot
from rawstore.validate import shown

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)

SNAPSHOT = {
    "status": "running",
    "runId": "r1",
    "value": {"step-a": "success"},
    "context": {
        "input": {"q": "«naïve» — 日本語 🎉 'q' \"dq\" \\bs"},
        "step-a": {"status": "success", "output": [1, 2.5]},
    },
    "activePaths": [0, 1],
    "suspendedPaths": {},
    "serializedStepGraph": [{"type": "step", "step": {"id": "step-a"}}],
    "requestContext": {"user": "u1"},
    "timestamp": 1_750_000_000_123,
    "nested": {"null": None, "bools": [True, False], "empty": {}, "big": 2**53 + 1, "neg": -0.25},
}


def ts_param(backend: str, dt: datetime) -> Any:
    """A UTC datetime as the application's own SQL binds it for a timestamp column on each backend."""
    if backend == "sqlite":
        return dt.astimezone(UTC).isoformat(" ", "microseconds")[:26]
    if backend == "mysql":
        return dt.astimezone(UTC).replace(tzinfo=None)
    return dt


async def set_created(store: Store, backend: str, when: datetime, where: str = "1 = 1") -> None:
    """Move created_at of the matching runs (every tenant) with the application's own SQL."""
    async with store.transaction() as tx:
        await tx.execute(
            f"UPDATE rs_workflow_snapshots SET created_at = :ts WHERE {where}", {"ts": ts_param(backend, when)}
        )


async def count(store: Store) -> int:
    """Rows in rs_workflow_snapshots, every tenant."""
    async with store.transaction() as tx:
        row = await tx.fetchrow("SELECT count(*) AS n FROM rs_workflow_snapshots")
    assert row is not None
    return int(row["n"])


async def refused(call: Awaitable[Any], case: object) -> None:
    """The call raises InvalidInput (the case is named when it does not)."""
    try:
        await call
    except InvalidInput:
        return
    pytest.fail(f"no InvalidInput for {shown(case)}")


def keys(page: rawstore.Page[WorkflowSnapshot]) -> list[tuple[str, str]]:
    return [(r.workflow_name, r.run_id) for r in page.items]


async def walk(store: Store, limit: int, cursor: str | None = None, **kw: Any) -> list[WorkflowSnapshot]:
    """Every run of a listing, page by page (from `cursor` when given)."""
    out: list[WorkflowSnapshot] = []
    while True:
        page = await store.snapshots.list_runs(limit=limit, cursor=cursor, **kw)
        out.extend(page.items)
        assert len(page.items) <= limit
        if not page.has_more:
            assert page.next_cursor is None
            return out
        assert page.next_cursor is not None
        cursor = page.next_cursor


# -- the record ------------------------------------------------------------------------------------------


def test_record_is_positional_in_the_contract_order() -> None:
    r = WorkflowSnapshot("wf", "r1", {"a": 1}, "res", "running", T0, T0 + timedelta(seconds=1))
    assert (r.workflow_name, r.run_id, r.snapshot, r.resource_id, r.status) == ("wf", "r1", {"a": 1}, "res", "running")
    assert (r.created_at, r.updated_at) == (T0, T0 + timedelta(seconds=1))
    d = WorkflowSnapshot("wf", "r1", None)
    assert d.resource_id is None and d.status is None and d.created_at.tzinfo is UTC


# -- persist, load, get_run, delete ----------------------------------------------------------------------


async def test_persist_and_load_round_trip(store: Store) -> None:
    before = datetime.now(UTC)
    stored = await store.snapshots.persist("wf", "r1", SNAPSHOT, resource_id="user-1")
    after = datetime.now(UTC)
    assert (stored.workflow_name, stored.run_id, stored.resource_id, stored.status) == ("wf", "r1", "user-1", "running")
    assert stored.snapshot == SNAPSHOT
    assert before <= stored.created_at <= after and stored.created_at == stored.updated_at
    assert stored.created_at.tzinfo is UTC
    assert await store.snapshots.load("wf", "r1") == SNAPSHOT
    got = await store.snapshots.get_run("r1", workflow_name="wf")
    assert got == stored
    assert await store.snapshots.get_run("r1") == stored


STATUS_CASES: list[tuple[Any, str | None]] = [
    ({"status": "suspended"}, "suspended"),
    ({"status": ""}, ""),
    ({"status": 3}, None),
    ({"status": None, "x": 1}, None),
    ({"state": {"status": "nested-only"}}, None),
    ({}, None),
    ([{"status": "in a list"}], None),
    ("just a string", None),
    (42, None),
    (False, None),
    ("status" * 20, None),
]


async def test_status_is_the_top_level_status_string(store: Store) -> None:
    for i, (snapshot, status) in enumerate(STATUS_CASES):
        stored = await store.snapshots.persist("wf", f"r{i}", snapshot)
        assert stored.status == status, snapshot
        assert await store.snapshots.load("wf", f"r{i}") == snapshot
        got = await store.snapshots.get_run(f"r{i}", workflow_name="wf")
        assert got is not None and got.status == status and got.snapshot == snapshot
    page = await store.snapshots.list_runs(status="suspended")
    assert [r.run_id for r in page.items] == ["r0"]


async def test_persist_upserts_and_keeps_created_at(store: Store, backend: str) -> None:
    first = await store.snapshots.persist("wf", "r1", {"status": "running", "n": 1}, resource_id="user-1")
    await set_created(store, backend, T0)
    second = await store.snapshots.persist("wf", "r1", {"status": "success", "n": 2})
    assert second.created_at == T0 and second.updated_at >= first.updated_at
    # resource_id=None keeps the stored resource; another resource replaces it.
    assert second.resource_id == "user-1" and second.status == "success"
    assert await store.snapshots.load("wf", "r1") == {"status": "success", "n": 2}
    third = await store.snapshots.persist("wf", "r1", {"n": 3}, resource_id="user-2")
    assert (third.resource_id, third.status, third.created_at) == ("user-2", None, T0)
    assert await store.snapshots.get_run("r1", workflow_name="wf") == WorkflowSnapshot(
        "wf", "r1", {"n": 3}, "user-2", None, T0, third.updated_at
    )
    assert await count(store) == 1


async def test_missing_runs(store: Store) -> None:
    assert await store.snapshots.load("wf", "nope") is None
    assert await store.snapshots.get_run("nope") is None
    assert await store.snapshots.get_run("nope", workflow_name="wf") is None
    assert await store.snapshots.delete("wf", "nope") is False
    await store.snapshots.persist("wf", "r1", {"a": 1})
    assert await store.snapshots.load("other-wf", "r1") is None
    assert await store.snapshots.get_run("r1", workflow_name="other-wf") is None


async def test_delete(store: Store) -> None:
    await store.snapshots.persist("wf", "r1", {"a": 1})
    await store.snapshots.persist("wf", "r2", {"a": 2})
    await store.snapshots.persist("other", "r1", {"a": 3})
    assert await store.snapshots.delete("wf", "r1") is True
    assert await store.snapshots.delete("wf", "r1") is False
    assert await store.snapshots.load("wf", "r1") is None
    assert await store.snapshots.load("wf", "r2") == {"a": 2}
    assert await store.snapshots.load("other", "r1") == {"a": 3}


async def test_get_run_without_workflow_name_is_the_newest(store: Store, backend: str) -> None:
    await store.snapshots.persist("wf-a", "shared", {"from": "a"})
    await store.snapshots.persist("wf-b", "shared", {"from": "b"})
    await store.snapshots.persist("wf-c", "shared", {"from": "c"})
    await set_created(store, backend, T0, "workflow_name = 'wf-a'")
    await set_created(store, backend, T0 - timedelta(microseconds=1), "workflow_name <> 'wf-a'")
    got = await store.snapshots.get_run("shared")
    assert got is not None and (got.workflow_name, got.snapshot) == ("wf-a", {"from": "a"})
    # Equal created_at: the greatest workflow_name (the list order's first).
    await set_created(store, backend, T0)
    got = await store.snapshots.get_run("shared")
    assert got is not None and got.workflow_name == "wf-c"
    b = await store.snapshots.get_run("shared", workflow_name="wf-b")
    assert b is not None and b.snapshot == {"from": "b"}


async def test_timestamps_are_utc_microseconds(store: Store, backend: str) -> None:
    await store.snapshots.persist("wf", "r1", {"a": 1})
    odd = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5)))
    await set_created(store, backend, odd)
    got = await store.snapshots.get_run("r1")
    assert got is not None and got.created_at == odd and got.created_at.tzinfo is UTC


async def test_ids_compare_byte_wise(store: Store) -> None:
    runs = ("r", "R", "r ", "\u00e9", "e\u0301")
    for wf in ("wf", "WF", "wf "):
        for run in runs:
            await store.snapshots.persist(wf, run, {"wf": wf, "run": run})
    assert await count(store) == 15
    for wf in ("wf", "WF", "wf "):
        for run in runs:
            assert await store.snapshots.load(wf, run) == {"wf": wf, "run": run}
    assert len((await store.snapshots.list_runs(workflow_name="wf ")).items) == 5


# -- list_runs -------------------------------------------------------------------------------------------


async def _runs(store: Store, backend: str) -> list[tuple[str, str]]:
    """Twelve runs over two workflows, three resources (one none) and three statuses, one microsecond apart
    (r00 oldest); returns their keys newest first."""
    made = []
    for i in range(12):
        wf = "wf-a" if i % 2 else "wf-b"
        res = [None, "user-1", "user-2"][i % 3]
        status = ["running", "success", "failed"][i % 4 % 3]
        await store.snapshots.persist(wf, f"r{i:02}", {"status": status, "i": i}, resource_id=res)
        await set_created(store, backend, T0 + timedelta(microseconds=i), f"run_id = 'r{i:02}'")
        made.append((wf, f"r{i:02}", res, status, i))
    return [(m[0], m[1]) for m in reversed(made)]


async def test_list_runs_newest_first_without_snapshots(store: Store, backend: str) -> None:
    order = await _runs(store, backend)
    page = await store.snapshots.list_runs()
    assert keys(page) == order and not page.has_more and page.next_cursor is None and page.total is None
    assert all(r.snapshot is None for r in page.items)
    assert all(r.created_at == T0 + timedelta(microseconds=int(r.run_id[1:])) for r in page.items)
    full = await store.snapshots.list_runs(with_snapshot=True, with_total=True)
    assert keys(full) == order and full.total == 12
    assert all(r.snapshot == {"status": r.status, "i": int(r.run_id[1:])} for r in full.items)
    assert [r.resource_id for r in full.items] == [r.resource_id for r in page.items]


async def test_list_runs_every_filter_combination(store: Store, backend: str) -> None:
    await _runs(store, backend)
    everything = (await store.snapshots.list_runs(with_snapshot=True)).items
    filters = {
        "workflow_name": ["wf-a", "wf-b", "wf-x"],
        "resource_id": ["user-1", "user-2"],
        "status": ["running", "failed"],
    }
    for n in range(4):
        for names in itertools.combinations(filters, n):
            for values in itertools.product(*(filters[f] for f in names)):
                kw = dict(zip(names, values, strict=True))
                want = [r for r in everything if all(getattr(r, f) == v for f, v in kw.items())]
                for with_snapshot in (False, True):
                    got = await walk(store, 2, with_snapshot=with_snapshot, **kw)
                    assert [(r.workflow_name, r.run_id) for r in got] == [(r.workflow_name, r.run_id) for r in want], kw
                    if with_snapshot:
                        assert got == want
                total = await store.snapshots.list_runs(limit=1, with_total=True, **kw)
                assert total.total == len(want), kw


async def test_list_runs_since_until_are_inclusive(store: Store, backend: str) -> None:
    await _runs(store, backend)
    since, until = T0 + timedelta(microseconds=3), T0 + timedelta(microseconds=7)
    page = await store.snapshots.list_runs(since=since, until=until, with_total=True)
    assert [r.run_id for r in page.items] == ["r07", "r06", "r05", "r04", "r03"] and page.total == 5
    got = await walk(store, 2, since=since, until=until, workflow_name="wf-a")
    assert [r.run_id for r in got] == ["r07", "r05", "r03"]
    assert [r.run_id for r in (await store.snapshots.list_runs(since=until, until=until)).items] == ["r07"]
    assert (await store.snapshots.list_runs(since=until, until=since, with_total=True)).total == 0
    other_zone = until.astimezone(timezone(timedelta(hours=9)))
    assert (await store.snapshots.list_runs(until=other_zone, limit=1)).items[0].run_id == "r07"


async def test_list_runs_equal_created_at_ties_across_pages(store: Store, backend: str) -> None:
    for wf in ("wf-b", "wf-a", "wf-c"):
        for run in ("r3", "r1", "r2", "r0"):
            await store.snapshots.persist(
                wf,
                run,
                {"k": [wf, run]},
                resource_id="user",
            )
    await store.snapshots.persist("wf-a", "older", {"k": 0}, resource_id="user")
    await set_created(store, backend, T0)
    await set_created(store, backend, T0 - timedelta(microseconds=1), "run_id = 'older'")
    want = [(wf, run) for wf in ("wf-c", "wf-b", "wf-a") for run in ("r3", "r2", "r1", "r0")] + [("wf-a", "older")]
    for limit in (1, 2, 3, 5, 100):
        got = await walk(store, limit)
        assert [(r.workflow_name, r.run_id) for r in got] == want
        got = await walk(store, limit, resource_id="user", with_snapshot=True)
        assert [(r.workflow_name, r.run_id) for r in got] == want
        assert all(r.snapshot in ({"k": [r.workflow_name, r.run_id]}, {"k": 0}) for r in got)
    got = await walk(store, 3, workflow_name="wf-a")
    assert [r.run_id for r in got] == ["r3", "r2", "r1", "r0", "older"]
    # Rows written between pages: none repeats, none goes missing; one ahead of the cursor shows up, one behind it
    # (already passed) does not.
    first = await store.snapshots.list_runs(limit=5)
    assert keys(first)[-1] == ("wf-b", "r3")
    await store.snapshots.persist("wf-a", "r5", {"k": 5})
    await store.snapshots.persist("wf-c", "r9", {"k": 9})
    await set_created(store, backend, T0, "run_id IN ('r5', 'r9')")
    rest = await walk(store, 4, cursor=first.next_cursor)
    seen = keys(first) + [(r.workflow_name, r.run_id) for r in rest]
    assert len(seen) == len(set(seen)) == 14
    assert ("wf-a", "r5") in seen and ("wf-c", "r9") not in seen


async def test_list_runs_limit_zero_and_empty(store: Store) -> None:
    empty = await store.snapshots.list_runs(with_total=True)
    assert empty.items == [] and not empty.has_more and empty.total == 0
    await store.snapshots.persist("wf", "r1", {"a": 1})
    zero = await store.snapshots.list_runs(limit=0, with_total=True)
    assert zero.items == [] and not zero.has_more and zero.total == 1


async def test_list_runs_default_limit_is_100(store: Store) -> None:
    async with store.transaction() as tx:
        for i in range(101):
            await tx.snapshots.persist("wf", f"r{i:03}", {"i": i})
    page = await store.snapshots.list_runs()
    assert len(page.items) == 100 and page.has_more
    assert len((await store.snapshots.list_runs(cursor=page.next_cursor)).items) == 1


async def test_list_runs_cursor_beyond_until_starts_at_until(store: Store, backend: str) -> None:
    await _runs(store, backend)
    first = await store.snapshots.list_runs(limit=2)
    assert [r.run_id for r in first.items] == ["r11", "r10"]
    # A later `until` than the cursor keeps the cursor; an earlier one wins over it.
    assert [r.run_id for r in (await store.snapshots.list_runs(limit=2, cursor=first.next_cursor)).items] == [
        "r09",
        "r08",
    ]
    page = await store.snapshots.list_runs(limit=2, cursor=first.next_cursor, until=T0 + timedelta(microseconds=4))
    assert [r.run_id for r in page.items] == ["r04", "r03"]


# -- bad input -------------------------------------------------------------------------------------------

BAD_IDS: list[Any] = ["", "   ", "x" * 256, "nul\x00", None, 5, b"wf", "\ud800"]


def _id_calls(store: Store, bad: Any) -> list[Coroutine[Any, Any, Any]]:
    """Every call taking an id, with `bad` in one id position each (None only where None means "absent" is left
    out)."""
    calls = [
        lambda: store.snapshots.persist(bad, "r", {"a": 1}),
        lambda: store.snapshots.persist("wf", bad, {"a": 1}),
        lambda: store.snapshots.persist("wf", "r", {"a": 1}, resource_id=bad),
        lambda: store.snapshots.update_results(bad, "r", step_id="s", result=1),
        lambda: store.snapshots.update_results("wf", bad, step_id="s", result=1),
        lambda: store.snapshots.update_results("wf", "r", step_id=bad, result=1),
        lambda: store.snapshots.load(bad, "r"),
        lambda: store.snapshots.load("wf", bad),
        lambda: store.snapshots.get_run(bad),
        lambda: store.snapshots.get_run("r", workflow_name=bad),
        lambda: store.snapshots.delete(bad, "r"),
        lambda: store.snapshots.delete("wf", bad),
        lambda: store.snapshots.list_runs(workflow_name=bad),
        lambda: store.snapshots.list_runs(resource_id=bad),
        lambda: store.snapshots.update_state(bad, "r", status="x"),
        lambda: store.snapshots.update_state("wf", bad, status="x"),
    ]
    optional = (2, 9, 12, 13)
    return [c() for i, c in enumerate(calls) if bad is not None or i not in optional]


async def test_bad_ids_are_rejected_and_nothing_is_written(store: Store) -> None:
    for bad in BAD_IDS:
        for i, call in enumerate(_id_calls(store, bad)):
            await refused(call, f"call {i} with {bad!r}")
    assert await count(store) == 0


def _cycle() -> Any:
    d: dict[str, Any] = {}
    d["self"] = d
    return d


def _deep(n: int) -> Any:
    v: Any = 1
    for _ in range(n):
        v = [v]
    return v


BAD_SNAPSHOTS: list[Any] = [
    None,
    print,
    object(),
    {"a": "nul \x00"},
    {"a": "\udc00"},
    _cycle(),
    _deep(32),
    {"k": _deep(31)},
    {"status": "s" * 65},
]


async def test_persist_rejects_bad_snapshots(store: Store) -> None:
    for snapshot in BAD_SNAPSHOTS:
        await refused(store.snapshots.persist("wf", "r", snapshot), snapshot)
    assert await count(store) == 0


async def test_deepest_snapshot_every_database_takes(store: Store) -> None:
    await store.snapshots.persist("wf", "r", _deep(31))
    assert await store.snapshots.load("wf", "r") == _deep(31)


BAD_LIST_OPTIONS: list[dict[str, Any]] = [
    {"status": "s" * 65},
    {"status": 3},
    {"since": datetime(2025, 1, 1)},
    {"until": "2025-01-01"},
    {"limit": -1},
    {"limit": True},
    {"limit": "5"},
    {"with_total": 1},
    {"with_snapshot": "yes"},
    {"cursor": "garbage!"},
    {"cursor": ""},
    {"cursor": 5},
]


async def test_list_runs_rejects_bad_options(store: Store) -> None:
    await store.snapshots.persist("wf", "r", {"status": "x"})
    for kwargs in BAD_LIST_OPTIONS:
        await refused(store.snapshots.list_runs(**kwargs), kwargs)


async def test_list_runs_rejects_a_cursor_of_another_list(store: Store) -> None:
    from rawstore.pagination import encode_cursor

    await store.memory.save_thread(rawstore.Thread("t1", "res"))
    await store.memory.save_thread(rawstore.Thread("t2", "res"))
    other = (await store.memory.list_threads("res", limit=1)).next_cursor
    with pytest.raises(InvalidInput, match="another list"):
        await store.snapshots.list_runs(cursor=other)
    with pytest.raises(InvalidInput, match="malformed"):
        await store.snapshots.list_runs(cursor=encode_cursor("snapshots:runs", T0, "no separator"))


# -- tenants and transactions ----------------------------------------------------------------------------


async def test_tenants_are_isolated(store: Store) -> None:
    with rawstore.tenant("a"):
        await store.snapshots.persist("wf", "r1", {"status": "running", "t": "a"}, resource_id="u")
        await store.snapshots.update_results("wf", "r2", step_id="s", result="a")
    with rawstore.tenant("b"):
        await store.snapshots.persist("wf", "r1", {"status": "success", "t": "b"}, resource_id="u")
        assert await store.snapshots.load("wf", "r1") == {"status": "success", "t": "b"}
        assert await store.snapshots.load("wf", "r2") is None
        assert await store.snapshots.update_state("wf", "r2", status="x") is None
        page = await store.snapshots.list_runs(resource_id="u", with_total=True, with_snapshot=True)
        assert [r.snapshot for r in page.items] == [{"status": "success", "t": "b"}] and page.total == 1
        assert await store.snapshots.delete("wf", "r2") is False
    with rawstore.tenant("a"):
        got = await store.snapshots.get_run("r1")
        assert got is not None and got.snapshot == {"status": "running", "t": "a"}
        assert (await store.snapshots.list_runs(status="success")).items == []
        assert await store.snapshots.update_results("wf", "r1", step_id="s", result=1) == {"s": 1}
        assert await store.snapshots.delete("wf", "r1") is True
    with rawstore.tenant("b"):
        assert await store.snapshots.load("wf", "r1") == {"status": "success", "t": "b"}
    assert (await store.snapshots.list_runs()).items == []
    assert await count(store) == 2


async def test_calls_join_the_transaction(store: Store) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.snapshots.persist("wf", "r1", {"status": "running"})
            await tx.snapshots.update_results("wf", "r1", step_id="s", result=1)
            await tx.snapshots.update_results("wf", "r2", step_id="s", result=2)
            assert await tx.snapshots.update_state("wf", "r1", status="success") == {
                "status": "success",
                "context": {"s": 1},
            }
            assert [r.run_id for r in (await tx.snapshots.list_runs(status="success")).items] == ["r1"]
            raise Boom
    assert await count(store) == 0
    async with store.transaction() as tx:
        await tx.snapshots.persist("wf", "r1", {"status": "running"})
        # A failed call inside the transaction leaves it usable.
        with pytest.raises(InvalidInput):
            await tx.snapshots.persist("wf", "r2", {"status": "x" * 65})
        await tx.snapshots.persist("wf", "r3", [1])
        with pytest.raises(InvalidInput):
            await tx.snapshots.update_results("wf", "r3", step_id="s", result=1)
        assert await tx.snapshots.delete("wf", "r3") is True
    assert [r.run_id for r in (await store.snapshots.list_runs()).items] == ["r1"]


SQLISH = ["'; DROP TABLE rs_workflow_snapshots; --", '" OR 1=1 --', "%_\\", "$1", ":tenant_id"]


async def test_sql_looking_strings_are_plain_values(store: Store) -> None:
    for s in SQLISH:
        await store.snapshots.persist(s, s, {s: s, "status": s[:64]}, resource_id=s)
        assert await store.snapshots.load(s, s) == {s: s, "status": s[:64]}
        page = await store.snapshots.list_runs(workflow_name=s, resource_id=s, status=s[:64], with_total=True)
        assert keys(page) == [(s, s)] and page.total == 1
        assert await store.snapshots.update_results(s, s, step_id=s, result=s) == {s: s}
        assert await store.snapshots.delete(s, s) is True
    assert await count(store) == 0

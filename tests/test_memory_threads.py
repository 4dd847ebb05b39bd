"""Conformance: threads and resources of the memory domain, on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

import rawstore
from rawstore import InvalidInput, Message, NotFound, Resource, Store, Thread

T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)

JSON_VALUES = {
    "nested": {"a": [1, 2.5, None, True, False, "x"], "b": {"c": {"d": []}}},
    "unicode": "héllo wörld — 日本語 🎉 \u2028 'single' \"double\" \\back\\slash",
    "empty": {},
    "null": None,
    "big": 2**53 + 1,
    "neg": -0.5,
}


async def test_save_and_get_round_trip(store: Store) -> None:
    t = Thread(
        "th-1", "res-1", title="Hello", metadata=JSON_VALUES, created_at=T0, updated_at=T0 + timedelta(microseconds=1)
    )
    saved = await store.memory.save_thread(t)
    assert saved == t
    got = await store.memory.get_thread("th-1")
    assert got == t
    assert got is not None and got.created_at.tzinfo is not None
    assert got.created_at == T0 and got.updated_at.microsecond == 123457


async def test_get_missing_or_other_resource(store: Store) -> None:
    assert await store.memory.get_thread("nope") is None
    await store.memory.save_thread(Thread("th", "r1"))
    assert await store.memory.get_thread("th", resource_id="r1") is not None
    assert await store.memory.get_thread("th", resource_id="r2") is None


async def test_save_thread_upsert_keeps_created_at(store: Store) -> None:
    await store.memory.save_thread(Thread("th", "r1", title="a", metadata={"x": 1}, created_at=T0, updated_at=T0))
    later = T0 + timedelta(days=1)
    again = await store.memory.save_thread(
        Thread("th", "r2", title="b", metadata={"y": 2}, created_at=later, updated_at=later)
    )
    assert again.created_at == T0
    assert (again.resource_id, again.title, again.metadata, again.updated_at) == ("r2", "b", {"y": 2}, later)
    assert await store.memory.get_thread("th") == again


async def test_non_utc_datetimes_are_stored_as_the_same_instant(store: Store) -> None:
    tz = datetime(2025, 1, 1, 12, 0, 0, 1, tzinfo=UTC).astimezone(__import__("datetime").timezone(timedelta(hours=5)))
    saved = await store.memory.save_thread(Thread("th", "r", created_at=tz, updated_at=tz))
    assert saved.created_at == tz and saved.created_at.utcoffset() == timedelta(0)


async def test_update_thread_merges_metadata_and_bumps(store: Store) -> None:
    await store.memory.save_thread(
        Thread("th", "r", title="old", metadata={"a": 1, "b": {"x": 1}}, created_at=T0, updated_at=T0)
    )
    up = await store.memory.update_thread("th", metadata={"b": {"y": 2}, "c": 3})
    assert up.title == "old"
    assert up.metadata == {"a": 1, "b": {"y": 2}, "c": 3}
    assert up.updated_at > T0 and up.created_at == T0
    up2 = await store.memory.update_thread("th", title="new")
    assert up2.title == "new" and up2.metadata == up.metadata
    assert up2.updated_at >= up.updated_at
    assert await store.memory.get_thread("th") == up2


async def test_update_thread_missing(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.memory.update_thread("missing", title="x")


async def test_delete_thread_removes_messages(store: Store) -> None:
    await store.memory.save_thread(Thread("th", "r"))
    await store.memory.save_thread(Thread("other", "r"))
    await store.memory.save_messages([Message(f"m{i}", "th", "user", i) for i in range(5)])
    await store.memory.save_messages([Message("keep", "other", "user", "k")])
    await store.memory.delete_thread("th")
    assert await store.memory.get_thread("th") is None
    assert await store.memory.get_messages([f"m{i}" for i in range(5)]) == []
    assert [m.id for m in await store.memory.get_messages(["keep"])] == ["keep"]
    await store.memory.delete_thread("th")  # missing is not an error


async def _threads(store: Store, n: int, *, same_time: bool = False) -> list[Thread]:
    out = []
    for i in range(n):
        ts = T0 if same_time else T0 + timedelta(seconds=i)
        out.append(
            await store.memory.save_thread(
                Thread(f"t{i:03}", "r", created_at=ts, updated_at=T0 + timedelta(seconds=n - i))
            )
        )
    await store.memory.save_thread(Thread("elsewhere", "r2"))
    return out


@pytest.mark.parametrize("order_by", ["created_at", "updated_at"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
async def test_list_threads_walks_every_page(store: Store, order_by: str, direction: str) -> None:
    threads = await _threads(store, 23)
    expected = sorted(threads, key=lambda t: (getattr(t, order_by), t.id), reverse=direction == "desc")
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.memory.list_threads("r", order_by=order_by, direction=direction, limit=5, cursor=cursor)  # type: ignore[arg-type]
        seen.extend(t.id for t in page.items)
        assert page.total is None
        if not page.has_more:
            assert page.next_cursor is None
            break
        assert len(page.items) == 5
        cursor = page.next_cursor
    assert seen == [t.id for t in expected]


async def test_list_threads_ties_and_total(store: Store) -> None:
    await _threads(store, 30, same_time=True)
    ids: list[str] = []
    cursor = None
    for _ in range(10):
        page = await store.memory.list_threads("r", direction="asc", limit=7, cursor=cursor, with_total=True)
        assert page.total == 30
        ids.extend(t.id for t in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert ids == sorted(ids) and len(ids) == 30 and len(set(ids)) == 30


async def test_list_threads_defaults_and_empty(store: Store) -> None:
    await _threads(store, 3)
    page = await store.memory.list_threads("r")
    assert [t.id for t in page.items] == ["t002", "t001", "t000"]  # created_at desc by default
    empty = await store.memory.list_threads("nobody", with_total=True)
    assert empty.items == [] and not empty.has_more and empty.total == 0 and empty.next_cursor is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"order_by": "title"},
        {"order_by": "created_at; DROP TABLE rs_threads"},
        {"direction": "up"},
        {"limit": -1},
        {"limit": "10"},
        {"limit": True},
        {"cursor": "not-a-cursor"},
        {"cursor": ""},
    ],
)
async def test_list_threads_rejects_bad_options(store: Store, kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        await store.memory.list_threads("r", **kwargs)  # type: ignore[arg-type]


async def test_cursor_from_another_order_is_rejected(store: Store) -> None:
    await _threads(store, 3)
    page = await store.memory.list_threads("r", limit=1)
    assert page.next_cursor is not None
    with pytest.raises(InvalidInput):
        await store.memory.list_threads("r", limit=1, direction="asc", cursor=page.next_cursor)
    with pytest.raises(InvalidInput):
        await store.memory.list_messages("t000", cursor=page.next_cursor)


@pytest.mark.parametrize(
    "bad",
    [
        Thread("", "r"),
        Thread("   ", "r"),
        Thread(123, "r"),  # type: ignore[arg-type]
        Thread("x" * 256, "r"),
        Thread("a\x00b", "r"),
        Thread("t", ""),
        Thread("t", "r", title=5),  # type: ignore[arg-type]
        Thread("t", "r", title="x" * 4001),
        Thread("t", "r", metadata=[1, 2]),  # type: ignore[arg-type]
        Thread("t", "r", metadata={"a": object()}),
        Thread("t", "r", metadata={"a": "nul\x00inside"}),
        Thread("t", "r", created_at=datetime(2025, 1, 1)),
        Thread("t", "r", created_at="2025-01-01"),  # type: ignore[arg-type]
        Thread("t", "r", created_at=datetime(999, 1, 1, tzinfo=UTC)),
    ],
)
async def test_save_thread_rejects_bad_input_and_writes_nothing(store: Store, bad: Thread) -> None:
    with pytest.raises(InvalidInput):
        await store.memory.save_thread(bad)
    assert (await store.memory.list_threads("r", with_total=True)).total == 0
    assert await store.memory.get_thread("t") is None


async def test_save_thread_rejects_non_thread(store: Store) -> None:
    with pytest.raises(InvalidInput):
        await store.memory.save_thread({"id": "t", "resource_id": "r"})  # type: ignore[arg-type]


SQLISH = ["'; DROP TABLE rs_threads; --", '" OR 1=1 --', "x' OR 'a'='a", "%s %(x)s ? $1 :name", "`; --", "\\'"]


@pytest.mark.parametrize("s", SQLISH)
async def test_sql_looking_strings_are_plain_values(store: Store, s: str) -> None:
    await store.memory.save_thread(Thread(s, s, title=s, metadata={s: s}))
    got = await store.memory.get_thread(s, resource_id=s)
    assert got is not None and (got.id, got.resource_id, got.title, got.metadata) == (s, s, s, {s: s})
    await store.memory.save_messages([Message(s, s, s, {s: [s]}, resource_id=s, type=s[:64])])
    page = await store.memory.list_messages(s, resource_id=s, with_total=True)
    assert [(m.id, m.role, m.content) for m in page.items] == [(s, s, {s: [s]})] and page.total == 1
    assert (await store.memory.list_threads(s, with_total=True)).total == 1
    await store.memory.update_thread(s, title=s, metadata={"k": s})
    await store.memory.update_messages([rawstore.MessageUpdate(s, content={"z": s})])
    assert await store.memory.delete_messages([s]) == 1
    await store.memory.update_resource(s, working_memory=s, metadata={s: s})
    res = await store.memory.get_resource(s)
    assert res is not None and res.working_memory == s and res.metadata == {s: s}
    clone, _ = await store.memory.clone_thread(s, title=s)
    assert clone.title == s
    await store.memory.delete_thread(s)
    assert await store.memory.get_thread(s) is None


# -- resources -----------------------------------------------------------------------------------------


async def test_resource_save_get_update(store: Store) -> None:
    assert await store.memory.get_resource("u1") is None
    r = await store.memory.save_resource(
        Resource("u1", working_memory="# notes", metadata={"a": 1}, created_at=T0, updated_at=T0)
    )
    assert r == Resource("u1", "# notes", {"a": 1}, T0, T0)
    r2 = await store.memory.save_resource(Resource("u1", working_memory="v2", metadata=None))
    assert r2.created_at == T0 and r2.working_memory == "v2" and r2.metadata is None
    r3 = await store.memory.update_resource("u1", metadata={"b": 2})
    assert r3.working_memory == "v2" and r3.metadata == {"b": 2} and r3.updated_at > T0
    r4 = await store.memory.update_resource("u1", working_memory="v3", metadata={"c": 3})
    assert r4.working_memory == "v3" and r4.metadata == {"b": 2, "c": 3}
    assert await store.memory.get_resource("u1") == r4


async def test_update_resource_creates_missing(store: Store) -> None:
    r = await store.memory.update_resource("new", working_memory="wm")
    assert r.id == "new" and r.working_memory == "wm" and r.metadata is None
    assert await store.memory.get_resource("new") == r


async def test_update_resource_rejects_bad_input(store: Store) -> None:
    for kwargs in ({"metadata": "x"}, {"working_memory": 5}, {"metadata": {"a": "\x00"}}):
        with pytest.raises(InvalidInput):
            await store.memory.update_resource("u", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        await store.memory.save_resource(Resource(""))
    assert await store.memory.get_resource("u") is None


async def test_concurrent_resource_updates_all_survive(store: Store) -> None:
    await asyncio.gather(*(store.memory.update_resource("shared", metadata={f"k{i}": i}) for i in range(20)))
    r = await store.memory.get_resource("shared")
    assert r is not None and r.metadata == {f"k{i}": i for i in range(20)}


async def test_concurrent_resource_updates_on_existing(store: Store) -> None:
    await store.memory.save_resource(Resource("shared", metadata={"base": True}))
    await asyncio.gather(*(store.memory.update_resource("shared", metadata={f"k{i}": i}) for i in range(20)))
    r = await store.memory.get_resource("shared")
    assert r is not None and r.metadata == {"base": True, **{f"k{i}": i for i in range(20)}}


async def test_concurrent_thread_metadata_updates_all_survive(store: Store) -> None:
    await store.memory.save_thread(Thread("th", "r", metadata={}))
    await asyncio.gather(*(store.memory.update_thread("th", metadata={f"k{i}": i}) for i in range(20)))
    t = await store.memory.get_thread("th")
    assert t is not None and t.metadata == {f"k{i}": i for i in range(20)}

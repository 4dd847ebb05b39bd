"""Conformance: messages of the memory domain (save, list, include, update, delete, clone), on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rawstore import Conflict, Include, InvalidInput, Message, MessageUpdate, NotFound, Store, Thread

T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


def us(n: int) -> datetime:
    return T0 + timedelta(microseconds=n)


async def _thread(store: Store, tid: str = "th", resource: str = "r") -> Thread:
    return await store.memory.save_thread(Thread(tid, resource, title=f"title {tid}", created_at=T0, updated_at=T0))


async def _fill(store: Store, n: int, tid: str = "th", *, step: int = 1, prefix: str = "m") -> list[Message]:
    msgs = [
        Message(f"{prefix}{i:04}", tid, "user" if i % 2 else "assistant", {"i": i}, created_at=us(i * step))
        for i in range(n)
    ]
    await store.memory.save_messages(msgs)
    return msgs


async def _count(store: Store, tid: str = "th") -> int:
    return (await store.memory.list_messages(tid, limit=0, with_total=True)).total or 0


# -- save_messages ------------------------------------------------------------------------------------


async def test_save_messages_round_trip(store: Store) -> None:
    await _thread(store)
    contents: list[Any] = [
        {"format": 2, "parts": [{"type": "text", "text": 'hi "there" \\ é 🎉'}]},
        "a plain string",
        ["list", 1, None],
        42,
        3.25,
        None,
        True,
        {"": {"nested": {"deep": [{}]}}},
    ]
    msgs = [
        Message(f"m{i}", "th", "user", c, resource_id="r", type="v2", created_at=us(i)) for i, c in enumerate(contents)
    ]
    saved = await store.memory.save_messages(msgs)
    assert saved == msgs
    got = await store.memory.get_messages([m.id for m in msgs])
    assert got == msgs


async def test_save_messages_empty_list(store: Store) -> None:
    assert await store.memory.save_messages([]) == []


async def test_upsert_keeps_created_at_and_moves_thread(store: Store) -> None:
    await _thread(store, "a")
    await _thread(store, "b")
    await store.memory.save_messages([Message("m", "a", "user", "v1", created_at=us(5))])
    before_a = await store.memory.get_thread("a")
    assert before_a is not None and before_a.updated_at > T0
    out = await store.memory.save_messages([Message("m", "b", "assistant", "v2", created_at=us(999))])
    assert out[0].created_at == us(5) and out[0].thread_id == "b"
    got = await store.memory.get_messages(["m"])
    assert [(m.thread_id, m.role, m.content, m.created_at) for m in got] == [("b", "assistant", "v2", us(5))]
    after_a = await store.memory.get_thread("a")
    after_b = await store.memory.get_thread("b")
    assert after_a is not None and after_b is not None
    assert after_a.updated_at > before_a.updated_at  # the thread the message left is bumped too
    assert after_b.updated_at > T0
    assert await _count(store, "a") == 0 and await _count(store, "b") == 1


async def test_duplicate_ids_in_one_batch_keep_the_last(store: Store) -> None:
    await _thread(store)
    out = await store.memory.save_messages(
        [Message("m", "th", "user", 1, created_at=us(1)), Message("m", "th", "user", 2, created_at=us(1))]
    )
    assert [m.content for m in out] == [2]
    assert [m.content for m in await store.memory.get_messages(["m"])] == [2]


async def test_missing_thread_writes_nothing(store: Store) -> None:
    await _thread(store)
    batch = [Message("ok", "th", "user", "x"), Message("bad", "no-such-thread", "user", "y")]
    with pytest.raises(NotFound):
        await store.memory.save_messages(batch)
    assert await store.memory.get_messages(["ok", "bad"]) == []
    t = await store.memory.get_thread("th")
    assert t is not None and t.updated_at == T0


@pytest.mark.parametrize(
    "bad",
    [
        Message("", "th", "user", "x"),
        Message("  ", "th", "user", "x"),
        Message("m", None, "user", "x"),  # type: ignore[arg-type]
        Message("m", "", "user", "x"),
        Message("m", "th", None, "x"),  # type: ignore[arg-type]
        Message("m", "th", "", "x"),
        Message("m", "th", "r" * 65, "x"),
        Message(7, "th", "user", "x"),  # type: ignore[arg-type]
        Message("m", "th", "user", object()),
        Message("m", "th", "user", {"k": "\x00"}),
        Message("m", "th", "user", "\ud800"),
        Message("m", "th", "user", "x", created_at=datetime(2025, 1, 1)),
        Message("m", "th", "user", "x", type=""),
        Message("m", "th", "user", "x", resource_id=""),
    ],
)
async def test_invalid_message_writes_nothing(store: Store, bad: Message) -> None:
    await _thread(store)
    with pytest.raises(InvalidInput):
        await store.memory.save_messages([Message("good", "th", "user", "fine"), bad])
    assert await _count(store) == 0
    t = await store.memory.get_thread("th")
    assert t is not None and t.updated_at == T0


@pytest.mark.parametrize("bad", ["not a list", None, Message("m", "th", "user", "x"), [{"id": "m"}]])
async def test_save_messages_rejects_wrong_types(store: Store, bad: Any) -> None:
    await _thread(store)
    with pytest.raises(InvalidInput):
        await store.memory.save_messages(bad)
    assert await _count(store) == 0


async def test_ten_megabyte_content(store: Store) -> None:
    await _thread(store)
    big = {"text": "x" * (10 * 1024 * 1024), "unicode": "é" * 1000}
    await store.memory.save_messages([Message("big", "th", "user", big)])
    got = await store.memory.get_messages(["big"])
    assert got[0].content == big


async def test_saving_bumps_thread_updated_at(store: Store) -> None:
    await _thread(store)
    await _fill(store, 3)
    t = await store.memory.get_thread("th")
    assert t is not None and t.updated_at > T0 and t.created_at == T0


# -- list_messages ------------------------------------------------------------------------------------


async def _walk(store: Store, tid: str, limit: int, **kw: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(10_000):
        page = await store.memory.list_messages(tid, limit=limit, cursor=cursor, **kw)
        ids.extend(m.id for m in page.items)
        if not page.has_more:
            assert page.next_cursor is None
            return ids
        assert len(page.items) == limit
        cursor = page.next_cursor
    raise AssertionError("did not finish")


@pytest.mark.parametrize("direction", ["asc", "desc"])
async def test_pages_cover_thread_exactly_once(store: Store, direction: str) -> None:
    await _thread(store)
    await _thread(store, "other")
    msgs = await _fill(store, 95)
    await _fill(store, 10, "other", prefix="o")
    ids = await _walk(store, "th", 10, direction=direction)
    expected = [m.id for m in msgs]
    assert ids == (expected if direction == "asc" else expected[::-1])


@pytest.mark.parametrize("direction", ["asc", "desc"])
async def test_equal_timestamps_page_without_loss_or_repeat(store: Store, direction: str) -> None:
    await _thread(store)
    msgs = [Message(f"tie-{i:03}", "th", "user", i, created_at=T0) for i in range(300)]
    msgs += [Message(f"early-{i}", "th", "user", i, created_at=T0 - timedelta(microseconds=1)) for i in range(3)]
    await store.memory.save_messages(msgs)
    ids = await _walk(store, "th", 7, direction=direction)
    assert len(ids) == 303 and len(set(ids)) == 303
    expected = sorted(msgs, key=lambda m: (m.created_at, m.id), reverse=direction == "desc")
    assert ids == [m.id for m in expected]


async def test_list_defaults_total_and_empty(store: Store) -> None:
    await _thread(store)
    await _fill(store, 45)
    page = await store.memory.list_messages("th", with_total=True)
    assert len(page.items) == 40 and page.has_more and page.total == 45
    assert [m.id for m in page.items] == [f"m{i:04}" for i in range(40)]
    empty = await store.memory.list_messages("no-thread", with_total=True)
    assert empty.items == [] and empty.total == 0 and not empty.has_more


async def test_since_until_inclusive_and_total(store: Store) -> None:
    await _thread(store)
    await _fill(store, 20, step=10)
    page = await store.memory.list_messages("th", since=us(50), until=us(100), with_total=True)
    assert [m.id for m in page.items] == [f"m{i:04}" for i in range(5, 11)] and page.total == 6
    desc = await store.memory.list_messages(
        "th", since=us(50), until=us(100), direction="desc", limit=4, with_total=True
    )
    assert [m.id for m in desc.items] == ["m0010", "m0009", "m0008", "m0007"] and desc.total == 6 and desc.has_more
    rest = await store.memory.list_messages(
        "th", since=us(50), until=us(100), direction="desc", limit=4, cursor=desc.next_cursor
    )
    assert [m.id for m in rest.items] == ["m0006", "m0005"] and not rest.has_more


async def test_resource_filter_applies_to_page_rows(store: Store) -> None:
    await _thread(store)
    await store.memory.save_messages(
        [Message(f"m{i}", "th", "user", i, resource_id="a" if i % 2 else "b", created_at=us(i)) for i in range(10)]
    )
    page = await store.memory.list_messages("th", resource_id="a", with_total=True)
    assert [m.id for m in page.items] == ["m1", "m3", "m5", "m7", "m9"] and page.total == 5


async def test_include_context(store: Store) -> None:
    await _thread(store)
    await _fill(store, 50)
    page = await store.memory.list_messages(
        "th", limit=3, include=[Include("m0030", before=2, after=3)], with_total=True
    )
    assert [m.id for m in page.items] == [
        "m0000",
        "m0001",
        "m0002",
        "m0028",
        "m0029",
        "m0030",
        "m0031",
        "m0032",
        "m0033",
    ]
    assert page.has_more and page.total == 50
    nxt = await store.memory.list_messages("th", limit=3, cursor=page.next_cursor)
    assert [m.id for m in nxt.items] == ["m0003", "m0004", "m0005"]


async def test_include_overlapping_page_is_deduplicated_and_sorted_desc(store: Store) -> None:
    await _thread(store)
    await _fill(store, 20)
    page = await store.memory.list_messages(
        "th", limit=5, direction="desc", include=[Include("m0016", before=3, after=5), Include("m0002", after=1)]
    )
    ids = [m.id for m in page.items]
    assert ids == ["m0019", "m0018", "m0017", "m0016", "m0015", "m0014", "m0013", "m0003", "m0002"]
    assert len(ids) == len(set(ids))


async def test_include_edges_missing_and_limit_zero(store: Store) -> None:
    await _thread(store)
    await _fill(store, 10)
    page = await store.memory.list_messages(
        "th",
        limit=0,
        include=[Include("m0000", before=5, after=1), Include("m0009", after=4), Include("ghost", before=2)],
    )
    assert [m.id for m in page.items] == ["m0000", "m0001", "m0009"]
    assert page.next_cursor is None and not page.has_more
    only = await store.memory.list_messages("th", limit=0, include=[Include("m0005")])
    assert [m.id for m in only.items] == ["m0005"]


async def test_include_other_thread_and_thread_override(store: Store) -> None:
    await _thread(store, "a")
    await _thread(store, "b")
    await _fill(store, 10, "a", prefix="a", step=2)
    await _fill(store, 10, "b", prefix="b", step=2)
    page = await store.memory.list_messages("a", limit=1, include=[Include("b0005", before=1, after=1)])
    assert [m.id for m in page.items] == ["a0000", "b0004", "b0005", "b0006"]
    # Context from thread a, positioned at b0005's (created_at, id): a0005 has the same time and a smaller id.
    over = await store.memory.list_messages("a", limit=0, include=[Include("b0005", before=1, after=1, thread_id="a")])
    assert [m.id for m in over.items] == ["a0005", "b0005", "a0006"]


async def test_include_ties(store: Store) -> None:
    await _thread(store)
    await store.memory.save_messages([Message(f"m{i}", "th", "user", i, created_at=T0) for i in range(6)])
    page = await store.memory.list_messages("th", limit=0, include=[Include("m3", before=2, after=1)])
    assert [m.id for m in page.items] == ["m1", "m2", "m3", "m4"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": -1},
        {"direction": "sideways"},
        {"since": "2025-01-01"},
        {"until": datetime(2025, 1, 1)},
        {"cursor": "%%%"},
        {"include": [Include("")]},
        {"include": [Include("m", before=-1)]},
        {"include": ["m1"]},
        {"include": "m1"},
        {"resource_id": ""},
    ],
)
async def test_list_messages_rejects_bad_options(store: Store, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        await store.memory.list_messages("th", **kwargs)


@pytest.mark.parametrize("tid", ["", "   ", None, 5])
async def test_list_messages_blank_thread(store: Store, tid: Any) -> None:
    with pytest.raises(InvalidInput):
        await store.memory.list_messages(tid)


async def test_get_messages_across_threads_sorted(store: Store) -> None:
    await _thread(store, "a")
    await _thread(store, "b")
    await store.memory.save_messages(
        [Message("x", "a", "user", 1, created_at=us(3)), Message("y", "b", "user", 2, created_at=us(1))]
    )
    await store.memory.save_messages([Message("z", "b", "user", 3, created_at=us(3))])
    got = await store.memory.get_messages(["z", "x", "y", "unknown", "x"])
    assert [m.id for m in got] == ["y", "x", "z"]
    assert await store.memory.get_messages([]) == []
    with pytest.raises(InvalidInput):
        await store.memory.get_messages(["ok", ""])


# -- update_messages ----------------------------------------------------------------------------------


async def test_update_messages_merges_content(store: Store) -> None:
    await _thread(store)
    await store.memory.save_messages(
        [
            Message(
                "m1", "th", "user", {"a": 1, "b": {"x": 1}, "metadata": {"k": 1, "n": {"deep": 1}}}, created_at=us(1)
            ),
            Message("m2", "th", "user", "plain", created_at=us(2)),
        ]
    )
    out = await store.memory.update_messages(
        [
            MessageUpdate(
                "m1", content={"b": {"y": 2}, "c": 3, "metadata": {"j": 2, "n": {"other": 2}}}, role="assistant"
            ),
            MessageUpdate("m2", content={"now": "object"}, type="v3"),
            MessageUpdate("unknown", role="x"),
        ]
    )
    assert {m.id for m in out} == {"m1", "m2"}
    got = {m.id: m for m in await store.memory.get_messages(["m1", "m2"])}
    assert got["m1"].content == {"a": 1, "b": {"y": 2}, "c": 3, "metadata": {"k": 1, "j": 2, "n": {"other": 2}}}
    assert got["m1"].role == "assistant" and got["m1"].created_at == us(1)
    assert got["m2"].content == {"now": "object"} and got["m2"].type == "v3" and got["m2"].role == "user"


async def test_update_messages_moves_thread_and_bumps_both(store: Store) -> None:
    await _thread(store, "a")
    await _thread(store, "b")
    await store.memory.save_messages([Message("m", "a", "user", 1)])
    a0 = await store.memory.get_thread("a")
    b0 = await store.memory.get_thread("b")
    await store.memory.update_messages([MessageUpdate("m", thread_id="b", resource_id="res")])
    a1 = await store.memory.get_thread("a")
    b1 = await store.memory.get_thread("b")
    assert a0 and b0 and a1 and b1
    assert a1.updated_at > a0.updated_at and b1.updated_at > b0.updated_at
    got = await store.memory.get_messages(["m"])
    assert got[0].thread_id == "b" and got[0].resource_id == "res"


async def test_update_messages_to_missing_thread_writes_nothing(store: Store) -> None:
    await _thread(store)
    await store.memory.save_messages([Message("m1", "th", "user", 1), Message("m2", "th", "user", 2)])
    with pytest.raises(NotFound):
        await store.memory.update_messages([MessageUpdate("m1", content=10), MessageUpdate("m2", thread_id="ghost")])
    assert [m.content for m in await store.memory.get_messages(["m1", "m2"])] == [1, 2]


async def test_update_messages_bad_input(store: Store) -> None:
    await _thread(store)
    await store.memory.save_messages([Message("m1", "th", "user", 1)])
    for bad in (
        [MessageUpdate("")],
        [MessageUpdate("m1", role="")],
        [MessageUpdate("m1", content={"x": object()})],
        ["m1"],
        "m1",
    ):
        with pytest.raises(InvalidInput):
            await store.memory.update_messages(bad)  # type: ignore[arg-type]
    assert [m.content for m in await store.memory.get_messages(["m1"])] == [1]
    assert await store.memory.update_messages([]) == []


# -- delete_messages ----------------------------------------------------------------------------------


async def test_delete_messages_counts_and_bumps(store: Store) -> None:
    await _thread(store, "a")
    await _thread(store, "b")
    await _fill(store, 5, "a", prefix="a")
    await _fill(store, 5, "b", prefix="b")
    a0 = await store.memory.get_thread("a")
    assert await store.memory.delete_messages(["a0000", "a0001", "b0004", "nope"]) == 3
    a1 = await store.memory.get_thread("a")
    assert a0 and a1 and a1.updated_at > a0.updated_at
    assert await _count(store, "a") == 3 and await _count(store, "b") == 4
    assert await store.memory.delete_messages([]) == 0
    with pytest.raises(InvalidInput):
        await store.memory.delete_messages("a0002")  # type: ignore[arg-type]
    assert await _count(store, "a") == 3


# -- clone_thread -------------------------------------------------------------------------------------


async def test_clone_thread_copies_in_order(store: Store) -> None:
    await store.memory.save_thread(Thread("src", "r", title="Chat", metadata={"m": 1}, created_at=T0, updated_at=T0))
    msgs = [
        Message(f"s{i}", "src", "user", {"i": i}, resource_id="r", created_at=T0 if i < 4 else us(i)) for i in range(10)
    ]
    await store.memory.save_messages(msgs)
    thread, copies = await store.memory.clone_thread("src")
    assert thread.title == "Clone of Chat" and thread.resource_id == "r"
    assert thread.metadata is not None and thread.metadata["m"] == 1
    assert thread.metadata["clone"]["source_thread_id"] == "src"
    assert [c.content for c in copies] == [m.content for m in msgs]
    assert not {c.id for c in copies} & {m.id for m in msgs}
    listed = await store.memory.list_messages(thread.id, limit=100)
    assert [m.content for m in listed.items] == [m.content for m in msgs]
    assert [m.id for m in listed.items] == [c.id for c in copies]
    assert await store.memory.get_thread(thread.id) == thread
    assert await _count(store, "src") == 10


async def test_clone_thread_options_and_limit(store: Store) -> None:
    await _thread(store, "src")
    await _fill(store, 10, "src")
    thread, copies = await store.memory.clone_thread(
        "src", new_thread_id="dst", title="Copy", resource_id="r2", metadata={"x": 1}, limit=3
    )
    assert (thread.id, thread.title, thread.resource_id) == ("dst", "Copy", "r2")
    assert (
        thread.metadata is not None
        and thread.metadata["x"] == 1
        and thread.metadata["clone"]["source_thread_id"] == "src"
    )
    assert [c.content for c in copies] == [{"i": 7}, {"i": 8}, {"i": 9}]
    assert all(c.thread_id == "dst" and c.resource_id == "r2" for c in copies)
    with pytest.raises(Conflict):
        await store.memory.clone_thread("src", new_thread_id="dst")
    with pytest.raises(NotFound):
        await store.memory.clone_thread("ghost")
    with pytest.raises(InvalidInput):
        await store.memory.clone_thread("src", limit=-2)
    assert await _count(store, "dst") == 3


# -- concurrency --------------------------------------------------------------------------------------


async def test_concurrent_batches_into_one_thread(store: Store) -> None:
    """Eight writers, overlapping ids, one thread: no deadlock, no lost message, created_at of the first save kept."""
    import asyncio

    await _thread(store)

    async def writer(w: int) -> None:
        for b in range(3):
            batch = [
                Message(f"m{(w * 7 + b * 13 + i) % 120:03}", "th", "user", {"w": w}, created_at=us(w))
                for i in range(25)
            ]
            await store.memory.save_messages(batch)

    await asyncio.gather(*(writer(w) for w in range(8)))
    page = await store.memory.list_messages("th", limit=1000, with_total=True)
    ids = {m.id for m in page.items}
    expected = {f"m{(w * 7 + b * 13 + i) % 120:03}" for w in range(8) for b in range(3) for i in range(25)}
    assert ids == expected and page.total == len(expected)


async def test_concurrent_updates_and_deletes(store: Store) -> None:
    import asyncio

    await _thread(store, "a")
    await _thread(store, "b")
    await _fill(store, 40, "a")
    ups = [
        store.memory.update_messages([MessageUpdate(f"m{i:04}", thread_id="b" if i % 2 else "a", content={"u": i})])
        for i in range(0, 40, 2)
    ]
    dels = [store.memory.delete_messages([f"m{i:04}"]) for i in range(1, 40, 2)]
    results = await asyncio.gather(*ups, *dels)
    assert sum(r for r in results if isinstance(r, int)) == 20
    assert await _count(store, "a") == 20 and await _count(store, "b") == 0


@pytest.mark.backends("sqlite")
async def test_row_corrupted_outside_rawstore_is_a_rawstore_error(store: Store) -> None:
    """Only SQLite's text columns can hold a value rawstore never writes (the others type-check their columns)."""
    from rawstore import DatabaseError

    await _thread(store)
    await store.memory.save_messages([Message("m", "th", "user", {"ok": True})])
    async with store.transaction() as tx:
        await tx.execute("UPDATE rs_messages SET created_at = :v, content = :c WHERE id = 'm'", {"v": "x", "c": "{"})
    with pytest.raises(DatabaseError):
        await store.memory.get_messages(["m"])

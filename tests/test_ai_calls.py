"""Conformance: the AI call log's buffered writes (`log_call`, `flush`, `close`), reads and input checks."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import rawstore
from rawstore import AICall, ConnectionLost, InvalidInput, Store, TenantRequired

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)


def call(topic: str = "wf/run-1/stage-a", **kw: Any) -> AICall:
    fields: dict[str, Any] = dict(
        call_type="text",
        model_key="fast",
        model_id="gpt-4o-mini-2024-07-18",
        prompt="Summarise: «naïve» — 日本語 🎉 'q' \"dq\" \\bs",
        response="OK.",
        input_tokens=120,
        output_tokens=30,
        cost=0.000125,
    )
    fields.update(kw)
    return AICall(topic, **fields)


async def count(store: Store, where: str = "1 = 1", params: dict[str, Any] | None = None) -> int:
    """Rows in rs_ai_calls, all tenants, read with the application's own SQL (no flush on the way)."""
    async with store.transaction() as tx:
        row = await tx.fetchrow(f"SELECT count(*) AS n FROM rs_ai_calls WHERE {where}", params)
    assert row is not None
    return int(row["n"])


async def eventually(check: Any, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the background writer did not write in time"
        await asyncio.sleep(0.02)


async def open_store(backend: str, url: str, **kw: Any) -> Store:
    return await rawstore.connect(url, pgbouncer=backend == "pgbouncer", **kw)


# -- the record ------------------------------------------------------------------------------------------------


def test_aicall_is_positional_in_the_seed_order() -> None:
    c = AICall("t", "text", "k", "m", "p", "r", 1, 2, 0.5, {"a": 1}, "id-1", T0)
    assert (c.topic, c.call_type, c.model_key, c.model_id, c.prompt, c.response) == ("t", "text", "k", "m", "p", "r")
    assert (c.input_tokens, c.output_tokens, c.cost, c.metadata, c.id, c.created_at) == (
        1,
        2,
        0.5,
        {"a": 1},
        "id-1",
        T0,
    )
    d = AICall("t", "text", "k", "m", "p", "r", 1, 2, 0.5)
    assert d.metadata is None and d.id is None and d.created_at is None


# -- logging, flushing, reading back ---------------------------------------------------------------------------


async def test_log_call_buffers_and_flush_writes(store: Store) -> None:
    meta = {"run": "r1", "nested": {"x": [1, 2.5, None, True]}, "text": "é 🎉"}
    c = call(metadata=meta, created_at=T0)
    before = datetime.now(UTC)
    call_id = store.ai_calls.log_call(c)
    # Nothing awaited yet: the call only sits in the buffer.
    assert uuid.UUID(call_id).version == 7
    await store.ai_calls.flush()
    assert await count(store) == 1
    got = await store.ai_calls.get_call(call_id)
    assert got == AICall(c.topic, "text", "fast", c.model_id, c.prompt, "OK.", 120, 30, 0.000125, meta, call_id, T0), (
        got
    )
    assert isinstance(got.cost, float) and got.created_at is not None and got.created_at.tzinfo is not None
    # created_at None is the time of log_call; a given id is kept.
    other = store.ai_calls.log_call(call(id="mine-1"))
    assert other == "mine-1"
    await store.ai_calls.flush()
    mine = await store.ai_calls.get_call("mine-1")
    assert mine is not None and mine.created_at is not None and mine.metadata is None
    assert before - timedelta(seconds=1) <= mine.created_at <= datetime.now(UTC) + timedelta(seconds=1)


async def test_log_call_returns_before_writing(store: Store) -> None:
    store.ai_calls.flush_interval = 60
    for i in range(5):
        store.ai_calls.log_call(call(id=f"c{i}"))
    assert await count(store) == 0
    await store.ai_calls.flush()
    assert await count(store) == 5


async def test_non_utc_created_at_is_the_same_instant(store: Store) -> None:
    tz = T0.astimezone(timezone(timedelta(hours=-7)))
    store.ai_calls.log_call(call(id="c", created_at=tz))
    got = await store.ai_calls.get_call("c")
    assert got is not None and got.created_at == T0 and got.created_at.utcoffset() == timedelta(0)


async def test_background_writer_flushes_after_the_interval(store: Store) -> None:
    store.ai_calls.flush_interval = 0.05
    store.ai_calls.log_call(call(id="a"))
    store.ai_calls.log_call(call(id="b"))

    async def written() -> bool:
        return await count(store) == 2

    await eventually(written)


async def test_background_writer_flushes_a_full_batch_at_once(store: Store) -> None:
    store.ai_calls.flush_interval = 3600
    store.ai_calls.batch_size = 10
    for i in range(25):
        store.ai_calls.log_call(call(id=f"c{i:02}"))

    async def two_batches() -> bool:
        return await count(store) >= 20

    await eventually(two_batches)
    await store.ai_calls.flush()
    assert await count(store) == 25


async def test_flush_waits_for_the_batch_in_flight(store: Store) -> None:
    """A flush called while the background writer has taken every buffered call returns only once they are durable."""
    n = 3000
    store.ai_calls.batch_size = n
    prompt = "p" * 2000
    for i in range(n):
        store.ai_calls.log_call(call(id=f"c{i:05}", prompt=prompt))
    for _ in range(100):  # the writer takes the full batch on its first step (peeking at the buffer: no public view)
        if not store.ai_calls._buffer:
            break
        await asyncio.sleep(0)
    assert not store.ai_calls._buffer, "the background writer did not take the batch"
    await store.ai_calls.flush()
    assert await count(store) == n


async def test_reads_see_buffered_calls(store: Store) -> None:
    store.ai_calls.flush_interval = 3600
    cid = store.ai_calls.log_call(call())
    assert await store.ai_calls.get_call(cid) is not None
    store.ai_calls.log_call(call())
    assert (await store.ai_calls.get_stats("wf/")).total_calls == 2
    store.ai_calls.log_call(call())
    assert len((await store.ai_calls.list_calls("wf/run-1/stage-a")).items) == 3


async def test_concurrent_loggers_lose_nothing(store: Store) -> None:
    store.ai_calls.batch_size = 64
    store.ai_calls.flush_interval = 0.01

    async def worker(w: int) -> None:
        for i in range(50):
            store.ai_calls.log_call(call(f"w/{w}", id=f"w{w}-{i}"))
            if i % 7 == 0:
                await asyncio.sleep(0)
        await store.ai_calls.flush()

    await asyncio.gather(*(worker(w) for w in range(8)))
    assert await count(store) == 400
    for w in range(8):
        assert await count(store, "topic = :t", {"t": f"w/{w}"}) == 50


async def test_a_logged_id_already_stored_is_skipped(store: Store) -> None:
    store.ai_calls.log_call(call(id="dup", response="first"))
    await store.ai_calls.flush()
    store.ai_calls.log_call(call(id="dup", response="second"))
    store.ai_calls.log_call(call(id="dup", response="third"))
    store.ai_calls.log_call(call(id="other"))
    await store.ai_calls.flush()
    got = await store.ai_calls.get_call("dup")
    assert got is not None and got.response == "first"
    assert await count(store) == 2


async def test_long_texts_round_trip(store: Store) -> None:
    prompt = "lorem ipsum ✓ " * 50_000
    cid = store.ai_calls.log_call(call(prompt=prompt, response=""))
    got = await store.ai_calls.get_call(cid)
    assert got is not None and got.prompt == prompt and got.response == ""


async def test_get_call_missing_and_bad_id(store: Store) -> None:
    assert await store.ai_calls.get_call("nope") is None
    for bad in ("", " ", "x" * 256, "a\x00b", 5):
        with pytest.raises(InvalidInput):
            await store.ai_calls.get_call(bad)  # type: ignore[arg-type]


# -- durability: flush on close --------------------------------------------------------------------------------


async def test_close_writes_everything_buffered(backend: str, db_url: str) -> None:
    s = await open_store(backend, db_url)
    s.ai_calls.flush_interval = 3600
    for i in range(1234):
        s.ai_calls.log_call(call(f"t/{i % 3}", id=f"c{i:05}", cost=Decimal("0.001")))
    with rawstore.tenant("other"):
        s.ai_calls.log_call(call(id="in-other-tenant"))
    await s.close()
    again = await open_store(backend, db_url)
    try:
        assert await count(again) == 1235
        stats = await again.ai_calls.get_stats("t/")
        assert stats.total_calls == 1234 and stats.total_cost == 1.234
        with rawstore.tenant("other"):
            assert (await again.ai_calls.get_stats("")).total_calls == 1
    finally:
        await again.close()


async def test_async_with_store_flushes_on_exit(backend: str, db_url: str) -> None:
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer") as s:
        s.ai_calls.flush_interval = 3600
        s.ai_calls.log_call(call(id="x"))
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer") as s2:
        assert await count(s2) == 1


async def test_log_call_after_close_raises(backend: str, db_url: str) -> None:
    s = await open_store(backend, db_url)
    s.ai_calls.log_call(call(id="before"))
    await s.close()
    with pytest.raises(ConnectionLost):
        s.ai_calls.log_call(call(id="after"))
    await s.ai_calls.close()  # idempotent
    again = await open_store(backend, db_url)
    try:
        assert await count(again) == 1
    finally:
        await again.close()


async def test_close_without_calls_starts_nothing(backend: str, db_url: str) -> None:
    s = await open_store(backend, db_url)
    await s.ai_calls.flush()
    await s.close()


# -- input checks ----------------------------------------------------------------------------------------------

BAD_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("topic", {"topic": ""}),
    ("topic", {"topic": "   "}),
    ("topic", {"topic": "t" * 256}),
    ("topic", {"topic": "a\x00b"}),
    ("topic", {"topic": 7}),
    ("call_type", {"call_type": ""}),
    ("call_type", {"call_type": "c" * 65}),
    ("model_key", {"model_key": None}),
    ("model_key", {"model_key": "k" * 256}),
    ("model_id", {"model_id": " "}),
    ("prompt", {"prompt": None}),
    ("prompt", {"prompt": "nul \x00 inside"}),
    ("response", {"response": b"bytes"}),
    ("response", {"response": "lone \ud800 surrogate"}),
    ("input_tokens", {"input_tokens": -1}),
    ("input_tokens", {"input_tokens": True}),
    ("input_tokens", {"input_tokens": 1.0}),
    ("output_tokens", {"output_tokens": 2**31}),
    ("output_tokens", {"output_tokens": "3"}),
    ("cost", {"cost": float("nan")}),
    ("cost", {"cost": float("inf")}),
    ("cost", {"cost": -0.01}),
    ("cost", {"cost": Decimal("NaN")}),
    ("cost", {"cost": Decimal("-1")}),
    ("cost", {"cost": 10**9 + 1}),
    ("cost", {"cost": "0.1"}),
    ("cost", {"cost": True}),
    ("cost", {"cost": None}),
    ("metadata", {"metadata": "x"}),
    ("metadata", {"metadata": [1]}),
    ("metadata", {"metadata": {1: "int key"}}),
    ("metadata", {"metadata": {"a": "nul \x00"}}),
    ("metadata", {"metadata": {"a": object()}}),
    ("id", {"id": ""}),
    ("id", {"id": "i" * 256}),
    ("id", {"id": 12}),
    ("created_at", {"created_at": datetime(2025, 1, 1)}),
    ("created_at", {"created_at": "2025-01-01T00:00:00Z"}),
    ("created_at", {"created_at": datetime(999, 1, 1, tzinfo=UTC)}),
]


@pytest.mark.parametrize(("field", "change"), BAD_CALLS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_CALLS)])
async def test_log_call_rejects_bad_input_at_once(store: Store, field: str, change: dict[str, Any]) -> None:
    bad = call(**{k: v for k, v in change.items() if k != "topic"})
    if "topic" in change:
        bad = call(change["topic"])
    with pytest.raises(InvalidInput, match=re.escape(f"call.{field}")):
        store.ai_calls.log_call(bad)
    await store.ai_calls.flush()
    assert await count(store) == 0


async def test_log_call_rejects_what_is_not_a_call(store: Store) -> None:
    for bad in (None, {"topic": "t"}, ("t", "text")):
        with pytest.raises(InvalidInput, match=r"rawstore\.AICall"):
            store.ai_calls.log_call(bad)  # type: ignore[arg-type]
    await store.ai_calls.flush()
    assert await count(store) == 0


async def test_limits_are_inclusive(store: Store) -> None:
    edge = call(
        "t" * 255,
        call_type="c" * 64,
        model_key="k" * 255,
        model_id="m" * 255,
        input_tokens=2**31 - 1,
        output_tokens=0,
        cost=10**9,
        id="i" * 255,
    )
    store.ai_calls.log_call(edge)
    got = await store.ai_calls.get_call("i" * 255)
    assert got is not None and got.cost == 1e9 and got.input_tokens == 2**31 - 1 and got.topic == "t" * 255


async def test_tenant_required_is_raised_before_buffering(backend: str, db_url: str) -> None:
    s = await open_store(backend, db_url, tenancy="required")
    try:
        with pytest.raises(TenantRequired):
            s.ai_calls.log_call(call())
        with pytest.raises(TenantRequired):
            await s.ai_calls.get_stats("")
        with rawstore.tenant("acme"):
            s.ai_calls.log_call(call(id="ok"))
            await s.ai_calls.flush()
            assert await s.ai_calls.get_call("ok") is not None
        assert await count(s) == 1
    finally:
        await s.close()


# -- tenancy ---------------------------------------------------------------------------------------------------


async def test_calls_carry_the_tenant_current_at_log_time(store: Store) -> None:
    store.ai_calls.flush_interval = 3600
    with rawstore.tenant("a"):
        store.ai_calls.log_call(call(id="shared-id", cost=1))
    with rawstore.tenant("b"):
        store.ai_calls.log_call(call(id="shared-id", cost=2))
        store.ai_calls.log_call(call(id="only-b", cost=2))
    store.ai_calls.log_call(call(id="default", cost=4))
    # One flush, outside any tenant block, writes a batch that mixes three tenants.
    await store.ai_calls.flush()
    with rawstore.tenant("a"):
        stats = await store.ai_calls.get_stats("")
        assert (stats.total_calls, stats.total_cost) == (1, 1.0)
        got = await store.ai_calls.get_call("shared-id")
        assert got is not None and got.cost == 1.0
        assert await store.ai_calls.get_call("only-b") is None
        assert await store.ai_calls.get_call("default") is None
    with rawstore.tenant("b"):
        stats = await store.ai_calls.get_stats("")
        assert (stats.total_calls, stats.total_cost) == (2, 4.0)
        got = await store.ai_calls.get_call("shared-id")
        assert got is not None and got.cost == 2.0
    assert (await store.ai_calls.get_stats("")).total_calls == 1
    assert await count(store, "tenant_id = :t", {"t": rawstore.DEFAULT_TENANT}) == 1


# -- list_calls ------------------------------------------------------------------------------------------------


async def test_list_calls_pages_one_topic_in_time_order(store: Store) -> None:
    for i in range(7):
        # Two calls per timestamp: the id breaks the tie.
        store.ai_calls.log_call(call("topic/x", id=f"c{i}", created_at=T0 + timedelta(microseconds=i // 2)))
    store.ai_calls.log_call(call("topic/x/child", id="child"))
    store.ai_calls.log_call(call("topic/", id="parent"))
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.ai_calls.list_calls("topic/x", limit=3, cursor=cursor)
        seen.extend(c.id or "" for c in page.items)
        if not page.has_more:
            assert page.next_cursor is None
            break
        cursor = page.next_cursor
    assert seen == [f"c{i}" for i in range(7)]
    desc = await store.ai_calls.list_calls("topic/x", direction="desc", limit=4)
    assert [c.id for c in desc.items] == ["c6", "c5", "c4", "c3"] and desc.has_more
    rest = await store.ai_calls.list_calls("topic/x", direction="desc", limit=4, cursor=desc.next_cursor)
    assert [c.id for c in rest.items] == ["c2", "c1", "c0"] and not rest.has_more
    assert (await store.ai_calls.list_calls("topic/x", limit=0)).items == []
    assert (await store.ai_calls.list_calls("nothing")).items == []


async def test_list_calls_rejects_bad_input(store: Store) -> None:
    page = await store.ai_calls.list_calls("t", limit=1)
    for kwargs in ({"direction": "up"}, {"limit": -1}, {"limit": True}, {"cursor": "garbage!"}):
        with pytest.raises(InvalidInput):
            await store.ai_calls.list_calls("t", **kwargs)
    for topic in ("", "t" * 256, None):
        with pytest.raises(InvalidInput):
            await store.ai_calls.list_calls(topic)  # type: ignore[arg-type]
    store.ai_calls.log_call(call("t", id="a"))
    store.ai_calls.log_call(call("t", id="b"))
    asc = await store.ai_calls.list_calls("t", limit=1)
    assert asc.next_cursor is not None and page.items == []
    with pytest.raises(InvalidInput, match="another list"):
        await store.ai_calls.list_calls("t", direction="desc", cursor=asc.next_cursor)

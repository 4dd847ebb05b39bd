"""add_many's column-at-a-time check (rawstore/memories/batch.py) against the memory-by-memory one (`_check`): on any
batch it returns the same rows when every memory is valid, and None (so the caller's check names the error) when one
is not; and add_many itself, past the column-wise threshold, refuses a batch with one bad memory anywhere, writing
nothing. Run on every backend: the times' stored form differs per database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rawstore
from rawstore import InvalidInput, Store
from rawstore.memories import batch, vectors
from rawstore.memories.records import Memory, User
from rawstore.memories.store import MAX_CONTENT

NOW = datetime(2026, 12, 6, 12, 0, 0, 123_456, tzinfo=UTC)

good_ids = st.sampled_from(["m1", "user-2", "a" * 255, "x y", "Ab_9.z"])
bad_ids = st.sampled_from(["", " ", "a" * 256, "é", "nul\x00", 5, None, b"b"])
contents = st.sampled_from(["hello world", "x", "a" * 500])
bad_contents = st.sampled_from(["", "   ", "café", "nul\x00x", 7, None, "a" * (MAX_CONTENT + 1)])
importances = st.sampled_from([0.0, 0.5, -3.25, 1e300])
bad_importances = st.sampled_from([math.nan, math.inf, -math.inf, 1, True, "0.5", None])
metas = st.sampled_from([None, {}, {"source": "bench", "n": 3}, {"deep": {"a": [1, 2, {"b": None}]}}])
bad_metas = st.sampled_from([{1: "x"}, ["a"], "text", {"s": "nul\x00"}, {"f": object()}])
times = st.sampled_from([NOW, NOW + timedelta(microseconds=7), NOW - timedelta(days=400)])
bad_times = st.sampled_from(
    [
        NOW.replace(tzinfo=None),
        NOW.astimezone(timezone(timedelta(hours=2))),
        datetime(1, 1, 1, tzinfo=UTC),
        "2026-01-01",
        None,
    ]
)

FIELDS = ("id", "user_id", "session_id", "content", "importance", "metadata", "created_at", "updated_at", "deleted_at")
BAD = {
    "id": bad_ids,
    "user_id": bad_ids,
    "session_id": bad_ids.filter(lambda v: v is not None) | st.sampled_from(["s1"]),
    "content": bad_contents,
    "importance": bad_importances,
    "metadata": bad_metas,
    "created_at": bad_times,
    "updated_at": bad_times,
    "deleted_at": times | bad_times.filter(lambda v: v is not None),
}


@st.composite
def memory(draw: Any) -> Memory:
    return Memory(
        draw(good_ids),
        draw(good_ids),
        draw(contents),
        importance=draw(importances),
        metadata=draw(metas),
        created_at=(t := draw(times)),
        updated_at=t if draw(st.booleans()) else draw(times),
    )


@st.composite
def batches(draw: Any) -> list[Memory]:
    """A valid batch; half the time one field of one of its memories is then set to an odd value."""
    memories: list[Memory] = draw(st.lists(memory(), min_size=1, max_size=24))
    if draw(st.booleans()):
        name = draw(st.sampled_from(FIELDS))
        setattr(memories[draw(st.integers(0, len(memories) - 1))], name, draw(BAD[name]))
    return memories


def _per_memory(store: Store, tenant: str, memories: list[Memory], packed: Any) -> list[tuple[Any, ...]] | None:
    check = store.memories._check
    try:
        if packed is None:
            return [check(tenant, m, i) for i, m in enumerate(memories)]
        blobs, width = packed
        return [check(tenant, m, i, (blobs[i], width)) for i, m in enumerate(memories)]
    except InvalidInput:
        return None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(memories=batches(), vectors_too=st.booleans())
async def test_the_column_check_agrees_with_the_per_memory_one(
    store: Store, memories: list[Memory], vectors_too: bool
) -> None:
    if vectors_too:
        for i, m in enumerate(memories):
            m.embedding = np.arange(1, 9, dtype=np.float32) * (i + 1)
    packed = vectors.pack_rows([m.embedding for m in memories])
    assert (packed is None) == (not vectors_too)
    expected = _per_memory(store, "t", memories, packed)
    got = batch.rows("t", memories, packed, store.memories._ctx.ts_out, MAX_CONTENT)
    if expected is None:
        assert got is None
    elif got is not None:  # None is allowed for a valid batch (the per-memory check then takes it)
        assert got == expected


@pytest.mark.parametrize("field", FIELDS)
async def test_one_bad_memory_anywhere_in_a_large_batch_writes_nothing(store: Store, field: str) -> None:
    with rawstore.tenant("colcheck"):
        await store.memories.save_user(User("u1", "u1@example.com"))
        base = [
            Memory(f"c-{field}-{i:03d}", "u1", f"memory {i}", embedding=np.ones(8, dtype=np.float32) * (i + 1))
            for i in range(40)
        ]
        bad = {
            "id": "",
            "user_id": " ",
            "session_id": " ",
            "content": "nul\x00",
            "importance": math.nan,
            "metadata": {1: 2},
            "created_at": NOW.replace(tzinfo=None),
            "updated_at": "2026",
            "deleted_at": "2026",
        }[field]
        setattr(base[37], field, bad)
        with pytest.raises(InvalidInput, match=r"memories\[37\]"):
            await store.memories.add_many(base)
        assert (await store.memories.list("u1", include_deleted=True)).items == []


async def test_the_usual_batch_takes_the_column_path(store: Store) -> None:
    shared = {"source": "bench"}
    memories = [
        Memory(
            f"m{i}",
            f"user{i % 3}",
            f"memory {i}",
            importance=0.5,
            embedding=np.full(8, i + 1, dtype=np.float32),
            metadata=shared if i % 2 else {"n": i},
        )
        for i in range(40)
    ]
    packed = vectors.pack_rows([m.embedding for m in memories])
    got = batch.rows("t", memories, packed, store.memories._ctx.ts_out, MAX_CONTENT)
    assert got is not None and got == _per_memory(store, "t", memories, packed)
    plain = [Memory(f"p{i}", "u", "text", session_id="s1" if i % 2 else None) for i in range(20)]
    assert batch.rows("t", plain, None, store.memories._ctx.ts_out, MAX_CONTENT) is None  # mixed sessions
    for m in plain:
        m.session_id = "s1"
    assert batch.rows("t", plain, None, store.memories._ctx.ts_out, MAX_CONTENT) == _per_memory(store, "t", plain, None)

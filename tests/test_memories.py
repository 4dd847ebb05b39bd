"""Conformance: memories of the semantic-memory domain (store.memories): add, add_many, get, update, soft delete,
restore, purge and list, on every backend."""

from __future__ import annotations

import array
import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import rawstore
from rawstore import Conflict, InvalidInput, NotFound, Store
from rawstore.memories.records import Memory, User
from rawstore.memories.vectors import MAX_DIMS

T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


async def users(store: Store, *ids: str) -> None:
    for uid in ids:
        await store.memories.save_user(User(uid, f"{uid}@example.com"))


async def count(store: Store, user_id: str) -> int:
    return len((await store.memories.list(user_id, include_deleted=True, limit=10_000)).items)


async def test_add_and_get_round_trip(store: Store) -> None:
    await users(store, "u1")
    s = await store.memories.start_session("u1")
    m = Memory(
        "m1",
        "u1",
        "Likes green tea — 日本語 🎉",
        session_id=s.id,
        importance=0.75,
        embedding=[0.1, -2.5, 3.0],
        metadata={"topic": "food", "nested": {"a": [1, None]}},
        created_at=T0,
        updated_at=T0 + timedelta(microseconds=1),
    )
    stored = await store.memories.add(m)
    assert stored.embedding == tuple(array.array("f", [0.1, -2.5, 3.0]))  # float32, as a tuple
    assert isinstance(stored.embedding, tuple)
    got = await store.memories.get("m1")
    assert got == stored
    assert got is not None and got.created_at == T0 and got.updated_at.microsecond == 123457
    assert await store.memories.get("missing") is None


@pytest.mark.parametrize(
    "make",
    [list, tuple, lambda v: array.array("f", v), lambda v: array.array("d", v), lambda v: (x for x in v)],
    ids=["list", "tuple", "array-f", "array-d", "iterator"],
)
async def test_embeddings_of_any_sequence(store: Store, make: Any) -> None:
    await users(store, "u1")
    stored = await store.memories.add(Memory("m1", "u1", "x", embedding=make([1, 2.5, -3])))
    assert stored.embedding == (1.0, 2.5, -3.0)
    assert (await store.memories.get("m1")).embedding == (1.0, 2.5, -3.0)  # type: ignore[union-attr]


async def test_numpy_embeddings(store: Store) -> None:
    np = pytest.importorskip("numpy")
    await users(store, "u1")
    for dtype in ("float64", "float32", "int64"):
        stored = await store.memories.add(Memory(f"m-{dtype}", "u1", "x", embedding=np.array([1, 2, 3], dtype=dtype)))
        assert stored.embedding == (1.0, 2.0, 3.0)
    with pytest.raises(InvalidInput, match="1-dimensional"):
        await store.memories.add(Memory("m2", "u1", "x", embedding=np.ones((2, 3))))
    with pytest.raises(InvalidInput, match="NaN"):
        await store.memories.add(Memory("m2", "u1", "x", embedding=np.array([1.0, np.nan, 0.0])))
    with pytest.raises(InvalidInput, match="real numbers"):
        await store.memories.add(Memory("m2", "u1", "x", embedding=np.array(["a", "b", "c"])))
    assert await store.memories.get("m2") is None


async def test_any_dimension_up_to_the_limit(store: Store) -> None:
    """Dimensions 1..2000 need no migration: each user has its own, and different users may differ."""
    await users(store, "u1", "u2", "u3")
    for uid, dims in (("u1", 1), ("u2", 384), ("u3", MAX_DIMS)):
        v = [float(i % 7 + 1) for i in range(dims)]
        stored = await store.memories.add(Memory(f"m-{uid}", uid, "x", embedding=v))
        assert stored.embedding is not None and len(stored.embedding) == dims
        hits = await store.memories.search(uid, vector=v, mode="vector")
        assert [h.memory.id for h in hits] == [f"m-{uid}"]
        assert hits[0].vector_distance is not None and abs(hits[0].vector_distance) < 1e-5
    with pytest.raises(InvalidInput, match="1 to 2000"):
        await store.memories.add(Memory("big", "u1", "x", embedding=[1.0] * (MAX_DIMS + 1)))
    with pytest.raises(InvalidInput, match="1 to 2000"):
        await store.memories.add(Memory("empty", "u1", "x", embedding=[]))


BAD_EMBEDDINGS: list[tuple[object, str]] = [
    ([1.0, math.nan], "NaN"),
    ([math.inf, 1.0], "NaN or infinite"),
    ([1.0, -math.inf], "NaN or infinite"),
    ([1e39, 1.0], "float32"),
    ([0.0, 0.0], "all zeros"),
    (["a", "b"], "sequence of floats"),
    ("1,2", "sequence of floats"),
    ({"a": 1.0}, "sequence of floats"),
    ([[1.0], [2.0]], "sequence of floats"),
    ([10**400, 1], "sequence of floats"),
    (3.0, "sequence of floats"),
]


async def test_bad_embeddings_write_nothing(store: Store) -> None:
    await users(store, "u1")
    for embedding, match in BAD_EMBEDDINGS:
        with pytest.raises(InvalidInput, match=match):
            await store.memories.add(Memory("m1", "u1", "x", embedding=embedding))  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match=match):
            await store.memories.add_many(
                [Memory("ok", "u1", "fine", embedding=[1.0, 2.0]), Memory("m1", "u1", "x", embedding=embedding)]  # type: ignore[arg-type]
            )
        with pytest.raises(InvalidInput, match=match):
            await store.memories.search("u1", vector=embedding)  # type: ignore[arg-type]
    assert await count(store, "u1") == 0


BAD_MEMORIES: list[tuple[object, str]] = [
    (Memory("", "u1", "x"), r"\.id "),
    (Memory("m", "", "x"), r"\.user_id "),
    (Memory("m", "u1", ""), r"\.content "),
    (Memory("m", "u1", "   "), r"\.content "),
    (Memory("m", "u1", 3), r"\.content "),  # type: ignore[arg-type]
    (Memory("m", "u1", "x" * 100_001), r"\.content "),
    (Memory("m", "u1", "x", importance=math.nan), "importance"),
    (Memory("m", "u1", "x", importance="high"), "importance"),  # type: ignore[arg-type]
    (Memory("m", "u1", "x", importance=True), "importance"),
    (Memory("m", "u1", "x", metadata="m"), "metadata"),  # type: ignore[arg-type]
    (Memory("m", "u1", "x", metadata={1: 2}), "metadata"),  # type: ignore[dict-item]
    (Memory("m", "u1", "x", created_at=datetime(2025, 1, 1)), "created_at"),
    (Memory("m", "u1", "x", session_id=""), "session_id"),
    (Memory("m", "u1", "x\x00"), "NUL"),
    ("not a memory", "rawstore.Memory"),
]


async def test_bad_memories_write_nothing(store: Store) -> None:
    await users(store, "u1")
    for memory, match in BAD_MEMORIES:
        with pytest.raises(InvalidInput, match=match):
            await store.memories.add(memory)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match=match):
            await store.memories.add_many([Memory("ok", "u1", "fine"), memory])  # type: ignore[list-item]
    assert await count(store, "u1") == 0


async def test_add_many_is_atomic(store: Store) -> None:
    await users(store, "u1", "u2")
    await store.memories.add(Memory("taken", "u1", "already here"))
    batch = [Memory(f"n{i}", "u1", f"new {i}", embedding=[1.0, float(i)]) for i in range(5)]
    with pytest.raises(Conflict):
        await store.memories.add_many([*batch, Memory("taken", "u2", "clash")])
    with pytest.raises(NotFound, match="nobody"):
        await store.memories.add_many([*batch, Memory("x", "nobody", "no such user")])
    with pytest.raises(InvalidInput, match="twice"):
        await store.memories.add_many([*batch, Memory("n0", "u1", "again")])
    with pytest.raises(InvalidInput):
        await store.memories.add_many("not a list")  # type: ignore[arg-type]
    assert await count(store, "u1") == 1 and await count(store, "u2") == 0
    stored = await store.memories.add_many(batch)
    assert [m.id for m in stored] == [m.id for m in batch]
    assert await count(store, "u1") == 6
    assert await store.memories.add_many([]) == []


async def test_a_session_must_be_the_users_own(store: Store) -> None:
    await users(store, "u1", "u2")
    s2 = await store.memories.start_session("u2")
    with pytest.raises(NotFound):
        await store.memories.add(Memory("m1", "u1", "x", session_id=s2.id))
    with pytest.raises(NotFound):
        await store.memories.add(Memory("m1", "u1", "x", session_id="no-such-session"))
    assert await count(store, "u1") == 0
    assert (await store.memories.add(Memory("m1", "u2", "x", session_id=s2.id))).session_id == s2.id


async def test_one_dimension_per_user(store: Store) -> None:
    await users(store, "u1", "u2")
    await store.memories.add(Memory("a", "u1", "x", embedding=[1.0, 0.0, 0.0]))
    with pytest.raises(InvalidInput, match="3 dimensions"):
        await store.memories.add(Memory("b", "u1", "y", embedding=[1.0, 0.0]))
    with pytest.raises(InvalidInput, match="one batch"):
        await store.memories.add_many(
            [Memory("c", "u2", "x", embedding=[1.0, 0.0]), Memory("d", "u2", "y", embedding=[1.0, 0.0, 1.0])]
        )
    with pytest.raises(InvalidInput, match="3 dimensions"):
        await store.memories.update("a", embedding=[1.0, 2.0])
    with pytest.raises(InvalidInput, match="dimensions"):
        await store.memories.search("u1", vector=[1.0, 0.0], mode="vector")
    assert await count(store, "u1") == 1 and await count(store, "u2") == 0
    # Another user, or the same user id in another tenant, has its own dimension.
    await store.memories.add(Memory("c", "u2", "x", embedding=[1.0, 0.0]))
    with rawstore.tenant("other"):
        await users(store, "u1")
        await store.memories.add(Memory("a", "u1", "x", embedding=[1.0] * 5))
    # Memories without embeddings are fine next to any dimension.
    await store.memories.add(Memory("plain", "u1", "no vector"))
    # Once the user has no embedding left (purged), a new dimension may start.
    assert await store.memories.delete("a")
    assert await store.memories.purge(deleted_before=datetime.now(UTC) + timedelta(seconds=1)) == 1
    await store.memories.add(Memory("b", "u1", "y", embedding=[1.0, 0.0]))
    assert (await store.memories.get("b")).embedding == (1.0, 0.0)  # type: ignore[union-attr]


async def test_update_fields_and_merge_metadata(store: Store) -> None:
    await users(store, "u1")
    await store.memories.add(
        Memory("m1", "u1", "old text", importance=0.2, embedding=[1.0, 0.0], metadata={"a": 1, "b": {"x": 1}})
    )
    up = await store.memories.update("m1", metadata={"b": {"y": 2}, "c": 3})
    assert up.metadata == {"a": 1, "b": {"y": 2}, "c": 3}
    assert (up.content, up.importance, up.embedding) == ("old text", 0.2, (1.0, 0.0))
    up2 = await store.memories.update("m1", content="new text", importance=1, embedding=(0.0, 2.0))
    assert (up2.content, up2.importance, up2.embedding, up2.metadata) == ("new text", 1.0, (0.0, 2.0), up.metadata)
    assert up2.updated_at >= up.updated_at and up2.created_at == up.created_at
    assert await store.memories.get("m1") == up2
    hits = await store.memories.search("u1", vector=[0.0, 1.0], mode="vector")
    assert hits[0].memory.id == "m1" and abs(hits[0].vector_distance or 0) < 1e-6
    # An embedding for a memory stored without one.
    await store.memories.add(Memory("m2", "u1", "plain"))
    assert (await store.memories.update("m2", embedding=[1.0, 1.0])).embedding == (1.0, 1.0)
    with pytest.raises(NotFound):
        await store.memories.update("missing", content="x")
    with pytest.raises(InvalidInput):
        await store.memories.update("m1", content="")
    with pytest.raises(InvalidInput):
        await store.memories.update("m1", importance=math.inf)
    with pytest.raises(InvalidInput):
        await store.memories.update("m1", metadata=["x"])  # type: ignore[arg-type]
    assert await store.memories.get("m1") == up2


async def test_concurrent_metadata_updates_all_survive(store: Store) -> None:
    """update merges under the row lock: concurrent updates of distinct keys lose none."""
    await users(store, "u1")
    await store.memories.add(Memory("m1", "u1", "x", metadata={"start": 0}))
    await asyncio.gather(*(store.memories.update("m1", metadata={f"k{i}": i}) for i in range(8)))
    got = await store.memories.get("m1")
    assert got is not None and got.metadata == {"start": 0, **{f"k{i}": i for i in range(8)}}


async def test_concurrent_batches_of_one_user(store: Store) -> None:
    await users(store, "u1", "u2")
    batches = [
        [Memory(f"b{b}-{i}", "u1" if (b + i) % 2 else "u2", f"text {b} {i}", embedding=[1.0, b, i]) for i in range(20)]
        for b in range(6)
    ]
    await asyncio.gather(*(store.memories.add_many(b) for b in batches))
    assert await count(store, "u1") + await count(store, "u2") == 120


async def test_soft_delete_restore_and_purge(store: Store) -> None:
    await users(store, "u1")
    for i in range(3):
        await store.memories.add(Memory(f"m{i}", "u1", f"coffee number {i}", embedding=[1.0, float(i)]))
    assert await store.memories.delete("m1") is True
    assert await store.memories.delete("m1") is False
    assert await store.memories.delete("missing") is False
    gone = await store.memories.get("m1")
    assert gone is not None and gone.deleted_at is not None
    assert [m.id for m in (await store.memories.list("u1")).items] == ["m2", "m0"]
    assert {m.id for m in (await store.memories.list("u1", include_deleted=True)).items} == {"m0", "m1", "m2"}
    for mode in ("vector", "text", "hybrid"):
        hits = await store.memories.search(
            "u1", text="coffee", vector=None if mode == "text" else [1.0, 1.0], mode=mode
        )  # type: ignore[arg-type]
        assert "m1" not in {h.memory.id for h in hits}, mode
        hits = await store.memories.search(
            "u1",
            text="coffee",
            vector=None if mode == "text" else [1.0, 1.0],
            mode=mode,  # type: ignore[arg-type]
            include_deleted=True,
        )
        assert "m1" in {h.memory.id for h in hits}, mode
    assert await store.memories.restore("m1") is True
    assert await store.memories.restore("m1") is False
    assert await store.memories.restore("missing") is False
    assert (await store.memories.get("m1")).deleted_at is None  # type: ignore[union-attr]
    # purge removes only what was soft-deleted before the cutoff, in this tenant.
    await store.memories.delete("m0")
    with rawstore.tenant("other"):
        await users(store, "u1")
        await store.memories.add(Memory("o1", "u1", "x"))
        await store.memories.delete("o1")
    assert await store.memories.purge(deleted_before=T0) == 0
    assert await store.memories.purge(deleted_before=datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert await store.memories.get("m0") is None and await store.memories.get("m1") is not None
    with rawstore.tenant("other"):
        assert await store.memories.get("o1") is not None
    with pytest.raises(InvalidInput):
        await store.memories.purge(deleted_before="yesterday")  # type: ignore[arg-type]


async def test_list_pages_with_equal_timestamps(store: Store) -> None:
    await users(store, "u1", "u2")
    s = await store.memories.start_session("u1")
    batch = [
        Memory(
            f"m{i:02d}",
            "u1",
            f"memory {i}",
            session_id=s.id if i % 2 else None,
            importance=float(i % 4),
            created_at=T0 + timedelta(seconds=i // 3),  # groups of three equal timestamps
        )
        for i in range(20)
    ]
    await store.memories.add_many(batch)
    await store.memories.add(Memory("other", "u2", "not u1's"))
    expected = [m.id for m in sorted(batch, key=lambda m: (m.created_at, m.id), reverse=True)]
    for size in (1, 3, 7):
        seen: list[str] = []
        cursor = None
        while True:
            page = await store.memories.list("u1", limit=size, cursor=cursor)
            seen += [m.id for m in page.items]
            if not page.has_more:
                break
            cursor = page.next_cursor
        assert seen == expected, size
    by_importance = [m.id for m in sorted(batch, key=lambda m: (m.importance, m.id), reverse=True)]
    seen = []
    cursor = None
    while True:
        page = await store.memories.list("u1", order_by="importance", limit=4, cursor=cursor)
        seen += [m.id for m in page.items]
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert seen == by_importance
    in_session = await store.memories.list("u1", session_id=s.id, min_importance=2.0)
    assert [m.id for m in in_session.items] == [
        m.id
        for m in sorted(batch, key=lambda m: (m.created_at, m.id), reverse=True)
        if m.session_id and m.importance >= 2
    ]
    first = await store.memories.list("u1", limit=2)
    with pytest.raises(InvalidInput, match="another list"):
        await store.memories.list("u1", order_by="importance", cursor=first.next_cursor)
    with pytest.raises(InvalidInput):
        await store.memories.list("u1", order_by="content")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        await store.memories.list("u1", cursor="%%%")
    with pytest.raises(InvalidInput):
        await store.memories.list("u1", min_importance=math.nan)
    assert (await store.memories.list("nobody")).items == []
    with rawstore.tenant("other"):
        assert (await store.memories.list("u1")).items == []


async def test_memories_are_tenant_scoped(store: Store) -> None:
    await users(store, "u1")
    await store.memories.add(Memory("m1", "u1", "default tenant"))
    with rawstore.tenant("acme"):
        assert await store.memories.get("m1") is None
        with pytest.raises(NotFound):
            await store.memories.update("m1", content="x")
        assert await store.memories.delete("m1") is False
        with pytest.raises(NotFound):
            await store.memories.add(Memory("m1", "u1", "no such user in acme"))
        await users(store, "u1")
        await store.memories.add(Memory("m1", "u1", "acme's own m1"))
        assert (await store.memories.get("m1")).content == "acme's own m1"  # type: ignore[union-attr]
    assert (await store.memories.get("m1")).content == "default tenant"  # type: ignore[union-attr]


async def test_inside_a_transaction(store: Store) -> None:
    await users(store, "u1")
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.memories.add(Memory("m1", "u1", "rolled back", embedding=[1.0, 2.0]))
            assert await tx.memories.get("m1") is not None
            raise RuntimeError("roll back")
    assert await store.memories.get("m1") is None
    async with store.transaction() as tx:
        await tx.memories.add_many([Memory("m1", "u1", "kept", embedding=[1.0, 2.0])])
        await tx.memories.update("m1", metadata={"k": 1})
        hits = await tx.memories.search("u1", vector=[1.0, 2.0], mode="vector")
        assert [h.memory.id for h in hits] == ["m1"]
        # A failed call leaves the transaction usable.
        with pytest.raises(Conflict):
            await tx.memories.add(Memory("m1", "u1", "dup"))
        assert await tx.memories.delete("m1") is True
    got = await store.memories.get("m1")
    assert got is not None and got.metadata == {"k": 1} and got.deleted_at is not None

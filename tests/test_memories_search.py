"""Conformance: vector, full-text and hybrid search of store.memories, the embedder hook, and recall on clustered
data, on every backend (PostgreSQL with pgvector included: RAWSTORE_TEST_DBS=pgvector)."""

from __future__ import annotations

import math
import random
import struct
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import rawstore
from rawstore import InvalidInput, Store
from rawstore.memories import vectors
from rawstore.memories.records import Memory, MemoryHit, User
from rawstore.memories.store import RRF_K

HOSTILE = [
    "",
    "   ",
    "'",
    '"',
    "''",
    '"unbalanced',
    "foo-bar",
    "((coffee",
    "coffee)",
    "AND OR NOT",
    "NEAR(coffee tea)",
    "coffee*",
    "-coffee",
    "+coffee -tea",
    "coffee:*",
    "col:coffee",
    "\\",
    "%_",
    "a & b | !c",
    "<-> <1>",
    "@@ ~ ^",
    "'; DROP TABLE rs_memories; --",
    "🎉 日本語",
    "coffee \x01 tea",
    "x" * 5000,
    " ".join(["coffee"] * 500),
]


def embed_text(text: str, dims: int = 16) -> list[float]:
    """A deterministic bag-of-words embedding: each word adds to one component."""
    v = [0.0] * dims
    for w in text.lower().split():
        v[zlib.crc32(w.encode()) % dims] += 1.0
    if not any(v):
        v[0] = 1.0
    return v


async def users(store: Store, *ids: str) -> None:
    for uid in ids:
        await store.memories.save_user(User(uid, f"{uid}@example.com"))


def ids(hits: Sequence[MemoryHit]) -> list[str]:
    return [h.memory.id for h in hits]


async def test_vector_search_orders_by_cosine_distance(store: Store) -> None:
    await users(store, "u1")
    await store.memories.add_many(
        [
            Memory("east", "u1", "east", embedding=[1.0, 0.0]),
            Memory("north-east", "u1", "north-east", embedding=[1.0, 1.0]),
            Memory("north", "u1", "north", embedding=[0.0, 5.0]),  # length does not matter: cosine
            Memory("west", "u1", "west", embedding=[-1.0, 0.0]),
        ]
    )
    hits = await store.memories.search("u1", vector=[2.0, 0.1], mode="vector", limit=10)
    assert ids(hits) == ["east", "north-east", "north", "west"]
    for h in hits:
        assert h.vector_distance is not None and h.text_rank is None
        assert h.score == pytest.approx(1.0 - h.vector_distance)
    expected = 1.0 - (2.0 * 1.0 + 0.1 * 1.0) / (math.hypot(2.0, 0.1) * math.sqrt(2.0))
    assert hits[1].vector_distance == pytest.approx(expected, abs=1e-5)
    assert hits[3].vector_distance == pytest.approx(2.0 - hits[0].vector_distance, abs=1e-5)  # type: ignore[operator]
    assert ids(await store.memories.search("u1", vector=[2.0, 0.1], mode="vector", limit=2)) == ["east", "north-east"]
    assert await store.memories.search("u1", vector=[2.0, 0.1], mode="vector", limit=0) == []


async def test_search_is_tenant_and_user_isolated(store: Store) -> None:
    await users(store, "u1", "u2")
    await store.memories.add(Memory("mine", "u1", "coffee is my favourite drink", embedding=[1.0, 0.2]))
    await store.memories.add(Memory("theirs", "u2", "coffee coffee coffee", embedding=[1.0, 0.0]))
    with rawstore.tenant("acme"):
        await users(store, "u1")
        await store.memories.add(Memory("acme", "u1", "coffee in acme", embedding=[1.0, 0.0]))
    for mode in ("vector", "text", "hybrid"):
        vec = None if mode == "text" else [1.0, 0.0]
        hits = await store.memories.search("u1", text="coffee", vector=vec, mode=mode)  # type: ignore[arg-type]
        assert ids(hits) == ["mine"], mode
        with rawstore.tenant("acme"):
            hits = await store.memories.search("u1", text="coffee", vector=vec, mode=mode)  # type: ignore[arg-type]
            assert ids(hits) == ["acme"], mode
        with rawstore.tenant("nobody"):
            assert await store.memories.search("u1", text="coffee", vector=vec, mode=mode) == []  # type: ignore[arg-type]
    assert await store.memories.search("ghost", text="coffee", vector=[1.0, 0.0]) == []


async def test_text_search_matches_any_word_best_first(store: Store) -> None:
    await users(store, "u1")
    await store.memories.add_many(
        [
            Memory("both", "u1", "Morning coffee with oat milk"),
            Memory("coffee", "u1", "Ethiopian COFFEE beans"),
            Memory("milk", "u1", "Allergic to cow milk"),
            Memory("none", "u1", "Plays the violin on weekends"),
        ]
    )
    hits = await store.memories.search("u1", text="coffee milk", mode="text")
    assert set(ids(hits)) == {"both", "coffee", "milk"}
    assert ids(hits)[0] == "both"  # matches both words
    assert [h.text_rank for h in hits] == [1, 2, 3]
    for h in hits:
        assert h.vector_distance is None
        assert h.score == pytest.approx(1.0 / (RRF_K + (h.text_rank or 0)))
    assert ids(await store.memories.search("u1", text="Coffee", mode="text")) in (
        ["both", "coffee"],
        ["coffee", "both"],
    )
    assert await store.memories.search("u1", text="saxophone", mode="text") == []


async def test_hostile_text_is_never_a_syntax_error(store: Store) -> None:
    await users(store, "u1")
    await store.memories.add(Memory("m1", "u1", "coffee and tea, foo-bar (notes)", embedding=[1.0, 0.0]))
    for text in HOSTILE:
        for mode in ("text", "hybrid"):
            hits = await store.memories.search("u1", text=text, mode=mode)  # type: ignore[arg-type]
            assert all(h.memory.id == "m1" for h in hits), text
        hits = await store.memories.search("u1", text=text, vector=[1.0, 0.0])
        assert ids(hits) == ["m1"], text  # the vector list always finds it
    assert ids(await store.memories.search("u1", text='"foo-bar" AND (coffee', mode="text")) == ["m1"]


async def test_hybrid_fuses_by_reciprocal_rank(store: Store) -> None:
    await users(store, "u1")
    data = {
        "a": ("coffee espresso", [1.0, 0.0, 0.0]),
        "b": ("coffee", [0.8, 0.6, 0.0]),
        "c": ("espresso tasting notes", [0.0, 1.0, 0.0]),
        "d": ("herbal infusion", [0.9, 0.1, 0.1]),
        "e": ("coffee coffee espresso espresso", [0.0, 0.0, 1.0]),
        "f": ("violin practice", [0.1, 0.9, 0.4]),
    }
    await store.memories.add_many([Memory(k, "u1", t, embedding=v) for k, (t, v) in data.items()])
    q = [1.0, 0.05, 0.0]
    by_vector = ids(await store.memories.search("u1", vector=q, mode="vector", limit=40))
    by_text = ids(await store.memories.search("u1", text="coffee espresso", mode="text", limit=40))
    fused: dict[str, float] = {}
    for ranked in (by_vector, by_text):
        for r, i in enumerate(ranked, 1):
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + r)
    expected = sorted(fused, key=lambda i: (-fused[i], i))
    hits = await store.memories.search("u1", text="coffee espresso", vector=q, limit=4)
    assert ids(hits) == expected[:4]
    for h in hits:
        assert h.score == pytest.approx(fused[h.memory.id])
        assert h.text_rank == (by_text.index(h.memory.id) + 1 if h.memory.id in by_text else None)
        assert h.vector_distance is not None
    # Without a vector (and no embedder), hybrid is the text list alone.
    assert ids(await store.memories.search("u1", text="coffee espresso")) == by_text


async def test_filters(store: Store) -> None:
    await users(store, "u1")
    s = await store.memories.start_session("u1")
    rows = [
        ("m1", s.id, 0.9, {"topic": "food", "n": 1, "flag": True, "x": None}),
        ("m2", s.id, 0.1, {"topic": "food", "n": 1.0, "flag": 1}),
        ("m3", None, 0.5, {"topic": "pets", "n": "1", "flag": False}),
        ("m4", None, 0.95, None),
        ("m5", s.id, 0.7, {"topic": "Food", "n": 2, "quote": 'he said "hi"'}),
    ]
    await store.memories.add_many(
        [
            Memory(i, "u1", f"coffee note {i}", session_id=sid, importance=imp, embedding=[1.0, float(n)], metadata=md)
            for n, (i, sid, imp, md) in enumerate(rows)
        ]
    )

    async def found(**kw: Any) -> dict[str, set[str]]:
        out = {}
        for mode in ("vector", "text", "hybrid"):
            vec = None if mode == "text" else [1.0, 0.5]
            out[mode] = set(ids(await store.memories.search("u1", text="coffee", vector=vec, mode=mode, **kw)))  # type: ignore[arg-type]
        return out

    def every(expect: set[str]) -> dict[str, set[str]]:
        return {"vector": expect, "text": expect, "hybrid": expect}

    assert await found(session_id=s.id) == every({"m1", "m2", "m5"})
    assert await found(min_importance=0.7) == every({"m1", "m4", "m5"})
    assert await found(metadata={"topic": "food"}) == every({"m1", "m2"})  # exact, case-sensitive
    assert await found(metadata={"n": 1}) == every({"m1", "m2"})  # numbers as numbers, not the string "1"
    assert await found(metadata={"n": 1.0, "topic": "food"}) == every({"m1", "m2"})
    assert await found(metadata={"flag": True}) == every({"m1"})  # true is not 1
    assert await found(metadata={"flag": 1}) == every({"m2"})
    assert await found(metadata={"flag": False}) == every({"m3"})
    assert await found(metadata={"x": None}) == every({"m1"})  # an explicit null, not a missing key
    assert await found(metadata={"quote": 'he said "hi"'}) == every({"m5"})
    assert await found(metadata={"missing": "key"}) == every(set())
    assert await found(metadata={}) == every({"m1", "m2", "m3", "m4", "m5"})
    assert await found(session_id=s.id, min_importance=0.5, metadata={"topic": "food"}) == every({"m1"})
    assert await found(session_id="no-such-session") == every(set())
    for bad in ({"k": [1]}, {"k": {"a": 1}}, {'k"': 1}, {"k\\": 1}, {"": 1}, {"k": math.nan}, {"k": 2**70}, [1]):
        with pytest.raises(InvalidInput):
            await store.memories.search("u1", text="coffee", metadata=bad)  # type: ignore[arg-type]


async def test_a_selective_filter_still_gets_limit_rows(store: Store) -> None:
    """A user with many memories and a session holding few of them: the session's memories fill the result, however
    the database searches (pgvector: the index scan must not stop before enough rows pass the filter)."""
    await users(store, "u1")
    s = await store.memories.start_session("u1")
    rnd = random.Random(7)
    batch = [
        Memory(
            f"m{i:03d}",
            "u1",
            f"memory {i}",
            session_id=s.id if i % 25 == 0 else None,
            embedding=[rnd.gauss(0, 1) for _ in range(8)],
        )
        for i in range(400)
    ]
    await store.memories.add_many(batch)
    in_session = {m.id for m in batch if m.session_id}
    assert len(in_session) == 16
    hits = await store.memories.search("u1", vector=[1.0] * 8, mode="vector", limit=10, session_id=s.id)
    assert len(hits) == 10 and set(ids(hits)) <= in_session
    hits = await store.memories.search("u1", vector=[1.0] * 8, mode="vector", limit=50, session_id=s.id)
    assert set(ids(hits)) == in_session


async def test_sync_and_async_embedders(store: Store) -> None:
    await users(store, "u1")
    calls: list[list[str]] = []

    def sync_embed(texts: list[str]) -> list[list[float]]:
        calls.append(list(texts))
        return [embed_text(t) for t in texts]

    async def async_embed(texts: list[str]) -> list[list[float]]:
        return sync_embed(texts)

    assert store.memories.embedder is None
    for embedder in (sync_embed, async_embed):
        calls.clear()
        store.memories.embedder = embedder
        prefix = embedder.__name__
        stored = await store.memories.add_many(
            [
                Memory(f"{prefix}-1", "u1", "green tea in the morning"),
                Memory(f"{prefix}-2", "u1", "walks the dog at night"),
                Memory(f"{prefix}-3", "u1", "given vector", embedding=embed_text("something else")),
            ]
        )
        assert calls == [["green tea in the morning", "walks the dog at night"]]  # one call per batch
        assert stored[0].embedding == tuple(embed_text("green tea in the morning"))
        calls.clear()
        hits = await store.memories.search("u1", text="green tea in the morning", mode="vector", limit=1)
        assert hits[0].memory.content == "green tea in the morning" and calls == [["green tea in the morning"]]
        assert hits[0].vector_distance == pytest.approx(0.0, abs=1e-6)
        calls.clear()
        up = await store.memories.update(f"{prefix}-2", content="reads books at night")
        assert up.embedding == tuple(embed_text("reads books at night")) and calls == [["reads books at night"]]
        calls.clear()
        assert await store.memories.search("u1", text="tea", mode="text")  # text mode does not embed
        assert calls == []
    # The store's embedder is the one its transactions use.
    async with store.transaction() as tx:
        assert tx.memories.embedder is async_embed
        await tx.memories.add(Memory("tx-1", "u1", "inside a transaction"))
    assert (await store.memories.get("tx-1")).embedding == tuple(embed_text("inside a transaction"))  # type: ignore[union-attr]
    store.memories.embedder = None
    stored1 = await store.memories.add(Memory("plain", "u1", "no embedder now"))
    assert stored1.embedding is None
    with pytest.raises(InvalidInput, match="embedder"):
        await store.memories.search("u1", text="tea", mode="vector")
    with pytest.raises(InvalidInput):
        store.memories.embedder = "not callable"  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("output", "match"),
    [
        (lambda texts: [[1.0, 0.0]], "returned 1 vectors for 2 texts"),
        (lambda texts: [[1.0, math.nan], [1.0, 0.0]], "NaN"),
        (lambda texts: [[1.0, 0.0], [1.0, 0.0, 0.0]], "one batch"),
        (lambda texts: "nope", "list of vectors"),
        (lambda texts: None, "list of vectors"),
    ],
)
async def test_bad_embedder_output_writes_nothing(store: Store, output: Any, match: str) -> None:
    await users(store, "u1")
    store.memories.embedder = output
    with pytest.raises(InvalidInput, match=match):
        await store.memories.add_many([Memory("a", "u1", "first"), Memory("b", "u1", "second")])
    store.memories.embedder = None
    assert (await store.memories.list("u1")).items == []


async def test_an_embedder_error_propagates_and_writes_nothing(store: Store) -> None:
    await users(store, "u1")

    def broken(texts: list[str]) -> list[list[float]]:
        raise ConnectionError("embedding service down")

    store.memories.embedder = broken
    with pytest.raises(ConnectionError):
        await store.memories.add(Memory("a", "u1", "first"))
    store.memories.embedder = None
    assert await store.memories.get("a") is None


async def test_bad_search_arguments(store: Store) -> None:
    await users(store, "u1")
    cases: list[dict[str, Any]] = [
        {},
        {"mode": "text"},
        {"mode": "text", "text": "x", "vector": [1.0]},
        {"mode": "vector", "text": "x"},  # no embedder
        {"mode": "fuzzy", "text": "x"},
        {"text": "x", "limit": 1001},
        {"text": "x", "limit": -1},
        {"text": "x", "limit": True},
        {"text": 3},
        {"vector": [math.inf, 1.0]},
        {"vector": "1,2"},
        {"text": "x", "session_id": ""},
        {"text": "x", "min_importance": "high"},
        {"text": "x", "include_deleted": "yes"},
        {"text": "x", "metadata": "topic=food"},
    ]
    for kw in cases:
        with pytest.raises(InvalidInput):
            await store.memories.search("u1", **kw)
    with pytest.raises(InvalidInput):
        await store.memories.search("", text="x")


def clustered(rnd: random.Random, n: int, dims: int, clusters: int) -> list[list[float]]:
    centers = [[rnd.gauss(0, 1) for _ in range(dims)] for _ in range(clusters)]
    return [[c + rnd.gauss(0, 0.15) for c in centers[i % clusters]] for i in range(n)]


def exact_top(query: list[float], items: dict[str, list[float]], k: int) -> list[str]:
    def dist(v: list[float]) -> float:
        dot = sum(a * b for a, b in zip(v, query, strict=True))
        return 1 - dot / (math.sqrt(sum(a * a for a in v)) * math.sqrt(sum(b * b for b in query)))

    return [i for _, i in sorted((dist(v), i) for i, v in items.items())[:k]]


async def test_recall_at_10_on_clustered_data(store: Store) -> None:
    await users(store, "u1", "u2")
    rnd = random.Random(11)
    data = clustered(rnd, 1500, 32, 30)
    mine = {f"m{i:04d}": v for i, v in enumerate(data[:1200])}
    theirs = {f"o{i:04d}": v for i, v in enumerate(data[1200:])}
    await store.memories.add_many([Memory(i, "u1", "x", embedding=v) for i, v in mine.items()])
    await store.memories.add_many([Memory(i, "u2", "x", embedding=v) for i, v in theirs.items()])
    queries = [[x + rnd.gauss(0, 0.1) for x in data[rnd.randrange(1500)]] for _ in range(20)]
    found = 0
    for q in queries:
        hits = await store.memories.search("u1", vector=q, mode="vector", limit=10)
        assert all(h.memory.user_id == "u1" for h in hits)
        found += len(set(ids(hits)) & set(exact_top(q, mine, 10)))
    assert found / (10 * len(queries)) >= 0.95


@pytest.mark.requires("vector")
async def test_pgvector_index_scan_recall_and_filters(store: Store) -> None:
    """With sorting and sequential scans off, the planner can only answer with the HNSW index (an iterative scan):
    recall stays high and a selective filter still fills the result (the exact fallback covers what it misses)."""
    await users(store, "u1", "u2")
    rnd = random.Random(5)
    data = clustered(rnd, 1200, 24, 20)
    s = await store.memories.start_session("u1")
    mine = {f"m{i:04d}": v for i, v in enumerate(data[:900])}
    await store.memories.add_many(
        [
            Memory(i, "u1", "x", session_id=s.id if n % 40 == 0 else None, embedding=v)
            for n, (i, v) in enumerate(mine.items())
        ]
    )
    await store.memories.add_many([Memory(f"o{i}", "u2", "x", embedding=v) for i, v in enumerate(data[900:])])
    in_session = {i for n, i in enumerate(mine) if n % 40 == 0}
    found = 0
    queries = [[x + rnd.gauss(0, 0.1) for x in data[rnd.randrange(900)]] for _ in range(10)]
    async with store.transaction() as tx:
        await tx.execute("SET LOCAL enable_seqscan = off")
        await tx.execute("SET LOCAL enable_sort = off")
        plan = await tx.fetch(
            "EXPLAIN SELECT id FROM rs_memories_vec_24 ORDER BY embedding <=> :q LIMIT 10", {"q": queries[0]}
        )
        assert "hnsw" in " ".join(str(r[0]) for r in plan)
        for q in queries:
            hits = await tx.memories.search("u1", vector=q, mode="vector", limit=10)
            found += len(set(ids(hits)) & set(exact_top(q, mine, 10)))
            hits = await tx.memories.search("u1", vector=q, mode="vector", limit=10, session_id=s.id)
            assert len(hits) == 10 and set(ids(hits)) <= in_session
        # The search gave back the settings it changed for its own query.
        row = await tx.fetchrow("SELECT current_setting('plan_cache_mode') AS p")
        assert row is not None and row["p"] != "force_custom_plan"
    assert found / (10 * len(queries)) >= 0.95
    assert store.capabilities.vector


@pytest.mark.requires("vector")
async def test_pgvector_tables_follow_the_memories(store: Store) -> None:
    """One table per dimension, kept in step with the memories: updated embeddings, purges and user deletes."""
    await users(store, "u1")
    await store.memories.add(Memory("m1", "u1", "x", embedding=[1.0, 0.0, 0.0]))
    await store.memories.update("m1", embedding=[0.0, 1.0, 0.0])
    async with store.transaction() as tx:
        row = await tx.fetchrow("SELECT embedding::text AS e FROM rs_memories_vec_3 WHERE id = 'm1'")
        assert row is not None and row["e"] == "[0,1,0]"
        # The application's own SQL reads and writes vectors as sequences of floats through the same codec.
        row = await tx.fetchrow("SELECT '[1.5,2,3]'::vector AS v, :v::vector AS w", {"v": [4.0, 5.0]})
        assert row is not None and row["v"] == (1.5, 2.0, 3.0) and row["w"] == (4.0, 5.0)
    assert await store.memories.delete("m1")
    assert await store.memories.purge(deleted_before=datetime.now(UTC) + timedelta(seconds=1)) == 1
    await store.memories.add(Memory("m2", "u1", "x", embedding=[0.0, 1.0, 0.0]))
    await store.memories.delete_user("u1")
    async with store.transaction() as tx:
        row = await tx.fetchrow("SELECT count(*) AS n FROM rs_memories_vec_3")
        assert row is not None and row["n"] == 0


def test_numpy_and_pure_python_rankings_agree() -> None:
    rnd = random.Random(3)
    rows = []
    for i in range(300):
        blob, _ = vectors.pack([rnd.gauss(0, 1) for _ in range(12)], "v")
        rows.append((f"id{i:03d}", blob))
    rows.append(("dup-a", rows[0][1]))  # equal distances: id order
    query, _ = vectors.pack([rnd.gauss(0, 1) for _ in range(12)], "q")
    py = vectors._nearest_python(query, rows, 25)
    assert [i for _, i in py] == sorted([i for _, i in py], key=lambda i: dict((j, d) for d, j in py)[i])
    if vectors.has_numpy():
        npy = vectors._nearest_numpy(query, rows, 25)
        assert [i for _, i in npy] == [i for _, i in py]
        assert [d for d, _ in npy] == pytest.approx([d for d, _ in py], abs=1e-5)
    assert vectors.nearest(query, rows, 0) == [] and vectors.nearest(query, [], 5) == []
    wire = vectors.pgvector_wire(query, 12)
    assert wire[:4] == struct.pack(">HH", 12, 0)
    assert struct.unpack(">12f", wire[4:]) == vectors.unpack(query)

"""Semantic memory (`store.memories`): bulk `add_many` and vector / text / hybrid search, next to the raw driver doing
the same work in the same run.

Per database (sqlite, postgres, mysql, pgvector among RAWSTORE_TEST_DBS; `postgres` is PostgreSQL without the vector
extension, so the portable path, `pgvector` the PostgreSQL with it):

- bulk: `MEMORIES` memories with 384-dimension embeddings over `USERS` users, in batches of 1,000 (each batch holds
  memories of every user), written by `add_many` (validation, the users' row locks and dimension check, the bulk
  insert; on pgvector the dimension's vector table too) or by the raw driver's fastest path into the same schema:
  COPY on PostgreSQL (both tables on pgvector), executemany (rewritten into multi-row INSERTs by aiomysql) on
  MariaDB, one multi-row INSERT per batch in one transaction on SQLite (its executemany, a statement per row, is three
  times slower on this table: FTS5 flushes its pending terms at every statement). Rows/s and the ratio.
  Each side writes its own database (same server, same migrations), batch by batch interleaved: in one shared table
  the full-text index's deferred work (PostgreSQL's GIN pending list, about every 16 batches; FTS5's segment merges;
  InnoDB's full-text cache) falls on whichever side's insert crosses the threshold, and the crossing settles on one
  side for tens of batches: 5 ms a batch, a tenth of the ratio, charged to the other side's writes.
- search: a user of `SMALL` memories and one of `MEMORIES`, per dimension in `DIMS`, clustered data; `QUERIES` queries
  each. Vector top-10: p50 and p99 per database and path, the raw driver's equivalent (pgvector: the hand-written
  HNSW query with an iterative scan in one transaction; elsewhere: fetch the user's candidate vectors, rank them with
  numpy, read the top 10 rows) and recall@10 against exact search. Text and hybrid: p50.

Sizes: RAWSTORE_BENCH_MEMORIES (default 100,000), RAWSTORE_BENCH_MEMORY_USERS (100), RAWSTORE_BENCH_MEMORY_QUERIES
(200), RAWSTORE_BENCH_MEMORY_DIMS (384,1536). Each server gets its own rawstore_membench_<pid> database, dropped at
the end; a missing server skips locally and fails under CI=true. Figures print on stdout (pytest -s or not).
"""

from __future__ import annotations

import asyncio
import gc
import math
import os
import random
import sqlite3
import statistics
import struct
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import pytest

import rawstore
from rawstore import Store
from rawstore.bench import raw_connect, raw_sqlite
from rawstore.memories import Memory, User
from rawstore.url import parse_url
from tests import dbs

try:
    import numpy as np
except ImportError:  # pragma: no cover - the benchmark runs without numpy at small sizes
    np = None  # type: ignore[assignment]

T = TypeVar("T")
BACKENDS = ("sqlite", "postgres", "mysql", "pgvector")
# At the sizes a test runs for minutes (100,000 rows into an HNSW index); CI's sizes take seconds.
pytestmark = pytest.mark.timeout(0)


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}")
    return value


MEMORIES = _int_env("RAWSTORE_BENCH_MEMORIES", 100_000)
USERS = min(_int_env("RAWSTORE_BENCH_MEMORY_USERS", 100), MEMORIES)
QUERIES = _int_env("RAWSTORE_BENCH_MEMORY_QUERIES", 200)
DIMS = tuple(int(x) for x in os.environ.get("RAWSTORE_BENCH_MEMORY_DIMS", "384,1536").split(",") if x.strip())
SMALL = min(1000, MEMORIES)
BULK_DIMS = 384
BATCH = 1000
CLUSTERS = 50
COLUMNS = (
    "tenant_id",
    "id",
    "user_id",
    "session_id",
    "content",
    "importance",
    "dims",
    "embedding",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
)
WORDS = [
    f"{a}{b}"
    for a in ("sun", "moon", "star", "rain", "snow", "wind", "leaf", "rock")
    for b in (
        "apple",
        "bread",
        "chair",
        "dance",
        "eagle",
        "flute",
        "grape",
        "house",
        "igloo",
        "jelly",
        "kite",
        "lemon",
        "mango",
        "night",
        "ocean",
        "piano",
        "queen",
        "river",
        "salad",
        "tiger",
        "umbra",
        "vivid",
        "whale",
        "xenon",
        "yacht",
        "zebra",
    )
]


# -- data ----------------------------------------------------------------------------------------------------


@dataclass
class Data:
    """Clustered vectors (float32 rows) and texts whose words follow the clusters, so text search finds matches."""

    vectors: Any  # numpy float32 matrix, or a list of lists
    texts: list[str]
    centers: Any

    def row(self, i: int) -> Any:
        return self.vectors[i]

    def query(self, rnd: random.Random) -> Any:
        base = self.vectors[rnd.randrange(len(self.texts))]
        if np is not None:
            return (base + np.asarray([rnd.gauss(0, 0.05) for _ in range(len(base))], dtype=np.float32)).astype(
                np.float32
            )
        return [x + rnd.gauss(0, 0.05) for x in base]


def make_data(n: int, dims: int, seed: int) -> Data:
    rnd = random.Random(seed)
    texts = []
    for i in range(n):
        c = i % CLUSTERS
        words = [WORDS[(c * 3 + rnd.randrange(8)) % len(WORDS)] for _ in range(6)]
        words += [WORDS[rnd.randrange(len(WORDS))] for _ in range(4)]
        texts.append(f"memory {i}: " + " ".join(words))
    if np is not None:
        g = np.random.default_rng(seed)
        centers = g.standard_normal((CLUSTERS, dims), dtype=np.float32)
        vecs = centers[np.arange(n) % CLUSTERS] + 0.35 * g.standard_normal((n, dims), dtype=np.float32)
        return Data(vecs.astype(np.float32), texts, centers)
    centers = [[rnd.gauss(0, 1) for _ in range(dims)] for _ in range(CLUSTERS)]
    vecs = [[x + rnd.gauss(0, 0.35) for x in centers[i % CLUSTERS]] for i in range(n)]
    return Data(vecs, texts, centers)


def le_bytes(v: Any) -> bytes:
    if np is not None:
        return np.asarray(v, dtype="<f4").tobytes()
    return struct.pack(f"<{len(v)}f", *v)


def pg_wire(v: Any) -> bytes:
    if np is not None:
        a = np.asarray(v, dtype=">f4")
        return struct.pack(">HH", a.shape[0], 0) + a.tobytes()
    return struct.pack(f">HH{len(v)}f", len(v), 0, *v)


def exact_top(data: Data, q: Any, k: int) -> list[int]:
    if np is not None:
        m = data.vectors
        qq = np.asarray(q, dtype=np.float32)
        sims = (m @ qq) / (np.linalg.norm(m, axis=1) * float(np.linalg.norm(qq)))
        idx = np.argsort(-sims, kind="stable")[:k]
        return [int(i) for i in idx]

    def dist(v: Sequence[float]) -> float:
        return 1 - sum(a * b for a, b in zip(v, q, strict=True)) / (
            math.sqrt(sum(a * a for a in v)) * math.sqrt(sum(b * b for b in q))
        )

    return sorted(range(len(data.texts)), key=lambda i: dist(data.vectors[i]))[:k]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


# -- the raw side ----------------------------------------------------------------------------------------------


class Raw:
    """One raw driver connection doing what add_many and search do, by hand."""

    def __init__(self, backend: str, url: str) -> None:
        self.backend = backend
        self.url = url
        self.conn: Any = None

    async def open(self) -> None:
        if self.backend == "sqlite":
            self.conn = raw_sqlite(parse_url(self.url).sqlite_path)
            return
        self.conn = await raw_connect(self.url)
        if self.backend == "pgvector":
            ident: Callable[[Any], Any] = lambda v: v  # noqa: E731
            await self.conn.set_type_codec("vector", schema="public", encoder=ident, decoder=ident, format="binary")

    async def analyze(self) -> None:
        """Fresh statistics after a load (what autovacuum, or a DBA, does before the application reads)."""
        if self.backend in ("postgres", "pgvector"):
            await self.conn.execute("VACUUM ANALYZE")
        elif self.backend == "mysql":
            async with self.conn.cursor() as cur:
                await cur.execute("ANALYZE TABLE rs_memories, rs_mem_users")
                await cur.fetchall()
        else:
            self.conn.execute("ANALYZE")

    async def close(self) -> None:
        if self.conn is None:
            return
        if self.backend in ("postgres", "pgvector"):
            await self.conn.close()
        else:
            self.conn.close()

    async def insert(self, tenant: str, batch: list[tuple[str, str, str, Any]], now: datetime) -> None:
        """One batch of (id, user, content, vector) in one transaction, the fastest way the driver has."""
        enc = msgspec.json.encode
        rows = [
            (tenant, i, u, None, c, 0.5, BULK_DIMS, le_bytes(v), enc({"source": "bench"}).decode())
            for i, u, c, v in batch
        ]
        if self.backend in ("postgres", "pgvector"):
            async with self.conn.transaction():
                await self.conn.copy_records_to_table(
                    "rs_memories", records=[(*r, now, now, None) for r in rows], columns=COLUMNS
                )
                if self.backend == "pgvector":
                    await self.conn.copy_records_to_table(
                        f"rs_memories_vec_{BULK_DIMS}",
                        records=[(tenant, i, u, None, pg_wire(v)) for i, u, _, v in batch],
                        columns=("tenant_id", "id", "user_id", "session_id", "embedding"),
                    )
        elif self.backend == "mysql":
            ts = now.replace(tzinfo=None)
            await self.conn.begin()
            async with self.conn.cursor() as cur:
                await cur.executemany(
                    f"INSERT INTO rs_memories ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})",
                    [(*r, ts, ts, None) for r in rows],
                )
            await self.conn.commit()
        else:
            # One INSERT of many VALUES rows: sqlite3's executemany is a statement per row, and FTS5 flushes its
            # pending terms at every statement (three times slower here).
            ts = now.isoformat(" ", "microseconds")[:26]
            db = self.conn
            most = db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(COLUMNS)
            one = f"({', '.join(['?'] * len(COLUMNS))})"
            db.execute("BEGIN IMMEDIATE")
            for k in range(0, len(rows), most):
                part = rows[k : k + most]
                db.execute(
                    f"INSERT INTO rs_memories ({', '.join(COLUMNS)}) VALUES {', '.join([one] * len(part))}",
                    [v for r in part for v in (*r, ts, ts, None)],
                )
            db.execute("COMMIT")

    async def nearest(self, tenant: str, user: str, q: Any, dims: int, k: int = 10) -> list[str]:
        """The top-k memories (full rows) of a user by cosine distance."""
        if self.backend == "pgvector":
            async with self.conn.transaction():
                await self.conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = 100")
                rows = await self.conn.fetch(
                    "SELECT m.id, m.user_id, m.content, m.session_id, m.importance, m.embedding, m.metadata::text,"
                    f" m.created_at, m.updated_at, m.deleted_at, v.embedding <=> $1 AS d FROM rs_memories_vec_{dims} v"
                    " JOIN rs_memories m ON m.tenant_id = v.tenant_id AND m.id = v.id"
                    " WHERE v.tenant_id = $2 AND v.user_id = $3 AND m.deleted_at IS NULL"
                    f" ORDER BY v.embedding <=> $1 LIMIT {k}",
                    pg_wire(q),
                    tenant,
                    user,
                )
            return [r[0] for r in rows]
        # Candidates of the user, ranked with numpy (or Python), then the top rows.
        if self.backend == "postgres":
            cands = await self.conn.fetch(
                "SELECT id, embedding FROM rs_memories WHERE tenant_id = $1 AND user_id = $2 AND dims = $3"
                " AND deleted_at IS NULL",
                tenant,
                user,
                dims,
            )
        elif self.backend == "mysql":
            async with self.conn.cursor() as cur:
                await cur.execute(
                    "SELECT id, embedding FROM rs_memories WHERE tenant_id = %s AND user_id = %s AND dims = %s"
                    " AND deleted_at IS NULL",
                    (tenant, user, dims),
                )
                cands = await cur.fetchall()
        else:
            cands = self.conn.execute(
                "SELECT id, embedding FROM rs_memories WHERE tenant_id = ? AND user_id = ? AND dims = ?"
                " AND deleted_at IS NULL",
                (tenant, user, dims),
            ).fetchall()
        top = _rank(cands, q, k)
        marks = ", ".join(f"${i + 2}" for i in range(len(top))) if self.backend == "postgres" else ""
        sel = "SELECT id, user_id, content, session_id, importance, embedding, metadata, created_at, updated_at"
        if self.backend == "postgres":
            await self.conn.fetch(f"{sel} FROM rs_memories WHERE tenant_id = $1 AND id IN ({marks})", tenant, *top)
        elif self.backend == "mysql":
            async with self.conn.cursor() as cur:
                marks = ", ".join(["%s"] * len(top))
                await cur.execute(f"{sel} FROM rs_memories WHERE tenant_id = %s AND id IN ({marks})", (tenant, *top))
                await cur.fetchall()
        else:
            marks = ", ".join(["?"] * len(top))
            self.conn.execute(
                f"{sel} FROM rs_memories WHERE tenant_id = ? AND id IN ({marks})", (tenant, *top)
            ).fetchall()
        return top


def _rank(cands: Sequence[Any], q: Any, k: int) -> list[str]:
    if np is not None:
        qq = np.asarray(q, dtype=np.float32)
        m = np.frombuffer(b"".join(c[1] for c in cands), dtype="<f4").reshape(len(cands), qq.shape[0])
        sims = (m @ qq) / (np.linalg.norm(m, axis=1) * float(np.linalg.norm(qq)))
        idx = np.argpartition(-sims, min(k, len(cands) - 1))[:k]
        return [cands[int(i)][0] for i in idx[np.argsort(-sims[idx])]]
    scored = []
    for c in cands:
        v = struct.unpack(f"<{len(c[1]) // 4}f", c[1])
        dot = sum(a * b for a, b in zip(v, q, strict=True))
        scored.append((1 - dot / (math.sqrt(sum(a * a for a in v)) * math.sqrt(sum(b * b for b in q))), c[0]))
    return [i for _, i in sorted(scored)[:k]]


# -- the fixture ---------------------------------------------------------------------------------------------------


@dataclass
class Side:
    """The raw driver's own database for the bulk test, and a store on it for setup and checks (untimed)."""

    url: str
    store: Store
    raw: Raw


@dataclass
class MemBench:
    backend: str
    store: Store
    raw: Raw
    runner: asyncio.Runner
    folder: Path
    name: str
    loaded: dict[tuple[str, int], Data] = field(default_factory=dict)
    bulk_data: Data | None = None
    raw_side: Side | None = None

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await make()

        return self.runner.run(call())

    def bulk(self) -> Data:
        if self.bulk_data is None:
            self.bulk_data = make_data(MEMORIES, BULK_DIMS, 1)
        return self.bulk_data

    async def search(self, user: str, **kw: Any) -> list[rawstore.memories.MemoryHit]:
        """store.memories.search in the "search" tenant (set inside the coroutine: the runner has its own context)."""
        with rawstore.tenant("search"):
            return await self.store.memories.search(user, **kw)

    async def users(self, tenant: str, ids: Sequence[str], store: Store | None = None) -> None:
        with rawstore.tenant(tenant):
            for uid in ids:
                await (store or self.store).memories.save_user(User(uid, f"{uid}@example.com"))

    async def open_raw_side(self) -> Side:
        """The raw side's database for the bulk test (made on first use, dropped with the fixture)."""
        if self.raw_side is None:
            url = dbs.create_database(self.backend, f"{self.name}_raw", self.folder)
            rawstore.migrate(url)
            store = await _connect(url)
            raw = Raw(self.backend, url)
            await raw.open()
            self.raw_side = Side(url, store, raw)
            await _warm(store)
        return self.raw_side

    async def close_raw_side(self) -> None:
        if self.raw_side is not None:
            await self.raw_side.raw.close()
            await self.raw_side.store.close()

    def batches(self, prefix: str) -> Iterator[list[tuple[str, str, str, Any]]]:
        data = self.bulk()
        per_user = max(1, BATCH // USERS)
        out: list[tuple[str, str, str, Any]] = []
        for i in range(MEMORIES):
            # Batches of BATCH memories, each holding per_user memories of every user.
            user = f"user{(i // per_user) % USERS:03d}"
            out.append((f"{prefix}-{i:06d}", user, data.texts[i], data.row(i)))
            if len(out) == BATCH:
                yield out
                out = []
        if out:
            yield out

    async def bulk_rounds(self) -> dict[str, float]:
        """Write MEMORIES memories per side (tenant bulk-rawstore here, bulk-raw in the raw side's database), batch by
        batch, the two sides interleaved (and which goes first alternating), so both meet the same table and index
        sizes at the same moment; seconds per side."""
        seconds = {"raw": 0.0, "rawstore": 0.0}
        other = await self.open_raw_side()
        todo = {}
        for side in seconds:
            await self.users(
                f"bulk-{side}", [f"user{u:03d}" for u in range(USERS)], other.store if side == "raw" else None
            )
            todo[side] = list(self.batches(f"bulk-{side}"))
        now = datetime.now(UTC)
        gc.collect()
        for k in range(len(todo["raw"])):
            for side in ("raw", "rawstore") if k % 2 == 0 else ("rawstore", "raw"):
                b = todo[side][k]
                t = time.perf_counter()
                if side == "rawstore":
                    with rawstore.tenant("bulk-rawstore"):
                        await self.store.memories.add_many(
                            [
                                Memory(i, u, c, importance=0.5, embedding=v, metadata={"source": "bench"})
                                for i, u, c, v in b
                            ]
                        )
                else:
                    await other.raw.insert("bulk-raw", b, now)
                seconds[side] += time.perf_counter() - t
        return seconds

    async def load(self, user: str, n: int, dims: int) -> Data:
        """The search data: `n` memories of `dims` dimensions for one user of the "search" tenant (untimed)."""
        key = (user, dims)
        if key not in self.loaded:
            data = make_data(n, dims, seed=dims * 7 + n)
            await self.users("search", [user])
            with rawstore.tenant("search"):
                for s in range(0, n, BATCH):
                    await self.store.memories.add_many(
                        [
                            Memory(f"{user}-{i:06d}", user, data.texts[i], embedding=data.row(i))
                            for i in range(s, min(n, s + BATCH))
                        ]
                    )
            self.loaded[key] = data
            await self.raw.analyze()
        return self.loaded[key]


@pytest.fixture(scope="module", params=[b for b in dbs.selected() if b in BACKENDS])
def mbench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MemBench]:
    backend = str(request.param)
    name = f"rawstore_membench_{os.getpid()}"
    folder: Path = tmp_path_factory.mktemp("membench")
    url = dbs.create_database(backend, name, folder)  # fails under CI=true when the server is unreachable
    rawstore.migrate(url)
    runner = asyncio.Runner()
    store = runner.run(_connect(url))
    raw = Raw(backend, url)
    bench = MemBench(backend, store, raw, runner, folder, name)
    try:
        runner.run(raw.open())
        bench.run(lambda: _warm(store))
        yield bench
    finally:
        try:
            runner.run(raw.close())
            runner.run(store.close())
            runner.run(bench.close_raw_side())
        finally:
            runner.close()
            if backend != "sqlite":
                dbs.create_database(backend, name, folder, drop_only=True)
                dbs.create_database(backend, f"{name}_raw", folder, drop_only=True)


async def _connect(url: str) -> Store:
    return await rawstore.connect(url, max_size=4)


async def _warm(store: Store) -> None:
    """The dimension's vector table exists before either side is timed (rawstore makes it on first use)."""
    with rawstore.tenant("warmup"):
        await store.memories.save_user(User("w", "w@example.com"))
        await store.memories.add(Memory("w", "w", "warm up", embedding=[1.0] * BULK_DIMS))


def _say(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\n" + text)


# -- bulk ----------------------------------------------------------------------------------------------------------


def test_add_many_throughput(mbench: MemBench, capsys: pytest.CaptureFixture[str]) -> None:
    """add_many of MEMORIES memories (384 dimensions, USERS users, batches of 1,000) against the raw fastest path,
    batch by batch interleaved, each side in its own database; rows/s and the ratio."""
    seconds = mbench.run(mbench.bulk_rounds)

    async def stored(tenant: str, store: Store) -> int:
        with rawstore.tenant(tenant):
            return len((await store.memories.list("user000", limit=MEMORIES)).items)

    assert mbench.raw_side is not None
    other = mbench.raw_side.store
    assert (
        mbench.run(lambda: stored("bulk-raw", other)) == mbench.run(lambda: stored("bulk-rawstore", mbench.store)) > 0
    )
    rate = {s: MEMORIES / v for s, v in seconds.items()}
    path = {"postgres": "COPY", "pgvector": "COPY x2", "mysql": "executemany", "sqlite": "multi-row INSERT"}[
        mbench.backend
    ]
    _say(
        f"{mbench.backend}: add_many {MEMORIES:,} x {BULK_DIMS}d over {USERS} users: rawstore {rate['rawstore']:,.0f}"
        f" rows/s, raw {path} {rate['raw']:,.0f} rows/s, ratio {rate['rawstore'] / rate['raw']:.2f}",
        capsys,
    )


def test_add_many_batch(benchmark: Any, mbench: MemBench) -> None:
    """One batch of 1,000 memories through add_many (pytest-benchmark; a new tenant each round)."""
    benchmark.group = f"{mbench.backend}: add_many batch of {BATCH}"
    data = make_data(BATCH, BULK_DIMS, 3)
    rounds = iter(range(10_000))

    def one() -> None:
        tenant = f"batch-{next(rounds)}"

        async def write() -> None:
            await mbench.users(tenant, ["u"])
            with rawstore.tenant(tenant):
                await mbench.store.memories.add_many(
                    [Memory(f"m{i}", "u", data.texts[i], embedding=data.row(i)) for i in range(BATCH)]
                )

        mbench.run(write)

    benchmark.pedantic(one, rounds=3, iterations=1)


# -- search --------------------------------------------------------------------------------------------------------


def _timed(mbench: MemBench, make: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """Seconds of one awaited call, timed inside the event loop, and its result.

    The result is handed back outside the task's return value: Python 3.11's asyncio.Runner.run, restoring its SIGINT
    handler, formats the handler's repr, which holds the task and so the repr of its result (10 hits of 1,536 floats:
    8 ms, more than the query)."""
    box: list[Any] = []

    async def timed() -> float:
        t = time.perf_counter()
        box.append(await make())
        return time.perf_counter() - t

    return mbench.run(timed), box[0]


@pytest.mark.parametrize("dims", DIMS)
@pytest.mark.parametrize("size", ["small", "big"])
def test_vector_search_latency(mbench: MemBench, dims: int, size: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Vector top-10 for one user: p50/p99 of rawstore and of the raw equivalent (interleaved), recall@10 vs exact;
    then text and hybrid p50 on the same data."""
    n = SMALL if size == "small" else MEMORIES
    user = f"{size}-{dims}"
    t0 = time.perf_counter()
    data = mbench.run(lambda: mbench.load(user, n, dims))
    load_s = time.perf_counter() - t0
    rnd = random.Random(dims + n)
    queries = [data.query(rnd) for _ in range(QUERIES)]
    ms: dict[str, list[float]] = {"rawstore": [], "raw": []}
    recall = 0
    for q in queries[:3]:  # warm up both sides
        mbench.run(lambda q=q: mbench.search(user, vector=q, mode="vector", limit=10))  # type: ignore[misc]
        mbench.run(lambda q=q: mbench.raw.nearest("search", user, q, dims))  # type: ignore[misc]
    for k, q in enumerate(queries):
        # Which side goes first alternates: the second reads pages the first brought into the cache.
        for side in ("rawstore", "raw") if k % 2 == 0 else ("raw", "rawstore"):
            if side == "rawstore":
                s, hits = _timed(mbench, lambda q=q: mbench.search(user, vector=q, mode="vector", limit=10))  # type: ignore[misc]
            else:
                s, _ = _timed(mbench, lambda q=q: mbench.raw.nearest("search", user, q, dims))  # type: ignore[misc]
            ms[side].append(s * 1000)
        truth = {f"{user}-{i:06d}" for i in exact_top(data, q, 10)}
        recall += len(truth & {h.memory.id for h in hits})
    words = [" ".join(data.texts[rnd.randrange(n)].split()[2:5]) for _ in range(QUERIES)]
    text_ms, hybrid_ms = [], []
    for w, q in zip(words, queries, strict=True):
        s, _ = _timed(mbench, lambda w=w: mbench.search(user, text=w, mode="text", limit=10))  # type: ignore[misc]
        text_ms.append(s * 1000)
        s, _ = _timed(mbench, lambda w=w, q=q: mbench.search(user, text=w, vector=q, limit=10))  # type: ignore[misc]
        hybrid_ms.append(s * 1000)
    r = recall / (10 * len(queries))
    path = "pgvector HNSW" if mbench.store.capabilities.vector else "exact in the client"
    p50 = {k: statistics.median(v) for k, v in ms.items()}
    _say(
        f"{mbench.backend}: vector top-10, {size} user ({n:,} x {dims}d, loaded in {load_s:.1f} s), {path}:"
        f" rawstore p50 {p50['rawstore']:.2f} ms p99 {pct(ms['rawstore'], 99):.2f} ms; raw p50 {p50['raw']:.2f} ms"
        f" p99 {pct(ms['raw'], 99):.2f} ms; ratio p50 {p50['rawstore'] / p50['raw']:.2f}; recall@10 {r:.3f};"
        f" text p50 {statistics.median(text_ms):.2f} ms; hybrid p50 {statistics.median(hybrid_ms):.2f} ms"
        f" ({len(queries)} queries)",
        capsys,
    )
    assert r >= 0.95


def test_vector_search_small_user(benchmark: Any, mbench: MemBench) -> None:
    """pytest-benchmark: one vector top-10 query for the small user at the first dimension."""
    dims = DIMS[0]
    user = f"small-{dims}"
    data = mbench.run(lambda: mbench.load(user, SMALL, dims))
    q = data.query(random.Random(1))
    benchmark.group = f"{mbench.backend}: vector top-10, {SMALL:,} memories x {dims}d"

    async def one() -> None:  # no result out of the runner (see _timed)
        await mbench.search(user, vector=q, mode="vector", limit=10)

    benchmark(lambda: mbench.run(one))

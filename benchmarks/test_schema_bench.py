"""store.schema: what introspection and index management cost next to the raw driver doing the same work.

- list_indexes: every index of the kit's tables with its size. The raw side sends the same two catalog queries
  (sql/<dialect>/schema.sql `indexes` and `index_sizes`) on its own connection and builds tuples; rawstore also
  takes its per-store lock (and, on MariaDB, the named lock between processes: one GET_LOCK / RELEASE_LOCK pair;
  a no-op round trip each on PostgreSQL and SQLite) and decodes into records.
- describe_index: one index with its usage statistics; the raw side sends the same three queries.
- create + drop: `create_index` then `drop_index` of one index on rs_threads holding `ROWS` threads, online where
  the database can (PostgreSQL CONCURRENTLY, MariaDB LOCK=NONE). The raw side sends the same two DDL statements;
  rawstore also validates the request against the catalog, records the index in rs_index_registry before the build
  and reads it back after, and removes the record after the drop.

Drivers: asyncpg, aiomysql, aiosqlite (one dedicated connection; rawstore goes through its pool). Sizes:
RAWSTORE_BENCH_SCHEMA_ROWS threads in rs_threads (default 2,000), RAWSTORE_BENCH_SCHEMA_ROUNDS rounds (default 20).
Each server gets its own rawstore_schemabench_<pid> database, dropped at the end. Run with `-s` for the interleaved
summary (ms per call of each side, and their ratio raw / rawstore: above 1, rawstore is faster).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import selected_backends

import rawstore
from rawstore.bench import raw_connect
from rawstore.sqlfiles import STYLE, Dialect, data_dir, parse_sql_file
from tests import dbs

T = TypeVar("T")
SIDES = ("rawstore", "raw")


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


ROWS = _int_env("RAWSTORE_BENCH_SCHEMA_ROWS", 2_000)
ROUNDS = _int_env("RAWSTORE_BENCH_SCHEMA_ROUNDS", 20)

# The same DDL the kit's templates produce for the benchmark's index, per dialect.
CREATE = {
    "postgres": 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{n}" ON "public"."rs_threads" USING btree'
    ' ("tenant_id", "resource_id", "updated_at" DESC)',
    "mysql": "CREATE INDEX `{n}` ON `rs_threads` (`tenant_id`, `resource_id`, `updated_at` DESC) USING btree LOCK=NONE",
    "sqlite": 'CREATE INDEX IF NOT EXISTS "{n}" ON "rs_threads" ("tenant_id", "resource_id", "updated_at" DESC)',
}
DROP = {
    "postgres": 'DROP INDEX CONCURRENTLY IF EXISTS "public"."{n}"',
    "mysql": "ALTER TABLE `rs_threads` DROP INDEX `{n}`, LOCK=NONE",
    "sqlite": 'DROP INDEX IF EXISTS "{n}"',
}
COLUMNS = ["tenant_id", "resource_id", "updated_at DESC"]


class Raw:
    """The raw driver sending the kit's own catalog SQL and the same DDL."""

    def __init__(self, dialect: Dialect, conn: Any) -> None:
        self.dialect = dialect
        self.conn = conn
        path = data_dir("sql") / dialect / "schema.sql"
        self.queries = parse_sql_file(path.read_text("utf-8"), "schema", dialect, str(path), '"public".')

    async def fetch(self, name: str, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        sql, args = self.queries[f"schema.{name}"].compiled.render(values, STYLE[self.dialect])
        if self.dialect == "postgres":
            return [tuple(r) for r in await self.conn.fetch(sql, *args)]
        if self.dialect == "mysql":
            async with self.conn.cursor() as cur:
                await cur.execute(sql, args)
                return list(await cur.fetchall())
        async with self.conn.execute(sql, args) as cur:
            return list(await cur.fetchall())

    async def execute(self, sql: str) -> None:
        if self.dialect == "postgres":
            await self.conn.execute(sql)
        elif self.dialect == "mysql":
            async with self.conn.cursor() as cur:
                await cur.execute(sql)
        else:
            await self.conn.execute(sql)

    async def list_indexes(self) -> int:
        rows = await self.fetch("indexes", {"table": None, "name": None})
        sizes = {(r[1], r[0]): r[2] for r in await self.fetch("index_sizes", {"table": None, "name": None})}
        return len([(*r, sizes.get((r[1], r[0]))) for r in rows])

    async def describe_index(self, name: str) -> int:
        rows = await self.fetch("indexes", {"table": None, "name": name})
        sizes = await self.fetch("index_sizes", {"table": None, "name": name})
        use = await self.fetch("index_use", {"table": rows[0][1], "name": name})
        return len(rows) + len(sizes) + len(use)

    async def create_drop(self, name: str) -> None:
        await self.execute(CREATE[self.dialect].format(n=name))
        await self.execute(DROP[self.dialect].format(n=name))


class SchemaBench:
    def __init__(self, backend: str, store: rawstore.Store, raw: Raw, runner: asyncio.Runner) -> None:
        self.backend = backend
        self.store = store
        self.raw = raw
        self.runner = runner

    def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        return self.runner.run(fn())

    async def list_indexes(self, side: str) -> int:
        if side == "raw":
            return await self.raw.list_indexes()
        return len(await self.store.schema.list_indexes())

    async def describe_index(self, side: str) -> int:
        if side == "raw":
            return await self.raw.describe_index("rs_threads_resource_created_idx")
        return len((await self.store.schema.describe_index("rs_threads_resource_created_idx")).columns)

    async def create_drop(self, side: str) -> None:
        if side == "raw":
            await self.raw.create_drop("rs_bench_raw_idx")
            return
        await self.store.schema.create_index("rs_bench_kit_idx", "rs_threads", COLUMNS)
        await self.store.schema.drop_index("rs_bench_kit_idx")


@pytest.fixture(scope="module", params=selected_backends())
def schemabench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchemaBench]:
    backend = str(request.param)
    name = f"rawstore_schemabench_{os.getpid()}"
    folder: Path = tmp_path_factory.mktemp("schemabench")
    url = dbs.create_database(backend, name, folder)
    rawstore.migrate(url)
    runner = asyncio.Runner()

    async def open_all() -> tuple[rawstore.Store, Any]:
        store = await rawstore.connect(url, max_size=4)
        async with store.transaction() as tx:
            for i in range(0, ROWS, 500):
                for j in range(i, min(ROWS, i + 500)):
                    await tx.memory.save_thread(rawstore.Thread(f"t{j:06d}", resource_id=f"r{j % 50}"))
        await store.schema.analyze()
        return store, await raw_connect(url)

    store, conn = runner.run(open_all())
    dialect: Dialect = store.dialect
    try:
        yield SchemaBench(backend, store, Raw(dialect, conn), runner)
    finally:
        runner.run(store.close())
        close = conn.close()
        if asyncio.iscoroutine(close):
            runner.run(close)
        runner.close()
        if backend != "sqlite":
            dbs.create_database(backend, name, folder, drop_only=True)


def test_both_sides_do_the_same_work(schemabench: SchemaBench) -> None:
    bench = schemabench

    async def check() -> None:
        assert await bench.list_indexes("rawstore") == await bench.list_indexes("raw")
        await bench.create_drop("rawstore")
        await bench.create_drop("raw")
        names = {i.name for i in await bench.store.schema.list_indexes()}
        assert not {"rs_bench_kit_idx", "rs_bench_raw_idx"} & names

    bench.run(check)


@pytest.mark.parametrize("side", SIDES)
def test_list_indexes(benchmark: Any, schemabench: SchemaBench, side: str) -> None:
    bench = schemabench
    benchmark.group = f"schema list_indexes [{bench.backend}]"
    benchmark.pedantic(bench.run, args=(lambda: bench.list_indexes(side),), rounds=ROUNDS, warmup_rounds=1)


@pytest.mark.parametrize("side", SIDES)
def test_describe_index(benchmark: Any, schemabench: SchemaBench, side: str) -> None:
    bench = schemabench
    benchmark.group = f"schema describe_index [{bench.backend}]"
    benchmark.pedantic(bench.run, args=(lambda: bench.describe_index(side),), rounds=ROUNDS, warmup_rounds=1)


@pytest.mark.parametrize("side", SIDES)
def test_create_drop(benchmark: Any, schemabench: SchemaBench, side: str) -> None:
    bench = schemabench
    benchmark.group = f"schema create_index + drop_index, {ROWS:,} rows [{bench.backend}]"
    benchmark.pedantic(bench.run, args=(lambda: bench.create_drop(side),), rounds=ROUNDS, warmup_rounds=1)


def test_schema_summary(schemabench: SchemaBench) -> None:
    """Both sides interleaved call by call; prints each side's best and median call and the ratio raw / rawstore."""
    bench = schemabench

    async def measure(op: Callable[[str], Awaitable[Any]], times: int) -> dict[str, list[float]]:
        spent: dict[str, list[float]] = {s: [] for s in SIDES}
        for _ in range(times):
            for side in SIDES:
                t = time.perf_counter()
                await op(side)
                spent[side].append(time.perf_counter() - t)
        return spent

    lines = []
    for what, op, times in (
        ("list_indexes", bench.list_indexes, ROUNDS * 5),
        ("describe_index", bench.describe_index, ROUNDS * 5),
        (f"create_index + drop_index ({ROWS:,} rows)", bench.create_drop, ROUNDS),
    ):
        got = bench.run(lambda op=op, times=times: measure(op, times))  # type: ignore[misc]
        best = {s: min(v) * 1000 for s, v in got.items()}
        med = {s: statistics.median(v) * 1000 for s, v in got.items()}
        lines.append(
            f"{what:<40} best: rawstore {best['rawstore']:8.2f} ms, raw {best['raw']:8.2f} ms,"
            f" ratio {best['raw'] / best['rawstore']:.2f} | median: rawstore {med['rawstore']:8.2f} ms,"
            f" raw {med['raw']:8.2f} ms, ratio {med['raw'] / med['rawstore']:.2f}"
        )
    print(f"\n[{bench.backend}] store.schema\n  " + "\n  ".join(lines))

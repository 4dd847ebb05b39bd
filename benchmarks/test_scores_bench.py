"""`store.scores` read paths, each timed next to the raw driver doing the same work on the same rows.

Per database (sqlite, postgres, mysql among RAWSTORE_TEST_DBS) the module loads `SCORES` scores of one scorer (across
10 entities, LIVE and TEST, with Mastra-sized JSON: ~300-byte output and input, a scorer description, a reason), with
`store.scores.save_many` in batches of 1,000, then refreshes planner statistics (PostgreSQL: VACUUM ANALYZE, which
also sets the visibility map that index-only scans need; MariaDB: ANALYZE TABLE; SQLite: ANALYZE). Measured:

- `list_by_scorer` page 1 and a deep page (at 90% of the list; page 900 of 1,000 at 100,000 scores), limit 100,
  newest first. Rawstore follows its own cursor; the raw side runs the hand-written keyset query (the hybrid predicate
  `created_at <= :ts AND (created_at < :ts OR id < :id)` on the same index, limit+1 rows to know whether a next page
  exists) and decodes what rawstore decodes: every JSON column with msgspec, timestamps to aware UTC datetimes.
- `stats` of the scorer over all its scores: rawstore's one aggregate query next to the raw
  `SELECT count(*), avg(score), min(score), max(score) ... WHERE tenant_id = ? AND scorer_id = ?`.

The raw side is one dedicated connection of the plain driver (asyncpg, aiomysql, aiosqlite), with no validation, no
pool and no query objects. `test_scores_summary` runs both sides interleaved and prints each figure and its ratio.

Sizes: RAWSTORE_BENCH_SCORES scores (default 5,000, small enough for `.ci/run`; the issue's figures are at 100,000),
RAWSTORE_BENCH_SCORE_ROUNDS rounds (default 20). Each server gets its own rawstore_scorebench_<pid> database, dropped
at the end; a missing server skips locally and fails under CI=true, as in the test suite.
"""

from __future__ import annotations

import asyncio
import gc
import math
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import msgspec
import pytest

import rawstore
from rawstore import Store
from rawstore.bench import raw_connect
from rawstore.scores import Score, ScoreStats
from rawstore.url import parse_url
from tests import dbs

T = TypeVar("T")
Side = Literal["rawstore", "raw"]
SIDES: tuple[Side, Side] = ("rawstore", "raw")
BACKENDS = ("sqlite", "postgres", "mysql")
PAGE_SIZE = 100
DEEP_FRACTION = 0.9
PAGES_PER_ROUND = 10
TENANT = "scorebench"
SCORER = "answer-relevancy"
BASE_TS = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise pytest.UsageError(f"{name} must be a positive integer, got {raw!r}")
    return value


SCORES = _int_env("RAWSTORE_BENCH_SCORES", 5_000)
ROUNDS = _int_env("RAWSTORE_BENCH_SCORE_ROUNDS", 20)

_decode = msgspec.json.decode

COLS = (
    "id, scorer_id, run_id, entity_id, score, output, source, scorer, entity_type, entity, trace_id, span_id, "
    "resource_id, thread_id, reason, input, metadata, additional_context, request_context, preprocess_step_result, "
    "analyze_step_result, preprocess_prompt, analyze_prompt, generate_score_prompt, generate_reason_prompt, "
    "created_at, updated_at"
)
_JSON_AT = (5, 7, 9, 15, 16, 17, 18, 19, 20)
PG_COLS = ", ".join(f"{c}::text" if i in _JSON_AT else c for i, c in enumerate(COLS.split(", ")))


def make_scores(n: int) -> list[Score]:
    """Scores shaped like a Mastra LLM scorer's: JSON input/output of ~300 bytes, a reason, a scorer description."""
    out: list[Score] = []
    for i in range(n):
        entity = f"agent-{i % 10}"
        out.append(
            Score(
                "",
                SCORER,
                f"run-{i // 4:06d}",
                entity,
                (i * 37 % 101) / 100,
                {"text": f"Answer {i}: the capital of France is Paris — naïve ✓ " + "lorem ipsum " * 18},
                "TEST" if i % 10 == 0 else "LIVE",
                {"id": SCORER, "name": "Answer relevancy", "description": "Judges relevance", "judge": "gpt-4o-mini"},
                "AGENT",
                {"id": entity, "name": f"Support agent {i % 10}"},
                trace_id=f"{i // 4:032x}",
                span_id=f"{i:016x}",
                resource_id=f"user-{i % 50}",
                thread_id=f"thread-{i // 20}",
                reason=f"The answer addresses the question directly ({i}); " + "it stays on topic. " * 4,
                input=[{"role": "user", "content": f"What is the capital of France? ({i})" + " please" * 20}],
                metadata={"experiment": None, "latency_ms": i % 900},
                created_at=BASE_TS + timedelta(milliseconds=i * 7),
                updated_at=BASE_TS + timedelta(milliseconds=i * 7),
            )
        )
    return out


# -- the raw side -------------------------------------------------------------------------------------------------


def _row(r: Sequence[Any], ts: Callable[[Any], datetime]) -> tuple[Any, ...]:
    """One score row as a hand-written layer hands it back: JSON decoded, timestamps aware UTC."""
    out = list(r)
    for i in _JSON_AT:
        v = out[i]
        if v is not None:
            out[i] = _decode(v)
    out[25] = ts(out[25])
    out[26] = ts(out[26])
    return tuple(out)


def _pg_ts(v: datetime) -> datetime:
    return v


def _my_ts(v: datetime) -> datetime:
    return v.replace(tzinfo=UTC)


def _lite_ts(v: str) -> datetime:
    return datetime.fromisoformat(v + "+00:00")


def _lite_out(v: datetime) -> str:
    return v.astimezone(UTC).isoformat(" ", "microseconds")[:26]


class Raw:
    """One plain driver connection running the hand-written queries."""

    def __init__(self, backend: str, url: str) -> None:
        self.backend = backend
        self.url = url
        self.conn: Any = None
        self.tenant_id = TENANT

    async def open(self) -> None:
        self.conn = await raw_connect(self.url)

    async def close(self) -> None:
        if self.conn is not None:
            if self.backend == "mysql":
                self.conn.close()
            else:
                await self.conn.close()
            self.conn = None

    async def page(self, after: tuple[datetime, str] | None, limit: int) -> list[tuple[Any, ...]]:
        """Up to `limit` scores of the scorer, newest first, strictly before `after` (or from the newest)."""
        ts, sid = after or (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "\U0010ffff" * 2)
        t = self.tenant_id
        if self.backend == "postgres":
            rows = await self.conn.fetch(
                f"SELECT {PG_COLS} FROM rs_scores WHERE tenant_id = $1 AND scorer_id = $2 "
                "AND created_at <= $3 AND (created_at < $3 OR id < $4) ORDER BY created_at DESC, id DESC LIMIT $5",
                t,
                SCORER,
                ts,
                sid,
                limit,
            )
            return [_row(r, _pg_ts) for r in rows]
        if self.backend == "mysql":
            naive = ts.astimezone(UTC).replace(tzinfo=None)
            async with self.conn.cursor() as cur:
                await cur.execute(
                    f"SELECT {COLS} FROM rs_scores FORCE INDEX (rs_scores_scorer_idx) WHERE tenant_id = %s "
                    "AND scorer_id = %s AND created_at <= %s AND (created_at < %s OR id < %s) "
                    "ORDER BY created_at DESC, id DESC LIMIT %s",
                    (t, SCORER, naive, naive, sid, limit),
                )
                rows = await cur.fetchall()
            return [_row(r, _my_ts) for r in rows]
        rows = await self.conn.execute_fetchall(
            f"SELECT {COLS} FROM rs_scores WHERE tenant_id = ?1 AND scorer_id = ?2 "
            "AND created_at <= ?3 AND (created_at < ?3 OR id < ?4) ORDER BY created_at DESC, id DESC LIMIT ?5",
            (t, SCORER, _lite_out(ts), sid, limit),
        )
        return [_row(r, _lite_ts) for r in rows]

    async def stats(self) -> tuple[Any, ...]:
        sql = (
            "SELECT count(*), avg(score), min(score), max(score) FROM rs_scores WHERE tenant_id = {} AND scorer_id = {}"
        )
        if self.backend == "postgres":
            row = await self.conn.fetchrow(sql.format("$1", "$2"), self.tenant_id, SCORER)
            return tuple(row)
        if self.backend == "mysql":
            async with self.conn.cursor() as cur:
                await cur.execute(sql.format("%s", "%s"), (self.tenant_id, SCORER))
                return tuple(await cur.fetchone())
        rows = await self.conn.execute_fetchall(sql.format("?", "?"), (self.tenant_id, SCORER))
        return tuple(rows[0])

    async def analyze(self) -> None:
        if self.backend == "postgres":
            await self.conn.execute("VACUUM ANALYZE rs_scores")
        elif self.backend == "mysql":
            async with self.conn.cursor() as cur:
                await cur.execute("ANALYZE TABLE rs_scores")
                await cur.fetchall()
        else:
            await self.conn.execute_fetchall("ANALYZE")
            await self.conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")


# -- the fixture --------------------------------------------------------------------------------------------------


@dataclass
class Point:
    """Where a measured page starts: rawstore's cursor and the raw side's (created_at, id)."""

    number: int
    cursor: str | None
    after: tuple[datetime, str] | None


@dataclass
class ScoreBench:
    backend: str
    store: Store
    raw: Raw
    runner: asyncio.Runner
    first: Point
    deep: Point

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            with rawstore.tenant(TENANT):
                return await make()

        return self.runner.run(call())

    def page_op(self, side: Side, point: Point) -> Callable[[], Awaitable[object]]:
        if side == "rawstore":
            scores, cursor = self.store.scores, point.cursor
            return lambda: scores.list_by_scorer(SCORER, limit=PAGE_SIZE, cursor=cursor)
        raw, after = self.raw, point.after
        return lambda: raw.page(after, PAGE_SIZE + 1)

    def stats_op(self, side: Side) -> Callable[[], Awaitable[object]]:
        if side == "rawstore":
            scores = self.store.scores
            return lambda: scores.stats(SCORER)
        return self.raw.stats

    async def repeat(self, op: Callable[[], Awaitable[object]], times: int) -> float:
        """Seconds for `times` sequential calls."""
        gc.collect()
        t = time.perf_counter()
        for _ in range(times):
            await op()
        return time.perf_counter() - t


async def _prepare(url: str, backend: str) -> tuple[Store, Raw, Point, Point]:
    store = await rawstore.connect(url)
    raw = Raw(backend, url)
    await raw.open()
    scores = make_scores(SCORES)
    with rawstore.tenant(TENANT):
        for i in range(0, len(scores), 1000):
            await store.scores.save_many(scores[i : i + 1000])
    await raw.analyze()
    pages = max(1, math.ceil(SCORES / PAGE_SIZE))
    deep_number = max(1, min(pages, round(DEEP_FRACTION * pages)))
    first = Point(1, None, None)
    deep = first
    cursor: str | None = None
    after: tuple[datetime, str] | None = None
    with rawstore.tenant(TENANT):
        for number in range(1, deep_number + 1):
            if number == deep_number:
                deep = Point(number, cursor, after)
                break
            page = await store.scores.list_by_scorer(SCORER, limit=PAGE_SIZE, cursor=cursor)
            cursor, after = page.next_cursor, (page.items[-1].created_at, page.items[-1].id)
    return store, raw, first, deep


@pytest.fixture(scope="module", params=[b for b in dbs.selected() if b in BACKENDS])
def scorebench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScoreBench]:
    backend = str(request.param)
    name = f"rawstore_scorebench_{os.getpid()}"
    folder: Path = tmp_path_factory.mktemp("scorebench")
    url = dbs.create_database(backend, name, folder)  # fails under CI=true when the server is unreachable
    rawstore.migrate(url)
    assert parse_url(url).dialect in ("postgres", "mysql", "sqlite")
    runner = asyncio.Runner()
    store, raw, first, deep = runner.run(_prepare(url, backend))
    try:
        yield ScoreBench(backend, store, raw, runner, first, deep)
    finally:
        try:
            runner.run(raw.close())
            runner.run(store.close())
        finally:
            runner.close()
            if backend != "sqlite":
                dbs.create_database(backend, name, folder, drop_only=True)


# -- the measurements ---------------------------------------------------------------------------------------------


def test_both_sides_read_the_same_scores(scorebench: ScoreBench) -> None:
    """The timings compare the same work: the same page rows and the same statistics."""
    for point in (scorebench.first, scorebench.deep):
        kit = scorebench.run(scorebench.page_op("rawstore", point))
        raw = scorebench.run(scorebench.page_op("raw", point))
        assert isinstance(kit, rawstore.Page) and isinstance(raw, list)
        assert [s.id for s in kit.items] == [r[0] for r in raw[:PAGE_SIZE]]
        assert kit.has_more == (len(raw) > PAGE_SIZE)
        for s, r in zip(kit.items, raw, strict=False):
            assert (s.score, s.output, s.scorer, s.input, s.metadata, s.created_at) == (
                r[4],
                r[5],
                r[7],
                r[15],
                r[16],
                r[25],
            )
    kit_stats = scorebench.run(scorebench.stats_op("rawstore"))
    raw_stats = scorebench.run(scorebench.stats_op("raw"))
    assert isinstance(kit_stats, ScoreStats)
    assert kit_stats.count == raw_stats[0] == SCORES
    assert (kit_stats.min, kit_stats.max) == (raw_stats[2], raw_stats[3])
    assert kit_stats.mean == pytest.approx(float(raw_stats[1]), rel=1e-9)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("where", ["first", "deep"])
def test_list_by_scorer_page(benchmark: Any, scorebench: ScoreBench, side: Side, where: str) -> None:
    point = scorebench.first if where == "first" else scorebench.deep
    benchmark.group = (
        f"{scorebench.backend}: scores.list_by_scorer page {point.number} of {SCORES:,} scores "
        f"(limit {PAGE_SIZE}) x{PAGES_PER_ROUND}"
    )
    benchmark.extra_info.update(side=side, page=point.number, per_round=PAGES_PER_ROUND)
    op = scorebench.page_op(side, point)
    benchmark.pedantic(
        scorebench.run, args=(lambda: scorebench.repeat(op, PAGES_PER_ROUND),), rounds=ROUNDS, warmup_rounds=1
    )


@pytest.mark.parametrize("side", SIDES)
def test_stats(benchmark: Any, scorebench: ScoreBench, side: Side) -> None:
    benchmark.group = f"{scorebench.backend}: scores.stats over {SCORES:,} scores"
    benchmark.extra_info.update(side=side, scores=SCORES)
    op = scorebench.stats_op(side)
    benchmark.pedantic(scorebench.run, args=(lambda: scorebench.repeat(op, 1),), rounds=ROUNDS, warmup_rounds=1)


def test_scores_summary(scorebench: ScoreBench, capsys: pytest.CaptureFixture[str]) -> None:
    """Both sides interleaved, round by round; prints the median time per call of each and the ratios."""
    rounds = max(3, ROUNDS)
    ops: dict[str, tuple[int, dict[Side, Callable[[], Awaitable[object]]]]] = {
        "page 1": (PAGES_PER_ROUND, {s: scorebench.page_op(s, scorebench.first) for s in SIDES}),
        f"page {scorebench.deep.number}": (PAGES_PER_ROUND, {s: scorebench.page_op(s, scorebench.deep) for s in SIDES}),
        "stats": (1, {s: scorebench.stats_op(s) for s in SIDES}),
    }
    med: dict[str, dict[Side, float]] = {}
    best: dict[str, dict[Side, float]] = {}
    for label, (per_round, by_side) in ops.items():
        seconds: dict[Side, list[float]] = {"rawstore": [], "raw": []}
        scorebench.run(lambda by_side=by_side: scorebench.repeat(by_side["rawstore"], 1))  # type: ignore[misc]
        for _ in range(rounds):
            for side in SIDES:
                op = by_side[side]
                t = scorebench.run(lambda op=op, n=per_round: scorebench.repeat(op, n))  # type: ignore[misc]
                seconds[side].append(t / per_round)
        med[label] = {side: statistics.median(seconds[side]) for side in SIDES}
        best[label] = {side: min(seconds[side]) for side in SIDES}
    lines = [
        f"\n{scorebench.backend}: store.scores over {SCORES:,} scores of one scorer, ms per call, median (best) of"
        f" {rounds} interleaved rounds"
    ]
    for label, m in med.items():
        b = best[label]
        lines.append(
            f"  {label:>10}: rawstore {m['rawstore'] * 1000:8.3f} ({b['rawstore'] * 1000:7.3f}),"
            f" raw driver {m['raw'] * 1000:8.3f} ({b['raw'] * 1000:7.3f}),"
            f" ratio {m['rawstore'] / m['raw']:.2f} ({b['rawstore'] / b['raw']:.2f})"
        )
    deep = f"page {scorebench.deep.number}"
    lines.append(
        f"  deep/first: rawstore {med[deep]['rawstore'] / med['page 1']['rawstore']:.2f}"
        f" ({best[deep]['rawstore'] / best['page 1']['rawstore']:.2f}),"
        f" raw {med[deep]['raw'] / med['page 1']['raw']:.2f} ({best[deep]['raw'] / best['page 1']['raw']:.2f})"
    )
    with capsys.disabled():
        print("\n".join(lines))

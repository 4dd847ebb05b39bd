"""`rawstore bench`'s spans suite: `store.spans` hot paths timed next to the raw driver doing the same work.

As in `rawstore.bench`, both sides run in one process on one database, interleaved batch by batch (or call by
call), under one tenant of the run's own, and the run deletes its rows at the end. The raw side is a careful
hand-written layer on the same driver and tables: JSON encoded and decoded with msgspec, timestamps as aware UTC
datetimes, token counts read out of the attributes, no validation, no pool, no query objects. Its writes take the
fastest path of each driver: COPY on PostgreSQL (asyncpg `copy_records_to_table`), aiomysql executemany (rewritten
into multi-row INSERTs), stdlib sqlite3 executemany; its span ends are the same partial UPDATE per span (asyncpg
and sqlite3 executemany, aiomysql executemany: one statement per span), with PostgreSQL's and MariaDB's
one-statement forms (`UPDATE … FROM unnest`, `UPDATE … JOIN JSON_TABLE`) timed as well.

Workload (sizes from `SpanBench`):
- create_many: `spans` spans per side in batches of 1,000, traces of four (an agent run and three children), every
  span with 1-4 kB of input and 1-4 kB of output JSON;
- update_many: the end of every one of those spans (ended_at, a 1-4 kB output, attributes with token usage, an error
  on one in fifty), batches of 1,000;
- get_trace of a `trace_size`-span trace;
- list_traces page 1 and the page `deep_page` pages in (20 roots a page) among `traces` traces (the two sides'
  traces plus single-span traces added untimed), and page 1 with summaries.
"""

from __future__ import annotations

import abc
import asyncio
import gc
import random
import secrets
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import msgspec

from .bench import (
    SIDES,
    SPAN_TRACE_SIZE,
    BenchMismatch,
    Report,
    Side,
    _interleaved,
    _LogProgress,
    depth_figures,
    raw_connect,
    raw_sqlite,
)
from .bench_progress import PlainProgress, Progress
from .bench_report import rate_figure, time_figure
from .spans import Span, SpanUpdate
from .sqlfiles import Dialect
from .store import Store, connect
from .tenancy import tenant
from .timeutil import MAX_TS
from .url import parse_url

BATCH = 1000
PAGE = 20
SPANS_PER_TRACE = 4
BASE_TS = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_MAX_ID = "\U0010ffff" * 2

_encode = msgspec.json.encode
_decode = msgspec.json.decode

# The columns every raw write names, in this order.
COLS = (
    "tenant_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "span_type",
    "started_at",
    "ended_at",
    "is_event",
    "input_tokens",
    "output_tokens",
    "entity_type",
    "entity_id",
    "entity_name",
    "resource_id",
    "thread_id",
    "run_id",
    "session_id",
    "created_at",
    "updated_at",
    "error",
    "scope",
    "tags",
    "links",
    "metadata",
    "attributes",
    "input",
    "output",
)
# What a raw read selects: the span's fields in Span's order (PostgreSQL: JSON as text).
_READ = (
    "trace_id, span_id, name, span_type, started_at, parent_span_id, ended_at, is_event, scope, attributes, metadata, "
    "links, input, output, error, entity_type, entity_id, entity_name, resource_id, thread_id, run_id, session_id, "
    "tags, created_at, updated_at"
)
_JSON_AT = (8, 9, 10, 11, 12, 13, 14, 22)  # positions of the JSON fields in _READ
_PG_READ = ", ".join(f"{c}::text" if i in _JSON_AT else c for i, c in enumerate(_READ.split(", ")))
_UPDATE_SET = ("ended_at", "output", "error", "attributes", "input_tokens", "output_tokens")

# A raw span as the raw side hands it back: the values of _READ, JSON decoded, plus a list of children.
RawSpan = list[Any]


# -- the data -----------------------------------------------------------------------------------------------------

_SENTENCE = (
    "the agent searched the knowledge base for «naïve» answers — 日本語 ✓ and found line "
    'C:\\logs\\run.txt with "status": ok so it summarised the result for the user in plain words'
)
_WORDS = _SENTENCE.split()


def _text(rng: random.Random, size: int) -> str:
    out: list[str] = []
    n = 0
    while n < size:
        w = rng.choice(_WORDS)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


def _blob(rng: random.Random, kind: str, size: int) -> Any:
    """A JSON value of about `size` bytes shaped like an LLM span's input (messages) or output (text, tool calls)."""
    if kind == "input":
        msgs = [{"role": "system", "content": _text(rng, 200)}]
        left = size - 260
        while left > 0:
            part = min(left, rng.randint(200, 900))
            msgs.append({"role": rng.choice(("user", "assistant")), "content": _text(rng, part)})
            left -= part + 40
        return {"messages": msgs, "options": {"temperature": 0.2, "maxTokens": 1024, "toolChoice": "auto"}}
    calls = [
        {"toolCallId": f"call_{rng.getrandbits(40):010x}", "toolName": "search", "args": {"q": _text(rng, 40)}}
        for _ in range(rng.randint(0, 2))
    ]
    return {"text": _text(rng, max(100, size - 150 - 90 * len(calls))), "toolCalls": calls, "finishReason": "stop"}


@dataclass
class Pool:
    """Pre-built JSON values of 1-4 kB (encoded), picked by index: generating them is no part of what is timed."""

    inputs: list[Any]
    outputs: list[Any]

    @classmethod
    def build(cls, n: int = 128, seed: int = 7) -> Pool:
        rng = random.Random(seed)
        return cls(
            [_blob(rng, "input", rng.randint(1024, 4096)) for _ in range(n)],
            [_blob(rng, "output", rng.randint(1024, 4096)) for _ in range(n)],
        )


_KINDS = (
    ("agent run: 'support-agent'", "agent_run"),
    ("llm: 'gpt-4o-mini'", "model_generation"),
    ("tool: 'search'", "tool_call"),
    ("llm: 'gpt-4o-mini'", "model_generation"),
)


def make_spans(pool: Pool, prefix: str, start: int, count: int, *, per_trace: int = SPANS_PER_TRACE) -> list[Span]:
    """Spans `start`..`start+count-1` of a side: trace i // per_trace, its first span the root and the others its
    children. Random OpenTelemetry-shaped ids (32 and 16 hex digits), the same for the same arguments."""
    out: list[Span] = []
    n_in, n_out = len(pool.inputs), len(pool.outputs)
    for i in range(start, start + count):
        k, pos = divmod(i, per_trace)
        rng = random.Random(f"{prefix}/{k}")
        trace_id = f"{rng.getrandbits(128):032x}"
        root_id = f"{rng.getrandbits(64):016x}"
        span_id = root_id if pos == 0 else f"{random.Random(f'{prefix}/{k}/{pos}').getrandbits(64):016x}"
        name, span_type = _KINDS[min(pos, 3)] if pos < 4 else _KINDS[1 + pos % 3]
        started = BASE_TS + timedelta(microseconds=k * 1000 + pos * 10)
        agent = f"agent-{k % 5}"
        out.append(
            Span(
                trace_id,
                span_id,
                name,
                span_type,
                started,
                parent_span_id=None if pos == 0 else root_id,
                scope={"name": "@mastra/core", "version": "0.22.0"},
                attributes={"model": "gpt-4o-mini", "provider": "openai"} if pos % 2 else {"agentId": agent},
                metadata={"runId": f"run-{prefix}-{k}", "attempt": 1},
                input=pool.inputs[(i * 7) % n_in],
                output=pool.outputs[(i * 11) % n_out],
                entity_type="agent",
                entity_id=agent,
                entity_name="Support agent",
                resource_id=f"user-{k % 50}",
                thread_id=f"thread-{k % 500}",
                run_id=f"run-{prefix}-{k}",
                tags=["bench"] if pos == 0 else None,
            )
        )
    return out


def make_ends(pool: Pool, spans: Sequence[Span]) -> list[SpanUpdate]:
    """The end of each span: ended_at, a new output, usage counts on model spans, an error on one in fifty."""
    out: list[SpanUpdate] = []
    n_out = len(pool.outputs)
    for j, s in enumerate(spans):
        model = s.span_type == "model_generation"
        out.append(
            SpanUpdate(
                s.trace_id,
                s.span_id,
                ended_at=s.started_at + timedelta(milliseconds=200 + j % 700),
                output=pool.outputs[(j * 13 + 5) % n_out],
                attributes=(
                    {"model": "gpt-4o-mini", "usage": {"inputTokens": 300 + j % 900, "outputTokens": 40 + j % 200}}
                    if model
                    else None
                ),
                error={"message": "tool timed out", "id": "TOOL_TIMEOUT"} if j % 50 == 7 else None,
            )
        )
    return out


# -- the raw side -------------------------------------------------------------------------------------------------


def _tokens(attributes: Any) -> tuple[int, int]:
    """What a hand-written layer would read: usage (inputTokens/promptTokens, ...) or gen_ai.usage.*."""
    if not isinstance(attributes, dict):
        return 0, 0
    usage = attributes.get("usage")
    if isinstance(usage, dict):
        i = usage.get("inputTokens", usage.get("promptTokens"))
        o = usage.get("outputTokens", usage.get("completionTokens"))
    else:
        i = attributes.get("gen_ai.usage.input_tokens")
        o = attributes.get("gen_ai.usage.output_tokens")
    return (i if isinstance(i, int) else 0), (o if isinstance(o, int) else 0)


def _j(v: Any) -> str | None:
    return None if v is None else _encode(v).decode()


def _span_rows(tenant_id: str, spans: Sequence[Span], ts: Callable[[datetime], Any]) -> list[tuple[Any, ...]]:
    now = ts(datetime.now(UTC))
    rows = []
    for s in spans:
        n_in, n_out = _tokens(s.attributes)
        rows.append(
            (
                tenant_id,
                s.trace_id,
                s.span_id,
                s.parent_span_id,
                s.name,
                s.span_type,
                ts(s.started_at),
                None if s.ended_at is None else ts(s.ended_at),
                s.is_event,
                n_in,
                n_out,
                s.entity_type,
                s.entity_id,
                s.entity_name,
                s.resource_id,
                s.thread_id,
                s.run_id,
                s.session_id,
                now,
                now,
                _j(s.error),
                _j(s.scope),
                _j(s.tags),
                _j(s.links),
                _j(s.metadata),
                _j(s.attributes),
                _j(s.input),
                _j(s.output),
            )
        )
    return rows


def _end_rows(updates: Sequence[SpanUpdate], ts: Callable[[datetime], Any]) -> list[tuple[Any, ...]]:
    """(ended_at, output, error, attributes, input_tokens, output_tokens, trace_id, span_id) per update."""
    rows = []
    for u in updates:
        n_in, n_out = (None, None) if u.attributes is None else _tokens(u.attributes)
        rows.append(
            (
                None if u.ended_at is None else ts(u.ended_at),
                _j(u.output),
                _j(u.error),
                _j(u.attributes),
                n_in,
                n_out,
                u.trace_id,
                u.span_id,
            )
        )
    return rows


def _tree(spans: list[RawSpan]) -> list[RawSpan]:
    """Attach each span (a list ending with its children list) to its parent; the top-level spans."""
    by_id = {s[1]: s for s in spans}
    roots = []
    for s in spans:
        parent = by_id.get(s[5]) if s[5] is not None else None
        if parent is None:
            roots.append(s)
        else:
            parent[-1].append(s)
    return roots


def _same(v: datetime) -> datetime:
    return v


def _naive(v: datetime) -> datetime:
    return v.astimezone(UTC).replace(tzinfo=None)


def _lite_ts(v: datetime) -> str:
    return (v if v.tzinfo is UTC else v.astimezone(UTC)).isoformat(" ", "microseconds")[:26]


def _lite_dt(v: str) -> datetime:
    return datetime.fromisoformat(v + "+00:00")


def _aware(v: datetime) -> datetime:
    return v.replace(tzinfo=UTC)


class RawSpans(abc.ABC):
    """One dedicated connection of the plain driver, doing what store.spans does for each hot path."""

    dialect: Dialect
    # Alternative one-statement forms of the span-end update, timed for comparison: {label: method name}.
    update_variants: ClassVar[dict[str, str]] = {}

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    async def open(self) -> None:
        self.conn = await raw_connect(self.url)

    async def close(self) -> None:
        if self.conn is not None:
            await _close(self.conn)
            self.conn = None

    @abc.abstractmethod
    async def insert(self, tenant_id: str, spans: Sequence[Span]) -> None:
        """One batch of new spans in one transaction, by the driver's fastest path."""

    @abc.abstractmethod
    async def update(self, tenant_id: str, updates: Sequence[SpanUpdate]) -> int:
        """One batch of span ends in one transaction; the spans updated."""

    @abc.abstractmethod
    async def _rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]: ...

    def _decode(self, rows: list[Any]) -> list[RawSpan]:
        out = []
        ts = self._ts_in
        for r in rows:
            s = list(r)
            for i in _JSON_AT:
                if s[i] is not None:
                    s[i] = _decode(s[i])
            s[4] = ts(s[4])
            if s[6] is not None:
                s[6] = ts(s[6])
            s[7] = bool(s[7])
            s[23] = ts(s[23])
            s[24] = ts(s[24])
            s.append([])
            out.append(s)
        return out

    _ts_in: Callable[[Any], datetime] = staticmethod(_same)
    _ts_out: Callable[[datetime], Any] = staticmethod(_same)
    TRACE = ""
    PAGE = ""
    TOTALS = ""

    async def trace(self, tenant_id: str, trace_id: str) -> tuple[list[RawSpan], list[RawSpan]]:
        """(every span by (started_at, span_id), the top-level spans), children attached."""
        spans = self._decode(await self._rows(self.TRACE, (tenant_id, trace_id)))
        return spans, _tree(spans)

    async def page(self, tenant_id: str, after: tuple[datetime, str, str] | None, limit: int) -> list[RawSpan]:
        ts, tr, sp = after or (MAX_TS, _MAX_ID, _MAX_ID)
        return self._decode(await self._rows(self.PAGE, (tenant_id, self._ts_out(ts), tr, sp, limit)))

    async def totals(self, tenant_id: str, trace_ids: list[str]) -> dict[str, tuple[Any, ...]]:
        marks = ", ".join(["%s" if self.dialect == "mysql" else "?"] * len(trace_ids))
        sql = self.TOTALS.replace("{ids}", marks)
        rows = await self._rows(sql, (tenant_id, *trace_ids))
        ts = self._ts_in
        return {
            r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]), ts(r[6]), None if r[7] is None else ts(r[7]))
            for r in rows
        }

    @abc.abstractmethod
    async def analyze(self) -> None: ...

    @abc.abstractmethod
    async def purge(self, tenant_id: str) -> None: ...


async def _close(conn: Any) -> None:
    res = conn.close()
    if asyncio.iscoroutine(res):
        await res


_TOTALS = (
    "SELECT trace_id, count(*), count(error), sum(CASE WHEN ended_at IS NULL AND is_event = {false} THEN 1 ELSE 0 END),"
    " sum(input_tokens), sum(output_tokens), min(started_at), max(COALESCE(ended_at, started_at))"
    " FROM rs_ai_spans WHERE tenant_id = {p1} AND trace_id {in_ids} GROUP BY trace_id"
)


class _PgSpans(RawSpans):
    dialect = "postgres"
    TRACE = f"SELECT {_PG_READ} FROM rs_ai_spans WHERE tenant_id = $1 AND trace_id = $2 ORDER BY started_at, span_id"
    PAGE = (
        f"SELECT {_PG_READ} FROM rs_ai_spans WHERE tenant_id = $1 AND parent_span_id IS NULL "
        "AND started_at <= $2 AND (started_at < $2 OR trace_id < $3 OR (trace_id = $3 AND span_id < $4)) "
        "ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT $5"
    )
    TOTALS = _TOTALS.format(false="false", p1="$1", in_ids="= ANY($2)")
    UPDATE = (
        "UPDATE rs_ai_spans SET ended_at = COALESCE($1, ended_at), output = COALESCE($2::jsonb, output), "
        "error = COALESCE($3::jsonb, error), attributes = COALESCE($4::jsonb, attributes), "
        "input_tokens = COALESCE($5, input_tokens), output_tokens = COALESCE($6, output_tokens), updated_at = $9 "
        "WHERE tenant_id = $10 AND trace_id = $7 AND span_id = $8"
    )
    UNNEST_UPDATE = (
        "UPDATE rs_ai_spans AS s SET ended_at = COALESCE(u.e, s.ended_at), output = COALESCE(u.o::jsonb, s.output), "
        "error = COALESCE(u.er::jsonb, s.error), attributes = COALESCE(u.a::jsonb, s.attributes), "
        "input_tokens = COALESCE(u.it, s.input_tokens), output_tokens = COALESCE(u.ot, s.output_tokens), "
        "updated_at = $9 FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], "
        "$7::text[], $8::text[]) AS u(e, o, er, a, it, ot, tr, sp) "
        "WHERE s.tenant_id = $10 AND s.trace_id = u.tr AND s.span_id = u.sp"
    )
    update_variants: ClassVar[dict[str, str]] = {"UPDATE … FROM unnest, one statement": "update_unnest"}

    async def _rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        return list(await self.conn.fetch(sql, *args))

    async def totals(self, tenant_id: str, trace_ids: list[str]) -> dict[str, tuple[Any, ...]]:
        rows = await self.conn.fetch(self.TOTALS, tenant_id, trace_ids)
        return {r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]), r[6], r[7]) for r in rows}

    async def insert(self, tenant_id: str, spans: Sequence[Span]) -> None:
        rows = _span_rows(tenant_id, spans, _same)
        async with self.conn.transaction():
            await self.conn.copy_records_to_table("rs_ai_spans", records=rows, columns=COLS)

    async def update(self, tenant_id: str, updates: Sequence[SpanUpdate]) -> int:
        now = datetime.now(UTC)
        rows = [(*r, now, tenant_id) for r in _end_rows(updates, _same)]
        async with self.conn.transaction():
            await self.conn.executemany(self.UPDATE, rows)
        return len(rows)

    async def update_unnest(self, tenant_id: str, updates: Sequence[SpanUpdate]) -> int:
        cols = [list(c) for c in zip(*_end_rows(updates, _same), strict=True)]
        async with self.conn.transaction():
            status = await self.conn.execute(self.UNNEST_UPDATE, *cols, datetime.now(UTC), tenant_id)
        return int(status.rsplit(" ", 1)[-1])

    async def analyze(self) -> None:
        await self.conn.execute("VACUUM ANALYZE rs_ai_spans")

    async def purge(self, tenant_id: str) -> None:
        await self.conn.execute("DELETE FROM rs_ai_spans WHERE tenant_id = $1", tenant_id)


class _MySpans(RawSpans):
    dialect = "mysql"
    _ts_in = staticmethod(_aware)
    _ts_out = staticmethod(_naive)
    INSERT = f"INSERT INTO rs_ai_spans ({', '.join(COLS)}) VALUES ({', '.join(['%s'] * len(COLS))})"
    TRACE = f"SELECT {_READ} FROM rs_ai_spans WHERE tenant_id = %s AND trace_id = %s ORDER BY started_at, span_id"
    PAGE = (
        f"SELECT {_READ} FROM rs_ai_spans FORCE INDEX (rs_ai_spans_roots_idx) WHERE tenant_id = %s AND is_root = 1 "
        "AND started_at <= %s AND (started_at < %s OR trace_id < %s OR (trace_id = %s AND span_id < %s)) "
        "ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT %s"
    )
    TOTALS = _TOTALS.format(false="0", p1="%s", in_ids="IN ({ids})")
    UPDATE = (
        "UPDATE rs_ai_spans SET ended_at = COALESCE(%s, ended_at), output = COALESCE(%s, output), "
        "error = COALESCE(%s, error), attributes = COALESCE(%s, attributes), "
        "input_tokens = COALESCE(%s, input_tokens), output_tokens = COALESCE(%s, output_tokens), updated_at = %s "
        "WHERE tenant_id = %s AND trace_id = %s AND span_id = %s"
    )
    JSON_UPDATE = (
        "UPDATE rs_ai_spans AS s JOIN JSON_TABLE(%s, '$[*]' COLUMNS (e DATETIME(6) PATH '$[0]', o JSON PATH '$[1]', "
        "er JSON PATH '$[2]', a JSON PATH '$[3]', it BIGINT PATH '$[4]', ot BIGINT PATH '$[5]', "
        "tr VARCHAR(128) PATH '$[6]', sp VARCHAR(128) PATH '$[7]')) AS u "
        "ON s.tenant_id = %s AND s.trace_id = u.tr COLLATE utf8mb4_nopad_bin AND s.span_id = u.sp COLLATE "
        "utf8mb4_nopad_bin SET s.ended_at = COALESCE(u.e, s.ended_at), s.output = COALESCE(NULLIF(u.o, 'null'), "
        "s.output), s.error = COALESCE(NULLIF(u.er, 'null'), s.error), s.attributes = COALESCE(NULLIF(u.a, 'null'), "
        "s.attributes), s.input_tokens = COALESCE(u.it, s.input_tokens), s.output_tokens = COALESCE(u.ot, "
        "s.output_tokens), s.updated_at = %s"
    )
    update_variants: ClassVar[dict[str, str]] = {"UPDATE … JOIN JSON_TABLE, one statement": "update_json_table"}

    async def _rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        async with self.conn.cursor() as cur:
            await cur.execute(sql, args)
            return list(await cur.fetchall())

    async def page(self, tenant_id: str, after: tuple[datetime, str, str] | None, limit: int) -> list[RawSpan]:
        ts, tr, sp = after or (MAX_TS, _MAX_ID, _MAX_ID)
        naive = _naive(ts)
        return self._decode(await self._rows(self.PAGE, (tenant_id, naive, naive, tr, tr, sp, limit)))

    async def insert(self, tenant_id: str, spans: Sequence[Span]) -> None:
        rows = _span_rows(tenant_id, spans, _naive)
        await self.conn.begin()
        try:
            async with self.conn.cursor() as cur:
                await cur.executemany(self.INSERT, rows)
            await self.conn.commit()
        except BaseException:
            await self.conn.rollback()
            raise

    async def update(self, tenant_id: str, updates: Sequence[SpanUpdate]) -> int:
        now = _naive(datetime.now(UTC))
        rows = [(*r[:6], now, tenant_id, r[6], r[7]) for r in _end_rows(updates, _naive)]
        await self.conn.begin()
        try:
            async with self.conn.cursor() as cur:
                await cur.executemany(self.UPDATE, rows)
                n = int(cur.rowcount)
            await self.conn.commit()
        except BaseException:
            await self.conn.rollback()
            raise
        return n

    async def update_json_table(self, tenant_id: str, updates: Sequence[SpanUpdate]) -> int:
        doc = [
            [
                None if u.ended_at is None else _naive(u.ended_at).isoformat(" "),
                None if u.output is None else msgspec.Raw(_encode(u.output)),
                None if u.error is None else msgspec.Raw(_encode(u.error)),
                None if u.attributes is None else msgspec.Raw(_encode(u.attributes)),
                *((None, None) if u.attributes is None else _tokens(u.attributes)),
                u.trace_id,
                u.span_id,
            ]
            for u in updates
        ]
        await self.conn.begin()
        try:
            async with self.conn.cursor() as cur:
                n = int(
                    await cur.execute(self.JSON_UPDATE, (_encode(doc).decode(), tenant_id, _naive(datetime.now(UTC))))
                )
            await self.conn.commit()
        except BaseException:
            await self.conn.rollback()
            raise
        return n

    async def analyze(self) -> None:
        await self._rows("ANALYZE TABLE rs_ai_spans", ())

    async def purge(self, tenant_id: str) -> None:
        async with self.conn.cursor() as cur:
            await cur.execute("DELETE FROM rs_ai_spans WHERE tenant_id = %s", (tenant_id,))


class _LiteSpans(RawSpans):
    """Writes through the stdlib sqlite3 module (no worker thread), reads through aiosqlite."""

    dialect = "sqlite"
    _ts_in = staticmethod(_lite_dt)
    _ts_out = staticmethod(_lite_ts)
    INSERT = f"INSERT INTO rs_ai_spans ({', '.join(COLS)}) VALUES ({', '.join(['?'] * len(COLS))})"
    TRACE = f"SELECT {_READ} FROM rs_ai_spans WHERE tenant_id = ? AND trace_id = ? ORDER BY started_at, span_id"
    PAGE = (
        f"SELECT {_READ} FROM rs_ai_spans WHERE tenant_id = ?1 AND parent_span_id IS NULL "
        "AND started_at <= ?2 AND (started_at < ?2 OR trace_id < ?3 OR (trace_id = ?3 AND span_id < ?4)) "
        "ORDER BY started_at DESC, trace_id DESC, span_id DESC LIMIT ?5"
    )
    TOTALS = _TOTALS.format(false="0", p1="?", in_ids="IN ({ids})")
    UPDATE = (
        "UPDATE rs_ai_spans SET ended_at = COALESCE(?, ended_at), output = COALESCE(?, output), "
        "error = COALESCE(?, error), attributes = COALESCE(?, attributes), "
        "input_tokens = COALESCE(?, input_tokens), output_tokens = COALESCE(?, output_tokens), updated_at = ? "
        "WHERE tenant_id = ? AND trace_id = ? AND span_id = ?"
    )

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.path = parse_url(url).sqlite_path
        self.sync: sqlite3.Connection | None = None

    async def open(self) -> None:
        self.sync = raw_sqlite(self.path)
        await super().open()

    async def close(self) -> None:
        await super().close()
        if self.sync is not None:
            self.sync.close()
            self.sync = None

    async def _rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        return list(await self.conn.execute_fetchall(sql, args))

    def _db(self) -> sqlite3.Connection:
        assert self.sync is not None
        return self.sync

    async def insert(self, tenant_id: str, spans: Sequence[Span]) -> None:
        db = self._db()
        rows = _span_rows(tenant_id, spans, _lite_ts)
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(self.INSERT, rows)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    async def update(self, tenant_id: str, updates: Sequence[SpanUpdate]) -> int:
        db = self._db()
        now = _lite_ts(datetime.now(UTC))
        rows = [(*r[:6], now, tenant_id, r[6], r[7]) for r in _end_rows(updates, _lite_ts)]
        db.execute("BEGIN IMMEDIATE")
        try:
            n = db.executemany(self.UPDATE, rows).rowcount
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return n

    async def analyze(self) -> None:
        await self.conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")

    async def purge(self, tenant_id: str) -> None:
        self._db().execute("DELETE FROM rs_ai_spans WHERE tenant_id = ?", (tenant_id,))


def raw_spans(url: str) -> RawSpans:
    dialect = parse_url(url).dialect
    if dialect == "postgres":
        return _PgSpans(url)
    if dialect == "mysql":
        return _MySpans(url)
    return _LiteSpans(url)


RAW_WRITES: dict[str, str] = {
    "postgres": "COPY (asyncpg copy_records_to_table); span ends: asyncpg executemany of the UPDATE",
    "mysql": "aiomysql executemany (multi-row INSERTs); span ends: aiomysql executemany of the UPDATE",
    "sqlite": "stdlib sqlite3 executemany in BEGIN IMMEDIATE, for inserts and span ends",
}


# -- the workload -------------------------------------------------------------------------------------------------


@dataclass
class SpanBench:
    """The spans hot paths on one database, for rawstore and the raw driver; every method scopes its own tenant.

    `open()` on a migrated database, then `create()` (timed, both sides), `end()` (timed), `fill()` (the list
    corpus and the big trace, untimed), `analyze()`, `walk()`; then time `get_trace_op`, `page_op`, `summary_op`.
    `close()` deletes the run's rows.
    """

    url: str
    spans: int = 100_000
    traces: int = 100_000
    trace_size: int = 1000
    deep_page: int = 500
    batch: int = BATCH
    tenant_id: str = field(default_factory=lambda: "rsbench-spans-" + secrets.token_hex(6))
    store: Store | None = None
    raw: RawSpans | None = None
    pool: Pool = field(default_factory=Pool.build)
    big_trace: str = ""
    cursors: dict[int, tuple[str | None, tuple[datetime, str, str] | None]] = field(default_factory=dict)

    PREFIX: dict[Side, str] = field(default_factory=lambda: {"rawstore": "kit", "raw": "raw"})

    @property
    def dialect(self) -> Dialect:
        return parse_url(self.url).dialect

    def _scope(self) -> AbstractContextManager[str]:
        return tenant(self.tenant_id)

    def _store(self) -> Store:
        assert self.store is not None, "SpanBench.open() first"
        return self.store

    def _raw(self) -> RawSpans:
        assert self.raw is not None, "SpanBench.open() first"
        return self.raw

    async def open(self) -> None:
        self.store = await connect(self.url, max_size=4)
        self.raw = raw_spans(self.url)
        await self.raw.open()

    async def close(self, *, purge: bool = True) -> None:
        try:
            if purge and self.raw is not None:
                await self.raw.purge(self.tenant_id)
        finally:
            if self.raw is not None:
                await self.raw.close()
                self.raw = None
            if self.store is not None:
                await self.store.close()
                self.store = None

    # -- writes

    def batches(self) -> list[tuple[int, int]]:
        return [(s, min(self.batch, self.spans - s)) for s in range(0, self.spans, self.batch)]

    async def create_batch(self, side: Side, start: int, count: int) -> float:
        """Write one batch of this side's spans; the seconds it took (data built first, untimed)."""
        spans = make_spans(self.pool, self.PREFIX[side], start, count)
        with self._scope():
            if side == "rawstore":
                create = self._store().spans.create_many
                t0 = time.perf_counter()
                await create(spans)
            else:
                raw = self._raw()
                t0 = time.perf_counter()
                await raw.insert(self.tenant_id, spans)
            return time.perf_counter() - t0

    async def end_batch(self, side: Side, start: int, count: int, variant: str | None = None) -> float:
        """Write the ends of one batch of this side's spans; the seconds it took."""
        ends = make_ends(self.pool, make_spans(self.pool, self.PREFIX[side], start, count))
        with self._scope():
            if side == "rawstore":
                update = self._store().spans.update_many
                t0 = time.perf_counter()
                n = await update(ends)
            else:
                raw = self._raw()
                method = raw.update if variant is None else getattr(raw, raw.update_variants[variant])
                t0 = time.perf_counter()
                n = await method(self.tenant_id, ends)
            spent = time.perf_counter() - t0
        if n != count:
            raise BenchMismatch(f"{side} updated {n} spans of a batch of {count}")
        return spent

    async def _alternate(
        self, op: Callable[[Side, int, int], Awaitable[float]], progress: Callable[[int], None] | None
    ) -> dict[Side, float]:
        spent: dict[Side, float] = {"rawstore": 0.0, "raw": 0.0}
        for b, (start, count) in enumerate(self.batches()):
            order: tuple[Side, Side] = SIDES if b % 2 == 0 else ("raw", "rawstore")
            for side in order:
                spent[side] += await op(side, start, count)
            if progress is not None:
                progress(start + count)
        return spent

    async def create(self, progress: Callable[[int], None] | None = None) -> dict[Side, float]:
        """Both sides write `spans` spans, batch by batch, alternating which goes first; the seconds each spent."""
        return await self._alternate(self.create_batch, progress)

    async def end(self, progress: Callable[[int], None] | None = None) -> dict[Side, float]:
        """Both sides write the ends of all their spans, batch by batch; the seconds each spent."""
        return await self._alternate(self.end_batch, progress)

    async def end_variant(self, variant: str, progress: Callable[[int], None] | None = None) -> dict[Side, float]:
        """Both sides end their spans again, batch by batch, alternating, the raw side through a one-statement
        form; the seconds each spent (rawstore's second pass is the variant's yardstick: same data, same moment)."""

        async def op(side: Side, start: int, count: int) -> float:
            return await self.end_batch(side, start, count, None if side == "rawstore" else variant)

        return await self._alternate(op, progress)

    async def fill(self) -> None:
        """Untimed: single-span traces up to `traces` traces, and one trace of `trace_size` spans."""
        have = 2 * -(-self.spans // SPANS_PER_TRACE)
        extra = max(0, self.traces - have)
        spans = self._store().spans
        with self._scope():
            for start in range(0, extra, self.batch):
                await spans.create_many(
                    make_spans(self.pool, "list", start, min(self.batch, extra - start), per_trace=1)
                )
            big = make_spans(self.pool, "big", 0, self.trace_size, per_trace=self.trace_size)
            self.big_trace = big[0].trace_id
            for start in range(0, len(big), self.batch):
                await spans.create_many(big[start : start + self.batch])

    async def analyze(self) -> None:
        await self._raw().analyze()

    # -- reads

    def page_numbers(self) -> list[int]:
        pages = max(1, -(-self.traces // PAGE))
        return sorted({1, max(1, min(self.deep_page, pages // 2 or 1))})

    async def walk(self) -> dict[int, tuple[str | None, tuple[datetime, str, str] | None]]:
        """Follow rawstore's cursors to the measured pages, keeping where each starts for both sides."""
        wanted = self.page_numbers()
        spans = self._store().spans
        cursor: str | None = None
        after: tuple[datetime, str, str] | None = None
        number = 1
        with self._scope():
            while True:
                if number in wanted:
                    self.cursors[number] = (cursor, after)
                if number >= wanted[-1]:
                    break
                page = await spans.list_traces(limit=PAGE, cursor=cursor)
                if page.next_cursor is None:
                    break
                last = page.items[-1]
                cursor, after = page.next_cursor, (last.started_at, last.trace_id, last.span_id)
                number += 1
        return self.cursors

    def get_trace_op(self, side: Side) -> Callable[[], Awaitable[object]]:
        trace_id = self.big_trace
        if side == "rawstore":
            spans = self._store().spans
            return lambda: spans.get_trace(trace_id)
        raw, t = self._raw(), self.tenant_id
        return lambda: raw.trace(t, trace_id)

    def page_op(self, side: Side, number: int) -> Callable[[], Awaitable[object]]:
        cursor, after = self.cursors[number]
        if side == "rawstore":
            spans = self._store().spans
            return lambda: spans.list_traces(limit=PAGE, cursor=cursor)
        raw, t = self._raw(), self.tenant_id
        return lambda: raw.page(t, after, PAGE + 1)

    def summary_op(self, side: Side) -> Callable[[], Awaitable[object]]:
        if side == "rawstore":
            spans = self._store().spans
            return lambda: spans.list_traces(limit=PAGE, with_summary=True)
        raw, t = self._raw(), self.tenant_id

        async def op() -> object:
            rows = await raw.page(t, None, PAGE + 1)
            totals = await raw.totals(t, list(dict.fromkeys(r[0] for r in rows[:PAGE])))
            return rows, totals

        return op

    async def verify(self) -> list[str]:
        """Differences between what rawstore and the raw side return (none expected)."""
        problems: list[str] = []
        spans, raw, t = self._store().spans, self._raw(), self.tenant_id
        with self._scope():
            trace = await spans.get_trace(self.big_trace)
            raw_all, raw_roots = await raw.trace(t, self.big_trace)
            if trace is None or [s.span_id for s in trace.spans] != [r[1] for r in raw_all]:
                problems.append("get_trace: rawstore and raw spans differ")
            elif len(trace.root.children) != len(raw_roots[0][-1]) or len(trace.spans) != self.trace_size:
                problems.append("get_trace: the trees differ")
            elif trace.spans[-1].output != raw_all[-1][13]:
                problems.append("get_trace: decoded output differs")
            for number, (cursor, after) in self.cursors.items():
                kit = await spans.list_traces(limit=PAGE, cursor=cursor)
                rows = await raw.page(t, after, PAGE + 1)
                if [(s.trace_id, s.span_id) for s in kit.items] != [(r[0], r[1]) for r in rows[:PAGE]]:
                    problems.append(f"list_traces page {number}: rawstore and raw rows differ")
            kit = await spans.list_traces(limit=PAGE, with_summary=True)
            rows = await raw.page(t, None, PAGE + 1)
            totals = await raw.totals(t, [r[0] for r in rows[:PAGE]])
            for s in kit.items:
                x = totals.get(s.trace_id)
                got = s.summary
                if (
                    x is None
                    or got is None
                    or (got.span_count, got.input_tokens, got.error_count) != (x[0], x[3], x[1])
                ):
                    problems.append(f"summary of {s.trace_id}: rawstore and raw totals differ")
                    break
        return problems


# -- the report ---------------------------------------------------------------------------------------------------


async def run_spans(
    url: str,
    report: Report,
    *,
    spans: int,
    traces: int,
    log: Callable[[str], None] | None = None,
    trace_size: int = SPAN_TRACE_SIZE,
    progress: Progress | None = None,
) -> None:
    """Measure the spans hot paths on an already migrated database, adding figures and checks to `report`.

    Progress goes to `progress` (default: plain lines on stderr, or through `log` when given)."""
    if progress is None:
        progress = PlainProgress() if log is None else _LogProgress(log)
    bench = SpanBench(url, spans=spans, traces=traces, trace_size=min(trace_size, max(1, spans)))
    dialect = bench.dialect
    await bench.open()
    try:

        def counter(tick: Callable[[int], None]) -> Callable[[int], None]:
            # SpanBench reports how many spans of each side are done; the bar counts rows of both sides.
            done = 0

            def advance(upto: int) -> None:
                nonlocal done
                tick(2 * (upto - done))
                done = upto

            return advance

        async def rate_phase(
            path: str, doing: str, label: str, work: Callable[[Callable[[int], None]], Awaitable[dict[Side, float]]]
        ) -> None:
            # One timed write phase of both sides: its progress, its rows/s figure and its 0.8x target.
            gc.collect()
            with progress.phase(
                f"spans: {doing}, batches of {bench.batch:,}", total=2 * spans, unit="rows", label=path
            ) as tick:
                spent = await work(counter(tick))
            fig = rate_figure(path, path, f"{path}: {label}, batches of {bench.batch:,}", spans, spent)
            report.add(fig)
            ratio = fig.ratio or 0.0
            report.checks.append((f"{path} >= 0.8x raw (got {ratio:.2f}x)", ratio >= 0.8))

        await rate_phase(
            "spans.create_many",
            f"creating {spans:,} spans per side (1-4 kB input and output JSON)",
            f"{spans:,} spans",
            bench.create,
        )
        await rate_phase(
            "spans.update_many", f"ending {spans:,} spans per side (update_many)", f"{spans:,} span ends", bench.end
        )
        for variant in bench._raw().update_variants:
            with progress.phase(
                f"spans: ending them again, the raw side as {variant}",
                total=2 * spans,
                unit="rows",
                label="spans.update_many again",
            ) as tick:
                again = await bench.end_variant(variant, counter(tick))
            report.add(
                rate_figure(
                    "spans.update_many:raw_one_statement",
                    "spans.update_many",
                    f"spans.update_many again, raw side as {variant}",
                    spans,
                    again,
                ),
                f"  again, raw side as {variant}",
            )

        progress.log(f"spans: adding untimed traces up to {traces:,}, and one trace of {bench.trace_size:,} spans")
        await bench.fill()
        await bench.analyze()
        await bench.walk()
        problems = await bench.verify()
        if problems:
            raise BenchMismatch("rawstore and the raw driver disagree on spans: " + "; ".join(problems))

        trace_reps, page_reps, warmup = 21, 41, 5
        with progress.phase(
            "spans: timing get_trace and list_traces",
            total=2 * ((trace_reps + 3) + (len(bench.cursors) + 1) * (page_reps + warmup)),
            unit="calls",
            label="get_trace, list_traces",
        ) as tick:
            times = await _interleaved(
                bench, {s: bench.get_trace_op(s) for s in SIDES}, reps=trace_reps, warmup=3, tick=tick
            )
            report.add(
                time_figure("spans.get_trace", "spans.get_trace", f"get_trace: {bench.trace_size:,} spans", times)
            )
            medians: dict[int, dict[Side, float]] = {}
            for number in sorted(bench.cursors):
                times = await _interleaved(
                    bench, {s: bench.page_op(s, number) for s in SIDES}, reps=page_reps, warmup=warmup, tick=tick
                )
                medians[number] = {s: statistics.median(times[s]) for s in SIDES}
                report.add(
                    time_figure(
                        f"spans.list_traces:page_{number}",
                        "spans.list_traces",
                        f"list_traces page {number} (limit {PAGE}) of {traces:,} traces",
                        times,
                    )
                )
            for number, first, k in depth_figures(report, "spans.list_traces", "list_traces", medians):
                report.checks.append((f"list_traces page {number} <= 1.5x page {first} (got {k:.2f}x)", k <= 1.5))
            times = await _interleaved(
                bench, {s: bench.summary_op(s) for s in SIDES}, reps=page_reps, warmup=warmup, tick=tick
            )
            report.add(
                time_figure(
                    "spans.list_traces:with_summary",
                    "spans.list_traces",
                    f"list_traces page 1 with_summary (limit {PAGE})",
                    times,
                )
            )
        report.notes.append(f"spans raw driver: {RAW_WRITES[dialect]}; reads as the memory rows above")
    finally:
        progress.log("spans: deleting the bench rows")
        await bench.close(purge=True)

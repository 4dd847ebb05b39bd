"""`ScoreStore` (`store.scores`): scorer results, listed newest first by keyset pages, with statistics in SQL."""

from __future__ import annotations

import numbers
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from ..context import Context, TxContext
from ..drivers.base import Connection
from ..errors import Conflict, InvalidInput
from ..ids import uuid7
from ..pagination import Page, decode_cursor, encode_cursor
from ..queryset import Many, Scalar
from ..timeutil import MAX_TS, MIN_TS
from ..validate import (
    check_bool,
    check_dt,
    check_id,
    check_limit,
    check_metadata,
    check_text,
    encode_json,
    json_text,
    plain_id,
    shown,
)
from .queries import ScoreQueries as Q
from .records import SOURCE_BY_NAME, Score, ScoreSource, ScoreStats

MAX_SCORE = 1e288
"""Largest score magnitude stored: a sum of 2**63 such scores still fits a float, so stats never overflow."""
MAX_TEXT = 16 * 1024 * 1024
"""Longest `reason` or prompt, in characters."""

# Sorts after every id a caller can write (ids hold no NUL and are compared byte-wise everywhere).
_MAX_ID = "\U0010ffff" * 2
_CHUNK = 1000
_JSON = msgspec.json.Encoder()


def _score(v: object, what: str) -> float:
    """A finite real number (int, float, Decimal, Fraction, numpy's; not bool) of magnitude at most MAX_SCORE, as a
    float."""
    tp = type(v)
    if tp is float:
        f: float = v  # type: ignore[assignment]
    elif isinstance(v, bool) or not isinstance(v, (numbers.Real, Decimal)):
        raise InvalidInput(f"{what} must be a finite number (int or float), got {type(v).__name__}")
    else:
        try:
            f = float(v)
        except (OverflowError, ValueError):
            raise InvalidInput(f"{what} must be a finite number of magnitude at most 1e288, got {shown(v)}") from None
    if not -MAX_SCORE <= f <= MAX_SCORE:  # NaN fails both comparisons
        raise InvalidInput(f"{what} must be a finite number of magnitude at most 1e288, got {shown(v)}")
    return f


def _source(v: object, what: str) -> ScoreSource:
    if isinstance(v, str):
        member = SOURCE_BY_NAME.get(v)
        if member is not None:
            return member
    raise InvalidInput(f"{what} must be a rawstore.ScoreSource or one of 'LIVE', 'TEST', got {shown(v)}")


def _json(v: object, what: str) -> str | None:
    """JSON text of any value, None for None; InvalidInput for what `encode_json` refuses."""
    if v is None:
        return None
    try:
        text = json_text(_JSON.encode(v))
    except Exception:  # RecursionError included: encode_json says what is wrong
        text = None
    return text if text is not None else encode_json(v, what)


def _opt_id(v: object, what: str) -> str | None:
    if v is None or plain_id(v):
        return v
    return check_id(v, what)


def _utc(v: object, what: str) -> datetime:
    if type(v) is datetime and v.tzinfo is UTC and MIN_TS <= v <= MAX_TS:
        return v
    return check_dt(v, what).astimezone(UTC)


class ScoreStore:
    """Scorer results of the current tenant. Reach it as `store.scores` or `tx.scores`."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- writes -------------------------------------------------------------------------------------------------

    @asynccontextmanager
    async def _atomic(self) -> AsyncIterator[Connection]:
        """A connection for one batch statement, atomic by itself (the driver wraps a batch that it sends as several
        statements in a transaction); inside `store.transaction()` it still gets its own savepoint, so a failed call
        leaves the caller's transaction usable."""
        if isinstance(self._ctx, TxContext):
            async with self._ctx.write() as conn:
                yield conn
        else:
            async with self._ctx.plain() as conn:
                yield conn

    def _row(self, t: str, s: object, what: str) -> tuple[tuple[Any, ...], Score]:
        """The validated row of a score (in `SCORE_FIELDS` order) and the score as stored; InvalidInput names the
        bad field."""
        if not isinstance(s, Score):
            raise InvalidInput(f"{what} must be a rawstore.Score, got {type(s).__name__}")
        sid = s.id
        if sid is None or (type(sid) is str and not sid):
            sid = uuid7()
        elif not plain_id(sid):
            check_id(sid, f"{what}.id")
        scorer_id = s.scorer_id if plain_id(s.scorer_id) else check_id(s.scorer_id, f"{what}.scorer_id")
        run_id = s.run_id if plain_id(s.run_id) else check_id(s.run_id, f"{what}.run_id")
        entity_id = s.entity_id if plain_id(s.entity_id) else check_id(s.entity_id, f"{what}.entity_id")
        value = _score(s.score, f"{what}.score")
        source = _source(s.source, f"{what}.source")
        scorer = s.scorer
        if not isinstance(scorer, dict):
            raise InvalidInput(f"{what}.scorer must be a JSON object (a dict), got {type(scorer).__name__}")
        check_metadata(scorer, f"{what}.scorer")
        check_metadata(s.metadata, f"{what}.metadata")
        reason = check_text(s.reason, f"{what}.reason", MAX_TEXT, optional=True)
        prompts = tuple(
            check_text(getattr(s, f), f"{what}.{f}", MAX_TEXT, optional=True)
            for f in ("preprocess_prompt", "analyze_prompt", "generate_score_prompt", "generate_reason_prompt")
        )
        created = _utc(s.created_at, f"{what}.created_at")
        updated = _utc(s.updated_at, f"{what}.updated_at")
        ts_out = self._ctx.ts_out
        row = (
            t,
            sid,
            scorer_id,
            run_id,
            entity_id,
            value,
            _json(s.output, f"{what}.output"),
            source.value,
            _json(scorer, f"{what}.scorer"),
            _opt_id(s.entity_type, f"{what}.entity_type"),
            _json(s.entity, f"{what}.entity"),
            _opt_id(s.trace_id, f"{what}.trace_id"),
            _opt_id(s.span_id, f"{what}.span_id"),
            _opt_id(s.resource_id, f"{what}.resource_id"),
            _opt_id(s.thread_id, f"{what}.thread_id"),
            reason,
            _json(s.input, f"{what}.input"),
            _json(s.metadata, f"{what}.metadata"),
            _json(s.additional_context, f"{what}.additional_context"),
            _json(s.request_context, f"{what}.request_context"),
            _json(s.preprocess_step_result, f"{what}.preprocess_step_result"),
            _json(s.analyze_step_result, f"{what}.analyze_step_result"),
            *prompts,
            ts_out(created),
            ts_out(updated),
        )
        stored = msgspec.structs.replace(s, id=sid, score=value, source=source, created_at=created, updated_at=updated)
        return row, stored

    async def save(self, score: Score) -> Score:
        """Insert one score and return it as stored (id assigned when empty, `score` a float, UTC datetimes).

        InvalidInput (nothing written) for a bad field: `score` not a finite number of magnitude at most 1e288,
        `scorer` not a JSON object, `source` not "LIVE" / "TEST", an empty id, a value that is not JSON. Conflict when
        the id is already stored in this tenant.
        """
        t = self._ctx.tenant()
        row, stored = self._row(t, score, "score")
        async with self._atomic() as conn:
            await conn.batch(self._ctx[Q.insert_scores], [row])
        return stored

    async def save_many(self, scores: Sequence[Score]) -> list[Score]:
        """Insert scores atomically (all or none) and return them as stored, in the given order.

        Every score is validated first (InvalidInput naming `scores[i].<field>`, nothing written). An id repeated in
        the batch or already stored is Conflict, and nothing is written. Rows go in batches of 1,000 in one
        transaction, each batch in the database's bulk path (`unnest` on PostgreSQL, a multi-row INSERT on MariaDB,
        one executemany on SQLite).
        """
        t = self._ctx.tenant()
        if isinstance(scores, (str, bytes, Score)) or not isinstance(scores, Sequence):
            raise InvalidInput("scores must be a list of rawstore.Score")
        rows: list[tuple[Any, ...]] = []
        out: list[Score] = []
        seen: set[str] = set()
        for i, s in enumerate(scores):
            row, stored = self._row(t, s, f"scores[{i}]")
            if stored.id in seen:
                raise Conflict(f"scores[{i}].id {stored.id!r} appears more than once in the batch")
            seen.add(stored.id)
            rows.append(row)
            out.append(stored)
        if not rows:
            return []
        insert = self._ctx[Q.insert_scores]
        if len(rows) <= _CHUNK:
            async with self._atomic() as conn:
                await conn.batch(insert, rows)
            return out
        async with self._ctx.write() as conn:
            for i in range(0, len(rows), _CHUNK):
                await conn.batch(insert, rows[i : i + _CHUNK])
        return out

    # -- reads --------------------------------------------------------------------------------------------------

    async def get(self, id: str) -> Score | None:
        """The score with this id in the current tenant, or None."""
        t = self._ctx.tenant()
        if not plain_id(id):
            check_id(id, "id")
        return await self._ctx.one(Q.get_score, {"tenant_id": t, "id": id})

    async def list_by_scorer(
        self,
        scorer_id: str,
        *,
        entity_id: str | None = None,
        entity_type: str | None = None,
        source: ScoreSource | str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Score]:
        """A page of a scorer's scores, newest first by (created_at, id), optionally of one entity / entity type /
        source. `since`/`until` are inclusive bounds on created_at. Pass `next_cursor` back as `cursor`."""
        t = self._ctx.tenant()
        check_id(scorer_id, "scorer_id")
        filters: dict[str, Any] = {
            "tenant_id": t,
            "scorer_id": scorer_id,
            "entity_type": _opt_id(entity_type, "entity_type"),
            "source": None if source is None else _source(source, "source").value,
        }
        if entity_id is None:
            return await self._page(
                "scores:scorer", Q.by_scorer, Q.count_by_scorer, filters, since, until, limit, cursor, with_total
            )
        filters["entity_id"] = check_id(entity_id, "entity_id")
        return await self._page(
            "scores:scorer",
            Q.by_scorer_entity,
            Q.count_by_scorer_entity,
            filters,
            since,
            until,
            limit,
            cursor,
            with_total,
        )

    async def list_by_run(
        self,
        run_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Score]:
        """A page of a run's scores, newest first by (created_at, id)."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        filters = {"tenant_id": t, "run_id": run_id}
        return await self._page(
            "scores:run", Q.by_run, Q.count_by_run, filters, since, until, limit, cursor, with_total
        )

    async def list_by_entity(
        self,
        entity_id: str,
        entity_type: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Score]:
        """A page of the scores of one entity (id and type), newest first by (created_at, id)."""
        t = self._ctx.tenant()
        check_id(entity_id, "entity_id")
        check_id(entity_type, "entity_type")
        filters = {"tenant_id": t, "entity_id": entity_id, "entity_type": entity_type}
        return await self._page(
            "scores:entity", Q.by_entity, Q.count_by_entity, filters, since, until, limit, cursor, with_total
        )

    async def list_by_span(
        self,
        trace_id: str,
        span_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Score]:
        """A page of the scores of one span (trace id and span id), newest first by (created_at, id)."""
        t = self._ctx.tenant()
        check_id(trace_id, "trace_id")
        check_id(span_id, "span_id")
        filters = {"tenant_id": t, "trace_id": trace_id, "span_id": span_id}
        return await self._page(
            "scores:span", Q.by_span, Q.count_by_span, filters, since, until, limit, cursor, with_total
        )

    async def _page(
        self,
        kind: str,
        rows_q: Many[Score],
        count_q: Scalar[int],
        filters: dict[str, Any],
        since: object,
        until: object,
        limit: object,
        cursor: object,
        with_total: object,
    ) -> Page[Score]:
        lo = MIN_TS if since is None else check_dt(since, "since")
        hi = MAX_TS if until is None else check_dt(until, "until")
        n = check_limit(limit)
        check_bool(with_total, "with_total")
        if cursor is not None:
            c_ts, c_id = decode_cursor(cursor, kind)
        else:
            c_ts, c_id = hi, _MAX_ID
        out = self._ctx.ts_out
        values = dict(filters, lo=out(lo), hi=out(min(hi, c_ts)), c_ts=out(c_ts), c_id=c_id, limit=n + 1)
        async with self._ctx.plain() as conn:
            rows = await conn.many(self._ctx[rows_q], values) if n else []
            total = None
            if with_total:
                total = await conn.scalar(self._ctx[count_q], dict(filters, lo=out(lo), hi=out(hi)))
        items = rows[:n]
        has_more = len(rows) > n
        nxt = encode_cursor(kind, items[-1].created_at, items[-1].id) if has_more else None
        return Page(items, nxt, has_more, total)

    async def stats(
        self,
        scorer_id: str,
        *,
        entity_id: str | None = None,
        source: ScoreSource | str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> ScoreStats:
        """Count, mean, min and max of a scorer's scores (optionally of one entity and/or source, created within
        [since, until]), computed in SQL over one index range. No score: count 0 and None for the others."""
        t = self._ctx.tenant()
        check_id(scorer_id, "scorer_id")
        lo = MIN_TS if since is None else check_dt(since, "since")
        hi = MAX_TS if until is None else check_dt(until, "until")
        out = self._ctx.ts_out
        values: dict[str, Any] = {
            "tenant_id": t,
            "scorer_id": scorer_id,
            "source": None if source is None else _source(source, "source").value,
            "lo": out(lo),
            "hi": out(hi),
        }
        q = Q.stats_by_scorer
        if entity_id is not None:
            values["entity_id"] = check_id(entity_id, "entity_id")
            q = Q.stats_by_scorer_entity
        found = await self._ctx.one(q, values)
        assert found is not None  # an aggregate without GROUP BY always returns one row
        if not found.count:
            return ScoreStats(0, None, None, None)
        return found

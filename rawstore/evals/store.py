"""`EvalStore` (`store.evals`): legacy eval results, saved atomically and listed newest first with a keyset cursor on
(created_at, id), where `id` is a UUIDv7 the kit assigns."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from ..context import Context, TxContext
from ..drivers.base import Connection
from ..errors import Conflict, InvalidInput
from ..ids import uuid7
from ..pagination import Page, decode_cursor, encode_cursor
from ..timeutil import MAX_TS, MIN_TS
from ..validate import (
    check_bool,
    check_choice,
    check_dt,
    check_id,
    check_limit,
    check_metadata,
    check_text,
    encode_json,
    json_text,
    plain_id,
)
from .queries import EvalQueries as Q
from .records import EvalRecord

MAX_NAME = 255
"""Most characters of an agent or metric name."""
MAX_TEXT = 16 * 1024 * 1024
"""Most characters of an eval's input, output or instructions."""
BATCH_SIZE = 500
"""Rows per round trip of `save_many` (all of them in one transaction)."""

EvalType = Literal["test", "live"]

# Sorts after every id a caller can write (ids hold no NUL and are compared byte-wise everywhere).
_MAX_ID = "\U0010ffff" * 2
_KIND = "evals"
_JSON = msgspec.json.Encoder()


def is_test(test_info: object) -> bool:
    """Whether an eval with this `test_info` is a test eval: an object whose "testPath" is present and not null."""
    return isinstance(test_info, dict) and test_info.get("testPath") is not None


def _long_text(v: object, what: str) -> str:
    if type(v) is str and len(v) <= MAX_TEXT and v.isascii() and "\x00" not in v:
        return v
    return str(check_text(v, what, MAX_TEXT))


def _json(value: object, what: str) -> str:
    try:
        text = json_text(_JSON.encode(value))
    except Exception:  # RecursionError included: encode_json below says what is wrong
        text = None
    return text if text is not None else encode_json(value, what)


class EvalStore:
    """Legacy eval results of the current tenant (Mastra's legacy evals domain).

    Reach it as `store.evals` or `tx.evals`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- writing --------------------------------------------------------------------------------------------------

    def _row(self, t: str, ev: object, what: str) -> tuple[tuple[Any, ...], EvalRecord]:
        """The validated row of an eval in `EVAL_FIELDS` order, and the record as it is stored (id assigned,
        created_at in UTC); InvalidInput names the bad field."""
        if type(ev) is not EvalRecord and not isinstance(ev, EvalRecord):
            raise InvalidInput(f"{what} must be a rawstore.EvalRecord, got {type(ev).__name__}")
        agent = check_text(ev.agent_name, f"{what}.agent_name", MAX_NAME, blank=False)
        metric = check_text(ev.metric_name, f"{what}.metric_name", MAX_NAME, blank=False)
        inp = _long_text(ev.input, f"{what}.input")
        out = _long_text(ev.output, f"{what}.output")
        instructions = _long_text(ev.instructions, f"{what}.instructions")
        if not plain_id(ev.run_id):
            check_id(ev.run_id, f"{what}.run_id")
        if not plain_id(ev.global_run_id):
            check_id(ev.global_run_id, f"{what}.global_run_id")
        result = _json(ev.result, f"{what}.result")
        test_info = check_metadata(ev.test_info, f"{what}.test_info")
        info = None if test_info is None else _json(test_info, f"{what}.test_info")
        created = ev.created_at
        if type(created) is not datetime or created.tzinfo is not UTC or not MIN_TS <= created <= MAX_TS:
            created = check_dt(created, f"{what}.created_at").astimezone(UTC)
        eid = ev.id
        if eid is None:
            eid = uuid7()
        elif not plain_id(eid):
            check_id(eid, f"{what}.id")
        row = (
            t,
            eid,
            agent,
            metric,
            inp,
            out,
            result,
            instructions,
            ev.run_id,
            ev.global_run_id,
            info,
            is_test(test_info),
            self._ctx.ts_out(created),
        )
        stored = EvalRecord(
            agent,
            metric,
            inp,
            out,
            ev.result,
            instructions,
            ev.run_id,
            ev.global_run_id,
            test_info,
            created,
            eid,
        )
        return row, stored

    async def _insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        insert = self._ctx[Q.insert_evals]
        if len(rows) <= BATCH_SIZE:
            async with self._atomic() as conn:
                await conn.batch(insert, rows)
            return
        async with self._ctx.write() as conn:
            for i in range(0, len(rows), BATCH_SIZE):
                await conn.batch(insert, rows[i : i + BATCH_SIZE])

    @asynccontextmanager
    async def _atomic(self) -> AsyncIterator[Connection]:
        """A connection for one batch, which is atomic by itself (one statement on PostgreSQL; the driver wraps an
        executemany in a transaction), so it needs no BEGIN/COMMIT; inside `store.transaction()` a savepoint, so a
        failed call leaves the caller's transaction usable."""
        if isinstance(self._ctx, TxContext):
            async with self._ctx.write() as conn:
                yield conn
        else:
            async with self._ctx.plain() as conn:
                yield conn

    async def save(self, eval: EvalRecord) -> EvalRecord:
        """Store one eval; returns it as stored: `id` assigned (a UUIDv7 when it was None), `created_at` in UTC.

        InvalidInput (nothing written) for a bad field; Conflict when an `id` given by the caller is already stored.
        """
        t = self._ctx.tenant()
        row, stored = self._row(t, eval, "eval")
        await self._insert([row])
        return stored

    async def save_many(self, evals: Sequence[EvalRecord]) -> int:
        """Store evals atomically; returns how many were stored (all of them).

        Every eval is validated first (InvalidInput naming the field, nothing written); an `id` already stored or
        repeated in `evals` is Conflict, nothing written. Evals without an id get a UUIDv7 each, in list order.
        The rows go in batches of `BATCH_SIZE`, one round trip each, in one transaction.
        """
        t = self._ctx.tenant()
        if isinstance(evals, (str, bytes, EvalRecord)) or not isinstance(evals, Sequence):
            raise InvalidInput("evals must be a list of rawstore.EvalRecord")
        rows: builtins.list[tuple[Any, ...]] = []
        seen: dict[str, int] = {}
        for i, ev in enumerate(evals):
            row, stored = self._row(t, ev, f"evals[{i}]")
            assert stored.id is not None
            first = seen.setdefault(stored.id, i)
            if first != i:
                raise Conflict(f"evals[{i}].id {stored.id!r} repeats evals[{first}].id")
            rows.append(row)
        if rows:
            await self._insert(rows)
        return len(rows)

    # -- reading --------------------------------------------------------------------------------------------------

    async def list(
        self,
        *,
        agent_name: str | None = None,
        type: EvalType | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[EvalRecord]:
        """A page of evals, newest first by (created_at, id); pass `next_cursor` back for the next page.

        `agent_name`: exactly this agent. `type`: "test" (test_info has a non-null "testPath") or "live" (any
        other). `since`/`until`: inclusive bounds on created_at. `with_total` counts every matching eval (one more
        query). Each filter combination reads its own index.
        """
        t = self._ctx.tenant()
        if agent_name is not None:
            check_text(agent_name, "agent_name", MAX_NAME, blank=False)
        test = None if type is None else check_choice(type, "type", ("test", "live")) == "test"
        lo = MIN_TS if since is None else check_dt(since, "since")
        hi = MAX_TS if until is None else check_dt(until, "until")
        check_limit(limit)
        check_bool(with_total, "with_total")
        if cursor is not None:
            c_ts, c_id = decode_cursor(cursor, _KIND)
        else:
            c_ts, c_id = hi, _MAX_ID
        ts = self._ctx.ts_out
        values: dict[str, Any] = {
            "tenant_id": t,
            "lo": ts(lo),
            "hi": ts(min(hi, c_ts)),
            "c_ts": ts(c_ts),
            "c_id": c_id,
            "limit": limit + 1,
        }
        if agent_name is not None:
            values["agent_name"] = agent_name
        if test is not None:
            values["is_test"] = test
        if agent_name is not None and test is not None:
            page, count = Q.evals_by_agent_type, Q.count_evals_by_agent_type
        elif agent_name is not None:
            page, count = Q.evals_by_agent, Q.count_evals_by_agent
        elif test is not None:
            page, count = Q.evals_by_type, Q.count_evals_by_type
        else:
            page, count = Q.evals, Q.count_evals
        async with self._ctx.plain() as conn:
            rows = await conn.many(self._ctx[page], values) if limit else []
            total = None
            if with_total:
                total = await conn.scalar(self._ctx[count], dict(values, hi=ts(hi)))
        items = rows[:limit]
        has_more = len(rows) > limit
        nxt = None
        if has_more:
            last = items[-1]
            assert last.id is not None
            nxt = encode_cursor(_KIND, last.created_at, last.id)
        return Page(items, nxt, has_more, total)

"""`AICallLog` (`store.ai_calls`): buffered call logging, atomic batch results, statistics computed in SQL.

Calls are buffered and written in batches (one round trip each) until `flush()`/`close()`, so none is lost at
shutdown. A batch's results are recorded with an insert-or-ignore of its key in the same transaction as its rows,
so a batch is recorded once however many writers race. Costs are stored as integer nano-units and summed in SQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from decimal import Context as DecimalContext
from typing import Any, Literal

import msgspec

from ..context import Context
from ..errors import ConnectionLost, DatabaseError, InvalidInput, RawstoreError
from ..ids import uuid7
from ..pagination import Page, decode_cursor, encode_cursor
from ..timeutil import MAX_TS, MIN_TS, utcnow
from ..validate import (
    MAX_SHORT,
    check_choice,
    check_dt,
    check_id,
    check_limit,
    check_text,
    encode_json,
    plain_id,
    shown,
)
from .queries import FIELDS
from .queries import AICallQueries as Q
from .records import NANOS, AICall, AICallStats, ModelStats

log = logging.getLogger("rawstore")

MAX_TOPIC = 255
MAX_NAME = 255
MAX_CALL_TYPE = MAX_SHORT
MAX_TEXT = 16 * 1024 * 1024
MAX_TOKENS = 2**31 - 1
MAX_COST = 10**9
# Past the end of every topic starting with a prefix: topics hold at most MAX_TOPIC characters (a column check on
# every database), so prefix + (MAX_TOPIC + 1 - len(prefix)) x U+10FFFF sorts after all of them in code-point order.
_TOP = "\U0010ffff"
_MAX_ID = "\U0010ffff" * 2
_DEC = DecimalContext(prec=60, rounding=ROUND_HALF_EVEN)
_DEC_NANOS = Decimal(NANOS)
_JSON = msgspec.json.Encoder()
_ID = FIELDS.index("id")
_SELF_CHECKED = 4096

Direction = Literal["asc", "desc"]


def _nanos(cost: object, what: str) -> int:
    """`cost` in integer nano-units, rounded half-even; InvalidInput unless a finite number in [0, MAX_COST]."""
    tp = type(cost)
    if tp is float:
        if not 0.0 <= cost <= MAX_COST:  # type: ignore[operator]  # NaN fails both comparisons
            raise InvalidInput(f"{what} must be a finite number between 0 and {MAX_COST:,}, got {shown(cost)}")
        # repr is the shortest decimal that reads back as this float (0.1 is 0.1, not 0.1000…0555); most costs
        # have at most nine decimals and need no Decimal arithmetic.
        text = repr(cost)
        whole, _, frac = text.partition(".")
        if len(frac) <= 9 and frac.isdigit():
            return int(whole) * NANOS + int(frac.ljust(9, "0"))
        d = Decimal(text)
    elif tp is int:
        if not 0 <= cost <= MAX_COST:  # type: ignore[operator]
            raise InvalidInput(f"{what} must be between 0 and {MAX_COST:,}, got {shown(cost)}")
        return cost * NANOS  # type: ignore[operator]
    elif isinstance(cost, Decimal):
        if not cost.is_finite() or not 0 <= cost <= MAX_COST:
            raise InvalidInput(f"{what} must be a finite number between 0 and {MAX_COST:,}, got {shown(cost)}")
        d = cost
    elif isinstance(cost, bool):
        raise InvalidInput(f"{what} must be an int, float or Decimal, got bool")
    elif isinstance(cost, int):
        return _nanos(int(cost), what)
    elif isinstance(cost, float):
        return _nanos(float(cost), what)
    else:
        raise InvalidInput(f"{what} must be an int, float or Decimal, got {type(cost).__name__}")
    return int(_DEC.multiply(d, _DEC_NANOS).to_integral_value(rounding=ROUND_HALF_EVEN, context=_DEC))


def _tokens(v: object, what: str) -> int:
    if type(v) is int and 0 <= v <= MAX_TOKENS:
        return v
    if isinstance(v, bool) or not isinstance(v, int):
        raise InvalidInput(f"{what} must be an int, got {type(v).__name__}")
    if not 0 <= v <= MAX_TOKENS:
        raise InvalidInput(f"{what} must be between 0 and {MAX_TOKENS:,}, got {shown(v)}")
    return int(v)


def _long_text(v: object, what: str) -> str:
    if type(v) is str and len(v) <= MAX_TEXT:
        if v.isascii():  # O(1) in CPython; an ASCII string holds no lone surrogate
            if "\x00" not in v:
                return v
        else:
            try:
                data = v.encode("utf-8")
            except UnicodeEncodeError:
                data = b"\x00"
            if b"\x00" not in data:
                return v
    return str(check_text(v, what, MAX_TEXT))


def _prefix_range(prefix: object) -> tuple[str, str]:
    if not isinstance(prefix, str):
        raise InvalidInput(f"topic_prefix must be a string, got {type(prefix).__name__}")
    check_text(prefix, "topic_prefix", MAX_TOPIC)
    return prefix, prefix + _TOP * (MAX_TOPIC + 1 - len(prefix))


_PAGES = {"asc": Q.calls_asc, "desc": Q.calls_desc}


class AICallLog:
    """The AI call log of the current tenant. Reach it as `store.ai_calls` (it is not available on transactions).

    `log_call` buffers; a background task writes the buffer every `flush_interval` seconds or as soon as it holds
    `batch_size` calls, one round trip per batch. Both attributes may be changed on the instance.
    """

    batch_size: int = 500
    flush_interval: float = 0.5
    max_backoff: float = 30.0

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._insert = ctx[Q.insert_calls]
        # Rows logged and not yet written, in logging order; `_logged` counts every row ever appended and `_done`
        # those that left the buffer for good (written, or rejected by the database), so a flush waits for exactly
        # the rows logged before it.
        self._buffer: list[tuple[Any, ...]] = []
        self._logged = 0
        self._done = 0
        self._rejected: list[str] = []
        self._rejected_error: RawstoreError | None = None
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        # Names already validated (topic, model key/id; call types separately): most calls repeat a few of them.
        self._ok_names: set[str] = set()
        self._ok_types: set[str] = set()

    # -- validation ------------------------------------------------------------------------------------------

    def _name(self, v: object, what: str) -> str:
        if type(v) is str and v in self._ok_names:
            return v
        s = str(check_text(v, what, MAX_NAME, blank=False))
        if len(self._ok_names) >= _SELF_CHECKED:
            self._ok_names.clear()
        self._ok_names.add(s)
        return s

    def _row(self, t: str, call: object, now: datetime, what: str, batch_id: str | None = None) -> tuple[Any, ...]:
        """The validated row of a call, in `FIELDS` order; InvalidInput names the bad field."""
        if type(call) is not AICall and not isinstance(call, AICall):
            raise InvalidInput(f"{what} must be a rawstore.AICall, got {type(call).__name__}")
        topic = call.topic
        if type(topic) is not str or topic not in self._ok_names:
            topic = self._name(topic, f"{what}.topic")
            if len(topic) > MAX_TOPIC:  # pragma: no cover - MAX_TOPIC == MAX_NAME
                raise InvalidInput(f"{what}.topic is longer than {MAX_TOPIC} characters")
        call_type = call.call_type
        if type(call_type) is not str or call_type not in self._ok_types:
            check_text(call_type, f"{what}.call_type", MAX_CALL_TYPE, blank=False)
            if len(self._ok_types) >= _SELF_CHECKED:
                self._ok_types.clear()
            self._ok_types.add(call_type)
        ok = self._ok_names
        model_key = call.model_key
        if type(model_key) is not str or model_key not in ok:
            model_key = self._name(model_key, f"{what}.model_key")
        model_id = call.model_id
        if type(model_id) is not str or model_id not in ok:
            model_id = self._name(model_id, f"{what}.model_id")
        prompt = _long_text(call.prompt, f"{what}.prompt")
        response = _long_text(call.response, f"{what}.response")
        input_tokens = _tokens(call.input_tokens, f"{what}.input_tokens")
        output_tokens = _tokens(call.output_tokens, f"{what}.output_tokens")
        cost = _nanos(call.cost, f"{what}.cost")
        meta = call.metadata
        if batch_id is not None:
            if meta is not None and not isinstance(meta, dict):
                raise InvalidInput(f"{what}.metadata must be a dict or None, got {type(meta).__name__}")
            meta = {**(meta or {}), "batch_id": batch_id}
        if meta is None:
            metadata = None
        else:
            if not isinstance(meta, dict):
                raise InvalidInput(f"{what}.metadata must be a dict or None, got {type(meta).__name__}")
            for k in meta:
                if not isinstance(k, str):
                    raise InvalidInput(f"{what}.metadata keys must be strings")
            metadata = encode_json(meta, f"{what}.metadata")
        call_id = call.id
        if call_id is None:
            call_id = uuid7()
        elif not plain_id(call_id):
            check_id(call_id, f"{what}.id")
        created = call.created_at
        if created is None:
            created = now
        elif type(created) is not datetime or created.tzinfo is not UTC or not MIN_TS <= created <= MAX_TS:
            check_dt(created, f"{what}.created_at")
        return (
            t,
            call_id,
            topic,
            call_type,
            model_key,
            model_id,
            prompt,
            response,
            input_tokens,
            output_tokens,
            cost,
            metadata,
            self._ctx.ts_out(created),
        )

    # -- logging -----------------------------------------------------------------------------------------------

    def log_call(self, call: AICall) -> str:
        """Buffer one call for writing and return its id at once (the kit's UUIDv7 when `call.id` is None).

        The call is validated now (InvalidInput, nothing buffered) and carries the tenant current now; `created_at`
        None means now. A background task writes it within `flush_interval` seconds (sooner once `batch_size` calls
        are waiting); `await flush()` or `store.close()` writes it at once. A call whose id is already stored is
        skipped. Must be called on the event loop the store runs on; ConnectionLost after the store was closed.
        """
        if self._closed:
            raise ConnectionLost("the store is closed")
        t = self._ctx.tenant()
        row = self._row(t, call, utcnow(), "call")
        task = self._task
        if task is None or task.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise RawstoreError("log_call must be called from the event loop the store runs on") from None
            self._task = loop.create_task(self._run(), name="rawstore-ai-calls-writer")
        buf = self._buffer
        buf.append(row)
        self._logged += 1
        n = len(buf)
        if n == 1 or n >= self.batch_size:
            self._wake.set()
        return str(row[_ID])

    async def flush(self) -> None:
        """Write every call logged before this call, including a batch the background task has in flight.

        On a write failure the calls stay buffered (the background task and the next flush retry them; their ids
        make a retry idempotent) and the error is raised. Calls the database itself rejected even one at a time
        are dropped and reported once, by the next flush, as a DatabaseError naming their ids.
        """
        target = self._logged
        if self._done < target:
            async with self._lock:
                await self._drain(target)
        self._raise_rejected()

    async def close(self) -> None:
        """Write everything still buffered and stop the background task; called by `Store.close()`.

        Afterwards `log_call` raises ConnectionLost. When the final write fails the error is raised and the calls
        still buffered are lost (logged at ERROR level with their number).
        """
        if self._closed:
            return
        self._closed = True
        task, self._task = self._task, None
        async with self._lock:  # a write the background task has in flight finishes first
            if task is not None:
                task.cancel()
                await asyncio.wait([task])
            try:
                await self._drain(self._logged)
            except BaseException:
                if self._buffer:
                    log.error(
                        "closing the AI call log lost %d buffered calls: the final write failed", len(self._buffer)
                    )
                raise
        self._raise_rejected()

    def _raise_rejected(self) -> None:
        if self._rejected_error is None:
            return
        ids, err = self._rejected, self._rejected_error
        self._rejected, self._rejected_error = [], None
        shown = ", ".join(map(repr, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        raise DatabaseError(f"the database rejected {len(ids)} logged AI call(s), which were dropped: {shown}") from err

    async def _write(self, rows: list[tuple[Any, ...]]) -> None:
        if self._ctx.rls:
            # The buffer mixes tenants, and a transaction under row-level security writes only one tenant's rows.
            by_tenant: dict[str, list[tuple[Any, ...]]] = {}
            for row in rows:
                by_tenant.setdefault(row[0], []).append(row)
            async with self._ctx.session() as conn, conn.transaction():
                for tenant, part in by_tenant.items():
                    await self._ctx.scope(conn, tenant)
                    await conn.batch(self._insert, part)
            return
        async with self._ctx.write() as conn:
            await conn.batch(self._insert, rows)

    async def _drain(self, target: int) -> None:
        """Write buffered rows, oldest first, until every row logged before `target` left the buffer.

        Holds `_lock`. Each batch is one transaction. A batch that fails goes back to the front of the buffer and
        the error is raised, except for data errors (InvalidInput: a value the database refuses), which are pinned on
        single rows.
        """
        buf = self._buffer
        while self._done < target and buf:
            n = min(self.batch_size, target - self._done, len(buf))
            chunk = buf[:n]
            del buf[:n]
            try:
                await self._write(chunk)
            except InvalidInput as e:
                if n == 1:
                    self._reject(chunk[0], e)
                else:
                    await self._isolate(chunk)
            except BaseException:
                buf[0:0] = chunk
                raise
            self._done += n

    def _reject(self, row: tuple[Any, ...], e: RawstoreError) -> None:
        log.error("the database rejected logged AI call %r, which was dropped: %s", row[_ID], e)
        self._rejected.append(str(row[_ID]))
        if self._rejected_error is None:
            self._rejected_error = e

    async def _isolate(self, chunk: list[tuple[Any, ...]]) -> None:
        """A batch refused for its data: write its rows one at a time and drop those refused for their own data.

        Any other error puts the rows not yet written back at the front of the buffer and is raised.
        """
        for i, row in enumerate(chunk):
            try:
                await self._write([row])
            except InvalidInput as e:
                self._reject(row, e)
            except BaseException:
                self._done += i
                self._buffer[0:0] = chunk[i:]
                raise

    async def _run(self) -> None:
        """Background writer: waits for calls, lets a batch fill for `flush_interval`, writes, backs off on errors."""
        failures = 0
        while True:
            if failures:
                await asyncio.sleep(min(self.flush_interval * 2**failures, self.max_backoff))
            elif len(self._buffer) < self.batch_size:
                self._wake.clear()
                if not self._buffer:
                    await self._wake.wait()
                    self._wake.clear()
                if len(self._buffer) < self.batch_size:
                    try:
                        async with asyncio.timeout(self.flush_interval):
                            await self._wake.wait()
                    except TimeoutError:
                        pass
            if not self._buffer:
                failures = 0
                continue
            try:
                async with self._lock:
                    await self._drain(self._logged)
                failures = 0
            except Exception as e:
                failures += 1
                log.warning("writing %d buffered AI calls failed (kept, retrying): %s", len(self._buffer), e)

    # -- batches -----------------------------------------------------------------------------------------------

    async def log_batch_results(self, batch_id: str, results: Sequence[AICall]) -> bool:
        """Record a batch: write its calls and mark `batch_id` recorded, in one transaction.

        Each call's metadata gains `"batch_id": batch_id`. Returns False and writes nothing when the batch was
        already recorded in this tenant, also when another caller records it concurrently (exactly one of them
        gets True). An empty `results` records the batch too. Calls are validated first (InvalidInput, nothing
        written); ids and created_at default as in `log_call`; a call whose id is already stored is skipped.
        """
        t = self._ctx.tenant()
        check_id(batch_id, "batch_id")
        if isinstance(results, (str, bytes, AICall)) or not isinstance(results, Sequence):
            raise InvalidInput("results must be a list of rawstore.AICall")
        now = utcnow()
        rows = [self._row(t, c, now, f"results[{i}]", batch_id) for i, c in enumerate(results)]
        if len(rows) > MAX_TOKENS:  # pragma: no cover - the calls column is an INT
            raise InvalidInput("results holds too many calls")
        async with self._ctx.write() as conn:
            marked = await conn.run(
                self._ctx[Q.record_batch], {"tenant_id": t, "batch_id": batch_id, "calls": len(rows)}
            )
            if marked == 0:
                return False
            step = max(1, self.batch_size)
            for i in range(0, len(rows), step):
                await conn.batch(self._insert, rows[i : i + step])
        return True

    async def is_recorded(self, batch_id: str) -> bool:
        """Whether `log_batch_results` recorded this batch id in the current tenant (a primary-key lookup)."""
        t = self._ctx.tenant()
        check_id(batch_id, "batch_id")
        return await self._ctx.one(Q.is_recorded, {"tenant_id": t, "batch_id": batch_id}) is not None

    # -- reads -------------------------------------------------------------------------------------------------

    async def _settle(self) -> None:
        # Reads see every call logged before them: buffered calls are written first.
        if self._done < self._logged:
            await self.flush()

    async def get_stats(self, topic_prefix: str = "") -> AICallStats:
        """Totals of the current tenant's calls whose topic starts with `topic_prefix`, and per model key.

        The prefix is plain text (no wildcards: `%`, `_` and `\\` match themselves; case-sensitive); "" matches
        every topic. One grouped query on the (tenant_id, topic) index; costs are summed exactly. Calls still
        buffered are written first.
        """
        t = self._ctx.tenant()
        lo, hi = _prefix_range(topic_prefix)
        await self._settle()
        async with self._ctx.plain() as conn:
            rows = await conn.many(self._ctx[Q.stats], {"tenant_id": t, "prefix": lo, "prefix_end": hi})
        per_model: dict[str, ModelStats] = {}
        calls = tokens_in = tokens_out = nanos = 0
        for m in rows:
            per_model[m.model_key] = ModelStats(m.calls, m.input_tokens, m.output_tokens, m.cost_nanos / NANOS)
            calls += m.calls
            tokens_in += m.input_tokens
            tokens_out += m.output_tokens
            nanos += m.cost_nanos
        return AICallStats(calls, tokens_in, tokens_out, nanos / NANOS, per_model)

    async def get_call(self, call_id: str) -> AICall | None:
        """One call of the current tenant by id (cost as a float, created_at in UTC), or None."""
        t = self._ctx.tenant()
        if not plain_id(call_id):
            check_id(call_id, "call_id")
        await self._settle()
        return await self._ctx.one(Q.get_call, {"tenant_id": t, "id": call_id})

    async def list_calls(
        self, topic: str, *, direction: Direction = "asc", limit: int = 100, cursor: str | None = None
    ) -> Page[AICall]:
        """A page of the calls logged under exactly `topic`, ordered by (created_at, id).

        Pass `next_cursor` back as `cursor` for the next page. Calls still buffered are written first.
        """
        t = self._ctx.tenant()
        check_text(topic, "topic", MAX_TOPIC, blank=False)
        check_choice(direction, "direction", ("asc", "desc"))
        check_limit(limit)
        kind = f"ai_calls:{direction}"
        if cursor is not None:
            c_ts, c_id = decode_cursor(cursor, kind)
        else:
            c_ts, c_id = (MIN_TS, "") if direction == "asc" else (MAX_TS, _MAX_ID)
        await self._settle()
        values = {
            "tenant_id": t,
            "topic": topic,
            "c_ts": self._ctx.ts_out(c_ts),
            "c_id": c_id,
            "limit": limit + 1,
        }
        rows: list[AICall] = []
        if limit:
            async with self._ctx.plain() as conn:
                rows = await conn.many(self._ctx[_PAGES[direction]], values)
        items = rows[:limit]
        has_more = len(rows) > limit
        nxt = None
        if has_more:
            last = items[-1]
            assert last.created_at is not None and last.id is not None
            nxt = encode_cursor(kind, last.created_at, last.id)
        return Page(items, nxt, has_more)

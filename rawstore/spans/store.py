"""`SpanStore` (`store.spans`): AI tracing spans written in batches, trace trees, root-span listings, retention."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec

from ..context import Context
from ..errors import Conflict, InvalidInput, NotFound
from ..pagination import Page, decode_cursor, encode_cursor
from ..queryset import Declared
from ..timeutil import MAX_TS, MIN_TS, utcnow
from ..validate import (
    MAX_SHORT,
    check_bool,
    check_choice,
    check_dt,
    check_id,
    check_int,
    check_limit,
    check_text,
    encode_json,
    json_text,
    plain_id,
)
from .queries import END_FIELDS, INDEXED_UPDATES, UPDATE_FIELDS
from .queries import SpanQueries as Q
from .records import RootKey, Span, SpanUpdate, Trace, TraceSummary

MAX_SPAN_ID = 128
"""Longest trace_id / span_id / parent_span_id (OpenTelemetry ids are 32 and 16 hex digits); MariaDB's index keys
hold at most 3072 bytes."""
MAX_NAME = 1024
MAX_ENTITY_NAME = 255
MAX_TOKENS = 2**53 - 1
"""Largest token count read out of a span's attributes; a larger (or non-integral, negative) value counts as 0."""
CHUNK = 1000
"""Rows per statement of a batch, ids per `IN` list, and traces per delete of `prune`."""

Status = Literal["ok", "error", "running"]
# status -> (error IS NOT NULL, ended_at IS NOT NULL) of the root; None: either.
_STATUS: dict[str, tuple[bool, bool | None]] = {"ok": (False, True), "error": (True, None), "running": (False, False)}
_MAX_ID = "\U0010ffff" * 2
_KEY_SEP = "\x00"  # ids hold no NUL, so (trace_id, span_id) packs into one cursor id
_KIND = "spans:traces"
_ONE_US = timedelta(microseconds=1)
_encode = msgspec.json.Encoder().encode
_INDEXED_AT = tuple(UPDATE_FIELDS.index(f) for f in INDEXED_UPDATES)
# Positions of an update row that end_spans does not set (the key and updated_at aside).
_KEEP = ("tenant_id", "trace_id", "span_id", "updated_at")
_NOT_END_AT = tuple(i for i, f in enumerate(UPDATE_FIELDS) if f not in END_FIELDS and f not in _KEEP)


def _key(v: object, what: str) -> str:
    """A trace or span id: what check_id accepts, at most MAX_SPAN_ID characters."""
    if type(v) is str and len(v) <= MAX_SPAN_ID and plain_id(v):
        return v
    check_id(v, what)
    assert isinstance(v, str)
    if len(v) > MAX_SPAN_ID:
        raise InvalidInput(f"{what} is longer than {MAX_SPAN_ID} characters")
    return v


def _label(what: str, index: int | None, field: str = "") -> str:
    """An error message's name for a value: `span.name`, `spans[3].name` (built only when a check fails)."""
    head = what if index is None else f"{what}[{index}]"
    return f"{head}.{field}" if field else head


def _json(v: Any, what: str, index: int | None, field: str) -> str:
    """The JSON text of a value; InvalidInput naming the field for what no database stores alike."""
    try:
        text = json_text(_encode(v))
    except Exception:  # RecursionError included: encode_json says what is wrong
        text = None
    if text is None:
        text = encode_json(v, _label(what, index, field))
    return text


def _count(v: Any) -> int | None:
    tp = type(v)
    if tp is int:
        return int(v) if 0 <= v <= MAX_TOKENS else None
    if tp is float and v.is_integer() and 0 <= v <= MAX_TOKENS:
        return int(v)
    return None


def tokens(attributes: Any) -> tuple[int, int]:
    """(input, output) token counts of a span's attributes: `usage.inputTokens` / `usage.promptTokens` and
    `usage.outputTokens` / `usage.completionTokens`, else OpenTelemetry's `gen_ai.usage.input_tokens` /
    `gen_ai.usage.output_tokens`; 0 for a count that is absent or not a whole number in [0, 2**53 - 1]."""
    if type(attributes) is not dict:
        return 0, 0
    n_in = n_out = None
    usage = attributes.get("usage")
    if type(usage) is dict:
        n_in = _count(usage.get("inputTokens"))
        if n_in is None:
            n_in = _count(usage.get("promptTokens"))
        n_out = _count(usage.get("outputTokens"))
        if n_out is None:
            n_out = _count(usage.get("completionTokens"))
    if n_in is None:
        n_in = _count(attributes.get("gen_ai.usage.input_tokens"))
    if n_out is None:
        n_out = _count(attributes.get("gen_ai.usage.output_tokens"))
    return n_in or 0, n_out or 0


def _aware(v: object, what: str, index: int | None, field: str) -> datetime:
    if type(v) is datetime and v.tzinfo is UTC and MIN_TS <= v <= MAX_TS:
        return v
    return check_dt(v, _label(what, index, field))


def _sequence(items: object, what: str, record: type) -> Sequence[Any]:
    if isinstance(items, (str, bytes, record)) or not isinstance(items, Sequence):
        raise InvalidInput(f"{what} must be a list of rawstore.{record.__name__}")
    return items


def _cursor_key(cursor: object) -> tuple[datetime, str, str]:
    ts, packed = decode_cursor(cursor, _KIND)
    trace_id, sep, span_id = packed.partition(_KEY_SEP)
    if not sep or _KEY_SEP in span_id:
        raise InvalidInput("cursor is malformed")
    return ts, trace_id, span_id


class _Seen:
    """Values a batch already validated, by limit (most spans of a batch repeat a few names, types and ids)."""

    __slots__ = ("entity_names", "ids", "names", "short")

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.short: set[str] = set()
        self.entity_names: set[str] = set()
        self.ids: set[str] = set()


_PAGES: dict[str, Declared[Span]] = {
    "run_id": Q.roots_by_run,
    "thread_id": Q.roots_by_thread,
    "entity_id": Q.roots_by_entity,
    "resource_id": Q.roots_by_resource,
}


class SpanStore:
    """AI tracing spans and the traces they form, in the current tenant. Reach it as `store.spans` or `tx.spans`.

    Spans are written in batches (`create_many`, one statement per 1,000 spans in one transaction) and completed
    by partial updates (`update_many`), Mastra's "batch with updates" strategy. A trace is read whole in one query
    (`get_trace`); traces are listed by their root spans, newest first, with keyset pages that cost the same at
    any depth (`list_traces`).
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- writes ---------------------------------------------------------------------------------------------

    def _span_row(self, t: str, s: object, now: Any, ok: _Seen, what: str, index: int | None) -> tuple[Any, ...]:
        """The validated row of a span, in SPAN_FIELDS order; InvalidInput names the bad field.

        Values repeated across a batch (names, types, entity and resource ids) are checked once, plain ids take a
        fast path, and error labels are built only on error: this is most of a batch's CPU next to the raw driver.
        """
        if type(s) is not Span and not isinstance(s, Span):
            raise InvalidInput(f"{_label(what, index)} must be a rawstore.Span, got {type(s).__name__}")
        trace_id, span_id, parent = s.trace_id, s.span_id, s.parent_span_id
        if type(trace_id) is not str or len(trace_id) > MAX_SPAN_ID or not plain_id(trace_id):
            _key(trace_id, _label(what, index, "trace_id"))
        if type(span_id) is not str or len(span_id) > MAX_SPAN_ID or not plain_id(span_id):
            _key(span_id, _label(what, index, "span_id"))
        if parent is not None and (type(parent) is not str or len(parent) > MAX_SPAN_ID or not plain_id(parent)):
            _key(parent, _label(what, index, "parent_span_id"))
        # The type test comes first: a set lookup of an unhashable value would raise TypeError.
        name, span_type = s.name, s.span_type
        if type(name) is not str or name not in ok.names:
            ok.names.add(check_text(name, _label(what, index, "name"), MAX_NAME, blank=False))
        if type(span_type) is not str or span_type not in ok.short:
            ok.short.add(check_text(span_type, _label(what, index, "span_type"), MAX_SHORT, blank=False))
        entity_type, entity_name = s.entity_type, s.entity_name
        if entity_type is not None and (type(entity_type) is not str or entity_type not in ok.short):
            ok.short.add(check_text(entity_type, _label(what, index, "entity_type"), MAX_SHORT, blank=False))
        if entity_name is not None and (type(entity_name) is not str or entity_name not in ok.entity_names):
            ok.entity_names.add(
                check_text(entity_name, _label(what, index, "entity_name"), MAX_ENTITY_NAME, blank=False)
            )
        entity_id, resource, thread, run, session = s.entity_id, s.resource_id, s.thread_id, s.run_id, s.session_id
        ids = ok.ids
        if entity_id is not None and (type(entity_id) is not str or entity_id not in ids):
            ids.add(check_id(entity_id, _label(what, index, "entity_id")))
        if resource is not None and (type(resource) is not str or resource not in ids):
            ids.add(check_id(resource, _label(what, index, "resource_id")))
        if thread is not None and (type(thread) is not str or thread not in ids):
            ids.add(check_id(thread, _label(what, index, "thread_id")))
        if run is not None and (type(run) is not str or run not in ids):
            ids.add(check_id(run, _label(what, index, "run_id")))
        if session is not None and (type(session) is not str or session not in ids):
            ids.add(check_id(session, _label(what, index, "session_id")))
        ts_out = self._ctx.ts_out
        started, ended = s.started_at, s.ended_at
        if type(started) is not datetime or started.tzinfo is not UTC or not MIN_TS <= started <= MAX_TS:
            check_dt(started, _label(what, index, "started_at"))
        if ended is not None:
            ended = ts_out(_aware(ended, what, index, "ended_at"))
        is_event = s.is_event
        if type(is_event) is not bool:
            check_bool(is_event, _label(what, index, "is_event"))
        created, updated = s.created_at, s.updated_at
        created = now if created is None else ts_out(_aware(created, what, index, "created_at"))
        updated = now if updated is None else ts_out(_aware(updated, what, index, "updated_at"))
        attributes = s.attributes
        n_in, n_out = tokens(attributes)
        error, scope, tags, links, metadata, input_, output = (
            s.error,
            s.scope,
            s.tags,
            s.links,
            s.metadata,
            s.input,
            s.output,
        )
        return (
            t,
            trace_id,
            span_id,
            parent,
            name,
            span_type,
            ts_out(started),
            ended,
            is_event,
            n_in,
            n_out,
            entity_type,
            entity_id,
            entity_name,
            resource,
            thread,
            run,
            session,
            created,
            updated,
            None if error is None else _json(error, what, index, "error"),
            None if scope is None else _json(scope, what, index, "scope"),
            None if tags is None else _json(tags, what, index, "tags"),
            None if links is None else _json(links, what, index, "links"),
            None if metadata is None else _json(metadata, what, index, "metadata"),
            None if attributes is None else _json(attributes, what, index, "attributes"),
            None if input_ is None else _json(input_, what, index, "input"),
            None if output is None else _json(output, what, index, "output"),
        )

    async def create(self, span: Span) -> Span:
        """Store one new span; returns it with `created_at` / `updated_at` filled in (None: now).

        `Conflict` when the tenant already has a span with this (trace_id, span_id).
        """
        t = self._ctx.tenant()
        now = utcnow()
        row = self._span_row(t, span, self._ctx.ts_out(now), _Seen(), "span", None)
        async with self._ctx.write() as conn:
            await conn.batch(self._ctx[Q.insert_spans], [row])
        return msgspec.structs.replace(
            span,
            created_at=now if span.created_at is None else span.created_at.astimezone(UTC),
            updated_at=now if span.updated_at is None else span.updated_at.astimezone(UTC),
        )

    async def create_many(self, spans: Sequence[Span]) -> int:
        """Store a batch of new spans atomically; returns how many.

        All spans are validated first (InvalidInput, nothing written). A (trace_id, span_id) that appears twice in
        the batch, or that the tenant already stores, is `Conflict` and nothing is written. One transaction, one
        statement per 1,000 spans: `unnest` of column arrays on PostgreSQL, a multi-row INSERT on MariaDB, one
        executemany on SQLite. An empty list writes nothing.
        """
        t = self._ctx.tenant()
        _sequence(spans, "spans", Span)
        if not spans:
            return 0
        now = self._ctx.ts_out(utcnow())
        ok = _Seen()
        row = self._span_row
        rows = [row(t, s, now, ok, "spans", i) for i, s in enumerate(spans)]
        keys = {(r[1], r[2]) for r in rows}
        if len(keys) != len(rows):
            seen: set[tuple[str, str]] = set()
            for r in rows:
                if (r[1], r[2]) in seen:
                    raise Conflict(f"span ({r[1]!r}, {r[2]!r}) appears twice in the batch; nothing was written")
                seen.add((r[1], r[2]))
        # Key order: concurrent batches take their key locks in one order (no deadlock), and a trace's spans are
        # written next to each other.
        rows.sort(key=_row_key)
        insert = self._ctx[Q.insert_spans]
        async with self._ctx.write() as conn:
            for i in range(0, len(rows), CHUNK):
                await conn.batch(insert, rows[i : i + CHUNK])
        return len(rows)

    def _update_row(self, t: str, u: object, now: Any, what: str, index: int | None) -> tuple[Any, ...]:
        """The validated row of an update, in UPDATE_FIELDS order (None: keep); InvalidInput names the bad field.

        Most updates are span ends that set a few fields: every field left None costs one test.
        """
        if type(u) is not SpanUpdate and not isinstance(u, SpanUpdate):
            raise InvalidInput(f"{_label(what, index)} must be a rawstore.SpanUpdate, got {type(u).__name__}")
        trace_id, span_id, parent = u.trace_id, u.span_id, u.parent_span_id
        if type(trace_id) is not str or len(trace_id) > MAX_SPAN_ID or not plain_id(trace_id):
            _key(trace_id, _label(what, index, "trace_id"))
        if type(span_id) is not str or len(span_id) > MAX_SPAN_ID or not plain_id(span_id):
            _key(span_id, _label(what, index, "span_id"))
        if parent is not None and (type(parent) is not str or len(parent) > MAX_SPAN_ID or not plain_id(parent)):
            _key(parent, _label(what, index, "parent_span_id"))
        name, span_type, entity_type, entity_name = u.name, u.span_type, u.entity_type, u.entity_name
        if name is not None:
            check_text(name, _label(what, index, "name"), MAX_NAME, blank=False)
        if span_type is not None:
            check_text(span_type, _label(what, index, "span_type"), MAX_SHORT, blank=False)
        if entity_type is not None:
            check_text(entity_type, _label(what, index, "entity_type"), MAX_SHORT, blank=False)
        if entity_name is not None:
            check_text(entity_name, _label(what, index, "entity_name"), MAX_ENTITY_NAME, blank=False)
        entity_id, resource, thread, run, session = u.entity_id, u.resource_id, u.thread_id, u.run_id, u.session_id
        if entity_id is not None and not plain_id(entity_id):
            check_id(entity_id, _label(what, index, "entity_id"))
        if resource is not None and not plain_id(resource):
            check_id(resource, _label(what, index, "resource_id"))
        if thread is not None and not plain_id(thread):
            check_id(thread, _label(what, index, "thread_id"))
        if run is not None and not plain_id(run):
            check_id(run, _label(what, index, "run_id"))
        if session is not None and not plain_id(session):
            check_id(session, _label(what, index, "session_id"))
        ts_out = self._ctx.ts_out
        started, ended, is_event = u.started_at, u.ended_at, u.is_event
        if started is not None:
            started = ts_out(_aware(started, what, index, "started_at"))
        if ended is not None:
            ended = ts_out(_aware(ended, what, index, "ended_at"))
        if is_event is not None and type(is_event) is not bool:
            check_bool(is_event, _label(what, index, "is_event"))
        attributes = u.attributes
        n_in = n_out = None
        if attributes is not None:
            n_in, n_out = tokens(attributes)
        error, scope, tags, links, metadata, input_, output = (
            u.error,
            u.scope,
            u.tags,
            u.links,
            u.metadata,
            u.input,
            u.output,
        )
        return (
            t,
            trace_id,
            span_id,
            name,
            span_type,
            started,
            parent,
            ended,
            is_event,
            n_in,
            n_out,
            entity_type,
            entity_id,
            entity_name,
            resource,
            thread,
            run,
            session,
            now,
            None if error is None else _json(error, what, index, "error"),
            None if scope is None else _json(scope, what, index, "scope"),
            None if tags is None else _json(tags, what, index, "tags"),
            None if links is None else _json(links, what, index, "links"),
            None if metadata is None else _json(metadata, what, index, "metadata"),
            None if attributes is None else _json(attributes, what, index, "attributes"),
            None if input_ is None else _json(input_, what, index, "input"),
            None if output is None else _json(output, what, index, "output"),
        )

    async def update(self, trace_id: str, span_id: str, **fields: Any) -> Span:
        """Change the given fields of one span (None keeps a field) and bump its updated_at; returns the span.

        The fields are SpanUpdate's: any field of Span but the ids, created_at and updated_at (an unknown name is
        InvalidInput). Raises NotFound when the span does not exist. Token counts follow a new `attributes`.
        """
        t = self._ctx.tenant()
        _key(trace_id, "trace_id")
        _key(span_id, "span_id")
        try:
            u = SpanUpdate(trace_id, span_id, **fields)
        except TypeError as e:
            raise InvalidInput(f"update: {e} (fields are those of rawstore.SpanUpdate)") from None
        row = self._update_row(t, u, self._ctx.ts_out(utcnow()), "update", None)
        async with self._ctx.write() as conn:
            await conn.batch(self._ctx[_update_query([row])], [row])
            span = await conn.one(self._ctx[Q.get_span], {"tenant_id": t, "trace_id": trace_id, "span_id": span_id})
        if span is None:
            raise NotFound(f"span ({trace_id!r}, {span_id!r}) does not exist")
        return span

    async def update_many(self, updates: Sequence[SpanUpdate]) -> int:
        """Apply a batch of partial updates atomically (None keeps a field); returns how many spans were updated.

        Updates of spans that do not exist are skipped (compare the count with the number of distinct spans).
        Several updates of one span apply in order, later fields over earlier ones. Every updated span gets the
        same new updated_at; token counts follow a new `attributes`. All updates are validated first (InvalidInput,
        nothing written). PostgreSQL applies 1,000 updates per statement (`UPDATE … FROM unnest`), SQLite one
        executemany; aiomysql sends one statement per span, all in one transaction.
        """
        t = self._ctx.tenant()
        _sequence(updates, "updates", SpanUpdate)
        if not updates:
            return 0
        now = self._ctx.ts_out(utcnow())
        by_key: dict[tuple[str, str], tuple[Any, ...]] = {}
        for i, u in enumerate(updates):
            row = self._update_row(t, u, now, "updates", i)
            key = (row[1], row[2])
            prev = by_key.get(key)
            by_key[key] = row if prev is None else tuple(p if r is None else r for p, r in zip(prev, row, strict=True))
        rows = [by_key[k] for k in sorted(by_key)]
        update = self._ctx[_update_query(rows)]
        n = 0
        async with self._ctx.write() as conn:
            for i in range(0, len(rows), CHUNK):
                n += await conn.batch(update, rows[i : i + CHUNK])
        return n

    # -- reads ----------------------------------------------------------------------------------------------

    async def get_trace(self, trace_id: str) -> Trace | None:
        """The whole trace, or None when the tenant has no span of it; one query whatever its size.

        `Trace.spans` holds every span ordered by (started_at, span_id), each with its `children` (in the same
        order). Spans whose parent is not stored (orphans) are top-level, in `Trace.roots` with the spans that have
        no parent; a parent cycle in the stored ids is cut at the span where it closes, which becomes top-level.
        """
        t = self._ctx.tenant()
        _key(trace_id, "trace_id")
        async with self._ctx.plain() as conn:
            spans = await conn.many(self._ctx[Q.trace_spans], {"tenant_id": t, "trace_id": trace_id})
        if not spans:
            return None
        roots = _link(spans)
        root = next((s for s in roots if s.parent_span_id is None), roots[0])
        return Trace(trace_id, spans, root, roots)

    async def list_traces(
        self,
        *,
        name: str | None = None,
        span_type: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        resource_id: str | None = None,
        thread_id: str | None = None,
        run_id: str | None = None,
        status: Status | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
        cursor: str | None = None,
        with_total: bool = False,
        with_summary: bool = False,
    ) -> Page[Span]:
        """A page of root spans (spans without a parent: one per trace), newest first by (started_at, trace_id,
        span_id), matching every filter given.

        `since`/`until` are inclusive bounds on started_at; `status` is the root's: "error" (it has an error),
        "running" (no error, not ended) or "ok" (no error, ended). Pass `next_cursor` back as `cursor` for the next
        page, which costs what the first did. `with_total` adds the number of matching roots (one count query),
        `with_summary` each root's TraceSummary over its whole trace (one grouped query for the page).
        """
        t = self._ctx.tenant()
        check_text(name, "name", MAX_NAME, optional=True, blank=False)
        check_text(span_type, "span_type", MAX_SHORT, optional=True, blank=False)
        check_text(entity_type, "entity_type", MAX_SHORT, optional=True, blank=False)
        ids = {"entity_id": entity_id, "resource_id": resource_id, "thread_id": thread_id, "run_id": run_id}
        for field, v in ids.items():
            if v is not None:
                check_id(v, field)
        st_error: bool | None = None
        st_ended: bool | None = None
        if status is not None:
            st_error, st_ended = _STATUS[check_choice(status, "status", tuple(_STATUS))]
        lo = MIN_TS if since is None else check_dt(since, "since")
        hi = MAX_TS if until is None else check_dt(until, "until")
        check_limit(limit)
        check_bool(with_total, "with_total")
        check_bool(with_summary, "with_summary")
        c_ts, c_trace, c_span = (hi, _MAX_ID, _MAX_ID) if cursor is None else _cursor_key(cursor)
        out = self._ctx.ts_out
        values: dict[str, Any] = {
            "tenant_id": t,
            "name": name,
            "span_type": span_type,
            "entity_type": entity_type,
            **ids,
            "st_error": st_error,
            "st_ended": st_ended,
            "lo": out(lo),
            "hi": out(min(hi, c_ts)),
            "c_ts": out(c_ts),
            "c_trace": c_trace,
            "c_span": c_span,
            "limit": limit + 1,
        }
        page = next((q for field, q in _PAGES.items() if ids[field] is not None), Q.roots_page)
        async with self._ctx.plain() as conn:
            rows = await conn.many(self._ctx[page], values) if limit else []
            total = None
            if with_total:
                total = await conn.scalar(self._ctx[Q.count_roots], dict(values, hi=out(hi)))
            items = rows[:limit]
            if with_summary and items:
                trace_ids = list(dict.fromkeys(s.trace_id for s in items))
                totals = await conn.many(self._ctx[Q.trace_totals], {"tenant_id": t, "ids": trace_ids})
                by_trace = {
                    x.trace_id: TraceSummary(
                        x.span_count,
                        x.error_count,
                        x.input_tokens,
                        x.output_tokens,
                        None if x.running or x.last_end is None else x.last_end - x.first_start,
                    )
                    for x in totals
                }
                for s in items:
                    s.summary = by_trace.get(s.trace_id)
        has_more = len(rows) > limit
        nxt = None
        if has_more:
            last = items[-1]
            nxt = encode_cursor(_KIND, last.started_at, last.trace_id + _KEY_SEP + last.span_id)
        return Page(items, nxt, has_more, total)

    # -- deletes --------------------------------------------------------------------------------------------

    async def delete_traces(self, trace_ids: Sequence[str]) -> int:
        """Delete every span of these traces atomically; returns how many spans were deleted.

        Ids of traces the tenant does not have are ignored.
        """
        t = self._ctx.tenant()
        if isinstance(trace_ids, (str, bytes)) or not isinstance(trace_ids, (Sequence, set, frozenset)):
            raise InvalidInput("trace_ids must be a list of trace ids")
        ids = sorted({_key(v, f"trace_ids[{i}]") for i, v in enumerate(trace_ids)})
        if not ids:
            return 0
        n = 0
        delete = self._ctx[Q.delete_traces]
        async with self._ctx.write() as conn:
            for i in range(0, len(ids), CHUNK):
                n += await conn.run(delete, {"tenant_id": t, "ids": ids[i : i + CHUNK]})
        return n

    async def prune(self, *, started_before: datetime | None = None, keep_last: int | None = None) -> int:
        """Delete whole traces by their root span; returns how many spans were deleted.

        A trace goes when its root started before `started_before` (if given) and it is not among the `keep_last`
        newest traces (if given); at least one of the two must be given. Traces are deleted oldest first, 1,000 at
        a time, each chunk in its own transaction (a savepoint inside `store.transaction()`), by key ranges of the
        roots index: no span comes back to Python, so a large sweep holds nothing in memory. A trace with no root
        span stored (only orphans) is never pruned; `delete_traces` removes it.
        """
        t = self._ctx.tenant()
        if started_before is None and keep_last is None:
            raise InvalidInput("prune needs started_before, keep_last or both")
        bounds: list[tuple[datetime, str, str]] = []
        if started_before is not None:
            before = check_dt(started_before, "started_before")
            if before <= MIN_TS:
                return 0
            bounds.append((before - _ONE_US, _MAX_ID, _MAX_ID))
        out = self._ctx.ts_out
        if keep_last is not None:
            keep = check_int(keep_last, "keep_last", 0, 2**62)
            newest_gone = await self._ctx.one(Q.nth_newest_root, {"tenant_id": t, "n": keep})
            if newest_gone is None:
                return 0
            bounds.append(_root_key(newest_gone))
        hi = min(bounds)
        lo: tuple[datetime, str, str] = (MIN_TS, "", "")
        end_q, delete_q = self._ctx[Q.chunk_end], self._ctx[Q.delete_root_range]
        n = 0
        while True:
            values = {
                "tenant_id": t,
                "lo_ts": out(lo[0]),
                "lo_trace": lo[1],
                "lo_span": lo[2],
                "hi_ts": out(hi[0]),
                "hi_trace": hi[1],
                "hi_span": hi[2],
            }
            async with self._ctx.write() as conn:
                end = await conn.one(end_q, dict(values, n=CHUNK - 1))
                upto = hi if end is None else _root_key(end)
                n += await conn.run(delete_q, dict(values, hi_ts=out(upto[0]), hi_trace=upto[1], hi_span=upto[2]))
            if end is None or upto >= hi:
                return n
            lo = upto


def _update_query(rows: list[tuple[Any, ...]]) -> Declared[None]:
    """The narrowest statement that applies these rows: end_spans when they set only a span end's fields (the usual
    update), update_spans_unindexed when they set no indexed column, else update_spans. A statement names only the
    columns it may change: fewer values to send and, on SQLite, no index entries rewritten for nothing."""
    if not any(r[i] is not None for r in rows for i in _NOT_END_AT):
        return Q.end_spans
    if any(r[i] is not None for r in rows for i in _INDEXED_AT):
        return Q.update_spans
    return Q.update_spans_unindexed


def _row_key(r: tuple[Any, ...]) -> tuple[str, str]:
    return r[1], r[2]


def _root_key(k: RootKey) -> tuple[datetime, str, str]:
    return k.started_at, k.trace_id, k.span_id


def _link(spans: list[Span]) -> list[Span]:
    """Attach every span to its parent's `children` (in the order of `spans`); returns the top-level spans.

    Top-level: no parent, a parent that is not among `spans`, or the span where a parent cycle closes (the kit
    never builds a cycle of records: they are not tracked by the garbage collector).
    """
    by_id = {s.span_id: s for s in spans}
    cut: set[str] = set()
    done: set[str] = set()
    for s in spans:
        path: dict[str, None] = {}
        cur: Span | None = s
        while cur is not None:
            sid = cur.span_id
            if sid in done:
                break
            if sid in path:
                cut.add(sid)
                break
            path[sid] = None
            parent = cur.parent_span_id
            cur = None if parent is None else by_id.get(parent)
        done.update(path)
    roots: list[Span] = []
    for s in spans:
        parent = s.parent_span_id
        up = None if parent is None or s.span_id in cut else by_id.get(parent)
        if up is None:
            roots.append(s)
        else:
            up.children.append(s)
    return roots

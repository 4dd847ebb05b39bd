"""`TraceStore` (`store.traces`): legacy OpenTelemetry spans, written in atomic bulk batches and listed newest start
first with a keyset cursor on (start_time_ns, id)."""

from __future__ import annotations

import base64
import binascii
import builtins
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec

from ..context import Context, TxContext
from ..drivers.base import Connection
from ..errors import Conflict, InvalidInput
from ..pagination import Page
from ..timeutil import MAX_TS, MIN_TS, to_micros
from ..validate import (
    MAX_JSON_DEPTH,
    check_bool,
    check_dt,
    check_id,
    check_int,
    check_limit,
    check_text,
    encode_json,
    json_text,
    plain_id,
    shown,
)
from .queries import TraceQueries as Q
from .records import TraceRecord

MAX_NAME = 255
"""Most characters of a span name or scope (a column check on every database keeps name-prefix ranges exact)."""
MAX_NS = 2**63 - 1
"""Largest start or end time in nanoseconds (a signed 64-bit column: until the year 2262)."""
MAX_KIND = 2**31 - 1
BATCH_SIZE = 1000
"""Rows per round trip of `insert_many` (all of them in one transaction)."""

_TOP = "\U0010ffff"
# Past every name starting with a prefix: names hold at most MAX_NAME characters, so prefix + (MAX_NAME + 1 -
# len(prefix)) x U+10FFFF sorts after all of them in code-point (and UTF-8 byte) order.
_ALL_NAMES = ("", _TOP * (MAX_NAME + 1))
# Sorts after every id a caller can write (ids hold no NUL and are compared byte-wise everywhere).
_MAX_ID = _TOP * 2
_KIND = "otel_traces"
_JSON = msgspec.json.Encoder()


def encode_cursor(start_time_ns: int, span_id: str) -> str:
    """The opaque cursor of a position in the list: base64url of msgpack [list kind, start ns, span id]."""
    raw = msgspec.msgpack.encode([_KIND, start_time_ns, span_id])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(token: object) -> tuple[int, str]:
    """The (start_time_ns, id) a cursor points after; InvalidInput if it is malformed or from another list."""
    if not isinstance(token, str) or not token:
        raise InvalidInput("cursor must be a non-empty string from a previous page's next_cursor")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        kind, ns, span_id = msgspec.msgpack.decode(raw, type=tuple[str, int, str])
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidInput("cursor is malformed") from None
    if kind != _KIND:
        raise InvalidInput("cursor belongs to another list, order or direction")
    if not 0 <= ns <= MAX_NS:
        raise InvalidInput("cursor is malformed")
    return ns, span_id


def _bound(value: object, what: str, *, upper: bool) -> int:
    """A `since`/`until` bound in nanoseconds: an int is taken as it is, an aware datetime covers its whole
    microsecond (so `until=dt` includes every start within dt's microsecond). Clamped to [-1, MAX_NS]."""
    if isinstance(value, datetime):
        check_dt(value, what)
        ns = to_micros(value) * 1000 + (999 if upper else 0)
    elif isinstance(value, int) and not isinstance(value, bool):
        ns = check_int(value, what, 0, MAX_NS)
    else:
        raise InvalidInput(f"{what} must be a datetime or an int of nanoseconds, got {type(value).__name__}")
    return min(max(ns, -1), MAX_NS)


def _prefix_range(prefix: object) -> tuple[str, str]:
    """[lo, hi): exactly the names starting with `prefix`, taken literally (`%`, `_` and `\\` are plain text)."""
    check_text(prefix, "name_prefix", MAX_NAME)
    assert isinstance(prefix, str)
    return prefix, prefix + _TOP * (MAX_NAME + 1 - len(prefix))


def _attribute_filter(attributes: object) -> tuple[str | None, str | None]:
    """The JSON text of an `attributes` filter and of its keys as an array; (None, None) for no filter (None or {}).

    The key array serves databases that iterate a filter's keys as JSON strings (MariaDB), escaped exactly as the
    kit writes every stored document.
    """
    if attributes is None:
        return None, None
    if not isinstance(attributes, dict):
        raise InvalidInput(f"attributes must be a dict or None, got {type(attributes).__name__}")
    if not attributes:
        return None, None
    for k in attributes:
        check_text(k, "attributes keys", MAX_NAME)
    return encode_json(attributes, "attributes"), encode_json(builtins.list(attributes), "attributes keys")


class TraceStore:
    """Legacy OpenTelemetry spans of the current tenant (Mastra's traces domain).

    Reach it as `store.traces` or `tx.traces`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- writing --------------------------------------------------------------------------------------------------

    def _rows(self, t: str, records: Sequence[TraceRecord]) -> builtins.list[tuple[Any, ...]]:
        """Validated rows in `TRACE_FIELDS` order; InvalidInput names the first bad field, Conflict a repeated id.

        Names and scopes repeat across a batch and are checked once; plain ASCII ids, UTC datetimes and small JSON
        values take fast paths, and error labels are built only on error: most of what a batch costs in Python.
        """
        rows: builtins.list[tuple[Any, ...]] = []
        seen: dict[str, int] = {}
        ok_names: set[str] = set()
        ok_ids: set[str] = set()
        ts_out = self._ctx.ts_out
        encode = _JSON.encode
        last_created: object = None
        last_ts: Any = None
        for i, r in enumerate(records):
            if type(r) is not TraceRecord and not isinstance(r, TraceRecord):
                raise InvalidInput(f"records[{i}] must be a rawstore.TraceRecord, got {type(r).__name__}")
            span_id, trace_id, parent = r.id, r.trace_id, r.parent_span_id
            if not plain_id(span_id):
                check_id(span_id, f"records[{i}].id")
            # Trace and parent ids repeat across a batch (every span of a trace): each is checked once.
            if type(trace_id) is not str or trace_id not in ok_ids:
                ok_ids.add(check_id(trace_id, f"records[{i}].trace_id"))
            if parent is not None and (type(parent) is not str or parent not in ok_ids):
                ok_ids.add(check_id(parent, f"records[{i}].parent_span_id"))
            name, scope = r.name, r.scope
            # The type test comes first: a set lookup of an unhashable value would raise TypeError.
            if type(name) is not str or name not in ok_names:
                ok_names.add(check_text(name, f"records[{i}].name", MAX_NAME))
            if type(scope) is not str or scope not in ok_names:
                ok_names.add(check_text(scope, f"records[{i}].scope", MAX_NAME))
            kind, start, end = r.kind, r.start_time_ns, r.end_time_ns
            if type(kind) is not int or not 0 <= kind <= MAX_KIND:
                check_int(kind, f"records[{i}].kind", 0, MAX_KIND)
            if type(start) is not int or not 0 <= start <= MAX_NS:
                check_int(start, f"records[{i}].start_time_ns", 0, MAX_NS)
            if type(end) is not int or not 0 <= end <= MAX_NS:
                check_int(end, f"records[{i}].end_time_ns", 0, MAX_NS)
            if end < start:
                raise InvalidInput(
                    f"records[{i}].end_time_ns ({shown(end)}) is before its start_time_ns ({shown(start)})"
                )
            attributes = r.attributes
            if attributes is not None:
                if type(attributes) is not dict:
                    raise InvalidInput(
                        f"records[{i}].attributes must be a dict or None, got {type(attributes).__name__}"
                    )
                for k in attributes:
                    if type(k) is not str:
                        raise InvalidInput(f"records[{i}].attributes keys must be strings")
            created = r.created_at
            if created is not last_created:
                if type(created) is not datetime or created.tzinfo is not UTC or not MIN_TS <= created <= MAX_TS:
                    check_dt(created, f"records[{i}].created_at")
                last_created, last_ts = created, ts_out(created)
            status, events, links, other = r.status, r.events, r.links, r.other
            try:
                ja = None if attributes is None else encode(attributes)
                js = None if status is None else encode(status)
                je = None if events is None else encode(events)
                jl = None if links is None else encode(links)
                jo = None if other is None else encode(other)
                # One scan of all five: no backslash at all (so no NUL escape) and fewer opening brackets than the
                # depth limit is the usual span; anything else is checked value by value.
                plain = _plain_json(b"".join((ja or b"", js or b"", je or b"", jl or b"", jo or b"")))
            except Exception:  # RecursionError included: _json below says what is wrong
                plain = False
            if plain:
                texts = (
                    None if ja is None else ja.decode(),
                    None if js is None else js.decode(),
                    None if je is None else je.decode(),
                    None if jl is None else jl.decode(),
                    None if jo is None else jo.decode(),
                )
            else:
                texts = (
                    _json(encode, attributes, i, "attributes"),
                    _json(encode, status, i, "status"),
                    _json(encode, events, i, "events"),
                    _json(encode, links, i, "links"),
                    _json(encode, other, i, "other"),
                )
            first = seen.setdefault(span_id, i)
            if first != i:
                raise Conflict(f"records[{i}].id {span_id!r} repeats records[{first}].id: span ids are unique")
            rows.append(
                (
                    t,
                    span_id,
                    trace_id,
                    parent,
                    name,
                    scope,
                    kind,
                    start,
                    end,
                    *texts,
                    last_ts,
                )
            )
        return rows

    async def insert_many(self, records: Sequence[TraceRecord]) -> int:
        """Insert spans atomically; returns how many were inserted (all of them).

        Every record is validated first (InvalidInput naming the field, nothing written). A span id already stored
        in this tenant, or repeated in `records`, is Conflict and nothing is written. The rows go in batches of
        `BATCH_SIZE`, each one round trip in the database's bulk path (`unnest` arrays on PostgreSQL, one
        multi-row INSERT on MariaDB, one executemany on SQLite), all in one transaction (a single batch is atomic
        by itself and needs none).
        """
        t = self._ctx.tenant()
        if isinstance(records, (str, bytes, TraceRecord)) or not isinstance(records, Sequence):
            raise InvalidInput("records must be a list of rawstore.TraceRecord")
        rows = self._rows(t, records)
        if not rows:
            return 0
        insert = self._ctx[Q.insert_traces]
        if len(rows) <= BATCH_SIZE:
            async with self._atomic() as conn:
                await conn.batch(insert, rows)
            return len(rows)
        async with self._ctx.write() as conn:
            for i in range(0, len(rows), BATCH_SIZE):
                await conn.batch(insert, rows[i : i + BATCH_SIZE])
        return len(rows)

    @asynccontextmanager
    async def _atomic(self) -> AsyncIterator[Connection]:
        """A connection for one batch, which is atomic by itself: one statement on PostgreSQL, and a batch the
        driver sends as several statements (executemany) is wrapped in a transaction by the driver. So a call of
        one batch costs no BEGIN/COMMIT round trips. Inside `store.transaction()` it still gets its own savepoint,
        so a failed call leaves the caller's transaction usable."""
        if isinstance(self._ctx, TxContext):
            async with self._ctx.write() as conn:
                yield conn
        else:
            async with self._ctx.plain() as conn:
                yield conn

    # -- reading --------------------------------------------------------------------------------------------------

    async def list(
        self,
        *,
        name_prefix: str | None = None,
        scope: str | None = None,
        attributes: dict[str, Any] | None = None,
        since: datetime | int | None = None,
        until: datetime | int | None = None,
        limit: int = 100,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[TraceRecord]:
        """A page of spans, newest start first by (start_time_ns, id); pass `next_cursor` back for the next page.

        `name_prefix`: names starting with it, taken literally (no wildcards; case- and space-sensitive).
        `scope`: exactly this scope. `attributes`: every given top-level key is present with an equal JSON value.
        `since`/`until`: inclusive bounds on the start time, as ints of nanoseconds or aware datetimes (a datetime
        covers its whole microsecond). `with_total` counts every matching span (one more query).
        """
        t = self._ctx.tenant()
        name_range = None if name_prefix is None else _prefix_range(name_prefix)
        if scope is not None:
            check_text(scope, "scope", MAX_NAME)
        attrs, attr_keys = _attribute_filter(attributes)
        lo = 0 if since is None else _bound(since, "since", upper=False)
        hi = MAX_NS if until is None else _bound(until, "until", upper=True)
        check_limit(limit)
        check_bool(with_total, "with_total")
        if cursor is not None:
            c_ns, c_id = decode_cursor(cursor)
        else:
            c_ns, c_id = hi, _MAX_ID
        values: dict[str, Any] = {
            "tenant_id": t,
            "lo": lo,
            "hi": min(hi, c_ns),
            "c_ns": c_ns,
            "c_id": c_id,
            "attrs": attrs,
            "attr_keys": attr_keys,
            "limit": limit + 1,
        }
        if scope is not None:
            page, count = Q.traces_by_scope, Q.count_traces_by_scope
            values["scope"] = scope
            values["name_lo"], values["name_hi"] = name_range or _ALL_NAMES
        elif name_range is not None and name_range[0]:
            page, count = Q.traces_by_name, Q.count_traces_by_name
            values["name_lo"], values["name_hi"] = name_range
        else:
            page, count = Q.traces, Q.count_traces
        async with self._ctx.plain() as conn:
            rows = await conn.many(self._ctx[page], values) if limit else []
            total = None
            if with_total:
                total = await conn.scalar(self._ctx[count], dict(values, hi=hi))
        items = rows[:limit]
        has_more = len(rows) > limit
        nxt = encode_cursor(items[-1].start_time_ns, items[-1].id) if has_more else None
        return Page(items, nxt, has_more, total)


# Every byte but the opening brackets and the backslash: what `translate` deletes to leave the marks to count.
_NOT_MARKS = bytes(b for b in range(256) if b not in b"[{\\")


def _plain_json(data: bytes) -> bool:
    """Whether JSON text msgspec wrote surely needs no closer look: no escape at all (hence no NUL) and at most
    MAX_JSON_DEPTH opening brackets (hence no deeper nesting). False only means "check each value"."""
    marks = data.translate(None, _NOT_MARKS)
    return len(marks) <= MAX_JSON_DEPTH and b"\\" not in marks


def _json(encode: Any, value: Any, i: int, what: str) -> str | None:
    """JSON text of one record's JSON field (None stays NULL); InvalidInput naming the field if it has none."""
    if value is None:
        return None
    try:
        text = json_text(encode(value))
    except Exception:  # RecursionError included: encode_json below says what is wrong
        text = None
    if text is None:
        text = encode_json(value, f"records[{i}].{what}")
    return text

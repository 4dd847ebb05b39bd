"""Records of the spans domain (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

# Records are built with gc=False: the kit never makes a cycle of them (a trace's `children` lists form a tree, and
# get_trace breaks any parent cycle the stored ids describe), so leaving them out of the cycle collector saves its
# work on reads of large traces. An application that appends a span to its own descendants' `children` makes a
# cycle the collector cannot see; such a span is never freed.


class TraceSummary(msgspec.Struct, gc=False):
    """Totals of one whole trace (`list_traces(with_summary=True)`), computed in SQL.

    `duration` is the time from the trace's first start to its last end, None while any of its spans (events
    aside) is still running.
    """

    span_count: int
    error_count: int
    input_tokens: int
    output_tokens: int
    duration: timedelta | None = None


class Span(msgspec.Struct, gc=False):
    """One AI tracing span (Mastra's span record in snake_case). JSON fields take any JSON value.

    `created_at` / `updated_at` None: the time of the call that writes the span. Spans read back carry both.
    `children` and `summary` are not stored: `get_trace` fills `children` (the span's children, by start), and
    `list_traces(with_summary=True)` fills a root's `summary`; elsewhere they are `[]` and None.
    """

    trace_id: str
    span_id: str
    name: str
    span_type: str
    started_at: datetime
    parent_span_id: str | None = None
    ended_at: datetime | None = None
    is_event: bool = False
    scope: Any = None
    attributes: Any = None
    metadata: Any = None
    links: Any = None
    input: Any = None
    output: Any = None
    error: Any = None
    entity_type: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None
    resource_id: str | None = None
    thread_id: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    tags: Any = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    children: list[Span] = msgspec.field(default_factory=list)
    summary: TraceSummary | None = None


class SpanUpdate(msgspec.Struct, gc=False):
    """A partial update of one span (`update_many`): every field left None keeps its stored value.

    A field cannot be set back to None (or a JSON field to JSON null) by an update.
    """

    trace_id: str
    span_id: str
    name: str | None = None
    span_type: str | None = None
    started_at: datetime | None = None
    parent_span_id: str | None = None
    ended_at: datetime | None = None
    is_event: bool | None = None
    scope: Any = None
    attributes: Any = None
    metadata: Any = None
    links: Any = None
    input: Any = None
    output: Any = None
    error: Any = None
    entity_type: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None
    resource_id: str | None = None
    thread_id: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    tags: Any = None


class Trace(msgspec.Struct, gc=False):
    """A whole trace (`get_trace`).

    `spans` is every span of the trace ordered by (started_at, span_id), each with its `children`. `roots` are the
    top-level spans in that order: the spans without a parent, then the orphans (whose parent is not stored).
    `root` is the first span without a parent, or the first orphan when the trace has none.
    """

    trace_id: str
    spans: list[Span]
    root: Span
    roots: list[Span] = msgspec.field(default_factory=list)


class TraceTotals(msgspec.Struct, gc=False):
    """One row of the summary query: the totals of one trace (sums arrive as Decimal on MariaDB)."""

    trace_id: str
    span_count: int
    error_count: int
    running: int
    input_tokens: int
    output_tokens: int
    first_start: datetime
    last_end: datetime | None


class RootKey(msgspec.Struct, gc=False):
    """Where a root span sits in the (started_at, trace_id, span_id) order (prune's chunk bounds)."""

    started_at: datetime
    trace_id: str
    span_id: str

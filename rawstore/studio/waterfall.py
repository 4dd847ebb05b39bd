"""The traces pages' records: a trace list row, and a trace laid out as a waterfall (the span tree in display order
with each span's place on the trace's time axis). Pure functions over `store.spans` records; no I/O."""

from __future__ import annotations

import math
from datetime import datetime

import msgspec

from ..spans import Span, Trace
from ..spans.store import tokens

MAX_INDENT = 12
"""Depth levels a waterfall indents; deeper spans are drawn at this indent (and say how much deeper)."""
MIN_BAR_PCT = 0.3
"""Narrowest bar drawn, in percent of the axis, so a 1 ms span in a 10 s trace stays visible and clickable."""
MAX_ROWS = 2000
"""Most spans a waterfall draws (in tree order); a bigger trace says how many it left out. A 2,000-row page is
about 2 MB of HTML: past that a browser, not the database, is what makes the page slow."""


class TraceRow(msgspec.Struct, gc=False):
    """One trace of the traces list: its root span and the totals of the whole trace."""

    trace_id: str
    span_id: str
    name: str
    span_type: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    # The whole trace's, from its first start to its last end; None while a span runs.
    duration_ms: float | None
    span_count: int | None
    error_count: int | None
    input_tokens: int | None
    output_tokens: int | None
    entity_type: str | None
    entity_id: str | None
    entity_name: str | None


class WaterfallRow(msgspec.Struct, gc=False):
    """One span of a waterfall, in tree order (a parent, then its subtrees by start).

    `offset_ms` is the span's start after the trace's first start; `duration_ms` None while it runs; `bar_ms` the
    length drawn: the duration, or up to the trace's end for a running span. `x_pct` / `w_pct` place the bar on
    the axis in percent (at least MIN_BAR_PCT wide; an event's `x_pct` is its mark's centre). `indent` is the
    depth capped at MAX_INDENT. `orphan`: a top-level span whose parent is not stored.
    """

    index: int
    span_id: str
    parent_span_id: str | None
    name: str
    span_type: str
    kind: str
    depth: int
    orphan: bool
    status: str
    started_at: datetime
    ended_at: datetime | None
    offset_ms: float
    duration_ms: float | None
    bar_ms: float
    x_pct: float
    w_pct: float
    indent: int
    input_tokens: int
    output_tokens: int
    scores: int
    children: int


class Tick(msgspec.Struct, gc=False):
    """A mark on the time axis: `at_ms` after the trace's first start, `pct` of the axis, and its label."""

    at_ms: float
    pct: float
    label: str


class TraceInfo(msgspec.Struct, gc=False):
    """A trace's totals over every span, and the length of its time axis (`axis_ms`)."""

    trace_id: str
    root_span_id: str
    name: str
    span_type: str
    status: str
    started_at: datetime
    ended_at: datetime
    # From the first start to the last end; None while a span (events aside) runs.
    duration_ms: float | None
    axis_ms: float
    span_count: int
    error_count: int
    running_count: int
    input_tokens: int
    output_tokens: int
    scored_spans: int
    max_depth: int
    drawn: int


class Waterfall(msgspec.Struct, gc=False):
    info: TraceInfo
    rows: list[WaterfallRow]
    ticks: list[Tick]


def status(span: Span) -> str:
    """ "error" (it has an error), "event" (a point in time), "running" (not ended) or "ok"."""
    if span.error is not None:
        return "error"
    if span.is_event:
        return "event"
    return "running" if span.ended_at is None else "ok"


# A span type is any string: a small palette keyed on words the usual tracers use (Mastra, OpenTelemetry GenAI).
_KINDS = (
    ("agent", ("agent",)),
    ("model", ("model", "llm", "generation", "chat", "completion", "gen_ai")),
    ("tool", ("tool", "function", "mcp")),
    ("retrieval", ("retriev", "search", "embed", "vector", "rag", "memory")),
    ("workflow", ("workflow", "step", "run", "chain")),
)


def kind(span_type: str) -> str:
    """The colour family of a span type (agent, model, tool, retrieval, workflow or other)."""
    low = span_type.lower()
    for name, words in _KINDS:
        if any(w in low for w in words):
            return name
    return "other"


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def trace_row(root: Span) -> TraceRow:
    s = root.summary
    duration = None
    if s is not None and s.duration is not None:
        duration = _ms(s.duration.total_seconds())
    elif s is None and root.ended_at is not None:
        duration = _ms((root.ended_at - root.started_at).total_seconds())
    return TraceRow(
        root.trace_id,
        root.span_id,
        root.name,
        root.span_type,
        status(root),
        root.started_at,
        root.ended_at,
        duration,
        None if s is None else s.span_count,
        None if s is None else s.error_count,
        None if s is None else s.input_tokens,
        None if s is None else s.output_tokens,
        root.entity_type,
        root.entity_id,
        root.entity_name,
    )


def _tree_order(trace: Trace) -> list[tuple[Span, int]]:
    """Every span with its depth, parents before children, siblings by start (iterative: a chain of 10,000
    spans must not exhaust Python's recursion)."""
    out: list[tuple[Span, int]] = []
    stack: list[tuple[Span, int]] = [(s, 0) for s in reversed(trace.roots)]
    while stack:
        span, depth = stack.pop()
        out.append((span, depth))
        stack.extend((c, depth + 1) for c in reversed(span.children))
    return out


def ticks(axis_ms: float, target: int = 6) -> list[Tick]:
    """Round marks (1, 2 or 5 times a power of ten ms apart) from 0 to the axis' end, about `target` of them."""
    raw = axis_ms / target
    base = 10 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1, 2, 5, 10) if m * base >= raw)
    in_seconds = axis_ms >= 2000
    out = []
    n = 0
    while n * step <= axis_ms * 1.0000001:
        at = round(n * step, 6)
        label = "0" if n == 0 else f"{at / 1000:g} s" if in_seconds else f"{at:g} ms"
        out.append(Tick(at, round(at / axis_ms * 100.0, 4), label))
        n += 1
    return out


def waterfall(trace: Trace, score_counts: dict[str, int], max_rows: int = MAX_ROWS) -> Waterfall:
    """`trace` laid out for drawing: rows in tree order with depths and times relative to its first start."""
    spans = trace.spans
    t0 = min(s.started_at for s in spans)
    t_end = max(max(s.started_at, s.ended_at or s.started_at) for s in spans)
    total_ms = _ms((t_end - t0).total_seconds())
    axis_ms = total_ms if total_ms > 0 else 1.0
    stored = {s.span_id for s in spans}
    rows: list[WaterfallRow] = []
    errors = running = in_tok = out_tok = max_depth = 0
    for i, (s, depth) in enumerate(_tree_order(trace)):
        st = status(s)
        i_tok, o_tok = tokens(s.attributes)
        errors += st == "error"
        running += s.ended_at is None and not s.is_event
        in_tok += i_tok
        out_tok += o_tok
        max_depth = max(max_depth, depth)
        if i >= max_rows:
            continue
        offset = _ms((s.started_at - t0).total_seconds())
        duration = None if s.ended_at is None else _ms((s.ended_at - s.started_at).total_seconds())
        if s.is_event:
            bar = 0.0
        elif duration is None:
            bar = max(0.0, total_ms - offset)
        else:
            bar = max(0.0, duration)
        x = offset / axis_ms * 100.0
        if s.is_event:  # a round mark, kept whole inside the drawing
            x, w = min(max(x, 1.0), 99.0), 0.0
        else:
            w = max(bar / axis_ms * 100.0, MIN_BAR_PCT)
            x = max(0.0, min(x, 100.0 - w))
        rows.append(
            WaterfallRow(
                i,
                s.span_id,
                s.parent_span_id,
                s.name,
                s.span_type,
                kind(s.span_type),
                depth,
                depth == 0 and s.parent_span_id is not None and s.parent_span_id not in stored,
                st,
                s.started_at,
                s.ended_at,
                offset,
                duration,
                bar,
                round(x, 3),
                round(w, 3),
                min(depth, MAX_INDENT),
                i_tok,
                o_tok,
                score_counts.get(s.span_id, 0),
                len(s.children),
            )
        )
    root = trace.root
    info = TraceInfo(
        trace.trace_id,
        root.span_id,
        root.name,
        root.span_type,
        status(root),
        t0,
        t_end,
        None if running else total_ms,
        axis_ms,
        len(spans),
        errors,
        running,
        in_tok,
        out_tok,
        sum(1 for s in spans if score_counts.get(s.span_id)),
        max_depth,
        len(rows),
    )
    return Waterfall(info, rows, ticks(axis_ms))

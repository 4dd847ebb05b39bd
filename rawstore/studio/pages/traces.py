"""Studio pages: the traces list (root spans, filtered, keyset pages) → one trace as a waterfall with a span panel."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, cast

import msgspec

from ...errors import InvalidInput, NotFound
from ...spans.store import Status
from ..app import not_found
from ..trace_queries import StudioTraceQueries
from ..waterfall import trace_row, waterfall
from ..web import Req, View, page

# Filters passed to store.spans.list_traces as they are (it checks them: a bad value is InvalidInput, a 400).
TEXT_FILTERS = ("name", "span_type", "entity_type", "entity_id", "resource_id", "thread_id", "run_id")
STATUSES = ("ok", "error", "running")
SCORES_SHOWN = 100


def _time(value: str | None, name: str, *, end: bool) -> datetime | None:
    """An ISO date or time from the filter form; without an offset it is UTC (the studio shows UTC). A bare date
    is the start of that day for `since` and its end for `until`, so both bounds include the day."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            at = datetime.combine(date.fromisoformat(value), time.max if end else time.min, UTC)
        else:
            at = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{name} must be an ISO date or time such as 2026-05-01, 2026-05-01T10:00 or 2026-05-01T10:00:00Z,"
            f" got {value!r}"
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@page("/traces", "traces", nav="Traces", order=20)
async def traces(req: Req) -> View:
    filters: dict[str, str | None] = {k: req.arg(k) for k in TEXT_FILTERS}
    st = req.arg("status")
    if st is not None and st not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, got {st!r}")
    since = _time(req.arg("since"), "since", end=False)
    until = _time(req.arg("until"), "until", end=True)
    if since is not None and until is not None and since > until:
        raise InvalidInput("since is after until")
    found = await req.tx.spans.list_traces(
        name=filters["name"],
        span_type=filters["span_type"],
        entity_type=filters["entity_type"],
        entity_id=filters["entity_id"],
        resource_id=filters["resource_id"],
        thread_id=filters["thread_id"],
        run_id=filters["run_id"],
        status=cast(Status | None, st),
        since=since,
        until=until,
        limit=req.limit,
        cursor=req.cursor,
        with_summary=True,
    )
    form = {**filters, "status": st, "since": req.arg("since"), "until": req.arg("until")}
    return View(
        "traces.html",
        "Traces",
        {
            "filters": {**filters, "status": st, "since": since, "until": until},
            "form": form,
            "filtered": any(v is not None for v in form.values()),
            "traces": [trace_row(s) for s in found.items],
        },
        next_url=req.next_url(found.next_cursor),
    )


@page("/traces/{trace_id:path}", "trace", order=21)
async def trace(req: Req) -> View:
    trace_id = req.path_param("trace_id")
    found = await req.tx.spans.get_trace(trace_id)
    if found is None:
        raise not_found(f"trace {trace_id!r}")
    counts = await req.many(StudioTraceQueries.trace_score_counts, {"tenant_id": req.tenant, "trace_id": trace_id})
    laid = waterfall(found, {c.span_id: c.scores for c in counts})
    wanted = req.arg("span")
    if wanted is None:
        selected = found.root
    else:
        hit = next((s for s in found.spans if s.span_id == wanted), None)
        if hit is None:
            raise NotFound(f"span {wanted!r} is not in trace {trace_id!r}")
        selected = hit
    scores = await req.tx.scores.list_by_span(trace_id, selected.span_id, limit=SCORES_SHOWN)
    data: dict[str, Any] = {
        "trace": laid.info,
        "axis": laid.ticks,
        "spans": laid.rows,
        # The selected span whole, but without its subtree (`children` would repeat the rows below it).
        "selected": msgspec.structs.replace(selected, children=[]),
        "selected_index": next((r.index for r in laid.rows if r.span_id == selected.span_id), None),
        "scores": scores.items,
        "more_scores": scores.has_more,
    }
    return View(
        "trace.html",
        f"Trace {found.root.name}",
        data,
        crumbs=[("Traces", req.url("/traces"))],
    )

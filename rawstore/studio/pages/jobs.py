"""Studio pages: the job queue — counts per queue and status, the running jobs with their age and lease holder, the
failed ones with their last error (keyset pages of each), and one job whole."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ...enums import Status
from ...timeutil import MAX_TS, MIN_TS
from ..app import not_found
from ..ops import MAX_ID, bounded, clock, cut, read_ts_cursor, rows, ts_cursor
from ..ops_queries import JobRow, QueueStatusCount
from ..ops_queries import StudioOpsQueries as Q
from ..web import Req, View, page

# Rows of each list on the jobs overview; its own page pages through the rest.
OVERVIEW_ROWS = 20


class RunningJob(msgspec.Struct, gc=False):
    """A running job with its ages by the database's clock: since it was claimed, and since its lease was last
    renewed (a claim or a heartbeat): a lease much older than the others is a worker that stopped."""

    job: JobRow
    running_ms: float | None
    lease_ms: float | None


def _ms(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else (now - then).total_seconds() * 1000


async def _running(req: Req, limit: int, after: tuple[datetime, str] | None) -> tuple[list[RunningJob], str | None]:
    c_ts, c_id = after or (MIN_TS, "")
    values = {"tenant_id": req.tenant, "c_ts": req.ctx.ts_out(c_ts), "c_id": c_id, "limit": limit + 1}
    found, more = cut(await rows(req.tx, Q.running_jobs, values), limit)
    now = await clock(req)
    out = [RunningJob(j, _ms(now, j.started_at), _ms(now, j.locked_at)) for j in found]
    last = found[-1] if found else None
    # A running job always has locked_at (the claim sets it, and the query reads only those that have).
    cursor = ts_cursor("running", last.locked_at, last.id) if more and last and last.locked_at else None
    return out, cursor


async def _failed(req: Req, limit: int, after: tuple[datetime, str] | None) -> tuple[list[JobRow], str | None]:
    c_ts, c_id = after or (MAX_TS, MAX_ID)
    values = {"tenant_id": req.tenant, "c_ts": req.ctx.ts_out(c_ts), "c_id": c_id, "limit": limit + 1}
    found, more = cut(await rows(req.tx, Q.failed_jobs, values), limit)
    return found, ts_cursor("failed", found[-1].updated_at, found[-1].id) if more else None


def _table(counts: list[QueueStatusCount]) -> dict[str, Any]:
    """Counts as a table of queues by statuses, with totals per status and per queue."""
    queues: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(Status, 0)
    for c in counts:
        queues.setdefault(c.queue, dict.fromkeys(Status, 0))[c.status] = c.jobs
        totals[Status(c.status)] += c.jobs
    return {
        "statuses": list(Status),
        "queues": [{"queue": q, "counts": by, "total": sum(by.values())} for q, by in queues.items()],
        "totals": totals,
        "total": sum(totals.values()),
    }


@page("/jobs", "jobs", nav="Jobs", order=40)
async def jobs(req: Req) -> View:
    counts = await bounded(req, lambda sp: rows(sp, Q.job_queue_counts, {"tenant_id": req.tenant}))
    n = min(req.limit, OVERVIEW_ROWS)
    running, more_running = await _running(req, n, None)
    failed, more_failed = await _failed(req, n, None)
    return View(
        "jobs.html",
        "Jobs",
        {
            "counts": None if counts is None else _table(counts),
            "running": running,
            "failed": failed,
            "more_running": None if more_running is None else req.url("/jobs/running", cursor=more_running),
            "more_failed": None if more_failed is None else req.url("/jobs/failed", cursor=more_failed),
        },
    )


@page("/jobs/running", "jobs-running", order=41)
async def running(req: Req) -> View:
    found, cursor = await _running(req, req.limit, read_ts_cursor(req, "running"))
    return View(
        "jobs_list.html",
        "Running jobs",
        {"kind": "running", "running": found},
        next_url=req.next_url(cursor),
        crumbs=[("Jobs", req.url("/jobs"))],
    )


@page("/jobs/failed", "jobs-failed", order=42)
async def failed(req: Req) -> View:
    found, cursor = await _failed(req, req.limit, read_ts_cursor(req, "failed"))
    return View(
        "jobs_list.html",
        "Failed jobs",
        {"kind": "failed", "failed": found},
        next_url=req.next_url(cursor),
        crumbs=[("Jobs", req.url("/jobs"))],
    )


@page("/jobs/job/{job_id:path}", "job", order=43)
async def job(req: Req) -> View:
    job_id = req.path_param("job_id")
    found = await req.tx.jobs.get_job(job_id)
    if found is None:
        raise not_found(f"job {job_id!r}")
    now = await clock(req)
    return View(
        "job.html",
        f"Job {found.id}",
        {
            # Every field but the lease token: it fences the worker holding the job, and a page has no use for it.
            "job": {k: v for k, v in msgspec.structs.asdict(found).items() if k != "lease"},
            "running_ms": _ms(now, found.started_at) if found.status == Status.RUNNING else None,
            "lease_ms": _ms(now, found.locked_at) if found.status == Status.RUNNING else None,
        },
        crumbs=[("Jobs", req.url("/jobs"))],
    )

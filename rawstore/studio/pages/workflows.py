"""Studio pages: workflow runs (by status and type) → a run's stages in execution groups, its artifacts and its
log lines; workflow snapshots → one snapshot's JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from ...enums import LEVEL_BY_NAME, STATUS_BY_NAME, Status
from ...errors import InvalidInput
from ...queryset import Many
from ...timeutil import MAX_TS, MIN_TS
from ...workflows.records import WorkflowLog, WorkflowStage
from ..app import not_found
from ..ops import MAX_ID, choice, cut, read_ts_cursor, rows, ts_cursor
from ..ops_queries import RunRow
from ..ops_queries import StudioOpsQueries as Q
from ..web import Req, View, page

# How many workflow types the runs filter offers (one index probe each).
MAX_TYPES = 200
# Log lines on a run's own page; the logs page pages through the rest.
RUN_PAGE_LOGS = 50

_RUNS: dict[tuple[bool, bool], Many[RunRow]] = {
    (False, False): Q.runs_all,
    (True, False): Q.runs_by_type,
    (False, True): Q.runs_by_status,
    (True, True): Q.runs_by_type_status,
}


def _crumbs(req: Req) -> list[tuple[str, str]]:
    return [("Workflow runs", req.url("/workflows"))]


@page("/workflows", "workflows", nav="Workflows", order=30)
async def runs(req: Req) -> View:
    status = choice(req, "status", STATUS_BY_NAME)
    wtype = req.arg("type")
    c_ts, c_id = read_ts_cursor(req, "runs") or (MAX_TS, MAX_ID)
    values: dict[str, Any] = {
        "tenant_id": req.tenant,
        "c_ts": req.ctx.ts_out(c_ts),
        "c_id": c_id,
        "limit": req.limit + 1,
    }
    if wtype is not None:
        values["workflow_type"] = wtype
    if status is not None:
        values["status"] = status.value
    found, more = cut(await rows(req.tx, _RUNS[wtype is not None, status is not None], values), req.limit)
    types = await rows(req.tx, Q.run_types, {"tenant_id": req.tenant, "limit": MAX_TYPES})
    cursor = ts_cursor("runs", found[-1].created_at, found[-1].id) if more else None
    return View(
        "workflows.html",
        "Workflow runs",
        {
            "runs": found,
            "status": status,
            "type": wtype,
            "statuses": list(Status),
            "types": types,
            "filtered": status is not None or wtype is not None,
        },
        next_url=req.next_url(cursor),
    )


def _groups(stages: list[WorkflowStage]) -> list[dict[str, Any]]:
    """Stages (in execution_group, stage_number order) as one entry per execution group."""
    out: list[dict[str, Any]] = []
    for s in stages:
        if not out or out[-1]["execution_group"] != s.execution_group:
            out.append({"execution_group": s.execution_group, "stages": []})
        out[-1]["stages"].append(s)
    return out


async def _logs(
    req: Req, run_id: str, stage_row_id: str | None, level: str | None, limit: int, after: tuple[datetime, str] | None
) -> tuple[list[WorkflowLog], str | None]:
    """A page of the run's (or one stage's) log lines after `after`, and the cursor of the next page."""
    c_ts, c_id = after or (MIN_TS, "")
    values: dict[str, Any] = {
        "tenant_id": req.tenant,
        "c_ts": req.ctx.ts_out(c_ts),
        "c_id": c_id,
        "level": level,
        "limit": limit + 1,
    }
    if stage_row_id is None:
        values["run_id"] = run_id
        found = await rows(req.tx, Q.run_logs_page, values)
    else:
        values["stage_row_id"] = stage_row_id
        found = await rows(req.tx, Q.stage_logs_page, values)
    lines, more = cut(found, limit)
    return lines, ts_cursor("logs", lines[-1].created_at, lines[-1].id) if more else None


@page("/workflows/run/{run_id:path}", "workflow-run", order=31)
async def run(req: Req) -> View:
    run_id = req.path_param("run_id")
    found = await req.tx.workflows.get_run(run_id)
    if found is None:
        raise not_found(f"workflow run {run_id!r}")
    stages = await req.tx.workflows.get_stages_by_run(run_id)
    artifacts = await req.tx.workflows.list_artifacts(run_id)
    # The first log lines; the logs page continues from the cursor.
    logs, cursor = await _logs(req, run_id, None, None, min(req.limit, RUN_PAGE_LOGS), None)
    snapshot = await req.tx.snapshots.get_run(run_id)
    return View(
        "workflow_run.html",
        f"Run {found.workflow_name} · {found.id}",
        {
            "run": found,
            "groups": _groups(stages),
            "stage_names": {s.id: s.stage_id for s in stages},
            "artifacts": artifacts,
            "logs": logs,
            "more_logs": None if cursor is None else req.url(f"/workflows/logs/{quote(run_id)}", cursor=cursor),
            "snapshot": None
            if snapshot is None
            else {"workflow_name": snapshot.workflow_name, "run_id": snapshot.run_id, "status": snapshot.status},
        },
        crumbs=_crumbs(req),
    )


@page("/workflows/logs/{run_id:path}", "workflow-logs", order=32)
async def logs(req: Req) -> View:
    run_id = req.path_param("run_id")
    found = await req.tx.workflows.get_run(run_id)
    if found is None:
        raise not_found(f"workflow run {run_id!r}")
    level = choice(req, "level", LEVEL_BY_NAME)
    stage_id = req.arg("stage")
    stage_row_id = None
    if stage_id is not None:
        stage_row_id = await req.tx.workflows.get_stage_id_for_artifact(run_id, stage_id)
        if stage_row_id is None:
            raise not_found(f"stage {stage_id!r} of workflow run {run_id!r}")
    after = read_ts_cursor(req, "logs")
    lines, cursor = await _logs(req, run_id, stage_row_id, None if level is None else level.value, req.limit, after)
    stages = await req.tx.workflows.get_stages_by_run(run_id)
    return View(
        "workflow_logs.html",
        f"Logs of run {found.workflow_name} · {found.id}" + ("" if stage_id is None else f" · stage {stage_id}"),
        {
            "run_id": run_id,
            "stage": stage_id,
            "level": level,
            "levels": list(LEVEL_BY_NAME.values()),
            "stage_names": {s.id: s.stage_id for s in stages},
            "logs": lines,
        },
        next_url=req.next_url(cursor),
        crumbs=[*_crumbs(req), (found.id, req.url(f"/workflows/run/{quote(run_id)}"))],
    )


@page("/workflows/snapshots", "workflow-snapshots", order=33)
async def snapshots(req: Req) -> View:
    name = req.arg("workflow")
    status = req.arg("status")
    resource = req.arg("resource")
    found = await req.tx.snapshots.list_runs(
        workflow_name=name, status=status, resource_id=resource, limit=req.limit, cursor=req.cursor
    )
    return View(
        "workflow_snapshots.html",
        "Workflow snapshots",
        {
            "snapshots": found.items,
            "workflow": name,
            "status": status,
            "resource": resource,
            "filtered": name is not None or status is not None or resource is not None,
        },
        next_url=req.next_url(found.next_cursor),
        crumbs=_crumbs(req),
    )


@page("/workflows/snapshot", "workflow-snapshot", order=34)
async def snapshot(req: Req) -> View:
    name, run_id = req.arg("workflow"), req.arg("run")
    if name is None or run_id is None:
        raise InvalidInput("a snapshot is named by ?workflow= and ?run=")
    found = await req.tx.snapshots.get_run(run_id, workflow_name=name)
    if found is None:
        raise not_found(f"snapshot of {name!r} run {run_id!r}")
    run_exists = await req.tx.workflows.get_run_status(run_id) is not None
    return View(
        "workflow_snapshot.html",
        f"Snapshot {name} · {run_id}",
        {"snapshot": found, "run_link": run_exists},
        crumbs=[*_crumbs(req), ("Snapshots", req.url("/workflows/snapshots"))],
    )

"""Seeding the studio's operations pages (workflows, jobs, AI calls, scores, memories) for its HTTP and browser
tests: a little of everything, with the XSS payload in a log message, a job's last error, an artifact value, a score
reason and a memory's content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import rawstore
from rawstore import AICall, Memory, Score, User
from tests.studio_support import XSS

# A run with stages in two execution groups, logs, artifacts and a snapshot; its id has a slash (a path parameter).
RUN = "run/xss-1"
WORKER = "worker-7@host"
EMBED_DIMS = 8


async def seed_ops(
    store: rawstore.Store, *, runs: int = 6, logs: int = 5, failed: int = 1, scores: int = 30
) -> dict[str, Any]:
    """Seed every operations domain in the current tenant; returns the ids and figures the tests check."""
    out: dict[str, Any] = {}
    wf = store.workflows
    await wf.create_run(
        id=RUN, workflow_id="wf-1", workflow_name="ingest <docs>", workflow_type="ingest", input={"doc": XSS}
    )
    await wf.update_run(RUN, status="RUNNING", total_tokens=1234, total_cost=0.25)
    stages = [
        await wf.create_stage(
            workflow_run_id=RUN, stage_id=f"s{i}", stage_name=f"stage {i}", stage_number=i, execution_group=g
        )
        for i, g in ((1, 0), (2, 0), (3, 1))
    ]
    await wf.update_stage_by_run_and_stage_id(RUN, "s1", status="COMPLETED", output_data={"rows": 3})
    await wf.update_stage_by_run_and_stage_id(RUN, "s3", status="FAILED", error_message=f"boom {XSS}")
    await wf.create_logs(
        [
            {
                "level": "ERROR" if i == 0 else "INFO",
                "message": XSS if i == 0 else f"line {i}",
                "workflow_run_id": RUN,
                "workflow_stage_id": stages[i % 3].id,
            }
            for i in range(logs)
        ]
    )
    await wf.save_artifact(workflow_run_id=RUN, key="report", type="ARTIFACT", data={"html": XSS, "n": [1, 2, 3]})
    await wf.save_artifact(
        workflow_run_id=RUN, key="s1-out", type="STAGE_OUTPUT", data=XSS, workflow_stage_id=stages[0].id
    )
    await store.snapshots.persist("ingest <docs>", RUN, {"status": "running", "context": {"note": XSS}})
    await store.snapshots.persist("other", "snap-2", {"status": "success"}, resource_id="res-1")
    statuses = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "COMPLETED", "SUSPENDED"]
    for i in range(runs):
        r = await wf.create_run(
            id=f"run-{i:03d}", workflow_id="wf-2", workflow_name="report", workflow_type=("report", "ingest")[i % 2],
            input={"i": i},
        )  # fmt: skip
        if statuses[i % len(statuses)] != "PENDING":
            await wf.update_run(r.id, status=statuses[i % len(statuses)])
    out["runs"] = runs + 1

    # Jobs: two queues; one running (lease held by WORKER), `failed` failed with the payload as their error, one done.
    q = store.jobs
    for i in range(2 + failed + 2):
        await q.enqueue(workflow_run_id=RUN, stage_id=f"s{i}", queue="emails" if i % 2 else "reports", payload={"i": i})
    running = await q.dequeue(worker_id=WORKER)
    assert running is not None
    out["running_job"] = running.id
    out["failed_jobs"] = []
    for i in range(failed):
        job = await q.dequeue(worker_id="worker-2")
        assert job is not None
        await q.fail(job.id, lease=job.lease or "", error=f"{XSS} failure {i}")
        out["failed_jobs"].append(job.id)
    done = await q.dequeue(worker_id="worker-3")
    assert done is not None
    await q.complete(done.id, lease=done.lease or "")
    out["jobs"] = 2 + failed + 2

    # AI calls on three of the last days, two models, and one call older than any chart window.
    now = datetime.now(UTC)
    calls = [
        AICall("chat/support", "chat", "gpt-x", "gpt-x-1", "p", "r", 100, 20, 0.5, created_at=now - timedelta(days=2)),
        AICall("chat/support", "chat", "gpt-x", "gpt-x-1", "p", "r", 50, 10, 0.25, created_at=now - timedelta(days=1)),
        AICall("chat/sales", "chat", "claude-y", "claude-y-2", "p", "r", 300, 60, 1.5, created_at=now),
        AICall("batch/old", "batch", "gpt-x", "gpt-x-1", "p", "r", 7, 3, 2.0, created_at=now - timedelta(days=400)),
    ]
    await store.ai_calls.log_batch_results("batch-1", calls)
    out["days"] = {(now - timedelta(days=d)).strftime("%Y-%m-%d") for d in (0, 1, 2)}

    # Scores: `scores` from "relevance" (values 0..1, one with the payload as its reason), 3 from "toxicity".
    t0 = now - timedelta(hours=1)
    await store.scores.save_many(
        [
            Score(
                "", "relevance", "eval-run", f"agent-{i % 3}", i / max(1, scores - 1), {"ok": True},
                "LIVE" if i % 2 else "TEST", {"name": "Relevance"}, "AGENT", trace_id="trace-1" if i == 0 else None,
                reason=XSS if i == scores - 1 else f"reason {i}", created_at=t0 + timedelta(seconds=i),
            )
            for i in range(scores)
        ]
        + [
            Score("", "toxicity", "eval-run", "agent-0", 0.1 * i, None, "LIVE", {"name": "Tox"}, created_at=t0)
            for i in range(3)
        ]
    )  # fmt: skip
    out["scores"] = scores

    # Semantic memory: one user with two sessions and three memories (one deleted, one holding the payload).
    m = store.memories
    await m.save_user(User("u-1", "ada@example.com", "Ada <b>"))
    await m.save_user(User("u-2", "bob@example.com"))
    s1 = await m.start_session("u-1", id="sess-1")
    await m.start_session("u-1", id="sess-2")
    vec = [0.125 * (k + 1) for k in range(EMBED_DIMS)]
    await m.add_many(
        [
            Memory("mem-1", "u-1", XSS, session_id=s1.id, importance=0.9, embedding=vec,
                   created_at=now - timedelta(minutes=3)),
            Memory("mem-2", "u-1", "likes tea", importance=0.2, embedding=vec, created_at=now - timedelta(minutes=2)),
            Memory("mem-3", "u-1", "old fact", importance=0.5, created_at=now - timedelta(minutes=1)),
        ]
    )  # fmt: skip
    await m.delete("mem-3")
    return out


async def seed(url: str, *, pgbouncer: bool = False, tenant_id: str | None = None, **kw: Any) -> dict[str, Any]:
    async with rawstore.connect(url, pgbouncer=pgbouncer) as store:
        if tenant_id is None:
            return await seed_ops(store, **kw)
        with rawstore.tenant(tenant_id):
            return await seed_ops(store, **kw)

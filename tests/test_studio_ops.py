"""The studio's operations pages over HTTP on every backend: workflow runs, a run's stages / logs / artifacts,
snapshots, jobs, AI calls, scores and semantic memories — content and JSON twins, filters, keyset pages, escaping,
typed answers to bad requests, tenants kept apart, aggregates that outlive the statement timeout, and the query
plans of the studio's own SQL (each reads its index in order)."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest

import rawstore
from rawstore.drivers import mysql as my_driver
from rawstore.drivers import sqlite as lite_driver
from rawstore.sqlfiles import load_queries
from rawstore.studio.ops import bounded
from rawstore.studio.web import Req, View, opaque, page
from rawstore.timeutil import MAX_TS, MIN_TS
from tests.studio_ops_support import EMBED_DIMS, RUN, WORKER, seed
from tests.studio_support import XSS, get, running_studio, studio_url

SLOW = (
    "WITH RECURSIVE d(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < 1000)"
    " SELECT COUNT(*) FROM d d1, d d2, d d3"
)


@page("/_test/ops-bounded", "test-ops-bounded")
async def _bounded(req: Req) -> View:
    """Reachable only from these tests: a slow aggregate in `bounded`, then a plain read on the same transaction."""
    slow = await bounded(req, lambda sp: sp.fetch(SLOW))
    after = await req.tx.jobs.counts()
    return View("error.html", "bounded", {"slow": slow, "after": sum(after.values())})


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0
        self.rects: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"] or "")
        if tag == "script":
            self.scripts += 1
        if tag == "rect" and "bar" in (a.get("class") or "").split():
            self.rects[a.get("class") or ""] = self.rects.get(a.get("class") or "", 0) + 1
        if tag == "svg" and "chart" in (a.get("class") or ""):
            self.rects.setdefault("svg", 0)
            self.rects["svg"] += 1


def _html(text: str) -> _Html:
    p = _Html()
    p.feed(text)
    return p


def _seed(backend: str, url: str, **kw: Any) -> dict[str, Any]:
    return asyncio.run(seed(url, pgbouncer=backend == "pgbouncer", **kw))


def _json(base: str, path: str) -> dict[str, Any]:
    r = get(base, path + ("&" if "?" in path else "?") + "format=json")
    assert r.status_code == 200, (path, r.text[:500])
    assert r.headers["content-type"] == "application/json"
    body: dict[str, Any] = r.json()
    return body


def _pages(base: str, path: str, key: str) -> tuple[list[Any], int]:
    """Every item of a keyset list, following `next` links; and how many pages it took."""
    seen: list[Any] = []
    nxt: str | None = path
    pages = 0
    while nxt is not None:
        body = _json(base, nxt)
        seen += body["data"][key]
        nxt = body["next"]
        assert nxt is None or "offset" not in nxt
        pages += 1
        assert pages < 100
    return seen, pages


OPS_PAGES = [
    "/workflows",
    "/workflows?status=RUNNING&type=ingest",
    f"/workflows/run/{RUN}",
    f"/workflows/logs/{RUN}",
    f"/workflows/logs/{RUN}?stage=s1&level=INFO",
    "/workflows/snapshots",
    "/workflows/snapshot?workflow=ingest+%3Cdocs%3E&run=" + quote(RUN),
    "/jobs",
    "/jobs/running",
    "/jobs/failed",
    "/ai-calls",
    "/scores",
    "/scores/relevance",
    "/memories",
    "/memories/user/u-1",
    "/memories/sessions/u-1",
]


def test_every_page_and_its_json_twin(backend: str, db_url: str) -> None:
    seeded = _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        for path in [*OPS_PAGES, f"/jobs/job/{seeded['running_job']}"]:
            r = get(base, path)
            assert r.status_code == 200, (path, r.text[:800])
            assert r.headers["content-type"].startswith("text/html")
            parsed = _html(r.text)
            assert parsed.scripts == 0, path
            # Every value is escaped: the payloads show as text, never as markup.
            assert "<script>alert" not in r.text and "<img src=x" not in r.text, path
            twin = _json(base, path)
            assert twin["tenant"] == "default" and twin["next"] is None
        # The navigation names each part.
        nav = _html(get(base, "/jobs").text).hrefs
        for target in ("/workflows?", "/jobs?", "/ai-calls?", "/scores?", "/memories?"):
            assert any(h.startswith(target) for h in nav), target


def test_workflow_run_stages_logs_artifacts_and_snapshot(backend: str, db_url: str) -> None:
    _seed(backend, db_url, logs=7)
    with running_studio(studio_url(backend, db_url)) as base:
        data = _json(base, f"/workflows/run/{RUN}")["data"]
        assert data["run"]["id"] == RUN and data["run"]["status"] == "RUNNING"
        groups = [(g["execution_group"], [s["stage_id"] for s in g["stages"]]) for g in data["groups"]]
        assert groups == [(0, ["s1", "s2"]), (1, ["s3"])]
        assert data["groups"][1]["stages"][0]["error_message"] == f"boom {XSS}"
        assert {a["key"]: a["data"] for a in data["artifacts"]} == {
            "report": {"html": XSS, "n": [1, 2, 3]},
            "s1-out": XSS,
        }
        assert [line["message"] for line in data["logs"]] == [XSS, *(f"line {i}" for i in range(1, 7))]
        assert data["more_logs"] is None
        names = data["stage_names"]
        assert [names[line["workflow_stage_id"]] for line in data["logs"]] == ["s1", "s2", "s3", "s1", "s2", "s3", "s1"]
        assert data["snapshot"] == {"workflow_name": "ingest <docs>", "run_id": RUN, "status": "running"}

        html = get(base, f"/workflows/run/{RUN}").text
        assert html.count("&lt;script&gt;alert(") >= 4  # input, stage error, artifacts, log line
        hrefs = _html(html).hrefs
        assert any(h.startswith("/workflows/logs/run/xss-1?") and "stage=s3" in h for h in hrefs)
        assert any(h.startswith("/workflows/snapshot?") for h in hrefs)

        # The logs page pages through every line once, oldest first; a stage's and a level's lines only.
        lines, pages = _pages(base, f"/workflows/logs/{RUN}?limit=3", "logs")
        assert pages == 3 and [line["message"] for line in lines] == [XSS, *(f"line {i}" for i in range(1, 7))]
        s1 = _json(base, f"/workflows/logs/{RUN}?stage=s1")["data"]["logs"]
        assert [line["message"] for line in s1] == [XSS, "line 3", "line 6"]
        errors = _json(base, f"/workflows/logs/{RUN}?level=error")["data"]["logs"]
        assert [line["message"] for line in errors] == [XSS]
        assert _json(base, f"/workflows/logs/{RUN}?stage=s2&level=ERROR")["data"]["logs"] == []

        # A run page with more lines than it shows links to the rest.
        run_page = _json(base, f"/workflows/run/{RUN}?limit=4")["data"]
        assert len(run_page["logs"]) == 4 and run_page["more_logs"].startswith("/workflows/logs/run/xss-1?")
        rest, _ = _pages(base, run_page["more_logs"], "logs")
        assert [line["message"] for line in rest] == ["line 4", "line 5", "line 6"]

        snaps = _json(base, "/workflows/snapshots")["data"]["snapshots"]
        assert {(s["workflow_name"], s["run_id"]) for s in snaps} == {("ingest <docs>", RUN), ("other", "snap-2")}
        assert _json(base, "/workflows/snapshots?resource=res-1")["data"]["snapshots"][0]["run_id"] == "snap-2"
        one = _json(base, "/workflows/snapshot?workflow=ingest+%3Cdocs%3E&run=" + quote(RUN))["data"]
        assert one["snapshot"]["snapshot"] == {"status": "running", "context": {"note": XSS}} and one["run_link"]
        html = get(base, "/workflows/snapshot?workflow=ingest+%3Cdocs%3E&run=" + quote(RUN)).text
        assert "&lt;script&gt;alert(" in html and '<details class="json snapshot" open>' in html


def test_workflow_runs_filters_and_keyset_pages(backend: str, db_url: str) -> None:
    _seed(backend, db_url, runs=23)

    async def expected() -> list[tuple[str, str, str]]:
        async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer") as store:
            out = []
            for s in rawstore.Status:
                for r in await store.workflows.get_runs_by_status(s):
                    out.append((r.created_at, r.id, r.status.value, r.workflow_type))
        out.sort(reverse=True)
        return [(i, st, t) for _, i, st, t in out]

    want = asyncio.run(expected())
    assert len(want) == 24
    with running_studio(studio_url(backend, db_url)) as base:
        runs, pages = _pages(base, "/workflows?limit=5", "runs")
        assert pages == 5 and [(r["id"], r["status"], r["workflow_type"]) for r in runs] == want
        first = _json(base, "/workflows")["data"]
        assert first["types"] == ["ingest", "report"] and first["statuses"][0] == "PENDING"
        for params, keep in (
            ("status=COMPLETED", lambda w: w[1] == "COMPLETED"),
            ("type=ingest", lambda w: w[2] == "ingest"),
            ("type=report&status=failed", lambda w: w[2] == "report" and w[1] == "FAILED"),
            ("type=nothing", lambda w: False),
        ):
            got, _ = _pages(base, f"/workflows?{params}&limit=3", "runs")
            assert [r["id"] for r in got] == [w[0] for w in want if keep(w)], params
        html = get(base, "/workflows?limit=5").text
        assert sum(1 for h in _html(html).hrefs if h.startswith("/workflows/run/")) == 5
        assert '<option value="ingest">' in html
        empty = get(base, "/workflows?type=nothing").text
        assert "No workflow run matches these filters" in empty


def test_jobs_counts_running_and_failed(backend: str, db_url: str) -> None:
    seeded = _seed(backend, db_url, failed=7)
    with running_studio(studio_url(backend, db_url)) as base:
        data = _json(base, "/jobs")["data"]
        counts = data["counts"]
        assert counts["total"] == seeded["jobs"] == 11
        assert counts["totals"]["FAILED"] == 7 and counts["totals"]["RUNNING"] == 1
        assert counts["totals"]["COMPLETED"] == 1 and counts["totals"]["PENDING"] == 2
        assert {q["queue"]: q["total"] for q in counts["queues"]} == {"emails": 5, "reports": 6}
        [running] = data["running"]
        assert running["job"]["id"] == seeded["running_job"] and running["job"]["worker_id"] == WORKER
        assert 0 <= running["running_ms"] < 600_000 and 0 <= running["lease_ms"] < 600_000
        failed_ids = [j["id"] for j in data["failed"]]
        assert sorted(failed_ids) == sorted(seeded["failed_jobs"]) and data["more_failed"] is None
        assert all(j["last_error"].startswith(XSS) for j in data["failed"])
        # Newest failure first (updated_at, then id, descending).
        keys = [(j["updated_at"], j["id"]) for j in data["failed"]]
        assert keys == sorted(keys, reverse=True)

        paged, pages = _pages(base, "/jobs/failed?limit=3", "failed")
        assert pages == 3 and [j["id"] for j in paged] == failed_ids
        overview = _json(base, "/jobs?limit=4")["data"]
        assert len(overview["failed"]) == 4 and overview["more_failed"].startswith("/jobs/failed?")
        rest, _ = _pages(base, overview["more_failed"], "failed")
        assert [j["id"] for j in rest] == failed_ids[4:]
        running_pages, _ = _pages(base, "/jobs/running?limit=1", "running")
        assert [r["job"]["id"] for r in running_pages] == [seeded["running_job"]]

        job = _json(base, f"/jobs/job/{seeded['failed_jobs'][0]}")["data"]
        assert job["job"]["status"] == "FAILED" and job["job"]["payload"] == {"i": 1}
        assert job["running_ms"] is None and "lease" not in job["job"]
        held = _json(base, f"/jobs/job/{seeded['running_job']}")["data"]
        assert "lease" not in held["job"] and held["job"]["worker_id"] == WORKER and held["lease_ms"] >= 0
        html = get(base, "/jobs").text
        assert html.count("&lt;script&gt;alert(") >= 7 and WORKER in html
        assert '<td class="worker">worker-7@host</td>' in html


def test_ai_calls_chart_and_stats(backend: str, db_url: str) -> None:
    seeded = _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        data = _json(base, "/ai-calls")["data"]
        assert data["days"] == 30 and len(data["daily"]) == 30
        assert data["models"] == ["claude-y", "gpt-x"]  # costliest first in the window: 1.5 against 0.75
        busy = {d["day"]: d for d in data["daily"] if d["calls"]}
        assert set(busy) == seeded["days"]
        per_model = sorted(
            (m["model_key"], m["calls"], m["tokens"], m["cost"]) for d in busy.values() for m in d["models"]
        )
        assert per_model == [("claude-y", 1, 360, 1.5), ("gpt-x", 1, 60, 0.25), ("gpt-x", 1, 120, 0.5)]
        assert data["max_cost"] == 1.5 and data["max_tokens"] == 360
        assert data["daily"][-1]["day"] == max(seeded["days"])  # the window ends today (the database's clock)
        stats = data["stats"]
        assert stats["total_calls"] == 4 and stats["total_cost"] == 4.25  # the old call counts in the totals
        assert stats["per_model"]["gpt-x"] == {"calls": 3, "input_tokens": 157, "output_tokens": 33, "cost": 2.75}
        assert _json(base, "/ai-calls?topic=chat/sales")["data"]["stats"]["total_calls"] == 1
        assert len(_json(base, "/ai-calls?days=1")["data"]["daily"]) == 1

        parsed = _html(get(base, "/ai-calls").text)
        assert parsed.rects["svg"] == 2
        assert parsed.rects["bar m0"] == 2 and parsed.rects["bar m1"] == 4  # claude-y: 1 day x 2 charts; gpt-x: 2 x 2
        quiet = get(base, "/ai-calls?topic=none/&tenant=nobody").text
        assert "No AI calls in this tenant in the last 30 days." in quiet and "<svg" not in quiet


def test_scores_histogram_and_newest_results(backend: str, db_url: str) -> None:
    _seed(backend, db_url, scores=41)
    with running_studio(studio_url(backend, db_url)) as base:
        scorers = _json(base, "/scores")["data"]["scorers"]
        assert [s["scorer_id"] for s in scorers] == ["relevance", "toxicity"]
        paged, pages = _pages(base, "/scores?limit=1", "scorers")
        assert pages == 2 and [s["scorer_id"] for s in paged] == ["relevance", "toxicity"]

        data = _json(base, "/scores/relevance")["data"]
        assert data["stats"]["count"] == 41 and data["stats"]["min"] == 0 and data["stats"]["max"] == 1
        hist = data["histogram"]
        assert len(hist) == 20 and sum(b["count"] for b in hist) == 41
        assert hist[0]["lo"] == 0 and hist[-1]["hi"] == 1
        # 41 scores i/40 in buckets of width 1/20 counted as the databases count them, in IEEE doubles (a score on
        # a bucket's edge may land on either side of it), the maximum folded into the last bucket.
        want = [0] * 20
        for i in range(41):
            want[min(math.floor((i / 40 - 0.0) / (1.0 / 20)), 19)] += 1
        assert [b["count"] for b in hist] == want and want[-1] >= 2
        assert data["max_bucket"] == max(want)
        scores = data["scores"]
        assert scores[0]["reason"] == XSS and [s["score"] for s in scores] == sorted(
            (s["score"] for s in scores), reverse=True
        )
        every, pages = _pages(base, "/scores/relevance?limit=15", "scores")
        assert pages == 3 and len({s["id"] for s in every}) == 41

        live = _json(base, "/scores/relevance?source=live")["data"]
        assert live["stats"]["count"] == 20 and sum(b["count"] for b in live["histogram"]) == 20
        assert {s["source"] for s in live["scores"]} == {"LIVE"}
        same = _json(base, "/scores/toxicity")["data"]
        assert same["stats"]["count"] == 3 and len(same["histogram"]) == 20

        html = get(base, "/scores/relevance").text
        parsed = _html(html)
        assert parsed.rects["svg"] == 1 and parsed.rects["bar h"] == 20
        assert "&lt;script&gt;alert(" in html
        assert any(h.startswith("/traces/trace-1?") for h in parsed.hrefs)


def test_memories_users_sessions_and_embeddings(backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        users, pages = _pages(base, "/memories?limit=1", "users")
        assert pages == 2 and [u["id"] for u in users] == ["u-1", "u-2"]
        data = _json(base, "/memories/user/u-1")["data"]
        assert data["user"]["email"] == "ada@example.com"
        assert [s["id"] for s in data["sessions"]] == ["sess-2", "sess-1"]
        mems = data["memories"]
        assert [m["id"] for m in mems] == ["mem-2", "mem-1"]  # newest first; the deleted one hidden
        assert mems[1]["content"] == XSS and mems[1]["dims"] == EMBED_DIMS
        assert mems[1]["embedding_head"] == [0.125 * (k + 1) for k in range(6)]
        assert "embedding" not in mems[1]
        shown = _json(base, "/memories/user/u-1?deleted=1&order=importance")["data"]["memories"]
        assert [m["id"] for m in shown] == ["mem-1", "mem-3", "mem-2"] and shown[1]["dims"] is None
        assert [m["id"] for m in _json(base, "/memories/user/u-1?session=sess-1")["data"]["memories"]] == ["mem-1"]
        paged, pages = _pages(base, "/memories/user/u-1?limit=1&deleted=1", "memories")
        assert pages == 3 and len(paged) == 3
        sessions, pages = _pages(base, "/memories/sessions/u-1?limit=1", "sessions")
        assert pages == 2 and {s["id"] for s in sessions} == {"sess-1", "sess-2"}
        html = get(base, "/memories/user/u-1").text
        assert "&lt;script&gt;alert(" in html and "8 dims" in html and "Ada &lt;b&gt;" in html


BAD = [
    ("/workflows?status=BOGUS", 400),
    ("/workflows?cursor=garbage", 400),
    ("/workflows?cursor=" + opaque("scorers", "x"), 400),
    ("/workflows?cursor=" + opaque("runs", "not-a-time", "x"), 400),
    ("/workflows?limit=501", 400),
    ("/workflows/run/missing", 404),
    ("/workflows/logs/missing", 404),
    (f"/workflows/logs/{RUN}?stage=nope", 404),
    (f"/workflows/logs/{RUN}?level=LOUD", 400),
    (f"/workflows/logs/{RUN}?cursor=" + opaque("running", 0, "x"), 400),
    ("/workflows/snapshot?workflow=ingest", 400),
    ("/workflows/snapshot?workflow=ingest&run=nope", 404),
    ("/jobs/job/missing", 404),
    ("/jobs/failed?cursor=" + opaque("running", 0, "x"), 400),
    ("/jobs/running?cursor=" + opaque("running", 2**62, "x"), 400),
    ("/ai-calls?days=0", 400),
    ("/ai-calls?days=367", 400),
    ("/ai-calls?days=week", 400),
    ("/ai-calls?topic=" + "t" * 300, 400),
    ("/workflows/run/" + "r" * 300, 400),
    ("/scores/missing", 404),
    ("/scores/relevance?source=BOTH", 400),
    ("/scores/relevance?cursor=garbage", 400),
    ("/scores?cursor=" + opaque("mem-users", "x"), 400),
    ("/memories?cursor=garbage", 400),
    ("/memories/user/missing", 404),
    ("/memories/user/u-1?deleted=maybe", 400),
    ("/memories/user/u-1?order=random", 400),
    ("/memories/sessions/missing", 404),
]


def test_bad_requests_get_typed_answers(backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        for path, status in BAD:
            r = get(base, path)
            assert r.status_code == status, (path, r.text[:300])
            assert "<script>alert" not in r.text
            j = get(base, path + ("&" if "?" in path else "?") + "format=json")
            assert j.status_code == status and j.json()["kind"] in ("InvalidInput", "NotFound"), path


def test_tenants_are_kept_apart(backend: str, db_url: str) -> None:
    _seed(backend, db_url, failed=2)
    acme = _seed(backend, db_url, tenant_id="acme", runs=1, failed=1, scores=2)
    with running_studio(studio_url(backend, db_url)) as base:
        runs = _json(base, "/workflows?tenant=acme")["data"]["runs"]
        assert len(runs) == 2 and len(_json(base, "/workflows")["data"]["runs"]) == 7
        jobs = _json(base, "/jobs?tenant=acme")["data"]
        assert jobs["counts"]["total"] == acme["jobs"] == 5
        assert [j["id"] for j in jobs["failed"]] == acme["failed_jobs"]
        assert _json(base, "/scores/relevance?tenant=acme")["data"]["stats"]["count"] == 2
        assert _json(base, "/ai-calls?tenant=acme")["data"]["stats"]["total_calls"] == 4
        # Ids of one tenant are not found in another.
        assert get(base, f"/jobs/job/{acme['failed_jobs'][0]}").status_code == 404
        assert get(base, f"/jobs/job/{acme['failed_jobs'][0]}?tenant=acme").status_code == 200
        assert get(base, f"/workflows/run/{RUN}?tenant=nobody").status_code == 404
        assert _json(base, "/memories?tenant=nobody")["data"]["users"] == []
        empty = get(base, "/jobs?tenant=nobody").text
        assert "No jobs in this tenant." in empty and "No job is running." in empty
        for path in ("/workflows", "/ai-calls", "/scores", "/memories", "/workflows/snapshots"):
            r = get(base, path + "?tenant=nobody")
            assert r.status_code == 200 and 'class="empty"' in r.text, path
        html = get(base, "/workflows?tenant=acme").text
        assert all("tenant=acme" in h for h in _html(html).hrefs if h.startswith("/workflows/run/"))


def test_an_aggregate_past_the_timeout_leaves_the_page_whole(backend: str, db_url: str) -> None:
    with running_studio(studio_url(backend, db_url), timeout=0.3) as base:
        body = _json(base, "/_test/ops-bounded")
        assert body["data"] == {"slow": None, "after": 0}


# -- the plans of the studio's own queries ---------------------------------------------------------------------

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)
TS_OUT: dict[str, Any] = {"postgres": lambda v: v, "mysql": my_driver.ts_out, "sqlite": lite_driver.ts_out}
# query -> (index it reads, whether the plan may sort: the merges sort their 7 x limit keys, the loose index scans
# their `limit` keys, the grouped aggregates group, and the running jobs (an index on locked_at without id) sort
# equal lease times by id: the jobs in flight).
# The scorer indexes both lead with (tenant_id, scorer_id) and cover (source, score): PostgreSQL takes either.
SCORER = ("rs_scores_scorer_idx", "rs_scores_scorer_entity_idx")
PLANS: dict[str, tuple[str | tuple[str, ...], bool]] = {
    "runs_all": ("rs_workflow_runs_status_idx", True),
    "runs_by_type": ("rs_workflow_runs_type_idx", True),
    "runs_by_status": ("rs_workflow_runs_status_idx", False),
    "runs_by_type_status": ("rs_workflow_runs_type_idx", False),
    "run_types": ("rs_workflow_runs_type_idx", True),
    "run_logs_page": ("rs_workflow_logs_run_idx", False),
    "stage_logs_page": ("rs_workflow_logs_stage_idx", False),
    "running_jobs": ("rs_jobs_running_idx", True),
    "failed_jobs": ("rs_jobs_failed_idx", False),
    "ai_daily": ("rs_ai_calls_created_idx", True),
    "scorers": (SCORER, True),
    "score_histogram": (SCORER, True),
}
MARIADB_JOB_LISTS = {"running_jobs", "failed_jobs"}
# Aggregates that read their index alone (on PostgreSQL: INCLUDE columns, once the visibility map is set).
COVERED = {"ai_daily", "score_histogram"}


async def _fill(store: rawstore.Store, url: str) -> None:
    for i in range(30):
        await store.workflows.create_run(
            id=f"p-{i:02d}", workflow_id="w", workflow_name="n", workflow_type=f"t{i % 3}", input={}
        )
    await store.jobs.enqueue_many([{"workflow_run_id": "p-00", "stage_id": f"s{i}"} for i in range(40)])
    for _ in range(6):
        job = await store.jobs.dequeue(worker_id="w")
        assert job is not None
        await store.jobs.fail(job.id, lease=job.lease or "", error="x")
    await store.workflows.create_logs(
        [{"level": "INFO", "message": f"m{i}", "workflow_run_id": "p-00"} for i in range(50)]
    )
    await store.scores.save_many(
        [
            rawstore.Score("", f"s{i % 5}", "r", f"e{i % 7}", i / 300, None, "LIVE" if i % 2 else "TEST", {})
            for i in range(300)
        ]
    )
    calls = [
        rawstore.AICall("t", "chat", f"m{i % 3}", "m", "p", "r", 1, 1, 0.1, created_at=T0 + timedelta(hours=i))
        for i in range(200)
    ]
    await store.ai_calls.log_batch_results("b", calls)
    tables = ("rs_workflow_runs", "rs_jobs", "rs_workflow_logs", "rs_ai_calls", "rs_scores")
    if store.dialect == "postgres":
        # VACUUM as autovacuum would: it sets the visibility map, without which no plan reads an index alone.
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            for table in tables:
                await conn.execute(f"VACUUM ANALYZE {table}")
        finally:
            await conn.close()
        return
    async with store.transaction() as tx:
        for table in tables:
            if store.dialect == "mysql":
                await tx.fetch(f"ANALYZE TABLE {table}")
        if store.dialect == "sqlite":
            await tx.execute("ANALYZE")


async def _plan(tx: Any, dialect: str, sql: str, values: dict[str, Any]) -> str:
    if dialect == "postgres":
        return "\n".join(str(r[0]) for r in await tx.fetch("EXPLAIN " + sql, values))
    if dialect == "mysql":
        return "\n".join(f"key={r['key']} extra={r['Extra']}" for r in await tx.fetch("EXPLAIN " + sql, values))
    return "\n".join(str(r["detail"]) for r in await tx.fetch("EXPLAIN QUERY PLAN " + sql, values))


@pytest.mark.backends("sqlite", "postgres", "mysql")
async def test_each_query_reads_its_index(store: rawstore.Store, db_url: str) -> None:
    await _fill(store, db_url)
    dialect = store.dialect
    queries = load_queries(dialect, '"public".' if dialect == "postgres" else "")
    out = TS_OUT[dialect]
    values = {
        "tenant_id": "default",
        "c_ts": out(MAX_TS),
        "c_id": "\U0010ffff" * 2,
        "limit": 11,
        "status": "COMPLETED",
        "workflow_type": "t1",
        "run_id": "p-00",
        "stage_row_id": "x",
        "level": None,
        "since": out(T0 + timedelta(days=7)),
        "after": "",
        "scorer_id": "s1",
        "source": None,
        "lo": 0.0,
        "width": 0.1,
        "until": out(MAX_TS),
    }
    async with store.transaction() as tx:
        if dialect == "postgres":
            # A table this small is cheaper to scan, or to bitmap-scan and sort: what is checked is that an index
            # serves each query (in order where no sort is allowed), as it must once the table is large.
            await tx.execute("SET LOCAL enable_seqscan = off")
            await tx.execute("SET LOCAL enable_bitmapscan = off")
        for name, (index, may_sort) in PLANS.items():
            q = queries[f"studio_ops.{name}"]
            vals = {k: v for k, v in values.items() if k in q.compiled.names}
            if name in ("running_jobs", "run_logs_page", "stage_logs_page", "score_histogram"):
                vals.update(c_ts=out(MIN_TS), c_id="", since=out(MIN_TS))
            plan = await _plan(tx, dialect, q.source, vals)
            if dialect == "mysql" and name in MARIADB_JOB_LISTS:
                # No partial indexes: the (tenant_id, status) range of the claim index, then a sort (migration 0021).
                assert "rs_jobs_claim_idx" in plan, (name, plan)
                continue
            names = (index,) if isinstance(index, str) else index
            assert any(n in plan for n in names), (name, plan)
            if dialect == "postgres" and name in COVERED:
                assert any(f"Index Only Scan using {n}" in plan for n in names), (name, plan)
            assert "Seq Scan" not in plan and "type=ALL" not in plan, (name, plan)
            if not may_sort:
                assert not any(bad in plan for bad in ("Sort", "filesort", "TEMP B-TREE")), (name, plan)

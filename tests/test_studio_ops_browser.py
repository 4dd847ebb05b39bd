"""The studio's operations pages in a real headless Chromium, on every backend: each loads with no console error,
the SVG charts draw their bars, navigation goes runs list → run → a stage's logs and jobs → job, the XSS payloads
(a log line, a job's last error, an artifact value, a score reason, a memory) stay inert text, and screenshots of
the AI calls chart and a run are kept as artifacts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.studio_ops_support import RUN, WORKER, seed
from tests.studio_support import XSS, PageErrors, browser, run, running_studio, screenshot_path, studio_url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


def _inert(page: Any) -> None:
    """Nothing the payloads carry became markup or ran."""
    assert page.evaluate("() => document.querySelectorAll('script').length") == 0
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0


def _bars(page: Any, chart: str) -> int:
    """How many bars the chart drew, after checking that the first one has a size on screen."""
    bars = page.locator(f"svg.chart.{chart} rect.bar")
    n: int = bars.count()
    if n:
        box = bars.first.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0, (chart, box)
    return n


def test_operations_pages_in_a_browser(chromium: Any, backend: str, db_url: str) -> None:
    seeded = run(seed(db_url, pgbouncer=backend == "pgbouncer", failed=2, logs=6))
    with running_studio(studio_url(backend, db_url)) as base:
        context = chromium.new_context(viewport={"width": 1300, "height": 900})
        page = context.new_page()
        errors = PageErrors(page)
        try:
            # Workflow runs → the run → a stage's logs.
            page.goto(base + "/")
            page.click("header nav >> text=Workflows")
            page.wait_for_url("**/workflows?*")
            assert page.locator("table.runs tbody tr").count() == 7
            page.select_option("form.filters select[name=type]", "ingest")
            page.click("form.filters button")
            page.wait_for_url("**type=ingest*")
            assert page.locator("table.runs tbody tr").count() == 4
            page.click(f"a.run >> text={RUN}")
            page.wait_for_url("**/workflows/run/run/xss-1?*")
            assert page.locator("section.group").count() == 2
            assert page.locator("section.group").nth(1).locator("tr.stage").count() == 1
            assert page.locator("tr.log").count() == 6
            assert page.locator("tr.log .log-message").first.inner_text() == XSS
            artifact = page.locator("tr.artifact", has_text="s1-out").locator("td.artifact-value")
            assert artifact.inner_text().strip() == XSS
            # The report artifact's JSON is collapsed until asked for.
            report = page.locator("tr.artifact", has_text="report").locator("details.json")
            assert report.get_attribute("open") is None
            report.locator("summary").click()
            assert json.loads(report.locator("pre").inner_text())["html"] == XSS
            _inert(page)
            page.screenshot(path=str(screenshot_path(f"studio-run-{backend}.png")), full_page=True)
            page.locator("tr.stage", has_text="stage 3").locator("a.stage-logs").click()
            page.wait_for_url("**/workflows/logs/run/xss-1?*stage=s3*")
            assert page.locator("tr.log").count() == 2
            page.click("p.crumbs >> text=run/xss-1")
            page.wait_for_url("**/workflows/run/run/xss-1?*")
            page.click("a.snapshot")
            page.wait_for_url("**/workflows/snapshot?*")
            assert json.loads(page.locator("details.snapshot pre").inner_text())["context"]["note"] == XSS
            _inert(page)

            # Jobs → one failed job.
            page.click("header nav >> text=Jobs")
            page.wait_for_url("**/jobs?*")
            assert page.locator("table.counts tbody tr").count() == 2
            assert page.locator("table.running td.worker").inner_text() == WORKER
            errors_shown = page.locator("table.failed .last-error")
            assert errors_shown.count() == 2 and errors_shown.first.inner_text().startswith(XSS)
            page.locator("table.failed a.job").first.click()
            page.wait_for_url("**/jobs/job/*")
            assert page.locator("pre.last-error").inner_text().startswith(XSS)
            assert page.locator("h1").inner_text().startswith("Job ")
            _inert(page)

            # AI calls: two charts with bars, stacked per model.
            page.click("header nav >> text=AI calls")
            page.wait_for_url("**/ai-calls?*")
            assert _bars(page, "cost") == 3 and _bars(page, "tokens") == 3
            assert page.locator("p.legend .key").count() == 2
            assert page.locator("table.stats tbody tr").count() == 2
            page.screenshot(path=str(screenshot_path(f"studio-ai-calls-{backend}.png")), full_page=True)

            # Scores: the scorer's histogram and its newest results, the payload as a reason.
            page.click("header nav >> text=Scores")
            page.wait_for_url("**/scores?*")
            page.click("a.scorer >> text=relevance")
            page.wait_for_url("**/scores/relevance?*")
            assert _bars(page, "histogram") == 20
            assert page.locator("table.scores tr.score").count() == seeded["scores"]
            assert page.locator("tr.score .reason").first.inner_text() == XSS
            _inert(page)

            # Memories: users → a user's memories, embeddings as their dimension and first values.
            page.click("header nav >> text=Memories")
            page.wait_for_url("**/memories?*")
            page.click("a.user >> text=u-1")
            page.wait_for_url("**/memories/user/u-1?*")
            assert page.locator("tr.memory").count() == 2
            first = page.locator("tr.memory", has_text="mem-1")
            assert first.locator(".mem-content").inner_text() == XSS
            assert first.locator(".dims").inner_text() == "8 dims"
            page.click("a.session >> text=sess-1")
            page.wait_for_url("**session=sess-1*")
            assert page.locator("tr.memory").count() == 1
            _inert(page)
            assert page.evaluate("() => typeof window.__xss") == "undefined"
        finally:
            context.close()
        assert errors.errors == []

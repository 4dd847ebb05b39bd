"""The studio's traces pages on every backend: the traces list (filters, keyset pages, tenants) and one trace as a
waterfall (tree order, time axis, running spans, orphans, errors, scores, the span panel), their JSON twins, typed
answers to bad arguments, escaping; and in a real headless Chromium: list → trace → span, no console errors, the XSS
payload inert, a screenshot of the 200-span waterfall."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from rawstore.spans import Span, Trace
from rawstore.studio.waterfall import kind, ticks, waterfall
from tests.studio_support import XSS, PageErrors, browser, get, running_studio, screenshot_path, studio_url
from tests.studio_trace_data import (
    BIG,
    BIG_SPANS,
    DEEP,
    ERROR_SPAN,
    ORPHAN_SPAN,
    RUNNING_SPAN,
    SCORED_SPAN,
    T0,
    XSS_SPAN,
    big_trace,
    seed_many,
    seed_traces,
)

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to the end in a thread of its own: Playwright's sync API keeps an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _seed(backend: str, url: str) -> None:
    _run(seed_traces(url, pgbouncer=backend == "pgbouncer"))


def _ids(base: str, query: str) -> list[str]:
    r = get(base, "/traces?format=json&" + query)
    assert r.status_code == 200, r.text[:300]
    return [t["trace_id"] for t in r.json()["data"]["traces"]]


def test_traces_list_filters_and_tenants(backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        body = get(base, "/traces?format=json").json()
        assert body["page"] == "traces" and body["next"] is None
        rows = {t["trace_id"]: t for t in body["data"]["traces"]}
        assert list(rows) == [BIG, "trace-ok", "trace-err", "trace-run"]
        big = rows[BIG]
        spans = big_trace()
        assert big["span_count"] == BIG_SPANS
        assert big["error_count"] == sum(s.error is not None for s in spans) >= 3
        assert big["status"] == "ok" and big["duration_ms"] is None  # the root ended; a span still runs
        assert big["input_tokens"] == sum((s.attributes or {}).get("usage", {}).get("inputTokens", 0) for s in spans)
        assert (big["entity_type"], big["entity_id"], big["name"]) == ("agent", "support", "agent run: support-triage")
        assert [rows[t]["status"] for t in ("trace-ok", "trace-err", "trace-run")] == ["ok", "error", "running"]
        assert rows["trace-ok"]["duration_ms"] == 900.0 and rows["trace-ok"]["span_count"] == 2

        html = get(base, "/traces").text
        for trace_id in rows:
            assert f'href="/traces/{trace_id}?tenant=default"' in html
        assert 'class="tchip ts-error">error<' in html and "<script>alert" not in html

        assert _ids(base, "name=agent+run%3A+support") == ["trace-ok", "trace-run"]
        assert _ids(base, "span_type=workflow_run") == ["trace-err"]
        assert _ids(base, "entity_type=agent&entity_id=support") == [BIG, "trace-ok", "trace-run"]
        assert _ids(base, "entity_type=workflow") == ["trace-err"]
        assert _ids(base, "status=ok") == [BIG, "trace-ok"]
        assert _ids(base, "status=error") == ["trace-err"]
        assert _ids(base, "status=running") == ["trace-run"]
        assert _ids(base, "thread_id=t-1") == [BIG]
        assert _ids(base, "since=2026-05-01T09:30") == [BIG]
        assert _ids(base, "since=" + quote("2026-05-01T11:30+02:00")) == [BIG]
        assert _ids(base, "until=2026-05-01T08:30:00Z") == ["trace-err", "trace-run"]
        assert _ids(base, "since=2026-05-01&until=2026-05-01") == list(rows)  # a bare date is the whole day
        assert _ids(base, "until=2026-04-30") == []
        assert _ids(base, "since=2026-05-01T06:00&until=2026-05-01T09:00&status=ok&entity_id=support") == ["trace-ok"]
        # Empty form fields are no filter (the form sends every field).
        assert _ids(base, "name=&span_type=&status=&since=&until=") == list(rows)
        filtered = get(base, "/traces?span_type=workflow_run&status=error").text
        assert 'value="workflow_run"' in filtered and '<option value="error" selected>' in filtered
        assert "No trace matches these filters" in get(base, "/traces?name=nothing+like+this").text

        # Another tenant sees only its own, also under the same trace id.
        acme = get(base, "/traces?tenant=acme&format=json").json()["data"]["traces"]
        assert [(t["trace_id"], t["name"], t["span_count"]) for t in acme] == [
            ("trace-acme", "acme agent", 1),
            (BIG, "acme's trace-big", 1),
        ]
        assert "No traces in this tenant" in get(base, "/traces?tenant=nobody").text


def test_traces_list_keyset_pages(backend: str, db_url: str) -> None:
    expected = _run(seed_many(db_url, 23, pgbouncer=backend == "pgbouncer"))
    with running_studio(studio_url(backend, db_url)) as base:
        seen: list[str] = []
        path: str | None = "/traces?format=json&limit=10&span_type=agent_run"
        sizes = []
        while path is not None:
            assert "offset" not in path
            body = get(base, path).json()
            sizes.append(len(body["data"]["traces"]))
            seen += [t["trace_id"] for t in body["data"]["traces"]]
            path = body["next"]
            assert path is None or parse_qs(urlsplit(path).query)["span_type"] == ["agent_run"]
        assert sizes == [10, 10, 3] and seen == expected
        html = get(base, "/traces?limit=10").text
        nxt = re.findall(r'<a class="next" rel="next" href="([^"]+)"', html)
        assert len(nxt) == 1 and "cursor=" in nxt[0]
        second = get(base, nxt[0].replace("&amp;", "&") + "&format=json").json()["data"]["traces"]
        assert [t["trace_id"] for t in second] == expected[10:20]


BAD = [
    ("/traces?status=bogus", 400),
    ("/traces?since=yesterday", 400),
    ("/traces?until=2026-13-01", 400),
    ("/traces?since=2026-05-02&until=2026-05-01", 400),
    ("/traces?since=0999-12-31T00:00Z", 400),
    ("/traces?cursor=garbage", 400),
    ("/traces?limit=501", 400),
    ("/traces?name=" + "x" * 600, 400),
    ("/traces/missing-trace", 404),
    (f"/traces/{BIG}?span=no-such-span", 404),
    ("/traces/trace-acme", 404),  # acme's, not the default tenant's
]


def test_bad_arguments_get_typed_answers(backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        for path, status in BAD:
            r = get(base, path)
            assert r.status_code == status, (path, r.text[:300])
            assert "<script>alert" not in r.text
            j = get(base, path + ("&" if "?" in path else "?") + "format=json")
            assert j.status_code == status, path
            assert j.json()["kind"] == ("InvalidInput" if status == 400 else "NotFound")
        assert get(base, "/traces/trace-acme?tenant=acme").status_code == 200


def test_waterfall_and_its_json_twin(backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        data = get(base, f"/traces/{BIG}?format=json").json()["data"]
        rows = data["spans"]
        assert [r["index"] for r in rows] == list(range(BIG_SPANS))
        by_id = {r["span_id"]: r for r in rows}
        assert len(by_id) == BIG_SPANS and rows[0]["span_id"] == "s-root" and rows[0]["depth"] == 0
        # Tree order: a parent comes before its children, one level up; each row is at most one deeper than the last.
        for prev, r in itertools.pairwise(rows):
            assert r["depth"] <= prev["depth"] + 1
        for r in rows[1:]:
            parent = by_id.get(r["parent_span_id"] or "")
            if parent is not None:
                assert parent["index"] < r["index"] and r["depth"] == parent["depth"] + 1
        assert max(r["depth"] for r in rows) == data["trace"]["max_depth"] == DEEP
        orphan = by_id[ORPHAN_SPAN]
        assert orphan["orphan"] and orphan["depth"] == 0 and orphan["index"] == BIG_SPANS - 1
        assert [r["span_id"] for r in rows if r["depth"] == 0] == ["s-root", ORPHAN_SPAN]
        running = by_id[RUNNING_SPAN]
        info = data["trace"]
        assert running["status"] == "running" and running["duration_ms"] is None
        assert running["offset_ms"] + running["bar_ms"] == pytest.approx(info["axis_ms"])
        assert info["duration_ms"] is None and info["running_count"] == 1
        assert by_id[ERROR_SPAN]["status"] == "error"
        assert info["error_count"] == sum(r["status"] == "error" for r in rows)
        xss = by_id[XSS_SPAN]
        assert (xss["offset_ms"], xss["duration_ms"], xss["kind"]) == (5.0, 20.0, "tool")
        llm = by_id[SCORED_SPAN]
        assert (llm["kind"], llm["input_tokens"], llm["output_tokens"], llm["scores"]) == ("model", 803, 63, 1)
        assert by_id["s-root"]["scores"] == 2 and info["scored_spans"] == 2
        assert info["span_count"] == info["drawn"] == BIG_SPANS
        assert data["axis"][0]["label"] == "0" and data["axis"][-1]["at_ms"] <= info["axis_ms"]
        # The selected span defaults to the root, whole but without its subtree, with its scores.
        assert data["selected"]["span_id"] == "s-root" and data["selected"]["children"] == []
        assert data["selected_index"] == 0
        assert sorted(s["scorer_id"] for s in data["scores"]) == ["helpfulness", "toxicity"]

        picked = get(base, f"/traces/{BIG}?format=json&span={SCORED_SPAN}").json()["data"]
        assert picked["selected"]["span_id"] == SCORED_SPAN and picked["selected_index"] == llm["index"]
        assert picked["selected"]["output"] == {"text": "call lookup_order for step 3"}
        assert [(s["scorer_id"], s["reason"]) for s in picked["scores"]] == [("faithfulness", f"half grounded {XSS}")]

        html = get(base, f"/traces/{BIG}?span={XSS_SPAN}").text
        assert len(re.findall(r'<tr id="r-\d+"', html)) == BIG_SPANS
        assert "<script" not in html and "<img src=x" not in html
        assert html.count("&lt;script&gt;alert(") >= 3  # the name (row, title, panel), the input, the attributes
        assert re.search(rf'<tr id="r-{xss["index"]}" class="ts-ok k-tool sel">', html)
        assert 'class="tchip orphan"' in html and 'class="tchip ts-running">running<' in html
        assert 'class="tchip deep">+4<' in html  # DEEP 16 levels: indents stop at 12

        acme = get(base, f"/traces/{BIG}?tenant=acme&format=json").json()["data"]
        assert [r["name"] for r in acme["spans"]] == ["acme's trace-big"] and acme["scores"] == []


def test_waterfall_layout_rules() -> None:
    assert kind("agent_run") == "agent" and kind("model_generation") == "model" and kind("LLM") == "model"
    assert kind("tool_call") == "tool" and kind("retrieval") == "retrieval" and kind("custom") == "other"
    marks = ticks(6840.0)
    assert [t.label for t in marks] == ["0", "2 s", "4 s", "6 s"]
    assert [t.label for t in ticks(0.9)] == ["0", "0.2 ms", "0.4 ms", "0.6 ms", "0.8 ms"]
    assert ticks(100.0)[-1].pct == 100.0
    # A chain deeper than Python's recursion limit lays out, and only max_rows rows are drawn.
    chain = [
        Span("t", f"s{i}", f"n{i}", "step", T0 + timedelta(microseconds=i), None if i == 0 else f"s{i - 1}")
        for i in range(5000)
    ]
    for parent, child in itertools.pairwise(chain):
        parent.children.append(child)
    laid = waterfall(Trace("t", chain, chain[0], [chain[0]]), {}, max_rows=100)
    assert len(laid.rows) == 100 and laid.info.drawn == 100 and laid.info.max_depth == 4999
    assert laid.info.running_count == 5000
    assert all(r.bar_ms == pytest.approx(laid.info.axis_ms - r.offset_ms) for r in laid.rows)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


def test_waterfall_in_a_browser(chromium: Any, backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        context = chromium.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors = PageErrors(page)
        try:
            page.goto(base + "/")
            page.click("header nav >> text=Traces")
            # The click starts a navigation; count the rows of the page it lands on, not of the one it leaves.
            page.wait_for_url("**/traces?*")
            assert page.locator("table.traces tbody tr").count() == 4
            page.click(f"a.trace[href^='/traces/{BIG}?']")
            page.wait_for_url(f"**/traces/{BIG}?*")
            assert page.locator("table.wf tbody tr").count() == BIG_SPANS
            assert page.locator("table.wf rect.span-bar").count() == BIG_SPANS
            assert page.locator("aside.span-panel code.span-id").inner_text() == "s-root"
            # Every bar lies inside its row's drawing area.
            boxes = page.evaluate(
                "() => [...document.querySelectorAll('table.wf rect.span-bar')].map(r => {"
                " const b = r.getBoundingClientRect(), s = r.ownerSVGElement.getBoundingClientRect();"
                " return [b.left - s.left, s.right - b.right, b.width]; })"
            )
            assert all(left >= -0.5 and right >= -0.5 and width >= 0.5 for left, right, width in boxes)

            # A row's name link opens that span in the panel.
            page.click(f"table.wf a.span[href*='span={SCORED_SPAN}']")
            page.wait_for_url(f"**span={SCORED_SPAN}*")
            panel = page.locator("aside.span-panel")
            assert panel.locator("code.span-id").inner_text() == SCORED_SPAN
            assert panel.locator("h2.span-name").inner_text() == "llm: gpt-4o-mini"
            assert "call lookup_order for step 3" in panel.locator(".span-output").inner_text()
            assert (
                panel.locator("table.span-scores td", has_text="half grounded").inner_text() == f"half grounded {XSS}"
            )
            assert page.locator("table.wf tr.sel a.span").inner_text() == "llm: gpt-4o-mini"

            # A bar links too; the failing span shows its error.
            page.click(f"table.wf tr:has(a.span[href*='span={ERROR_SPAN}']) a.bar")
            page.wait_for_url(f"**span={ERROR_SPAN}*")
            assert panel.locator("code.span-id").inner_text() == ERROR_SPAN
            assert json.loads(panel.locator(".span-error pre").inner_text()) == {"message": f"declined {XSS}"}

            # The XSS span: its name, input and attributes are text, and nothing ran.
            page.click(f"table.wf a.span[href*='span={XSS_SPAN}']")
            page.wait_for_url(f"**span={XSS_SPAN}*")
            assert panel.locator("h2.span-name").inner_text() == f"tool: {XSS}"
            assert json.loads(panel.locator(".span-input pre").inner_text()) == {"query": XSS}
            assert json.loads(panel.locator(".span-attributes pre").inner_text()) == {"note": XSS}
            assert page.evaluate("() => document.querySelectorAll('script, img').length") == 0

            page.goto(f"{base}/traces/{BIG}?tenant=default")
            page.screenshot(path=str(screenshot_path(f"studio-waterfall-{backend}.png")), full_page=True)
        finally:
            context.close()
        assert errors.errors == []

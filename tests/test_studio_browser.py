"""The studio's overview and threads pages in a real headless Chromium, on every backend: they load with no console
errors, navigation goes resource → thread → message, the XSS payloads stay inert text, and a screenshot is kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.studio_support import (
    XSS,
    PageErrors,
    browser,
    run,
    running_studio,
    screenshot_path,
    seed_threads,
    studio_url,
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


def test_overview_and_threads_in_a_browser(chromium: Any, backend: str, db_url: str) -> None:
    run(seed_threads(db_url, pgbouncer=backend == "pgbouncer", messages=12))
    with running_studio(studio_url(backend, db_url)) as base:
        context = chromium.new_context(viewport={"width": 1300, "height": 900})
        page = context.new_page()
        errors = PageErrors(page)
        try:
            page.goto(base + "/")
            assert page.locator("h1").inner_text() == "Overview"
            assert page.locator("table.grid code", has_text="rs_messages").count() == 1

            page.click("header nav >> text=Threads")
            page.wait_for_url("**/threads?*")
            page.click("a.resource >> text=user/1")
            page.wait_for_url("**/resources/user/1?*")
            # Working memory and the thread title hold the payload: it shows as text and nothing runs.
            assert XSS in page.locator("pre.memory").inner_text()
            page.click("a.thread >> text=t-1")
            page.wait_for_url("**/thread/t-1?*")
            messages = page.locator("li.message")
            assert messages.count() == 12
            assert messages.nth(0).locator(".text").inner_text() == XSS
            assert XSS in page.locator("h1").inner_text()
            # A message in parts shows its text; its JSON stays collapsed until asked for.
            second = messages.nth(1)
            assert second.locator(".text").inner_text() == f"message 1 {XSS}"
            raw = second.locator("details.json")
            assert raw.get_attribute("open") is None and not raw.locator("pre").is_visible()
            raw.locator("summary").click()
            assert raw.get_attribute("open") is not None and raw.locator("pre").is_visible()
            assert page.evaluate("() => document.querySelectorAll('script').length") == 0
            assert page.evaluate("() => typeof window.__xss") == "undefined"
            page.screenshot(path=str(screenshot_path(f"studio-thread-{backend}.png")), full_page=True)

            # The tenant picker switches tenant (a GET form): another tenant sees no threads.
            page.select_option("#tenant-pick", "default")
            page.click("form.tenant button")
            page.wait_for_load_state()
            assert "tenant=default" in page.url
        finally:
            context.close()
        assert errors.errors == []

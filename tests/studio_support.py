"""Running the studio for tests: a real uvicorn server on a free port over a test database, a headless Chromium
(Debian's, driven by Playwright through executable_path: nothing is downloaded) and where screenshots go."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn

from rawstore.studio import create_app

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
# Screenshots the browser tests take, kept as test artifacts (the CI job can upload the folder).
ARTIFACTS = Path(os.environ.get("RAWSTORE_TEST_ARTIFACTS", ROOT / "test-artifacts"))
# Flags for a sandbox-less root run on a machine without network: no background connections to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from a sync test, in a thread of its own: Playwright's sync API keeps an event
    loop running on the test's thread, where asyncio.run() is refused."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as e:  # handed to the test's thread
            box["error"] = e

    t = threading.Thread(target=target, name="seed")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def studio_url(backend: str, db_url: str) -> str:
    """The URL a user would give the studio: PgBouncer's says so (?pgbouncer=true)."""
    return db_url + "?pgbouncer=true" if backend == "pgbouncer" else db_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_studio(
    url: str, *, token: str | None = None, timeout: float = 1.0, hosts: list[str] | None = None
) -> Iterator[str]:
    """Serve the studio over `url` in a background thread; yields its base URL (http://127.0.0.1:PORT)."""
    port = free_port()
    app = create_app(url, token=token, timeout=timeout, hosts=hosts)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="studio", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the studio did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        # Never skipped: the README's test command installs Debian's chromium; without it the browser tests fail.
        pytest.fail("Debian's chromium is not installed (apt-get install chromium): the studio's browser tests need it")
    return found


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright's sync API over Debian's binary)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class PageErrors:
    """Console errors and uncaught exceptions of one browser page, collected as they happen."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        # A dialog would mean a script ran (an XSS payload's alert): record it and dismiss it.
        page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))


def get(base: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.get(base + path, timeout=30, **kw)


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


async def seed_threads(url: str, *, tenant_id: str | None = None, messages: int = 5, pgbouncer: bool = False) -> None:
    """Two resources with threads, a working memory, and a thread whose messages include an XSS payload."""
    import rawstore
    from rawstore import Message, Resource, Thread

    async def run(store: rawstore.Store) -> None:
        await store.memory.save_thread(Thread(id="t-1", resource_id="user/1", title=XSS, metadata={"k": XSS}))
        await store.memory.save_thread(Thread(id="t-2", resource_id="user/1", title="second"))
        await store.memory.save_thread(Thread(id="t-3", resource_id="user-2", title="other user"))
        await store.memory.save_resource(Resource(id="user/1", working_memory=f"# Notes\n{XSS}"))
        await store.memory.save_messages(
            [
                Message(
                    id=f"m-{i:04d}",
                    thread_id="t-1",
                    role="user" if i % 2 == 0 else "assistant",
                    content=XSS if i == 0 else {"parts": [{"type": "text", "text": f"message {i} {XSS}"}]},
                    resource_id="user/1",
                )
                for i in range(messages)
            ]
        )

    async with rawstore.connect(url, pgbouncer=pgbouncer) as store:
        if tenant_id is None:
            await run(store)
        else:
            with rawstore.tenant(tenant_id):
                await run(store)

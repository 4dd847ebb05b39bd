"""create_app's arguments and lifecycle: over an open Store (its pool is shared, not closed), bad arguments are
ConfigError before anything starts, and the address rule of `serve`."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest
import uvicorn

import rawstore
from rawstore.errors import ConfigError
from rawstore.studio import create_app
from rawstore.studio.server import is_loopback, resolve_token, serve
from tests.studio_support import free_port, run, running_studio, seed_threads, studio_url


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf, True, "1"])
def test_bad_timeout_is_config_error(timeout: object) -> None:
    with pytest.raises(ConfigError):
        create_app("sqlite:///x.db", timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("token", ["", "short", 12345678])
def test_bad_token_is_config_error(token: object) -> None:
    with pytest.raises(ConfigError):
        create_app("sqlite:///x.db", token=token)  # type: ignore[arg-type]


def test_bad_source_is_config_error() -> None:
    with pytest.raises(ConfigError):
        create_app(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        create_app("oracle://nope")


def test_address_rule() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.8.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5") and not is_loopback("example.com")
    assert resolve_token("127.0.0.1", None) is None
    assert resolve_token("0.0.0.0", "a-long-token") == "a-long-token"
    with pytest.raises(ConfigError, match="token"):
        resolve_token("0.0.0.0", None)
    with pytest.raises(ConfigError, match="port"):
        serve("sqlite:///x.db", port=70000)


def test_over_an_open_store(backend: str, db_url: str) -> None:
    """The application's own Store serves the studio and stays open (and usable) after the studio stops."""
    run(seed_threads(db_url, pgbouncer=backend == "pgbouncer"))

    async def scenario() -> None:
        async with rawstore.connect(studio_url(backend, db_url)) as store:
            port = free_port()
            server = uvicorn.Server(uvicorn.Config(create_app(store), port=port, log_level="warning"))
            task = asyncio.create_task(server.serve())
            while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
                await asyncio.sleep(0.02)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
                r = await c.get("/thread/t-1?format=json")
                assert r.status_code == 200 and len(r.json()["data"]["messages"]) == 5
            server.should_exit = True
            await task
            assert await store.memory.get_thread("t-1") is not None

    run(scenario())


def test_host_names_are_checked(backend: str, db_url: str) -> None:
    """Without a token the command passes the loopback names: a rebinding page's Host header is refused."""
    with running_studio(studio_url(backend, db_url), hosts=["127.0.0.1", "localhost", "::1"]) as base:
        port = base.rsplit(":", 1)[1]
        assert httpx.get(base + "/threads", timeout=30).status_code == 200
        assert httpx.get(base + "/threads", headers={"host": f"localhost:{port}"}, timeout=30).status_code == 200
        assert httpx.get(base + "/threads", headers={"host": f"[::1]:{port}"}, timeout=30).status_code == 200
        r = httpx.get(base + "/threads", headers={"host": f"attacker.example:{port}"}, timeout=30)
        assert r.status_code == 421
    with pytest.raises(ConfigError):
        create_app("sqlite:///x.db", hosts="localhost")  # type: ignore[arg-type]

"""The studio's Starlette application: routing, the read-only transaction per request, tenants, access control."""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from .. import migrator
from ..errors import ConfigError, ConnectionLost, InvalidInput, NotFound, RawstoreError, StatementTimeout
from ..store import Store, connect
from ..tenancy import DEFAULT_TENANT, _check_tenant, tenant
from ..url import parse_url
from . import render
from .queries import StudioQueries
from .web import PAGES, Page, Req, link

log = logging.getLogger("rawstore.studio")

TOKEN_COOKIE = "rawstore_studio_token"
TENANT_CACHE_SECONDS = 30.0
MAX_TENANTS = 200
# No script may come from anywhere but the studio itself, no frame may embed it, nothing is sent elsewhere.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class StudioConfig:
    """How the studio reads: `timeout` seconds per statement, `token` (None: no token asked)."""

    token: str | None = None
    timeout: float = 1.0

    def __post_init__(self) -> None:
        t = self.timeout
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t <= 0:
            raise ConfigError(f"timeout must be a positive number of seconds, got {t!r}")
        if self.token is not None and (not isinstance(self.token, str) or len(self.token) < 8):
            raise ConfigError("token must be a string of at least 8 characters")


def read_only_url(url: str) -> str:
    """The URL the studio opens: a SQLite file is opened with mode=ro; servers get read-only transactions."""
    target = parse_url(url)
    if target.dialect == "sqlite" and not target.read_only:
        return target.yoyo_url + "?mode=ro"
    return url


class _State:
    def __init__(self, source: Store | str, config: StudioConfig) -> None:
        self.source = source
        self.config = config
        self.store: Store | None = source if isinstance(source, Store) else None
        self.tenants: tuple[float, list[str]] = (0.0, [])
        self.migrations: tuple[float, dict[str, Any]] = (0.0, {})

    def url(self) -> str:
        if isinstance(self.source, str):
            return self.source
        return self.source._target.url


def create_app(
    source: Store | str,
    *,
    token: str | None = None,
    timeout: float = 1.0,
    hosts: Sequence[str] | None = None,
) -> StudioApp:
    """The studio as an ASGI application over an open Store or a database URL (opened at startup, read-only).

    Every page is a GET, runs in one read-only transaction whose statements are cancelled after `timeout` seconds,
    and has a JSON twin (`?format=json`). With `token`, every request must carry it (`Authorization: Bearer`, the
    cookie set by visiting any page with `?token=`); without, the studio must only listen on the loopback address.
    `hosts`: the only host names a request's Host header may carry (any port), others get 421; `serve` without a
    token passes the loopback names, so a web page elsewhere cannot reach the studio by DNS rebinding.
    """
    if hosts is not None and (isinstance(hosts, str) or not all(isinstance(h, str) and h for h in hosts)):
        raise ConfigError("hosts must be a list of host names")
    if not isinstance(source, Store | str):
        raise ConfigError(f"create_app takes a Store or a database URL, got {type(source).__name__}")
    if isinstance(source, str):
        source = read_only_url(source)
    state = _State(source, StudioConfig(token=token, timeout=timeout))
    from . import pages  # noqa: F401 - registers every page

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened = None
        if state.store is None:
            opened = await connect(state.url(), min_size=0, max_size=4)
            state.store = opened
        try:
            yield
        finally:
            if opened is not None:
                await opened.close()

    routes: list[Route | Mount] = [
        Route(p.path, _endpoint(state, p), methods=["GET", "HEAD"], name=p.name)
        for p in sorted(PAGES, key=lambda p: (p.order, p.path))
    ]
    routes.append(Mount("/static", StaticFiles(packages=[("rawstore.studio", "static")]), name="static"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.studio = state
    return StudioApp(app, state.config.token, None if hosts is None else frozenset(h.lower() for h in hosts))


def _endpoint(state: _State, p: Page) -> Any:
    env = render.environment()
    nav = [(q.nav, q.path) for q in sorted(PAGES, key=lambda q: q.order) if q.nav]

    async def endpoint(request: Request) -> Response:
        as_json = request.query_params.get("format") == "json"
        tenant_id = request.query_params.get("tenant") or DEFAULT_TENANT
        try:
            tenant_id = _check_tenant(tenant_id)
            store = state.store
            if store is None:
                raise ConnectionLost("the studio's database is not open yet")
            with tenant(tenant_id):
                async with store.transaction(read_only=True, timeout=state.config.timeout) as tx:
                    req = Req(request, tx, tenant_id)
                    view = await p.handler(req)
                    tenants = await _tenants(state, req)
        except RawstoreError as e:
            return _error(env, e, as_json, tenant_id if isinstance(tenant_id, str) else DEFAULT_TENANT, nav)
        if as_json:
            body = {"page": p.name, "tenant": tenant_id, "title": view.title, "data": view.data, "next": view.next_url}
            return Response(render.to_json(body), media_type="application/json")
        html = env.get_template(view.template).render(
            view=view,
            data=view.data,
            nav=nav,
            here=p.path,
            tenant=tenant_id,
            tenants=tenants,
            dialect=store.dialect,
            link=lambda path, **kw: link(path, tenant_id, **kw),
            json_url=_json_url(request),
        )
        return HTMLResponse(html)

    return endpoint


def _json_url(request: Request) -> str:
    params = dict(request.query_params)
    params["format"] = "json"
    return f"{request.url.path}?{urlencode(params)}"


async def known_tenants(state: _State, req: Req) -> list[str]:
    """The tenants that own rows, cached for a while: a DISTINCT over several tables is not free."""
    at, names = state.tenants
    if time.monotonic() - at > TENANT_CACHE_SECONDS:
        try:
            names = await req.many(StudioQueries.tenants, {"limit": MAX_TENANTS})
        except StatementTimeout:  # a huge database: the picker offers the tenant in use and the default
            names = []
        state.tenants = (time.monotonic(), names)
    return names


async def _tenants(state: _State, req: Req) -> list[str]:
    """The tenant picker's choices: the known tenants, the one in use and the default."""
    return sorted({*await known_tenants(state, req), req.tenant, DEFAULT_TENANT})


async def migration_status(state: _State) -> dict[str, Any]:
    """Applied and pending migration ids (yoyo's read-only status, in a thread), cached for a few seconds."""
    at, cached = state.migrations
    if cached and time.monotonic() - at < 10:
        return cached
    try:
        status = await asyncio.to_thread(migrator.status, state.url().partition("?mode=ro")[0])
        out: dict[str, Any] = {
            "applied": [m for m, done in status.items() if done],
            "pending": [m for m, done in status.items() if not done],
            "error": None,
        }
    except RawstoreError as e:  # through a pooler, say: the pages still work, the overview says why
        out = {"applied": [], "pending": [], "error": str(e)}
    state.migrations = (time.monotonic(), out)
    return out


def _error(env: Any, e: RawstoreError, as_json: bool, tenant_id: str, nav: list[tuple[str, str]]) -> Response:
    if isinstance(e, InvalidInput):
        status = 400
    elif isinstance(e, NotFound):
        status = 404
    elif isinstance(e, StatementTimeout):
        status = 503
        e = StatementTimeout(f"the query took longer than the studio's statement timeout: {e}")
    elif isinstance(e, ConnectionLost):
        status = 503
    else:
        log.warning("studio page failed", exc_info=e)
        status = 500
    if as_json:
        body = render.to_json({"error": str(e), "kind": type(e).__name__})
        return Response(body, status, media_type="application/json")
    html = env.get_template("error.html").render(
        status=status,
        kind=type(e).__name__,
        message=str(e),
        nav=nav,
        here="",
        tenant=tenant_id,
        tenants=[tenant_id],
        link=lambda path, **kw: link(path, tenant_id, **kw),
    )
    return HTMLResponse(html, status)


def _host_name(host: str) -> str:
    """The name part of a Host header: "127.0.0.1:4983" -> "127.0.0.1", "[::1]:4983" -> "::1"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def not_found(what: str) -> NotFound:
    return NotFound(f"{what} does not exist in this tenant")


class StudioApp:
    """The studio's ASGI application: the pages, behind GET/HEAD only, the token when one is set, and the security
    headers on every answer. `.app` is the Starlette application inside."""

    def __init__(self, app: Starlette, token: str | None, hosts: frozenset[str] | None = None) -> None:
        self.app = app
        self.token = token
        self.hosts = hosts
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() not in SECURITY_HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        if self.hosts is not None and _host_name(request.headers.get("host", "")) not in self.hosts:
            await Response("misdirected request: this studio answers only to its own host names", 421)(
                scope, receive, send_with_headers
            )
            return
        if request.method not in ("GET", "HEAD"):
            await Response("the studio is read-only", 405, headers={"allow": "GET, HEAD"})(
                scope, receive, send_with_headers
            )
            return
        if self.token is not None:
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
                # Trade the token in the URL for a cookie, and drop it from the address bar (and from history).
                params = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                # One leading slash: "//host/..." would send the browser to another site.
                target = "/" + request.url.path.lstrip("/") + (f"?{urlencode(params)}" if params else "")
                resp = RedirectResponse(target, 303)
                resp.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
                await resp(scope, receive, send_with_headers)
                return
            if not self._authorized(request):
                await Response(
                    "this studio needs its token: open it with ?token=... or send Authorization: Bearer ...",
                    401,
                    headers={"www-authenticate": "Bearer"},
                )(scope, receive, send_with_headers)
                return
        await self.app(scope, receive, send_with_headers)

    def _authorized(self, request: Request) -> bool:
        assert self.token is not None
        expected = self.token.encode()
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and hmac.compare_digest(auth[7:].strip().encode(), expected):
            return True
        cookie = request.cookies.get(TOKEN_COOKIE)
        return cookie is not None and hmac.compare_digest(cookie.encode(), expected)

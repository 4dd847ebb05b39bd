"""What a studio page is: a handler from one read-only request (`Req`) to a `View`, and the registry of pages.

Every page runs inside one read-only transaction with a statement timeout, under the tenant the request names, so
a handler can only read, only the tenant's rows, and never for long. The same `View` renders as HTML or, with
`?format=json`, as its JSON twin.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request

from ..context import Context
from ..errors import InvalidInput
from ..queryset import Many, One
from ..store import Transaction

R = TypeVar("R")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_ARG_LEN = 512


@dataclass
class View:
    """What a page shows: its template, its title and the data both the template and the JSON twin get."""

    template: str
    title: str
    data: dict[str, Any]
    # The next page's URL (keyset cursor), when there is one.
    next_url: str | None = None
    crumbs: list[tuple[str, str]] = field(default_factory=list)


class Req:
    """One studio request: its query arguments, page size and cursor, its tenant and its read-only transaction."""

    def __init__(self, request: Request, tx: Transaction, tenant: str) -> None:
        self.request = request
        self.tx = tx
        self.tenant = tenant
        # The transaction's context runs the studio's own query sets on the transaction's connection.
        self.ctx: Context = tx._ctx
        self.limit = self.int_arg("limit", DEFAULT_PAGE_SIZE, least=1, most=MAX_PAGE_SIZE)
        self.cursor = self.arg("cursor")

    def arg(self, name: str) -> str | None:
        """A query argument, None when absent or empty; InvalidInput when absurdly long."""
        v = self.request.query_params.get(name)
        if v is None or v == "":
            return None
        if len(v) > MAX_ARG_LEN:
            raise InvalidInput(f"{name} is longer than {MAX_ARG_LEN} characters")
        return v

    def int_arg(self, name: str, default: int, *, least: int, most: int) -> int:
        v = self.arg(name)
        if v is None:
            return default
        try:
            n = int(v)
        except ValueError:
            raise InvalidInput(f"{name} must be a whole number, got {v!r}") from None
        if not least <= n <= most:
            raise InvalidInput(f"{name} must be between {least} and {most}, got {n}")
        return n

    def path_param(self, name: str) -> str:
        v = str(self.request.path_params[name])
        if len(v) > MAX_ARG_LEN:
            raise InvalidInput(f"{name} is longer than {MAX_ARG_LEN} characters")
        return v

    async def many(self, decl: Many[R], values: Mapping[str, Any]) -> list[R]:
        """A studio query's rows, read in the request's transaction."""
        async with self.ctx.plain() as conn:
            return await conn.many(self.ctx[decl], values)

    async def one(self, decl: One[R], values: Mapping[str, Any]) -> R | None:
        """A studio query's one row (or None), read in the request's transaction."""
        async with self.ctx.plain() as conn:
            return await conn.one(self.ctx[decl], values)

    def url(self, path: str, **params: object) -> str:
        """A studio URL under this request's tenant; None-valued parameters are left out."""
        return link(path, self.tenant, **params)

    def next_url(self, cursor: str | None) -> str | None:
        """This page's URL with `cursor` in place of the current one (None when there is no next page)."""
        if cursor is None:
            return None
        params = {k: v for k, v in self.request.query_params.items() if k not in ("cursor", "tenant")}
        return self.url(self.request.url.path, **params, cursor=cursor)


def link(path: str, tenant: str, **params: object) -> str:
    """`path` with the tenant and the given query parameters (None left out), in a stable order."""
    query = {"tenant": tenant, **{k: str(v) for k, v in params.items() if v is not None}}
    return f"{path}?{urlencode(query)}"


def opaque(kind: str, *values: str | int) -> str:
    """An opaque cursor for the studio's own lists (the domains' cursors are opaque already)."""
    raw = msgspec.msgpack.encode([kind, *values])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def unopaque(token: str, kind: str) -> list[Any]:
    """The values `opaque(kind, ...)` packed; InvalidInput for a cursor of another list or a broken one."""
    try:
        got = msgspec.msgpack.decode(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidInput("cursor is malformed") from None
    if not isinstance(got, list) or not got or got[0] != kind:
        raise InvalidInput("cursor belongs to another list")
    return got[1:]


Handler = Callable[[Req], Awaitable[View]]


@dataclass(frozen=True)
class Page:
    """One registered page: its route, its name (for links) and, for a top-level page, its navigation label."""

    path: str
    name: str
    handler: Handler
    nav: str | None
    order: int


PAGES: list[Page] = []


def page(path: str, name: str, *, nav: str | None = None, order: int = 100) -> Callable[[Handler], Handler]:
    """Register a page handler at `path` (Starlette path syntax); `nav` puts it in the navigation bar."""

    def register(fn: Handler) -> Handler:
        PAGES.append(Page(path, name, fn, nav, order))
        return fn

    return register

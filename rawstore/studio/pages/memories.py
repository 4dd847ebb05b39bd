"""Studio pages: semantic-memory users → a user's sessions and memories (embeddings shown as their dimension and
first values only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import msgspec

from ...memories.records import Memory
from ..app import not_found
from ..ops import choice, cut, flag, read_key_cursor, rows
from ..ops_queries import StudioOpsQueries as Q
from ..web import Req, View, opaque, page

# Values of an embedding a page shows (a 1,536-dimension vector would be most of the page, and of its JSON twin).
EMBEDDING_HEAD = 6
USER_PAGE_SESSIONS = 20
ORDERS: dict[str, Literal["created_at", "importance"]] = {"CREATED_AT": "created_at", "IMPORTANCE": "importance"}


class MemoryRow(msgspec.Struct, gc=False):
    """A memory as the studio shows it: its embedding as `dims` and its first values (`embedding_head`)."""

    id: str
    user_id: str
    session_id: str | None
    content: str
    importance: float
    dims: int | None
    embedding_head: list[float]
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


def _row(m: Memory) -> MemoryRow:
    e = m.embedding
    return MemoryRow(
        m.id,
        m.user_id,
        m.session_id,
        m.content,
        m.importance,
        None if e is None else len(e),
        [] if e is None else [float(v) for v in e[:EMBEDDING_HEAD]],
        m.metadata,
        m.created_at,
        m.updated_at,
        m.deleted_at,
    )


@page("/memories", "memories", nav="Memories", order=70)
async def users(req: Req) -> View:
    after = read_key_cursor(req, "mem-users")
    found, more = cut(
        await rows(req.tx, Q.mem_users, {"tenant_id": req.tenant, "after": after, "limit": req.limit + 1}), req.limit
    )
    cursor = opaque("mem-users", found[-1].id) if more else None
    return View("memories.html", "Semantic memory users", {"users": found}, next_url=req.next_url(cursor))


def _crumbs(req: Req) -> list[tuple[str, str]]:
    return [("Memory users", req.url("/memories"))]


@page("/memories/user/{user_id:path}", "memory-user", order=71)
async def user(req: Req) -> View:
    user_id = req.path_param("user_id")
    found = await req.tx.memories.get_user(user_id)
    if found is None:
        raise not_found(f"memory user {user_id!r}")
    session = req.arg("session")
    order = choice(req, "order", ORDERS) or "created_at"
    deleted = flag(req, "deleted")
    memories = await req.tx.memories.list(
        user_id, session_id=session, include_deleted=deleted, order_by=order, limit=req.limit, cursor=req.cursor
    )
    sessions = await req.tx.memories.list_sessions(user_id, limit=USER_PAGE_SESSIONS)
    return View(
        "memory_user.html",
        f"Memories of {found.name or found.email}",
        {
            "user": found,
            "sessions": sessions.items,
            "more_sessions": None
            if sessions.next_cursor is None
            else req.url(f"/memories/sessions/{quote(user_id)}", cursor=sessions.next_cursor),
            "memories": [_row(m) for m in memories.items],
            "session": session,
            "order": order,
            "deleted": deleted,
        },
        next_url=req.next_url(memories.next_cursor),
        crumbs=_crumbs(req),
    )


@page("/memories/sessions/{user_id:path}", "memory-sessions", order=72)
async def sessions(req: Req) -> View:
    user_id = req.path_param("user_id")
    found = await req.tx.memories.get_user(user_id)
    if found is None:
        raise not_found(f"memory user {user_id!r}")
    page_ = await req.tx.memories.list_sessions(user_id, limit=req.limit, cursor=req.cursor)
    return View(
        "memory_sessions.html",
        f"Sessions of {found.name or found.email}",
        {"user": found, "sessions": page_.items},
        next_url=req.next_url(page_.next_cursor),
        crumbs=[*_crumbs(req), (found.name or found.email, req.url(f"/memories/user/{quote(user_id)}"))],
    )

"""Studio pages: resources with threads → a resource's threads and working memory → a thread's messages."""

from __future__ import annotations

from ..app import not_found
from ..queries import StudioQueries
from ..web import Req, View, opaque, page, unopaque


@page("/threads", "resources", nav="Threads", order=10)
async def resources(req: Req) -> View:
    after = "" if req.cursor is None else str(unopaque(req.cursor, "resources")[0])
    rows = await req.many(StudioQueries.resources, {"tenant_id": req.tenant, "after": after, "limit": req.limit + 1})
    more = len(rows) > req.limit
    rows = rows[: req.limit]
    cursor = opaque("resources", rows[-1].resource_id) if more and rows else None
    return View("resources.html", "Threads by resource", {"resources": rows}, next_url=req.next_url(cursor))


@page("/resources/{resource_id:path}", "resource", order=11)
async def resource(req: Req) -> View:
    resource_id = req.path_param("resource_id")
    threads = await req.tx.memory.list_threads(
        resource_id, order_by="updated_at", direction="desc", limit=req.limit, cursor=req.cursor
    )
    working = await req.tx.memory.get_resource(resource_id)
    return View(
        "resource.html",
        f"Resource {resource_id}",
        {"resource_id": resource_id, "threads": threads.items, "resource": working},
        next_url=req.next_url(threads.next_cursor),
        crumbs=[("Threads", req.url("/threads"))],
    )


@page("/thread/{thread_id:path}", "thread", order=12)
async def thread(req: Req) -> View:
    thread_id = req.path_param("thread_id")
    found = await req.tx.memory.get_thread(thread_id)
    if found is None:
        raise not_found(f"thread {thread_id!r}")
    messages = await req.tx.memory.list_messages(thread_id, limit=req.limit, cursor=req.cursor)
    return View(
        "thread.html",
        f"Thread {found.title or found.id}",
        {"thread": found, "messages": messages.items},
        next_url=req.next_url(messages.next_cursor),
        crumbs=[
            ("Threads", req.url("/threads")),
            (found.resource_id, req.url(f"/resources/{found.resource_id}")),
        ],
    )

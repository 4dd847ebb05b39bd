"""The memory domain: threads, messages and resources (`store.memory`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from ..context import Context
from ..drivers.base import Connection
from ..errors import Conflict, InvalidInput, NotFound
from ..ids import uuid7
from ..pagination import Page, decode_cursor, encode_cursor
from ..timeutil import MAX_TS, MIN_TS, utcnow
from ..validate import (
    MAX_SHORT,
    MAX_TITLE,
    check_bool,
    check_choice,
    check_dt,
    check_id,
    check_ids,
    check_limit,
    check_metadata,
    check_text,
    encode_json,
    encode_optional_json,
    json_text,
    plain_id,
)
from .queries import MESSAGE_FIELDS
from .queries import MemoryQueries as Q
from .records import Include, Message, MessageUpdate, Resource, Thread

_decode = msgspec.json.decode
# Sorts after every id a caller can write (ids hold no NUL and are compared byte-wise everywhere).
_MAX_ID = "\U0010ffff" * 2
_CHUNK = 1000
MAX_WORKING_MEMORY = 16 * 1024 * 1024

OrderBy = Literal["created_at", "updated_at"]
Direction = Literal["asc", "desc"]


_JSON = msgspec.json.Encoder()
_THREAD_ID = MESSAGE_FIELDS.index("thread_id")


def _position(cursor: str | None, kind: str, direction: str, lo: datetime, hi: datetime) -> tuple[datetime, str]:
    """The (sort value, id) a page starts strictly after: the cursor's, or just outside [lo, hi]."""
    if cursor is not None:
        return decode_cursor(cursor, kind)
    return (lo, "") if direction == "asc" else (hi, _MAX_ID)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


_THREAD_PAGES = {
    ("created_at", "asc"): Q.threads_created_asc,
    ("created_at", "desc"): Q.threads_created_desc,
    ("updated_at", "asc"): Q.threads_updated_asc,
    ("updated_at", "desc"): Q.threads_updated_desc,
}
_MESSAGE_PAGES = {"asc": Q.messages_asc, "desc": Q.messages_desc}


class MemoryStore:
    """Threads, messages and resources of the current tenant. Reach it as `store.memory` or `tx.memory`."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- threads ----------------------------------------------------------------------------------------

    async def get_thread(self, thread_id: str, *, resource_id: str | None = None) -> Thread | None:
        """The thread, or None when it is missing or (if `resource_id` is given) belongs to another resource."""
        t = self._ctx.tenant()
        if not plain_id(thread_id):
            check_id(thread_id, "thread_id")
        if resource_id is not None:
            check_id(resource_id, "resource_id")
        thread = await self._ctx.one(Q.get_thread, {"tenant_id": t, "id": thread_id})
        if thread is None:
            return None
        if resource_id is not None and thread.resource_id != resource_id:
            return None
        return thread

    async def save_thread(self, thread: Thread) -> Thread:
        """Insert the thread, or update title, metadata, resource_id and updated_at of an existing id.

        An existing thread keeps its created_at; the stored thread is returned.
        """
        t = self._ctx.tenant()
        values = self._thread_values(t, thread)
        async with self._ctx.write() as conn:
            await conn.run(self._ctx[Q.upsert_thread], values)
            stored = await conn.one(self._ctx[Q.get_thread], {"tenant_id": t, "id": thread.id})
        assert stored is not None
        return stored

    def _thread_values(self, t: str, thread: object) -> dict[str, Any]:
        if not isinstance(thread, Thread):
            raise InvalidInput(f"expected a rawstore.Thread, got {type(thread).__name__}")
        out = self._ctx.ts_out
        return {
            "tenant_id": t,
            "id": check_id(thread.id, "thread.id"),
            "resource_id": check_id(thread.resource_id, "thread.resource_id"),
            "title": check_text(thread.title, "thread.title", MAX_TITLE, optional=True),
            "metadata": encode_optional_json(check_metadata(thread.metadata, "thread.metadata"), "thread.metadata"),
            "created_at": out(check_dt(thread.created_at, "thread.created_at")),
            "updated_at": out(check_dt(thread.updated_at, "thread.updated_at")),
        }

    async def update_thread(
        self, thread_id: str, *, title: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Thread:
        """Replace the title (if given), merge `metadata` shallowly into the stored one, bump updated_at.

        Raises NotFound when the thread does not exist.
        """
        t = self._ctx.tenant()
        check_id(thread_id, "thread_id")
        check_text(title, "title", MAX_TITLE, optional=True)
        check_metadata(metadata)
        encode_optional_json(metadata, "metadata")
        async with self._ctx.write() as conn:
            cur = await conn.one(self._ctx[Q.lock_thread], {"tenant_id": t, "id": thread_id})
            if cur is None:
                raise NotFound(f"thread {thread_id!r} does not exist")
            merged = dict(cur.metadata or {})
            merged.update(metadata or {})
            new_meta = merged if (cur.metadata is not None or metadata is not None) else None
            now = utcnow()
            await conn.run(
                self._ctx[Q.update_thread],
                {
                    "tenant_id": t,
                    "id": thread_id,
                    "title": cur.title if title is None else title,
                    "metadata": encode_optional_json(new_meta, "metadata"),
                    "updated_at": self._ctx.ts_out(now),
                },
            )
            stored = await conn.one(self._ctx[Q.get_thread], {"tenant_id": t, "id": thread_id})
        assert stored is not None
        return stored

    async def delete_thread(self, thread_id: str) -> None:
        """Delete the thread and all its messages in one transaction; a missing thread is not an error."""
        t = self._ctx.tenant()
        check_id(thread_id, "thread_id")
        values = {"tenant_id": t, "id": thread_id}
        async with self._ctx.write() as conn:
            await conn.run(self._ctx[Q.delete_thread_messages], values)
            await conn.run(self._ctx[Q.delete_thread], values)

    async def list_threads(
        self,
        resource_id: str,
        *,
        order_by: OrderBy = "created_at",
        direction: Direction = "desc",
        limit: int = 100,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Thread]:
        """A page of a resource's threads ordered by (`order_by`, id); pass `next_cursor` back for the next page."""
        t = self._ctx.tenant()
        check_id(resource_id, "resource_id")
        check_choice(order_by, "order_by", ("created_at", "updated_at"))
        check_choice(direction, "direction", ("asc", "desc"))
        check_limit(limit)
        check_bool(with_total, "with_total")
        kind = f"threads:{order_by}:{direction}"
        c_ts, c_id = _position(cursor, kind, direction, MIN_TS, MAX_TS)
        page = self._ctx[_THREAD_PAGES[order_by, direction]]
        values = {
            "tenant_id": t,
            "resource_id": resource_id,
            "c_ts": self._ctx.ts_out(c_ts),
            "c_id": c_id,
            "limit": limit + 1,
        }
        async with self._ctx.plain() as conn:
            rows = await conn.many(page, values) if limit else []
            total = None
            if with_total:
                total = await conn.scalar(self._ctx[Q.count_threads], values)
        items = rows[:limit]
        has_more = len(rows) > limit
        nxt = None
        if has_more:
            last = items[-1]
            nxt = encode_cursor(kind, getattr(last, order_by), last.id)
        return Page(items, nxt, has_more, total)

    # -- messages ---------------------------------------------------------------------------------------

    def _message_rows(
        self, t: str, messages: Sequence[Message]
    ) -> tuple[dict[str, tuple[Any, ...]], dict[str, Message]]:
        """Validated rows (in `MESSAGE_FIELDS` order) by id, the last version of a repeated id winning.

        Checks ids, thread, role, type, JSON content and aware datetimes. Values that repeat across a batch
        (thread, role, type, resource) are checked once, a plain ASCII id takes a fast path, and error labels are
        built only on error: this is most of the CPU a batch costs, so it matters next to the raw driver.
        """
        by_id: dict[str, tuple[Any, ...]] = {}
        source: dict[str, Message] = {}
        ok_ids: set[str] = set()
        ok_short: set[str] = set()
        ts_out = self._ctx.ts_out
        encode = _JSON.encode
        for i, m in enumerate(messages):
            if type(m) is not Message and not isinstance(m, Message):
                raise InvalidInput(f"messages[{i}] must be a rawstore.Message, got {type(m).__name__}")
            mid, th, role, typ, res = m.id, m.thread_id, m.role, m.type, m.resource_id
            if th is None:
                raise InvalidInput(f"messages[{i}] has no thread_id")
            if role is None:
                raise InvalidInput(f"messages[{i}] has no role")
            if not plain_id(mid):
                check_id(mid, f"messages[{i}].id")
            # The type test comes first: a set lookup of an unhashable value would raise TypeError.
            if type(th) is not str or th not in ok_ids:
                ok_ids.add(check_id(th, f"messages[{i}].thread_id"))
            if res is not None and (type(res) is not str or res not in ok_ids):
                ok_ids.add(check_id(res, f"messages[{i}].resource_id"))
            if type(role) is not str or role not in ok_short:
                ok_short.add(check_text(role, f"messages[{i}].role", MAX_SHORT, blank=False))
            if type(typ) is not str or typ not in ok_short:
                ok_short.add(check_text(typ, f"messages[{i}].type", MAX_SHORT, blank=False))
            try:
                content = json_text(encode(m.content))
            except Exception:  # RecursionError included: encode_json below says what is wrong
                content = None
            if content is None:
                content = encode_json(m.content, f"messages[{i}].content")
            created = m.created_at
            if type(created) is not datetime or created.tzinfo is not UTC or not MIN_TS <= created <= MAX_TS:
                check_dt(created, f"messages[{i}].created_at")
            by_id[mid] = (t, mid, th, role, typ, content, res, ts_out(created))
            source[mid] = m
        return by_id, source

    async def _require_threads(self, conn: Connection, t: str, thread_ids: Iterable[str]) -> None:
        wanted = sorted(set(thread_ids))
        found: set[str] = set()
        for chunk in _chunks(wanted):
            found.update(await conn.many(self._ctx[Q.existing_threads], {"tenant_id": t, "ids": list(chunk)}))
        missing = [x for x in wanted if x not in found]
        if missing:
            raise NotFound(
                f"thread {missing[0]!r} does not exist"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            )

    async def _touch(self, conn: Connection, t: str, thread_ids: Iterable[str], now: datetime) -> None:
        ids = sorted(set(thread_ids))
        for chunk in _chunks(ids):
            await conn.run(
                self._ctx[Q.touch_threads], {"tenant_id": t, "ids": list(chunk), "now": self._ctx.ts_out(now)}
            )

    async def save_messages(self, messages: Sequence[Message]) -> list[Message]:
        """Save a batch atomically: insert new ids, update existing ones (which keep created_at and may move thread).

        Every referenced thread must exist (else NotFound and nothing is written). Bumps updated_at of every thread
        the batch touches, including threads a message moved away from. A repeated id keeps its last version.
        Returns the stored messages, one per distinct id, in first-seen order.
        """
        t = self._ctx.tenant()
        if isinstance(messages, (str, bytes, Message)) or not isinstance(messages, Sequence):
            raise InvalidInput("messages must be a list of rawstore.Message")
        if not messages:
            return []
        by_id, source = self._message_rows(t, messages)
        # Sorted by id so that concurrent batches lock rows in one order.
        ids = sorted(by_id)
        rows = [by_id[i] for i in ids]
        now = utcnow()
        b_new, b_upsert = self._ctx[Q.insert_new_messages], self._ctx[Q.upsert_messages]
        async with self._ctx.write() as conn:
            threads = {r[_THREAD_ID] for r in rows}
            await self._require_threads(conn, t, threads)
            # Lock the threads (exclusively) before the inserts take their foreign-key locks on them: concurrent
            # batches into one thread then queue up instead of deadlocking on a shared-to-exclusive upgrade (InnoDB).
            await self._touch(conn, t, threads, now)
            old: dict[str, tuple[str, Any]] = {}
            # New ids are the common case: insert them without looking anything up first (a lookup costs as much
            # as the insert's own index probes). Only when some ids existed, read what they were and upsert.
            if await conn.batch(b_new, rows) != len(rows):
                for chunk in _chunks(ids):
                    for mid, th, created in await conn.many(
                        self._ctx[Q.existing_messages], {"tenant_id": t, "ids": list(chunk)}
                    ):
                        old[mid] = (th, created)
                await self._touch(conn, t, {th for th, _ in old.values()} - threads, now)
                await conn.batch(b_upsert, rows)
        out: list[Message] = []
        for mid, m in source.items():
            prev = old.get(mid)
            created = self._ctx.ts_in(prev[1]) if prev is not None else m.created_at
            out.append(Message(m.id, m.thread_id, m.role, m.content, m.resource_id, m.type, created))
        return out

    async def list_messages(
        self,
        thread_id: str,
        *,
        limit: int = 40,
        cursor: str | None = None,
        direction: Direction = "asc",
        since: datetime | None = None,
        until: datetime | None = None,
        resource_id: str | None = None,
        include: Sequence[Include] = (),
        with_total: bool = False,
    ) -> Page[Message]:
        """A page of the thread's messages by (created_at, id) in `direction`, plus any `include` context.

        `since`/`until` are inclusive; `resource_id` filters the page rows. Each Include adds its target and up to
        `before` older and `after` newer messages of the target's thread (or `Include.thread_id`); they are merged
        without duplicates and sorted in the page's order. `next_cursor`, `has_more` and `total` describe the page
        rows only; a missing include target is ignored; `limit=0` returns only the included rows.
        """
        t = self._ctx.tenant()
        check_id(thread_id, "thread_id")
        check_limit(limit)
        check_choice(direction, "direction", ("asc", "desc"))
        lo = MIN_TS if since is None else check_dt(since, "since")
        hi = MAX_TS if until is None else check_dt(until, "until")
        if resource_id is not None:
            check_id(resource_id, "resource_id")
        includes = self._check_includes(include)
        check_bool(with_total, "with_total")
        kind = f"messages:{direction}"
        c_ts, c_id = _position(cursor, kind, direction, lo, hi)
        if direction == "asc" and c_ts > lo:
            lo = c_ts
        if direction == "desc" and c_ts < hi:
            hi = c_ts
        out = self._ctx.ts_out
        values = {
            "tenant_id": t,
            "thread_id": thread_id,
            "lo": out(lo),
            "hi": out(hi),
            "c_ts": out(c_ts),
            "c_id": c_id,
            "resource_id": resource_id,
            "limit": limit + 1,
        }
        async with self._ctx.plain() as conn:
            rows: list[Message] = []
            if limit:
                rows = await conn.many(self._ctx[_MESSAGE_PAGES[direction]], values)
            total = None
            if with_total:
                count_values = dict(
                    values, lo=out(MIN_TS if since is None else since), hi=out(MAX_TS if until is None else until)
                )
                total = await conn.scalar(self._ctx[Q.count_messages], count_values)
            extra = await self._included(conn, t, includes) if includes else []
        items = rows[:limit]
        has_more = len(rows) > limit
        nxt = encode_cursor(kind, items[-1].created_at, items[-1].id) if has_more else None
        if extra:
            seen = {m.id for m in items}
            for m in extra:
                if m.id not in seen:
                    seen.add(m.id)
                    items.append(m)
            items.sort(key=lambda m: (m.created_at, m.id), reverse=direction == "desc")
        return Page(items, nxt, has_more, total)

    def _check_includes(self, include: object) -> list[Include]:
        if isinstance(include, (str, bytes, Include)) or not isinstance(include, (list, tuple)):
            raise InvalidInput("include must be a list of rawstore.Include")
        out: list[Include] = []
        for i, inc in enumerate(include):
            if not isinstance(inc, Include):
                raise InvalidInput(f"include[{i}] must be a rawstore.Include, got {type(inc).__name__}")
            check_id(inc.message_id, f"include[{i}].message_id")
            check_limit(inc.before, f"include[{i}].before")
            check_limit(inc.after, f"include[{i}].after")
            if inc.thread_id is not None:
                check_id(inc.thread_id, f"include[{i}].thread_id")
            out.append(inc)
        return out

    async def _included(self, conn: Connection, t: str, includes: list[Include]) -> list[Message]:
        ids = sorted({inc.message_id for inc in includes})
        targets: dict[str, Message] = {}
        for chunk in _chunks(ids):
            for m in await conn.many(self._ctx[Q.get_messages], {"tenant_id": t, "ids": list(chunk)}):
                targets[m.id] = m
        found: list[Message] = []
        window = self._ctx[Q.message_window]
        for inc in includes:
            target = targets.get(inc.message_id)
            if target is None:
                continue
            found.append(target)
            if inc.before or inc.after:
                rows = await conn.many(
                    window,
                    {
                        "tenant_id": t,
                        "thread_id": inc.thread_id or target.thread_id,
                        "c_ts": self._ctx.ts_out(target.created_at),
                        "c_id": target.id,
                        "before": inc.before,
                        "after": inc.after,
                    },
                )
                found.extend(rows)
        return found

    async def get_messages(self, ids: Sequence[str]) -> list[Message]:
        """Messages by id across threads, ordered by (created_at, id); unknown ids are skipped."""
        t = self._ctx.tenant()
        wanted = sorted(set(check_ids(ids, "ids")))
        if not wanted:
            return []
        out: list[Message] = []
        async with self._ctx.plain() as conn:
            for chunk in _chunks(wanted):
                out.extend(await conn.many(self._ctx[Q.get_messages], {"tenant_id": t, "ids": list(chunk)}))
        out.sort(key=lambda m: (m.created_at, m.id))
        return out

    async def update_messages(self, updates: Sequence[MessageUpdate]) -> list[Message]:
        """Apply partial updates atomically; unknown ids are ignored. Returns the updated messages.

        Given fields replace stored ones, except that when the stored and the new content are both objects they
        merge one level deep (and their `metadata` objects one level deeper). Bumps updated_at of the old and the
        new thread of every updated message; a new thread must exist (else NotFound, nothing written).
        """
        t = self._ctx.tenant()
        if isinstance(updates, (str, bytes, MessageUpdate)) or not isinstance(updates, Sequence):
            raise InvalidInput("updates must be a list of rawstore.MessageUpdate")
        for i, u in enumerate(updates):
            if not isinstance(u, MessageUpdate):
                raise InvalidInput(f"updates[{i}] must be a rawstore.MessageUpdate, got {type(u).__name__}")
            check_id(u.id, f"updates[{i}].id")
            check_text(u.role, f"updates[{i}].role", MAX_SHORT, optional=True, blank=False)
            check_text(u.type, f"updates[{i}].type", MAX_SHORT, optional=True, blank=False)
            if u.thread_id is not None:
                check_id(u.thread_id, f"updates[{i}].thread_id")
            if u.resource_id is not None:
                check_id(u.resource_id, f"updates[{i}].resource_id")
            if u.content is not None:
                encode_json(u.content, f"updates[{i}].content")
        if not updates:
            return []
        ids = sorted({u.id for u in updates})
        now = utcnow()
        async with self._ctx.write() as conn:
            current: dict[str, Message] = {}
            for chunk in _chunks(ids):
                for locked in await conn.many(self._ctx[Q.lock_messages], {"tenant_id": t, "ids": list(chunk)}):
                    current[locked.id] = locked
            touched: set[str] = set()
            changed: dict[str, Message] = {}
            for u in updates:
                m = changed.get(u.id) or current.get(u.id)
                if m is None:
                    continue
                touched.add(m.thread_id)
                changed[u.id] = Message(
                    m.id,
                    u.thread_id if u.thread_id is not None else m.thread_id,
                    u.role if u.role is not None else m.role,
                    m.content if u.content is None else _merge_content(m.content, u.content),
                    u.resource_id if u.resource_id is not None else m.resource_id,
                    u.type if u.type is not None else m.type,
                    m.created_at,
                )
            if not changed:
                return []
            new_threads = {m.thread_id for m in changed.values()}
            await self._require_threads(conn, t, new_threads - touched)
            rows = [
                {
                    "tenant_id": t,
                    "id": m.id,
                    "thread_id": m.thread_id,
                    "role": m.role,
                    "type": m.type,
                    "content": encode_json(m.content, "content"),
                    "resource_id": m.resource_id,
                }
                for m in changed.values()
            ]
            await self._touch(conn, t, touched | new_threads, now)
            update = self._ctx[Q.update_message]
            for v in rows:
                await conn.run(update, v)
        return list(changed.values())

    async def delete_messages(self, ids: Sequence[str]) -> int:
        """Delete messages by id; returns how many were deleted and bumps updated_at of their threads."""
        t = self._ctx.tenant()
        wanted = sorted(set(check_ids(ids, "ids")))
        if not wanted:
            return 0
        now = utcnow()
        deleted = 0
        async with self._ctx.write() as conn:
            threads: set[str] = set()
            for chunk in _chunks(wanted):
                values = {"tenant_id": t, "ids": list(chunk)}
                threads.update(await conn.many(self._ctx[Q.message_threads], values))
            await self._touch(conn, t, threads, now)
            for chunk in _chunks(wanted):
                deleted += await conn.run(self._ctx[Q.delete_messages], {"tenant_id": t, "ids": list(chunk)})
        return deleted

    async def clone_thread(
        self,
        source_thread_id: str,
        *,
        new_thread_id: str | None = None,
        title: str | None = None,
        resource_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        limit: int | None = None,
    ) -> tuple[Thread, list[Message]]:
        """Copy a thread and its messages (only the newest `limit` if given) under new ids, in the same order.

        The new thread's title defaults to "Clone of <title>", its resource to the source's, and its metadata
        (`metadata`, else the source's) gains a "clone" entry naming the source thread. NotFound if the source is
        missing; Conflict if `new_thread_id` already exists.
        """
        t = self._ctx.tenant()
        check_id(source_thread_id, "source_thread_id")
        if new_thread_id is not None:
            check_id(new_thread_id, "new_thread_id")
        check_text(title, "title", MAX_TITLE, optional=True)
        if resource_id is not None:
            check_id(resource_id, "resource_id")
        check_metadata(metadata)
        encode_optional_json(metadata, "metadata")
        if limit is not None:
            check_limit(limit)
        new_id = new_thread_id or uuid7()
        now = utcnow()
        async with self._ctx.write() as conn:
            src = await conn.one(self._ctx[Q.get_thread], {"tenant_id": t, "id": source_thread_id})
            if src is None:
                raise NotFound(f"source thread {source_thread_id!r} does not exist")
            if await conn.one(self._ctx[Q.get_thread], {"tenant_id": t, "id": new_id}) is not None:
                raise Conflict(f"thread {new_id!r} already exists")
            src_msgs = await self._all_messages(conn, t, source_thread_id, limit)
            meta = dict(metadata if metadata is not None else (src.metadata or {}))
            meta["clone"] = {
                "source_thread_id": source_thread_id,
                "cloned_at": now.isoformat(),
                "last_message_id": src_msgs[-1].id if src_msgs else None,
            }
            thread = Thread(
                new_id,
                resource_id or src.resource_id,
                title if title is not None else f"Clone of {src.title if src.title is not None else src.id}",
                meta,
                now,
                now,
            )
            await conn.run(self._ctx[Q.insert_thread], self._thread_values(t, thread))
            copies = [
                Message(
                    uuid7(),
                    new_id,
                    m.role,
                    m.content,
                    thread.resource_id if resource_id else m.resource_id,
                    m.type,
                    m.created_at,
                )
                for m in src_msgs
            ]
            by_id, _ = self._message_rows(t, copies)
            b_new = self._ctx[Q.insert_new_messages]
            rows = list(by_id.values())
            for i in range(0, len(rows), _CHUNK):
                await conn.batch(b_new, rows[i : i + _CHUNK])
        return thread, copies

    async def _all_messages(self, conn: Connection, t: str, thread_id: str, limit: int | None) -> list[Message]:
        direction = "asc" if limit is None else "desc"
        want = limit if limit is not None else None
        c_ts, c_id = (MIN_TS, "") if direction == "asc" else (MAX_TS, _MAX_ID)
        out: list[Message] = []
        page = self._ctx[_MESSAGE_PAGES[direction]]
        while want is None or len(out) < want:
            n = 5000 if want is None else min(5000, want - len(out))
            batch = await conn.many(
                page,
                {
                    "tenant_id": t,
                    "thread_id": thread_id,
                    "lo": self._ctx.ts_out(MIN_TS if direction == "desc" else c_ts),
                    "hi": self._ctx.ts_out(MAX_TS if direction == "asc" else c_ts),
                    "c_ts": self._ctx.ts_out(c_ts),
                    "c_id": c_id,
                    "resource_id": None,
                    "limit": n,
                },
            )
            out.extend(batch)
            if len(batch) < n:
                break
            c_ts, c_id = batch[-1].created_at, batch[-1].id
        if direction == "desc":
            out.reverse()
        return out

    # -- resources --------------------------------------------------------------------------------------

    async def get_resource(self, resource_id: str) -> Resource | None:
        """The resource, or None."""
        t = self._ctx.tenant()
        check_id(resource_id, "resource_id")
        return await self._ctx.one(Q.get_resource, {"tenant_id": t, "id": resource_id})

    async def save_resource(self, resource: Resource) -> Resource:
        """Insert the resource, or replace its working memory, metadata and updated_at (created_at is kept)."""
        t = self._ctx.tenant()
        if not isinstance(resource, Resource):
            raise InvalidInput(f"expected a rawstore.Resource, got {type(resource).__name__}")
        out = self._ctx.ts_out
        values = {
            "tenant_id": t,
            "id": check_id(resource.id, "resource.id"),
            "working_memory": check_text(
                resource.working_memory, "resource.working_memory", MAX_WORKING_MEMORY, optional=True
            ),
            "metadata": encode_optional_json(
                check_metadata(resource.metadata, "resource.metadata"), "resource.metadata"
            ),
            "created_at": out(check_dt(resource.created_at, "resource.created_at")),
            "updated_at": out(check_dt(resource.updated_at, "resource.updated_at")),
        }
        async with self._ctx.write() as conn:
            await conn.run(self._ctx[Q.upsert_resource], values)
            stored = await conn.one(self._ctx[Q.get_resource], {"tenant_id": t, "id": resource.id})
        assert stored is not None
        return stored

    async def update_resource(
        self, resource_id: str, *, working_memory: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Resource:
        """Create the resource if missing, replace its working memory if given, merge `metadata` shallowly.

        The read-merge-write holds a row lock (a write transaction on SQLite), so concurrent updates of distinct
        keys all survive.
        """
        t = self._ctx.tenant()
        check_id(resource_id, "resource_id")
        check_text(working_memory, "working_memory", MAX_WORKING_MEMORY, optional=True)
        check_metadata(metadata)
        encode_optional_json(metadata, "metadata")
        now = utcnow()
        key = {"tenant_id": t, "id": resource_id}
        # Create outside the locking transaction: on InnoDB an INSERT IGNORE followed by a locking read in one
        # transaction deadlocks under concurrency (shared then exclusive lock on the same key).
        async with self._ctx.plain() as conn:
            await conn.run(self._ctx[Q.ensure_resource], dict(key, now=self._ctx.ts_out(now)))
        async with self._ctx.write() as conn:
            cur = await conn.one(self._ctx[Q.lock_resource], key)
            if cur is None:
                raise NotFound(f"resource {resource_id!r} was deleted concurrently")
            merged = dict(cur.metadata or {})
            merged.update(metadata or {})
            new_meta = merged if (cur.metadata is not None or metadata is not None) else None
            await conn.run(
                self._ctx[Q.update_resource],
                dict(
                    key,
                    working_memory=cur.working_memory if working_memory is None else working_memory,
                    metadata=encode_optional_json(new_meta, "metadata"),
                    now=self._ctx.ts_out(now),
                ),
            )
            stored = await conn.one(self._ctx[Q.get_resource], key)
        assert stored is not None
        return stored


def _merge_content(old: Any, new: Any) -> Any:
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return new
    merged = {**old, **new}
    if isinstance(old.get("metadata"), dict) and isinstance(new.get("metadata"), dict):
        merged["metadata"] = {**old["metadata"], **new["metadata"]}
    return merged

"""`SemanticMemoryStore` (`store.memories`): users, sessions, memories with embeddings, and their search."""

from __future__ import annotations

import base64
import binascii
import builtins
import hashlib
import inspect
import math
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from ..context import Context, TxContext
from ..drivers.base import Connection
from ..errors import Conflict, InvalidInput, NotFound
from ..ids import uuid7
from ..pagination import Page, decode_cursor, encode_cursor
from ..queryset import Bound, Declared
from ..timeutil import MAX_TS, MIN_TS, utcnow
from ..validate import (
    MAX_TITLE,
    check_bool,
    check_choice,
    check_dt,
    check_id,
    check_limit,
    check_metadata,
    check_text,
    encode_json,
    encode_optional_json,
    json_text,
    plain_id,
    shown,
)
from . import batch, vectors
from .pgvector import VectorStatements
from .queries import MEMORY_FIELDS
from .queries import MemoryItemQueries as Q
from .records import Memory, MemoryHit, Session, User

Embedder = Callable[[list[str]], Any]
"""`texts -> vectors`: a sync or async callable given a list of strings, returning one vector per string."""

Mode = Literal["hybrid", "vector", "text"]
OrderBy = Literal["created_at", "importance"]

MAX_CONTENT = 100_000
"""Most characters a memory's content may hold."""
MAX_EMAIL = 320
MAX_SEARCH_LIMIT = 1000
RRF_K = 60
"""Reciprocal rank fusion: a memory at rank r of a list scores 1 / (RRF_K + r) for it."""
MAX_QUERY_WORDS = 64
EF_SEARCH = 100
"""hnsw.ef_search of a pgvector search (raised to twice the rows asked for, at most 1,000)."""

_CHUNK = 1000
# From this many memories on, add_many first tries checking its batch a column at a time (batch.rows).
_COLUMNWISE = 16
_MAX_ID = "\U0010ffff" * 2
_EMBEDDER = "memories.embedder"
_VECTOR_SCHEMA = "memories.vector_schema"
_VECTOR_TABLES = "memories.vector_tables"
_VECTOR_STATEMENTS = "memories.vector_statements"
_WORD = re.compile(r"\w+")
_JSON = msgspec.json.Encoder()
_ROW_ID = MEMORY_FIELDS.index("id")
_ROW_USER = MEMORY_FIELDS.index("user_id")
_ROW_SESSION = MEMORY_FIELDS.index("session_id")
_ROW_DIMS = MEMORY_FIELDS.index("dims")
_ROW_EMBEDDING = MEMORY_FIELDS.index("embedding")
_ROW_IMPORTANCE = MEMORY_FIELDS.index("importance")
_ROW_CONTENT = MEMORY_FIELDS.index("content")
# A validated memory's row, in MEMORY_FIELDS order. A tuple, not a list: once the garbage collector has seen it
# holding only atomic values it stops tracking it (a list it tracks for good, and in a large batch keeps
# traversing and promoting).
_Row = tuple[Any, ...]
# add_many builds the returned memories while the database writes (Connection.batch's alongside) when its embeddings
# hold at least this many floats, about this many per step (a step is a fraction of a millisecond).
_ALONGSIDE_FLOATS = 20_000
_STEP_FLOATS = 20_000


def _ef_search(n: int) -> int:
    """HNSW's candidate list for `n` results: pgvector's default of 40 gave recall@10 0.90 on clustered data (a
    100,000-memory user of 384 dimensions), 100 gives at least 0.95 (docs/memories.md)."""
    return min(1000, max(EF_SEARCH, 2 * n))


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{what} must be a number, got {type(value).__name__}")
    try:
        f = float(value)
    except OverflowError:
        raise InvalidInput(f"{what} is too large, got {shown(value)}") from None
    if not math.isfinite(f):
        raise InvalidInput(f"{what} must be a finite number, got {shown(value)}")
    return f


def _email(value: object, what: str = "email") -> str:
    text: str = check_text(value, what, MAX_EMAIL, blank=False)
    if "@" not in text or text != text.strip():
        raise InvalidInput(f"{what} must be an email address (with an @, no surrounding spaces), got {shown(text)}")
    return text


def _words(text: str) -> str:
    """The words of a user's text (letters, digits, underscores), each once, joined by spaces: the only input the
    full-text queries get, so no quote, operator or parenthesis of the text can reach a query parser."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(text):
        seen.setdefault(w.lower(), None)
        if len(seen) >= MAX_QUERY_WORDS:
            break
    return " ".join(seen)


def _metadata_filter(value: object) -> str | None:
    """The JSON condition list the SQL reads: [key, kind, value, number] per key, kind one of text, number, true,
    false, null (each database tells these apart its own way; numbers compare as numbers)."""
    if value is None:
        return None
    check_metadata(value, "metadata")
    assert isinstance(value, dict)
    if not value:
        return None
    conds: list[list[Any]] = []
    for k, v in value.items():
        check_text(k, "metadata filter key", 255, blank=False)
        if '"' in k or "\\" in k:
            raise InvalidInput(f"metadata filter key {shown(k)} must not contain quotes or backslashes")
        if v is None:
            conds.append([k, "null", None, 0])
        elif isinstance(v, bool):
            conds.append([k, "true" if v else "false", v, 0])
        elif isinstance(v, str):
            conds.append([k, "text", check_text(v, f"metadata filter {k!r}", MAX_CONTENT), 0])
        elif isinstance(v, (int, float)):
            if isinstance(v, int) and not -(2**63) <= v < 2**63:
                raise InvalidInput(f"metadata filter {k!r} is an int beyond 64 bits")
            conds.append([k, "number", v, _number(v, f"metadata filter {k!r}")])
        else:
            raise InvalidInput(
                f"metadata filter {k!r} must be a string, number, bool or None (exact match of a top-level key),"
                f" got {type(v).__name__}"
            )
    return _JSON.encode(conds).decode()


def _importance_cursor(kind: str, importance: float, row_id: str) -> str:
    raw = msgspec.msgpack.encode([kind, importance, row_id])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_importance_cursor(token: object, kind: str) -> tuple[float, str]:
    if not isinstance(token, str) or not token:
        raise InvalidInput("cursor must be a non-empty string from a previous page's next_cursor")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        k, value, row_id = msgspec.msgpack.decode(raw, type=tuple[str, float, str])
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidInput("cursor is malformed") from None
    if k != kind:
        raise InvalidInput("cursor belongs to another list, order or direction")
    if not math.isfinite(value):
        raise InvalidInput("cursor is malformed")
    return value, row_id


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _label(i: int | None) -> str:
    return "memory" if i is None else f"memories[{i}]"


def _stored(m: Memory, row: _Row) -> Memory:
    """The memory as stored: the caller's fields, its validated importance and its embedding read back (the
    float32 values as a tuple of floats)."""
    blob = row[_ROW_EMBEDDING]
    return Memory(
        m.id,
        m.user_id,
        m.content,
        m.session_id,
        row[_ROW_IMPORTANCE],
        None if blob is None else vectors.floats(blob, row[_ROW_DIMS]),
        m.metadata,
        m.created_at,
        m.updated_at,
        m.deleted_at,
    )


def _build(
    memories: Sequence[Memory], rows: builtins.list[_Row], out: builtins.list[Memory], step: int
) -> Iterator[None]:
    """Append the stored memories to `out`, `step` at a time (one step per next()): the work a batch gives its
    driver to do while the database writes (Connection.batch's `alongside`)."""
    for i in range(0, len(rows), step):
        out.extend(map(_stored, memories[i : i + step], rows[i : i + step]))
        yield None


class SemanticMemoryStore:
    """Users, sessions and memories with embeddings of the current tenant, and their search.

    Reach it as `store.memories` or `tx.memories`. Set `store.memories.embedder` to a sync or async callable
    `texts -> vectors` to embed content that comes without an embedding, and search texts.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- the embedder -------------------------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder | None:
        """The callable that embeds texts (shared by the store and its transactions), or None."""
        fn: Embedder | None = self._ctx.shared.get(_EMBEDDER)
        return fn

    @embedder.setter
    def embedder(self, fn: Embedder | None) -> None:
        if fn is not None and not callable(fn):
            raise InvalidInput(f"embedder must be a callable texts -> vectors, or None, got {type(fn).__name__}")
        self._ctx.shared[_EMBEDDER] = fn

    async def _embed(self, texts: builtins.list[str]) -> builtins.list[tuple[bytes, int]]:
        fn = self.embedder
        assert fn is not None
        out = fn(texts)
        if inspect.isawaitable(out):
            out = await out
        if isinstance(out, (str, bytes, dict)) or not hasattr(out, "__len__") or not hasattr(out, "__iter__"):
            raise InvalidInput(f"the embedder must return a list of vectors, got {type(out).__name__}")
        got = builtins.list(out)
        if len(got) != len(texts):
            raise InvalidInput(f"the embedder returned {len(got)} vectors for {len(texts)} texts")
        return [vectors.pack(v, f"embedder vector [{i}]") for i, v in enumerate(got)]

    # -- users --------------------------------------------------------------------------------------------------

    async def save_user(self, user: User) -> User:
        """Insert the user, or replace email, name, metadata and updated_at of an existing id (created_at is kept).

        Emails are unique per tenant, compared case-insensitively: another user's email is a Conflict.
        """
        t = self._ctx.tenant()
        if not isinstance(user, User):
            raise InvalidInput(f"expected a rawstore.User, got {type(user).__name__}")
        email = _email(user.email, "user.email")
        out = self._ctx.ts_out
        values = {
            "tenant_id": t,
            "id": check_id(user.id, "user.id"),
            "email": email,
            "email_key": email.lower(),
            "name": check_text(user.name, "user.name", MAX_TITLE, optional=True),
            "metadata": encode_optional_json(check_metadata(user.metadata, "user.metadata"), "user.metadata"),
            "created_at": out(check_dt(user.created_at, "user.created_at")),
            "updated_at": out(check_dt(user.updated_at, "user.updated_at")),
        }
        key = {"tenant_id": t, "id": user.id}
        async with self._ctx.write() as conn:
            await conn.run(self._ctx[Q.upsert_user], values)
            stored = await conn.one(self._ctx[Q.get_user], key)
            # MariaDB's upsert leaves another user's row (and ours, if any) as it was when the email is taken.
            if stored is None or stored.email != email:
                raise Conflict(f"email {email!r} belongs to another user")
        assert stored is not None
        return stored

    async def get_user(self, user_id: str) -> User | None:
        t = self._ctx.tenant()
        if not plain_id(user_id):
            check_id(user_id, "user_id")
        return await self._ctx.one(Q.get_user, {"tenant_id": t, "id": user_id})

    async def get_user_by_email(self, email: str) -> User | None:
        """The user with this email, compared case-insensitively (Python's str.lower), or None."""
        t = self._ctx.tenant()
        key = check_text(email, "email", MAX_EMAIL, blank=False).lower()
        return await self._ctx.one(Q.get_user_by_email, {"tenant_id": t, "email_key": key})

    async def delete_user(self, user_id: str) -> bool:
        """Delete the user with all its sessions and memories, in one transaction; False when it did not exist."""
        t = self._ctx.tenant()
        key = {"tenant_id": t, "id": check_id(user_id, "user_id")}
        async with self._ctx.write() as conn:
            # The user's row first, as every write of its memories does: concurrent writers queue, never deadlock.
            if await conn.one(self._ctx[Q.lock_user], key) is None:
                return False
            await conn.run(self._ctx[Q.delete_user_memories], key)
            await conn.run(self._ctx[Q.delete_user_sessions], key)
            await conn.run(self._ctx[Q.delete_user], key)
        return True

    # -- sessions -----------------------------------------------------------------------------------------------

    async def start_session(
        self, user_id: str, *, id: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Session:
        """Open a session for the user (started now; `id` defaults to a new UUIDv7).

        NotFound when the user does not exist; Conflict when the id is taken.
        """
        t = self._ctx.tenant()
        check_id(user_id, "user_id")
        sid = uuid7() if id is None else check_id(id, "id")
        meta = encode_optional_json(check_metadata(metadata), "metadata")
        now = utcnow()
        values = {
            "tenant_id": t,
            "id": sid,
            "user_id": user_id,
            "started_at": self._ctx.ts_out(now),
            "metadata": meta,
        }
        async with self._atomic() as conn:
            await conn.run(self._ctx[Q.insert_session], values)
        return Session(sid, user_id, now, None, metadata)

    async def end_session(self, session_id: str) -> Session:
        """Set the session's ended_at to now (an ended session keeps its time); NotFound when it does not exist."""
        t = self._ctx.tenant()
        key = {"tenant_id": t, "id": check_id(session_id, "session_id")}
        async with self._ctx.write() as conn:
            await conn.run(self._ctx[Q.end_session], dict(key, now=self._ctx.ts_out(utcnow())))
            stored = await conn.one(self._ctx[Q.get_session], key)
        if stored is None:
            raise NotFound(f"session {session_id!r} does not exist")
        return stored

    async def get_session(self, session_id: str) -> Session | None:
        t = self._ctx.tenant()
        check_id(session_id, "session_id")
        return await self._ctx.one(Q.get_session, {"tenant_id": t, "id": session_id})

    async def list_sessions(self, user_id: str, *, limit: int = 100, cursor: str | None = None) -> Page[Session]:
        """A page of the user's sessions, newest first by (started_at, id)."""
        t = self._ctx.tenant()
        check_id(user_id, "user_id")
        check_limit(limit)
        kind = "sessions:started_at:desc"
        c_ts, c_id = decode_cursor(cursor, kind) if cursor is not None else (MAX_TS, _MAX_ID)
        values = {
            "tenant_id": t,
            "user_id": user_id,
            "c_ts": self._ctx.ts_out(c_ts),
            "c_id": c_id,
            "limit": limit + 1,
        }
        rows: builtins.list[Session] = []
        if limit:
            async with self._ctx.plain() as conn:
                rows = await conn.many(self._ctx[Q.sessions_page], values)
        items = rows[:limit]
        has_more = len(rows) > limit
        nxt = encode_cursor(kind, items[-1].started_at, items[-1].id) if has_more else None
        return Page(items, nxt, has_more)

    # -- memories -----------------------------------------------------------------------------------------------

    def _check(self, t: str, m: object, i: int | None, packed: tuple[bytes, int] | None = None) -> _Row:
        """A validated memory's row (MEMORY_FIELDS order). The common case (ASCII ids and content, UTC datetimes, a
        float importance) takes fast paths and builds no error label: this is most of the CPU a batch costs next to
        the raw driver."""
        if type(m) is not Memory and not isinstance(m, Memory):
            raise InvalidInput(f"{_label(i)} must be a rawstore.Memory, got {type(m).__name__}")
        mid, uid, sid, content, imp = m.id, m.user_id, m.session_id, m.content, m.importance
        if not plain_id(mid):
            check_id(mid, f"{_label(i)}.id")
        if not plain_id(uid):
            check_id(uid, f"{_label(i)}.user_id")
        if sid is not None and not plain_id(sid):
            check_id(sid, f"{_label(i)}.session_id")
        if not (
            type(content) is str
            and 0 < len(content) <= MAX_CONTENT
            and content.isascii()
            and "\x00" not in content
            and not content.isspace()
        ):
            check_text(content, f"{_label(i)}.content", MAX_CONTENT, blank=False)
        if type(imp) is not float or not math.isfinite(imp):
            imp = _number(imp, f"{_label(i)}.importance")
        blob: bytes | None = None
        dims: int | None = None
        if packed is not None:
            blob, dims = packed
        elif m.embedding is not None:
            blob, dims = vectors.pack(m.embedding, f"{_label(i)}.embedding")
        md = m.metadata
        meta: str | None = None
        if md is not None:
            if type(md) is not dict:
                check_metadata(md, f"{_label(i)}.metadata")
            for k in md:
                if type(k) is not str:
                    check_metadata(md, f"{_label(i)}.metadata")
            try:
                meta = json_text(_JSON.encode(md))
            except Exception:  # RecursionError included: encode_json says what is wrong
                meta = None
            if meta is None:
                meta = encode_json(md, f"{_label(i)}.metadata")
        out = self._ctx.ts_out
        created, updated = m.created_at, m.updated_at
        if type(created) is not datetime or created.tzinfo is not UTC or not MIN_TS <= created <= MAX_TS:
            check_dt(created, f"{_label(i)}.created_at")
        if type(updated) is not datetime or updated.tzinfo is not UTC or not MIN_TS <= updated <= MAX_TS:
            check_dt(updated, f"{_label(i)}.updated_at")
        deleted = None if m.deleted_at is None else out(check_dt(m.deleted_at, f"{_label(i)}.deleted_at"))
        created_out = out(created)
        # A new memory's two times are usually the same instant: one conversion (text on SQLite and MariaDB).
        updated_out = created_out if updated == created else out(updated)
        return (t, mid, uid, sid, content, imp, dims, blob, meta, created_out, updated_out, deleted)

    async def add(self, memory: Memory) -> Memory:
        """Store a new memory (see add_many)."""
        if not isinstance(memory, Memory):
            raise InvalidInput(f"memory must be a rawstore.Memory, got {type(memory).__name__}")
        return (await self._add([memory], single=True))[0]

    async def add_many(self, memories: Sequence[Memory]) -> builtins.list[Memory]:
        """Store new memories atomically, in the database's bulk path; the stored memories, in the given order.

        Every user (and session, which must be the same user's) must exist: NotFound, nothing written. A taken id is
        a Conflict. Content without an embedding is embedded by `embedder` when one is set (one call for the batch).
        Every embedding of one user has one dimension (the first one stored sets it; it may change only once the
        user has no embedding left): a mismatch is InvalidInput, nothing written.
        """
        if isinstance(memories, (str, bytes, Memory)) or not isinstance(memories, Sequence):
            raise InvalidInput("memories must be a list of rawstore.Memory")
        return await self._add(memories, single=False)

    async def _add(self, memories: Sequence[Memory], *, single: bool) -> builtins.list[Memory]:
        t = self._ctx.tenant()
        if not memories:
            return []
        # numpy embeddings of one dimension are checked and packed as one array (else one by one, in _check).
        pre = vectors.pack_rows([getattr(m, "embedding", None) for m in memories])
        # A batch of the usual kind is checked a column at a time; any other memory by memory (naming what is wrong).
        fast = batch.rows(t, memories, pre, self._ctx.ts_out, MAX_CONTENT) if len(memories) >= _COLUMNWISE else None
        check = self._check
        if fast is not None:
            rows = fast
        elif pre is None:
            rows = [check(t, m, None if single else i) for i, m in enumerate(memories)]
        else:
            blobs, width = pre
            rows = [check(t, m, None if single else i, (blobs[i], width)) for i, m in enumerate(memories)]
        if len({r[_ROW_ID] for r in rows}) != len(rows):
            seen: set[str] = set()
            for r in rows:
                if r[_ROW_ID] in seen:
                    raise InvalidInput(f"memory id {r[_ROW_ID]!r} appears twice in the batch")
                seen.add(r[_ROW_ID])
        missing = [i for i, r in enumerate(rows) if r[_ROW_EMBEDDING] is None]
        if missing and self.embedder is not None:
            got = await self._embed([rows[i][_ROW_CONTENT] for i in missing])
            for i, (blob, n) in zip(missing, got, strict=True):
                row = builtins.list(rows[i])
                row[_ROW_DIMS], row[_ROW_EMBEDDING] = n, blob
                rows[i] = tuple(row)
        wanted: dict[str, int] = {}
        for r in rows:
            dims = r[_ROW_DIMS]
            if dims is None:
                continue
            user = r[_ROW_USER]
            if wanted.setdefault(user, dims) != dims:
                raise InvalidInput(
                    f"memories of user {user!r} have embeddings of {wanted[user]} and {dims} dimensions in one batch"
                )
        created: set[int] = set()
        users = sorted({r[_ROW_USER] for r in rows})
        out: builtins.list[Memory] = []
        floats = sum(r[_ROW_DIMS] or 0 for r in rows)
        # Making the returned embeddings' floats is most of the CPU a large batch costs (384,000 Python floats for
        # 1,000 memories of 384 dimensions): the driver does it while the database writes the rows.
        steps = _build(memories, rows, out, max(1, _STEP_FLOATS * len(rows) // max(1, floats)))
        alongside = steps if floats >= _ALONGSIDE_FLOATS else None
        async with self._ctx.write() as conn:
            await self._lock_users(conn, t, users, wanted)
            pgvector = self._ctx.capabilities.vector and bool(wanted)
            if pgvector:
                # Before the memories: a new dimension's table is filled with the ones already stored.
                for dims in sorted(set(wanted.values())):
                    await self._ensure_table(conn, dims, created)
            insert = self._ctx[Q.insert_memories]
            for chunk in _chunks(rows):
                await conn.batch(insert, chunk, alongside=alongside)
            if pgvector:
                await self._insert_vectors(conn, rows)
        self._remember_tables(created)
        for _ in steps:  # what did not fit while the database wrote
            pass
        return out

    async def _lock_users(self, conn: Connection, t: str, users: builtins.list[str], wanted: dict[str, int]) -> None:
        """Lock the users' rows (in id order: concurrent writers queue instead of deadlocking); NotFound for a missing
        user; set or check each user's embedding dimension."""
        dims_of: dict[str, int | None] = {}
        for chunk in _chunks(users):
            for uid, dims in await conn.many(self._ctx[Q.lock_user_dims], {"tenant_id": t, "ids": list(chunk)}):
                dims_of[uid] = dims
        absent = [u for u in users if u not in dims_of]
        if absent:
            more = f" (and {len(absent) - 1} more)" if len(absent) > 1 else ""
            raise NotFound(f"user {absent[0]!r} does not exist{more}")
        for uid, dims in wanted.items():
            await self._claim_dims(conn, t, uid, dims_of[uid], dims)

    async def _claim_dims(self, conn: Connection, t: str, user_id: str, have: int | None, dims: int) -> None:
        if have == dims:
            return
        key = {"tenant_id": t, "id": user_id}
        stored = 0 if have is None else await conn.scalar(self._ctx[Q.user_embeddings], key)
        if stored:
            raise InvalidInput(
                f"user {user_id!r} has embeddings of {have} dimensions; this one has {dims}"
                " (one user's embeddings all have one dimension)"
            )
        await conn.run(self._ctx[Q.set_user_dims], dict(key, dims=dims))

    async def get(self, memory_id: str) -> Memory | None:
        """The memory (soft-deleted ones too: see deleted_at), or None."""
        t = self._ctx.tenant()
        if not plain_id(memory_id):
            check_id(memory_id, "memory_id")
        return await self._ctx.one(Q.get_memory, {"tenant_id": t, "id": memory_id})

    async def update(
        self,
        memory_id: str,
        *,
        content: str | None = None,
        importance: float | None = None,
        embedding: Sequence[float] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Memory:
        """Change the given fields (None keeps a field); `metadata` merges shallowly into the stored one, under a
        row lock. New content without a new embedding is embedded by `embedder` when one is set. NotFound when the
        memory does not exist; an embedding of another dimension than the user's is InvalidInput."""
        t = self._ctx.tenant()
        check_id(memory_id, "memory_id")
        if content is not None:
            check_text(content, "content", MAX_CONTENT, blank=False)
        new_importance = None if importance is None else _number(importance, "importance")
        packed = None if embedding is None else vectors.pack(embedding, "embedding")
        check_metadata(metadata)
        encode_optional_json(metadata, "metadata")
        if packed is None and content is not None and self.embedder is not None:
            packed = (await self._embed([content]))[0]
        key = {"tenant_id": t, "id": memory_id}
        created: set[int] = set()
        async with self._ctx.write() as conn:
            first = await conn.one(self._ctx[Q.get_memory], key)
            if first is None:
                raise NotFound(f"memory {memory_id!r} does not exist")
            if packed is not None:
                # The user's row before the memory's, as add_many and delete_user lock them.
                await self._lock_users(conn, t, [first.user_id], {first.user_id: packed[1]})
            cur = await conn.one(self._ctx[Q.lock_memory], key)
            if cur is None:
                raise NotFound(f"memory {memory_id!r} was deleted concurrently")
            merged = dict(cur.metadata or {})
            merged.update(metadata or {})
            new_meta = merged if (cur.metadata is not None or metadata is not None) else None
            old_blob = None if cur.embedding is None else vectors.pack(cur.embedding, "stored embedding")[0]
            blob, dims = (
                packed if packed is not None else (old_blob, None if cur.embedding is None else len(cur.embedding))
            )
            await conn.run(
                self._ctx[Q.update_memory],
                dict(
                    key,
                    content=cur.content if content is None else content,
                    importance=cur.importance if new_importance is None else new_importance,
                    dims=dims,
                    embedding=blob,
                    metadata=encode_optional_json(new_meta, "metadata"),
                    updated_at=self._ctx.ts_out(utcnow()),
                ),
            )
            if packed is not None and self._ctx.capabilities.vector:
                await self._ensure_table(conn, packed[1], created)
                await conn.run(
                    self._pgv("upsert_vector", packed[1]),
                    {
                        "tenant_id": t,
                        "id": cur.id,
                        "user_id": cur.user_id,
                        "session_id": cur.session_id,
                        "embedding": vectors.pgvector_wire(packed[0], packed[1]),
                    },
                )
            stored = await conn.one(self._ctx[Q.get_memory], key)
        self._remember_tables(created)
        assert stored is not None
        return stored

    async def delete(self, memory_id: str) -> bool:
        """Soft-delete: set deleted_at (searches and lists leave the memory out). False when it does not exist or
        is already deleted."""
        t = self._ctx.tenant()
        check_id(memory_id, "memory_id")
        values = {"tenant_id": t, "id": memory_id, "now": self._ctx.ts_out(utcnow())}
        async with self._atomic() as conn:
            return await conn.run(self._ctx[Q.soft_delete_memory], values) > 0

    async def restore(self, memory_id: str) -> bool:
        """Undo a soft delete. False when the memory does not exist or is not deleted."""
        t = self._ctx.tenant()
        check_id(memory_id, "memory_id")
        values = {"tenant_id": t, "id": memory_id, "now": self._ctx.ts_out(utcnow())}
        async with self._atomic() as conn:
            return await conn.run(self._ctx[Q.restore_memory], values) > 0

    async def purge(self, *, deleted_before: datetime) -> int:
        """Hard-delete the tenant's memories soft-deleted before `deleted_before`; how many."""
        t = self._ctx.tenant()
        before = check_dt(deleted_before, "deleted_before")
        async with self._atomic() as conn:
            return await conn.run(self._ctx[Q.purge_memories], {"tenant_id": t, "before": self._ctx.ts_out(before)})

    async def search(
        self,
        user_id: str,
        *,
        text: str | None = None,
        vector: Sequence[float] | None = None,
        mode: Mode = "hybrid",
        limit: int = 10,
        session_id: str | None = None,
        min_importance: float | None = None,
        metadata: dict[str, Any] | None = None,
        include_deleted: bool = False,
    ) -> builtins.list[MemoryHit]:
        """The user's memories nearest to `vector` (or to `text` embedded by `embedder`), matching `text`, or both
        fused by reciprocal rank fusion, best first. See docs/memories.md for each database's behaviour."""
        t = self._ctx.tenant()
        check_id(user_id, "user_id")
        check_choice(mode, "mode", ("hybrid", "vector", "text"))
        check_text(text, "text", MAX_CONTENT, optional=True)
        query = None if vector is None else vectors.pack(vector, "vector")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= MAX_SEARCH_LIMIT:
            raise InvalidInput(f"limit must be an int from 0 to {MAX_SEARCH_LIMIT}, got {shown(limit)}")
        if session_id is not None:
            check_id(session_id, "session_id")
        floor = None if min_importance is None else _number(min_importance, "min_importance")
        meta = _metadata_filter(metadata)
        check_bool(include_deleted, "include_deleted")
        if mode == "text" and text is None:
            raise InvalidInput("mode='text' needs text=")
        if mode == "text" and query is not None:
            raise InvalidInput("mode='text' takes no vector=")
        if mode == "vector" and query is None and (text is None or self.embedder is None):
            raise InvalidInput("mode='vector' needs vector=, or text= with an embedder set")
        if mode == "hybrid" and query is None and text is None:
            raise InvalidInput("search needs text= or vector=")
        if limit == 0:
            return []
        if query is None and text is not None and mode != "text" and self.embedder is not None:
            query = (await self._embed([text]))[0]
        words = _words(text) if text is not None and mode != "vector" else ""
        fused = mode == "hybrid" and query is not None and text is not None
        n = min(max(limit * 4, 40), MAX_SEARCH_LIMIT) if fused else limit
        values = {
            "tenant_id": t,
            "user_id": user_id,
            "session_id": session_id,
            "min_importance": floor,
            "include_deleted": 1 if include_deleted else 0,
            "meta": meta,
        }
        nearest: builtins.list[tuple[float, str]] = []
        found: dict[str, Memory] = {}
        matched: builtins.list[str] = []
        if query is not None:
            nearest, found = await self._nearest(t, user_id, query, n, values)
        if words and mode != "vector":
            async with self._ctx.plain() as conn:
                matched = await conn.many(self._ctx[Q.text_search], dict(values, query=words, limit=n))
        return await self._hits(t, mode, limit, nearest, matched, found)

    async def _nearest(
        self, t: str, user_id: str, query: tuple[bytes, int], n: int, values: dict[str, Any]
    ) -> tuple[builtins.list[tuple[float, str]], dict[str, Memory]]:
        """(distance, id) of the `n` nearest memories, nearest first, and the memories already read (pgvector)."""
        blob, dims = query
        if self._ctx.capabilities.vector:
            return await self._nearest_pgvector(t, user_id, blob, dims, n, values)
        async with self._ctx.plain() as conn:
            rows = await conn.many(self._ctx[Q.vector_candidates], dict(values, dims=dims))
            if not rows:
                await self._check_dims(conn, t, user_id, dims)
        return vectors.nearest(blob, rows, n), {}

    async def _check_dims(self, conn: Connection, t: str, user_id: str, dims: int) -> None:
        """InvalidInput when the user's embeddings have another dimension than the query (asked only when a search
        found nothing, so a query of the right dimension never pays for it)."""
        row = await conn.one(self._ctx[Q.user_dims], {"tenant_id": t, "id": user_id})
        have = None if row is None else row[1]
        if have is not None and have != dims:
            raise InvalidInput(f"the query vector has {dims} dimensions; user {user_id!r}'s embeddings have {have}")

    async def _nearest_pgvector(
        self, t: str, user_id: str, blob: bytes, dims: int, n: int, values: dict[str, Any]
    ) -> tuple[builtins.list[tuple[float, str]], dict[str, Memory]]:
        args = dict(values, query=vectors.pgvector_wire(blob, dims), limit=n)
        settings = self._pgv("vector_scan_settings", ef=_ef_search(n))
        inside = isinstance(self._ctx, TxContext)
        # On the pool the settings go with the BEGIN (one round trip); inside an application's transaction they are
        # given back afterwards, so they are set (and read first) by themselves.
        async with self._ctx.write(first="" if inside else settings.query.sql) as conn:
            rows: builtins.list[Any] = []
            if await self._table_exists(conn, dims):
                before: Any = None
                if inside:
                    before = await conn.one(self._pgv("vector_scan_current"), {})
                    await conn.run(settings, {})
                plain = not values["include_deleted"] and all(
                    values[k] is None for k in ("session_id", "min_importance", "meta")
                )
                rows = await conn.many(
                    self._pgv("vector_nearest_unfiltered" if plain else "vector_nearest", dims), args
                )
                if len(rows) < n:
                    # The index scan gave up before enough rows passed the filters: the exact search misses none.
                    rows = await conn.many(self._pgv("vector_nearest_exact", dims), args)
                if before is not None:
                    plan, scan, ef = before
                    await conn.run(
                        self._pgv("vector_scan_reset"),
                        {"plan_cache_mode": plan, "iterative_scan": scan, "ef_search": ef},
                    )
            if not rows:
                await self._check_dims(conn, t, user_id, dims)
        decode = self._ctx[Q.get_memories].decode
        found = {}
        nearest = []
        for r in rows:
            m = decode(r[:-1])
            found[m.id] = m
            nearest.append((float(r[-1]), m.id))
        # relaxed_order may return near-equal distances slightly out of order.
        nearest.sort()
        return nearest[:n], found

    async def _hits(
        self,
        t: str,
        mode: str,
        limit: int,
        nearest: builtins.list[tuple[float, str]],
        matched: builtins.list[str],
        found: dict[str, Memory],
    ) -> builtins.list[MemoryHit]:
        distance = {i: d for d, i in nearest}
        text_rank = {i: r for r, i in enumerate(matched, 1)}
        if mode == "vector":
            order = [(1.0 - d, i) for d, i in nearest]
        elif mode == "text":
            order = [(1.0 / (RRF_K + r), i) for i, r in text_rank.items()]
        else:
            fused: dict[str, float] = {}
            for r, (_, i) in enumerate(nearest, 1):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + r)
            for i, r in text_rank.items():
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + r)
            order = sorted(((s, i) for i, s in fused.items()), key=lambda x: (-x[0], x[1]))
        order = order[:limit]
        if not order:
            return []
        ids = [i for _, i in order if i not in found]
        if ids:
            async with self._ctx.plain() as conn:
                for chunk in _chunks(ids):
                    for m in await conn.many(self._ctx[Q.get_memories], {"tenant_id": t, "ids": list(chunk)}):
                        found[m.id] = m
        return [MemoryHit(found[i], s, distance.get(i), text_rank.get(i)) for s, i in order if i in found]

    async def list(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        min_importance: float | None = None,
        include_deleted: bool = False,
        order_by: OrderBy = "created_at",
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[Memory]:
        """A page of the user's memories: newest first by (created_at, id), or most important first by
        (importance, id). Soft-deleted memories only with include_deleted=True."""
        t = self._ctx.tenant()
        check_id(user_id, "user_id")
        if session_id is not None:
            check_id(session_id, "session_id")
        floor = None if min_importance is None else _number(min_importance, "min_importance")
        check_bool(include_deleted, "include_deleted")
        check_choice(order_by, "order_by", ("created_at", "importance"))
        check_limit(limit)
        values: dict[str, Any] = {
            "tenant_id": t,
            "user_id": user_id,
            "session_id": session_id,
            "min_importance": floor,
            "include_deleted": 1 if include_deleted else 0,
            "limit": limit + 1,
        }
        kind = f"memories:{order_by}:desc"
        if order_by == "created_at":
            c_ts, c_id = decode_cursor(cursor, kind) if cursor is not None else (MAX_TS, _MAX_ID)
            values.update(c_ts=self._ctx.ts_out(c_ts), c_id=c_id)
            page: Declared[Memory] = Q.memories_created_page
        else:
            c_imp, c_id = _decode_importance_cursor(cursor, kind) if cursor is not None else (math.inf, _MAX_ID)
            # +inf is not a value every database binds: the largest double sorts after every stored importance.
            values.update(c_imp=c_imp if math.isfinite(c_imp) else 1.7976931348623157e308, c_id=c_id)
            page = Q.memories_importance_page
        rows: builtins.list[Memory] = []
        if limit:
            async with self._ctx.plain() as conn:
                rows = await conn.many(self._ctx[page], values)
        items = rows[:limit]
        has_more = len(rows) > limit
        nxt = None
        if has_more:
            last = items[-1]
            if order_by == "created_at":
                nxt = encode_cursor(kind, last.created_at, last.id)
            else:
                nxt = _importance_cursor(kind, last.importance, last.id)
        return Page(items, nxt, has_more)

    # -- plumbing -----------------------------------------------------------------------------------------------

    @asynccontextmanager
    async def _atomic(self) -> AsyncIterator[Connection]:
        """A connection for one write statement, atomic by itself; inside `store.transaction()` it gets its own
        savepoint, so a failed call leaves the caller's transaction usable."""
        if isinstance(self._ctx, TxContext):
            async with self._ctx.write() as conn:
                yield conn
        else:
            async with self._ctx.plain() as conn:
                yield conn

    def _pgv(self, name: str, dims: int = 0, *, ef: int = 0) -> Bound[Any]:
        """A statement of sql/postgres/pgvector/memories.sql for one dimension (see pgvector.py)."""
        stmts: VectorStatements | None = self._ctx.shared.get(_VECTOR_STATEMENTS)
        if stmts is None:
            # The store's {schema} qualifier, as its own queries carry it ("public". on PostgreSQL).
            found = re.search(r"FROM (\S*)rs_memories\b", self._ctx[Q.get_memory].query.source)
            stmts = VectorStatements(found.group(1) if found else "")
            self._ctx.shared[_VECTOR_STATEMENTS] = stmts
        return stmts.bound(name, dims, self._ctx.shared.get(_VECTOR_SCHEMA, ""), ef=ef)

    async def _vector_schema(self, conn: Connection) -> None:
        if _VECTOR_SCHEMA in self._ctx.shared:
            return
        rows = await conn.many(self._pgv("vector_extension"), {})
        names = [str(r[0]) for r in rows]
        if not names:
            raise NotFound("the vector extension is no longer installed in this database (reconnect)")
        self._ctx.shared[_VECTOR_SCHEMA] = '"' + names[0].replace('"', '""') + '".'

    async def _table_exists(self, conn: Connection, dims: int) -> bool:
        known: set[int] = self._ctx.shared.setdefault(_VECTOR_TABLES, set())
        if dims in known:
            return True
        await self._vector_schema(conn)
        row = await conn.one(self._pgv("vector_table_exists", dims), {})
        exists = bool(row and row[0])
        if exists and not isinstance(self._ctx, TxContext):
            known.add(dims)
        return exists

    async def _ensure_table(self, conn: Connection, dims: int, created: set[int]) -> None:
        """Create the dimension's vector table (with its indexes) when it does not exist yet, filled with the
        memories of that dimension already stored; one creator at a time (an advisory lock)."""
        if await self._table_exists(conn, dims):
            return
        digest = hashlib.sha256(f"rawstore.memories.vectors.{self._ctx.shared[_VECTOR_SCHEMA]}.{dims}".encode())
        await conn.run(self._pgv("vector_table_lock"), {"key": int.from_bytes(digest.digest()[:8], "big", signed=True)})
        if await self._table_exists(conn, dims):
            return
        await conn.run(self._pgv("create_vector_table", dims), {})
        await conn.run(self._pgv("create_vector_user_index", dims), {})
        # Memories stored with this dimension before the extension was installed (of every tenant: the table is
        # shared, as the HNSW index built after them is) are copied in first.
        after = ("", "")
        insert = self._pgv("insert_vectors", dims)
        while True:
            batch = await conn.many(
                self._pgv("vector_backfill"),
                {"dims": dims, "c_tenant": after[0], "c_id": after[1], "limit": _CHUNK},
            )
            if not batch:
                break
            await conn.batch(insert, [(r[0], r[1], r[2], r[3], vectors.pgvector_wire(r[4], dims)) for r in batch])
            after = (batch[-1][0], batch[-1][1])
        await conn.run(self._pgv("create_vector_hnsw_index", dims), {})
        created.add(dims)

    def _remember_tables(self, created: set[int]) -> None:
        # Committed now (outside an application transaction): later calls need not look again.
        if created and not isinstance(self._ctx, TxContext):
            self._ctx.shared.setdefault(_VECTOR_TABLES, set()).update(created)

    async def _insert_vectors(self, conn: Connection, rows: builtins.list[_Row]) -> None:
        by_dims: dict[int, builtins.list[tuple[Any, ...]]] = {}
        for r in rows:
            dims = r[_ROW_DIMS]
            if dims is not None:
                by_dims.setdefault(dims, []).append(
                    (r[0], r[_ROW_ID], r[_ROW_USER], r[_ROW_SESSION], vectors.pgvector_wire(r[_ROW_EMBEDDING], dims))
                )
        for dims, vrows in sorted(by_dims.items()):
            bound = self._pgv("insert_vectors", dims)
            for chunk in _chunks(vrows):
                await conn.batch(bound, chunk)

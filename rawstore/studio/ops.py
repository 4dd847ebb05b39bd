"""What the studio's operations pages (workflows, jobs, AI calls, scores, memories) share: running their own queries
in the request's transaction or in a savepoint of it, a bounded place for the aggregates, keyset cursors over
(timestamp, id), and checked query arguments."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from ..errors import InvalidInput, StatementTimeout
from ..queryset import Many, Scalar
from ..store import Transaction
from ..timeutil import MAX_TS, MIN_TS, from_micros, to_micros
from .ops_queries import StudioOpsQueries as Q
from .web import Req, opaque, unopaque

R = TypeVar("R")
T = TypeVar("T")

# An id after every id the kit stores (ids are at most 255 characters of valid UTF-8): a descending page's start.
MAX_ID = "\U0010ffff" * 2


async def rows(tx: Transaction, decl: Many[R], values: Mapping[str, Any]) -> list[R]:
    """A studio query's rows, read on `tx`'s connection (the request's transaction or a savepoint of it)."""
    ctx = tx._ctx
    async with ctx.plain() as conn:
        return await conn.many(ctx[decl], values)


async def scalar(tx: Transaction, decl: Scalar[R], values: Mapping[str, Any]) -> R:
    ctx = tx._ctx
    async with ctx.plain() as conn:
        return await conn.scalar(ctx[decl], values)


async def clock(req: Req) -> datetime:
    """The database's current time: ages and windows are measured on the clock that stamped the rows."""
    return await scalar(req.tx, Q.clock, {"tenant_id": req.tenant})


async def bounded(req: Req, work: Callable[[Transaction], Awaitable[T]]) -> T | None:
    """`work` in a savepoint of the request's transaction; None when one of its statements ran past the studio's
    statement timeout. For aggregates whose cost grows with the data (counts of every job, a scorer's histogram):
    the savepoint keeps the transaction usable after the cancelled statement (PostgreSQL would refuse every later
    statement), so the page still shows its lists and says which part took too long."""
    try:
        async with req.tx.transaction() as sp:
            return await work(sp)
    except StatementTimeout:
        return None


def ts_cursor(kind: str, ts: datetime, row_id: str) -> str:
    """The opaque cursor of a (timestamp, id) position in one of the studio's own keyset lists."""
    return opaque(kind, to_micros(ts), row_id)


def read_ts_cursor(req: Req, kind: str) -> tuple[datetime, str] | None:
    """The (timestamp, id) of the request's cursor for list `kind`, None without a cursor; InvalidInput (400) for
    one that is broken or belongs to another list."""
    if req.cursor is None:
        return None
    got = unopaque(req.cursor, kind)
    if len(got) != 2 or type(got[0]) is not int or type(got[1]) is not str:
        raise InvalidInput("cursor is malformed")
    try:
        ts = from_micros(got[0])
    except (OverflowError, ValueError):
        raise InvalidInput("cursor is malformed") from None
    if not MIN_TS <= ts <= MAX_TS:
        raise InvalidInput("cursor is malformed")
    return ts, got[1]


def read_key_cursor(req: Req, kind: str) -> str:
    """The key of the request's cursor for a list ordered by one text key ("" without a cursor)."""
    if req.cursor is None:
        return ""
    got = unopaque(req.cursor, kind)
    if len(got) != 1 or type(got[0]) is not str:
        raise InvalidInput("cursor is malformed")
    return got[0]


def cut(found: Sequence[R], limit: int) -> tuple[list[R], bool]:
    """A page read as `limit + 1` rows: its first `limit` rows, and whether there are more."""
    return list(found[:limit]), len(found) > limit


def choice(req: Req, name: str, members: Mapping[str, T]) -> T | None:
    """A query argument that must name one of `members` (case-insensitive), None when absent; InvalidInput (400)
    naming the choices otherwise."""
    v = req.arg(name)
    if v is None:
        return None
    found = members.get(v.upper())
    if found is None:
        raise InvalidInput(f"{name} must be one of {', '.join(members)}, got {v!r}")
    return found


def nice_ceiling(v: float) -> float:
    """The chart scale for a largest value `v`: the least of 1, 2, 2.5 and 5 times a power of ten that holds it, so
    the axis reads 0, half and whole in round numbers (0 for an empty chart)."""
    if not v > 0 or not math.isfinite(v):
        return 0
    base = 10.0 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        top = m * base
        if v <= top * (1 + 1e-9):
            return int(top) if top >= 1 and top == int(top) else top
    return 10 * base


def flag(req: Req, name: str) -> bool:
    """A yes/no query argument: 1/true/yes/on or 0/false/no/off (absent: no)."""
    v = req.arg(name)
    if v is None:
        return False
    low = v.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"{name} must be 1 or 0, got {v!r}")

"""Keyset pagination shared by every domain: `Page[T]` and its opaque cursors.

A cursor is base64url of msgpack [kind, sort value in µs, id], so a page deep in a list costs what the first one does.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Generic, TypeVar

import msgspec

from .errors import InvalidInput
from .timeutil import MAX_TS, MIN_TS, from_micros, to_micros

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T]):
    """One page of a list. Pass `next_cursor` back as `cursor` for the next page; it is None on the last."""

    items: list[T]
    next_cursor: str | None
    has_more: bool
    total: int | None = None


def encode_cursor(kind: str, ts: datetime, row_id: str) -> str:
    raw = msgspec.msgpack.encode([kind, to_micros(ts), row_id])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(token: object, kind: str) -> tuple[datetime, str]:
    """The (timestamp, id) a cursor points after; InvalidInput if it is malformed or from another list."""
    if not isinstance(token, str) or not token:
        raise InvalidInput("cursor must be a non-empty string from a previous page's next_cursor")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        k, us, row_id = msgspec.msgpack.decode(raw, type=tuple[str, int, str])
        ts = from_micros(us)
    except (binascii.Error, ValueError, OverflowError, msgspec.DecodeError):
        raise InvalidInput("cursor is malformed") from None
    if k != kind:
        raise InvalidInput("cursor belongs to another list, order or direction")
    if not MIN_TS <= ts <= MAX_TS:
        raise InvalidInput("cursor is malformed")
    return ts, row_id

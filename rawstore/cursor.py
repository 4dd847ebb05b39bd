"""Opaque keyset cursors: base64url of msgpack [kind, sort value in µs, id]. A page never costs more deep in a list."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import msgspec

from .errors import InvalidInput
from .timeutil import MAX_TS, MIN_TS, from_micros, to_micros


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

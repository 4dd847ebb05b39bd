"""Input checks that run before any I/O, so bad input raises InvalidInput with nothing written."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec

from .errors import InvalidInput
from .timeutil import MAX_TS, MIN_TS

MAX_ID = 255
MAX_SHORT = 64
MAX_TITLE = 4000
MAX_LIMIT = 1_000_000

_encoder = msgspec.json.Encoder()
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def check_id(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, got {type(value).__name__}")
    if not value or not value.strip():
        raise InvalidInput(f"{what} must be a non-empty string")
    if len(value) > MAX_ID:
        raise InvalidInput(f"{what} is longer than {MAX_ID} characters")
    _no_nul(value, what)
    _utf8(value, what)
    return value


def plain_id(v: object) -> bool:
    """What check_id accepts, decided cheaply for the common case (ASCII is valid UTF-8; no NUL; not blank)."""
    return type(v) is str and 0 < len(v) <= MAX_ID and v.isascii() and "\x00" not in v and not v.isspace()


def check_int(value: object, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} must be an int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise InvalidInput(f"{what} must be between {lo} and {hi}, got {value}")
    return int(value)


def check_text(value: object, what: str, max_len: int, *, optional: bool = False, blank: bool = True) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, got {type(value).__name__}")
    if not blank and not value.strip():
        raise InvalidInput(f"{what} must be a non-empty string")
    if len(value) > max_len:
        raise InvalidInput(f"{what} is longer than {max_len} characters")
    _no_nul(value, what)
    _utf8(value, what)
    return value


def check_dt(value: object, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInput(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} must be timezone-aware (use datetime.now(timezone.utc))")
    if not MIN_TS <= value <= MAX_TS:
        raise InvalidInput(f"{what} must be between years 1000 and 9999")
    return value


def check_limit(value: object, what: str = "limit") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} must be an int, got {type(value).__name__}")
    if not 0 <= value <= MAX_LIMIT:
        raise InvalidInput(f"{what} must be between 0 and {MAX_LIMIT}")
    return value


def check_choice(value: object, what: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InvalidInput(f"{what} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_metadata(value: object, what: str = "metadata") -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a dict or None, got {type(value).__name__}")
    for k in value:
        if not isinstance(k, str):
            raise InvalidInput(f"{what} keys must be strings")
    return value


def encode_json(value: object, what: str) -> str:
    """JSON text of a value; rejects what no database here can store (NUL characters, lone surrogates).

    NaN and infinities become `null` (msgspec's JSON encoding), as the README documents.
    """
    try:
        data = _encoder.encode(value)
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as e:
        raise InvalidInput(f"{what} is not JSON-serializable: {e}") from None
    if b"\\u0000" in data and _NUL_ESCAPE.search(data):
        raise InvalidInput(f"{what} must not contain NUL characters (\\u0000)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:  # pragma: no cover - msgspec emits UTF-8
        raise InvalidInput(f"{what} is not valid UTF-8: {e}") from None


def encode_optional_json(value: object, what: str) -> str | None:
    return None if value is None else encode_json(value, what)


def _no_nul(value: str, what: str) -> None:
    if "\x00" in value:
        raise InvalidInput(f"{what} must not contain NUL characters")


def _utf8(value: str, what: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} contains characters that are not valid UTF-8 (lone surrogates)") from None


def check_ids(values: object, what: str) -> list[str]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, set, frozenset)):
        raise InvalidInput(f"{what} must be a list of ids")
    return [check_id(v, f"{what}[{i}]") for i, v in enumerate(values)]

"""Input checks that run before any I/O, so bad input raises InvalidInput with nothing written."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeGuard

import msgspec

from .errors import InvalidInput
from .timeutil import MAX_TS, MIN_TS

MAX_ID = 255
MAX_SHORT = 64
MAX_TITLE = 4000
MAX_LIMIT = 1_000_000
MAX_JSON_DEPTH = 31
"""Most arrays/objects a JSON value may nest inside each other (a scalar is depth 0, `[]` and `{"a": 1}` depth 1).

MariaDB's JSON columns are CHECKed with JSON_VALID, which refuses 32 levels; PostgreSQL's jsonb and SQLite's json
functions take far more. Checking this one limit in Python, before any write, makes every database behave alike.
"""

_encoder = msgspec.json.Encoder()
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# Byte tables of too_deep: objects count as arrays, and all but brackets and quotes go.
_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_MARK = bytes(b for b in range(256) if b not in b'[]{}"')
_NOT_OPEN = bytes(b for b in range(256) if b not in b"[{")
_NOT_PLAIN = bytes(b for b in range(256) if b not in b"[{\\")


def shown(value: object) -> str:
    """A value as an error message shows it: short, and never failing (no huge, deep or cyclic repr)."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "..."
    if isinstance(value, int) and value.bit_length() > 64:  # repr of a huge int is long, or a ValueError
        return f"an int of {value.bit_length()} bits"
    if value is None or isinstance(value, (int, float, Decimal)):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return f"a value of type {type(value).__name__}"


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


def plain_id(v: object) -> TypeGuard[str]:
    """What check_id accepts, decided cheaply for the common case (ASCII is valid UTF-8; no NUL; not blank)."""
    return type(v) is str and 0 < len(v) <= MAX_ID and v.isascii() and "\x00" not in v and not v.isspace()


def check_int(value: object, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} must be an int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise InvalidInput(f"{what} must be between {lo} and {hi}, got {shown(value)}")
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
        raise InvalidInput(f"{what} must be one of {', '.join(map(repr, choices))}, got {shown(value)}")
    return value


def check_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{what} must be a bool, got {type(value).__name__}")
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


def too_deep(data: bytes) -> bool:
    """Whether JSON as msgspec writes it nests more than MAX_JSON_DEPTH arrays/objects.

    The usual value costs one pass of `bytes.translate`: fewer opening brackets than the limit cannot nest deeper
    than it. Else every step is a C-level bytes operation too (no Python loop over the data, no regex).
    """
    if len(data.translate(None, _NOT_OPEN)) <= MAX_JSON_DEPTH:
        return False
    return _nests_too_deep(data)


def _nests_too_deep(data: bytes) -> bool:
    if b"\\" in data:
        # Escaped backslashes, then escaped quotes: what is left of the quotes are the strings' own.
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = data.translate(_SQUARE, _NOT_MARK)
    if b'"' in marks:
        # Brackets inside strings are text: keep what lies between strings. Dropping the quotes of a string with
        # no bracket in it first ("" pairs) keeps that split short and leaves the inside/outside order unchanged.
        marks = marks.replace(b'""', b"")
        if b'"' in marks:
            marks = b"".join(marks.split(b'"')[::2])
    # Each pass deletes the innermost (empty) pairs, so a value of depth d is empty after exactly d passes; a value
    # with at most `left` pairs cannot outlast `left` more passes.
    for done in range(MAX_JSON_DEPTH):
        if len(marks) // 2 <= MAX_JSON_DEPTH - done:
            return False
        marks = marks.replace(b"[]", b"")
    return bool(marks)


def too_deep_error(what: str) -> InvalidInput:
    return InvalidInput(
        f"{what} is nested more than {MAX_JSON_DEPTH} arrays/objects deep (the limit of every database rawstore"
        " supports)"
    )


def json_text(data: bytes) -> str | None:
    """The text of JSON msgspec wrote, or None when `encode_json` would refuse it (a NUL escape, nesting deeper than
    MAX_JSON_DEPTH): the check of the hot paths, which encode by themselves and build error labels only on error.

    One `bytes.translate` pass decides the usual value: no backslash means no escape (so no NUL), and fewer opening
    brackets than the limit cannot nest deeper than it.
    """
    marks = data.translate(None, _NOT_PLAIN)
    if len(marks) > MAX_JSON_DEPTH and len(marks) - marks.count(b"\\") > MAX_JSON_DEPTH and _nests_too_deep(data):
        return None
    if b"\\" in marks and b"\\u0000" in data and _NUL_ESCAPE.search(data):
        return None
    return data.decode()


def encode_json(value: object, what: str) -> str:
    """JSON text of a value; InvalidInput naming `what` for what no database here stores alike: values msgspec
    cannot encode, NUL characters, lone surrogates, nesting deeper than MAX_JSON_DEPTH.

    NaN and infinities become `null` (msgspec's JSON encoding), as the README documents.
    """
    try:
        data = _encoder.encode(value)
    except RecursionError:
        # msgspec recurses once per level: a value this deep is far beyond the limit.
        raise too_deep_error(what) from None
    except Exception as e:  # TypeError, OverflowError, UnicodeEncodeError, or whatever a foreign object raises
        raise InvalidInput(f"{what} is not JSON-serializable: {e}") from None
    text = json_text(data)
    if text is None:
        if too_deep(data):
            raise too_deep_error(what)
        raise InvalidInput(f"{what} must not contain NUL characters (\\u0000)")
    return text


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

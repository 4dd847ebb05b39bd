"""The rows of a batch of new memories, checked a column at a time.

`add_many` spends most of its own CPU checking its memories. For the usual batch (ASCII ids and content, float
importance, UTC times, JSON metadata with string keys, numpy embeddings of one dimension already packed) every check
here is one C-level pass over a column (`map`, `str.join`, `min`/`max`) instead of a dozen Python operations per
memory. Anything unusual makes `rows` return None, and the caller checks memory by memory, which names the first bad
field: this module only has to notice that something is off, never to say what.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import repeat
from operator import attrgetter
from typing import Any

import msgspec

from ..timeutil import MAX_TS, MIN_TS
from ..validate import MAX_ID, json_text
from .records import Memory

_FIELDS = attrgetter(
    "id", "user_id", "session_id", "content", "importance", "metadata", "created_at", "updated_at", "deleted_at"
)
_TZ = attrgetter("tzinfo")
_JSON = msgspec.json.Encoder()
_NONE_ONLY = {type(None)}


def _plain_texts(values: Sequence[Any], most: int) -> bool:
    """Every value a non-blank ASCII str of 1 to `most` characters without NUL (validate.plain_id, per column)."""
    if set(map(type, values)) != {str}:
        return False
    if min(map(len, values)) < 1 or max(map(len, values)) > most:
        return False
    joined = "".join(values)
    return joined.isascii() and "\x00" not in joined and not any(map(str.isspace, values))


def _utc_times(values: Sequence[Any]) -> bool:
    return (
        set(map(type, values)) == {datetime}
        and set(map(_TZ, values)) == {UTC}
        and min(values) >= MIN_TS
        and max(values) <= MAX_TS
    )


def _metadata(values: Sequence[Any]) -> list[str | None] | None:
    out: list[str | None] = []
    add = out.append
    last: Any = None
    text: str | None = None
    for md in values:
        if md is None:
            add(None)
            continue
        if md is not last:  # a dict shared by the batch's memories is encoded once
            if type(md) is not dict:
                return None
            for k in md:
                if type(k) is not str:
                    return None
            try:
                text = json_text(_JSON.encode(md))
            except Exception:  # what encode_json refuses: the caller's check names it
                return None
            if text is None:
                return None
            last = md
        add(text)
    return out


def rows(
    tenant: str,
    memories: Sequence[Memory],
    packed: tuple[list[bytes], int] | None,
    ts_out: Callable[[datetime], Any],
    max_content: int,
) -> list[tuple[Any, ...]] | None:
    """The memories' rows (MEMORY_FIELDS order) when the whole batch is of the usual kind, else None.

    `packed`: the embeddings packed by vectors.pack_rows (then every memory has one), or None (then this batch
    qualifies only if no memory has an embedding)."""
    if set(map(type, memories)) != {Memory}:
        return None
    ids, users, sessions, contents, importances, metas, created, updated, deleted = zip(
        *map(_FIELDS, memories), strict=True
    )
    if not (_plain_texts(ids, MAX_ID) and _plain_texts(users, MAX_ID)):
        return None
    if set(map(type, sessions)) != _NONE_ONLY and not _plain_texts(sessions, MAX_ID):
        return None
    if not _plain_texts(contents, max_content):
        return None
    if set(map(type, importances)) != {float}:
        return None
    total = sum(importances)  # a NaN or an infinity makes it so (or finite ones too large: checked one by one)
    if total != total or total in (float("inf"), float("-inf")):
        return None
    if set(map(type, deleted)) != _NONE_ONLY:
        return None
    if not (_utc_times(created) and _utc_times(updated)):
        return None
    texts = _metadata(metas)
    if texts is None:
        return None
    if packed is None:
        if any(m.embedding is not None for m in memories):
            return None
        dims: Sequence[int | None] = [None] * len(memories)
        blobs: Sequence[bytes | None] = dims  # type: ignore[assignment]
    else:
        blobs, width = packed
        dims = [width] * len(memories)
    made = list(map(ts_out, created))
    # A new memory's two times are usually the same instant: its text is reused.
    changed = list(map(ts_out, updated)) if updated != created else made
    return list(
        zip(
            repeat(tenant),
            ids,
            users,
            sessions,
            contents,
            importances,
            dims,
            blobs,
            texts,
            made,
            changed,
            deleted,
            strict=False,
        )
    )

"""Records of the semantic-memory domain (msgspec Structs)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from ..timeutil import utcnow

# gc=False: the fields are strings, numbers, datetimes, tuples of floats and JSON values that cannot refer back to
# the record (MemoryHit holds a Memory, which holds none of these).


class User(msgspec.Struct, gc=False):
    """A user of the memory system. `email` is unique per tenant, compared case-insensitively."""

    id: str
    email: str
    name: str | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)


class Session(msgspec.Struct, gc=False):
    """A session of a user (a conversation); `ended_at` is None while it is open."""

    id: str
    user_id: str
    started_at: datetime
    ended_at: datetime | None = None
    metadata: dict[str, Any] | None = None


class Memory(msgspec.Struct, gc=False):
    """One memory of a user, optionally tied to one of the user's sessions.

    `embedding` goes in as any sequence of floats (list, tuple, array.array, a 1-d numpy array) and comes out as a
    tuple of floats, stored as float32 (so a value read back is the float32 nearest to the one given).
    `deleted_at` is set by `delete` (a soft delete) and cleared by `restore`.
    """

    id: str
    user_id: str
    content: str
    session_id: str | None = None
    importance: float = 0.0
    embedding: Sequence[float] | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)
    deleted_at: datetime | None = None


class MemoryHit(msgspec.Struct, gc=False):
    """One search result, best first.

    `score` is higher for better hits: 1 - cosine distance in vector mode, the reciprocal-rank-fusion score
    (sum of 1 / (60 + rank) over the lists the memory is in) in hybrid and text modes. `vector_distance` is the
    cosine distance to the query vector when the memory was in the vector list, `text_rank` its 1-based position in
    the full-text list when it matched the text (never a database's raw relevance, which differs per database).
    """

    memory: Memory
    score: float
    vector_distance: float | None = None
    text_rank: int | None = None

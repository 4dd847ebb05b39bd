"""Records of the memory domain (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ..timeutil import utcnow

# Records are built with gc=False: their fields are strings, datetimes and JSON values that cannot refer back to
# the record, so leaving them out of the cycle collector saves its work on every read.


class Thread(msgspec.Struct, gc=False):
    """A conversation. `id` is chosen by the caller (for example the application's own project id)."""

    id: str
    resource_id: str
    title: str | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)


class Message(msgspec.Struct, gc=False):
    """One message of a thread. `content` is any JSON value; `created_at` orders the thread."""

    id: str
    thread_id: str
    role: str
    content: Any
    resource_id: str | None = None
    type: str = "v2"
    created_at: datetime = msgspec.field(default_factory=utcnow)


class Resource(msgspec.Struct, gc=False):
    """A resource (usually a user) with its working memory and metadata."""

    id: str
    working_memory: str | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)


class MessageUpdate(msgspec.Struct):
    """A partial update of one message: every field left None keeps its stored value."""

    id: str
    role: str | None = None
    type: str | None = None
    thread_id: str | None = None
    resource_id: str | None = None
    content: Any = None


class Include(msgspec.Struct):
    """Ask `list_messages` to add a message and up to `before` older and `after` newer neighbours.

    The neighbours come from the target's own thread, or from `thread_id` when given.
    """

    message_id: str
    before: int = 0
    after: int = 0
    thread_id: str | None = None

"""Records of the traces domain (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ..timeutil import utcnow


class TraceRecord(msgspec.Struct, gc=False):
    """One OpenTelemetry span in the legacy trace table (Mastra's `mastra_traces`), positionally constructible.

    `id` is the span id (unique per tenant), `kind` the OpenTelemetry SpanKind number, `start_time_ns` and
    `end_time_ns` integer nanoseconds since the Unix epoch. `attributes` is a JSON object or None; `status`,
    `events`, `links` and `other` take any JSON value (None: absent). `created_at` defaults to the time the record
    was built, in UTC.
    """

    id: str
    trace_id: str
    name: str
    scope: str
    kind: int
    start_time_ns: int
    end_time_ns: int
    parent_span_id: str | None = None
    attributes: dict[str, Any] | None = None
    status: Any = None
    events: Any = None
    links: Any = None
    other: Any = None
    created_at: datetime = msgspec.field(default_factory=utcnow)

"""Records of the scores domain (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from ..timeutil import utcnow

# Records are built with gc=False: their fields are strings, numbers, datetimes and JSON values that cannot refer
# back to the record, so leaving them out of the cycle collector saves its work on every read.


class ScoreSource(StrEnum):
    """Where a score comes from: a live run (`LIVE`) or a test/experiment run (`TEST`).

    A `StrEnum`: `ScoreSource.LIVE == "LIVE"`, and every call also takes the plain strings "LIVE" and "TEST".
    Scores read back carry the member.
    """

    LIVE = "LIVE"
    TEST = "TEST"


SOURCE_BY_NAME: dict[str, ScoreSource] = {s.value: s for s in ScoreSource}


class Score(msgspec.Struct, gc=False):
    """One scorer result (Mastra's `mastra_scorers` row), positionally constructible in this order.

    `id` "" (or None): the kit assigns a UUIDv7 when the score is saved. `score` is a finite number, stored as a
    64-bit float (read back as a float). `source` is a `ScoreSource` or "LIVE" / "TEST". `scorer` is a JSON object;
    `output`, `input`, `entity`, `additional_context`, `request_context`, `preprocess_step_result` and
    `analyze_step_result` take any JSON value; `metadata` a JSON object. None in a JSON field is stored as SQL NULL
    and reads back as None (never `{}`). `created_at`/`updated_at` default to the time the record is built (UTC).
    """

    id: str
    scorer_id: str
    run_id: str
    entity_id: str
    score: float
    output: Any
    source: ScoreSource
    scorer: dict[str, Any]
    entity_type: str | None = None
    entity: Any = None
    trace_id: str | None = None
    span_id: str | None = None
    resource_id: str | None = None
    thread_id: str | None = None
    reason: str | None = None
    input: Any = None
    metadata: dict[str, Any] | None = None
    additional_context: Any = None
    request_context: Any = None
    preprocess_step_result: Any = None
    analyze_step_result: Any = None
    preprocess_prompt: str | None = None
    analyze_prompt: str | None = None
    generate_score_prompt: str | None = None
    generate_reason_prompt: str | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    updated_at: datetime = msgspec.field(default_factory=utcnow)


class ScoreStats(msgspec.Struct, gc=False):
    """Count, mean, minimum and maximum of the scores `stats` selected, computed in SQL.

    With no score selected, `count` is 0 and `mean`, `min` and `max` are None.
    """

    count: int
    mean: float | None
    min: float | None
    max: float | None

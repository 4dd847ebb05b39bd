"""Records of the evals domain (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ..timeutil import utcnow


class EvalRecord(msgspec.Struct, gc=False):
    """One legacy eval result (Mastra's `mastra_evals`), positionally constructible.

    `input`, `output` and `instructions` are text; `result` is any JSON value (Mastra's `{"score": ..., "info": ...}`);
    `test_info` a JSON object or None: an eval whose `test_info` has a non-null `"testPath"` is a *test* eval, any
    other a *live* one. `created_at` defaults to the time the record was built, in UTC.

    `id` is not part of Mastra's row: the kit assigns a UUIDv7 when the eval is saved (None here means "assign one"),
    the table's key and the tie-breaker of the newest-first order. Records read back carry it.
    """

    agent_name: str
    metric_name: str
    input: str
    output: str
    result: Any
    instructions: str
    run_id: str
    global_run_id: str
    test_info: dict[str, Any] | None = None
    created_at: datetime = msgspec.field(default_factory=utcnow)
    id: str | None = None

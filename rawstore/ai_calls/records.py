"""Records of the AI call log (`store.ai_calls`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

NANOS = 10**9
"""Costs are stored as integers in nano-units of the currency (exact sums in SQL)."""


class AICall(msgspec.Struct, gc=False):
    """One AI model call, positionally constructible (topic, call_type, model_key, model_id, prompt, response, ...).

    `cost` is in the caller's currency unit (int, float or Decimal); it is stored exactly to 10⁻⁹ and read back as
    a float. `id` None: the kit assigns a UUIDv7 when the call is logged. `created_at` None: the time the call was
    logged (`log_call` / `log_batch_results`), in UTC. Calls read back carry both, filled in.
    """

    topic: str
    call_type: str
    model_key: str
    model_id: str
    prompt: str
    response: str
    input_tokens: int
    output_tokens: int
    cost: float | Decimal
    metadata: dict[str, Any] | None = None
    id: str | None = None
    created_at: datetime | None = None


class ModelStats(msgspec.Struct, gc=False):
    """Totals of one model key within `AICallStats.per_model`."""

    calls: int
    input_tokens: int
    output_tokens: int
    cost: float


class AICallStats(msgspec.Struct, gc=False):
    """Totals of the calls whose topic starts with a prefix, and the same totals per model key.

    Costs are summed exactly in the database and turned into a float once, so 0.1 + 0.2 gives 0.3.
    """

    total_calls: int
    total_input_tokens: int
    total_output_tokens: int
    total_cost: float
    per_model: dict[str, ModelStats] = msgspec.field(default_factory=dict)


class ModelTotals(msgspec.Struct, gc=False):
    """One row of the stats query: the totals of one model key (sums arrive as Decimal on some databases)."""

    model_key: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_nanos: int

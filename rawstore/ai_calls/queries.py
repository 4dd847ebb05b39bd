"""The AI call log's queries (sql/<dialect>/ai_calls.sql) and the records their rows decode to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..queryset import Batch, Exec, Many, One, QuerySet
from .records import NANOS, AICall, ModelTotals

# Placeholder order of a validated call row.
FIELDS = (
    "tenant_id",
    "id",
    "topic",
    "call_type",
    "model_key",
    "model_id",
    "prompt",
    "response",
    "input_tokens",
    "output_tokens",
    "cost_nanos",
    "metadata",
    "created_at",
)


def _cost(nanos: Any) -> float:
    return int(nanos) / NANOS


_TOTALS: dict[str, Callable[[Any], Any]] = dict.fromkeys(("calls", "input_tokens", "output_tokens", "cost_nanos"), int)
_CALL: dict[str, Callable[[Any], Any]] = {"input_tokens": int, "output_tokens": int, "cost": _cost}


class AICallQueries(QuerySet, domain="ai_calls"):
    """The queries of sql/<dialect>/ai_calls.sql and what their rows decode to."""

    insert_calls = Batch(fields=FIELDS)
    record_batch = Exec()
    is_recorded = One(int)
    stats = Many(ModelTotals, decode=_TOTALS)
    get_call = One(AICall, decode=_CALL)
    calls_asc = Many(AICall, decode=_CALL)
    calls_desc = Many(AICall, decode=_CALL)

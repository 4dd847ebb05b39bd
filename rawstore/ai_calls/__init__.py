"""The AI call log: model calls, batch results and cost statistics (`store.ai_calls`)."""

from .queries import AICallQueries
from .records import AICall, AICallStats, ModelStats
from .store import AICallLog

__all__ = ["AICall", "AICallLog", "AICallQueries", "AICallStats", "ModelStats"]

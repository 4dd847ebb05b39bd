"""Records of the AI call log. PLACEHOLDER: filled in by the ai_calls work."""

from __future__ import annotations

import msgspec


class AICall(msgspec.Struct):
    """One AI model call."""


class ModelStats(msgspec.Struct):
    """Totals of one model."""


class AICallStats(msgspec.Struct):
    """Totals over a topic prefix."""

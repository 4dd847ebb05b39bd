"""Scorer results and their statistics (`store.scores`)."""

from .queries import ScoreQueries
from .records import Score, ScoreSource, ScoreStats
from .store import ScoreStore

__all__ = ["Score", "ScoreQueries", "ScoreSource", "ScoreStats", "ScoreStore"]

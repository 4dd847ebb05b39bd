"""Scorer results and their statistics (`store.scores`)."""

from .queries import ScoreQueries
from .store import ScoreStore

__all__ = ["ScoreQueries", "ScoreStore"]

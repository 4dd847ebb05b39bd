"""Semantic memory: users, sessions and memories with vector, full-text and hybrid search (`store.memories`)."""

from .queries import MemoryItemQueries
from .store import SemanticMemoryStore

__all__ = ["MemoryItemQueries", "SemanticMemoryStore"]

"""Semantic memory: users, sessions and memories with vector, full-text and hybrid search (`store.memories`)."""

from .queries import MemoryItemQueries
from .records import Memory, MemoryHit, Session, User
from .store import Embedder, SemanticMemoryStore
from .vectors import MAX_DIMS

__all__ = ["MAX_DIMS", "Embedder", "Memory", "MemoryHit", "MemoryItemQueries", "SemanticMemoryStore", "Session", "User"]

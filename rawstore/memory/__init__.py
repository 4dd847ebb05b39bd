"""The memory domain: threads, messages and resources (`store.memory`)."""

from .queries import MemoryQueries
from .records import Include, Message, MessageUpdate, Resource, Thread
from .store import MemoryStore

__all__ = ["Include", "MemoryQueries", "MemoryStore", "Message", "MessageUpdate", "Resource", "Thread"]

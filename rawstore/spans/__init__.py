"""AI tracing spans and the traces they form (`store.spans`)."""

from .queries import SpanQueries
from .store import SpanStore

__all__ = ["SpanQueries", "SpanStore"]

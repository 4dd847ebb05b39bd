"""AI tracing spans and the traces they form (`store.spans`)."""

from .queries import SpanQueries
from .records import Span, SpanUpdate, Trace, TraceSummary
from .store import SpanStore

__all__ = ["Span", "SpanQueries", "SpanStore", "SpanUpdate", "Trace", "TraceSummary"]

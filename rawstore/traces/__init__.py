"""Legacy OpenTelemetry trace records (`store.traces`)."""

from .queries import TraceQueries
from .records import TraceRecord
from .store import TraceStore

__all__ = ["TraceQueries", "TraceRecord", "TraceStore"]

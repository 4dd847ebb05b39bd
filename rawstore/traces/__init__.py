"""Legacy OpenTelemetry trace records (`store.traces`)."""

from .queries import TraceQueries
from .store import TraceStore

__all__ = ["TraceQueries", "TraceStore"]

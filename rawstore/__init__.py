"""rawstore: an async raw-SQL persistence kit for AI agent and workflow applications.

store = await rawstore.connect("postgresql://…")      # or mysql://…, sqlite:///path.db
await store.memory.save_thread(rawstore.Thread("t1", resource_id="u1"))
"""

from __future__ import annotations

from .ai_calls import AICall, AICallLog, AICallStats, ModelStats
from .drivers.base import Capabilities
from .enums import ArtifactType, LogLevel, Status
from .errors import (
    ConfigError,
    Conflict,
    ConnectionLost,
    DatabaseError,
    Deadlock,
    InvalidInput,
    LeaseLost,
    LockTimeout,
    MigrationError,
    NotFound,
    RawstoreError,
    ReadOnly,
    SerializationFailure,
    StatementTimeout,
    TenantRequired,
)
from .evals import EvalRecord, EvalStore
from .jobs import Job, JobQueue, SuspendedJob
from .memories import Embedder, Memory, MemoryHit, SemanticMemoryStore, Session, User
from .memory import Include, MemoryStore, Message, MessageUpdate, Resource, Thread
from .migrator import MigrationReport, migrate, rollback, status
from .pagination import Page
from .schema import ColumnInfo, IndexInfo, IndexStats, SchemaStore, TableInfo
from .scores import Score, ScoreSource, ScoreStats, ScoreStore
from .snapshots import SnapshotStore, WorkflowSnapshot
from .spans import Span, SpanStore, SpanUpdate, Trace, TraceSummary
from .store import Record, Store, Transaction, connect
from .tenancy import DEFAULT_TENANT, current_tenant, tenant
from .traces import TraceRecord, TraceStore
from .workflows import WorkflowArtifact, WorkflowLog, WorkflowRun, WorkflowStage, WorkflowStore

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TENANT",
    "AICall",
    "AICallLog",
    "AICallStats",
    "ArtifactType",
    "Capabilities",
    "ColumnInfo",
    "ConfigError",
    "Conflict",
    "ConnectionLost",
    "DatabaseError",
    "Deadlock",
    "Embedder",
    "EvalRecord",
    "EvalStore",
    "Include",
    "IndexInfo",
    "IndexStats",
    "InvalidInput",
    "Job",
    "JobQueue",
    "LeaseLost",
    "LockTimeout",
    "LogLevel",
    "Memory",
    "MemoryHit",
    "MemoryStore",
    "Message",
    "MessageUpdate",
    "MigrationError",
    "MigrationReport",
    "ModelStats",
    "NotFound",
    "Page",
    "RawstoreError",
    "ReadOnly",
    "Record",
    "Resource",
    "SchemaStore",
    "Score",
    "ScoreSource",
    "ScoreStats",
    "ScoreStore",
    "SemanticMemoryStore",
    "SerializationFailure",
    "StatementTimeout",
    "Session",
    "SnapshotStore",
    "Span",
    "SpanStore",
    "SpanUpdate",
    "Status",
    "Store",
    "SuspendedJob",
    "TableInfo",
    "TenantRequired",
    "Thread",
    "Trace",
    "TraceRecord",
    "TraceStore",
    "TraceSummary",
    "Transaction",
    "User",
    "WorkflowArtifact",
    "WorkflowLog",
    "WorkflowRun",
    "WorkflowSnapshot",
    "WorkflowStage",
    "WorkflowStore",
    "connect",
    "current_tenant",
    "migrate",
    "rollback",
    "status",
    "tenant",
]

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
    SerializationFailure,
    TenantRequired,
)
from .jobs import Job, JobQueue, SuspendedJob
from .memory import Include, MemoryStore, Message, MessageUpdate, Resource, Thread
from .migrator import MigrationReport, migrate, rollback, status
from .pagination import Page
from .store import Record, Store, Transaction, connect
from .tenancy import DEFAULT_TENANT, current_tenant, tenant
from .workflows import WorkflowArtifact, WorkflowLog, WorkflowRun, WorkflowStage, WorkflowStore

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TENANT",
    "AICall",
    "AICallLog",
    "AICallStats",
    "ArtifactType",
    "Capabilities",
    "ConfigError",
    "Conflict",
    "ConnectionLost",
    "DatabaseError",
    "Deadlock",
    "Include",
    "InvalidInput",
    "Job",
    "JobQueue",
    "LeaseLost",
    "LockTimeout",
    "LogLevel",
    "MemoryStore",
    "Message",
    "MessageUpdate",
    "MigrationError",
    "MigrationReport",
    "ModelStats",
    "NotFound",
    "Page",
    "RawstoreError",
    "SerializationFailure",
    "Record",
    "Resource",
    "Status",
    "Store",
    "SuspendedJob",
    "TenantRequired",
    "Thread",
    "Transaction",
    "WorkflowArtifact",
    "WorkflowLog",
    "WorkflowRun",
    "WorkflowStage",
    "WorkflowStore",
    "connect",
    "current_tenant",
    "migrate",
    "rollback",
    "status",
    "tenant",
]

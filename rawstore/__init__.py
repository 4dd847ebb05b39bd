"""rawstore: an async raw-SQL persistence kit for AI agent and workflow applications.

store = await rawstore.connect("postgresql://…")      # or mysql://…, sqlite:///path.db
await store.memory.save_thread(rawstore.Thread("t1", resource_id="u1"))
"""

from __future__ import annotations

from .ai_calls import AICallLog
from .ai_records import AICall, AICallStats, ModelStats
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
from .job_records import Job, SuspendedJob
from .jobs import JobQueue
from .memory import MemoryStore
from .migrator import MigrationReport, migrate, rollback, status
from .records import Include, Message, MessageUpdate, Page, Resource, Thread
from .store import Record, Store, Transaction, connect
from .tenancy import DEFAULT_TENANT, current_tenant, tenant
from .workflow_records import WorkflowArtifact, WorkflowLog, WorkflowRun, WorkflowStage
from .workflows import WorkflowStore

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

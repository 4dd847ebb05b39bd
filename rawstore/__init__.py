"""rawstore: an async raw-SQL persistence kit for AI agent and workflow applications.

store = await rawstore.connect("postgresql://…")      # or mysql://…, sqlite:///path.db
await store.memory.save_thread(rawstore.Thread("t1", resource_id="u1"))
"""

from __future__ import annotations

from .errors import (
    ConfigError,
    Conflict,
    ConnectionLost,
    DatabaseError,
    InvalidInput,
    LeaseLost,
    MigrationError,
    NotFound,
    RawstoreError,
    TenantRequired,
)
from .memory import MemoryStore
from .migrator import MigrationReport, migrate, rollback, status
from .records import Include, Message, MessageUpdate, Page, Resource, Thread
from .store import Record, Store, Transaction, connect
from .tenancy import DEFAULT_TENANT, current_tenant, tenant

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TENANT",
    "ConfigError",
    "Conflict",
    "ConnectionLost",
    "DatabaseError",
    "Include",
    "InvalidInput",
    "LeaseLost",
    "MemoryStore",
    "Message",
    "MessageUpdate",
    "MigrationError",
    "MigrationReport",
    "NotFound",
    "Page",
    "RawstoreError",
    "Record",
    "Resource",
    "Store",
    "TenantRequired",
    "Thread",
    "Transaction",
    "connect",
    "current_tenant",
    "migrate",
    "rollback",
    "status",
    "tenant",
]

"""Typed errors. Every driver error leaves rawstore as a RawstoreError subclass with the cause chained."""

from __future__ import annotations


class RawstoreError(Exception):
    """Base class of every error rawstore raises."""


class InvalidInput(RawstoreError, ValueError):
    """An argument was rejected before anything was written."""


class NotFound(RawstoreError, LookupError):
    """A row the call needs does not exist (in the current tenant)."""


class Conflict(RawstoreError):
    """The write collides with existing data (a duplicate id, a stale version)."""


class TenantRequired(RawstoreError):
    """The store was opened with tenancy="required" and no tenant is set."""


class ConnectionLost(RawstoreError):
    """The database could not be reached, or the connection broke mid-call."""


class LeaseLost(Conflict):
    """A job's lease is no longer held by the caller."""


class DatabaseError(RawstoreError):
    """Any other error reported by the database or its driver."""


class ConfigError(RawstoreError):
    """A bad URL, option, SQL file or migration folder."""


class MigrationError(RawstoreError):
    """Applying or rolling back migrations failed."""


class Deadlock(DatabaseError):
    """The database chose this transaction as a deadlock victim and rolled it back (PostgreSQL 40P01, MySQL 1213).

    Retryable: run the whole transaction again."""


class SerializationFailure(DatabaseError):
    """The transaction could not be serialized with a concurrent one (PostgreSQL 40001; SQLite: another writer still
    held the database when the busy timeout ran out, or a read snapshot went stale). Retryable: run it again."""


class LockTimeout(DatabaseError):
    """A row or table lock was not granted in time (PostgreSQL 55P03 under `lock_timeout` or NOWAIT, MySQL 1205
    after `innodb_lock_wait_timeout`). Retryable: run the transaction again, or later."""


class ReadOnly(DatabaseError):
    """A write was refused because the transaction is read-only (`store.transaction(read_only=True)`; PostgreSQL
    25006, MySQL 1792, SQLite SQLITE_READONLY)."""


class StatementTimeout(DatabaseError):
    """A statement ran past the transaction's `timeout` and was cancelled (PostgreSQL 57014, MariaDB 1969, MySQL
    3024, SQLite SQLITE_INTERRUPT). The transaction is rolled back."""

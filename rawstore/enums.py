"""The status and kind enums shared by workflows, stages, jobs, logs and artifacts.

They are `StrEnum`s: a member equals its name as a string (`Status.PENDING == "PENDING"`), which is also what the
databases store.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """The one status set of workflow runs, stages and jobs."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    SKIPPED = "SKIPPED"


class LogLevel(StrEnum):
    """Severity of a workflow log line."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class ArtifactType(StrEnum):
    """What a workflow artifact holds."""

    STAGE_OUTPUT = "STAGE_OUTPUT"
    ARTIFACT = "ARTIFACT"
    METADATA = "METADATA"


__all__ = ["ArtifactType", "LogLevel", "Status"]

"""Records of the job queue. PLACEHOLDER."""

from __future__ import annotations

import msgspec


class Job(msgspec.Struct):
    """A job of the queue."""


class SuspendedJob(msgspec.Struct):
    """A suspended job whose poll time has come."""

"""The job queue: fenced claims with leases, retries with backoff, stale-lease recovery, wake-ups (`store.jobs`)."""

from .queries import JobQueries
from .records import Job, SuspendedJob
from .store import JobQueue

__all__ = ["Job", "JobQueries", "JobQueue", "SuspendedJob"]

"""UTC time helpers shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime

# Bounds every database stores exactly (MySQL DATETIME starts at year 1000).
MIN_TS = datetime(1000, 1, 1, tzinfo=UTC)
MAX_TS = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def to_micros(dt: datetime) -> int:
    """Microseconds since the Unix epoch (exact, no float rounding)."""
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(us: int) -> datetime:
    from datetime import timedelta

    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)

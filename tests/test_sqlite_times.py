"""The text SQLite stores for a time (`TS_FORMAT`: six digits of microseconds always, UTC): the driver keeps the last
second it formatted, and every time must still give the text its fields give, whatever came before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from rawstore.drivers import sqlite as lite_driver

PLAIN = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def plain(v: datetime) -> str:
    u = v.astimezone(UTC)
    return PLAIN % (u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond)


times = st.datetimes(
    min_value=datetime(1000, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7, minutes=-30)), timezone(timedelta(hours=14))]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(times, st.integers(min_value=-2_000_000, max_value=2_000_000)), min_size=1, max_size=20))
def test_every_time_gives_the_text_of_its_fields(pairs: list[tuple[datetime, int]]) -> None:
    # Each time, then one a few microseconds to a couple of seconds away: same second, the next, the previous one.
    for v, step in pairs:
        for w in (v, v + timedelta(microseconds=step)):
            assert lite_driver.ts_out(w) == plain(w)
            assert lite_driver.ts_in(lite_driver.ts_out(w)) == w


def test_second_boundaries() -> None:
    start = datetime(2026, 12, 31, 23, 59, 59, 999_998, tzinfo=UTC)
    for us in (0, 1, 2, 3, -1, 1_000_000, -1_000_000, 0):
        w = start + timedelta(microseconds=us)
        assert lite_driver.ts_out(w) == plain(w)
    assert lite_driver.ts_out(datetime(2027, 1, 1, tzinfo=UTC)) == "2027-01-01 00:00:00.000000"
    assert lite_driver.ts_out(datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == "2026-12-31 23:59:59.999999"

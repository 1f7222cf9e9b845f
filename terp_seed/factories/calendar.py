"""The business calendar of one run: every date a factory writes is placed relative to the
run's as-of day (``-x as_of``, default today).

The same seed and the same as-of day give the same rows; on another as-of day the whole history
moves with it, so receivables age, quotes expire and "recent" activity looks like a live business
on that day. A :class:`Calendar` is built once per run; its tuples are indexed in hot loops.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

# About 22 months of history, as TERP's own generators date activity from 2024-01-01 to now.
HISTORY_DAYS = 669
CLOSE_OF_DAY = time(17, 0)  # "now" on the as-of day, for rows stamped at seeding time
WORKING_MINUTES = tuple(timedelta(hours=h, minutes=m) for h in range(8, 19) for m in range(60))
"""Offsets from midnight within working hours (08:00-18:59), one a minute."""
DAY_MINUTES = WORKING_MINUTES[: 9 * 60]
"""Working minutes before the close of day (08:00-16:59): a moment drawn from them on the as-of
day is still before :attr:`Calendar.now`, so every day can use them alike."""
ONE_DAY, TWO_DAYS, THIRTY_DAYS = timedelta(days=1), timedelta(days=2), timedelta(days=30)


@dataclass(frozen=True)
class Calendar:
    """The days of a run's history, up to and including ``as_of``."""

    as_of: date
    now: datetime
    start: date
    days: tuple[date, ...]
    """Every day from :attr:`start` to :attr:`as_of`."""
    ages: tuple[int, ...]
    """Days from each of :attr:`days` to the as-of day."""
    midnights: tuple[datetime, ...]

    def days_ago(self, days: int) -> date:
        """The day ``days`` before the as-of day."""
        return self.as_of - timedelta(days=days)

    def moment(self, days_ago: float) -> datetime:
        """``now`` less ``days_ago`` days (fractions are hours and minutes)."""
        return self.now - timedelta(days=days_ago)


def today() -> date:
    """The default as-of day: today in UTC."""
    return datetime.now(UTC).date()


@functools.cache
def calendar(as_of: date) -> Calendar:
    """The calendar of a run whose as-of day is ``as_of`` (built once per day)."""
    start = as_of - timedelta(days=HISTORY_DAYS)
    days = tuple(start + timedelta(days=d) for d in range(HISTORY_DAYS + 1))
    return Calendar(
        as_of=as_of,
        now=datetime.combine(as_of, CLOSE_OF_DAY),
        start=start,
        days=days,
        ages=tuple((as_of - d).days for d in days),
        midnights=tuple(datetime.combine(d, datetime.min.time()) for d in days),
    )

"""The days orders, invoices and bills fall on, and the spans between them.

Every date is drawn from :data:`DAYS` (2024-01-01 up to the anchor day), so the same seed
gives the same rows on any day; the tuples are built once at import so hot loops index them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from terp_seed.factories.base import ANCHOR_DATE

START = date(2024, 1, 1)
DAYS = tuple(START + timedelta(days=d) for d in range((ANCHOR_DATE - START).days + 1))
AGES = tuple((ANCHOR_DATE - d).days for d in DAYS)
"""Days from each of :data:`DAYS` to the anchor day."""
MIDNIGHTS = tuple(datetime.combine(d, datetime.min.time()) for d in DAYS)
WORKING_MINUTES = tuple(timedelta(hours=h, minutes=m) for h in range(8, 19) for m in range(60))
"""Offsets from midnight within working hours (08:00-18:59), one a minute."""
ONE_DAY, TWO_DAYS, THIRTY_DAYS = timedelta(days=1), timedelta(days=2), timedelta(days=30)

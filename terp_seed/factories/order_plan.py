"""When each order of a run is made and which lifecycle it follows (the sales factory's plan).

Order days follow the business calendar: weekdays busier than weekends, the week before 4/20,
December, quiet holidays, a growing business, and the stock received by then; at least three
orders are placed on the as-of day. Lifecycles are TERP's state machines read relative to the
as-of day: a quote is open only while valid (``valid_until = creation + 30 days``), else
expired, rejected, soft-deleted or converted into a later sale it claims; sales are drafts,
confirmed and unshipped (the last three days), shipped, or cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from terp_seed.factories.calendar import DAY_MINUTES, THIRTY_DAYS, Calendar
from terp_seed.factories.draw import Draw, Weighted
from terp_seed.factories.stock import Stock

QUOTE_SHARE = 0.12
"""Share of orders that start as quotes (TERP's seeder: about 12% drafts)."""
TODAY_SHARE = 0.008
"""Share of orders placed on the as-of day itself (at least three), so today has activity."""
WEEKDAY = (1.0, 1.15, 1.15, 1.2, 1.1, 0.25, 0.1)
"""Orders by weekday, Monday first: weekends are quiet."""


@dataclass
class Slot:
    """One order to make: its creation moment and the lifecycle it was given."""

    created: datetime
    day_no: int
    kind: str = ""
    quote: int = -1
    """For a sale converted from a quote: the quote's slot."""
    sale: int = -1
    """For a converted quote: its sale's slot."""
    made: dict[str, object] = field(default_factory=dict)


def plan(draw: Draw, cal: Calendar, stock: Stock, count: int) -> list[Slot]:
    """Every order's creation moment (in time order) and its lifecycle."""
    days = cal.days
    weights = []
    enough = max(1.0, stock.size * 0.05)
    n = len(days)
    for d, day in enumerate(days):
        received = stock.received_by(cal.midnights[d])
        weight = WEEKDAY[day.weekday()] * _season(day) * (0.7 + 0.6 * d / n)
        weights.append(weight * min(1.0, received / enough))
    last = n - 1
    today = (
        min(count, max(3, round(count * TODAY_SHARE)))
        if stock.received_by(cal.midnights[last])
        else 0
    )
    if sum(weights) <= 0:
        return []
    day_of = Weighted(list(range(n)), weights)
    chosen = sorted([day_of(draw) for _ in range(count - today)] + [last] * today)
    slots = [Slot(cal.midnights[d] + draw.pick(DAY_MINUTES), d) for d in chosen]
    slots.sort(key=lambda s: s.created)
    _lifecycles(draw, cal, slots)
    return slots


def _season(day: date) -> float:
    """The season's pull on orders: the 4/20 spike, the December bump, quiet holidays."""
    month, dom = day.month, day.day
    if month == 4 and 14 <= dom <= 20:
        return 3.0 if dom >= 18 else 1.8
    if month == 12:
        return 0.3 if dom in (24, 25, 26, 31) else 1.35
    if month == 1 and dom == 1:
        return 0.3
    if month == 11 and 20 <= dom <= 27:
        return 1.3  # "Green Wednesday" before Thanksgiving
    return 1.0


def _lifecycles(draw: Draw, cal: Calendar, slots: list[Slot]) -> None:
    """Give each slot its lifecycle; a converted quote claims a later sale slot as its sale."""
    rnd = draw.random
    ages = cal.ages
    for i, slot in enumerate(slots):
        if slot.kind:
            continue  # a quote's converted sale
        age = ages[slot.day_no]
        if rnd() < QUOTE_SHARE:
            r = rnd()
            if age <= 30:  # still valid: valid_until = day + 30 >= as_of
                kind = "Q_REJECTED" if r < 0.07 else "Q_DELETED" if r < 0.12 else "Q_OPEN"
                convert = age >= 5 and rnd() < 0.25
            else:
                kind = "Q_EXPIRED" if r < 0.55 else "Q_REJECTED" if r < 0.85 else "Q_DELETED"
                convert = rnd() < 0.4
            if convert:
                j = _claim(draw, cal, slots, i)
                if j >= 0:
                    kind = "Q_CONVERTED"
                    slot.sale = j
                    slots[j].kind, slots[j].quote = "S_CONVERTED", i
            slot.kind = kind
            continue
        if rnd() < 0.03:
            slot.kind = "S_VOIDED" if age >= 4 and rnd() < 0.3 else "S_CANCELLED"
        elif age <= 10 and rnd() < 0.12:
            slot.kind = "S_DRAFT"
        elif age <= 3:
            slot.kind = "S_OPEN"
        else:
            slot.kind = "S_SHIPPED"


def _claim(draw: Draw, cal: Calendar, slots: list[Slot], i: int) -> int:
    """A later, not yet planned slot for quote ``i``'s sale: within the quote's validity and
    old enough to have shipped; -1 when there is none."""
    quote_day = cal.days[slots[i].day_no]
    skip = draw.between(0, 4)
    for j in range(i + 1, min(len(slots), i + 400)):
        s = slots[j]
        day = cal.days[s.day_no]
        if day > quote_day + THIRTY_DAYS or cal.ages[s.day_no] < 4:
            break
        if s.kind or day == quote_day:
            continue
        if skip:
            skip -= 1
            continue
        return j
    return -1

"""The batches orders sell from: when each was received, whether it is sellable, what is still
available on it, and the product facts an order item carries.

TERP only puts a batch on an order while it is ``LIVE`` and has the quantity available
(``server/ordersDb.ts:412-438``), and a batch exists only from its intake (``lots.date``, the
batch's ``createdAt``: ``server/inventoryIntakeService.ts:262-360``). The orders factory walks
its orders in time order; :meth:`Stock.advance` brings in the batches received by then, so a
line never sells a batch before its intake. Orders still open at the as-of moment (quotes,
drafts, confirmed unshipped sales) take only ``LIVE`` batches and never more than is available
on them at the end: ``onHandQty - quarantineQty - holdQty`` less what other open orders hold
(:meth:`Stock.take_open`). Shipped sales may sell any batch that was once live (since
``SOLD_OUT`` or ``CLOSED`` too): their quantity already left ``onHandQty``.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from terp_seed.factories.base import Gen
from terp_seed.factories.cannabis_data import FLOWER
from terp_seed.factories.draw import Draw, Weighted

STOCK_CAP = 50_000
"""Batches orders sell from, at most: beyond, a uniform sample of them (memory stays flat)."""
SOLD = ("LIVE", "SOLD_OUT", "CLOSED")
"""Statuses of a batch that has been on sale (AWAITING_INTAKE never was; an ON_HOLD or
QUARANTINED one is not sold from while it stays so)."""
POPULAR_WEIGHT = 12.0
"""TERP's popularity skew: the top 20% of batches weighted 12x."""


@dataclass(slots=True)
class StockItem:
    """One batch as an order item sees it. Money in integer ten-thousandths of a dollar."""

    batch_id: int
    product_id: int
    cogs4: int
    """unitCogs in ten-thousandths of a dollar."""
    cogs: Decimal
    cogs_text: str
    """unitCogs as a JSON number (the shortest form, as JSON.stringify writes it)."""
    name: str
    category: str
    json_head: str
    """The item's identity as JSON members: batchId ... originalName."""
    json_tail: str
    """What purchase history reads (strain, category, subcategory, grade), as JSON members."""
    received: datetime
    live: bool
    available: int
    """Quantity open orders may still take, in hundredths of a unit."""


class _Pool:
    """Batches received so far, in two groups: the popular fifth and the others."""

    __slots__ = ("others", "popular")

    def __init__(self) -> None:
        self.popular: list[StockItem] = []
        self.others: list[StockItem] = []

    def pick(self, draw: Draw) -> StockItem | None:
        popular, others = self.popular, self.others
        if not (popular or others):
            return None
        weight = POPULAR_WEIGHT * len(popular)
        if popular and draw.random() * (weight + len(others)) < weight:
            return draw.pick(popular)
        return draw.pick(others)


class Stock:
    """The batches orders sell from, brought in as time passes (:meth:`advance`)."""

    def __init__(self, gen: Gen, draw: Draw) -> None:
        columns = [
            "id",
            "productId",
            "unitCogs",
            "batchStatus",
            "lotId",
            "sku",
            "grade",
            "onHandQty",
            "quarantineQty",
            "holdQty",
            "createdAt",
        ]
        sampled = gen.parents.sample("batches", columns, STOCK_CAP, draw.rng)
        products = {
            r[0]: r[1:]
            for r in gen.parents.by_key(
                "products",
                ["id", "nameCanonical", "category", "subcategory", "strainId"],
                [r[1] for r in sampled],
            )
        }
        strains = dict(gen.parents.rows("strains", ["id", "name"]))
        lot_dates = dict(gen.parents.by_key("lots", ["id", "date"], [r[4] for r in sampled]))
        now = gen.calendar.now
        # A batch factory that dates no batch leaves every createdAt at the seeding moment:
        # then the lot's date (TERP's intake moment) is the batch's receipt alone.
        dated = any(r[10] is not None and r[10] != now for r in sampled)
        items: list[StockItem] = []
        for (
            bid,
            pid,
            cogs,
            status,
            lot_id,
            sku,
            grade,
            on_hand,
            quarantine,
            hold,
            created,
        ) in sampled:
            if pid not in products or status not in SOLD:
                continue
            received = lot_dates.get(lot_id)
            if received is None:
                continue
            if dated and created is not None and created > received:
                received = created
            if received > now:
                continue
            name, category, subcategory, strain_id = products[pid]
            items.append(
                _item(
                    bid,
                    pid,
                    cogs,
                    str(sku or ""),
                    name,
                    category,
                    subcategory,
                    strains.get(strain_id),
                    grade,
                    received,
                    status == "LIVE",
                    _hundredths(on_hand) - _hundredths(quarantine) - _hundredths(hold),
                )
            )
        items.sort(key=lambda s: (s.received, s.batch_id))
        self.items = items
        self.size = len(items)
        self.received = [s.received for s in items]
        popular = set(draw.rng.sample(range(len(items)), max(1, len(items) // 5))) if items else ()
        self._popular = [i in popular for i in range(len(items))]
        self._next = 0
        self.sold = _Pool()
        self.live = _Pool()

    def received_by(self, moment: datetime) -> int:
        """How many batches had been received by ``moment``."""
        return bisect_right(self.received, moment)

    def advance(self, moment: datetime) -> None:
        """Bring in every batch received by ``moment`` (moments must not go back)."""
        items, flags = self.items, self._popular
        while self._next < len(items) and items[self._next].received <= moment:
            item, popular = items[self._next], flags[self._next]
            for pool, wanted in ((self.sold, True), (self.live, item.live)):
                if wanted:
                    (pool.popular if popular else pool.others).append(item)
            self._next += 1

    def pick(self, draw: Draw) -> StockItem | None:
        """A batch sold from by an order that has shipped (or was cancelled or closed)."""
        return self.sold.pick(draw)

    def take_open(
        self, draw: Draw, quantity: Callable[[StockItem], int], tries: int = 6
    ) -> tuple[StockItem, int] | None:
        """A ``LIVE`` batch for an order still open at the end, with the quantity it takes
        (hundredths, at most ``quantity(batch)``, whole units staying whole): what it takes is
        no longer available to other open orders."""
        for _ in range(tries):
            item = self.live.pick(draw)
            if item is None:
                return None
            wanted = quantity(item)
            qty = min(wanted, item.available)
            if wanted % 100 == 0:
                qty -= qty % 100
            if qty >= 50:
                item.available -= qty
                return item, qty
        return None


def _hundredths(value: Any) -> int:
    """A quantity column (decimal) in whole hundredths, rounded down (0 when NULL)."""
    if value is None:
        return 0
    return int(Decimal(str(value)) * 100)


def _item(
    bid: int,
    pid: int,
    cogs: Any,
    sku: str,
    name: str,
    category: str,
    subcategory: str | None,
    strain: str | None,
    grade: str | None,
    received: datetime,
    live: bool,
    available: int,
) -> StockItem:
    value = Decimal(str(cogs or 0))
    name_json = json.dumps(name)
    head = (
        f'"batchId":{bid},"productId":{pid},"displayName":{name_json},'
        f'"originalName":{json.dumps(sku)}'
    )
    tail = (
        f'"strain":{json.dumps(strain)},"category":{json.dumps(category)},'
        f'"subcategory":{json.dumps(subcategory)},"grade":{json.dumps(grade)}'
    )
    return StockItem(
        bid,
        pid,
        int(value * 10_000),
        value,
        repr(int(value * 10_000) / 10_000),  # JSON.stringify's shortest form
        name,
        category,
        head,
        tail,
        received,
        live,
        # open orders leave a fifth of a batch available: a published batch with nothing
        # left would be unpublished as SOLD_OUT by TERP's catalogue sync
        # (server/services/catalogPublishingService.ts:470-500)
        max(0, available - available // 5),
    )


def line_quantity(draw: Draw, category: str) -> int:
    """A line's quantity in hundredths: flower in pounds (two decimals), else whole units."""
    rnd = draw.random
    if category == FLOWER:
        low, high = _FLOWER_QTY(draw)
        return max(50, round((low + (high - low) * rnd()) * 100))
    low_units, high_units = _UNIT_QTY(draw)
    return (low_units + int(rnd() * (high_units - low_units + 1))) * 100


# Quantity buckets (low, high) with TERP's weights: flower in lb, other goods in units.
_FLOWER_QTY = Weighted([(0.5, 2.0), (2.0, 5.0), (5.0, 10.0), (10.0, 20.0)], [10, 70, 15, 5])
_UNIT_QTY = Weighted([(1, 10), (10, 30), (30, 60), (60, 100)], [10, 60, 20, 10])

"""The batches the orders factory sells from, picked with TERP's popularity skew."""

from __future__ import annotations

import json
from decimal import Decimal

from terp_seed.factories.base import Gen
from terp_seed.factories.draw import Draw

STOCK_CAP = 50_000
"""Batches orders sell from, at most: beyond, a uniform sample of them (memory stays flat)."""

# (batch id, product id, unit cogs in ten-thousandths, unit cogs as stored, its text, name,
# name as a JSON string, category)
StockItem = tuple[int, int, int, Decimal, str, str, str, str]


class Stock:
    """The batches orders sell from, with TERP's Pareto popularity (top 20% weighted 12x).

    A pick is O(1): first the popular or the other group (by their total weight), then a
    batch within it, uniformly, which is the same distribution as a 12:1 weighted choice.
    """

    def __init__(self, gen: Gen, draw: Draw) -> None:
        sampled = gen.parents.sample(
            "batches", ["id", "productId", "unitCogs", "batchStatus"], STOCK_CAP, draw.rng
        )
        products = {
            pid: (name, cat)
            for pid, name, cat in gen.parents.by_key(
                "products", ["id", "nameCanonical", "category"], [r[1] for r in sampled]
            )
        }
        rows = [r for r in sampled if r[1] in products]
        live = [r for r in rows if r[3] in ("LIVE", "SOLD_OUT", "CLOSED")] or rows
        batches = [_stock_item(bid, pid, cogs, *products[pid]) for bid, pid, cogs, _ in live]
        self.size = len(batches)
        top = max(1, len(batches) // 5)
        order = draw.rng.sample(range(len(batches)), len(batches))
        self.popular = [batches[i] for i in order[:top]]
        self.others = [batches[i] for i in order[top:]]
        weight = 12.0 * len(self.popular)
        self.p_popular = weight / (weight + len(self.others)) if batches else 1.0

    def pick(self, draw: Draw) -> StockItem:
        group = self.popular if not self.others or draw.random() < self.p_popular else self.others
        return draw.pick(group)


def _stock_item(bid: int, pid: int, cogs: object, name: str, category: str) -> StockItem:
    value = Decimal(str(cogs or 0))
    return (bid, pid, int(value * 10_000), value, str(value), name, json.dumps(name), category)

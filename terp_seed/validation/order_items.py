"""The checks of ``orders.items``, parsed as TERP's TypeScript reads it (``JSON.parse``).

Four rules read each order's items (their types, their completeness and money, and the two
order-versus-lines rules); they share one scan (:func:`queries.order_lines_check`) and each
order's text is parsed and checked once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from terp_seed.schema import metadata
from terp_seed.validation.queries import Seeded

NUMBER_FIELDS = (
    "quantity",
    "unitPrice",
    "unitCogs",
    "originalCogsPerUnit",
    "unitMargin",
    "marginPercent",
    "lineTotal",
    "lineCogs",
    "lineMargin",
    "price",
)
REQUIRED_FIELDS = (
    "batchId",
    "displayName",
    "originalName",
    "quantity",
    "unitPrice",
    "isSample",
    "unitCogs",
    "unitMargin",
    "marginPercent",
    "lineTotal",
    "lineCogs",
    "lineMargin",
)


_NUMBER_TYPES = frozenset({int, float})  # JSON numbers; ``bool`` is neither (``type`` is exact)


def parse_items(raw: Any) -> list[dict[str, Any]] | None:
    """``orders.items`` as TERP's ``JSON.parse`` reads it: a list of objects, or None when it is
    not one. Several rules check each order's items in one pass; the text is parsed once
    (the last few parses are kept; callers must not change what they get)."""
    if isinstance(raw, bytes):
        raw = raw.decode()
    return _parsed(raw) if isinstance(raw, str) else _as_items(raw)


@lru_cache(maxsize=4)
def _parsed(raw: str) -> list[dict[str, Any]] | None:
    try:
        return _as_items(json.loads(raw))
    except ValueError:
        return None


def _as_items(items: Any) -> list[dict[str, Any]] | None:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return None
    return items


def items_types_broken(row: Sequence[Any]) -> bool:
    """True when TERP's raw readers of ``orders.items`` would misread it: a numeric field
    held as a string (``sum + item.lineTotal`` concatenates, ``item.quantity.toFixed`` throws),
    a non-numeric ``batchId`` (dropped by ``typeof batchId === "number"``), a non-boolean
    ``isSample``. The row is ``(id, items, subtotal)``."""
    return _findings(row[1], row[2])[0]


def items_incomplete(row: Sequence[Any]) -> bool:
    """True when an order's items lack what ``createOrder`` writes, or their money does not add
    up as it computes it: ``lineTotal = quantity x unitPrice``, ``unitMargin = unitPrice -
    unitCogs`` (per unit), ``lineCogs = quantity x unitCogs``, ``lineMargin = lineTotal -
    lineCogs``, ``subtotal`` = the sum of ``lineTotal``. The row is ``(id, items, subtotal)``."""
    broken, incomplete = _findings(row[1], row[2])
    return broken or incomplete


def _findings(raw: Any, subtotal: Any) -> tuple[bool, bool]:
    """``(types broken, incomplete)`` for one order, worked out once for both rules."""
    key = raw.decode() if isinstance(raw, bytes) else raw
    if isinstance(key, str):
        return _cached_findings(key, subtotal)
    return _item_findings(parse_items(raw), subtotal)


@lru_cache(maxsize=4)
def _cached_findings(raw: str, subtotal: Any) -> tuple[bool, bool]:
    return _item_findings(_parsed(raw), subtotal)


def _item_findings(items: list[dict[str, Any]] | None, subtotal: Any) -> tuple[bool, bool]:
    if items is None:
        return True, True
    numbers = _NUMBER_TYPES
    for item in items:
        if type(item.get("batchId")) is not int:
            return True, True
        if type(item.get("quantity")) not in numbers or type(item.get("unitPrice")) not in numbers:
            return True, True
        for k in NUMBER_FIELDS:
            if k in item and type(item[k]) not in numbers:
                return True, True
        if "isSample" in item and type(item["isSample"]) is not bool:
            return True, True
    return False, _incomplete(items, subtotal)


def _incomplete(items: list[dict[str, Any]], subtotal: Any) -> bool:
    total = 0.0
    for item in items:
        if any(k not in item for k in REQUIRED_FIELDS):
            return True
        if not isinstance(item["displayName"], str) or not isinstance(item["originalName"], str):
            return True
        qty, price, cogs = item["quantity"], item["unitPrice"], item["unitCogs"]
        line_total, line_cogs = item["lineTotal"], item["lineCogs"]
        if abs(line_total - qty * price) > 0.0051 or abs(line_cogs - qty * cogs) > 0.0001:
            return True
        if abs(item["unitMargin"] - (price - cogs)) > 0.0001:
            return True
        if abs(item["lineMargin"] - (line_total - line_cogs)) > 0.0001:
            return True
        total += line_total
    return subtotal is not None and abs(float(subtotal) - total) > 0.0051 + 0.01 * len(items)


def items_query(scope: Seeded | None) -> sa.Select[Any]:
    o = metadata.tables["orders"]
    query = sa.select(o.c.id, sa.type_coerce(o.c["items"], sa.Text), o.c.subtotal)
    return query if scope is None else query.where(scope.keys("orders", o.c.id))

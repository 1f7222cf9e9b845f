"""Parent rows that row-local rules read, joined once per scan instead of once per rule.

A rule about an order line often reads its order, its batch and the batch's lot (sold before
the lot was received, held by an open order on a batch that is not LIVE). Written as one
``EXISTS`` each, a scan of the lines looks every parent up again for every rule; written
against the aliases here, the scan (:func:`joined`) left-joins each parent once, by primary key,
and every rule reads the same joined row. A missing parent joins as NULLs, which no condition
counts as broken: the foreign-key rule names the missing parent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.selectable import NamedFromClause
from sqlalchemy.sql.visitors import iterate

from terp_seed.schema import metadata


@dataclass(frozen=True)
class Lookup:
    """A parent table joined to ``child``'s rows: ``alias.id = on`` (``on`` a column of the
    child or of an earlier lookup)."""

    child: str
    column: str
    alias: NamedFromClause
    on: sa.ColumnElement[Any]


def _lookup(
    child: str, column: str, parent: str, name: str, on: sa.ColumnElement[Any] | None = None
) -> Lookup:
    alias = metadata.tables[parent].alias(name)
    ref = on if on is not None else metadata.tables[child].c[column]
    return Lookup(child, column, alias, ref)


LINE_ORDER = _lookup("order_line_items", "order_id", "orders", "line_order")
LINE_BATCH = _lookup("order_line_items", "batch_id", "batches", "line_batch")
LINE_LOT = _lookup("order_line_items", "", "lots", "line_lot", on=LINE_BATCH.alias.c.lotId)
ORDER_INVOICE = _lookup("orders", "invoice_id", "invoices", "order_invoice")
INVOICE_ORDER = _lookup("invoices", "referenceId", "orders", "invoice_order")
"""The order an invoice's ``referenceId`` names (rules check ``referenceType`` themselves)."""
LOOKUPS: dict[str, tuple[Lookup, ...]] = {
    "order_line_items": (LINE_ORDER, LINE_BATCH, LINE_LOT),
    "orders": (ORDER_INVOICE,),
    "invoices": (INVOICE_ORDER,),
}
"""Per table, its lookups in join order (a lookup may join on an earlier one's column)."""


def for_reference(child: str, column: str) -> Lookup | None:
    """The lookup of the parent that ``child.column`` names, when there is one."""
    return next((lk for lk in LOOKUPS.get(child, ()) if lk.column == column), None)


def joined(table: str, conditions: Sequence[sa.ColumnElement[bool]]) -> Any:
    """``table`` left-joined to every lookup ``conditions`` read (and those they join on)."""
    t = metadata.tables[table]
    chain = LOOKUPS.get(table, ())
    used = {id(getattr(e, "table", None)) for c in conditions for e in iterate(c)}
    needed = {id(lk.alias) for lk in chain if id(lk.alias) in used}
    for lk in reversed(chain):  # a needed lookup needs the one its join column comes from
        if id(lk.alias) in needed:
            needed.add(id(getattr(lk.on, "table", None)))
    source: Any = t
    for lk in chain:
        if id(lk.alias) in needed:
            source = source.outerjoin(lk.alias, lk.alias.c.id == lk.on)
    return source

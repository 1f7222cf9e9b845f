"""Rules for the columns TERP derives from other rows (kept by :mod:`terp_seed.seeding.derive`
for seeded rows): a batch's reservation and a client's balance and sales totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from terp_seed.schema import metadata
from terp_seed.validation.queries import HALF_CENT, Seeded, _parents
from terp_seed.validation.rule import Rule

# Fulfilment states of a confirmed sale whose stock is reserved but has not left the batch.
OPEN_FULFILMENT = ("CONFIRMED", "READY_FOR_PACKING", "PENDING", "PACKED")
# Invoice states that no longer count toward what a client owes.
SETTLED_INVOICE = ("PAID", "VOID")
_QTY_TOLERANCE = Decimal("0.00005")


def _live_sale(o: Any) -> sa.ColumnElement[bool]:
    return sa.and_(
        o.c.orderType == "SALE",
        o.c.is_draft.is_(False),
        o.c.deleted_at.is_(None),
        sa.or_(o.c.saleStatus.is_(None), o.c.saleStatus != "CANCELLED"),
    )


def reserved_equals_open_sales(scope: Seeded | None) -> sa.Select[Any]:
    """Batches whose reservedQty is not the quantity their confirmed, unshipped sales hold."""
    o = metadata.tables["orders"].alias("o")
    li = metadata.tables["order_line_items"].alias("li")
    held = (
        sa.select(li.c.batch_id.label("batch_id"), sa.func.sum(li.c.quantity).label("held"))
        .join(o, o.c.id == li.c.order_id)
        .where(_live_sale(o), o.c.fulfillmentStatus.in_(OPEN_FULFILMENT), li.c.is_sample.is_(False))
        .group_by(li.c.batch_id)
        .subquery("held")
    )
    b, q = _parents("batches", "order_line_items", "batch_id", scope)
    return q.outerjoin(held, held.c.batch_id == b.c.id).where(
        b.c.deleted_at.is_(None),
        sa.func.abs(b.c.reservedQty - sa.func.coalesce(held.c.held, 0)) > _QTY_TOLERANCE,
    )


def owed_equals_open_invoices(scope: Seeded | None) -> sa.Select[Any]:
    """Clients whose total_owed is off by more than a cent from what their open invoices owe."""
    inv = metadata.tables["invoices"].alias("inv")
    owed = (
        sa.select(inv.c.customerId.label("client_id"), sa.func.sum(inv.c.amountDue).label("due"))
        .where(inv.c.status.not_in(SETTLED_INVOICE), inv.c.deleted_at.is_(None))
        .group_by(inv.c.customerId)
        .subquery("owed")
    )
    c, q = _parents("clients", "invoices", "customerId", scope)
    return q.outerjoin(owed, owed.c.client_id == c.c.id).where(
        c.c.deleted_at.is_(None),
        sa.func.abs(c.c.total_owed - sa.func.coalesce(owed.c.due, 0)) > Decimal("0.01"),
    )


def spent_equals_sales(scope: Seeded | None) -> sa.Select[Any]:
    """Clients whose total_spent or total_profit is not the sum over their sales."""
    o = metadata.tables["orders"].alias("o")
    sold = (
        sa.select(
            o.c.client_id.label("client_id"),
            sa.func.sum(o.c.total).label("spent"),
            sa.func.sum(o.c.total_margin).label("profit"),
        )
        .where(_live_sale(o))
        .group_by(o.c.client_id)
        .subquery("sold")
    )
    c, q = _parents("clients", "orders", "client_id", scope)
    return q.outerjoin(sold, sold.c.client_id == c.c.id).where(
        c.c.deleted_at.is_(None),
        sa.or_(
            sa.func.abs(c.c.total_spent - sa.func.coalesce(sold.c.spent, 0)) > HALF_CENT,
            sa.func.abs(c.c.total_profit - sa.func.coalesce(sold.c.profit, 0)) > HALF_CENT,
        ),
    )


RULES: list[Rule] = [
    Rule(
        "reserved-equals-open-sales:batches",
        "batches",
        "a batch's reservedQty is the quantity of the non-sample lines of its confirmed (not "
        "draft), not cancelled sales that have not shipped: confirming reserves, shipping and "
        "cancelling release",
        reserved_equals_open_sales,
        also=("order_line_items", "orders"),
        source="server/ordersDb.ts:592-655, 2390-2425, 1097-1175",
    ),
    Rule(
        "owed-equals-open-invoices:clients",
        "clients",
        "a client's total_owed is what its invoices that are neither PAID nor VOID still owe "
        "(TERP's nightly AR reconciliation flags a difference over a cent)",
        owed_equals_open_invoices,
        also=("invoices",),
        source="server/services/clientBalanceService.ts:36-54, "
        "server/cron/arReconciliationCheck.ts:57-62",
    ),
    Rule(
        "spent-equals-sales:clients",
        "clients",
        "a client's total_spent and total_profit are the totals and margins of its sales "
        "(not drafts, not cancelled)",
        spent_equals_sales,
        also=("orders",),
        source="scripts/generate-derived-data.ts:300-355",
    ),
]

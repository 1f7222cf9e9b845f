"""The queries behind TERP's sales rules (:mod:`terp_seed.validation.terp_sales`).

Row-local conditions (``*_condition``) are checked by the runner in one scan per table; the
checks of ``orders.items`` are in :mod:`terp_seed.validation.order_items`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from terp_seed.schema import metadata
from terp_seed.validation.joins import (
    INVOICE_ORDER,
    LINE_BATCH,
    LINE_LOT,
    LINE_ORDER,
    ORDER_INVOICE,
)
from terp_seed.validation.queries import Seeded

CENT_TOLERANCE = Decimal("0.0051")
OPEN_FULFILMENT = ("READY_FOR_PACKING", "PACKED", "CONFIRMED", "PENDING")
"""A confirmed sale not shipped yet: it holds (reserves) its batches' stock."""
SHIPPED_FULFILMENT = ("SHIPPED", "DELIVERED", "RETURNED", "RESTOCKED", "RETURNED_TO_VENDOR")
OPEN_QUOTE = ("UNSENT", "SENT", "VIEWED")


def _t(name: str) -> sa.Table:
    return metadata.tables[name]


def _scoped(query: sa.Select[Any], table: sa.Table, scope: Seeded | None) -> sa.Select[Any]:
    return query if scope is None else query.where(scope.keys(table.name, table.c.id))


# -- order_line_items ---------------------------------------------------------------------------


def margin_dollar_condition() -> sa.ColumnElement[bool]:
    li = _t("order_line_items")
    unit = li.c.unit_price - li.c.cogs_per_unit
    return sa.func.abs(li.c.margin_dollar - unit) > CENT_TOLERANCE


def margin_percent_condition() -> sa.ColumnElement[bool]:
    li = _t("order_line_items")
    exact = (li.c.unit_price - li.c.cogs_per_unit) * 100 / li.c.unit_price
    return sa.and_(li.c.unit_price > 0, sa.func.abs(li.c.margin_percent - exact) > CENT_TOLERANCE)


def line_with_order_condition() -> sa.ColumnElement[bool]:
    li, o = _t("order_line_items"), LINE_ORDER.alias
    differs = sa.or_(
        li.c.created_at < o.c.created_at,
        sa.func.date(li.c.created_at) != sa.func.date(o.c.created_at),
    )
    return sa.and_(o.c.created_at.is_not(None), differs)


def sold_before_condition(received: str) -> sa.ColumnElement[bool]:
    o, b, lot = LINE_ORDER.alias, LINE_BATCH.alias, LINE_LOT.alias
    later = lot.c.date if received == "lot" else b.c.createdAt
    return sa.and_(later > o.c.created_at)


def _open_order(o: Any) -> sa.ColumnElement[bool]:
    """An order that still holds stock: an open quote, a draft, a confirmed unshipped sale."""
    open_quote = sa.and_(
        o.c.orderType == "QUOTE",
        sa.or_(o.c.quoteStatus.is_(None), o.c.quoteStatus.in_(OPEN_QUOTE)),
    )
    draft_sale = sa.and_(o.c.orderType == "SALE", o.c.is_draft == sa.true())
    return sa.and_(o.c.deleted_at.is_(None), sa.or_(open_quote, draft_sale, _unshipped_sale(o)))


def _unshipped_sale(o: Any) -> sa.ColumnElement[bool]:
    return sa.and_(
        o.c.orderType == "SALE",
        o.c.is_draft == sa.false(),
        o.c.deleted_at.is_(None),
        sa.or_(o.c.saleStatus.is_(None), o.c.saleStatus != "CANCELLED"),
        sa.or_(o.c.fulfillmentStatus.is_(None), o.c.fulfillmentStatus.in_(OPEN_FULFILMENT)),
    )


def open_on_unsellable_condition() -> sa.ColumnElement[bool]:
    o, b = LINE_ORDER.alias, LINE_BATCH.alias
    return sa.and_(o.c.id.is_not(None), _open_order(o), b.c.batchStatus != "LIVE")


def open_beyond_available(scope: Seeded | None) -> sa.Select[Any]:
    """Batches whose confirmed unshipped sales hold more than is available on them."""
    li, o, b = _t("order_line_items"), _t("orders"), _t("batches")
    held = (
        sa.select(li.c.batch_id.label("batch_id"), sa.func.sum(li.c.quantity).label("held"))
        .join(o, o.c.id == li.c.order_id)
        .where(_unshipped_sale(o), li.c.is_sample == sa.false())
        .group_by(li.c.batch_id)
        .subquery("held")
    )
    available = b.c.onHandQty - b.c.quarantineQty - b.c.holdQty
    q = sa.select(b.c.id).join(held, held.c.batch_id == b.c.id).where(held.c.held > available)
    return _scoped(q, b, scope)


# -- orders -------------------------------------------------------------------------------------


def quote_shape_condition() -> sa.ColumnElement[bool]:
    o = _t("orders")
    return sa.and_(
        o.c.orderType == "QUOTE",
        sa.or_(
            o.c.paymentTerms.is_(None),
            o.c.saleStatus.is_not(None),
            o.c.invoice_id.is_not(None),
            o.c.due_date.is_not(None),
            o.c.confirmed_at.is_not(None),
            o.c.shipped_at.is_not(None),
            o.c.valid_until.is_(None),
        ),
    )


def deleted_quote_condition() -> sa.ColumnElement[bool]:
    o = _t("orders")
    return sa.and_(
        o.c.orderType == "QUOTE",
        o.c.deleted_at.is_not(None),
        sa.or_(o.c.quoteStatus.is_(None), o.c.quoteStatus != "REJECTED"),
    )


def conversion_condition() -> sa.ColumnElement[bool]:
    o, other = _t("orders"), _t("orders").alias("other")
    converted_quote = sa.and_(o.c.orderType == "QUOTE", o.c.quoteStatus == "CONVERTED")
    has_sale = sa.exists().where(
        other.c.converted_from_order_id == o.c.id, other.c.orderType == "SALE"
    )
    from_quote = sa.exists().where(
        other.c.id == o.c.converted_from_order_id,
        other.c.orderType == "QUOTE",
        other.c.quoteStatus == "CONVERTED",
        other.c.client_id == o.c.client_id,
    )
    return sa.or_(
        sa.and_(converted_quote, sa.or_(o.c.converted_at.is_(None), ~has_sale)),
        sa.and_(o.c.converted_from_order_id.is_not(None), ~from_quote),
    )


def invoice_at_shipment_condition() -> sa.ColumnElement[bool]:
    o = _t("orders")
    sale = sa.and_(o.c.orderType == "SALE", o.c.is_draft == sa.false(), o.c.deleted_at.is_(None))
    not_cancelled = sa.or_(o.c.saleStatus.is_(None), o.c.saleStatus != "CANCELLED")
    shipped_not_invoiced = sa.and_(
        o.c.shipped_at.is_not(None), not_cancelled, o.c.invoice_id.is_(None)
    )
    unshipped = sa.and_(
        o.c.shipped_at.is_(None),
        sa.or_(
            o.c.invoice_id.is_not(None),
            sa.and_(
                sa.func.coalesce(o.c.cash_payment, 0) == 0,
                o.c.saleStatus.not_in(("PENDING", "CANCELLED")),
            ),
        ),
    )
    return sa.and_(sale, sa.or_(shipped_not_invoiced, unshipped))


def shipment_dates_condition() -> sa.ColumnElement[bool]:
    o = _t("orders")
    return sa.or_(
        sa.and_(o.c.fulfillmentStatus.in_(SHIPPED_FULFILMENT), o.c.shipped_at.is_(None)),
        o.c.shipped_at < o.c.created_at,
        o.c.packed_at < o.c.created_at,
        o.c.packed_at > o.c.shipped_at,
        o.c.confirmed_at < o.c.created_at,
    )


_SALE_STATUS_OF = {"PAID": "PAID", "PARTIAL": "PARTIAL", "OVERDUE": "OVERDUE"}


def sale_status_mirrors_invoice_condition() -> sa.ColumnElement[bool]:
    o, i = _t("orders"), ORDER_INVOICE.alias
    mapped = sa.case(*((i.c.status == k, v) for k, v in _SALE_STATUS_OF.items()), else_="PENDING")
    wrong = sa.or_(
        sa.and_(o.c.saleStatus == "CANCELLED", i.c.status != "VOID"),
        sa.and_(
            sa.or_(o.c.saleStatus.is_(None), o.c.saleStatus != "CANCELLED"),
            sa.or_(o.c.saleStatus.is_(None), o.c.saleStatus != mapped),
        ),
    )
    return sa.and_(o.c.orderType == "SALE", i.c.id.is_not(None), wrong)


# -- invoices and payments ----------------------------------------------------------------------


def invoice_from_order_condition() -> sa.ColumnElement[bool]:
    i, o = _t("invoices"), INVOICE_ORDER.alias
    li = _t("order_line_items").alias("li")
    no_samples = ~sa.exists().where(li.c.order_id == o.c.id, li.c.is_sample == sa.true())
    wrong = sa.or_(
        sa.func.coalesce(o.c.invoice_id, 0) != i.c.id,
        o.c.client_id != i.c.customerId,
        o.c.shipped_at.is_(None),
        sa.func.date(o.c.shipped_at) != i.c.invoiceDate,
        sa.and_(o.c.due_date.is_not(None), o.c.due_date != i.c.dueDate),
        sa.and_(no_samples, sa.func.abs(o.c.total - i.c.totalAmount) > CENT_TOLERANCE),
    )
    # broken unless the order it names exists and ``wrong`` is false (NULL counts as broken)
    return sa.and_(
        i.c.referenceType.in_(("ORDER", "SALE")),
        i.c.referenceId.is_not(None),
        sa.or_(o.c.id.is_(None), sa.case((~wrong, 0), else_=1) == 1),
    )


def invoice_status_condition() -> sa.ColumnElement[bool]:
    i = _t("invoices")
    return sa.or_(
        sa.and_(i.c.status == "PAID", i.c.amountDue > CENT_TOLERANCE),
        sa.and_(i.c.status.in_(("DRAFT", "SENT", "VIEWED")), i.c.amountPaid > 0),
        sa.and_(
            i.c.status == "PARTIAL", sa.or_(i.c.amountPaid <= 0, i.c.amountDue <= CENT_TOLERANCE)
        ),
        sa.and_(i.c.status == "OVERDUE", i.c.amountDue <= CENT_TOLERANCE),
    )


def paid_before_invoice_condition() -> sa.ColumnElement[bool]:
    p, i = _t("payments"), _t("invoices").alias("i")
    return sa.exists().where(i.c.id == p.c.invoiceId, p.c.paymentDate < i.c.invoiceDate)


def reconciled_undated_condition() -> sa.ColumnElement[bool]:
    p = _t("payments")
    return sa.and_(p.c.isReconciled == sa.true(), p.c.reconciledAt.is_(None))


# -- bills --------------------------------------------------------------------------------------


def bill_not_to_supplier_condition() -> sa.ColumnElement[bool]:
    b, c = _t("bills"), _t("clients").alias("c")
    return ~sa.exists().where(c.c.id == b.c.vendorId, c.c.is_seller == sa.true())


def bill_status_condition() -> sa.ColumnElement[bool]:
    b = _t("bills")
    return sa.or_(
        sa.func.abs(b.c.amountDue - (b.c.totalAmount - b.c.amountPaid)) > CENT_TOLERANCE,
        sa.and_(b.c.status == "PAID", b.c.amountDue > CENT_TOLERANCE),
        sa.and_(b.c.status.in_(("DRAFT", "PENDING", "APPROVED")), b.c.amountPaid > 0),
        sa.and_(
            b.c.status == "PARTIAL", sa.or_(b.c.amountPaid <= 0, b.c.amountDue <= CENT_TOLERANCE)
        ),
    )


def bill_paid_off(scope: Seeded | None) -> sa.Select[Any]:
    """Bills whose amountPaid is not the sum of their (SENT) payments."""
    b, p = _t("bills"), _t("payments")
    paid = (
        sa.select(p.c.billId.label("bill_id"), sa.func.sum(p.c.amount).label("paid"))
        .where(p.c.billId.is_not(None), p.c.deleted_at.is_(None))
        .group_by(p.c.billId)
        .subquery("paid")
    )
    off = sa.func.abs(b.c.amountPaid - sa.func.coalesce(paid.c.paid, 0)) > CENT_TOLERANCE
    q = sa.select(b.c.id).outerjoin(paid, paid.c.bill_id == b.c.id).where(off)
    return _scoped(q, b, scope)

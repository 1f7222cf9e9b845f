"""Rules TERP's own code relies on for sales data: orders (quotes and sales), their line items,
invoices, payments and bills.

Each rule names where in TERP's server code (EvanTenenbaum/TERP at b2e16915) the rule comes
from: the code that writes the rows that way, or reads them assuming so. Rules relative to the
day of use (quote expiry, overdue invoices) are not here: TERP's daily jobs move those, and
``terp-seed validate`` runs on any day; ``tests/test_terp_sales.py`` checks them against the
seed's as-of day. The queries and checks are in :mod:`terp_seed.validation.terp_sales_checks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Final

from terp_seed.validation import order_items as oi
from terp_seed.validation import queries as q
from terp_seed.validation import terp_sales_checks as c
from terp_seed.validation.rule import Batch, Rule, row_rule


def _rule(name: str, table: str, description: str, condition: Any, source: str, *also: str) -> Rule:
    rule = row_rule(name, table, description, condition)
    return replace(rule, source=source, also=also)


def _items_row(row: Sequence[Any]) -> tuple[Any, Any, Any]:
    """``(id, items, subtotal)`` from a row of :func:`queries.order_lines_check`, which the
    order-versus-lines rules share: one pass over the orders checks them all."""
    return row[0], row[1], row[6]


RULES: Final[list[Rule]] = [
    Rule(
        "items-json-types:orders",
        "orders",
        "orders.items holds JSON numbers for quantities and money, a numeric batchId and a "
        "boolean isSample: TERP's ship path sums item.lineTotal and calls item.quantity.toFixed "
        "on the raw JSON (a string concatenates or throws)",
        oi.items_query,
        check=oi.items_types_broken,
        batch=Batch(q.order_lines_check, lambda row: oi.items_types_broken(_items_row(row))),
        source="server/ordersDb.ts:2123-2186; server/services/orderAccountingService.ts:119-134",
    ),
    Rule(
        "items-json-complete:orders",
        "orders",
        "each orders.items element has what createOrder writes (originalName, isSample, "
        "unitCogs, per-unit unitMargin, lineTotal, lineCogs, lineMargin) and its money adds up "
        "as createOrder computes it; subtotal is the sum of lineTotal",
        oi.items_query,
        check=oi.items_incomplete,
        batch=Batch(q.order_lines_check, lambda row: oi.items_incomplete(_items_row(row))),
        source="server/ordersDb.ts:53-92,487-532",
    ),
    _rule(
        "margin-dollar-per-unit:order_line_items",
        "order_line_items",
        "order_line_items.margin_dollar is the per-unit margin, unit_price - cogs_per_unit "
        "(TERP writes item.unitMargin.toFixed(2))",
        c.margin_dollar_condition,
        "server/ordersDb.ts:178",
    ),
    _rule(
        "margin-percent-from-price:order_line_items",
        "order_line_items",
        "order_line_items.margin_percent is (unit_price - cogs_per_unit) / unit_price x 100 "
        "of the stored unit price, to the cent",
        c.margin_percent_condition,
        "server/ordersDb.ts:177,453-456; server/services/marginCalculationService.ts:105-114",
    ),
    _rule(
        "line-written-with-order:order_line_items",
        "order_line_items",
        "a line item is written in its order's transaction: created the same day as the order, "
        "never before it",
        c.line_with_order_condition,
        "server/ordersDb.ts:667; server/routers/orders.ts:1340-1372",
        "orders",
    ),
    _rule(
        "sold-after-lot-intake:order_line_items",
        "order_line_items",
        "a line sells a batch whose lot was received (lots.date, the intake moment) no later "
        "than the order was created",
        lambda: c.sold_before_condition("lot"),
        "server/inventoryIntakeService.ts:262-269; server/ordersDb.ts:412-423",
        "orders",
        "batches",
        "lots",
    ),
    _rule(
        "sold-after-batch-created:order_line_items",
        "order_line_items",
        "a line sells a batch created (batches.createdAt, its intake) no later than the order",
        lambda: c.sold_before_condition("batch"),
        "server/inventoryIntakeService.ts:325-360; server/ordersDb.ts:412-423",
        "orders",
        "batches",
    ),
    _rule(
        "open-order-on-live-batch:order_line_items",
        "order_line_items",
        "an open quote, a draft or a confirmed unshipped sale holds only LIVE batches "
        "(createOrder refuses any other status)",
        c.open_on_unsellable_condition,
        "server/ordersDb.ts:412-423; server/constants/batchStatuses.ts:34-36",
        "orders",
        "batches",
    ),
    Rule(
        "open-within-available:batches",
        "batches",
        "the confirmed unshipped sales on a batch hold no more than is available on it "
        "(onHandQty - quarantineQty - holdQty): TERP confirms a line only when available",
        c.open_beyond_available,
        also=("order_line_items", "orders"),
        source="server/inventoryUtils.ts:18-26; server/ordersDb.ts:425-438,648-655",
    ),
    _rule(
        "quote-shape:orders",
        "orders",
        "a quote carries paymentTerms and valid_until but no sale status, due date, "
        "confirmation, shipment or invoice",
        c.quote_shape_condition,
        "server/ordersDb.ts:533-575; server/routers/orders.ts:1303-1333",
    ),
    _rule(
        "deleted-quote-rejected:orders",
        "orders",
        "a soft-deleted quote has quoteStatus REJECTED (deleteOrder on a quote)",
        c.deleted_quote_condition,
        "server/ordersDb.ts:1197-1206",
    ),
    _rule(
        "quote-conversion:orders",
        "orders",
        "a CONVERTED quote has converted_at and its sale (converted_from_order_id); a sale "
        "converted from a quote names a CONVERTED quote of the same client",
        c.conversion_condition,
        "server/ordersDb.ts:1274-1302,1379-1386",
    ),
    _rule(
        "invoiced-at-shipment:orders",
        "orders",
        "a confirmed sale has an invoice exactly when it has shipped (and is not cancelled); "
        "an unshipped sale is PENDING (or CANCELLED) unless paid in cash",
        c.invoice_at_shipment_condition,
        "server/ordersDb.ts:656-665,2170-2201",
    ),
    _rule(
        "shipment-dates:orders",
        "orders",
        "a shipped, delivered or returned order has shipped_at; confirmation, packing and "
        "shipment come in that order, after creation",
        c.shipment_dates_condition,
        "server/ordersDb.ts:2114-2121; server/routers/pickPack.ts:1049-1056",
    ),
    _rule(
        "sale-status-mirrors-invoice:orders",
        "orders",
        "a sale's saleStatus follows its invoice: PAID, PARTIAL, OVERDUE as the invoice, else "
        "PENDING; a CANCELLED sale's invoice is VOID",
        c.sale_status_mirrors_invoice_condition,
        "server/routers/payments.ts:122-153; server/ordersDb.ts:1090-1187",
        "invoices",
    ),
    _rule(
        "invoice-from-order:invoices",
        "invoices",
        "an order's invoice is the one createInvoiceFromOrder writes at shipment: the order's "
        "client and invoice_id, invoiceDate = the ship day, dueDate = the order's due_date, "
        "total = the order's total",
        c.invoice_from_order_condition,
        "server/services/orderAccountingService.ts:79-116; server/ordersDb.ts:2180-2201",
        "orders",
    ),
    _rule(
        "invoice-status-matches-amounts:invoices",
        "invoices",
        "an invoice's status agrees with its amounts: PAID owes nothing, SENT/VIEWED/DRAFT have "
        "no payment, PARTIAL is paid in part, OVERDUE still owes",
        c.invoice_status_condition,
        "server/routers/payments.ts:340-425; server/arApDb.ts:240-296; "
        "server/routers/invoices.ts:99-117",
    ),
    _rule(
        "paid-after-invoiced:payments",
        "payments",
        "a payment on an invoice is dated on or after the invoice date",
        c.paid_before_invoice_condition,
        "server/services/orderAccountingService.ts:79; server/routers/payments.ts:300-400",
        "invoices",
    ),
    _rule(
        "reconciled-has-date:payments",
        "payments",
        "a reconciled payment has reconciledAt (the reconciliation dashboard reads it)",
        c.reconciled_undated_condition,
        "server/routers/accounting.ts:600-612",
    ),
    _rule(
        "bill-owed-to-supplier:bills",
        "bills",
        "bills.vendorId is a supplier's client id (clients.is_seller): TERP names a bill's "
        "supplier by clients.id first and pays it to a seller client",
        c.bill_not_to_supplier_condition,
        "server/vendorDisplay.ts:25-70; server/routers/accounting.ts:1995-2030",
        "clients",
    ),
    _rule(
        "bill-status-matches-amounts:bills",
        "bills",
        "a bill's amountDue is totalAmount - amountPaid and its status agrees: PAID owes "
        "nothing, DRAFT/PENDING/APPROVED have no payment, PARTIAL is paid in part",
        c.bill_status_condition,
        "server/arApDb.ts:598-622,671-718; server/services/billStateMachine.ts:27-80",
    ),
    Rule(
        "bill-paid-equals-payments:bills",
        "bills",
        "a bill's amountPaid is the sum of the payments made on it",
        c.bill_paid_off,
        also=("payments",),
        source="server/arApDb.ts:671-718",
    ),
]
"""The sales rules, in the order they report (the lead wires them into ``rules.RULES``)."""

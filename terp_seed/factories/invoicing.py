"""Invoices and the payments against them, as TERP writes them when a sale ships.

TERP creates a sale's invoice at shipment (``createInvoiceFromOrder``,
``server/services/orderAccountingService.ts:59-116``, called from ``updateOrderStatus`` SHIPPED,
``server/ordersDb.ts:2170-2201``): ``invoiceDate`` is the ship moment, ``dueDate`` the order's
``dueDate`` (confirm day + terms days), amounts the sum of the non-sample line totals,
``status`` SENT, ``paymentTerms`` not written, ``referenceType`` ORDER. Payments come on or
after the invoice date and by the as-of day; afterwards the invoice is PAID (nothing due),
OVERDUE (past due, paid in part or not: ``server/routers/invoices.ts:99-117``), PARTIAL, or
SENT/VIEWED; the sale's ``saleStatus`` mirrors it (``server/routers/payments.ts:122-153``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.calendar import DAY_MINUTES, Calendar
from terp_seed.factories.cannabis_data import REFERENCE_FORMATS
from terp_seed.factories.draw import Draw, Weighted, decimal_cents

METHODS = (("CHECK", 40), ("ACH", 30), ("WIRE", 15), ("CASH", 10), ("CREDIT_CARD", 5))
BILL_METHODS = (("ACH", 40), ("WIRE", 25), ("CHECK", 25), ("CASH", 10))
_ZERO = decimal_cents(0)
NEVER_PAYS = 0.035
"""Share of invoices a customer never settles in full (bad debt: a few percent stay open)."""


class SalesKeys:
    """Keys and codes for the sales tables, fetched once per factory call.

    Codes keep shapes TERP never issues (``INV-000001``, ``PAY-000001``; the app issues
    ``INV-<year>-<6 digits>`` and ``PMT-...``: ``server/arApDb.ts:416-441``,
    ``server/routers/payments.ts:88-108``), as TERP's own seeders do.
    """

    def __init__(self, gen: Gen) -> None:
        self.next_id = gen.ids.next_id
        self.order_number = gen.codes("orders", "order_number", "ORD-", 6)
        self.invoice_number = gen.codes("invoices", "invoiceNumber", "INV-", 6)
        self.payment_number = gen.codes("payments", "paymentNumber", "PAY-", 6)
        self.method = Weighted.of(METHODS)
        self.bill_method = Weighted.of(BILL_METHODS)


def settle(
    draw: Draw, cal: Calendar, invoiced: date, due: date, total: int
) -> list[tuple[date, int]]:
    """When and how much the customer pays on an invoice of ``total`` cents: payments on or
    after ``invoiced`` and no later than the as-of day, adding up to at most ``total``."""
    rnd, between = draw.random, draw.between
    as_of = cal.as_of
    if rnd() < NEVER_PAYS:
        if rnd() < 0.4:
            day = invoiced + timedelta(days=between(7, 60))
            if day <= as_of:
                return [(day, int(total * (0.2 + 0.4 * rnd())))]
        return []
    r = rnd()
    late = between(-10, 3) if r < 0.5 else between(3, 25) if r < 0.85 else between(25, 70)
    day = max(invoiced, due + timedelta(days=late))
    if rnd() < 0.12:  # two instalments
        first_day = invoiced + timedelta(days=int((day - invoiced).days * rnd()))
        first = int(total * (0.3 + 0.4 * rnd()))
        paid = [(first_day, first), (max(day, first_day), total - first)]
    else:
        paid = [(day, total)]
    return [(d, amount) for d, amount in paid if d <= as_of and amount > 0]


def invoice_status(draw: Draw, cal: Calendar, due: date, total: int, paid: int) -> str:
    """An invoice's status on the as-of day, as TERP's payment and overdue paths leave it."""
    if paid >= total:
        return "PAID"
    if due < cal.as_of:
        return "OVERDUE"
    if paid > 0:
        return "PARTIAL"
    return "VIEWED" if draw.random() < 0.35 else "SENT"


def sale_status(invoice_status: str) -> str:
    """orders.saleStatus for a sale whose invoice has ``invoice_status``."""
    return {"PAID": "PAID", "PARTIAL": "PARTIAL", "OVERDUE": "OVERDUE"}.get(
        invoice_status, "PENDING"
    )


def moment(cal: Calendar, draw: Draw, day: date) -> datetime:
    """A working-hours moment of ``day`` (before the close of the as-of day)."""
    return cal.midnights[(day - cal.start).days] + DAY_MINUTES[int(draw.random() * 540)]


def invoice_for_sale(
    keys: SalesKeys,
    draw: Draw,
    cal: Calendar,
    order: Row,
    total: int,
    *,
    creator: int,
    voided: datetime | None = None,
) -> tuple[Row, list[Row]]:
    """The invoice TERP writes when ``order`` ships, with the payments made on it since.

    ``creator``: who records the payments. ``voided``: the sale was cancelled after shipping
    at that moment; the invoice is VOID (``reverseOrderAccountingEntries``,
    ``server/services/orderAccountingService.ts:543-549``) and nothing was paid on it.
    """
    shipped: datetime = order["shipped_at"]
    invoiced, due = shipped.date(), order["due_date"]
    invoice_id = keys.next_id("invoices")
    client_id = order["client_id"]
    schedule = [] if voided else settle(draw, cal, invoiced, due, total)
    payments = [
        received_payment(keys, draw, cal, day, amount, total, client_id, invoice_id, creator)
        for day, amount in schedule
    ]
    paid = sum(amount for _, amount in schedule)
    updated = payments[-1]["createdAt"] if payments else shipped
    notes = None
    if voided is not None:
        status = "VOID"
        notes = f"Voided: Order cancelled on {voided:%Y-%m-%dT%H:%M:%S}.000Z"
        updated = voided
    else:
        status = invoice_status(draw, cal, due, total, paid)
        if status == "OVERDUE" and not payments:
            updated = datetime.combine(due + timedelta(days=1), datetime.min.time())
    row = {
        "id": invoice_id,
        "invoiceNumber": keys.invoice_number(),
        "customerId": client_id,
        "invoiceDate": invoiced,
        "dueDate": due,
        "subtotal": decimal_cents(total),
        "taxAmount": _ZERO,
        "discountAmount": _ZERO,
        "totalAmount": decimal_cents(total),
        "amountPaid": decimal_cents(paid),
        "amountDue": decimal_cents(total - paid),
        "status": status,
        "paymentTerms": None,  # the ship path does not write it
        "notes": notes,
        "referenceType": "ORDER",
        "referenceId": order["id"],
        "createdBy": order["shipped_by"],
        "createdAt": shipped,
        "updatedAt": max(updated, shipped),
    }
    return row, payments


def received_payment(
    keys: SalesKeys,
    draw: Draw,
    cal: Calendar,
    day: date,
    amount: int,
    total: int,
    client_id: int,
    invoice_id: int,
    creator: int,
) -> Row:
    """A customer's payment on an invoice (``recordPayment``, ``server/routers/payments.ts``:
    ``bankAccountId`` not set, ``customerId`` = the invoice's client)."""
    method = keys.method(draw)
    row = _payment(keys, draw, cal, day, amount, method, creator)
    row.update(
        paymentType="RECEIVED",
        customerId=client_id,
        invoiceId=invoice_id,
        notes="Partial payment" if amount < total and draw.random() < 0.5 else None,
    )
    return row


def sent_payment(
    keys: SalesKeys,
    draw: Draw,
    cal: Calendar,
    day: date,
    amount: int,
    bill: tuple[int, int | None],
    creator: int,
) -> Row:
    """The distributor's payment of a supplier bill (``payVendor``: ``vendorId`` is the
    supplier's client id, ``server/routers/accounting.ts:1995-2030``)."""
    bill_id, vendor_id = bill
    row = _payment(keys, draw, cal, day, amount, keys.bill_method(draw), creator)
    row.update(paymentType="SENT", vendorId=vendor_id, billId=bill_id)
    return row


def _payment(
    keys: SalesKeys, draw: Draw, cal: Calendar, day: date, amount: int, method: str, creator: int
) -> Row:
    created = moment(cal, draw, day)
    age = (cal.as_of - day).days
    reconciled_at = None
    if draw.random() < (0.85 if age > 5 else 0.15):
        # a reconciliation sets both (server/cashExpensesDb.ts:216-226)
        reconciled_at = moment(cal, draw, min(day + timedelta(days=draw.between(1, 5)), cal.as_of))
        reconciled_at = max(reconciled_at, created)
    return {
        "id": keys.next_id("payments"),
        "paymentNumber": keys.payment_number(),
        "paymentType": "RECEIVED",
        "paymentDate": day,
        "amount": decimal_cents(amount),
        "paymentMethod": method,
        "referenceNumber": reference_number(draw, method),
        "bankAccountId": None,
        "customerId": None,
        "vendorId": None,
        "invoiceId": None,
        "billId": None,
        "notes": None,
        "isReconciled": reconciled_at is not None,
        "reconciledAt": reconciled_at,
        "createdBy": creator,
        "createdAt": created,
        "updatedAt": reconciled_at or created,
    }


def reference_number(draw: Draw, method: str) -> str | None:
    """payments.referenceNumber in path B's shapes (see ``CannabisProvider.reference_number``).

    One ``getrandbits`` call gives every character (``random.choices`` costs ten times more).

    :example: 'ACH-7KQ2M9XZ4B'
    """
    shape = REFERENCE_FORMATS.get(method)
    if shape is None:
        return None
    lead, length, alphabet = shape
    base = len(alphabet)
    value = draw.rng.getrandbits(6 * length + 16)
    chars = []
    for _ in range(length):
        value, digit = divmod(value, base)
        chars.append(alphabet[digit])
    return lead + "".join(chars)

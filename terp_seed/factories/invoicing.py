"""Invoices and the payments against them, as the orders factory writes them.

An invoice's amounts add up and its status agrees with its due date and payments; payments
never exceed what they pay.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.calendar import THIRTY_DAYS, Calendar
from terp_seed.factories.cannabis_data import REFERENCE_FORMATS
from terp_seed.factories.draw import Draw, Weighted, decimal_cents

METHODS = (("CHECK", 40), ("ACH", 30), ("WIRE", 15), ("CASH", 10), ("CREDIT_CARD", 5))
_ZERO = Decimal("0.00")


class SalesKeys:
    """Keys and codes for the sales tables, fetched once per factory call."""

    def __init__(self, gen: Gen) -> None:
        self.next_id = gen.ids.next_id
        self.order_number = gen.codes("orders", "order_number", "ORD-", 6)
        self.invoice_number = gen.codes("invoices", "invoiceNumber", "INV-", 6)
        self.payment_number = gen.codes("payments", "paymentNumber", "PAY-", 6)
        self.method = Weighted.of(METHODS)


class PaymentSelector:
    """Chooses exactly ``k`` of ``n`` items in one pass (Knuth's selection sampling)."""

    def __init__(self, k: int, n: int, rng: random.Random) -> None:
        self.k, self.n, self.rng = min(k, n), n, rng
        self.extra = max(0, k - n)  # more payments than invoices: some get a second payment

    def take(self) -> int:
        """How many payments the next invoice gets: 0, 1 or (once ``k`` exceeds ``n``) 2."""
        if self.n <= 0:
            return 0
        chosen = self.rng.random() * self.n < self.k
        self.n -= 1
        if not chosen:
            return 0
        self.k -= 1
        if self.extra:
            self.extra -= 1
            return 2
        return 1


def invoice_with_payments(
    keys: SalesKeys,
    draw: Draw,
    cal: Calendar,
    client_id: int,
    creator: int,
    day: date,
    total: int,
    order_id: int | None,
    n_payments: int,
) -> tuple[Row, list[Row]]:
    """An invoice of ``total`` cents and its payments; amounts and status agree."""
    rnd = draw.random
    due = day + THIRTY_DAYS
    invoice_id = keys.next_id("invoices")
    payments: list[Row] = []
    paid = 0
    for k in range(n_payments):
        full = k == n_payments - 1 and rnd() >= 0.3
        amount = total - paid if full else int((total - paid) * (0.3 + 0.6 * rnd()) + 0.5)
        pay_day = min(day + timedelta(days=draw.between(1, 45)), cal.as_of)
        if amount <= 0:
            break
        paid += amount
        method = keys.method(draw)
        payments.append(
            {
                "id": keys.next_id("payments"),
                "paymentNumber": keys.payment_number(),
                "paymentType": "RECEIVED",
                "paymentDate": pay_day,
                "amount": decimal_cents(amount),
                "paymentMethod": method,
                "referenceNumber": reference_number(draw, method),
                "bankAccountId": None,
                "customerId": client_id,
                "vendorId": None,
                "invoiceId": invoice_id,
                "billId": None,
                "notes": "Partial payment" if amount < total and rnd() < 0.3 else None,
                "isReconciled": rnd() < 0.7,
                "createdBy": creator,
            }
        )
    if paid >= total and total > 0:
        status = "PAID"
    elif paid > 0:
        status = "PARTIAL"
    elif due < cal.as_of:
        status = "OVERDUE"
    else:
        status = draw.pick(("SENT", "SENT", "VIEWED"))
    total_value = decimal_cents(total)
    row = {
        "id": invoice_id,
        "invoiceNumber": keys.invoice_number(),
        "customerId": client_id,
        "invoiceDate": day,
        "dueDate": due,
        "subtotal": total_value,
        "taxAmount": _ZERO,
        "discountAmount": _ZERO,
        "totalAmount": total_value,
        "amountPaid": decimal_cents(paid),
        "amountDue": decimal_cents(total - paid),
        "status": status,
        "paymentTerms": "NET_30",
        "notes": None,
        "referenceType": "ORDER" if order_id else "MANUAL",
        "referenceId": order_id,
        "createdBy": creator,
    }
    return row, payments


def reference_number(draw: Draw, method: str) -> str | None:
    """payments.referenceNumber in path B's shapes (see ``CannabisProvider.reference_number``).

    :example: 'ACH-7KQ2M9XZ4B'
    """
    shape = REFERENCE_FORMATS.get(method)
    if shape is None:
        return None
    lead, length, alphabet = shape
    return lead + "".join(draw.rng.choices(alphabet, k=length))


def sale_status(invoice_status: str) -> str:
    """orders.saleStatus for a sale whose invoice has ``invoice_status``."""
    return {"PAID": "PAID", "PARTIAL": "PARTIAL", "OVERDUE": "OVERDUE"}.get(
        invoice_status, "PENDING"
    )

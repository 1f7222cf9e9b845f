"""Sales: orders (quotes and sales) with line items, invoices and the payments against them,
plus the bank accounts and supplier bills that payments may point at.

Business rules that hold by construction: an order's subtotal is the sum of its line totals
and its ``items`` JSON mirrors its lines; an invoice's amounts add up and its status agrees
with its due date and payments; payments never exceed what they pay.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from terp_seed.factories.base import ANCHOR_DATE, Gen, Row
from terp_seed.factories.cannabis import cannabis_provider
from terp_seed.factories.cannabis_data import FLOWER

CENT = Decimal("0.01")
START = date(2024, 1, 1)
METHODS = (("CHECK", 40), ("ACH", 30), ("WIRE", 15), ("CASH", 10), ("CREDIT_CARD", 5))
TERMS_DAYS = {"COD": 0, "NET_7": 7, "NET_15": 15, "NET_30": 30, "CONSIGNMENT": 30}


def _money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _ts(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(
        hours=rng.randint(8, 18), minutes=rng.randint(0, 59)
    )


def bank_accounts(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """The distributor's own accounts (fictional numbers)."""
    rng = gen.rng("bankAccounts")
    names = ("Operating Account", "Payroll Account", "Tax Reserve", "Savings", "Card Clearing")
    banks = ("Golden State Credit Union", "Pacific Coast Bank", "Redwood Community Bank")
    for i in range(count):
        kind = "SAVINGS" if "Savings" in names[i % len(names)] else "CHECKING"
        yield (
            "bankAccounts",
            {
                "id": gen.ids.next_id("bankAccounts"),
                "accountName": names[i % len(names)]
                + (f" {i // len(names) + 1}" if i >= len(names) else ""),
                "accountNumber": f"{rng.randint(10**9, 10**10 - 1)}",
                "bankName": rng.choice(banks),
                "accountType": kind,
                "currency": "USD",
                "currentBalance": _money(rng.uniform(20_000, 900_000)),
                "isActive": True,
            },
        )


def bills(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Supplier bills (accounts payable), not yet paid."""
    rng = gen.rng("bills")
    vendors = gen.parents.column("vendors", "id")
    users = gen.parents.column("users", "id")
    if not (vendors and users):
        return
    for _ in range(count):
        day = START + timedelta(days=rng.randint(0, (ANCHOR_DATE - START).days))
        subtotal = _money(rng.uniform(2_000, 60_000))
        due = day + timedelta(days=30)
        yield (
            "bills",
            {
                "id": gen.ids.next_id("bills"),
                "billNumber": gen.next_code("bills", "billNumber", "BILL-", 6),
                "vendorId": rng.choice(vendors),
                "billDate": day,
                "dueDate": due,
                "subtotal": subtotal,
                "taxAmount": Decimal("0.00"),
                "discountAmount": Decimal("0.00"),
                "totalAmount": subtotal,
                "amountPaid": Decimal("0.00"),
                "amountDue": subtotal,
                "status": "OVERDUE" if due < ANCHOR_DATE else rng.choice(("PENDING", "APPROVED")),
                "createdBy": rng.choice(users),
            },
        )


class _Stock:
    """The batches orders sell from, with TERP's Pareto popularity (top 20% weighted 12x)."""

    def __init__(self, gen: Gen, rng: random.Random) -> None:
        products = {
            pid: (name, cat)
            for pid, name, cat in gen.parents.rows("products", ["id", "nameCanonical", "category"])
        }
        rows = [
            r
            for r in gen.parents.rows("batches", ["id", "productId", "unitCogs", "batchStatus"])
            if r[1] in products
        ]
        live = [r for r in rows if r[3] in ("LIVE", "SOLD_OUT", "CLOSED")] or rows
        self.batches = [
            (bid, pid, Decimal(str(cogs or 0)), *products[pid]) for bid, pid, cogs, _ in live
        ]
        top = max(1, len(self.batches) // 5)
        order = rng.sample(range(len(self.batches)), len(self.batches))
        self.weights = [0.0] * len(self.batches)
        for rank, index in enumerate(order):
            self.weights[index] = 12.0 if rank < top else 1.0

    def pick(self, rng: random.Random) -> tuple[int, int, Decimal, str, str]:
        return rng.choices(self.batches, self.weights)[0]


def orders(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Quotes and sales with lines; each sale gets an invoice; payments on chosen invoices."""
    rng = gen.rng("orders")
    buyers = [
        (cid, code)
        for cid, code, buyer in gen.parents.rows("clients", ["id", "teri_code", "is_buyer"])
        if buyer
    ]
    users = gen.parents.column("users", "id")
    stock = _Stock(gen, rng)
    if not (buyers and users and stock.batches):
        return
    whales = [b for b in buyers if str(b[1]).startswith("WHL")] or buyers
    whale_ids = {w[0] for w in whales}
    size = gen.size
    ratio = count / max(size.count("orders"), 1)
    n_invoices = max(0, round(size.count("invoices") * ratio))
    n_payments = max(0, round(size.count("payments") * ratio))
    quotes = {i for i in range(count) if rng.random() < 0.12}
    sales = count - len(quotes)
    standalone = max(0, n_invoices - sales)
    invoiced = min(sales, n_invoices)
    payer = _Selector(n_payments, invoiced + standalone, rng)
    provider = cannabis_provider(gen.faker("payments"))
    sale_no = 0
    for i in range(count):
        client_id = (rng.choice(whales) if rng.random() < 0.7 else rng.choice(buyers))[0]
        day = START + timedelta(days=rng.randint(0, (ANCHOR_DATE - START).days))
        creator = rng.choice(users)
        order_id = gen.ids.next_id("orders")
        lines, items, subtotal, cogs_total = _lines(
            gen, rng, stock, order_id, client_id in whale_ids
        )
        is_quote = i in quotes
        row: Row = _order_row(
            gen, rng, order_id, client_id, day, creator, items, subtotal, cogs_total, is_quote
        )
        invoice: Row | None = None
        payments: list[Row] = []
        if not is_quote:
            sale_no += 1
            if sale_no <= invoiced:
                invoice, payments = _invoice(
                    gen,
                    rng,
                    provider,
                    client_id,
                    creator,
                    day,
                    row["total"],
                    order_id,
                    payer.take(),
                )
                row["invoice_id"] = invoice["id"]
                row["saleStatus"] = _sale_status(invoice["status"])
        yield "orders", row
        yield from (("order_line_items", line) for line in lines)
        if invoice is not None:
            yield "invoices", invoice
            yield from (("payments", p) for p in payments)
    for _ in range(standalone):
        client_id = rng.choice(buyers)[0]
        day = START + timedelta(days=rng.randint(0, (ANCHOR_DATE - START).days))
        invoice, payments = _invoice(
            gen,
            rng,
            provider,
            client_id,
            rng.choice(users),
            day,
            _money(rng.uniform(500, 50_000)),
            None,
            payer.take(),
        )
        yield "invoices", invoice
        yield from (("payments", p) for p in payments)


class _Selector:
    """Chooses exactly ``k`` of ``n`` items in one pass (Knuth's selection sampling)."""

    def __init__(self, k: int, n: int, rng: random.Random) -> None:
        self.k, self.n, self.rng = min(k, n), n, rng
        self.extra = max(0, k - n)  # more payments than invoices: some get a second payment

    def take(self) -> int:
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


def _lines(
    gen: Gen, rng: random.Random, stock: _Stock, order_id: int, whale: bool
) -> tuple[list[Row], list[dict[str, object]], Decimal, Decimal]:
    n = rng.randint(3, 10) if whale else rng.randint(1, 5)
    lines: list[Row] = []
    items: list[dict[str, object]] = []
    subtotal = cogs_total = Decimal(0)
    for _ in range(n):
        batch_id, product_id, cogs, name, category = stock.pick(rng)
        if category == FLOWER:
            qty = _money(
                rng.choices(
                    (
                        rng.uniform(0.5, 2),
                        rng.uniform(2, 5),
                        rng.uniform(5, 10),
                        rng.uniform(10, 20),
                    ),
                    (10, 70, 15, 5),
                )[0]
            )
        else:
            qty = Decimal(
                rng.choices(
                    (
                        rng.randint(1, 10),
                        rng.randint(10, 30),
                        rng.randint(30, 60),
                        rng.randint(60, 100),
                    ),
                    (10, 60, 20, 10),
                )[0]
            )
        margin = Decimal(str(round(rng.uniform(15, 35), 2)))
        price = _money(cogs / (1 - margin / 100)) if cogs else _money(rng.uniform(5, 50))
        total = _money(qty * price)
        margin_dollar = _money(total - qty * cogs)
        subtotal += total
        cogs_total += qty * cogs
        source = rng.choice(("DEFAULT", "CUSTOMER_PROFILE"))
        lines.append(
            {
                "id": gen.ids.next_id("order_line_items"),
                "order_id": order_id,
                "batch_id": batch_id,
                "product_display_name": name,
                "quantity": qty,
                "cogs_per_unit": cogs,
                "original_cogs_per_unit": cogs,
                "effective_cogs_basis": "MANUAL",
                "margin_percent": margin,
                "margin_dollar": margin_dollar,
                "margin_source": source,
                "unit_price": price,
                "line_total": total,
            }
        )
        items.append(
            {
                "batchId": batch_id,
                "productId": product_id,
                "displayName": name,
                "quantity": str(qty),
                "unitPrice": str(price),
                "unitCogs": str(cogs),
                "cogsMode": "FIXED",
                "cogsSource": "FIXED",
                "marginPercent": str(margin),
                "marginDollar": str(margin_dollar),
                "lineTotal": str(total),
            }
        )
    return lines, items, subtotal, cogs_total


def _order_row(
    gen: Gen,
    rng: random.Random,
    order_id: int,
    client_id: int,
    day: date,
    creator: int,
    items: list[dict[str, object]],
    subtotal: Decimal,
    cogs_total: Decimal,
    is_quote: bool,
) -> Row:
    terms = (
        None
        if is_quote
        else (
            "CONSIGNMENT"
            if rng.random() < 0.5
            else rng.choice(("NET_7", "NET_15", "NET_30", "COD"))
        )
    )
    age = (ANCHOR_DATE - day).days
    created = _ts(day, rng)
    shipped = not is_quote and age > 3
    margin = subtotal - cogs_total
    return {
        "id": order_id,
        "order_number": gen.next_code("orders", "order_number", "ORD-", 6),
        "orderType": "QUOTE" if is_quote else "SALE",
        "is_draft": is_quote,
        "client_id": client_id,
        "items": items,
        "subtotal": subtotal,
        "tax": Decimal("0.00"),
        "discount": Decimal("0.00"),
        "total": subtotal,
        "total_cogs": cogs_total.quantize(Decimal("0.0001")),
        "total_margin": _money(margin),
        "avg_margin_percent": _money(margin / subtotal * 100) if subtotal else Decimal(0),
        "valid_until": day + timedelta(days=30) if is_quote else None,
        "quoteStatus": rng.choice(("UNSENT", "SENT", "VIEWED")) if is_quote else None,
        "paymentTerms": terms,
        "due_date": None if is_quote else day + timedelta(days=TERMS_DAYS[str(terms)]),
        "saleStatus": None if is_quote else "PENDING",
        "invoice_id": None,
        "fulfillmentStatus": "DRAFT"
        if is_quote
        else ("DELIVERED" if age > 10 else "SHIPPED" if shipped else "READY_FOR_PACKING"),
        "packed_at": created + timedelta(days=1) if shipped else None,
        "packed_by": creator if shipped else None,
        "shipped_at": created + timedelta(days=2) if shipped else None,
        "shipped_by": creator if shipped else None,
        "pickPackStatus": "READY" if shipped else "PENDING",
        "confirmed_at": None if is_quote else created,
        "notes": None,
        "created_by": creator,
        "created_at": created,
    }


def _invoice(
    gen: Gen,
    rng: random.Random,
    provider: object,
    client_id: int,
    creator: int,
    day: date,
    total: Decimal,
    order_id: int | None,
    n_payments: int,
) -> tuple[Row, list[Row]]:
    due = day + timedelta(days=30)
    invoice_id = gen.ids.next_id("invoices")
    payments: list[Row] = []
    paid = Decimal(0)
    for k in range(n_payments):
        last = k == n_payments - 1
        full = last and rng.random() >= 0.3
        amount = (
            total - paid if full else _money((total - paid) * Decimal(str(rng.uniform(0.3, 0.9))))
        )
        pay_day = min(day + timedelta(days=rng.randint(1, 45)), ANCHOR_DATE)
        if amount <= 0:
            break
        paid += amount
        method = rng.choices([m for m, _ in METHODS], [w for _, w in METHODS])[0]
        payments.append(
            {
                "id": gen.ids.next_id("payments"),
                "paymentNumber": gen.next_code("payments", "paymentNumber", "PAY-", 6),
                "paymentType": "RECEIVED",
                "paymentDate": pay_day,
                "amount": amount,
                "paymentMethod": method,
                "referenceNumber": provider.reference_number(method),  # type: ignore[attr-defined]
                "bankAccountId": None,
                "customerId": client_id,
                "vendorId": None,
                "invoiceId": invoice_id,
                "billId": None,
                "notes": "Partial payment" if amount < total and rng.random() < 0.3 else None,
                "isReconciled": rng.random() < 0.7,
                "createdBy": creator,
            }
        )
    if paid >= total and total > 0:
        status = "PAID"
    elif paid > 0:
        status = "PARTIAL"
    elif due < ANCHOR_DATE:
        status = "OVERDUE"
    else:
        status = rng.choice(("SENT", "SENT", "VIEWED"))
    invoice = {
        "id": invoice_id,
        "invoiceNumber": gen.next_code("invoices", "invoiceNumber", "INV-", 6),
        "customerId": client_id,
        "invoiceDate": day,
        "dueDate": due,
        "subtotal": total,
        "taxAmount": Decimal("0.00"),
        "discountAmount": Decimal("0.00"),
        "totalAmount": total,
        "amountPaid": paid,
        "amountDue": total - paid,
        "status": status,
        "paymentTerms": "NET_30",
        "notes": None,
        "referenceType": "ORDER" if order_id else "MANUAL",
        "referenceId": order_id,
        "createdBy": creator,
    }
    return invoice, payments


def _sale_status(invoice_status: str) -> str:
    return {"PAID": "PAID", "PARTIAL": "PARTIAL", "OVERDUE": "OVERDUE"}.get(
        invoice_status, "PENDING"
    )

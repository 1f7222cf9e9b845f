"""Sales: orders (quotes and sales) with line items, invoices and the payments against them,
plus the bank accounts and supplier bills that payments may point at.

Business rules that hold by construction: an order's subtotal is the sum of its line totals
and its ``items`` JSON mirrors its lines; an invoice's amounts add up and its status agrees
with its due date and payments; payments never exceed what they pay.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from terp_seed.factories.base import ANCHOR_DATE, Gen, Row
from terp_seed.factories.cannabis_data import FLOWER, REFERENCE_FORMATS
from terp_seed.factories.draw import (
    Draw,
    Weighted,
    cents_text,
    decimal_cents,
    decimal_ten_thousandths,
    round_div,
)
from terp_seed.load.encoder import JsonText

CENT = Decimal("0.01")
START = date(2024, 1, 1)
METHODS = (("CHECK", 40), ("ACH", 30), ("WIRE", 15), ("CASH", 10), ("CREDIT_CARD", 5))
TERMS_DAYS = {"COD": 0, "NET_7": 7, "NET_15": 15, "NET_30": 30, "CONSIGNMENT": 30}


def _money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


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
                # 12 digits from 00: never shaped like a phone number a leak scan would flag
                "accountNumber": f"00{rng.randint(10**9, 10**10 - 1)}",
                "bankName": rng.choice(banks),
                "accountType": kind,
                "currency": "USD",
                "currentBalance": _money(rng.uniform(20_000, 900_000)),
                "isActive": True,
            },
        )


def bills(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Supplier bills (accounts payable), not yet paid."""
    draw = gen.draw("bills")
    pick = draw.pick
    vendors = gen.parents.column("vendors", "id")
    users = gen.parents.column("users", "id")
    if not (vendors and users):
        return
    next_number = gen.codes("bills", "billNumber", "BILL-", 6)
    for _ in range(count):
        day = pick(_DAYS)
        subtotal = decimal_cents(draw.cents(2_000, 60_000))
        due = day + _DAYS_30
        yield (
            "bills",
            {
                "id": gen.ids.next_id("bills"),
                "billNumber": next_number(),
                "vendorId": pick(vendors),
                "billDate": day,
                "dueDate": due,
                "subtotal": subtotal,
                "taxAmount": _ZERO,
                "discountAmount": _ZERO,
                "totalAmount": subtotal,
                "amountPaid": _ZERO,
                "amountDue": subtotal,
                "status": "OVERDUE" if due < ANCHOR_DATE else pick(("PENDING", "APPROVED")),
                "createdBy": pick(users),
            },
        )


STOCK_CAP = 50_000
"""Batches orders sell from, at most: beyond, a uniform sample of them (memory stays flat)."""


class _Stock:
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

    def pick(self, draw: Draw) -> _Item:
        group = self.popular if not self.others or draw.random() < self.p_popular else self.others
        return draw.pick(group)


# (batch id, product id, unit cogs in ten-thousandths, unit cogs as stored, its text, name,
# name as a JSON string, category)
_Item = tuple[int, int, int, Decimal, str, str, str, str]


def _stock_item(bid: int, pid: int, cogs: object, name: str, category: str) -> _Item:
    value = Decimal(str(cogs or 0))
    return (bid, pid, int(value * 10_000), value, str(value), name, json.dumps(name), category)


def orders(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Quotes and sales with lines; each sale gets an invoice; payments on chosen invoices."""
    draw = gen.draw("orders")
    rnd, pick = draw.random, draw.pick
    buyers = [
        (cid, code)
        for cid, code, buyer in gen.parents.rows("clients", ["id", "teri_code", "is_buyer"])
        if buyer
    ]
    users = gen.parents.column("users", "id")
    stock = _Stock(gen, draw)
    if not (buyers and users and stock.size):
        return
    whales = [b for b in buyers if str(b[1]).startswith("WHL")] or buyers
    whale_ids = {w[0] for w in whales}
    size = gen.size
    ratio = count / max(size.count("orders"), 1)
    n_invoices = max(0, round(size.count("invoices") * ratio))
    n_payments = max(0, round(size.count("payments") * ratio))
    quotes = {i for i in range(count) if rnd() < 0.12}
    sales = count - len(quotes)
    standalone = max(0, n_invoices - sales)
    invoiced = min(sales, n_invoices)
    payer = _Selector(n_payments, invoiced + standalone, draw.rng)
    make = _Makers(gen)
    sale_no = 0
    for i in range(count):
        client_id = (pick(whales) if rnd() < 0.7 else pick(buyers))[0]
        day_no = int(rnd() * len(_DAYS))
        creator = pick(users)
        order_id = gen.ids.next_id("orders")
        lines, items, subtotal, cogs_total = _lines(
            gen, draw, stock, order_id, client_id in whale_ids
        )
        is_quote = i in quotes
        row = _order_row(
            make, draw, order_id, client_id, day_no, creator, items, subtotal, cogs_total, is_quote
        )
        invoice: Row | None = None
        payments: list[Row] = []
        if not is_quote:
            sale_no += 1
            if sale_no <= invoiced:
                invoice, payments = _invoice(
                    make, draw, client_id, creator, _DAYS[day_no], subtotal, order_id, payer.take()
                )
                row["invoice_id"] = invoice["id"]
                row["saleStatus"] = _sale_status(invoice["status"])
        yield "orders", row
        for line in lines:
            yield "order_line_items", line
        if invoice is not None:
            yield "invoices", invoice
            for p in payments:
                yield "payments", p
    for _ in range(standalone):
        client_id = pick(buyers)[0]
        invoice, payments = _invoice(
            make,
            draw,
            client_id,
            pick(users),
            pick(_DAYS),
            draw.cents(500, 50_000),
            None,
            payer.take(),
        )
        yield "invoices", invoice
        for p in payments:
            yield "payments", p


class _Makers:
    """Keys and codes for the sales tables, fetched once per factory call."""

    def __init__(self, gen: Gen) -> None:
        self.next_id = gen.ids.next_id
        self.order_number = gen.codes("orders", "order_number", "ORD-", 6)
        self.invoice_number = gen.codes("invoices", "invoiceNumber", "INV-", 6)
        self.payment_number = gen.codes("payments", "paymentNumber", "PAY-", 6)
        self.method = Weighted.of(METHODS)


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
    gen: Gen, draw: Draw, stock: _Stock, order_id: int, whale: bool
) -> tuple[list[Row], JsonText, int, int]:
    """An order's lines; returns them, its items JSON, its subtotal (cents) and its cost of
    goods (millionths of a dollar), all exact integers."""
    rnd = draw.random
    # about four lines per order on average, as the size presets count them
    n = draw.between(3, 6) if whale else draw.between(1, 5)
    lines: list[Row] = []
    items: list[str] = []
    subtotal = cogs_total = 0
    next_id = gen.ids.next_id
    for _ in range(n):
        batch_id, product_id, c4, cogs, cogs_text, name, name_json, category = stock.pick(draw)
        if category == FLOWER:
            low, high = _FLOWER_QTY(draw)
            qty = round((low + (high - low) * rnd()) * 100)  # hundredths of a unit
        else:
            low, high = _UNIT_QTY(draw)
            qty = (low + int(rnd() * (high - low + 1))) * 100
        margin = 1500 + int(rnd() * 2001)  # hundredths of a percent: 15.00-35.00
        # (2x + d) // 2d is x / d rounded half up, for x >= 0
        price = (c4 * 200 + 10_000 - margin) // (20_000 - 2 * margin) if c4 else draw.cents(5, 50)
        total = (qty * price * 2 + 100) // 200
        line_cogs = qty * c4  # millionths
        margin_dollar = round_div(total * 10_000 - line_cogs, 10_000)
        subtotal += total
        cogs_total += line_cogs
        qty_text, price_text = f"{qty / 100:.2f}", f"{price / 100:.2f}"
        dollar_text, total_text = f"{margin_dollar / 100:.2f}", f"{total / 100:.2f}"
        margin_value, margin_text = _PERCENTS[margin - 1500]
        lines.append(
            {
                "id": next_id("order_line_items"),
                "order_id": order_id,
                "batch_id": batch_id,
                "product_display_name": name,
                "quantity": Decimal(qty_text),
                "cogs_per_unit": cogs,
                "original_cogs_per_unit": cogs,
                "effective_cogs_basis": "MANUAL",
                "margin_percent": margin_value,
                "margin_dollar": Decimal(dollar_text),
                "margin_source": "DEFAULT" if rnd() < 0.5 else "CUSTOMER_PROFILE",
                "unit_price": Decimal(price_text),
                "line_total": Decimal(total_text),
            }
        )
        items.append(  # json.dumps of the same dict, written out: 5x cheaper
            f'{{"batchId": {batch_id}, "productId": {product_id}, "displayName": {name_json}, '
            f'"quantity": "{qty_text}", "unitPrice": "{price_text}", "unitCogs": "{cogs_text}", '
            '"cogsMode": "FIXED", "cogsSource": "FIXED", '
            f'"marginPercent": "{margin_text}", "marginDollar": "{dollar_text}", '
            f'"lineTotal": "{total_text}"}}'
        )
    return lines, JsonText(f"[{', '.join(items)}]"), subtotal, cogs_total


def _order_row(
    make: _Makers,
    draw: Draw,
    order_id: int,
    client_id: int,
    day_no: int,
    creator: int,
    items: JsonText,
    subtotal: int,
    cogs_total: int,
    is_quote: bool,
) -> Row:
    """An order from its lines' totals: subtotal in cents, cost of goods in millionths."""
    rnd, pick = draw.random, draw.pick
    day = _DAYS[day_no]
    if is_quote:
        terms = None
    else:
        terms = "CONSIGNMENT" if rnd() < 0.5 else pick(("NET_7", "NET_15", "NET_30", "COD"))
    age = _AGES[day_no]
    created = _MIDNIGHTS[day_no] + pick(_WORKING_MINUTES)
    shipped = not is_quote and age > 3
    margin = subtotal * 10_000 - cogs_total  # millionths
    subtotal_value = decimal_cents(subtotal)
    return {
        "id": order_id,
        "order_number": make.order_number(),
        "orderType": "QUOTE" if is_quote else "SALE",
        "is_draft": is_quote,
        "client_id": client_id,
        "items": items,
        "subtotal": subtotal_value,
        "tax": _ZERO,
        "discount": _ZERO,
        "total": subtotal_value,
        "total_cogs": decimal_ten_thousandths(round_div(cogs_total, 100)),
        "total_margin": decimal_cents(round_div(margin, 10_000)),
        "avg_margin_percent": decimal_cents(round_div(margin * 100, subtotal * 100))
        if subtotal
        else _ZERO,
        "valid_until": day + _DAYS_30 if is_quote else None,
        "quoteStatus": pick(("UNSENT", "SENT", "VIEWED")) if is_quote else None,
        "paymentTerms": terms,
        "due_date": None if is_quote else day + _TERMS_DELTA[str(terms)],
        "saleStatus": None if is_quote else "PENDING",
        "invoice_id": None,
        "fulfillmentStatus": "DRAFT"
        if is_quote
        else ("DELIVERED" if age > 10 else "SHIPPED" if shipped else "READY_FOR_PACKING"),
        "packed_at": created + _DAYS_1 if shipped else None,
        "packed_by": creator if shipped else None,
        "shipped_at": created + _DAYS_2 if shipped else None,
        "shipped_by": creator if shipped else None,
        "pickPackStatus": "READY" if shipped else "PENDING",
        "confirmed_at": None if is_quote else created,
        "notes": None,
        "created_by": creator,
        "created_at": created,
    }


def _invoice(
    make: _Makers,
    draw: Draw,
    client_id: int,
    creator: int,
    day: date,
    total: int,
    order_id: int | None,
    n_payments: int,
) -> tuple[Row, list[Row]]:
    """An invoice of ``total`` cents and its payments; amounts and status agree."""
    rnd = draw.random
    due = day + _DAYS_30
    invoice_id = make.next_id("invoices")
    payments: list[Row] = []
    paid = 0
    for k in range(n_payments):
        full = k == n_payments - 1 and rnd() >= 0.3
        amount = total - paid if full else int((total - paid) * (0.3 + 0.6 * rnd()) + 0.5)
        pay_day = min(day + timedelta(days=draw.between(1, 45)), ANCHOR_DATE)
        if amount <= 0:
            break
        paid += amount
        method = make.method(draw)
        payments.append(
            {
                "id": make.next_id("payments"),
                "paymentNumber": make.payment_number(),
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
    elif due < ANCHOR_DATE:
        status = "OVERDUE"
    else:
        status = draw.pick(("SENT", "SENT", "VIEWED"))
    total_value = decimal_cents(total)
    invoice = {
        "id": invoice_id,
        "invoiceNumber": make.invoice_number(),
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
    return invoice, payments


def reference_number(draw: Draw, method: str) -> str | None:
    """payments.referenceNumber in path B's shapes (see ``CannabisProvider.reference_number``).

    :example: 'ACH-7KQ2M9XZ4B'
    """
    shape = REFERENCE_FORMATS.get(method)
    if shape is None:
        return None
    lead, length, alphabet = shape
    return lead + "".join(draw.rng.choices(alphabet, k=length))


def _sale_status(invoice_status: str) -> str:
    return {"PAID": "PAID", "PARTIAL": "PARTIAL", "OVERDUE": "OVERDUE"}.get(
        invoice_status, "PENDING"
    )


_ZERO = Decimal("0.00")
_DAYS = tuple(START + timedelta(days=d) for d in range((ANCHOR_DATE - START).days + 1))
_AGES = tuple((ANCHOR_DATE - d).days for d in _DAYS)
_MIDNIGHTS = tuple(datetime.combine(d, datetime.min.time()) for d in _DAYS)
_WORKING_MINUTES = tuple(timedelta(hours=h, minutes=m) for h in range(8, 19) for m in range(60))
_DAYS_1, _DAYS_2, _DAYS_30 = timedelta(days=1), timedelta(days=2), timedelta(days=30)
_TERMS_DELTA = {k: timedelta(days=v) for k, v in TERMS_DAYS.items()}
_PERCENTS = tuple((Decimal(cents_text(m)), cents_text(m)) for m in range(1500, 3501))
# Quantity buckets (low, high) with TERP's weights: flower in lb, other goods in units.
_FLOWER_QTY = Weighted([(0.5, 2.0), (2.0, 5.0), (5.0, 10.0), (10.0, 20.0)], [10, 70, 15, 5])
_UNIT_QTY = Weighted([(1, 10), (10, 30), (30, 60), (60, 100)], [10, 60, 20, 10])

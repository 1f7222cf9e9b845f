"""Sales: orders (quotes and sales) with their line items; each sale's invoice and payments
come from :mod:`terp_seed.factories.invoicing`, the batches sold from
:mod:`terp_seed.factories.stock`.

Business rules that hold by construction: an order's subtotal is the sum of its line totals
and its ``items`` JSON mirrors its lines; an invoice's amounts add up and its status agrees
with its due date and payments; payments never exceed what they pay.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from terp_seed.factories.base import Gen, JsonText, Row
from terp_seed.factories.calendar import (
    ONE_DAY,
    THIRTY_DAYS,
    TWO_DAYS,
    WORKING_MINUTES,
    Calendar,
)
from terp_seed.factories.cannabis_data import FLOWER
from terp_seed.factories.draw import (
    Draw,
    Weighted,
    cents_text,
    decimal_cents,
    decimal_ten_thousandths,
    round_div,
)
from terp_seed.factories.invoicing import (
    PaymentSelector,
    SalesKeys,
    invoice_with_payments,
    sale_status,
)
from terp_seed.factories.stock import Stock

TERMS_DAYS = {"COD": 0, "NET_7": 7, "NET_15": 15, "NET_30": 30, "CONSIGNMENT": 30}


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
    stock = Stock(gen, draw)
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
    payer = PaymentSelector(n_payments, invoiced + standalone, draw.rng)
    keys = SalesKeys(gen)
    cal = gen.calendar
    days = cal.days
    sale_no = 0
    for i in range(count):
        client_id = (pick(whales) if rnd() < 0.7 else pick(buyers))[0]
        day_no = int(rnd() * len(days))
        creator = pick(users)
        order_id = gen.ids.next_id("orders")
        lines, items, subtotal, cogs_total = _lines(
            gen, draw, stock, order_id, client_id in whale_ids
        )
        is_quote = i in quotes
        row = _order_row(
            keys,
            draw,
            cal,
            order_id,
            client_id,
            day_no,
            creator,
            items,
            subtotal,
            cogs_total,
            is_quote,
        )
        invoice: Row | None = None
        payments: list[Row] = []
        if not is_quote:
            sale_no += 1
            if sale_no <= invoiced:
                invoice, payments = invoice_with_payments(
                    keys,
                    draw,
                    cal,
                    client_id,
                    creator,
                    days[day_no],
                    subtotal,
                    order_id,
                    payer.take(),
                )
                row["invoice_id"] = invoice["id"]
                row["saleStatus"] = sale_status(invoice["status"])
        yield "orders", row
        for line in lines:
            yield "order_line_items", line
        if invoice is not None:
            yield "invoices", invoice
            for p in payments:
                yield "payments", p
    for _ in range(standalone):
        client_id = pick(buyers)[0]
        invoice, payments = invoice_with_payments(
            keys,
            draw,
            cal,
            client_id,
            pick(users),
            pick(days),
            draw.cents(500, 50_000),
            None,
            payer.take(),
        )
        yield "invoices", invoice
        for p in payments:
            yield "payments", p


def _lines(
    gen: Gen, draw: Draw, stock: Stock, order_id: int, whale: bool
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
    keys: SalesKeys,
    draw: Draw,
    cal: Calendar,
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
    day = cal.days[day_no]
    if is_quote:
        terms = None
    else:
        terms = "CONSIGNMENT" if rnd() < 0.5 else pick(("NET_7", "NET_15", "NET_30", "COD"))
    age = cal.ages[day_no]
    created = cal.midnights[day_no] + pick(WORKING_MINUTES)
    shipped = not is_quote and age > 3
    margin = subtotal * 10_000 - cogs_total  # millionths
    subtotal_value = decimal_cents(subtotal)
    return {
        "id": order_id,
        "order_number": keys.order_number(),
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
        "valid_until": day + THIRTY_DAYS if is_quote else None,
        "quoteStatus": pick(("UNSENT", "SENT", "VIEWED")) if is_quote else None,
        "paymentTerms": terms,
        "due_date": None if is_quote else day + _TERMS_DELTA[str(terms)],
        "saleStatus": None if is_quote else "PENDING",
        "invoice_id": None,
        "fulfillmentStatus": "DRAFT"
        if is_quote
        else ("DELIVERED" if age > 10 else "SHIPPED" if shipped else "READY_FOR_PACKING"),
        "packed_at": created + ONE_DAY if shipped else None,
        "packed_by": creator if shipped else None,
        "shipped_at": created + TWO_DAYS if shipped else None,
        "shipped_by": creator if shipped else None,
        "pickPackStatus": "READY" if shipped else "PENDING",
        "confirmed_at": None if is_quote else created,
        "notes": None,
        "created_by": creator,
        "created_at": created,
    }


_ZERO = Decimal("0.00")
_TERMS_DELTA = {k: timedelta(days=v) for k, v in TERMS_DAYS.items()}
_PERCENTS = tuple((Decimal(cents_text(m)), cents_text(m)) for m in range(1500, 3501))
# Quantity buckets (low, high) with TERP's weights: flower in lb, other goods in units.
_FLOWER_QTY = Weighted([(0.5, 2.0), (2.0, 5.0), (5.0, 10.0), (10.0, 20.0)], [10, 70, 15, 5])
_UNIT_QTY = Weighted([(1, 10), (10, 30), (30, 60), (60, 100)], [10, 60, 20, 10])

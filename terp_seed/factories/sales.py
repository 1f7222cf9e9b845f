"""Sales: orders (quotes and sales) with their line items, each shipped sale's invoice and the
payments made on it since.

The rows are what TERP's own code writes (EvanTenenbaum/TERP at b2e16915; docs/data.md names
each rule's source):

* ``orders.items`` is TERP's ``OrderItem`` array (``server/ordersDb.ts:53-92, 500-526``): JSON
  numbers and booleans, ``unitMargin`` per unit, ``lineCogs``/``lineMargin``, plus what purchase
  history reads (``price``, ``strain``, ``category``, ``subcategory``, ``grade``:
  ``server/historicalAnalysis.ts:56-66``); line rows carry the per-unit margin
  (``server/ordersDb.ts:177-178``) and their order's creation time.
* Orders are made in time order over the run's history, weighted by weekday and season; a line
  sells only a batch received by then (:class:`~terp_seed.factories.stock.Stock`); orders open
  at the as-of moment take only LIVE batches and what is still available on them.
* Lifecycles follow TERP's state machines relative to the as-of day: quotes open only while
  valid, else expired, rejected, soft-deleted (``deletedAt`` + REJECTED) or converted into a sale
  (``convertQuoteToSale``); sales are drafts, confirmed and unshipped (no invoice, PENDING),
  shipped or delivered (invoiced at shipment: :mod:`terp_seed.factories.invoicing`), returned,
  or cancelled (before shipping: no invoice; after: invoice VOID).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from terp_seed.factories.base import Gen, JsonText, Row
from terp_seed.factories.calendar import DAY_MINUTES, THIRTY_DAYS, Calendar
from terp_seed.factories.draw import (
    Draw,
    decimal_cents,
    decimal_ten_thousandths,
)
from terp_seed.factories.invoicing import (
    SalesKeys,
    invoice_for_sale,
    sale_status,
)
from terp_seed.factories.order_plan import Slot, plan
from terp_seed.factories.stock import Stock, StockItem, line_quantity

TERMS_DAYS = {"COD": 0, "NET_7": 7, "NET_15": 15, "NET_30": 30, "PARTIAL": 30, "CONSIGNMENT": 30}
"""Days from confirmation to due date (``calculateDueDate``, ``server/cogsCalculator.ts``)."""
ORDER_NOTES = (
    "Deliver to the back dock before noon.",
    "Call the buyer on arrival.",
    "Customer asked for the latest COA with the delivery.",
    "Split delivery across two stores if possible.",
    "Standing weekly order.",
    "Price agreed with the buyer by phone.",
    "Include samples of new strains for the buyer.",
    "Use the loading zone on the side street.",
)
CANCEL_REASONS = ("customer request", "credit hold", "out of stock", "duplicate order")


def orders(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Quotes and sales with their lines, invoices and payments, in time order."""
    draw = gen.draw("orders")
    rnd, pick = draw.random, draw.pick
    buyers = [
        (cid, code)
        for cid, code, buyer in gen.parents.rows("clients", ["id", "teri_code", "is_buyer"])
        if buyer
    ]
    users = gen.parents.column("users", "id")
    stock = Stock(gen, draw)
    keys = SalesKeys(gen)
    cal = gen.calendar
    if not (buyers and users and stock.size and count > 0):
        return
    whales = [b for b in buyers if str(b[1]).startswith("WHL")] or buyers
    whale_ids = {w[0] for w in whales}
    slots = plan(draw, cal, stock, count)
    for index, slot in enumerate(slots):
        stock.advance(slot.created)
        source = slots[slot.quote] if slot.quote >= 0 else None
        if source is not None:
            client_id, creator = source.made["client"], source.made["creator"]
        else:
            client_id = (pick(whales) if rnd() < 0.7 else pick(buyers))[0]
            creator = pick(users)
        assert isinstance(client_id, int) and isinstance(creator, int)
        order_id = keys.next_id("orders")
        made = _lines(draw, stock, slot, source, client_id in whale_ids, keys.next_id, order_id)
        if made is None:
            continue  # nothing received yet to sell
        lines, items, subtotal, cogs_total, specs = made
        slot.made.update(id=order_id, client=client_id, creator=creator, specs=specs)
        row = _order_row(
            keys,
            draw,
            cal,
            slots,
            index,
            users,
            (order_id, client_id, creator),
            items,
            subtotal,
            cogs_total,
        )
        row["notes"] = _notes(draw, row)
        invoice: Row | None = None
        payments: list[Row] = []
        if row["shipped_at"] is not None:
            voided = row.pop("_voided", None)
            invoice, payments = invoice_for_sale(
                keys, draw, cal, row, subtotal, creator=pick(users), voided=voided
            )
            row["invoice_id"] = invoice["id"]
            row["saleStatus"] = "CANCELLED" if voided else sale_status(invoice["status"])
        row.pop("_voided", None)
        yield "orders", row
        for line in lines:
            yield "order_line_items", line
        if invoice is not None:
            yield "invoices", invoice
            yield from (("payments", p) for p in payments)


# (batch, quantity in hundredths, margin in hundredths of a percent, margin source)
_Spec = tuple[StockItem, int, int, str]
_OPEN = ("Q_OPEN", "S_DRAFT", "S_OPEN")


def _lines(
    draw: Draw,
    stock: Stock,
    slot: Slot,
    source: Slot | None,
    whale: bool,
    next_id: Callable[[str], int],
    order_id: int,
) -> tuple[list[Row], JsonText, int, int, list[_Spec]] | None:
    """An order's lines: returns them, its items JSON, its subtotal (cents), its cost of
    goods (millionths of a dollar) and what they were made of, all exact integers."""
    rnd = draw.random
    specs: list[_Spec] = []
    if source is not None:
        specs = list(source.made["specs"])  # type: ignore[call-overload]
    else:
        # about four lines per order on average, as the size presets count them
        n = draw.between(3, 6) if whale else draw.between(1, 5)
        open_ = slot.kind in _OPEN
        for _ in range(n):
            if open_:
                taken = stock.take_open(draw, lambda item: line_quantity(draw, item.category))
                if taken is None:
                    continue
                item, qty = taken
            else:
                picked = stock.pick(draw)
                if picked is None:
                    break
                item, qty = picked, line_quantity(draw, picked.category)
            margin = 1500 + int(rnd() * 2001)  # hundredths of a percent: 15.00-35.00
            specs.append((item, qty, margin, "DEFAULT" if rnd() < 0.5 else "CUSTOMER_PROFILE"))
        if not specs and open_:
            # nothing left to hold open: the order was given up (quote rejected, sale cancelled)
            slot.kind = "Q_REJECTED" if slot.kind == "Q_OPEN" else "S_CANCELLED"
            return _lines(draw, stock, slot, None, whale, next_id, order_id)
    if not specs:
        return None
    new_id = next_id
    lines: list[Row] = []
    items: list[str] = []
    subtotal = cogs_total = 0
    created = slot.created
    quantities, percents = _QUANTITY_TEXT, _PERCENT_TEXT
    for item, qty, margin, margin_source in specs:
        c4 = item.cogs4
        # price from margin, rounded half up to the cent: round2(cogs / (1 - m))
        price = (c4 * 200 + 10_000 - margin) // (20_000 - 2 * margin) if c4 else 500 + qty % 4500
        total = (qty * price * 2 + 100) // 200  # cents, half up
        unit_margin = price * 100 - c4  # ten-thousandths, > 0: the price carries a margin
        line_cogs = qty * c4  # millionths
        # margin percent of the stored price, in hundredths, half up
        percent = (unit_margin * 20_000 + price * 100) // (price * 200)
        subtotal += total
        cogs_total += line_cogs
        qty_value = (quantities.get(qty) or _cached(quantities, qty))[1]
        percent_text, percent_value = percents.get(percent) or _cached(percents, percent)
        price_text, total_text = f"{price / 100:.2f}", f"{total / 100:.2f}"
        lines.append(
            {
                "id": new_id("order_line_items"),
                "order_id": order_id,
                "batch_id": item.batch_id,
                "product_display_name": item.name,
                "quantity": qty_value,
                "cogs_per_unit": item.cogs,
                "original_cogs_per_unit": item.cogs,
                "effective_cogs_basis": "MANUAL",
                "margin_percent": percent_value,
                "margin_dollar": Decimal((unit_margin * 2 + 100) // 200).scaleb(-2),
                "margin_source": margin_source,
                "unit_price": Decimal(price_text),
                "line_total": Decimal(total_text),
                "is_sample": False,
                "created_at": created,
                "updated_at": created,
            }
        )
        cogs_text = item.cogs_text
        items.append(  # TERP's OrderItem as JSON.stringify writes it: 5x cheaper than json.dumps
            f'{{{item.json_head},"quantity":{qty / 100!r},"unitPrice":{price_text},'
            f'"price":{price_text},"isSample":false,"unitCogs":{cogs_text},'
            f'"cogsMode":"FIXED","cogsSource":"FIXED","unitMargin":{unit_margin / 10_000!r},'
            f'"marginPercent":{percent_text},"lineTotal":{total_text},'
            f'"lineCogs":{line_cogs / 1_000_000!r},'
            f'"lineMargin":{(total * 10_000 - line_cogs) / 1_000_000!r},{item.json_tail}}}'
        )
    return lines, JsonText(f"[{','.join(items)}]"), subtotal, cogs_total, specs


def _cached(cache: dict[int, tuple[str, Decimal]], hundredths: int) -> tuple[str, Decimal]:
    """The text and the ``Decimal`` of a two-place value (quantities and percents repeat)."""
    text = f"{hundredths / 100:.2f}"
    found = cache[hundredths] = (text, Decimal(text))
    return found


def _order_row(
    keys: SalesKeys,
    draw: Draw,
    cal: Calendar,
    slots: list[Slot],
    index: int,
    users: list[int],
    who: tuple[int, int, int],
    items: JsonText,
    subtotal: int,
    cogs_total: int,
) -> Row:
    """An order in its lifecycle's state (``who``: its id, client and creator): subtotal in
    cents, cost of goods in millionths."""
    order_id, client_id, creator = who
    rnd, pick, between = draw.random, draw.pick, draw.between
    slot = slots[index]
    kind, created = slot.kind, slot.created
    day = cal.days[slot.day_no]
    now = cal.now
    margin = subtotal * 10_000 - cogs_total  # millionths
    subtotal_value = decimal_cents(subtotal)
    quote = kind.startswith("Q_")
    if slot.quote >= 0:
        terms = str(slots[slot.quote].made["terms"])
    elif quote:
        terms = "NET_30" if rnd() < 0.6 else _terms(draw)
    else:
        terms = _terms(draw)
    slot.made["terms"] = terms
    row: Row = {
        "id": order_id,
        "order_number": keys.order_number(),
        "orderType": "QUOTE" if quote else "SALE",
        "is_draft": quote or kind == "S_DRAFT",
        "client_id": client_id,
        "items": items,
        "subtotal": subtotal_value,
        "tax": _ZERO,
        "discount": _ZERO,
        "total": subtotal_value,
        # half-up roundings of non-negative integers: (2x + d) // 2d
        "total_cogs": decimal_ten_thousandths((cogs_total * 2 + 100) // 200),
        "total_margin": decimal_cents((margin * 2 + 10_000) // 20_000),
        "avg_margin_percent": decimal_cents((margin * 200 + subtotal * 100) // (subtotal * 200))
        if subtotal
        else _ZERO,
        "valid_until": None,
        "quoteStatus": None,
        "paymentTerms": terms,
        "due_date": None,
        "saleStatus": None,
        "invoice_id": None,
        "fulfillmentStatus": "DRAFT",
        "packed_at": None,
        "packed_by": None,
        "shipped_at": None,
        "shipped_by": None,
        "pickPackStatus": "PENDING",
        "converted_from_order_id": None,
        "converted_at": None,
        "confirmed_at": None,
        "deleted_at": None,
        "notes": None,
        "created_by": creator,
        "created_at": created,
        "updated_at": created,
    }
    age = cal.ages[slot.day_no]
    if quote:
        row["valid_until"] = day + THIRTY_DAYS
        status = {"Q_EXPIRED": "EXPIRED", "Q_CONVERTED": "CONVERTED"}.get(kind, "REJECTED")
        if kind == "Q_OPEN":
            r = rnd()
            status = "UNSENT" if r < 0.35 else "SENT" if r < 0.75 else "VIEWED"
        row["quoteStatus"] = status
        if kind == "Q_CONVERTED":
            row["converted_at"] = row["updated_at"] = slots[slot.sale].created
        elif kind == "Q_EXPIRED":  # the daily expiry job, the day after validity ends
            row["updated_at"] = datetime.combine(day + THIRTY_DAYS + _ONE_DAY, datetime.min.time())
        elif kind in ("Q_REJECTED", "Q_DELETED"):
            later = min(now, created + timedelta(hours=between(2, 24 * min(age + 1, 20))))
            row["updated_at"] = later
            if kind == "Q_DELETED":  # deleteOrder on a quote: soft delete + REJECTED
                row["deleted_at"] = later
        return row
    if kind == "S_DRAFT":
        return row
    row["confirmed_at"] = created
    row["due_date"] = day + _TERMS_DELTA[terms]
    row["saleStatus"] = "PENDING"
    row["fulfillmentStatus"] = "READY_FOR_PACKING"
    if slot.quote >= 0:
        row["converted_from_order_id"] = slots[slot.quote].made["id"]
    if kind == "S_OPEN":
        packed = created + timedelta(minutes=between(30, 60 * 26))
        if packed <= now and rnd() < 0.5:
            row.update(
                fulfillmentStatus="PACKED",
                packed_at=packed,
                packed_by=pick(users),
                pickPackStatus="READY",
                updated_at=packed,
            )
        elif rnd() < 0.3:
            row["pickPackStatus"] = "PICKING"
        return row
    if kind == "S_CANCELLED":
        row.update(
            fulfillmentStatus="CANCELLED",
            saleStatus="CANCELLED",
            updated_at=min(now, created + timedelta(hours=between(1, 48))),
        )
        return row
    # shipped: S_SHIPPED, S_CONVERTED, S_VOIDED (age >= 4: shipped before the as-of day)
    ship_day = day + timedelta(days=between(1, min(3, age - 1)))
    shipped = datetime.combine(ship_day, datetime.min.time()) + pick(DAY_MINUTES)
    shipper = pick(users)
    row.update(
        fulfillmentStatus="SHIPPED",
        shipped_at=shipped,
        shipped_by=shipper,
        pickPackStatus="READY",
        updated_at=shipped,
    )
    if rnd() < 0.8:
        row["packed_at"] = shipped - timedelta(minutes=between(20, 240))
        row["packed_by"] = shipper if rnd() < 0.6 else pick(users)
    delivered = shipped + timedelta(hours=between(3, 30))
    if delivered <= now and rnd() < 0.85:
        row.update(fulfillmentStatus="DELIVERED", updated_at=delivered)
        row["_delivered"] = delivered
        returned = delivered + timedelta(days=between(2, 14))
        if kind != "S_VOIDED" and returned <= now and rnd() < 0.02:
            row.update(fulfillmentStatus="RETURNED", updated_at=returned)
    if kind == "S_VOIDED":
        voided = min(now, shipped + timedelta(hours=between(2, 24 * 6)))
        row.update(_voided=voided, updated_at=max(row["updated_at"], voided))
    return row


def _notes(draw: Draw, row: Row) -> str | None:
    """Order notes as people and TERP's flows write them (``deliverOrder`` appends a
    ``[Delivered]`` line: ``server/routers/orders.ts:2778-2790``)."""
    notes = draw.pick(ORDER_NOTES) if draw.random() < 0.25 else None
    delivered = row.pop("_delivered", None)
    if delivered is not None:
        stamp = f"[Delivered]: Delivered: {delivered:%Y-%m-%dT%H:%M:%S}.000Z"
        notes = f"{notes}\n{stamp}" if notes else stamp
    if row["saleStatus"] == "CANCELLED" or row["fulfillmentStatus"] == "CANCELLED":
        reason = f"Cancelled: {draw.pick(CANCEL_REASONS)}"
        notes = f"{notes}\n{reason}" if notes else reason
    return notes


def _terms(draw: Draw) -> str:
    """A sale's payment terms with TERP's seeder's weights (half consignment)."""
    return "CONSIGNMENT" if draw.random() < 0.5 else draw.pick(_SALE_TERMS)


_SALE_TERMS = ("NET_7", "NET_15", "NET_30", "COD")
_ZERO = Decimal("0.00")
_QUANTITY_TEXT: dict[int, tuple[str, Decimal]] = {}
_PERCENT_TEXT: dict[int, tuple[str, Decimal]] = {}
_ONE_DAY = timedelta(days=1)
_TERMS_DELTA = {k: timedelta(days=v) for k, v in TERMS_DAYS.items()}

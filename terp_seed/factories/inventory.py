"""Inventory: calendar events, lots (supplier intakes), batches with their quantities,
warehouse locations, and where each batch sits (batchLocations)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.cannabis import cannabis_provider
from terp_seed.factories.cannabis_data import (
    CBD_RANGES,
    FLOWER,
    FLOWER_COGS_PER_LB,
    GROW_TYPES,
    NON_FLOWER_COGS_BASE,
    THC_RANGES,
)
from terp_seed.factories.draw import (
    Draw,
    Weighted,
    decimal_cents,
    decimal_ten_thousandths,
)

BATCH_STATUS = (
    ("LIVE", 60),
    ("SOLD_OUT", 15),
    ("AWAITING_INTAKE", 15),
    ("ON_HOLD", 5),
    ("QUARANTINED", 3),
    ("CLOSED", 2),
)
EVENT_KINDS = (
    ("INTAKE", "INVENTORY", 45),
    ("PHOTOGRAPHY", "INVENTORY", 25),
    ("DELIVERY", "ORDERS", 20),
    ("PAYMENT_DUE", "ACCOUNTING", 10),
)
# Every day from 2024-01-01 to the anchor day, built once.


def calendar_events(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Intake, photography, delivery and payment-due events created by staff users."""
    draw = gen.draw("calendar_events")
    pick = draw.pick
    users = gen.parents.column("users", "id")
    if not users:
        return
    kind_of = Weighted([k[:2] for k in EVENT_KINDS], [k[2] for k in EVENT_KINDS])
    days = gen.calendar.days
    recent = gen.calendar.days_ago(7)
    for _ in range(count):
        event_type, module = kind_of(draw)
        start = pick(days)
        yield (
            "calendar_events",
            {
                "id": gen.ids.next_id("calendar_events"),
                "title": f"{event_type.replace('_', ' ').title()} {start:%b %d}",
                "start_date": start,
                "end_date": start + timedelta(days=pick((0, 0, 1))),
                "module": module,
                "event_type": event_type,
                "status": "COMPLETED" if start < recent else "SCHEDULED",
                "priority": pick(("LOW", "MEDIUM", "MEDIUM", "HIGH")),
                "created_by": pick(users),
            },
        )


def lots(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Supplier intake events, dated over the run's history up to its as-of day."""
    draw = gen.draw("lots")
    pick, rnd = draw.pick, draw.random
    suppliers = [cid for cid, seller in gen.parents.rows("clients", ["id", "is_seller"]) if seller]
    vendors = gen.parents.column("vendors", "id")
    if not vendors:
        return
    next_code = gen.codes("lots", "code", "LOT-", 5)
    sentences = gen.pools.sentences
    days = gen.calendar.days
    for _ in range(count):
        when = datetime.combine(pick(days), datetime.min.time()) + timedelta(
            hours=draw.between(7, 17)
        )
        yield (
            "lots",
            {
                "id": gen.ids.next_id("lots"),
                "code": next_code(),
                "supplier_client_id": pick(suppliers) if suppliers else None,
                "vendorId": pick(vendors),
                "date": when,
                "notes": pick(sentences) if rnd() < 0.3 else None,
            },
        )


def locations(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Distinct warehouse slots (site, zone, rack, shelf, bin)."""
    provider = cannabis_provider(gen.faker("locations"))
    seen = set(gen.parents.rows("locations", ["site", "zone", "rack", "shelf", "bin"]))
    made = 0
    for _ in range(count * 50):
        if made >= count:
            break
        slot = tuple(provider.warehouse_location())
        if slot in seen:
            continue
        seen.add(slot)
        made += 1
        site, zone, rack, shelf, bin_ = slot
        yield (
            "locations",
            {
                "id": gen.ids.next_id("locations"),
                "site": site,
                "zone": zone,
                "rack": rack,
                "shelf": shelf,
                "bin": bin_,
            },
        )


def batches(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Batches of products within lots (about five per lot), each placed at 1-2 locations.

    Quantities are whole units and ten-thousandths, money whole cents: ``Decimal`` is built
    once per value, never used for arithmetic.
    """
    draw = gen.draw("batches")
    rnd, pick = draw.random, draw.pick
    products = [
        (pid, category, name, _cogs_range(category, name))
        for pid, category, name in gen.parents.rows("products", ["id", "category", "nameCanonical"])
    ]
    lot_ids = gen.parents.column("lots", "id")
    grades = set(gen.parents.column("grades", "name"))
    ready = dict(gen.parents.rows("workflow_statuses", ["slug", "id"])).get("ready-to-sell")
    photo_events = [
        i
        for i, t in gen.parents.rows("calendar_events", ["id", "event_type"])
        if t == "PHOTOGRAPHY"
    ]
    slots = gen.parents.rows("locations", ["site", "zone", "rack", "shelf", "bin"])
    if not (products and lot_ids):
        return
    next_id, next_code = gen.ids.next_id, gen.codes("batches", "code", "BATCH-", 6)
    status_of = Weighted.of(BATCH_STATUS)
    facilities: dict[int, str] = {}
    for i in range(count):
        product_id, category, name, (cogs_low, cogs_span) = pick(products)
        lot_id = lot_ids[(i // 5) % len(lot_ids)]
        flower = category == FLOWER
        status = status_of(draw)
        cogs = cogs_low + int(rnd() * cogs_span)  # cents
        on_hand = (10 + int(rnd() * 491)) if flower else (50 + int(rnd() * 951))
        if status in ("SOLD_OUT", "CLOSED"):
            on_hand = 0
        reserved = 0  # derived from the sales holding the batch (terp_seed/seeding/derive.py)
        consignment = rnd() < 0.9
        photographed = rnd() < 0.2 and bool(photo_events)
        batch_id = next_id("batches")
        code = next_code()
        facility = facilities.get(lot_id)
        if facility is None:  # a lot's packages share one facility block, like METRC tags
            facility = facilities[lot_id] = f"{draw.rng.getrandbits(28):07X}"
        low, high = THC_RANGES.get(category, THC_RANGES[FLOWER])
        thc = round(low + (high - low) * rnd(), 2)
        low, high = CBD_RANGES.get(category, CBD_RANGES[FLOWER])
        cbd = round(low + (high - low) * rnd(), 2)
        grade = _grade_in(name)
        on_hand_qty = decimal_ten_thousandths(on_hand * 10_000)
        yield (
            "batches",
            {
                "id": batch_id,
                "code": code,
                # TERP's SKU-<product>-<lot>-<index>; the index is the batch's code number,
                # unique across runs as codes continue after the highest existing one.
                "sku": f"SKU-{product_id:04d}-{lot_id:04d}-{int(code[6:]):03d}",
                "productId": product_id,
                "lotId": lot_id,
                "batchStatus": status,
                "isPhotographyComplete": photographed,
                "statusId": ready if status == "LIVE" else None,
                "grade": grade if grade in grades else None,
                "cogsMode": "FIXED",
                "unitCogs": decimal_cents(cogs),
                "paymentTerms": "CONSIGNMENT" if consignment else pick(_TERMS),
                "ownership_type": "CONSIGNED" if consignment else "OFFICE_OWNED",
                "amountPaid": _ZERO_CENTS if consignment else decimal_cents(cogs * on_hand),
                "metadata": (
                    f'{{"metrcTag": "1A4{facility}0000{batch_id:010d}", "thc": {thc}, '
                    f'"cbd": {cbd}, "coa": "COA-{batch_id:06d}"}}'
                ),
                "photo_session_event_id": pick(photo_events) if photographed else None,
                "onHandQty": on_hand_qty,
                "reservedQty": decimal_ten_thousandths(reserved),
                "publishEcom": 0,
                "publishB2b": 1,
            },
        )
        if slots:
            yield from _placements(gen, draw, batch_id, on_hand * 10_000, on_hand_qty, slots)


def _placements(
    gen: Gen,
    draw: Draw,
    batch_id: int,
    on_hand: int,
    on_hand_qty: Decimal,
    slots: list[tuple[Any, ...]],
) -> Iterator[tuple[str, Row]]:
    """Where a batch sits: one slot, or two splitting ``on_hand`` (ten-thousandths) exactly."""
    rnd = draw.random
    if on_hand == 0 or rnd() < 0.7:
        parts = [on_hand_qty]
    else:
        first = int(on_hand * (0.3 + 0.4 * rnd()))
        parts = [decimal_ten_thousandths(first), decimal_ten_thousandths(on_hand - first)]
    for qty in parts:
        site, zone, rack, shelf, bin_ = draw.pick(slots)
        yield (
            "batchLocations",
            {
                "id": gen.ids.next_id("batchLocations"),
                "batchId": batch_id,
                "site": site,
                "zone": zone,
                "rack": rack,
                "shelf": shelf,
                "bin": bin_,
                "qty": qty,
            },
        )


def _cogs_range(category: str, name: str) -> tuple[int, int]:
    """unitCogs in cents as ``(low, span)``: flower per lb from its grow's base +-10% (path A),
    $800-1,800 when the name shows no grow (path B); other categories $50 +-20% per unit."""
    if category != FLOWER:
        low, high = NON_FLOWER_COGS_BASE * 0.8, NON_FLOWER_COGS_BASE * 1.2
    else:
        grow = next((g for g in GROW_TYPES if g in name), None)
        base = FLOWER_COGS_PER_LB.get(grow or "")
        low, high = (base * 0.9, base * 1.1) if base else (800.0, 1800.0)
    return round(low * 100), round((high - low) * 100)


def _grade_in(name: str) -> str | None:
    padded = f"{name} "
    return next((g for g in ("AAA", "AA", "A") if f" {g} " in padded), None)


_TERMS = ("COD", "NET_7", "NET_15", "NET_30")
_ZERO_CENTS = Decimal("0.00")

"""Inventory: calendar events, lots (supplier intakes), batches with their quantities,
warehouse locations, and where each batch sits (batchLocations).

Shaped as TERP's own write paths leave them (docs/data.md, "Inventory"): a lot is one intake
from one supplier party, dated over the run's history with most stock received in the last few
months; each batch is created at its lot's intake moment and has the status, quantities and
catalogue flags TERP's state machine gives a batch of its age.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.batch_metadata import metadata_json
from terp_seed.factories.calendar import WORKING_MINUTES
from terp_seed.factories.cannabis import cannabis_provider
from terp_seed.factories.cannabis_data import CBD_RANGES, FLOWER, THC_RANGES
from terp_seed.factories.draw import Draw, Weighted, decimal_cents, decimal_ten_thousandths
from terp_seed.factories.wholesale import (
    BULK_RECEIVED,
    FLOWER_RECEIVED,
    TIER_WEIGHTS,
    UNIT_RECEIVED,
    flower_cost,
    grade_tiers,
    is_bulk,
    unit_cost,
)
from terp_seed.schema import metadata

# Lot age (days before the as-of day): a week of fresh intakes, most within four months, a
# tail over the whole history (what older sales sold from).
LOT_AGES = Weighted.of((((0, 6), 10), ((7, 120), 45), ((121, -1), 45)))
# Batch status by age, as TERP's state machine leaves it (server/constants/batchStatuses.ts).
STATUS_FRESH = Weighted.of((("AWAITING_INTAKE", 65), ("LIVE", 35)))  # received 0-2 days ago
STATUS_RECENT = Weighted.of(
    (("LIVE", 82), ("ON_HOLD", 6), ("QUARANTINED", 4), ("SOLD_OUT", 8))
)  # up to 120 days
STATUS_AGED = Weighted.of(
    (("SOLD_OUT", 60), ("CLOSED", 14), ("LIVE", 20), ("ON_HOLD", 4), ("QUARANTINED", 2))
)
WORKFLOW = {  # batchStatus -> workflow_statuses slugs, TERP's defaults first
    "AWAITING_INTAKE": ("intake-queue", "quality-check", "lab-testing", "awaiting-intake"),
    "LIVE": ("ready-for-sale", "ready-to-sell"),
    "ON_HOLD": ("on-hold",),
    "QUARANTINED": ("quality-check", "lab-testing"),
}
EVENT_KINDS = (
    ("INTAKE", "INVENTORY", 45),
    ("PHOTOGRAPHY", "INVENTORY", 25),
    ("DELIVERY", "ORDERS", 20),
    ("PAYMENT_DUE", "ACCOUNTING", 10),
)
EVENT_TITLES = {
    "INTAKE": "Supplier intake",
    "PHOTOGRAPHY": "Photography session",
    "DELIVERY": "Delivery run",
    "PAYMENT_DUE": "Payment due",
}
INTAKE_MINUTES = WORKING_MINUTES[: 9 * 60]  # 08:00-16:59: before the as-of moment (17:00)


def _age_days(draw: Draw, history: int) -> int:
    low, high = LOT_AGES(draw)
    high = history if high < 0 else min(high, history)
    return min(low, high) + int(draw.random() * (high - min(low, high) + 1))


def calendar_events(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Intake, photography, delivery and payment-due events created by staff users: all-day
    (floating) events, COMPLETED before the as-of day and SCHEDULED from it on."""
    draw = gen.draw("calendar_events")
    pick, rnd = draw.pick, draw.random
    users = gen.parents.column("users", "id")
    if not users:
        return
    cal = gen.calendar
    history = len(cal.days) - 1
    kind_of = Weighted([k[:2] for k in EVENT_KINDS], [k[2] for k in EVENT_KINDS])
    planned: list[tuple[date, str, str]] = []
    for _ in range(count):
        event_type, module = kind_of(draw)
        # a sixth are coming up in the next four weeks; photo sessions have happened
        ahead = event_type != "PHOTOGRAPHY" and rnd() < 0.17
        offset = -int(rnd() * 28) if ahead else _age_days(draw, history)
        planned.append((cal.as_of - timedelta(days=offset), event_type, module))
    planned.sort()
    for start, event_type, module in planned:
        upcoming = start >= cal.as_of
        cancelled = event_type != "PHOTOGRAPHY" and rnd() < 0.05
        due = event_type == "PAYMENT_DUE"
        yield (
            "calendar_events",
            {
                "id": gen.ids.next_id("calendar_events"),
                "title": f"{EVENT_TITLES[event_type]} {start:%b %d}",
                "start_date": start,
                "end_date": start
                + timedelta(days=1 if event_type == "INTAKE" and rnd() < 0.2 else 0),
                "is_floating_time": True,  # all-day: no start or end time
                "module": module,
                "event_type": event_type,
                "status": "CANCELLED" if cancelled else "SCHEDULED" if upcoming else "COMPLETED",
                "priority": "HIGH" if due else pick(("LOW", "MEDIUM", "MEDIUM", "HIGH")),
                "visibility": "TEAM" if due else "COMPANY",
                "is_auto_generated": due,
                "created_by": pick(users),
                "created_at": datetime.combine(
                    min(start, cal.as_of) - timedelta(days=draw.between(1, 14)), datetime.min.time()
                )
                + pick(INTAKE_MINUTES),
            },
        )


def _lot_vendor_is_client() -> bool:
    """True when the schema reads ``lots.vendorId`` as a client id (TERP does:
    server/routers/orders.ts:2990-3024); until then the supplier's own vendors row."""
    return bool(metadata.tables["lots"].c["vendorId"].info.get("app_ref") == "clients.id")


def lots(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Supplier intakes, one supplier party each, dated over the run's history (mostly the last
    few months), oldest first."""
    draw = gen.draw("lots")
    pick, rnd = draw.pick, draw.random
    names = dict(gen.parents.rows("vendors", ["name", "id"]))
    legacy = dict(gen.parents.rows("supplier_profiles", ["client_id", "legacy_vendor_id"]))
    suppliers = [
        (cid, legacy.get(cid) or names.get(name))
        for cid, name, seller in gen.parents.rows("clients", ["id", "name", "is_seller"])
        if seller
    ]
    vendors = list(names.values())
    as_client = _lot_vendor_is_client()
    if not (suppliers if as_client else vendors):
        return
    next_code = gen.codes("lots", "code", "LOT-", 5)
    sentences = gen.pools.sentences
    cal = gen.calendar
    history = len(cal.days) - 1
    ages = sorted((_age_days(draw, history) for _ in range(count)), reverse=True)
    for age in ages:
        when = cal.midnights[history - age] + pick(INTAKE_MINUTES)
        client, vendor = pick(suppliers) if suppliers else (None, None)
        yield (
            "lots",
            {
                "id": gen.ids.next_id("lots"),
                "code": next_code(),
                "supplier_client_id": client,
                "vendorId": client if as_client else vendor or pick(vendors),
                "date": when,
                "notes": pick(sentences) if rnd() < 0.3 else None,
                "createdAt": when,
                "updatedAt": when,
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
    """Batches of products within lots (five per lot), each created at its lot's intake and
    placed at 1-2 locations.

    Quantities are whole units and ten-thousandths, money whole cents: ``Decimal`` is built
    once per value, never used for arithmetic. ``reservedQty`` stays 0: it is derived from the
    orders after the sales step.
    """
    draw = gen.draw("batches")
    rnd, pick = draw.random, draw.pick
    products = _products(gen)
    lot_rows = gen.parents.rows("lots", ["id", "date", "supplier_client_id"])
    if not (products and lot_rows):
        return
    lots_used = [
        (lot_id, when, supplier, max(0, (gen.calendar.as_of - when.date()).days))
        for lot_id, when, supplier in lot_rows[-max(1, math.ceil(count / 5)) :]
    ]
    tiers = grade_tiers(gen.parents.rows("grades", ["name", "sortOrder"]))
    by_tier = sorted(tiers, key=tiers.__getitem__)
    tier_of = Weighted(range(len(TIER_WEIGHTS)), TIER_WEIGHTS)
    slugs = dict(gen.parents.rows("workflow_statuses", ["slug", "id"]))
    workflow = {s: [slugs[x] for x in xs if x in slugs] for s, xs in WORKFLOW.items()}
    photo = _photo_sessions(gen)
    photo_days = [d for d, _ in photo]
    slots = gen.parents.rows("locations", ["site", "zone", "rack", "shelf", "bin"])
    quarantine_slots = [s for s in slots if s[1] == "Quarantine"] or slots
    by_supplier: dict[Any, list[tuple[Any, ...]]] = {}
    for p in products:
        by_supplier.setdefault(p[1], []).append(p)
    cal = gen.calendar
    now = cal.now
    next_id, next_code = gen.ids.next_id, gen.codes("batches", "code", "BATCH-S", 6)
    facilities: dict[int, str] = {}
    for i in range(count):
        lot_id, lot_date, supplier, age = lots_used[(i // 5) % len(lots_used)]
        pid, _, flower, bulk, words, grade, costs, potency = pick(
            by_supplier.get(supplier) or products
        )
        created = lot_date + _MINUTES[int(rnd() * 91)]  # the same day: lots are before 17:00
        created = max(lot_date, min(created, now))
        status = (STATUS_FRESH if age <= 2 else STATUS_RECENT if age <= 120 else STATUS_AGED)(draw)
        if flower:
            tier = tiers[grade] if grade in tiers else tier_of(draw)
            if grade not in tiers and by_tier:
                grade = by_tier[min(tier, len(by_tier) - 1)]
            cost_low, cost_span = costs[min(tier, len(costs) - 1)]
        else:
            grade = None
            cost_low, cost_span = costs[0]
        cogs = cost_low + int(rnd() * cost_span)  # cents
        low, high = FLOWER_RECEIVED if flower else BULK_RECEIVED if bulk else UNIT_RECEIVED
        received = low + int(rnd() * (high - low + 1))
        on_hand = _remaining(draw, status, age, received)
        consignment = rnd() < 0.9
        terms = "CONSIGNMENT" if consignment else pick(_TERMS)
        paid = not consignment and (terms == "COD" or age > _TERMS_DAYS[terms])
        session = None
        if photo_days and status not in ("AWAITING_INTAKE", "QUARANTINED"):
            at = bisect_left(photo_days, created.date())
            if at < len(photo) and rnd() < 0.8:
                session = photo[min(len(photo) - 1, at + int(rnd() * 3))][1]
        live = status == "LIVE"
        b2b = live and session is not None and rnd() < 0.85
        batch_id = next_id("batches")
        code = next_code()
        facility = facilities.get(lot_id)
        if facility is None:  # a lot's packages share one facility block, like METRC tags
            facility = facilities[lot_id] = f"{draw.rng.getrandbits(28):07X}"
        qty = decimal_ten_thousandths(on_hand * 10_000)
        flow = workflow.get(status)
        closed_deleted = status == "CLOSED" and rnd() < 0.25
        yield (
            "batches",
            {
                "id": batch_id,
                "code": code,
                # TERP's seeder SKU-<product>-<lot>-<index>; the index is the code's number,
                # unique across runs as codes continue after the highest existing one.
                "sku": f"SKU-{pid:04d}-{lot_id:04d}-{int(code[7:]):03d}",
                "productId": pid,
                "lotId": lot_id,
                "batchStatus": status,
                "isPhotographyComplete": session is not None,
                "statusId": pick(flow) if flow else None,
                "grade": grade,
                "cogsMode": "FIXED",
                "unitCogs": decimal_cents(cogs),
                "paymentTerms": terms,
                "ownership_type": "CONSIGNED" if consignment else "OFFICE_OWNED",
                "amountPaid": decimal_cents(cogs * received) if paid else _ZERO_CENTS,
                "metadata": None
                if rnd() < 0.12
                else metadata_json(draw, batch_id, facility, lot_date, words, flower, potency),
                "photo_session_event_id": session,
                "onHandQty": _ZERO_QTY if status == "QUARANTINED" else qty,
                "reservedQty": _ZERO_QTY,
                "quarantineQty": qty if status == "QUARANTINED" else _ZERO_QTY,
                "holdQty": qty if status == "ON_HOLD" else _ZERO_QTY,
                "publishEcom": int(b2b and rnd() < 0.35),
                "publishB2b": int(b2b),
                "deleted_at": min(now, created + timedelta(minutes=int(age * 1440 * rnd())))
                if closed_deleted
                else None,
                "createdAt": created,
                "updatedAt": created,
            },
        )
        if slots:
            placed = 0 if status == "QUARANTINED" else on_hand * 10_000
            where = quarantine_slots if status == "QUARANTINED" else slots
            yield from _placements(gen, draw, batch_id, placed, qty if placed else _ZERO_QTY, where)


def _remaining(draw: Draw, status: str, age: int, received: int) -> int:
    """Whole units still held of ``received``: all of it before intake, less as it ages."""
    if status in ("SOLD_OUT", "CLOSED"):
        return 0
    if status == "AWAITING_INTAKE":
        return received
    rnd = draw.random()
    if age <= 14:
        share = 0.6 + 0.4 * rnd
    elif age <= 120:
        share = max(0.08, 1 - age / 140) * (0.6 + 0.4 * rnd)
    else:
        share = 0.05 + 0.25 * rnd
    return max(1, round(received * share))


def _products(gen: Gen) -> list[tuple[Any, ...]]:
    """``(id, supplier, flower, bulk, words, grade in the name, costs by tier, potency)``."""
    grades = set(gen.parents.column("grades", "name"))
    found = []
    for pid, category, sub, name, supplier in gen.parents.rows(
        "products", ["id", "category", "subcategory", "nameCanonical", "supplier_client_id"]
    ):
        words = f"{sub or ''} {name}".lower()
        flower = category == FLOWER
        grade = next((w for w in str(name).split() if w in grades), None) if flower else None
        costs = (
            [flower_cost(words, t) for t in range(len(TIER_WEIGHTS))]
            if flower
            else [unit_cost(category, words)]
        )
        potency = THC_RANGES.get(category), CBD_RANGES.get(category)
        if potency[0] is None or potency[1] is None:
            potency = (
                ((70.0, 92.0), (0.1, 3.0))
                if is_bulk(category)
                else (THC_RANGES[FLOWER], CBD_RANGES[FLOWER])
            )
        found.append((pid, supplier, flower, is_bulk(category), words, grade, costs, potency))
    return found


def _photo_sessions(gen: Gen) -> list[tuple[date, int]]:
    """Photography sessions that have taken place, by day: ``(start_date, id)``."""
    return sorted(
        (start, eid)
        for eid, kind, start, status in gen.parents.rows(
            "calendar_events", ["id", "event_type", "start_date", "status"]
        )
        if kind == "PHOTOGRAPHY" and status == "COMPLETED"
    )


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


_TERMS = ("COD", "NET_7", "NET_15", "NET_30")
_TERMS_DAYS = {"COD": 0, "NET_7": 7, "NET_15": 15, "NET_30": 30, "CONSIGNMENT": 0}
_ZERO_CENTS = Decimal("0.00")
_ZERO_QTY = Decimal("0.0000")
_MINUTES = tuple(timedelta(minutes=m) for m in range(91))

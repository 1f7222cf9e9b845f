"""Inventory: calendar events, lots (supplier intakes), batches with their quantities,
warehouse locations, and where each batch sits (batchLocations)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from terp_seed.factories.base import ANCHOR_DATE, Gen, Row
from terp_seed.factories.cannabis import cannabis_provider
from terp_seed.factories.cannabis_data import FLOWER

START_DATE = date(2024, 1, 1)  # TERP's generators date intake from 2024-01-01 to now
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
Q4 = Decimal("0.0001")


def _day(gen_rng: object, start: date = START_DATE, end: date = ANCHOR_DATE) -> date:
    import random

    assert isinstance(gen_rng, random.Random)
    return start + timedelta(days=gen_rng.randint(0, (end - start).days))


def calendar_events(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Intake, photography, delivery and payment-due events created by staff users."""
    rng = gen.rng("calendar_events")
    users = gen.parents.column("users", "id")
    if not users:
        return
    kinds = [k for k in EVENT_KINDS for _ in range(k[2])]
    for _ in range(count):
        event_type, module, _w = rng.choice(kinds)
        start = _day(rng)
        yield (
            "calendar_events",
            {
                "id": gen.ids.next_id("calendar_events"),
                "title": f"{event_type.replace('_', ' ').title()} {start:%b %d}",
                "start_date": start,
                "end_date": start + timedelta(days=rng.choice((0, 0, 1))),
                "module": module,
                "event_type": event_type,
                "status": "COMPLETED" if start < ANCHOR_DATE - timedelta(days=7) else "SCHEDULED",
                "priority": rng.choice(("LOW", "MEDIUM", "MEDIUM", "HIGH")),
                "created_by": rng.choice(users),
            },
        )


def lots(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Supplier intake events, dated 2024-01-01 to the anchor day."""
    rng = gen.rng("lots")
    suppliers = [cid for cid, seller in gen.parents.rows("clients", ["id", "is_seller"]) if seller]
    vendors = gen.parents.column("vendors", "id")
    if not vendors:
        return
    for _ in range(count):
        when = datetime.combine(_day(rng), datetime.min.time()) + timedelta(
            hours=rng.randint(7, 17)
        )
        yield (
            "lots",
            {
                "id": gen.ids.next_id("lots"),
                "code": gen.next_code("lots", "code", "LOT-", 5),
                "supplier_client_id": rng.choice(suppliers) if suppliers else None,
                "vendorId": rng.choice(vendors),
                "date": when,
                "notes": rng.choice(gen.pools.sentences) if rng.random() < 0.3 else None,
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
    """Batches of products within lots (about five per lot), each placed at 1-2 locations."""
    rng = gen.rng("batches")
    provider = cannabis_provider(gen.faker("batches"))
    products = gen.parents.rows("products", ["id", "category", "nameCanonical"])
    lot_ids = gen.parents.column("lots", "id")
    grades = set(gen.parents.column("grades", "name"))
    statuses = dict(gen.parents.rows("workflow_statuses", ["slug", "id"]))
    photo_events = [
        i
        for i, t in gen.parents.rows("calendar_events", ["id", "event_type"])
        if t == "PHOTOGRAPHY"
    ]
    slots = gen.parents.rows("locations", ["site", "zone", "rack", "shelf", "bin"])
    if not (products and lot_ids):
        return
    weights = [w for _, w in BATCH_STATUS]
    names = [s for s, _ in BATCH_STATUS]
    for i in range(count):
        product_id, category, name = rng.choice(products)
        lot_id = lot_ids[(i // 5) % len(lot_ids)]
        flower = category == FLOWER
        status = rng.choices(names, weights)[0]
        grow = next((g for g in ("Indoor", "Greenhouse", "Outdoor") if g in name), None)
        cogs = provider.unit_cogs(category, grow if flower else None)
        on_hand = Decimal(rng.randint(10, 500) if flower else rng.randint(50, 1000))
        if status in ("SOLD_OUT", "CLOSED"):
            on_hand = Decimal(0)
        reserved = Decimal(0)
        if status == "LIVE" and rng.random() < 0.15:
            reserved = (on_hand * Decimal(rng.uniform(0.1, 0.4))).quantize(Q4)
        consignment = rng.random() < 0.9
        terms = "CONSIGNMENT" if consignment else rng.choice(("COD", "NET_7", "NET_15", "NET_30"))
        grade = next((g for g in ("AAA", "AA", "A") if f" {g} " in f"{name} "), None)
        photographed = rng.random() < 0.2 and bool(photo_events)
        batch_id = gen.ids.next_id("batches")
        code = gen.next_code("batches", "code", "BATCH-", 6)
        tag = provider.metrc_tag()
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
                "statusId": statuses.get("ready-to-sell") if status == "LIVE" else None,
                "grade": grade if grade in grades else None,
                "cogsMode": "FIXED",
                "unitCogs": cogs,
                "paymentTerms": terms,
                "ownership_type": "CONSIGNED" if consignment else "OFFICE_OWNED",
                "amountPaid": Decimal(0)
                if consignment
                else (cogs * on_hand).quantize(Decimal("0.01")),
                "metadata": json.dumps(
                    {
                        "metrcTag": tag,
                        "thc": provider.thc_percent(category),
                        "cbd": provider.cbd_percent(category),
                        "coa": f"COA-{batch_id:06d}",
                    }
                ),
                "photo_session_event_id": rng.choice(photo_events) if photographed else None,
                "onHandQty": on_hand,
                "reservedQty": reserved,
                "publishEcom": 0,
                "publishB2b": 1,
            },
        )
        yield from _placements(gen, rng, batch_id, on_hand, slots)


def _placements(
    gen: Gen, rng: object, batch_id: int, on_hand: Decimal, slots: list[tuple[object, ...]]
) -> Iterator[tuple[str, Row]]:
    import random

    assert isinstance(rng, random.Random)
    if not slots:
        return
    parts = 1 if on_hand == 0 or rng.random() < 0.7 else 2
    first = (on_hand * Decimal(rng.uniform(0.3, 0.7))).quantize(Q4) if parts == 2 else on_hand
    for qty in (first, on_hand - first)[:parts]:
        site, zone, rack, shelf, bin_ = rng.choice(slots)
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

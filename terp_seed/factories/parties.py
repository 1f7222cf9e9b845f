"""Parties: staff users, clients (whale and regular buyers, supplier clients with their
supplier profiles) and the deprecated vendors table that lots and brands still point at."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from terp_seed.factories.base import ANCHOR_DATE, Gen, Row
from terp_seed.factories.cannabis import cannabis_provider

ANCHOR = datetime.combine(ANCHOR_DATE, datetime.min.time()).replace(hour=17)
# TERP's path B: 15% whales, 70% regular buyers, 15% supplier clients.
CLIENT_MIX = (("WHL", 0.15), ("REG", 0.70), ("VND", 0.15))
TAGS = {
    "WHL": ["wholesale", "high-volume", "cannabis"],
    "REG": ["retail", "cannabis"],
    "VND": ["vendor", "supplier", "cultivator"],
}
BUSINESS_TYPES = {
    "WHL": ("WHOLESALE", "DISTRIBUTOR", "DISPENSARY"),
    "REG": ("RETAIL", "DISPENSARY", "DELIVERY"),
    "VND": ("MANUFACTURER", "DISTRIBUTOR", "OTHER"),
}
VENDOR_TERMS = ("Net 30", "Net 15", "Net 60", "Due on Receipt", "COD")
SPECIALTIES = (
    "Indoor flower",
    "Sungrown flower",
    "Solventless extracts",
    "Live resin",
    "Pre-roll manufacturing",
    "Greenhouse flower",
    "Edibles co-packing",
)
REGIONS = (
    "Humboldt County",
    "Mendocino County",
    "Trinity County",
    "Sonoma County",
    "the Salinas Valley",
    "Santa Cruz County",
    "Lake County",
    "the Coachella Valley",
)


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def _when(days_ago: int) -> datetime:
    return ANCHOR - timedelta(days=days_ago)


def users(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Staff users: the first is an admin; OAuth subjects are unique random UUIDs."""
    rng, pools = gen.rng("users"), gen.pools
    for i in range(count):
        first, last = rng.choice(pools.first_names), rng.choice(pools.last_names)
        uid = gen.ids.next_id("users")
        created = _when(rng.randint(300, 700))
        yield (
            "users",
            {
                "id": uid,
                "openId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "name": f"{first} {last}",
                "email": f"{_slug(first)}.{_slug(last)}.{uid}@example.com",
                "loginMethod": rng.choice(("google", "google", "email")),
                "role": "admin" if i == 0 or rng.random() < 0.1 else "user",
                "createdAt": created,
                "lastSignedIn": _when(rng.randint(0, 30)),
            },
        )


def vendors(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Deprecated suppliers table (still referenced by lots, brands and bills)."""
    rng, pools = gen.rng("vendors"), gen.pools
    taken = set(gen.parents.column("vendors", "name", include_deleted=True))
    provider = cannabis_provider(gen.faker("vendors"))
    names = [n for n in provider.supplier_business_names(count + len(taken)) if n not in taken]
    for name in names[:count]:
        person = pools.full_name(rng)
        yield (
            "vendors",
            {
                "id": gen.ids.next_id("vendors"),
                "name": name,
                "contactName": person,
                "contactEmail": f"sales.{_slug(name)}@example.com",
                "contactPhone": rng.choice(pools.phones),
                "paymentTerms": rng.choice(VENDOR_TERMS),
                "notes": f"{rng.choice(SPECIALTIES)}. Located in {rng.choice(REGIONS)}.",
            },
        )


def clients(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Buyers and supplier clients in TERP's mix, with a supplier profile per supplier."""
    rng, pools = gen.rng("clients"), gen.pools
    provider = cannabis_provider(gen.faker("clients"))
    kinds = _mix(count)
    supplier_names = iter(provider.supplier_business_names(kinds.count("VND")))
    whales: list[int] = []
    for kind in kinds:
        cid = gen.ids.next_id("clients")
        code = gen.next_code("clients", "teri_code", kind, 4)
        name = next(supplier_names) if kind == "VND" else rng.choice(pools.buyer_names)
        if kind == "WHL":
            whales.append(cid)
        referred = rng.choice(whales) if kind == "REG" and whales and rng.random() < 0.1 else None
        credit = {"WHL": (100_000, 500_000), "REG": (10_000, 50_000), "VND": (0, 0)}[kind]
        yield (
            "clients",
            {
                "id": cid,
                "teri_code": code,
                "name": name,
                "email": f"{'sales' if kind == 'VND' else 'contact'}.{_slug(name)}.{code.lower()}"
                "@example.com",
                "phone": rng.choice(pools.phones),
                "address": rng.choice(pools.addresses),
                "businessType": rng.choice(BUSINESS_TYPES[kind]),
                "preferredContact": rng.choice(("EMAIL", "PHONE", "TEXT", "ANY")),
                "payment_terms": rng.choice((7, 15, 30, 30, 30)),
                "is_buyer": kind != "VND",
                "is_seller": kind == "VND",
                "is_brand": kind == "WHL" and rng.random() < 0.10,
                "is_referee": kind == "WHL" and rng.random() < 0.2,
                "is_contractor": False,
                "tags": TAGS[kind],
                "credit_limit": Decimal(
                    rng.randrange(credit[0], credit[1] + 1, 5000) if credit[1] else 0
                ),
                "vip_portal_enabled": kind == "WHL" and rng.random() < 0.5,
                "wishlist": rng.choice(pools.sentences)
                if kind != "VND" and rng.random() < 0.2
                else None,
                "referred_by_client_id": referred,
                "created_at": _when(rng.randint(400, 700)),
            },
        )
        if kind == "VND":
            yield "supplier_profiles", _supplier_profile(gen, cid, name)


def _supplier_profile(gen: Gen, client_id: int, name: str) -> Row:
    rng, pools = gen.rng(f"supplier_profiles:{client_id}"), gen.pools
    provider = cannabis_provider(gen.faker("supplier_profiles"))
    return {
        "id": gen.ids.next_id("supplier_profiles"),
        "client_id": client_id,
        "contact_name": pools.full_name(rng),
        "contact_email": f"sales.{_slug(name)}.{client_id}@example.com",
        "contact_phone": rng.choice(pools.phones),
        "payment_terms": rng.choice(VENDOR_TERMS),
        "supplier_notes": f"{rng.choice(SPECIALTIES)}. Located in {rng.choice(REGIONS)}.",
        "legacy_vendor_id": None,
        "preferred_payment_method": rng.choice(("ACH", "ACH", "CHECK", "WIRE", "CASH")),
        "tax_id": f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}",
        "license_number": provider.license_number(
            rng.choice(("cultivation", "distributor", "manufacturer"))
        ),
    }


def _mix(count: int) -> list[str]:
    """Client kinds for ``count`` clients in TERP's proportions, interleaved deterministically."""
    whales = round(count * 0.15)
    suppliers = round(count * 0.15) if count >= 3 else 0
    regular = count - whales - suppliers
    kinds = ["WHL"] * whales + ["REG"] * regular + ["VND"] * suppliers
    return kinds

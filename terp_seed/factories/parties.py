"""Parties: staff users, clients (whale and regular buyers, supplier clients with their
supplier profiles) and the deprecated vendors table that lots and brands still point at."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.cannabis import cannabis_provider
from terp_seed.factories.cannabis_data import (
    CULTIVATION_LICENSE_YEARS,
    DCC_LICENSE_TYPES,
    LICENSE_KINDS,
    SUPPLIERS,
)
from terp_seed.factories.draw import Draw

# TERP's path B: 15% whales, 70% regular buyers, 15% supplier clients.
CLIENT_MIX = (("WHL", 0.15), ("REG", 0.70), ("VND", 0.15))
# Tuples: shared by every row of a kind (immutable) and serialised once by the bulk loader.
TAGS = {
    "WHL": ("wholesale", "high-volume", "cannabis"),
    "REG": ("retail", "cannabis"),
    "VND": ("vendor", "supplier", "cultivator"),
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


def _when(gen: Gen, days_ago: int) -> datetime:
    return gen.calendar.now - timedelta(days=days_ago)


def users(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Staff users: the first is an admin; OAuth subjects are unique random UUIDs."""
    rng, pools = gen.rng("users"), gen.pools
    for i in range(count):
        first, last = rng.choice(pools.first_names), rng.choice(pools.last_names)
        uid = gen.ids.next_id("users")
        created = _when(gen, rng.randint(300, 700))
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
                "lastSignedIn": _when(gen, rng.randint(0, 30)),
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
    """Buyers and supplier clients in TERP's mix, with a supplier profile per supplier.

    Whales come first, so a regular buyer's referrer is always an earlier row. Every value is
    drawn from pools or precomputed tables with one seeded generator: no Faker call and no new
    ``random.Random`` per row.
    """
    draw, pools = gen.draw("clients"), gen.pools
    rnd = draw.random
    next_id = gen.ids.next_id
    whales_n, regular_n, suppliers_n = _mix_counts(count)
    codes = {
        kind: gen.codes("clients", "teri_code", kind, 4)
        for kind, n in (("WHL", whales_n), ("REG", regular_n), ("VND", suppliers_n))
        if n
    }
    slugs = _SlugCache()
    buyer_names, phones, addresses = pools.buyer_names, pools.phones, pools.addresses
    sentences = pools.sentences
    n_contact, n_terms, n_sentences = len(_CONTACT), len(_CLIENT_TERMS), len(sentences)
    created_at = tuple(_when(gen, d) for d in range(400, 701))
    n_created = len(created_at)
    whales: list[int] = []
    kinds = (("WHL", whales_n), ("REG", regular_n), ("VND", suppliers_n))
    supplier_names = _supplier_names(draw, suppliers_n)
    for kind, n in kinds:
        next_code = codes.get(kind)
        credits = _CREDIT_LIMITS[kind]
        business_types = BUSINESS_TYPES[kind]
        tags = TAGS[kind]
        vendor = kind == "VND"
        mailbox = "sales" if vendor else "contact"
        # draw.pick inlined (the same draws): a method call per value is a tenth of a row
        n_business, n_credits = len(business_types), len(credits)
        for _ in range(n):
            assert next_code is not None
            cid = next_id("clients")
            code = next_code()
            name = next(supplier_names) if vendor else buyer_names[int(rnd() * len(buyer_names))]
            whale = kind == "WHL"
            if whale:
                whales.append(cid)
            referred = (
                whales[int(rnd() * len(whales))]
                if kind == "REG" and whales and rnd() < 0.1
                else None
            )
            yield (
                "clients",
                {
                    "id": cid,
                    "teri_code": code,
                    "name": name,
                    "email": f"{mailbox}.{slugs(name)}.{code.lower()}@example.com",
                    "phone": phones[int(rnd() * len(phones))],
                    "address": addresses[int(rnd() * len(addresses))],
                    "businessType": business_types[int(rnd() * n_business)],
                    "preferredContact": _CONTACT[int(rnd() * n_contact)],
                    "payment_terms": _CLIENT_TERMS[int(rnd() * n_terms)],
                    "is_buyer": not vendor,
                    "is_seller": vendor,
                    "is_brand": whale and rnd() < 0.10,
                    "is_referee": whale and rnd() < 0.2,
                    "is_contractor": False,
                    "tags": tags,
                    "credit_limit": credits[int(rnd() * n_credits)],
                    "vip_portal_enabled": whale and rnd() < 0.5,
                    "wishlist": sentences[int(rnd() * n_sentences)]
                    if not vendor and rnd() < 0.2
                    else None,
                    "referred_by_client_id": referred,
                    "created_at": created_at[int(rnd() * n_created)],
                },
            )
            if vendor:
                yield "supplier_profiles", _supplier_profile(gen, draw, cid, slugs(name))


def _supplier_profile(gen: Gen, draw: Draw, client_id: int, slug: str) -> Row:
    pools, pick, rnd = gen.pools, draw.pick, draw.random
    return {
        "id": gen.ids.next_id("supplier_profiles"),
        "client_id": client_id,
        "contact_name": f"{pick(pools.first_names)} {pick(pools.last_names)}",
        "contact_email": f"sales.{slug}.{client_id}@example.com",
        "contact_phone": pick(pools.phones),
        "payment_terms": pick(VENDOR_TERMS),
        "supplier_notes": pick(_SUPPLIER_NOTES),
        "legacy_vendor_id": None,
        "preferred_payment_method": pick(("ACH", "ACH", "CHECK", "WIRE", "CASH")),
        "tax_id": f"{10 + int(rnd() * 90)}-{1000000 + int(rnd() * 9000000)}",
        "license_number": license_number(
            draw, pick(("cultivation", "distributor", "manufacturer"))
        ),
    }


def license_number(draw: Draw, kind: str) -> str:
    """A California licence number in the DCC formats (see ``CannabisProvider.license_number``).

    :example: 'CCL21-0001234'
    """
    serial = draw.between(1, 999_999)
    if kind in DCC_LICENSE_TYPES:
        return f"{DCC_LICENSE_TYPES[kind]}-{serial:07d}-LIC"
    if kind == "cultivation":
        return f"CCL{draw.pick(CULTIVATION_LICENSE_YEARS)}-{serial:07d}"
    if kind == "manufacturer":
        return f"CDPH-1{draw.between(1, 99_999):07d}"
    raise ValueError(f"unknown licence kind {kind!r}: expected one of {LICENSE_KINDS}")


def _supplier_names(draw: Draw, count: int) -> Iterator[str]:
    """``count`` distinct supplier names: path B's list shuffled, then ``' #2'``, ``' #3'`` ..."""
    order = draw.rng.sample(SUPPLIERS, len(SUPPLIERS))
    for i in range(count):
        round_no, index = divmod(i, len(order))
        yield order[index] if round_no == 0 else f"{order[index]} #{round_no + 1}"


class _SlugCache:
    """``_slug`` of a name, computed once per distinct base name (``'X #12'`` reuses ``'X'``)."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        slug = self._seen.get(name)
        if slug is None:
            base, sep, number = name.rpartition(" #")
            if sep and number.isdigit():
                slug = f"{self(base)}-{number}"
            else:
                slug = _slug(name)
                if len(self._seen) < 100_000:
                    self._seen[name] = slug
        return slug


def _mix_counts(count: int) -> tuple[int, int, int]:
    """Whales, regular buyers and suppliers for ``count`` clients in TERP's proportions."""
    whales = round(count * 0.15)
    suppliers = round(count * 0.15) if count >= 3 else 0
    return whales, count - whales - suppliers, suppliers


_CONTACT = ("EMAIL", "PHONE", "TEXT", "ANY")
_CLIENT_TERMS = (7, 15, 30, 30, 30)
_CREDIT_LIMITS = {
    "WHL": tuple(Decimal(n) for n in range(100_000, 500_001, 5000)),
    "REG": tuple(Decimal(n) for n in range(10_000, 50_001, 5000)),
    "VND": (Decimal(0),),
}
_SUPPLIER_NOTES = tuple(f"{s}. Located in {r}." for s in SPECIALTIES for r in REGIONS)

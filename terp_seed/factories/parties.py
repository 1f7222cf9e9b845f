"""Parties: buyer clients (whales and regulars) and suppliers, each ONE party: a seller
client, its supplier profile and its row in the deprecated vendors table, under the same key
and the same name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from terp_seed.factories.base import Gen, Row
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


def vendors(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Suppliers, each one party in three tables (the contract TERP's code reads):

    - a ``clients`` row, ``is_seller`` only, ``VND`` code (TERP's supplier identity:
      server/inventoryDb.ts:76-101);
    - a ``vendors`` row with the client's KEY and NAME: TERP reads a ``vendorId`` as a client id
      first (server/vendorDisplay.ts:25-70) and pairs vendor and client by name at intake
      (server/inventoryIntakeService.ts:183-204). The clients and vendors key spaces are aligned
      (``factories.base.ALIGNED_KEYS``), so the vendor can take its client's key;
    - a ``supplier_profiles`` row with ``legacy_vendor_id`` = the vendor and the vendor's
      contact, terms and notes, as TERP's vendor migration writes it
      (server/services/vendorMappingService.ts:313-344).
    """
    draw, pools = gen.draw("vendors"), gen.pools
    rnd, pick = draw.random, draw.pick
    next_code = gen.codes("clients", "teri_code", "VND", 4)
    taken = set(gen.parents.column("vendors", "name", include_deleted=True))
    taken |= {name for name, seller in gen.parents.rows("clients", ["name", "is_seller"]) if seller}
    names = _supplier_names(draw, count, taken)
    slugs = _SlugCache()
    history = (gen.calendar.as_of - gen.calendar.start).days
    created_at = tuple(_when(gen, history + d) for d in range(45, 61))
    for _ in range(count):
        cid = gen.ids.next_id("clients")
        gen.ids.claim("vendors", cid)
        code = next_code()
        name = next(names)
        email = f"sales.{slugs(name)}.{code.lower()}@example.com"
        phone = pick(pools.phones)
        created = pick(created_at)
        person = f"{pick(pools.first_names)} {pick(pools.last_names)}"
        terms = pick(VENDOR_TERMS)
        notes = pick(_SUPPLIER_NOTES)
        yield (
            "clients",
            {
                "id": cid,
                "teri_code": code,
                "name": name,
                "email": email,
                "phone": phone,
                "address": pick(pools.addresses),
                "businessType": pick(BUSINESS_TYPES["VND"]),
                "preferredContact": pick(_CONTACT),
                "payment_terms": pick(_CLIENT_TERMS),
                "is_buyer": False,
                "is_seller": True,
                "is_brand": False,
                "is_referee": False,
                "is_contractor": False,
                "tags": TAGS["VND"],
                "credit_limit": _ZERO,  # 0 = no limit; TERP never computed one for a supplier
                "credit_limit_updated_at": None,
                "creditLimitSource": "CALCULATED",
                "credit_limit_override_reason": None,
                "vip_portal_enabled": False,
                "wishlist": None,
                "referred_by_client_id": None,
                "deleted_at": None,
                "created_at": created,
                "updated_at": created,
            },
        )
        yield (
            "vendors",
            {
                "id": cid,
                "name": name,
                "contactName": person,
                "contactEmail": email,
                "contactPhone": phone,
                "paymentTerms": terms,
                "notes": notes,
                "createdAt": created,
                "updatedAt": created,
            },
        )
        yield (
            "supplier_profiles",
            {
                "id": gen.ids.next_id("supplier_profiles"),
                "client_id": cid,
                "contact_name": person,
                "contact_email": email,
                "contact_phone": phone,
                "payment_terms": terms,
                "supplier_notes": notes,
                "legacy_vendor_id": cid,
                "preferred_payment_method": pick(("ACH", "ACH", "CHECK", "WIRE", "CASH")),
                "tax_id": f"{10 + int(rnd() * 90)}-{1000000 + int(rnd() * 9000000)}",
                "license_number": license_number(
                    draw, pick(("cultivation", "distributor", "manufacturer"))
                ),
                "created_at": created,
                "updated_at": created,
            },
        )


def clients(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Buyer clients in TERP's proportions (15 whales to 70 regular buyers); suppliers are
    :func:`vendors`.

    Whales come first, so a regular buyer's referrer is always an earlier row. Credit limits are
    written as TERP's credit engine writes them (``credit_limit_updated_at``, the source, a
    reason for a manual one: server/creditEngine.ts:692-710); the money totals stay 0 for the
    derive step to compute from the orders and invoices; no VIP portal (its login rows are not
    modelled). About 2% of regular buyers are soft-deleted, and nothing later points at them.
    Every value is drawn from pools or precomputed tables with one seeded generator: no Faker
    call and no new ``random.Random`` per row.
    """
    draw, pools = gen.draw("clients"), gen.pools
    rnd = draw.random
    next_id = gen.ids.next_id
    whales_n, regular_n = _mix_counts(count)
    codes = {
        kind: gen.codes("clients", "teri_code", kind, 4)
        for kind, n in (("WHL", whales_n), ("REG", regular_n))
        if n
    }
    slugs = _SlugCache()
    buyer_names, phones, addresses = pools.buyer_names, pools.phones, pools.addresses
    sentences = pools.sentences
    n_contact, n_terms, n_sentences = len(_CONTACT), len(_CLIENT_TERMS), len(sentences)
    history = (gen.calendar.as_of - gen.calendar.start).days
    # buyers were customers before the history the seed writes begins (TERP's seeder: clients
    # from 2023, activity from 2024); a credit decision came later, before the history too
    created_at = tuple(_when(gen, history + d) for d in range(30, 61))
    n_created = len(created_at)
    whales: list[int] = []
    deleted_at = tuple(_when(gen, d) for d in range(1, history))
    for kind, n in (("WHL", whales_n), ("REG", regular_n)):
        next_code = codes.get(kind)
        credits = _CREDIT_LIMITS[kind]
        business_types = BUSINESS_TYPES[kind]
        tags = TAGS[kind]
        whale = kind == "WHL"
        n_business, n_credits = len(business_types), len(credits)
        for _ in range(n):
            assert next_code is not None
            cid = next_id("clients")
            code = next_code()
            name = buyer_names[int(rnd() * len(buyer_names))]
            if whale:
                whales.append(cid)
            referred = (
                whales[int(rnd() * len(whales))] if not whale and whales and rnd() < 0.1 else None
            )
            created = created_at[int(rnd() * n_created)]
            decided = created + _CREDIT_DELAY[int(rnd() * len(_CREDIT_DELAY))]
            manual = rnd() < (0.4 if whale else 0.15)
            yield (
                "clients",
                {
                    "id": cid,
                    "teri_code": code,
                    "name": name,
                    "email": f"contact.{slugs(name)}.{code.lower()}@example.com",
                    "phone": phones[int(rnd() * len(phones))],
                    "address": addresses[int(rnd() * len(addresses))],
                    "businessType": business_types[int(rnd() * n_business)],
                    "preferredContact": _CONTACT[int(rnd() * n_contact)],
                    "payment_terms": _CLIENT_TERMS[int(rnd() * n_terms)],
                    "is_buyer": True,
                    "is_seller": False,
                    "is_brand": whale and rnd() < 0.10,
                    "is_referee": whale and rnd() < 0.2,
                    "is_contractor": False,
                    "tags": tags,
                    "credit_limit": credits[int(rnd() * n_credits)],
                    "credit_limit_updated_at": decided,
                    "creditLimitSource": "MANUAL" if manual else "CALCULATED",
                    "credit_limit_override_reason": (
                        _OVERRIDE_REASONS[int(rnd() * len(_OVERRIDE_REASONS))] if manual else None
                    ),
                    "vip_portal_enabled": False,
                    "wishlist": sentences[int(rnd() * n_sentences)] if rnd() < 0.2 else None,
                    "referred_by_client_id": referred,
                    "deleted_at": (
                        deleted_at[int(rnd() * len(deleted_at))]
                        if not whale and rnd() < 0.02
                        else None
                    ),
                    "created_at": created,
                    "updated_at": decided,
                },
            )


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


def _supplier_names(draw: Draw, count: int, taken: set[str]) -> Iterator[str]:
    """``count`` distinct supplier names not in ``taken``: path B's list shuffled, then
    ``' #2'``, ``' #3'`` ..."""
    order = draw.rng.sample(SUPPLIERS, len(SUPPLIERS))
    made, i = 0, 0
    while made < count:
        round_no, index = divmod(i, len(order))
        i += 1
        name = order[index] if round_no == 0 else f"{order[index]} #{round_no + 1}"
        if name not in taken:
            made += 1
            yield name


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


def _mix_counts(count: int) -> tuple[int, int]:
    """Whales and regular buyers for ``count`` buyers in TERP's proportions (15 to 70)."""
    whales = round(count * 15 / 85)
    return whales, count - whales


_CONTACT = ("EMAIL", "PHONE", "TEXT", "ANY")
_CLIENT_TERMS = (7, 15, 30, 30, 30)
_CREDIT_LIMITS = {
    "WHL": tuple(Decimal(n) for n in range(100_000, 500_001, 5000)),
    "REG": tuple(Decimal(n) for n in range(10_000, 50_001, 5000)),
}
_ZERO = Decimal(0)
_CREDIT_DELAY = tuple(timedelta(days=d, hours=h) for d in range(1, 29) for h in (0, 2, 5))
_OVERRIDE_REASONS = (
    "Approved by owner after trade references",
    "Long-standing account, limit set by sales manager",
    "Seasonal volume agreement",
    "Secured by deposit on file",
    "Limit reduced after late payments",
)
_SUPPLIER_NOTES = tuple(f"{s}. Located in {r}." for s in SPECIALTIES for r in REGIONS)

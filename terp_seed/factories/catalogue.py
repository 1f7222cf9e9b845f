"""The catalogue: brands and sellable products (90% flower, as TERP's own seeds), in TERP's
default categories and subcategories."""

from __future__ import annotations

from collections.abc import Iterator

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.cannabis import cannabis_provider
from terp_seed.factories.cannabis_data import (
    CATEGORIES,
    FLOWER,
    GRADES,
    GROW_TYPES,
    HOUSE_BRAND,
    PRODUCT_LINES,
)


def supplier_ids(gen: Gen) -> list[int]:
    """Supplier clients (``is_seller``, not soft-deleted) that are one party with their vendor
    (a ``vendors`` row under the same key): what a ``vendorId`` may name so that TERP reads the
    same supplier as a client id or as a vendor id (server/vendorDisplay.ts:25-70). Seller
    clients without a vendor when there are none."""
    sellers = [cid for cid, seller in gen.parents.rows("clients", ["id", "is_seller"]) if seller]
    vendors = set(gen.parents.column("vendors", "id"))
    paired = [cid for cid in sellers if cid in vendors]
    return paired or sellers


def brands(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Brands; the first is TERP's house brand when the table has none yet. A brand's
    ``vendorId`` is its supplier's client id (the supplier's vendor has the same id)."""
    rng = gen.rng("brands")
    provider = cannabis_provider(gen.faker("brands"))
    suppliers = supplier_ids(gen)
    existing = set(gen.parents.column("brands", "name", include_deleted=True))
    names: list[str] = [] if existing else [HOUSE_BRAND]
    tries = 0
    while len(names) < count and tries < count * 20:
        tries += 1
        name = provider.brand_name()
        if name not in existing and name not in names:
            names.append(name)
    while len(names) < count:  # the name space is small: number the rest
        names.append(f"{provider.brand_name()} {len(names) + 1}")
    history = (gen.calendar.as_of - gen.calendar.start).days
    for name in names[:count]:
        # after every supplier (45+ days before the history), before every product
        created = gen.calendar.moment(history + rng.randint(10, 29))
        yield (
            "brands",
            {
                "id": gen.ids.next_id("brands"),
                "name": name,
                "vendorId": rng.choice(suppliers) if suppliers and name != HOUSE_BRAND else None,
                "description": f"{name}: California cannabis brand",
                "createdAt": created,
                "updatedAt": created,
            },
        )


def products(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Products named in TERP's style from the strain catalogue, in TERP's default categories
    and subcategories (pre-rolls are "Manufactured Products" / "Preroll"); a product's supplier
    is its brand's (any supplier for the house brand). About 2% are soft-deleted (before any
    stock is taken in, so nothing points at them)."""
    provider = cannabis_provider(gen.faker("products"))
    brands_ = gen.parents.rows("brands", ["id", "vendorId"])
    suppliers = supplier_ids(gen)
    supplier_set = set(suppliers)
    strains = gen.parents.rows("strains", ["id", "name"])
    known = set(gen.parents.column("categories", "name"))
    subs = set(gen.parents.column("subcategories", "name"))
    catalogue = [
        (c, uom, [s for s in PRODUCT_LINES[c] if s in subs])
        for c, uom, _ in CATEGORIES
        if c in known and c in PRODUCT_LINES
    ]
    if not (brands_ and strains and catalogue):
        return
    flower = [c for c in catalogue if c[0] == FLOWER]
    other = [c for c in catalogue if c[0] != FLOWER]
    draw = gen.draw("products")
    pick, rnd = draw.pick, draw.random
    history = (gen.calendar.as_of - gen.calendar.start).days
    created_at = tuple(gen.calendar.moment(history + d + 0.5) for d in range(1, 10))
    deleted_at = tuple(gen.calendar.moment(history + d / 4) for d in range(1, 4))
    names: dict[tuple[str, str, str, str | None, str | None], str] = {}
    for _ in range(count):
        category, uom, subcategories = pick(
            flower if flower and (not other or rnd() < 0.9) else other
        )
        subcategory = pick(subcategories) if subcategories else None
        strain_id, strain = pick(strains)
        grow = pick(GROW_TYPES) if category == FLOWER else None
        grade = pick(GRADES) if category == FLOWER else None
        key = (strain, category, subcategory or "", grow, grade)
        name = names.get(key)
        if name is None:  # pure but not cheap (it validates its arguments): once per key
            name = names[key] = provider.product_name(*key)
        brand_id, brand_supplier = pick(brands_)
        if brand_supplier in supplier_set:
            supplier = brand_supplier
        else:
            supplier = pick(suppliers) if suppliers else None
        created = pick(created_at)
        yield (
            "products",
            {
                "id": gen.ids.next_id("products"),
                "brandId": brand_id,
                "supplier_client_id": supplier,
                "strainId": strain_id,
                "nameCanonical": name,
                "category": category,
                "subcategory": subcategory,
                "uomSellable": uom,
                "description": " ".join(p for p in (grow, strain, subcategory or category) if p),
                "deleted_at": pick(deleted_at) if rnd() < 0.02 else None,
                "createdAt": created,
                "updatedAt": created,
            },
        )

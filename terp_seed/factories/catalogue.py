"""The catalogue: brands and sellable products (90% flower, as TERP's own seeds)."""

from __future__ import annotations

from collections.abc import Iterator

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.cannabis import cannabis_provider
from terp_seed.factories.cannabis_data import CATEGORIES, FLOWER, GROW_TYPES, HOUSE_BRAND


def brands(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Brands; the first is TERP's house brand when the table has none yet."""
    rng = gen.rng("brands")
    provider = cannabis_provider(gen.faker("brands"))
    vendor_ids = gen.parents.column("vendors", "id")
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
    for name in names[:count]:
        yield (
            "brands",
            {
                "id": gen.ids.next_id("brands"),
                "name": name,
                "vendorId": rng.choice(vendor_ids) if vendor_ids and name != HOUSE_BRAND else None,
                "description": f"{name}: California cannabis brand",
            },
        )


def products(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Products named in TERP's style from the strain catalogue and the category tables."""
    provider = cannabis_provider(gen.faker("products"))
    brand_ids = gen.parents.column("brands", "id")
    suppliers = [cid for cid, seller in gen.parents.rows("clients", ["id", "is_seller"]) if seller]
    strains = gen.parents.rows("strains", ["id", "name"])
    known = set(gen.parents.column("categories", "name"))
    subs = set(gen.parents.column("subcategories", "name"))
    catalogue = [(c, uom, [s for s in ss if s in subs]) for c, uom, ss in CATEGORIES if c in known]
    if not (brand_ids and strains and catalogue):
        return
    flower = [c for c in catalogue if c[0] == FLOWER]
    other = [c for c in catalogue if c[0] != FLOWER]
    draw = gen.draw("products")
    pick, rnd = draw.pick, draw.random
    names: dict[tuple[str, str, str, str | None, str | None], str] = {}
    for _ in range(count):
        category, uom, subcategories = pick(
            flower if flower and (not other or rnd() < 0.9) else other
        )
        subcategory = pick(subcategories) if subcategories else None
        strain_id, strain = pick(strains)
        grow = pick(GROW_TYPES) if category == FLOWER else None
        grade = pick(("AAA", "AA", "A")) if category == FLOWER else None
        key = (strain, category, subcategory or "", grow, grade)
        name = names.get(key)
        if name is None:  # pure but not cheap (it validates its arguments): once per key
            name = names[key] = provider.product_name(*key)
        yield (
            "products",
            {
                "id": gen.ids.next_id("products"),
                "brandId": pick(brand_ids),
                "supplier_client_id": pick(suppliers) if suppliers else None,
                "strainId": strain_id,
                "nameCanonical": name,
                "category": category,
                "subcategory": subcategory,
                "uomSellable": uom,
                "description": " ".join(p for p in (grow, strain, subcategory or category) if p),
            },
        )

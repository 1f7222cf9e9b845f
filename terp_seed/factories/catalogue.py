"""The catalogue: brands and sellable products (90% flower, as TERP's own seeds)."""

from __future__ import annotations

from collections.abc import Iterator

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.cannabis import cannabis_provider
from terp_seed.factories.cannabis_data import CATEGORIES, FLOWER, HOUSE_BRAND


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
    rng = gen.rng("products")
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
    for _ in range(count):
        pick = flower if flower and (not other or rng.random() < 0.9) else other
        category, uom, subcategories = rng.choice(pick)
        subcategory = rng.choice(subcategories) if subcategories else None
        strain_id, strain = rng.choice(strains)
        grow = rng.choice(("Indoor", "Greenhouse", "Outdoor")) if category == FLOWER else None
        grade = rng.choice(("AAA", "AA", "A")) if category == FLOWER else None
        yield (
            "products",
            {
                "id": gen.ids.next_id("products"),
                "brandId": rng.choice(brand_ids),
                "supplier_client_id": rng.choice(suppliers) if suppliers else None,
                "strainId": strain_id,
                "nameCanonical": provider.product_name(
                    strain, category, subcategory or "", grow, grade
                ),
                "category": category,
                "subcategory": subcategory,
                "uomSellable": uom,
                "description": " ".join(p for p in (grow, strain, subcategory or category) if p),
            },
        )

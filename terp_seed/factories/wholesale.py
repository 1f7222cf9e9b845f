"""What a batch costs and how much of it arrives: California wholesale prices by category,
grade and cut, and received quantities sized to a few months of sales.

Prices are unit costs (``batches.unitCogs``) in whole cents: flower per pound, everything else
per unit (a 1 g cartridge, a 100 mg pack, a 1 g pre-roll) or, for bulk oil, per gram. The
ranges follow published California wholesale figures (see docs/data.md, "Prices and stock"):
HDMA / Cannabis Benchmarks (New Leaf Data) California spot prices for flower by grade, and
Headset / distributor price sheets for manufactured goods. Products are matched by words of
their category, subcategory and name, so both terp-seed's and TERP's default vocabularies
(``Whole Flower``/``Tops/Colas``, ``PreRolls``/``Manufactured Products``) price alike.
"""

from __future__ import annotations

from collections.abc import Sequence

# Flower per lb by grade tier (tier 0 = top shelf, grade A), indoor tops: low, high dollars.
FLOWER_TIERS: tuple[tuple[int, int], ...] = ((900, 1400), (600, 900), (350, 600), (150, 350))
TIER_WEIGHTS: tuple[int, ...] = (25, 40, 25, 10)
"""How often a flower batch is of each tier when its product's name shows no grade."""
# Grow: greenhouse and light-dep flower trade below indoor, outdoor (sun-grown) lower still.
GROW_FACTORS: tuple[tuple[str, float], ...] = (
    ("indoor", 1.0),
    ("greenhouse", 0.8),
    ("deps", 0.8),
    ("light dep", 0.8),
    ("outdoor", 0.65),
    ("sungrown", 0.65),
)
UNKNOWN_GROW = 0.9
# Cut: smalls/popcorn sell at about half of tops, trim and shake at a fifth.
CUT_FACTORS: tuple[tuple[str, float], ...] = (
    ("smalls", 0.55),
    ("popcorn", 0.55),
    ("pre-ground", 0.35),
    ("shake", 0.2),
    ("machine trim", 0.15),
    ("trim", 0.2),
    ("larf", 0.25),
)
FLOWER_FLOOR = 60  # dollars per lb: nothing sells below it

# Other goods per unit (dollars): the first keyword found in "<subcategory> <name>" decides.
UNIT_COSTS: tuple[tuple[str, float, float], ...] = (
    ("infused", 3.0, 6.0),  # infused pre-roll, 1 g
    ("multi-pack", 6.0, 12.0),  # 5 x 0.5-1 g pre-rolls
    ("5pk", 6.0, 12.0),
    ("pre-roll", 1.5, 3.5),
    ("preroll", 1.5, 3.5),
    ("cartridge", 8.0, 15.0),  # 1 g vape cartridge
    ("all in one", 8.0, 14.0),
    ("disposable", 7.0, 13.0),
    ("pod", 6.0, 10.0),
    ("rosin", 9.0, 14.0),  # 1 g concentrates
    ("diamonds", 9.0, 14.0),
    ("live resin", 8.0, 13.0),
    ("budder", 7.0, 12.0),
    ("distillate", 6.0, 10.0),
    ("shatter", 6.0, 10.0),
    ("wax", 6.0, 10.0),
    ("crumble", 6.0, 10.0),
    ("gummies", 3.0, 7.0),  # 100 mg packs
    ("chocolate", 3.0, 7.0),
    ("baked", 3.0, 6.0),
    ("brownie", 3.0, 6.0),
    ("beverage", 2.5, 5.0),
    ("tonic", 2.5, 5.0),
    ("tincture", 8.0, 15.0),
    ("topical", 6.0, 12.0),
    ("accessory", 1.0, 4.0),
    ("edible", 3.0, 7.0),
)
CATEGORY_COSTS: tuple[tuple[str, float, float], ...] = (
    ("bulk oil", 2.0, 4.5),  # per gram of bulk distillate
    ("concentrate", 6.0, 14.0),
    ("vape", 8.0, 15.0),
    ("edible", 3.0, 7.0),
    ("preroll", 1.5, 3.5),
    ("manufactured", 3.0, 10.0),
)
OTHER_COST = (3.0, 10.0)

# Received quantity per batch (whole units): flower in lb, bulk oil in g, the rest in units.
FLOWER_RECEIVED = (15, 60)
BULK_RECEIVED = (500, 3000)
UNIT_RECEIVED = (150, 900)


def is_bulk(category: str) -> bool:
    return "bulk" in category.lower()


def flower_cost(words: str, tier: int) -> tuple[int, int]:
    """``(low, span)`` in cents per lb for flower described by ``words`` (lower case)."""
    low, high = FLOWER_TIERS[min(tier, len(FLOWER_TIERS) - 1)]
    grow = next((f for k, f in GROW_FACTORS if k in words), UNKNOWN_GROW)
    cut = next((f for k, f in CUT_FACTORS if k in words), 1.0)
    factor = grow * cut
    lo, hi = max(FLOWER_FLOOR, low * factor), max(FLOWER_FLOOR + 20, high * factor)
    return round(lo * 100), round((hi - lo) * 100)


def unit_cost(category: str, words: str) -> tuple[int, int]:
    """``(low, span)`` in cents per unit for a non-flower product."""
    found = next(((lo, hi) for k, lo, hi in UNIT_COSTS if k in words), None)
    if found is None:
        cat = category.lower().replace("-", "")
        found = next(((lo, hi) for k, lo, hi in CATEGORY_COSTS if k in cat), OTHER_COST)
    lo, hi = found
    return round(lo * 100), round((hi - lo) * 100)


def grade_tiers(grades: Sequence[tuple[str, int | None]]) -> dict[str, int]:
    """Each grade name's tier: its rank by ``sortOrder`` (1 = top shelf), then by name."""
    ranked = sorted(grades, key=lambda g: (g[1] if g[1] is not None else 99, g[0]))
    return {name: rank for rank, (name, _) in enumerate(ranked)}

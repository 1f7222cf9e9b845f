"""Faker formatters for strains and products: names, categories, grades, potency, costs and
harvest dates, in the shapes TERP's own seed scripts write."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

from terp_seed.factories.cannabis_data import (
    CATEGORIES,
    CATEGORY_WEIGHTS,
    CBD_RANGES,
    FLOWER,
    FLOWER_COGS_PER_LB,
    GRADES,
    GROW_TYPES,
    MANUFACTURED,
    NON_FLOWER_COGS_BASE,
    NON_FLOWER_NAMING,
    PRODUCT_LINES,
    STRAIN_CATALOGUE,
    THC_RANGES,
)
from terp_seed.factories.seeded_provider import SeededProvider

_CATEGORY_KEYS = {
    **{re.sub(r"[^a-z]", "", c.lower()): c for c, _, _ in CATEGORIES},
    # TERP files pre-rolls under "Manufactured Products" (seedDefaults.ts:216-218); its demo
    # seeder and pricing defaults spell the category "PreRolls" / "Pre-Rolls"
    "prerolls": MANUFACTURED,
    "preroll": MANUFACTURED,
}


def canonical_category(category: str) -> str:
    """TERP's category name for ``category`` ("Pre-Rolls" and "prerolls" give
    "Manufactured Products", where TERP's defaults put pre-rolls)."""
    key = re.sub(r"[^a-z]", "", category.lower())
    if key not in _CATEGORY_KEYS:
        known = ", ".join(_CATEGORY_KEYS.values())
        raise ValueError(f"unknown product category {category!r}: expected one of {known}")
    return _CATEGORY_KEYS[key]


class ProductProvider(SeededProvider):
    """Strains and products: part of :class:`~terp_seed.factories.cannabis.CannabisProvider`."""

    __provider__ = "cannabis_products"

    strains: ClassVar[tuple[tuple[str, str], ...]] = STRAIN_CATALOGUE
    categories: ClassVar[tuple[tuple[str, str, tuple[str, ...]], ...]] = CATEGORIES
    grades: ClassVar[tuple[str, ...]] = GRADES
    grow_types: ClassVar[tuple[str, ...]] = GROW_TYPES

    def strain(self) -> str:
        """A strain name from the catalogue.

        :example: 'Blue Dream'
        """
        return self.strain_with_category()[0]

    def strain_with_category(self) -> tuple[str, str]:
        """A ``(name, category)`` pair; category is indica, sativa or hybrid (as TERP writes it).

        :example: ('Granddaddy Purple', 'indica')
        """
        return self.random_element(self.strains)

    def product_category(self) -> tuple[str, str, str]:
        """``(category, subcategory, uom)`` weighted like path B (90% flower), among the
        categories and subcategories the distributor sells (``PRODUCT_LINES``).

        :example: ('Flower', 'Smalls/Popcorn', 'LB')
        """
        names = [c for c, _, _ in self.categories if c in PRODUCT_LINES]
        (category,) = self._rng.choices(names, weights=[CATEGORY_WEIGHTS[n] for n in names])
        uom = next(u for c, u, _ in self.categories if c == category)
        return category, self.random_element(PRODUCT_LINES[category]), uom

    def grade(self) -> str:
        """A flower grade name (batches.grade).

        :example: 'A'
        """
        return self.random_element(self.grades)

    def grow_type(self) -> str:
        """Indoor, Greenhouse or Outdoor.

        :example: 'Greenhouse'
        """
        return self.random_element(self.grow_types)

    def product_name(
        self,
        strain: str,
        category: str,
        subcategory: str,
        grow: str | None = None,
        grade: str | None = None,
    ) -> str:
        """products.nameCanonical in TERP's style; pure, no randomness.

        Flower reads ``<Strain> - <Grow> <Grade> <Subcat>`` (path B; grow and grade are left out
        when None). Other categories read ``<Strain> <Form> <Size>``.

        :example: 'Blue Dream - Indoor A Tops/Colas'
        :example: 'Gelato Gummies 10pk'
        """
        category = canonical_category(category)
        if category != FLOWER:
            noun, size = NON_FLOWER_NAMING.get(subcategory, (subcategory, ""))
            return " ".join(p for p in (strain, noun, size) if p)
        if grow is not None and grow not in self.grow_types:
            raise ValueError(f"unknown grow type {grow!r}: expected one of {self.grow_types}")
        if grade is not None and grade not in self.grades:
            raise ValueError(f"unknown grade {grade!r}: expected one of {self.grades}")
        return f"{strain} - " + " ".join(p for p in (grow, grade, subcategory) if p)

    def thc_percent(self, category: str) -> float:
        """THC % by weight for a product of ``category`` (flower 15-32, concentrates 60-90).

        :example: 24.37
        """
        low, high = THC_RANGES[canonical_category(category)]
        return round(self._rng.uniform(low, high), 2)

    def cbd_percent(self, category: str) -> float:
        """CBD % by weight for a product of ``category`` (low: these are THC-dominant lines).

        :example: 0.42
        """
        low, high = CBD_RANGES[canonical_category(category)]
        return round(self._rng.uniform(low, high), 2)

    def unit_cogs(self, category: str, grow: str | None = None) -> Decimal:
        """batches.unitCogs: flower per lb from the grow's base +-10% (path A), or $800-1,800
        when the grow is unknown (path B); other categories $50 +-20% per unit.

        :example: Decimal('1734.12')
        """
        if canonical_category(category) != FLOWER:
            value = NON_FLOWER_COGS_BASE * self._rng.uniform(0.8, 1.2)
        elif grow is None:
            value = self._rng.uniform(800, 1800)
        elif grow in FLOWER_COGS_PER_LB:
            value = FLOWER_COGS_PER_LB[grow] * self._rng.uniform(0.9, 1.1)
        else:
            raise ValueError(f"unknown grow type {grow!r}: expected one of {self.grow_types}")
        return Decimal(f"{value:.2f}")

    def harvest_date(self, start: date, end: date) -> date:
        """A day between ``start`` and ``end``, both included.

        :example: datetime.date(2024, 9, 14)
        """
        span = (end - start).days
        if span < 0:
            raise ValueError(f"harvest_date: start {start} is after end {end}; swap them")
        return start + timedelta(days=self._rng.randint(0, span))

    def intake_date(self, harvest: date, min_days: int = 3, max_days: int = 28) -> date:
        """The day a harvest reaches the warehouse: 3 days to 4 weeks later by default.

        :example: datetime.date(2024, 9, 27)
        """
        return harvest + timedelta(days=self._rng.randint(min_days, max_days))

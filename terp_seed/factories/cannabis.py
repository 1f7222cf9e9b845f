"""Faker provider for TERP's cannabis domain: strains, products, parties, licences, METRC tags.

:class:`CannabisProvider` composes the subject providers, as Faker splits its own by subject:
:class:`~terp_seed.factories.cannabis_products.ProductProvider` (strains and products) and
:class:`~terp_seed.factories.cannabis_parties.PartyProvider` (parties, licences, places).
All randomness goes through the owning Faker instance (``self.generator.random``), so
``make_faker(seed)`` gives the same values for the same seed and never touches global state.
The data lives in :mod:`terp_seed.factories.cannabis_data`.
"""

from __future__ import annotations

from faker import Faker

from terp_seed.factories.cannabis_data import CATEGORIES, GRADES, GROW_TYPES, STRAIN_CATALOGUE
from terp_seed.factories.cannabis_parties import PartyProvider, WarehouseLocation
from terp_seed.factories.cannabis_products import ProductProvider, canonical_category

__all__ = [
    "CATEGORIES",
    "GRADES",
    "GROW_TYPES",
    "STRAIN_CATALOGUE",
    "CannabisProvider",
    "WarehouseLocation",
    "cannabis_provider",
    "canonical_category",
    "make_faker",
]


class CannabisProvider(ProductProvider, PartyProvider):
    """Cannabis-industry values in the shapes TERP's own seed scripts write.

    Every formatter of both subject providers, under the one provider name ``cannabis``.
    """

    __provider__ = "cannabis"


def make_faker(seed: int) -> Faker:
    """A new ``Faker("en_US")`` seeded with ``seed`` (instance only) with the provider added."""
    fake = Faker("en_US")
    fake.add_provider(CannabisProvider)
    fake.seed_instance(seed)
    return fake


def cannabis_provider(fake: Faker) -> CannabisProvider:
    """The provider instance inside ``fake``, for calls the type checker can see."""
    for provider in fake.get_providers():
        if isinstance(provider, CannabisProvider):
            return provider
    raise LookupError("this Faker has no CannabisProvider; build it with make_faker(seed)")

"""Value pools: realistic values drawn once per run from Faker and Mimesis, then combined per
row with a seeded ``random.Random``. This keeps realism and determinism at pool speed (a pool
pick costs about a microsecond; a Faker call 50-85)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from mimesis import Locale, Person

from terp_seed.factories.cannabis import cannabis_provider, make_faker

POOL_SIZE = 1000


@dataclass(frozen=True)
class Pools:
    """Immutable pools of names, addresses, phones and buyer names."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    addresses: tuple[str, ...]
    phones: tuple[str, ...]
    buyer_names: tuple[str, ...]
    sentences: tuple[str, ...]

    @classmethod
    def build(cls, seed: int, size: int = POOL_SIZE) -> Pools:
        """Draw every pool from generators seeded with ``seed`` (same seed, same pools)."""
        person = Person(Locale.EN, seed=seed)
        fake = make_faker(seed)
        provider = cannabis_provider(fake)
        return cls(
            first_names=tuple(person.first_name() for _ in range(size)),
            last_names=tuple(person.last_name() for _ in range(size)),
            addresses=tuple(provider.ca_address() for _ in range(size)),
            phones=tuple(sorted({provider.fictional_phone() for _ in range(size)})),
            buyer_names=tuple(provider.buyer_business_name() for _ in range(size)),
            sentences=tuple(fake.sentence(nb_words=10) for _ in range(200)),
        )

    def full_name(self, rng: random.Random) -> str:
        return f"{rng.choice(self.first_names)} {rng.choice(self.last_names)}"

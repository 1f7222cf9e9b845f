"""A Faker provider base whose randomness is its own Faker instance's, never global state."""

from __future__ import annotations

import random
from typing import cast

from faker.providers import BaseProvider


class SeededProvider(BaseProvider):
    """A :class:`BaseProvider` with :attr:`_rng`, the owning Faker's ``Random``.

    Draw through ``self._rng`` (or ``random_element``/``random_int``) so that
    ``Faker.seed_instance`` fixes every value.
    """

    @property
    def _rng(self) -> random.Random:
        # BaseProvider types ``generator`` as Any; its ``random`` is the instance's Random.
        return cast(random.Random, self.generator.random)

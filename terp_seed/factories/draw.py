"""Fast seeded draws for the factories' hot loops.

``random.Random.choice`` and ``randint`` cost 0.2-0.4 µs each (they reject and retry on
``getrandbits``); one ``random()`` call scaled to an index costs about 0.1 µs and is just as
deterministic for a given seed. Weighted picks are precomputed once (an expanded table for
small integer weights, cumulative weights and ``bisect`` otherwise), never rebuilt per row.
Money is kept in integer cents (or ten-thousandths) and turned into ``Decimal`` once.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from decimal import Decimal
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")
_EXPAND_LIMIT = 4096  # integer weights summing up to this are expanded into a lookup table


class Draw:
    """A seeded ``random.Random`` with cheap picks; one instance per factory call."""

    __slots__ = ("random", "rng")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.random = rng.random

    def pick(self, seq: Sequence[T]) -> T:
        """One element of ``seq``, uniformly."""
        return seq[int(self.random() * len(seq))]

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.random() < p

    def between(self, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high``, both included."""
        return low + int(self.random() * (high - low + 1))

    def uniform(self, low: float, high: float) -> float:
        """A float in ``[low, high)``."""
        return low + (high - low) * self.random()

    def cents(self, low: float, high: float) -> int:
        """Whole cents between ``low`` and ``high`` dollars."""
        return round((low + (high - low) * self.random()) * 100)


class Weighted(Generic[T]):
    """A precomputed weighted choice: ``weighted(draw)`` costs one ``random()`` call."""

    __slots__ = ("_cum", "_items", "_table", "_total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if len(items) != len(weights) or not items:
            raise ValueError("Weighted needs one weight per item and at least one item")
        self._items = tuple(items)
        self._table: tuple[T, ...] = ()
        if all(float(w).is_integer() for w in weights) and sum(weights) <= _EXPAND_LIMIT:
            self._table = tuple(
                i for i, w in zip(items, weights, strict=True) for _ in range(int(w))
            )
        self._cum = list(accumulate(float(w) for w in weights))
        self._total = self._cum[-1]

    @classmethod
    def of(cls, pairs: Sequence[tuple[T, float]]) -> Weighted[T]:
        """From ``(item, weight)`` pairs."""
        return cls([p[0] for p in pairs], [p[1] for p in pairs])

    def __call__(self, draw: Draw) -> T:
        if self._table:
            return self._table[int(draw.random() * len(self._table))]
        index = bisect(self._cum, draw.random() * self._total)
        return self._items[min(index, len(self._items) - 1)]


def decimal_cents(cents: int) -> Decimal:
    """``Decimal`` with two places from whole cents: ``decimal_cents(150)`` is ``1.50``."""
    return Decimal(cents).scaleb(-2)


def decimal_ten_thousandths(units: int) -> Decimal:
    """``Decimal`` with four places from ten-thousandths: ``15000`` is ``1.5000``."""
    return Decimal(units).scaleb(-4)


def round_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, as MySQL rounds DECIMAL."""
    q, r = divmod(abs(numerator), abs(denominator))
    if 2 * r >= abs(denominator):
        q += 1
    return q if (numerator >= 0) == (denominator > 0) else -q


def cents_text(cents: int) -> str:
    """``'12.30'`` for 1230 cents (exact below 2**53 cents: the float is within 1e-6 of it)."""
    return f"{cents / 100:.2f}"

"""Size presets: how many rows each table gets.

``small``, ``medium`` and ``large`` reproduce TERP's own seed presets (``pnpm seed:new --size``);
``xl`` is a stress size of about a million rows over all tables; a number ``N`` means N clients
with every other table scaled in medium's proportions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from terp_seed.errors import ConfigError

# Counts of the tables TERP's presets name; the others follow from these (see ``derived``).
_PRESETS: dict[str, dict[str, int]] = {
    "small": {
        "clients": 10,
        "vendors": 5,
        "products": 20,
        "batches": 30,
        "orders": 50,
        "invoices": 50,
        "payments": 30,
        "users": 5,
    },
    "medium": {
        "clients": 60,
        "vendors": 15,
        "products": 100,
        "batches": 200,
        "orders": 400,
        "invoices": 400,
        "payments": 200,
        "users": 8,
    },
    "large": {
        "clients": 200,
        "vendors": 50,
        "products": 500,
        "batches": 1000,
        "orders": 2000,
        "invoices": 2000,
        "payments": 1000,
        "users": 12,
    },
}
_XL_FACTOR = 70
PRESET_NAMES = ("small", "medium", "large", "xl")
MAX_SIZE = 100_000
"""The largest number a size may be: clients of a seed run (about 7 times xl's), rows of each
chosen table of ``terp-seed seed``. A seed's keys are reserved before it writes; a larger
number is refused rather than left to exhaust memory or the id column's range."""


@dataclass(frozen=True)
class Size:
    """A resolved size: its name as given and the row count per table."""

    name: str
    counts: dict[str, int]

    def count(self, table: str) -> int:
        """Rows of ``table`` at this size (0 for a table the size does not mention)."""
        return self.counts.get(table, 0)


def _derive(base: dict[str, int]) -> dict[str, int]:
    counts = dict(base)
    counts["lots"] = math.ceil(counts["batches"] / 5)  # TERP: ceil(batches / 5) lots
    counts["brands"] = max(3, counts["products"] // 20)
    counts["locations"] = max(6, counts["batches"] // 10)
    counts["batchLocations"] = counts["batches"]
    counts["supplier_profiles"] = max(1, round(counts["clients"] * 0.15))
    counts["order_line_items"] = counts["orders"] * 4  # about 4 lines per order on average
    counts["bankAccounts"] = 3
    counts["bills"] = max(1, counts["payments"] // 10)
    counts["calendar_events"] = max(2, counts["lots"] // 4)
    return counts


def _scaled(factor: float) -> dict[str, int]:
    medium = _PRESETS["medium"]
    return {t: max(1, round(n * factor)) for t, n in medium.items()}


def parse_size(value: str) -> Size:
    """Resolve ``small|medium|large|xl`` or a positive whole number of clients."""
    text = value.strip().lower()
    if text in _PRESETS:
        return Size(text, _derive(_PRESETS[text]))
    if text == "xl":
        large = _PRESETS["large"]
        counts = {t: n * _XL_FACTOR for t, n in large.items()}
        counts["users"] = 50
        return Size("xl", _derive(counts))
    if text.isdigit() and 0 < int(text) <= MAX_SIZE:
        clients = int(text)
        counts = _scaled(clients / _PRESETS["medium"]["clients"])
        counts["clients"] = clients
        counts["users"] = max(3, min(counts["users"], 200))
        return Size(text, _derive(counts))
    raise ConfigError(
        f"size {value!r} is not valid: use one of {', '.join(PRESET_NAMES)} "
        f"or a whole number of clients from 1 to {MAX_SIZE:,}"
    )

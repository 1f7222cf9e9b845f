"""A batch's ``metadata`` in TERP's BatchMetadata shape (server/inventoryUtils.ts:341-375):
test results with numeric potency, packaging, sourcing (``organic`` a boolean), and the METRC
tag and COA number under ``customFields``; written as JSON text with f-strings (hot loop)."""

from __future__ import annotations

from datetime import datetime, timedelta

from terp_seed.factories.cannabis_data import FLOWER
from terp_seed.factories.draw import Draw

TERPENES = ("Myrcene", "Limonene", "Caryophyllene", "Pinene", "Linalool", "Humulene")
LABS = ("SC Labs", "Steep Hill", "CannaSafe", "Anresco Laboratories", "Infinite Chemical")
REGIONS = ("Humboldt County", "Mendocino County", "Trinity County", "Sonoma County",
           "Salinas Valley", "Santa Barbara County", "Lake County")  # fmt: skip
PACKAGING = {FLOWER: ('{"type": "bag", "size": "1lb", "material": "mylar"}')}
OTHER_PACKAGING = '{"type": "box", "size": "case", "material": "cardboard"}'


def metadata_json(
    draw: Draw,
    batch_id: int,
    facility: str,
    lot_date: datetime,
    words: str,
    flower: bool,
    potency: tuple[tuple[float, float], tuple[float, float]],
) -> str:
    """TERP's BatchMetadata (server/inventoryUtils.ts:341-375) as JSON text: numbers are
    numbers, ``organic`` a boolean; the METRC tag and COA number under ``customFields``."""
    rnd, pick = draw.random, draw.pick
    (t_low, t_high), (c_low, c_high) = potency
    thc = round(t_low + (t_high - t_low) * rnd(), 2)
    cbd = round(c_low + (c_high - c_low) * rnd(), 2)
    tested = (lot_date - timedelta(days=draw.between(3, 20))).date()
    sourcing = ""
    if flower:
        grow = next((g for g in ("indoor", "greenhouse", "outdoor") if g in words), "indoor")
        organic = "true" if rnd() < 0.2 else "false"
        sourcing = (
            f', "sourcing": {{"growMethod": "{grow}", "organic": {organic}, '
            f'"region": "{pick(REGIONS)}"}}'
        )
    return (
        f'{{"testResults": {{"thc": {thc}, "cbd": {cbd}, "terpenes": {pick(TERPENE_SETS)}, '
        f'"contaminants": [], "testDate": "{tested.isoformat()}", "labName": "{pick(LABS)}"}}, '
        f'"packaging": {PACKAGING.get(FLOWER) if flower else OTHER_PACKAGING}{sourcing}, '
        f'"customFields": {{"metrcTag": "1A4{facility}0000{batch_id:010d}", '
        f'"coa": "COA-{batch_id:06d}"}}}}'
    )


TERPENE_SETS = tuple(
    "[" + ", ".join(f'"{t}"' for t in (a, b)) + "]"
    for i, a in enumerate(TERPENES)
    for b in TERPENES[i + 1 :]
)

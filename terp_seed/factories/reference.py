"""Reference data: categories, subcategories, grades, the strain catalogue, workflow statuses.

Fixed lists (not scaled by size), the same in every environment, production included. A row
whose natural key already exists is left alone and not recorded as seeded, so a database that
already has real reference data keeps it and rollback never touches it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.cannabis_data import (
    CATEGORIES,
    CATEGORY_DESCRIPTIONS,
    GRADE_DESCRIPTIONS,
    GRADES,
    STRAIN_CATALOGUE,
)

WORKFLOW_STATUSES: tuple[tuple[str, str, str], ...] = (
    ("Awaiting Intake", "awaiting-intake", "#6B7280"),
    ("Quality Check", "quality-check", "#F59E0B"),
    ("Photography", "photography", "#8B5CF6"),
    ("Ready to Sell", "ready-to-sell", "#10B981"),
    ("On Hold", "on-hold", "#EF4444"),
    ("Archived", "archived", "#374151"),
)


def categories(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    existing = set(gen.parents.column("categories", "name", include_deleted=True))
    for name, _uom, _subs in CATEGORIES:
        if name not in existing:
            yield (
                "categories",
                {
                    "id": gen.ids.next_id("categories"),
                    "name": name,
                    "description": CATEGORY_DESCRIPTIONS.get(name),
                    "isActive": 1,
                },
            )


def subcategories(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    ids = {name: cid for cid, name in gen.parents.rows("categories", ["id", "name"])}
    existing = set(gen.parents.rows("subcategories", ["categoryId", "name"], include_deleted=True))
    for category, _uom, subs in CATEGORIES:
        for name in subs:
            if category in ids and (ids[category], name) not in existing:
                yield (
                    "subcategories",
                    {
                        "id": gen.ids.next_id("subcategories"),
                        "categoryId": ids[category],
                        "name": name,
                        "description": f"{name} ({category})",
                        "isActive": 1,
                    },
                )


def grades(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    existing = set(gen.parents.column("grades", "name", include_deleted=True))
    for order, name in enumerate(GRADES, start=1):
        if name not in existing:
            yield (
                "grades",
                {
                    "id": gen.ids.next_id("grades"),
                    "name": name,
                    "description": GRADE_DESCRIPTIONS[name],
                    "sortOrder": order,
                    "isActive": 1,
                },
            )


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-").replace("--", "-")


def strains(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """The strain catalogue; a strain named after another (``White Runtz``) has it as parent."""
    existing = {
        name: sid for sid, name in gen.parents.rows("strains", ["id", "name"], include_deleted=True)
    }
    names = [n for n, _ in STRAIN_CATALOGUE]
    # Base strains first, so a derived strain's parent already has its id.
    ordered = sorted(STRAIN_CATALOGUE, key=lambda s: _base_of(s[0], names) is not None)
    ids = dict(existing)
    for name, category in ordered:
        if name in existing:
            continue
        base = _base_of(name, names)
        ids[name] = gen.ids.next_id("strains")
        yield (
            "strains",
            {
                "id": ids[name],
                "name": name,
                "standardizedName": " ".join(w[:1].upper() + w[1:] for w in name.split()),
                "aliases": json.dumps([name.lower().replace(" ", ""), _slug(name)]),
                "category": category,
                "description": f"{category} strain" + (f" descended from {base}" if base else ""),
                "openthcId": None,
                "openthcStub": _slug(name),
                "parentStrainId": ids.get(base) if base else None,
                "baseStrainName": base,
            },
        )


def _base_of(name: str, names: list[str]) -> str | None:
    """The longest other catalogue name that ``name`` ends with (``White Runtz`` -> ``Runtz``)."""
    bases = [n for n in names if n != name and name.endswith(" " + n)]
    return max(bases, key=len) if bases else None


def workflow_statuses(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    existing = set(gen.parents.column("workflow_statuses", "slug", include_deleted=True))
    for order, (name, slug, color) in enumerate(WORKFLOW_STATUSES, start=1):
        if slug not in existing:
            yield (
                "workflow_statuses",
                {
                    "id": gen.ids.next_id("workflow_statuses"),
                    "name": name,
                    "slug": slug,
                    "color": color,
                    "order": order,
                    "isActive": 1,
                },
            )

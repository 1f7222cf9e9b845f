"""Reference data: categories, subcategories, grades, the strain catalogue, workflow statuses.

Fixed lists (not scaled by size), the same in every environment, production included. A row
whose natural key already exists is left alone and not recorded as seeded, so a database that
already has real reference data keeps it and rollback never touches it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.cannabis_data import (
    CATEGORIES,
    CATEGORY_DESCRIPTIONS,
    GRADE_DESCRIPTIONS,
    GRADES,
    STRAIN_CATALOGUE,
)

# TERP's default statuses, verbatim: the migration that creates the table inserts them
# (drizzle/migrations/0001_add_workflow_queue_tables.sql:70-76); order = position.
WORKFLOW_STATUSES: tuple[tuple[str, str, str], ...] = (
    ("Intake Queue", "intake-queue", "#EF4444"),
    ("Quality Check", "quality-check", "#F59E0B"),
    ("Lab Testing", "lab-testing", "#3B82F6"),
    ("Packaging", "packaging", "#8B5CF6"),
    ("Ready for Sale", "ready-for-sale", "#10B981"),
    ("On Hold", "on-hold", "#6B7280"),
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
                        "description": None,  # TERP's defaults have none
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


_NOT_SLUG = re.compile(r"[^A-Za-z0-9_\s-]")
_SPACES = re.compile(r"\s+")
_HYPHENS = re.compile(r"-+")


def normalize_strain_name(name: str) -> str:
    """TERP's ``normalizeStrainName`` (server/strainMatcher.ts:42-66): the strain's
    ``standardizedName``, by which TERP looks a strain up (``Gorilla Glue #4`` ->
    ``gorilla-glue-4``).

    JavaScript's ``\\w`` and ``\\s`` without the ``u`` flag are ASCII word characters and
    whitespace, as here.
    """
    text = _NOT_SLUG.sub("", name.strip().lower())
    text = _SPACES.sub(" ", text).replace(" ", "-")
    return _HYPHENS.sub("-", text).strip("-")


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
                "standardizedName": normalize_strain_name(name),
                "aliases": json.dumps([name.lower().replace(" ", ""), _slug(name)]),
                "category": category,
                "description": f"{category.capitalize()} strain"
                + (f" descended from {base}" if base else ""),
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

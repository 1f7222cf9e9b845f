"""The schema-drift gate: compare the live database with ``terp_seed.schema`` before any write.

Alembic's ``compare_metadata`` lists the differences; each is classified. *Breaking* drift (a
table or column the seeds write is missing, a NOT NULL column without default that the seeds do
not fill, a type that cannot hold the seeded values, an enum lacking a seeded value) stops the
run with the full list. *Benign* drift (extra nullable columns, extra indexes, extra tables) is
logged and the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from terp_seed.schema import metadata
from terp_seed.store.tables import OWN_TABLES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Drift:
    """One difference between the models and the live database."""

    kind: str  # "breaking" or "benign"
    where: str  # table or table.column
    expected: str
    found: str

    def describe(self) -> str:
        return f"{self.where}: expected {self.expected}, found {self.found}"


def detect_drift(conn: sa.Connection, seeded_tables: Collection[str]) -> list[Drift]:
    """Every difference between the live database and the models, classified."""
    ctx = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_object": include_object}
    )
    diffs = compare_metadata(ctx, metadata)
    return [d for d in (_classify(item, seeded_tables) for item in _flatten(diffs)) if d]


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out Alembic's and terp-seed's own bookkeeping tables from every comparison."""
    return not (type_ == "table" and (name in OWN_TABLES or name == "alembic_version"))


def _flatten(diffs: Iterable[Any]) -> Iterable[tuple[Any, ...]]:
    for item in diffs:
        if isinstance(item, list):  # modify_* entries come grouped per column
            yield from item
        else:
            yield item


def _classify(item: tuple[Any, ...], seeded: Collection[str]) -> Drift | None:
    op = item[0]
    if op == "add_table":  # in the models, missing from the database
        table = item[1].name
        kind = "breaking" if table in seeded else "benign"
        return Drift(kind, table, "table", "missing")
    if op == "remove_table":
        return Drift("benign", item[1].name, "no such table", "extra table")
    if op == "add_column":
        _, _, table, col = item
        kind = "breaking" if table in seeded else "benign"
        return Drift(kind, f"{table}.{col.name}", _type(col.type), "missing")
    if op == "remove_column":
        _, _, table, col = item
        required = not col.nullable and col.server_default is None and col.autoincrement is not True
        kind = "breaking" if required and table in seeded else "benign"
        found = f"extra {'NOT NULL column without default' if required else 'nullable column'}"
        return Drift(kind, f"{table}.{col.name}", "no such column", f"{found} {_type(col.type)}")
    if op == "modify_type":
        _, _, table, col, _info, found, expected = item
        ok = _holds(expected, found)
        kind = "benign" if ok or table not in seeded else "breaking"
        return Drift(kind, f"{table}.{col}", _type(expected), _type(found))
    if op == "modify_nullable":
        _, _, table, col, _info, found_nullable, expected_nullable = item
        breaking = expected_nullable and not found_nullable and table in seeded
        return Drift(
            "breaking" if breaking else "benign",
            f"{table}.{col}",
            "NULL" if expected_nullable else "NOT NULL",
            "NULL" if found_nullable else "NOT NULL",
        )
    if op in (
        "add_index",
        "remove_index",
        "add_constraint",
        "remove_constraint",
        "add_fk",
        "remove_fk",
    ):
        obj = item[1]
        table = getattr(getattr(obj, "table", None), "name", "?")
        return Drift("benign", f"{table}.{getattr(obj, 'name', obj)}", op, "differs")
    return Drift("benign", str(item[1]) if len(item) > 1 else op, op, "differs")


def _type(t: Any) -> str:
    """The type as MySQL DDL spells it (a model's ``Numeric`` is shown as ``DECIMAL``)."""
    try:
        text = str(t.compile(dialect=sa.dialects.mysql.dialect()))
    except Exception:
        return str(t)
    return "DECIMAL" + text[len("NUMERIC") :] if text.startswith("NUMERIC") else text


def _holds(expected: Any, found: Any) -> bool:
    """Can a column of type ``found`` hold every value the models' ``expected`` type allows?"""
    if isinstance(expected, sa.Enum):
        values = getattr(found, "enums", None)
        return values is not None and set(expected.enums) <= set(values)
    if isinstance(expected, sa.Numeric) and not isinstance(expected, sa.Float):
        if not isinstance(found, sa.Numeric) or isinstance(found, sa.Float):
            return False
        ep, es = expected.precision or 10, expected.scale or 0
        fp, fs = found.precision or 10, found.scale or 0
        return fs >= es and (fp - fs) >= (ep - es)
    if isinstance(expected, sa.String) and not isinstance(expected, sa.Enum):
        if not isinstance(found, sa.String) or isinstance(found, sa.Enum):
            return isinstance(found, sa.JSON) and isinstance(expected, sa.Text)
        if expected.length is None:
            return found.length is None
        return found.length is None or found.length >= expected.length
    if isinstance(expected, sa.Integer):
        return isinstance(found, sa.Integer | sa.Boolean)
    if isinstance(expected, sa.Boolean):
        return isinstance(found, sa.Integer | sa.Boolean)
    if isinstance(expected, sa.JSON):
        return isinstance(found, sa.JSON | sa.Text)
    if isinstance(expected, sa.DateTime | sa.Date):
        return isinstance(found, sa.DateTime | sa.Date)
    return type(expected) is type(found)


def breaking(drifts: Iterable[Drift]) -> list[Drift]:
    return [d for d in drifts if d.kind == "breaking"]

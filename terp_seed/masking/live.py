"""What the live database holds beyond :mod:`terp_seed.schema`: text columns the application
added to TERP's tables (masked by the ``unknown_text`` rule, and said so) and tables terp-seed
does not know (not masked, and said so). Nothing is skipped without a word."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from terp_seed.masking.catalogue import PiiColumn
from terp_seed.masking.mask import TablePlan
from terp_seed.schema import metadata

UNKNOWN_RULE = "unknown_text"
_OWN_PREFIXES = ("terp_seed_", "alembic_version", "alembic_seed_version")


@dataclass
class LiveExtras:
    """Columns and tables of the live database that the catalogue does not list."""

    added: list[str] = field(default_factory=list)  # "table.column", masked as unknown_text
    tables: list[str] = field(default_factory=list)  # not masked

    def lines(self) -> list[str]:
        """What to tell the operator (empty when the database matches the schema)."""
        out = []
        if self.added:
            out.append(
                f"columns not in the PII catalogue, masked by rule {UNKNOWN_RULE!r} (JSON: "
                f"strings masked; other text: every word made up anew): {', '.join(self.added)}; "
                "catalogue them in terp_seed/schema.py to choose their rule"
            )
        if self.tables:
            out.append(
                f"tables not in terp_seed.schema, NOT masked: {', '.join(self.tables)}; mask or "
                "drop them yourself, or add them to the schema; pii-scan scans them"
            )
        return out


def is_text(type_: sa.types.TypeEngine[Any]) -> bool:
    """Whether a (reflected) column type can hold text: strings, text, JSON; not enums."""
    return isinstance(type_, sa.String | sa.JSON) and not isinstance(type_, sa.Enum)


def unknown_tables(inspector: sa.Inspector) -> list[str]:
    """Live tables that are neither TERP's (:mod:`terp_seed.schema`) nor terp-seed's own."""
    return sorted(
        name
        for name in inspector.get_table_names()
        if name not in metadata.tables and not name.startswith(_OWN_PREFIXES)
    )


def added_text_columns(inspector: sa.Inspector, table: sa.Table) -> list[dict[str, Any]]:
    """The reflected text columns of ``table`` that :mod:`terp_seed.schema` does not have."""
    return [
        dict(c)
        for c in inspector.get_columns(table.name)
        if c["name"] not in table.c and is_text(c["type"])
    ]


def with_live_columns(
    conn: sa.Connection, plans: Sequence[TablePlan], *, every_table: bool
) -> tuple[list[TablePlan], LiveExtras]:
    """``plans`` with the live database's added text columns; with ``every_table``, also the
    TERP tables that have no catalogued column but an added one. Read only."""
    inspector = sa.inspect(conn)
    live = set(inspector.get_table_names())
    extras = LiveExtras(tables=unknown_tables(inspector))
    planned = {p.table.name: p for p in plans}
    out: list[TablePlan] = []
    for table in metadata.tables.values():
        plan = planned.get(table.name)
        if table.name not in live or (plan is None and not every_table):
            if plan is not None:
                out.append(plan)
            continue
        added = added_text_columns(inspector, table)
        if added and len(table.primary_key.columns) == 1:
            extras.added += [f"{table.name}.{c['name']}" for c in added]
            plan = _extended(table, plan.columns if plan else (), added)
        if plan is not None:
            out.append(plan)
    conn.commit()
    return out, extras


def _extended(
    table: sa.Table, columns: Sequence[PiiColumn], added: list[dict[str, Any]]
) -> TablePlan:
    """A plan over a copy of ``table`` with the added columns (typed as the database has them)."""
    copy = sa.Table(
        table.name,
        sa.MetaData(),
        *(c._copy() for c in table.columns),
        *(sa.Column(c["name"], c["type"], nullable=bool(c["nullable"])) for c in added),
    )
    entries = [
        PiiColumn(
            table=table.name,
            column=c["name"],
            kind="unknown",
            rule=UNKNOWN_RULE,
            unique=False,
            nullable=bool(c["nullable"]),
            max_length=getattr(c["type"], "length", None),
        )
        for c in added
    ]
    return TablePlan(copy, (*columns, *entries))

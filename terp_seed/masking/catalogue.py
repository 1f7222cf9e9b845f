"""The PII catalogue: every personal-data column, read from the schema's ``info["pii"]`` tags.

The tags on :mod:`terp_seed.schema` are the only source: ``terp-seed pii``, the generated
``docs/compliance/pii-catalogue.md``, the ``mask`` command and the leak scan all read them
through :func:`catalogue`. A column may name a rule other than its kind's default with
``info["mask"]`` (e.g. ``"free_text_patterns"`` or ``"null"``); bad combinations fail here,
when the catalogue is read, not half-way through a masking run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Final

import sqlalchemy as sa

from terp_seed.errors import ConfigError
from terp_seed.masking.rules import RULES, Rule
from terp_seed.schema import metadata

KINDS: Final = (
    "person_name",
    "company_name",
    "email",
    "phone",
    "address",
    "tax_id",
    "license_number",
    "free_text",
    "ip",
    "date_of_birth",
    "ssn",
    "medical_id",
    "login",
    "account_number",
    "json",
)
"""The PII kinds a column may be tagged with (``"none"``: no personal data)."""

BEYOND_SPEC: Final = "pii_catalogue"
"""``info`` key for columns TERP's schema description tags ``none`` that can hold personal data
all the same (``users.openId``, bank account numbers, JSON documents, ...): its kind overrides
``info["pii"]`` for the catalogue, masking and the scan."""


@dataclass(frozen=True)
class PiiColumn:
    """One catalogued column: where it is, what it holds, and how it is masked."""

    table: str
    column: str
    kind: str
    rule: str
    unique: bool
    nullable: bool
    max_length: int | None

    @property
    def masking(self) -> Rule:
        """The masking rule applied to this column."""
        return RULES[self.rule]

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data, with the rule's one-line summary."""
        return {**asdict(self), "summary": self.masking.summary}


def unique_columns(table: sa.Table) -> set[str]:
    """Names of the columns that are unique on their own (UNIQUE, unique index, primary key)."""
    found = {c.name for c in table.columns if c.unique or c.primary_key}
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and len(constraint.columns) == 1:
            found.update(c.name for c in constraint.columns)
    for index in table.indexes:
        if index.unique and len(index.columns) == 1:
            found.update(c.name for c in index.columns)
    return found


def catalogue(md: sa.MetaData = metadata) -> list[PiiColumn]:
    """Every column whose ``info["pii"]`` is not ``"none"``, in schema order, validated.

    :raises ConfigError: an unknown kind or rule, a NULL rule on a NOT NULL column, or a UNIQUE
        column whose rule could give two rows the same value.
    """
    entries = []
    for table in md.tables.values():
        unique = unique_columns(table)
        for column in table.columns:
            kind = str(column.info.get(BEYOND_SPEC, column.info.get("pii", "none")))
            if kind == "none":
                continue
            entry = PiiColumn(
                table=table.name,
                column=column.name,
                kind=kind,
                rule=str(column.info.get("mask", kind)),
                unique=column.name in unique,
                nullable=bool(column.nullable),
                max_length=getattr(column.type, "length", None),
            )
            _check(entry)
            entries.append(entry)
    return entries


def _check(entry: PiiColumn) -> None:
    where = f"{entry.table}.{entry.column}"
    if entry.kind not in KINDS:
        raise ConfigError(
            f"PII catalogue: {where} is tagged pii={entry.kind!r}, expected one of "
            f"{', '.join(KINDS)} (or 'none'); fix its info in terp_seed/schema.py"
        )
    if entry.rule not in RULES:
        raise ConfigError(
            f"PII catalogue: {where} names masking rule {entry.rule!r}, expected one of "
            f"{', '.join(RULES)}; fix info['mask'] in terp_seed/schema.py"
        )
    rule = RULES[entry.rule]
    if rule.fn is None and not entry.nullable:
        raise ConfigError(
            f"PII catalogue: {where} is NOT NULL, so rule 'null' cannot mask it; "
            f"use its kind's rule {entry.kind!r}"
        )
    if entry.unique and rule.fn is not None and (not rule.distinct or rule.same_domain):
        why = (
            "maps values onto the same set of values, so an in-place update could meet a row "
            "not masked yet"
            if rule.same_domain
            else "can give two different values the same result"
        )
        raise ConfigError(
            f"PII catalogue: {where} is UNIQUE but rule {entry.rule!r} {why}; use one of "
            f"{', '.join(n for n, r in RULES.items() if r.distinct and not r.same_domain)}"
        )


def by_table(entries: list[PiiColumn]) -> dict[str, list[PiiColumn]]:
    """The entries grouped by table, tables in catalogue order."""
    grouped: dict[str, list[PiiColumn]] = {}
    for entry in entries:
        grouped.setdefault(entry.table, []).append(entry)
    return grouped


# -- renderers ---------------------------------------------------------------------------------


def render_text(entries: list[PiiColumn]) -> str:
    """A fixed-width table for a terminal."""
    lines = [f"{'table':<18} {'column':<30} {'kind':<15} {'unique':<6} rule"]
    for e in entries:
        rule = e.rule if e.rule == e.kind else f"{e.rule} (override)"
        lines.append(
            f"{e.table:<18} {e.column:<30} {e.kind:<15} {'yes' if e.unique else 'no':<6} {rule}"
        )
    tables = len(by_table(entries))
    lines.append(f"{len(entries)} PII columns in {tables} tables; rules: terp-seed pii --json")
    return "\n".join(lines)


def render_json(entries: list[PiiColumn]) -> str:
    """A JSON list of entries (each with the rule's summary)."""
    return json.dumps([e.as_dict() for e in entries], indent=2)


def render_markdown(entries: list[PiiColumn]) -> str:
    """``docs/compliance/pii-catalogue.md``: generated, never edited by hand."""
    out = [
        "<!-- Generated from terp_seed/schema.py by `terp-seed pii --markdown`. Do not edit: "
        "change the info['pii'] tags and regenerate; tests/test_pii_docs.py checks it. -->",
        "",
        "# PII catalogue",
        "",
        "Every TERP column that can hold personal data, with the rule `terp-seed mask` applies "
        "to it.",
        'The source is the `info["pii"]` tag on each column in `terp_seed/schema.py`, or '
        '`info["pii_catalogue"]` where TERP\'s schema description says `none` but the column '
        "can hold personal data all the same (login names, account numbers, JSON, "
        "descriptions); a column not listed here holds none. Text columns the application "
        "added are masked by rule `unknown_text` and named when `mask` runs.",
        f"{len(entries)} columns in {len(by_table(entries))} tables.",
        "",
        "| Table | Column | Kind | Unique | Nullable | Masking rule |",
        "|---|---|---|---|---|---|",
    ]
    for e in entries:
        out.append(
            f"| `{e.table}` | `{e.column}` | {e.kind} | {'yes' if e.unique else 'no'} | "
            f"{'yes' if e.nullable else 'no'} | `{e.rule}` |"
        )
    out += [
        "",
        "## Rules",
        "",
        "Why each rule looks the way it does: [masking.md](masking.md).",
        "",
        "| Rule | What it does | Distinct in, distinct out |",
        "|---|---|---|",
    ]
    for rule in RULES.values():
        out.append(f"| `{rule.name}` | {rule.summary} | {'yes' if rule.distinct else 'no'} |")
    return "\n".join(out) + "\n"

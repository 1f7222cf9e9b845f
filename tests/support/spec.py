"""Parse ``terp-schema.md`` and list every way :mod:`terp_seed.schema` disagrees with it.

The spec describes each table under a ``### `name` `` heading: a markdown table of columns
(``Column | Type | Null | Default | PII | Notes``) followed by bullets (``**UNIQUE**``,
``**Indexes**``, ``**DB FKs**``, ``**Not a DB FK**``). :func:`parse_spec` turns that into
:class:`SpecTable` values; :func:`compare_spec` compares them with SQLAlchemy metadata and
returns one readable line per mismatch (empty when they agree).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

SPEC_ENV = "TERP_SCHEMA_SPEC"
"""Environment variable that overrides where the spec file is looked for."""

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_TABLE_HEADING = re.compile(r"^###\s+`([^`]+)`")
_BULLET = re.compile(r"^-\s+\*\*([^*]+)\*\*(.*)$")
_NAMED_COLUMNS = re.compile(r"`([^`]+)`\s*\(([^)]*)\)")
_ON_DELETE = r"(CASCADE|SET NULL|SET DEFAULT|RESTRICT|NO ACTION)"
_DB_FK = re.compile(rf"`(\w+)`\s*→\s*(\w+)\.(\w+)\s+ON DELETE\s+{_ON_DELETE}")
_NOTE_FK = re.compile(rf"\bFK (\w+)\.(\w+), ON DELETE {_ON_DELETE}")
_APP_REF = re.compile(r"`(\w+)`\s*→\s*(\w+)(?:\.(\w+))?")
_NOTE_APP_REF = re.compile(r"relation-only\s*→\s*(\w+)\.(\w+)")
_ENUM_VALUE = re.compile(r"'((?:[^']|'')*)'")
_SPEC_DEFAULTS = {
    "now": "CURRENT_TIMESTAMP",
    "now +upd": "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP",
    "false": "0",
    "true": "1",
}


class SpecParseError(ValueError):
    """The spec text does not have the shape this parser expects."""


@dataclass(frozen=True)
class SpecColumn:
    """One row of a table's column list, cells as written (``type`` normalised)."""

    name: str
    type: str
    nullable: bool
    default: str
    pii: str
    notes: str


@dataclass(frozen=True)
class SpecForeignKey:
    """A real (DB-enforced) foreign key."""

    column: str
    parent_table: str
    parent_column: str
    on_delete: str


@dataclass
class SpecTable:
    """Everything the spec says about one table."""

    name: str
    columns: list[SpecColumn] = field(default_factory=list)
    uniques: dict[str, tuple[str, ...]] = field(default_factory=dict)
    indexes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    foreign_keys: dict[str, SpecForeignKey] = field(default_factory=dict)
    app_refs: dict[str, str] = field(default_factory=dict)
    """Child column → ``"<table>.<column>"`` for references that are not DB FKs."""


def locate_spec(default: Path) -> Path:
    """``$TERP_SCHEMA_SPEC`` if set, else ``default``."""
    override = os.environ.get(SPEC_ENV)
    return Path(override) if override else default


def normalise_type(spec_type: str) -> str:
    """Canonical spelling of a spec type: ``decimal(15,2)``, ``enum('a','b')``, ``varchar(64)``."""
    text = spec_type.strip()
    if text.lower().startswith("enum"):
        return _enum_key(v.replace("''", "'") for v in _ENUM_VALUE.findall(text))
    return re.sub(r"\s+", "", text).lower()


def model_type(type_: sa.types.TypeEngine[Any]) -> str:
    """The spec spelling of a SQLAlchemy type; unknown types fall back to ``repr``."""
    if isinstance(type_, sa.Enum):
        return _enum_key(type_.enums)
    if isinstance(type_, sa.Text):
        return "text"
    if isinstance(type_, sa.String):
        return f"varchar({type_.length})"
    if isinstance(type_, sa.Boolean):
        return "boolean"
    if isinstance(type_, sa.BigInteger | sa.SmallInteger):
        return type(type_).__name__.lower()
    if isinstance(type_, sa.Integer):
        return "int"
    if isinstance(type_, sa.Float):
        return "float"
    if isinstance(type_, sa.Numeric):
        return f"decimal({type_.precision},{type_.scale})"
    if isinstance(type_, sa.JSON):
        return "json"
    if isinstance(type_, sa.TIMESTAMP):
        return "timestamp"
    if isinstance(type_, sa.DateTime):
        return "datetime"
    if isinstance(type_, sa.Date):
        return "date"
    return repr(type_)


def model_default(column: sa.Column[Any]) -> str:
    """The column's server default as MySQL DDL text, ``""`` when there is none."""
    default = column.server_default
    if default is None:
        return ""
    arg = getattr(default, "arg", None)
    if isinstance(arg, str):
        return arg
    if isinstance(arg, sa.TextClause):
        return arg.text
    if isinstance(arg, sa.ClauseElement):
        return str(arg.compile(dialect=mysql.dialect()))
    return repr(default)


def _enum_key(values: Iterable[str]) -> str:
    return "enum(" + ",".join(f"'{v}'" for v in values) + ")"


# -- parsing ------------------------------------------------------------------------------------


def parse_spec(text: str) -> dict[str, SpecTable]:
    """Tables of the spec by DB name, in spec order.

    :raises SpecParseError: a table section without a column list, a malformed row, or a
        UNIQUE/Indexes/DB FKs bullet none of whose entries can be read.
    """
    tables: dict[str, SpecTable] = {}
    current: SpecTable | None = None
    header: list[str] | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if _HEADING.match(line):
            _finish(current)
            table_match = _TABLE_HEADING.match(line)
            current = SpecTable(table_match.group(1)) if table_match else None
            if current is not None:
                if current.name in tables:
                    raise SpecParseError(f"line {lineno}: table {current.name} described twice")
                tables[current.name] = current
            header = None
            continue
        if current is None:
            continue
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if header is None:
                header = [cell.lower() for cell in cells]
            elif not all(set(cell) <= set("-: ") for cell in cells):
                _add_column(current, header, cells, lineno)
            continue
        header = None
        bullet = _BULLET.match(line)
        if bullet:
            _add_bullet(current, bullet.group(1).strip(), bullet.group(2), lineno)
    _finish(current)
    return tables


def _add_column(table: SpecTable, header: list[str], cells: list[str], lineno: int) -> None:
    if "column" not in header:
        return  # some other table inside a section
    if len(cells) != len(header):
        raise SpecParseError(
            f"line {lineno}: {table.name} row has {len(cells)} cells, header has {len(header)}"
        )
    row = dict(zip(header, cells, strict=True))
    null = row.get("null", "")
    if null not in ("NN", "null"):
        raise SpecParseError(f"line {lineno}: Null must be NN or null, found {null!r}")
    column = SpecColumn(
        name=row["column"],
        type=normalise_type(row.get("type", "")),
        nullable=null == "null",
        default=row.get("default", ""),
        pii=row.get("pii", ""),
        notes=row.get("notes", ""),
    )
    table.columns.append(column)
    if re.match(r"UQ\b", column.notes):
        table.uniques[f"{table.name}_{column.name}_unique"] = (column.name,)
    fk = _NOTE_FK.search(column.notes)
    if fk:
        table.foreign_keys[column.name] = SpecForeignKey(column.name, *fk.groups())
    ref = _NOTE_APP_REF.search(column.notes)
    if ref:
        table.app_refs[column.name] = f"{ref.group(1)}.{ref.group(2)}"


def _add_bullet(table: SpecTable, label: str, rest: str, lineno: int) -> None:
    body = rest.split(":", 1)[1].strip() if ":" in rest else rest.strip()
    if label in ("UNIQUE", "Indexes"):
        target = table.uniques if label == "UNIQUE" else table.indexes
        entries = _NAMED_COLUMNS.findall(body)
        for name, columns in entries:
            target[name] = tuple(c.strip() for c in columns.split(","))
    elif label == "DB FKs":
        entries = _DB_FK.findall(body)
        for column, parent, parent_column, on_delete in entries:
            table.foreign_keys[column] = SpecForeignKey(column, parent, parent_column, on_delete)
    elif label == "Not a DB FK":
        for column, parent, parent_column in _APP_REF.findall(body):
            table.app_refs[column] = f"{parent}.{parent_column or 'id'}"
        return
    else:
        return
    if not entries and body.lower().rstrip(".") != "none":
        raise SpecParseError(f"line {lineno}: cannot read the {label} of {table.name}: {body!r}")


def _finish(table: SpecTable | None) -> None:
    if table is not None and not table.columns:
        raise SpecParseError(f"table {table.name}: no column list found under its heading")


# -- comparing ----------------------------------------------------------------------------------


def compare_spec(spec: Mapping[str, SpecTable], md: sa.MetaData) -> list[str]:
    """One line per disagreement between the spec and the metadata; ``[]`` when they agree."""
    problems: list[str] = []
    for name in spec:
        if name not in md.tables:
            problems.append(f"{name}: table is in the spec but missing from the model")
    for name in md.tables:
        if name not in spec:
            problems.append(f"{name}: table is in the model but not in the spec")
    for name, spec_table in spec.items():
        if name in md.tables:
            problems += _compare_table(spec_table, md.tables[name], set(spec) | set(md.tables))
    return problems


def _compare_table(spec: SpecTable, table: sa.Table, modelled: set[str]) -> list[str]:
    problems: list[str] = []
    spec_names = [c.name for c in spec.columns]
    model_names = [c.name for c in table.columns]
    if spec_names != model_names:
        missing = [n for n in spec_names if n not in model_names]
        extra = [n for n in model_names if n not in spec_names]
        if missing or extra:
            problems.append(f"{spec.name}: columns missing from model {missing}, extra {extra}")
        else:
            problems.append(f"{spec.name}: column order: spec {spec_names}, model {model_names}")
    for spec_column in spec.columns:
        if spec_column.name in table.c:
            problems += _compare_column(spec.name, spec_column, table.c[spec_column.name])
    for column_name, target in spec.app_refs.items():
        problems += _compare_app_ref(spec.name, table, column_name, target, modelled)
    problems += _compare_named(spec.name, "UNIQUE", spec.uniques, _model_uniques(table))
    problems += _compare_named(spec.name, "index", spec.indexes, _model_indexes(table))
    problems += _compare_foreign_keys(spec, table)
    return problems


def _compare_column(table: str, spec: SpecColumn, column: sa.Column[Any]) -> list[str]:
    where = f"{table}.{spec.name}"
    found = {
        "type": (spec.type, model_type(column.type)),
        "nullable": (_null(spec.nullable), _null(bool(column.nullable))),
        "default": (
            _SPEC_DEFAULTS.get(spec.default, spec.default) or "(none)",
            model_default(column) or "(none)",
        ),
        "pii": (spec.pii, str(column.info.get("pii", "(missing)"))),
        "primary key": (
            "PK AI" if spec.notes.startswith("PK AI") else "no",
            "PK AI" if column.primary_key and column.autoincrement is True else "no",
        ),
    }
    return [
        f"{where}: {what}: spec {expected}, model {actual}"
        for what, (expected, actual) in found.items()
        if expected != actual
    ]


def _compare_app_ref(
    table: str, model: sa.Table, column_name: str, target: str, modelled: set[str]
) -> list[str]:
    if column_name not in model.c:
        return [f"{table}.{column_name}: 'Not a DB FK' names a column the model lacks"]
    key = "app_ref" if target.split(".")[0] in modelled else "app_ref_external"
    actual = model.c[column_name].info.get(key)
    if actual == target:
        return []
    return [f"{table}.{column_name}: info[{key!r}]: spec {target}, model {actual}"]


def _compare_named(
    table: str,
    kind: str,
    spec: Mapping[str, tuple[str, ...]],
    model: Mapping[str, tuple[str, ...]],
) -> list[str]:
    return [
        f"{table}: {kind} {name}: spec {_cols(spec.get(name))}, model {_cols(model.get(name))}"
        for name in sorted(set(spec) | set(model))
        if spec.get(name) != model.get(name)
    ]


def _compare_foreign_keys(spec: SpecTable, table: sa.Table) -> list[str]:
    expected = {
        fk.column: f"{fk.parent_table}.{fk.parent_column} ON DELETE {fk.on_delete} "
        f"({spec.name}_{fk.column}_{fk.parent_table}_{fk.parent_column}_fk)"
        for fk in spec.foreign_keys.values()
    }
    actual: dict[str, str] = {}
    for constraint in table.foreign_key_constraints:
        on_delete = (constraint.ondelete or "NO ACTION").upper()
        for element in constraint.elements:
            actual[element.parent.name] = (
                f"{element.target_fullname} ON DELETE {on_delete} ({constraint.name})"
            )
    return [
        f"{spec.name}.{column}: DB FK: spec {expected.get(column, '(none)')}, "
        f"model {actual.get(column, '(none)')}"
        for column in sorted(set(expected) | set(actual))
        if expected.get(column) != actual.get(column)
    ]


def _model_uniques(table: sa.Table) -> dict[str, tuple[str, ...]]:
    found = {
        str(c.name): tuple(col.name for col in c.columns)
        for c in table.constraints
        if isinstance(c, sa.UniqueConstraint)
    }
    found.update({str(i.name): tuple(c.name for c in i.columns) for i in table.indexes if i.unique})
    for column in table.columns:
        if column.unique:
            found[f"(unnamed unique={column.name})"] = (column.name,)
    return found


def _model_indexes(table: sa.Table) -> dict[str, tuple[str, ...]]:
    return {str(i.name): tuple(c.name for c in i.columns) for i in table.indexes if not i.unique}


def _null(nullable: bool) -> str:
    return "null" if nullable else "NN"


def _cols(columns: tuple[str, ...] | None) -> str:
    return "(absent)" if columns is None else "(" + ", ".join(columns) + ")"

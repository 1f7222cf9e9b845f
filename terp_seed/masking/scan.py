"""The leak scan: is anything personal left in a (masked) database?

Two checks, on every TERP table:

1. **Originals.** Given a sample of original values (a JSON or CSV file), no catalogued column
   may hold one, and no free-text or uncatalogued text column may contain one (originals of
   8 characters or more, as substrings).
2. **Patterns.** Every text column (catalogued or not) is searched for emails outside reserved
   domains, North American phone numbers outside ``555-0100``..``555-0199`` and SSN-like
   numbers outside the fictional ranges (:mod:`terp_seed.masking.patterns`).

The report names tables, columns, row ids and reasons, never the values it found.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from terp_seed.errors import ConfigError
from terp_seed.masking.catalogue import catalogue
from terp_seed.masking.patterns import (
    EMAIL_RE,
    PHONE_RE,
    SSN_RE,
    is_fictional_phone,
    is_fictional_ssn,
    is_reserved_email,
)
from terp_seed.schema import metadata

MIN_ORIGINAL = 3  # shorter originals ("NA", "") say nothing
MIN_CONTAINED = 8  # shorter originals are not searched for inside longer text
SHOWN_IDS = 5


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def _phone_key(value: str) -> str | None:
    found = PHONE_RE.fullmatch(value.strip())
    return re.sub(r"\D", "", found.group())[-10:] if found else None


class Originals:
    """A sample of original values, normalised for comparison (case and spacing ignored)."""

    def __init__(self, values: Iterable[str]) -> None:
        normal = {_norm(v) for v in values if len(v.strip()) >= MIN_ORIGINAL}
        self.exact = frozenset(normal)
        self.phones = frozenset(k for k in (_phone_key(v) for v in normal) if k)
        long = sorted((v for v in normal if len(v) >= MIN_CONTAINED), key=len, reverse=True)
        self._contained = [
            re.compile("|".join(re.escape(v) for v in long[i : i + 200]))
            for i in range(0, len(long), 200)
        ]

    def __len__(self) -> int:
        return len(self.exact)

    def equals(self, value: str) -> bool:
        """True when ``value`` is one of the originals (a phone: the same number)."""
        key = _phone_key(value)
        return _norm(value) in self.exact or (key is not None and key in self.phones)

    def contained(self, value: str) -> bool:
        """True when an original of 8+ characters appears inside ``value``."""
        text = _norm(value)
        return any(pattern.search(text) for pattern in self._contained)


def load_originals(path: str) -> Originals:
    """Read a sample of originals: JSON (a list, an object of lists, or a list of objects) or
    CSV (the ``value`` column when the header has one, else every cell).

    :raises ConfigError: the file cannot be read, is not JSON or CSV, or holds no values.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read originals file {path!r} ({type(exc).__name__}: "
            f"{exc.strerror if isinstance(exc, OSError) else exc.reason}): pass a readable "
            "UTF-8 JSON or CSV file of original values"
        ) from None
    if file.suffix.lower() == ".csv":
        values = list(_csv_values(text))
    else:
        try:
            values = list(_json_values(json.loads(text)))
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"originals file {path!r} is not valid JSON (line {exc.lineno}: {exc.msg}): "
                "expected a list of values, an object of lists, or a .csv file"
            ) from None
    originals = Originals(values)
    if not len(originals):
        raise ConfigError(
            f"originals file {path!r} holds no values of {MIN_ORIGINAL}+ characters: a scan "
            "against it would prove nothing"
        )
    return originals


def _json_values(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for value in data.values():
            yield from _json_values(value)
    elif isinstance(data, list):
        for value in data:
            yield from _json_values(value)
    elif data is not None and not isinstance(data, bool):
        yield str(data)


def _csv_values(text: str) -> Iterator[str]:
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        return
    header = [h.strip().lower() for h in rows[0]]
    if "value" in header:
        index = header.index("value")
        yield from (r[index] for r in rows[1:] if len(r) > index)
    else:
        yield from (cell for row in rows for cell in row)


@dataclass
class ColumnFindings:
    """What the scan found in one column for one reason: how often, and the first row ids."""

    table: str
    column: str
    reason: str
    count: int = 0
    ids: list[Any] = field(default_factory=list)

    def describe(self) -> str:
        shown = ", ".join(str(i) for i in self.ids)
        more = ", ..." if self.count > len(self.ids) else ""
        return f"{self.table}.{self.column}: {self.count} row(s) {self.reason} (id {shown}{more})"


@dataclass
class ScanReport:
    """The scan's result: findings per column and reason, and what was scanned."""

    findings: dict[tuple[str, str, str], ColumnFindings] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    columns: int = 0
    originals: int = 0

    @property
    def leaks(self) -> int:
        return sum(f.count for f in self.findings.values())

    def add(self, table: str, column: str, pk: Any, reason: str) -> None:
        found = self.findings.setdefault(
            (table, column, reason), ColumnFindings(table, column, reason)
        )
        found.count += 1
        if len(found.ids) < SHOWN_IDS:
            found.ids.append(pk)

    def as_dict(self) -> dict[str, Any]:
        return {
            "leaks": self.leaks,
            "rows_scanned": self.rows,
            "columns_scanned": self.columns,
            "originals": self.originals,
            "findings": [f.__dict__ for f in self.findings.values()],
        }

    def lines(self) -> list[str]:
        """The report for a person: one line per finding, then the totals."""
        out = [f.describe() for f in self.findings.values()]
        out.append(
            f"pii-scan: {self.leaks} leak(s) in {sum(self.rows.values()):,} rows of "
            f"{len(self.rows)} tables ({self.columns} text columns, {self.originals:,} originals)"
        )
        return out


def text_columns(table: sa.Table, live: set[str]) -> list[sa.Column[Any]]:
    """The columns of ``table`` that can hold text (strings, text, JSON; not enums)."""
    return [
        c
        for c in table.columns
        if c.name in live
        and isinstance(c.type, sa.String | sa.JSON)
        and not isinstance(c.type, sa.Enum)
    ]


def pattern_reasons(text: str) -> set[str]:
    """Why ``text`` looks personal: real-looking emails, phone numbers or SSN-like numbers."""
    reasons = set()
    if any(not is_reserved_email(m.group()) for m in EMAIL_RE.finditer(text)):
        reasons.add("hold an email outside reserved domains")
    if any(not is_fictional_phone(m[3], m[4]) for m in PHONE_RE.finditer(text)):
        reasons.add("hold a phone number outside 555-0100..0199")
    if any(not is_fictional_ssn(m[1], m[3], m[4]) for m in SSN_RE.finditer(text)):
        reasons.add("hold an SSN-like number outside the fictional ranges")
    return reasons


def scan_database(
    conn: sa.Connection, originals: Originals | None = None, *, chunk_size: int = 5000
) -> ScanReport:
    """Scan every text column of every TERP table in ``conn``'s database (read only)."""
    kinds = {(e.table, e.column): e.kind for e in catalogue()}
    inspector = sa.inspect(conn)
    live_tables = set(inspector.get_table_names())
    report = ScanReport(originals=len(originals) if originals else 0)
    for table in metadata.tables.values():
        if table.name not in live_tables or len(table.primary_key.columns) != 1:
            continue
        live = {c["name"] for c in inspector.get_columns(table.name)}
        columns = text_columns(table, live)
        report.columns += len(columns)
        checks = [(c, kinds.get((table.name, c.name))) for c in columns]
        report.rows[table.name] = 0
        for row in _rows(conn, table, columns, chunk_size):
            report.rows[table.name] += 1
            values: tuple[Any, ...] = tuple(row[1:])
            for (column, kind), value in zip(checks, values, strict=True):
                if value is not None:
                    _check(report, originals, table.name, column.name, kind, row[0], value)
    return report


def _rows(
    conn: sa.Connection, table: sa.Table, columns: list[sa.Column[Any]], size: int
) -> Iterator[sa.Row[Any]]:
    pk = next(iter(table.primary_key.columns))
    last: Any = None
    while True:
        query = sa.select(pk, *columns).order_by(pk).limit(size)
        if last is not None:
            query = query.where(pk > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def _check(
    report: ScanReport,
    originals: Originals | None,
    table: str,
    column: str,
    kind: str | None,
    pk: Any,
    value: Any,
) -> None:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if originals is not None:
        if originals.equals(text):
            report.add(table, column, pk, "equal an original value")
        elif kind in (None, "free_text") and originals.contained(text):
            report.add(table, column, pk, "contain an original value")
    for reason in sorted(pattern_reasons(text)):
        report.add(table, column, pk, reason)

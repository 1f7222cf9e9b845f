"""The leak scan: is anything personal left in a (masked) database?

Every text column of every table is scanned: TERP's, the columns and tables the application
added, and terp-seed's own (the audit trail included). Three checks:

1. **Originals.** Given a sample of original values (a JSON or CSV file), no catalogued column
   may hold one, and no free-text or uncatalogued text column may contain one (originals of
   8 characters or more, as substrings).
2. **Detectors** (:mod:`terp_seed.masking.detect`): emails outside reserved domains (also
   obfuscated or full-width), phone numbers outside ``555-0100``..``555-0199`` (international
   ones by ``phonenumbers``), SSN-like numbers outside the fictional ranges, valid IBANs,
   account numbers, dates of birth and driver's licence numbers after their keywords.
3. **Column kinds.** A login column (``users.openId``) must hold a reserved address or
   ``user-<tag>``; an account-number column's digits must start ``00`` (as masked ones do).

A database with none of TERP's tables, or none of their rows, is refused: "0 leaks" there
would prove nothing. The report names tables, columns, row ids and reasons, never the values.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa

from terp_seed.errors import ConfigError
from terp_seed.masking.catalogue import catalogue
from terp_seed.masking.detect import find_pii
from terp_seed.masking.live import is_text
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


def is_fictional(value: str) -> bool:
    """True for a value that cannot be anyone's: a ``555-0100``..``0199`` phone number, an
    address at a reserved domain, an SSN-like number in the fictional ranges. Every masked
    phone, email and SSN is one, and no real value is."""
    text = value.strip()
    if found := PHONE_RE.fullmatch(text):
        return is_fictional_phone(found[3], found[4])
    if EMAIL_RE.fullmatch(text):
        return is_reserved_email(text)
    if found := SSN_RE.fullmatch(text):
        return is_fictional_ssn(found[1], found[3], found[4])
    return False


class Originals:
    """A sample of original values, normalised for comparison (case and spacing ignored).

    Fictional originals (:func:`is_fictional`, e.g. the ``555-01xx`` numbers terp-seed's own
    seeds write) are left out: they are nobody's personal data, and masked phones, emails and
    SSNs are drawn from the same fictional ranges, so equality with one is no leak. With them
    out, a masked value can never equal an original: masked values are fictional by
    construction, the remaining originals are not.
    """

    def __init__(self, values: Iterable[str]) -> None:
        kept = [v for v in values if len(v.strip()) >= MIN_ORIGINAL and not is_fictional(v)]
        normal = {_norm(v) for v in kept}
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
            f"originals file {path!r} holds no values of {MIN_ORIGINAL}+ characters that could "
            "be personal data (fictional phones, reserved emails and SSNs are left out): a scan "
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


_REASONS: Final = {
    "email": "hold an email outside reserved domains",
    "obfuscated_email": "hold an email written to dodge filters (name at domain dot com)",
    "phone": "hold a phone number outside 555-0100..0199",
    "ssn": "hold an SSN-like number outside the fictional ranges",
    "iban": "hold an IBAN with valid check digits",
    "account_number": "hold an account number (after acct/account) not masked",
    "date_of_birth": "hold a date of birth (after DOB/born)",
    "drivers_licence": "hold a driver's licence number",
}
_MASKED_LOGIN_RE: Final = re.compile(r"user-[a-z2-7]{13}")
_VERSION_TABLES: Final = ("alembic_version", "alembic_seed_version")


def pattern_reasons(text: str) -> set[str]:
    """Why ``text`` looks personal (:func:`~terp_seed.masking.detect.find_pii`): real-looking
    emails, phone numbers, SSNs, IBANs, account numbers, dates of birth, licence numbers."""
    return {_REASONS[f.kind] for f in find_pii(text) if f.real}


def kind_reasons(kind: str | None, text: str) -> set[str]:
    """What a catalogued column's own kind tells: a login name that is neither a reserved
    address nor ``user-<tag>``; a bare account number (digits only) not starting ``00``. A
    reference such as ``ACH-7K2M90041X`` cannot be told from a masked one: only originals can."""
    value = text.strip()
    if kind == "login" and value:
        masked = _MASKED_LOGIN_RE.fullmatch(value) or (
            EMAIL_RE.fullmatch(value) and is_reserved_email(value)
        )
        return set() if masked else {"hold a login name that is not masked"}
    if kind == "account_number" and re.fullmatch(r"[\d -]+", value):  # a bare account number
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 6 and not digits.startswith("00"):
            return {"hold an account number that is not masked"}
    return set()


def scan_database(
    conn: sa.Connection, originals: Originals | None = None, *, chunk_size: int = 5000
) -> ScanReport:
    """Scan every text column of every table in ``conn``'s database (read only): TERP's,
    columns and tables the application added, and terp-seed's own (the audit trail).

    :raises ConfigError: the database has none of TERP's tables (empty, or not migrated), or
        they hold no rows: a scan of nothing would say "0 leaks".
    """
    kinds = {(e.table, e.column): e.kind for e in catalogue()}
    inspector = sa.inspect(conn)
    names = [n for n in inspector.get_table_names() if n not in _VERSION_TABLES]
    database = conn.engine.url.database
    if not any(n in metadata.tables for n in names):
        raise ConfigError(
            f"pii-scan: database {database!r} has none of TERP's tables (it is empty or not "
            "migrated), so a scan would prove nothing: point TERP_DATABASE_URL at the masked copy"
        )
    report = ScanReport(originals=len(originals) if originals else 0)
    for name in names:
        columns = [c for c in inspector.get_columns(name) if is_text(c["type"])]
        if not columns:
            continue
        table = sa.table(name, *(sa.column(c["name"]) for c in columns))
        pk = inspector.get_pk_constraint(name).get("constrained_columns") or []
        key: sa.ColumnClause[Any] | None = sa.column(pk[0]) if len(pk) == 1 else None
        report.columns += len(columns)
        checks = [(c["name"], kinds.get((name, c["name"]))) for c in columns]
        report.rows[name] = 0
        for row in _rows(conn, table, key, chunk_size):
            report.rows[name] += 1
            values: tuple[Any, ...] = tuple(row[1:])
            for (column, kind), value in zip(checks, values, strict=True):
                if value is not None:
                    _check(report, originals, name, column, kind, row[0], value)
    if not any(report.rows.get(n) for n in names if n in metadata.tables):
        raise ConfigError(
            f"pii-scan: TERP's tables in database {database!r} hold no rows, so a scan would "
            "prove nothing: point TERP_DATABASE_URL at the masked copy"
        )
    return report


def _rows(
    conn: sa.Connection, table: sa.TableClause, key: sa.ColumnClause[Any] | None, size: int
) -> Iterator[Sequence[Any]]:
    """Rows as ``(id, value, ...)`` in key order; a table without a one-column key is read in
    one pass and numbered."""
    if key is None:
        for number, row in enumerate(conn.execute(sa.select(*table.columns)), start=1):
            yield (f"row {number}", *row)
        return
    last: Any = None
    while True:
        query = sa.select(key, *table.columns).order_by(key).limit(size)
        if last is not None:
            query = query.where(key > last)
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
    for reason in sorted(pattern_reasons(text) | kind_reasons(kind, text)):
        report.add(table, column, pk, reason)

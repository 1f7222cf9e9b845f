"""Checking a CSV file for ``terp-seed load --table T --csv FILE`` (a custom dataset, validated,
loaded with provenance by :func:`terp_seed.csvload.run.load_csv`) and reading its rows.

The file is read twice, so its rows are never all in memory; what is kept is each key, unique
value and reference, for the checks across the file (peak RSS 133 MB for 100,000 clients, 316 MB
for 1,000,000). The first pass checks every row against the live schema (header names, types,
lengths, enum values, required columns, keys and unique values, and references to parent rows by
real foreign keys and by TERP's application-level references); any bad row stops the command
with one line naming the lines and columns, and nothing is written. It reads :data:`BATCH`
records at a time, column by column, and tests a column's values at once where the live column
allows (a longest text, a set of enum values, a range: :mod:`terp_seed.validation.fit`); only a
column of a batch where something is wrong is gone through value by value, and what is wrong is
reported in file order. Keys, unique values and references are then looked up in the database,
1,000 at a time (:mod:`terp_seed.validation.lookups`); what they find follows, in file order for
each column. The second pass converts the rows (:mod:`terp_seed.csvload.values`, without
checking again) and hands them to the bulk :class:`~terp_seed.load.loader.Loader` (``LOAD DATA``
on MySQL), which records each row in the ledger under the run id, so ``terp-seed rollback --run
ID`` removes exactly them.

File format: UTF-8 (a BOM is allowed), comma-separated, a header row of column names, quotes as
RFC 4180. An empty field is NULL (leave a column out to take its default). Booleans are
``1/0/true/false/yes/no``; dates ``YYYY-MM-DD``; times ``YYYY-MM-DD HH:MM:SS`` (or ``T``);
JSON columns hold a JSON document. Without an ``id`` column, keys follow the table's largest.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from terp_seed.csvload.values import READ_CHECKED, Convert, reader
from terp_seed.db.keys import ceiling_text, key_ceiling
from terp_seed.errors import ConfigError, SeedDataError
from terp_seed.factories.base import IdAllocator
from terp_seed.runtime.key_blocks import KeyBlock
from terp_seed.schema import metadata, relations
from terp_seed.validation.fit import ColumnFit, reflect_table
from terp_seed.validation.lookups import existing
from terp_seed.validation.types import Row

ERRORS_SHOWN = 10  # bad values named in the one-line message
BATCH = 1000  # records checked and converted column by column at a time


def read_header(path: Path) -> list[str]:
    """The file's header row; a missing, unreadable, empty or non-UTF-8 file is refused."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except FileNotFoundError:
        raise ConfigError(f"CSV file {str(path)!r} not found: check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read CSV file {str(path)!r}: {exc}") from None
    if not header or not any(h.strip() for h in header):
        raise ConfigError(f"{path} line 1: no header row; the first line names the columns")
    return [h.strip() for h in header]


@dataclass
class _Column:
    """A header column: how to read its text and what the live column accepts."""

    name: str
    convert: Convert
    reads: str  # what the text must be, for parse errors
    fit: ColumnFit  # what the live column accepts

    def read_all(self, texts: list[str], *, checked: bool = False) -> list[Any]:
        """The values of ``texts`` (an empty text is NULL); raises on a text it cannot read.
        ``checked``: the file has been checked, what only checks a text can be skipped."""
        convert = READ_CHECKED.get(self.convert, self.convert) if checked else self.convert
        if convert is str:
            return [text or None for text in texts]
        return [convert(text) if text else None for text in texts]


@dataclass
class LoadPlan:
    """A validated file: how to turn each record into a row."""

    table: str
    columns: list[_Column]
    first_id: int | None  # keys to hand out when the file has no id column
    stamp: tuple[int, int]  # the file's size and modification time when it was checked

    def rows(self, path: Path) -> Iterator[Row]:
        """The file's rows as typed values (second pass; the file was validated). A file that
        changed since it was checked is refused, before its first row and after its last
        (the loader's transaction then rolls back what it wrote)."""
        self._unchanged(path)
        next_id = self.first_id
        names = [col.name for col in self.columns]
        for batch in _batches(path):
            values = [
                col.read_all([r[i] for _, r in batch], checked=True)
                for i, col in enumerate(self.columns)
            ]
            for row_values in zip(*values, strict=True):
                if next_id is None:
                    yield dict(zip(names, row_values, strict=True))
                    continue
                row: Row = {"id": next_id}
                row.update(zip(names, row_values, strict=True))
                next_id += 1
                yield row
        self._unchanged(path)

    def _unchanged(self, path: Path) -> None:
        if file_stamp(path) != self.stamp:
            raise SeedDataError(
                f"{path} changed while it was being loaded (it was checked as it was before); "
                "nothing was loaded. Load it again once nothing writes to it"
            )


@dataclass
class _Findings:
    """Bad values found so far (the first few in full) and what needs the database."""

    errors: list[str] = field(default_factory=list)
    count: int = 0
    keys: dict[str, dict[Any, int]] = field(default_factory=dict)  # column -> value -> line

    def bad(self, line: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.errors) < ERRORS_SHOWN:
            where = f"line {line}, column {column}" if column else f"line {line}"
            self.errors.append(f"{where}: {message}")


def validate_file(
    conn: sa.Connection,
    table: str,
    path: Path,
    header: list[str],
    keys: Mapping[str, KeyBlock] | None = None,
) -> LoadPlan:
    """First pass: check every row; raise one :class:`SeedDataError` listing bad lines."""
    stamp = file_stamp(path)
    columns = _columns(conn, table, header, path)
    findings = _Findings()
    watch = _Watch.of(table, header)
    for batch in _batches(path):
        _check_batch(columns, batch, findings, watch)
    _check_database(conn, table, findings, watch)
    if findings.count:
        more = f" (+{findings.count - len(findings.errors)} more)" if findings.count > 10 else ""
        raise SeedDataError(
            f"{path}: {findings.count} bad value(s), nothing was loaded: "
            f"{'; '.join(findings.errors)}{more}"
        )
    first_id = None if "id" in header else IdAllocator(conn, keys).next_id(table)
    return LoadPlan(table, columns, first_id, stamp)


def file_stamp(path: Path) -> tuple[int, int]:
    """The file's size and modification time (nanoseconds)."""
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(first line number, fields)`` of each data record (blank lines skipped)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        next(reader, None)
        end = reader.line_num
        try:
            for record in reader:  # a quoted field may hold newlines: a record spans lines
                start, end = end + 1, reader.line_num
                if record:
                    yield start, record
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SeedDataError(
                f"{path} line {reader.line_num + 1}: not valid CSV ({exc}); nothing was loaded"
            ) from None


def _batches(path: Path) -> Iterator[list[tuple[int, list[str]]]]:
    """The file's records, :data:`BATCH` at a time."""
    batch: list[tuple[int, list[str]]] = []
    for record in _records(path):
        batch.append(record)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _check_batch(
    columns: list[_Column],
    batch: list[tuple[int, list[str]]],
    findings: _Findings,
    watch: _Watch,
) -> None:
    """Check a batch column by column; report what is wrong in file order (line, column)."""
    width = len(columns)
    problems = [
        (line, -1, "", f"{len(record)} fields, the header has {width}")
        for line, record in batch
        if len(record) != width
    ]
    whole = [(line, record) for line, record in batch if len(record) == width]
    lines = [line for line, _ in whole]
    for i, col in enumerate(columns):
        texts = [record[i] for _, record in whole]
        values = _batch_values(col, texts)
        if values is None:  # value by value, naming each one that is wrong
            values = []
            for line, text in zip(lines, texts, strict=True):
                value, wrong = _check_value(col, text)
                if wrong:
                    problems.append((line, i, col.name, wrong))
                values.append(value)
        if col.name in watch:
            seen = findings.keys.setdefault(col.name, {})
            unique = col.name in watch.unique
            for line, value in zip(lines, values, strict=True):
                if value is None:
                    continue
                if unique and value in seen:
                    problems.append(
                        (line, i, col.name, f"{_show(value)} repeats line {seen[value]}")
                    )
                seen.setdefault(value, line)
    for line, _i, column, message in sorted(problems, key=lambda p: (p[0], p[1])):
        findings.bad(line, column, message)


def _batch_values(col: _Column, texts: list[str]) -> list[Any] | None:
    """A column's values of a batch when all of them are certainly good, else ``None`` (one
    value at a time then finds and names the bad ones)."""
    try:
        values = col.read_all(texts)
    except (ValueError, InvalidOperation, TypeError):
        return None
    return values if col.fit.fits_column(values) else None


def _check_value(col: _Column, text: str) -> tuple[Any, str | None]:
    """``(value, None)``, or ``(None, what is wrong with the text)``."""
    if text == "":
        return None, None if col.fit.nullable else "empty, but the column is NOT NULL"
    try:
        value = col.convert(text)
    except (ValueError, InvalidOperation, TypeError) as exc:
        reason = str(exc).replace(text, "…") if text else str(exc)  # never the value itself
        return None, f"{_show(text)} is not {col.reads} ({reason})"
    if not col.fit.fits(value):
        return None, f"{_show(text)} does not fit (accepts {col.fit.accepts})"
    return value, None


def _show(value: object) -> str:
    """A value as a message names it: a whole number (a key) as it is; any other value only by
    its length, since a rejected value may be anything, personal data included, and the message
    goes to the terminal, the logs and the audit trail."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"the value ({len(str(value))} chars)"


def _columns(conn: sa.Connection, table: str, header: list[str], path: Path) -> list[_Column]:
    """The header mapped to live columns; unknown, repeated or missing required ones refused."""
    live = {c["name"]: c for c in sa.inspect(conn).get_columns(table)}
    fit = reflect_table(conn, table)
    model = metadata.tables[table]
    for name in header:
        if name not in live:
            known = ", ".join(live)
            raise ConfigError(
                f"{path} line 1: unknown column {name!r} for table {table} (columns: {known})"
            )
        if header.count(name) > 1:
            raise ConfigError(f"{path} line 1: column {name!r} appears twice in the header")
    missing = [
        c.name
        for c in fit.columns.values()
        if c.required and c.name not in header and c.name != "id"  # keys are handed out
    ]
    if missing:
        raise ConfigError(
            f"{path} line 1: required column(s) {', '.join(missing)} missing from the header "
            f"(NOT NULL without a default in {table})"
        )
    columns = []
    for name in header:
        model_type = model.c[name].type if name in model.c else None
        convert, reads = reader(live[name]["type"], model_type)
        columns.append(_Column(name, convert, reads, fit.columns[name]))
    return columns


@dataclass(frozen=True)
class _Watch:
    """Header columns whose values the database must check: unique ones and references."""

    unique: frozenset[str]
    refs: frozenset[str]

    @classmethod
    def of(cls, table: str, header: list[str]) -> _Watch:
        model = metadata.tables[table]
        unique = {
            next(iter(c.columns)).name
            for c in model.constraints
            if isinstance(c, sa.UniqueConstraint | sa.PrimaryKeyConstraint) and len(c.columns) == 1
        }
        refs = {r.child_column for r in relations() if r.child_table == table}
        return cls(frozenset(unique & set(header)), frozenset(refs & set(header)))

    def __contains__(self, column: object) -> bool:
        return column in self.unique or column in self.refs


def _check_database(conn: sa.Connection, table: str, findings: _Findings, watch: _Watch) -> None:
    """Unique values must be new; referenced parents must exist (in the database or file)."""
    model = metadata.tables[table]
    for name in sorted(watch.unique):
        seen = findings.keys.get(name, {})
        for value in sorted(existing(conn, model.c[name], list(seen)), key=lambda v: seen[v]):
            findings.bad(seen[value], name, f"{_show(value)} already exists in {table}")
    own_ids = findings.keys.get("id", {})
    ceiling = key_ceiling(conn, table) if own_ids else 0
    for key in sorted((k for k in own_ids if k > ceiling), key=lambda k: own_ids[k]):
        findings.bad(
            own_ids[key], "id", f"{key} is past the largest key terp-seed loads, "
            f"{ceiling_text(conn, table)}"
        )  # fmt: skip
    for rel in relations():
        if rel.child_table != table or rel.child_column not in watch.refs:
            continue
        seen = findings.keys.get(rel.child_column, {})
        wanted = set(seen)
        if rel.parent_table == table and rel.parent_column == "id":
            wanted -= set(own_ids)  # a row may point at another row of the same file
        parent = metadata.tables[rel.parent_table].c[rel.parent_column]
        found = set(existing(conn, parent, list(wanted)))
        kind = "foreign key" if rel.enforced else "reference"
        for value in sorted(wanted - found, key=lambda v: seen[v]):
            findings.bad(
                seen[value],
                rel.child_column,
                f"{_show(value)} names no {rel.parent_table}.{rel.parent_column} ({kind})",
            )

"""Seeded rows changed since seeding: what a rollback keeps unless told to delete them too.

Two things make a seeded row "changed": its checksum over the columns the models know is not
the one the ledger recorded when it was seeded (:func:`changed_rows`), or it holds data in a
column the application added to the table since (:func:`app_columns`, :func:`app_data_rows`).
A column the models do not know is not in the ledger's checksum, so there a value other than
the column's default means the application wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import ReflectedColumn

from terp_seed.db.dialects import NULL_TEXT, dialect_of, row_digest
from terp_seed.load.checksums import default_text
from terp_seed.schema import metadata
from terp_seed.store import ledger
from terp_seed.store.checksums import DIGEST, checksum_expr, range_checksums
from terp_seed.store.ledger import SeededKeys


@dataclass(frozen=True)
class AppColumn:
    """A live column of a TERP table that the models do not know, and what is no data in it."""

    table: str
    name: str
    unwritten: sa.ColumnElement[bool]  # true for a row whose value is the column's default

    def written(self) -> sa.ColumnElement[bool]:
        return sa.not_(self.unwritten)


def changed_rows(conn: sa.Connection, keys: SeededKeys, table: str) -> tuple[list[int], list[str]]:
    """Seeded rows of ``table`` whose checksum is not the one recorded when they were seeded,
    or that hold data in a column the application added (sorted keys); and the names of those
    columns that hold data."""
    changed = set(_checksum_changes(conn, keys, table))
    written = []
    for column in app_columns(conn, table):
        rows = app_data_rows(conn, keys, column)
        if rows:
            changed.update(rows)
            written.append(column.name)
    return sorted(changed), written


def app_columns(conn: sa.Connection, table: str) -> list[AppColumn]:
    """The live columns of ``table`` that :mod:`terp_seed.schema` does not declare."""
    known = set(metadata.tables[table].c.keys())
    found = []
    for info in sa.inspect(conn).get_columns(table):
        if info["name"] not in known:
            found.append(AppColumn(table, info["name"], _unwritten(conn, info)))
    return found


def app_data_rows(conn: sa.Connection, keys: SeededKeys, column: AppColumn) -> list[int]:
    """Seeded rows of the column's table that hold data in it."""
    t = sa.table(column.table, sa.column("id"), sa.column(column.name))
    q = sa.select(t.c.id).where(keys.keys(column.table, t.c.id), column.written())
    return [int(k) for (k,) in conn.execute(q)]


def _unwritten(conn: sa.Connection, info: ReflectedColumn) -> sa.ColumnElement[bool]:
    """Whether a row's value of the column ``info`` describes is what the database put there
    itself: NULL, the constant default, or for a NOT NULL column without one the type's zero.
    An expression default (``current_timestamp()``) cannot be told from a value written: any
    value counts as data then."""
    col: sa.ColumnClause[Any] = sa.column(info["name"])
    is_null = col.is_(None)
    default = info.get("default")
    if default is None:
        if info.get("nullable", True):
            return is_null
        kind = info.get("type")
        if isinstance(kind, sa.Enum) and kind.enums:
            return sa.or_(is_null, col == kind.enums[0])
        if isinstance(kind, sa.Integer | sa.Numeric | sa.Boolean):
            return sa.or_(is_null, col == 0)
        if isinstance(kind, sa.String):
            return sa.or_(is_null, sa.func.length(col) == 0)
        return is_null
    text = default_text(str(default))
    if text is None:
        return is_null
    if text == NULL_TEXT:
        return is_null
    # compared as the checksum of its text, so neither collation nor type makes 'X' equal 'x'
    digest = row_digest([text])
    return sa.or_(is_null, dialect_of(conn).checksum([col]) == digest)


def _checksum_changes(conn: sa.Connection, keys: SeededKeys, table: str) -> list[int]:
    """Seeded rows of ``table`` whose checksum is not the one recorded when they were seeded.

    Per ledger range the server computes the checksums of the rows as they are now, packed in
    key order like the ledger's, and Python compares the two (one comparison when nothing
    changed). A range with rows gone is compared row by row. (Comparing each row with its 16
    bytes of the ledger's packed checksums in SQL made the server read the range's checksums
    again for every row: 40 s for 580,000 order lines.)
    """
    t = metadata.tables[table]
    ranges = ledger.checksummed_ranges(conn, keys.scope, table)
    changed: list[int] = []
    for first, last, then in ranges:
        then = bytes(then)
        found, now = range_checksums(conn, t, int(first), int(last))
        if found == int(last) - int(first) + 1:
            if now != then:
                changed.extend(
                    int(first) + i
                    for i in range(found)
                    if now[i * DIGEST : (i + 1) * DIGEST] != then[i * DIGEST : (i + 1) * DIGEST]
                )
            continue
        rows = conn.execute(
            sa.select(t.c.id, checksum_expr(conn, t)).where(t.c.id.between(first, last))
        )
        for key, digest in rows:
            at = (int(key) - int(first)) * DIGEST
            if bytes(digest) != then[at : at + DIGEST]:
                changed.append(int(key))
    return changed


def app_column_labels(conn: sa.Connection, table: str) -> list[sa.Label[Any]]:
    """The columns the application added to ``table``, to select beside the models' (a backup
    holds every live column)."""
    quote = conn.dialect.identifier_preparer.quote
    return [
        sa.literal_column(f"{quote(table)}.{quote(c.name)}").label(c.name)
        for c in app_columns(conn, table)
    ]

"""The provenance ledger: which rows a seed inserted, so rollback removes exactly those.

A ledger row stands for a run of consecutive primary keys of one table, all inserted by one
run (and revision): ``(run id, revision, table, first key, last key, checksums)``. A seed step
takes its keys as one block per table (:mod:`terp_seed.runtime.key_blocks`), so a chunk of 20,000
rows is one ledger row, written in the same transaction as the rows. ``checksums`` packs the
16-byte MD5 of every row of the range as stored, in key order; rollback computes it again to
find the rows the application has changed since seeding. For a bulk-loaded chunk the loader
computes the digests from the very text it sent (:mod:`terp_seed.load.loader`) and has the server
confirm a sample of them; otherwise the server computes them all from the stored rows.

The checksum of a row is computed by :mod:`terp_seed.store.checksums`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from terp_seed.errors import SeedDataError
from terp_seed.schema import metadata
from terp_seed.store.checksums import DIGEST, range_checksums
from terp_seed.store.tables import LEDGER_TABLE, ledger

MAX_SPAN = 20_000  # keys per ledger row at most: 320 KB of checksums, well inside a packet
INLINE_SPANS = 64  # a table's ranges named inline in a query, at most; beyond, a ledger join


@dataclass(frozen=True)
class Scope:
    """Which seeded rows an operation is about: one revision's, one run's, or one table's."""

    revision: str | None = None
    run_id: str | None = None
    tables: tuple[str, ...] | None = None

    def where(self, alias: Any = ledger) -> sa.ColumnElement[bool]:
        clauses: list[sa.ColumnElement[bool]] = []
        if self.revision is not None:
            clauses.append(alias.c.revision == self.revision)
        if self.run_id is not None:
            clauses.append(alias.c.run_id == self.run_id)
        if self.tables is not None:
            clauses.append(alias.c.table_name.in_(self.tables))
        if not clauses:
            raise ValueError("a ledger scope needs a revision, a run id or tables")
        return sa.and_(*clauses)

    def describe(self) -> str:
        parts = []
        if self.revision is not None:
            parts.append(f"revision {self.revision}")
        if self.run_id is not None:
            parts.append(f"run {self.run_id}")
        if self.tables is not None:
            parts.append(f"tables {', '.join(self.tables)}")
        return ", ".join(parts)


def record_range(
    conn: sa.Connection,
    run_id: str,
    revision: str | None,
    table: str,
    first: int,
    last: int,
    checksums: bytes | None = None,
) -> int:
    """Record rows ``first..last`` of ``table`` as seeded; returns how many were recorded.

    With ``checksums`` (the loader's, computed from the text it sent) the rows are taken as
    present; without, the server reads them and computes their checksums, and nothing is
    recorded unless every key of the range is there (the count returned says how many were).
    """
    if last - first + 1 > MAX_SPAN:  # one ledger row per MAX_SPAN keys
        done = 0
        for start in range(first, last + 1, MAX_SPAN):
            end = min(last, start + MAX_SPAN - 1)
            part = None
            if checksums is not None:
                part = checksums[(start - first) * DIGEST : (end - first + 1) * DIGEST]
            found = record_range(conn, run_id, revision, table, start, end, part)
            done += found
            if found != end - start + 1:
                break
        return done
    t = metadata.tables[table]
    expected = last - first + 1
    if checksums is None:
        found, checksums = range_checksums(conn, t, first, last)
        if found != expected:
            return found
    elif len(checksums) != expected * DIGEST:
        raise ValueError(f"{len(checksums)} bytes of checksums for {expected} rows")
    _refuse_overlap(conn, table, first, last)
    conn.execute(
        ledger.insert().values(
            run_id=run_id,
            revision=revision,
            table_name=table,
            first_pk=first,
            last_pk=last,
            checksums=checksums,
        )
    )
    return expected


def _refuse_overlap(conn: sa.Connection, table: str, first: int, last: int) -> None:
    """A key is recorded once: refuse a range that overlaps one already in the ledger."""
    before = conn.execute(
        sa.select(ledger.c.first_pk, ledger.c.last_pk)
        .where(ledger.c.table_name == table, ledger.c.first_pk <= last)
        .order_by(ledger.c.first_pk.desc())
        .limit(1)
    ).first()
    if before is not None and int(before.last_pk) >= first:
        raise SeedDataError(
            f"ledger: keys {first}..{last} of {table} overlap keys {before.first_pk}.."
            f"{before.last_pk} already recorded as seeded; the step was rolled back"
        )


def record_rows(
    conn: sa.Connection, run_id: str, revision: str | None, table: str, ids: Sequence[int]
) -> int:
    """Record explicit rows (scattered keys, restores): one range per run of consecutive
    keys; returns how many were recorded."""
    return sum(
        record_range(conn, run_id, revision, table, first, last) for first, last in spans_of(ids)
    )


def spans_of(ids: Iterable[int]) -> list[tuple[int, int]]:
    """``ids`` as sorted runs of consecutive keys (duplicates dropped), at most
    :data:`MAX_SPAN` keys each."""
    spans: list[tuple[int, int]] = []
    for key in sorted(set(ids)):
        if spans and key == spans[-1][1] + 1 and key - spans[-1][0] < MAX_SPAN:
            spans[-1] = (spans[-1][0], key)
        else:
            spans.append((key, key))
    return spans


def span_size() -> sa.ColumnElement[int]:
    """Rows a ledger row stands for."""
    return ledger.c.last_pk - ledger.c.first_pk + 1


def counts(conn: sa.Connection, scope: Scope) -> dict[str, int]:
    """Seeded rows per table within ``scope``."""
    rows = conn.execute(
        sa.select(ledger.c.table_name, sa.func.sum(span_size()))
        .where(scope.where())
        .group_by(ledger.c.table_name)
    )
    return {str(t): int(n) for t, n in rows if n}


def covers(
    table: str, column: sa.ColumnElement[Any], alias: Any = ledger
) -> sa.ColumnElement[bool]:
    """Join condition: ledger row ``alias`` stands for the row of ``table`` whose key is
    ``column``."""
    return sa.and_(alias.c.table_name == table, column.between(alias.c.first_pk, alias.c.last_pk))


@dataclass
class SeededKeys:
    """The keys a scope seeded, per table: how many, and their runs of consecutive keys.

    ``spans`` holds each table's ranges merged and sorted; ``ranges`` the tables whose keys
    are one single range (a seed step's usual case). Queries narrow with ``id BETWEEN first
    AND last`` (primary-key ranges) instead of a semi-join on the ledger, and Python answers
    "did the scope seed this key" without a query.
    """

    scope: Scope
    counts: dict[str, int]
    ranges: dict[str, tuple[int, int]]
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @property
    def tables(self) -> set[str]:
        """Tables the scope seeded rows of."""
        return {t for t, n in self.counts.items() if n}

    def keys(self, table: str, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """``column`` holds a key of ``table`` that the scope seeded."""
        spans = self.spans.get(table) or []
        if not spans:
            return sa.false()
        if len(spans) <= INLINE_SPANS:
            return sa.or_(*(column.between(first, last) for first, last in spans))
        mine = ledger.alias("mine")
        return sa.exists().where(self.scope.where(mine), covers(table, column, mine))

    def among(self, table: str, keys: Sequence[int]) -> list[int]:
        """The keys of ``table`` the scope seeded (no query)."""
        spans = self.spans.get(table) or []
        starts = [first for first, _ in spans]
        found = []
        for key in keys:
            at = bisect.bisect_right(starts, key) - 1
            if at >= 0 and key <= spans[at][1]:
                found.append(key)
        return found


def seeded_keys(conn: sa.Connection, scope: Scope) -> SeededKeys:
    """The scope's ranges per table, merged (one query over the scope's ledger rows)."""
    rows = conn.execute(
        sa.select(ledger.c.table_name, ledger.c.first_pk, ledger.c.last_pk)
        .where(scope.where())
        .order_by(ledger.c.table_name, ledger.c.first_pk)
    )
    spans: dict[str, list[tuple[int, int]]] = {}
    for table, first, last in rows:
        mine = spans.setdefault(str(table), [])
        if mine and int(first) <= mine[-1][1] + 1:
            mine[-1] = (mine[-1][0], max(mine[-1][1], int(last)))
        else:
            mine.append((int(first), int(last)))
    found = {t: sum(b - a + 1 for a, b in s) for t, s in spans.items()}
    ranges = {t: s[0] for t, s in spans.items() if len(s) == 1}
    return SeededKeys(scope, found, ranges, spans)


def seeded_per_table(conn: sa.Connection, rows_per_key: bool = False) -> dict[str, int]:
    """Seeded rows per table, the whole ledger; ``rows_per_key``: the ledger is still in the
    first layout, one row per seeded row (read as it is: converting it takes DDL)."""
    if rows_per_key:
        old = sa.table(LEDGER_TABLE, sa.column("table_name"))
        counted = conn.execute(
            sa.select(old.c.table_name, sa.func.count()).group_by(old.c.table_name)
        )
        return {str(t): int(n) for t, n in counted}
    rows = conn.execute(
        sa.select(ledger.c.table_name, sa.func.sum(span_size())).group_by(ledger.c.table_name)
    )
    return {str(t): int(n) for t, n in rows}


def seeded_per_revision(conn: sa.Connection) -> dict[tuple[str, str], int]:
    """Seeded rows per (revision, table) of the revisions' own rows (not ad-hoc runs')."""
    rows = conn.execute(
        sa.select(ledger.c.revision, ledger.c.table_name, sa.func.sum(span_size()))
        .where(ledger.c.revision.is_not(None))
        .group_by(ledger.c.revision, ledger.c.table_name)
    )
    return {(str(r), str(t)): int(n) for r, t, n in rows}


def with_origin(t: sa.Table, scope: Scope) -> sa.Select[Any]:
    """The rows of ``t`` seeded within ``scope``, by key, each with the ``run_id`` and
    ``revision`` that seeded it."""
    return (
        sa.select(t, ledger.c.run_id, ledger.c.revision)
        .join(ledger, covers(t.name, t.c.id))
        .where(scope.where())
        .order_by(t.c.id)
    )


def checksummed_ranges(conn: sa.Connection, scope: Scope, table: str) -> sa.Result[int, int, bytes]:
    """``(first key, last key, packed checksums)`` of each range of ``table`` seeded within
    ``scope`` whose checksums are known, by first key."""
    return conn.execute(
        sa.select(ledger.c.first_pk, ledger.c.last_pk, ledger.c.checksums)
        .where(scope.where(), ledger.c.table_name == table, ledger.c.checksums.is_not(None))
        .order_by(ledger.c.first_pk)
    )


def recorded(scope: Scope, table: str, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """``column`` holds a key of ``table`` seeded within ``scope`` (an EXISTS on the ledger)."""
    return sa.exists().where(scope.where(), covers(table, column))


def forget_statement(scope: Scope) -> sa.Delete:
    """The DELETE of the ledger rows within ``scope`` (for a run that renders SQL offline)."""
    return ledger.delete().where(scope.where())


def forget(conn: sa.Connection, scope: Scope, tables: Iterable[str] | None = None) -> int:
    """Delete ledger rows within ``scope`` (after their data rows are gone)."""
    where = scope.where()
    if tables is not None:
        where = sa.and_(where, ledger.c.table_name.in_(list(tables)))
    return conn.execute(ledger.delete().where(where)).rowcount


def recompute_checksums(
    conn: sa.Connection, run_id: str, t: sa.Table, first: int, last: int
) -> None:
    """Have the server compute again the checksums of ``run_id``'s ledger rows of ``t`` whose
    ranges start within ``first..last`` (replacing checksums the loader took from its text)."""
    entries = ledger.c
    rows = conn.execute(
        sa.select(entries.id, entries.first_pk, entries.last_pk).where(
            entries.run_id == run_id,
            entries.table_name == t.name,
            entries.first_pk.between(first, last),
        )
    ).all()
    for entry, start, end in rows:
        _found, sums = range_checksums(conn, t, int(start), int(end))
        conn.execute(ledger.update().where(entries.id == entry).values(checksums=sums))


def offline_entries(run_id: str, revision: str | None, table: str, ids: Iterable[int]) -> sa.Insert:
    """The INSERT of the ledger rows for rows ``ids`` of ``table``, without checksums, for
    rendering as SQL text (``--sql``): one ledger row per run of consecutive keys."""
    return ledger.insert().values(
        [
            {
                "run_id": run_id,
                "revision": revision,
                "table_name": table,
                "first_pk": first,
                "last_pk": last,
                "checksums": None,
            }
            for first, last in spans_of(ids)
        ]
    )


def refresh_checksums(conn: sa.Connection, t: sa.Table, keys: Iterable[int]) -> int:
    """Take again the checksums of the ledger ranges (any run's) that hold one of ``keys`` of
    ``t``: rows the seed itself changed after loading them; returns the ranges refreshed."""
    wanted = sorted(set(keys))
    if not wanted:
        return 0
    entries = ledger.c
    ranges = conn.execute(
        sa.select(entries.id, entries.first_pk, entries.last_pk).where(
            entries.table_name == t.name,
            entries.checksums.is_not(None),
            entries.last_pk >= wanted[0],
            entries.first_pk <= wanted[-1],
        )
    ).all()
    refreshed = 0
    for entry, first, last in ranges:
        at = bisect.bisect_left(wanted, int(first))
        if at < len(wanted) and wanted[at] <= int(last):
            _found, sums = range_checksums(conn, t, int(first), int(last))
            conn.execute(ledger.update().where(entries.id == entry).values(checksums=sums))
            refreshed += 1
    return refreshed

"""The provenance ledger: which rows a seed inserted, so rollback removes exactly those.

A ledger row is (run id, revision, table, primary key, checksum). It is written in the same
transaction as the seeded rows, by one ``INSERT ... SELECT`` per chunk, so the checksum is
computed by the database from the row as stored. Rollback compares it again to find rows the
application has changed since seeding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from terp_seed.bookkeeping import ledger
from terp_seed.schema import metadata


@dataclass(frozen=True)
class Scope:
    """Which seeded rows an operation is about: one revision's, one run's, or one table's."""

    revision: str | None = None
    run_id: str | None = None
    tables: tuple[str, ...] | None = None

    def where(self, alias: sa.TableClause | sa.Table = ledger) -> sa.ColumnElement[bool]:
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


def checksum_columns(table: sa.Table) -> list[sa.Column[object]]:
    """Columns that count for "changed since seeding": all but ON UPDATE timestamps."""
    return [c for c in table.columns if c.name not in ("updatedAt", "updated_at")]


def checksum_expr(conn: sa.Connection, table: sa.Table) -> sa.ColumnElement[str]:
    """SQL for a row's checksum, computed by the database on the stored row."""
    cols = checksum_columns(table)
    if conn.dialect.name == "sqlite":
        return sa.func.terp_seed_md5(*cols)
    parts = [sa.func.coalesce(sa.cast(c, sa.String), sa.literal("\\N")) for c in cols]
    return sa.func.md5(sa.func.concat_ws(sa.literal("\x1f"), *parts))


def record_range(
    conn: sa.Connection, run_id: str, revision: str | None, table: str, first: int, last: int
) -> int:
    """Record rows ``first..last`` of ``table`` as seeded; returns how many were recorded."""
    t = metadata.tables[table]
    return _record(conn, run_id, revision, t, t.c.id.between(first, last))


def record_rows(
    conn: sa.Connection, run_id: str, revision: str | None, table: str, ids: Sequence[int]
) -> int:
    """Record explicit rows (scattered keys, restores); returns how many were recorded."""
    t = metadata.tables[table]
    return sum(
        _record(conn, run_id, revision, t, t.c.id.in_(list(ids[start : start + 1000])))
        for start in range(0, len(ids), 1000)
    )


def _record(
    conn: sa.Connection,
    run_id: str,
    revision: str | None,
    t: sa.Table,
    rows: sa.ColumnElement[bool],
) -> int:
    """One ``INSERT ... SELECT`` into the ledger of the rows of ``t`` matching ``rows``, with
    each row's checksum computed by the database from the stored row."""
    select = sa.select(
        sa.literal(run_id),
        sa.literal(revision, sa.String),
        sa.literal(t.name),
        t.c.id,
        checksum_expr(conn, t),
    ).where(rows)
    stmt = ledger.insert().from_select(
        ["run_id", "revision", "table_name", "row_pk", "checksum"], select
    )
    return int(conn.execute(stmt).rowcount)


def counts(conn: sa.Connection, scope: Scope) -> dict[str, int]:
    """Ledger rows per table within ``scope``."""
    rows = conn.execute(
        sa.select(ledger.c.table_name, sa.func.count())
        .where(scope.where())
        .group_by(ledger.c.table_name)
    )
    return {str(t): int(n) for t, n in rows}


@dataclass
class SeededKeys:
    """The keys a scope seeded, per table: how many, and the exact key range where there is one.

    A seed writes a table's rows of one step as one block of keys from the allocator, so the
    keys are usually exactly ``first..last``. That is proved, not assumed: the ledger holds each
    (table, key) once, so ``COUNT(*) = MAX - MIN + 1`` means every key in between is the
    scope's. Queries then narrow with ``id BETWEEN first AND last`` (a primary-key range) instead
    of a semi-join on the ledger; scattered keys keep the ledger subquery.
    """

    scope: Scope
    counts: dict[str, int]
    ranges: dict[str, tuple[int, int]]

    @property
    def tables(self) -> set[str]:
        """Tables the scope seeded rows of."""
        return {t for t, n in self.counts.items() if n}

    def keys(self, table: str, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """``column`` holds a key of ``table`` that the scope seeded."""
        if table not in self.tables:
            return sa.false()
        if table in self.ranges:
            first, last = self.ranges[table]
            return column.between(first, last)
        return column.in_(seeded_ids(None, self.scope, table))

    def among(self, table: str, keys: Sequence[int]) -> list[int] | None:
        """The keys of ``table`` the scope seeded, when that needs no query; else ``None``."""
        if table not in self.tables:
            return []
        if table not in self.ranges:
            return None
        first, last = self.ranges[table]
        return [k for k in keys if first <= k <= last]


def seeded_keys(conn: sa.Connection, scope: Scope) -> SeededKeys:
    """Count the scope's ledger rows per table and find their exact key ranges (one query).

    (Counting first from the index alone and then reading MIN/MAX over the table's whole ledger
    was measured slower inside the seeding transaction: 2.6 s against 1.4 s for 1,000,000
    clients.)
    """
    rows = conn.execute(
        sa.select(
            ledger.c.table_name,
            sa.func.count(),
            sa.func.min(ledger.c.row_pk),
            sa.func.max(ledger.c.row_pk),
        )
        .where(scope.where())
        .group_by(ledger.c.table_name)
    )
    found: dict[str, int] = {}
    ranges: dict[str, tuple[int, int]] = {}
    for table, n, first, last in rows:
        found[str(table)] = int(n)
        # (table_name, row_pk) is unique in the ledger: n distinct keys spanning n values are
        # exactly that range
        if n and int(last) - int(first) + 1 == int(n):
            ranges[str(table)] = (int(first), int(last))
    return SeededKeys(scope, found, ranges)


def seeded_ids(conn: sa.Connection | None, scope: Scope, table: str) -> sa.Select[tuple[int]]:
    """A subquery of the primary keys of ``table`` that ``scope`` seeded."""
    return sa.select(ledger.c.row_pk).where(scope.where(), ledger.c.table_name == table)


def forget(conn: sa.Connection, scope: Scope, tables: Iterable[str] | None = None) -> int:
    """Delete ledger rows within ``scope`` (after their data rows are gone)."""
    where = scope.where()
    if tables is not None:
        where = sa.and_(where, ledger.c.table_name.in_(list(tables)))
    return conn.execute(ledger.delete().where(where)).rowcount

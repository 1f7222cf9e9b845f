"""Mask a database in place: every catalogued column of every table, in primary-key chunks.

Each chunk is read, masked and written back in its own transaction together with the table's
progress row (:mod:`terp_seed.store.mask_progress`), so a run that is killed loses at most the
chunk in flight, and the next run resumes after the last committed key: no row is masked twice.
The caller holds the seed lock and has confirmed the run (:mod:`terp_seed.masking.run`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

import sqlalchemy as sa

from terp_seed.db.dialects import dialect_of
from terp_seed.errors import ConfigError, MaskingStopped, SeedDataError
from terp_seed.masking.catalogue import PiiColumn, by_table, catalogue
from terp_seed.masking.rules import mask_value
from terp_seed.masking.secret import MaskKey
from terp_seed.schema import metadata, refreshes_on_update
from terp_seed.store import mask_progress

log = logging.getLogger(__name__)
DEFAULT_CHUNK_SIZE = 1000
MAX_CHUNK_SIZE = 100_000
_CHUNK_TABLE = "terp_seed_mask_chunk"

LockCheckFn: TypeAlias = Callable[[sa.Connection], str | None]
"""Asked inside each chunk's transaction, before it commits: ``None`` while the run still holds
the seed lock, else why not (:meth:`terp_seed.runtime.lock.HeldLock.lost`)."""


class _LockLost(Exception):
    """Raised inside a chunk's transaction (so it rolls back) when the lock is gone."""


class ChunkFn(Protocol):
    """Called after each committed chunk with the table, its row count and its last key."""

    def __call__(self, table: str, rows: int, last_pk: int) -> None: ...


@dataclass(frozen=True)
class TablePlan:
    """What to mask in one table: its key column and its catalogued columns."""

    table: sa.Table
    columns: tuple[PiiColumn, ...]

    @property
    def pk(self) -> sa.Column[Any]:
        """The table's one-column primary key."""
        return next(iter(self.table.primary_key.columns))

    @property
    def describe(self) -> str:
        """``column=rule,...``: recorded in the progress row and the audit (no values)."""
        return ",".join(f"{c.column}={c.rule}" for c in self.columns)


@dataclass
class MaskReport:
    """What a masking run did, per table (counts and names only)."""

    rows: dict[str, int] = field(default_factory=dict)
    resumed_after: dict[str, int] = field(default_factory=dict)
    plans: list[TablePlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # columns and tables beyond the catalogue

    def detail(self, key: MaskKey) -> str:
        """The audit's detail line: columns and rules per table, key fingerprint, resumptions."""
        tables = "; ".join(f"{p.table.name}({p.describe})" for p in self.plans)
        resumed = ", ".join(f"{t} after id {pk}" for t, pk in self.resumed_after.items() if pk)
        return f"masked columns: {tables}; key fingerprint {key.fingerprint}" + (
            f"; resumed {resumed}" if resumed else ""
        )


def plan_tables(names: Sequence[str] = ()) -> list[TablePlan]:
    """The tables to mask (all catalogued tables when ``names`` is empty), in schema order.

    :raises ConfigError: a name is not a TERP table, or its table has no PII columns.
    """
    grouped = by_table(catalogue())
    for name in names:
        if name not in metadata.tables:
            raise ConfigError(
                f"unknown table {name!r}: use one of {', '.join(grouped)} (see `terp-seed pii`)"
            )
        if name not in grouped:
            raise ConfigError(
                f"table {name!r} has no PII columns in the catalogue, so there is nothing to "
                f"mask: use one of {', '.join(grouped)}"
            )
    chosen = [t for t in grouped if not names or t in names]
    plans = [TablePlan(metadata.tables[t], tuple(grouped[t])) for t in chosen]
    for plan in plans:
        if len(plan.table.primary_key.columns) != 1:
            raise ConfigError(f"table {plan.table.name!r} needs a one-column primary key to mask")
    return plans


def mask_database(
    conn: sa.Connection,
    plans: Sequence[TablePlan],
    key: MaskKey,
    *,
    run_id: str,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    dry_run: bool = False,
    restart: bool = False,
    on_chunk: ChunkFn | None = None,
    lock_check: LockCheckFn | None = None,
) -> MaskReport:
    """Mask every planned table on ``conn``, committing chunk by chunk; resume where a run
    before stopped. A dry run reads and masks but writes nothing. Each chunk asks
    ``lock_check`` before it commits: a run that lost the lock stops at once
    (:class:`MaskingStopped`, naming what it committed), so two runs never mask a row twice.

    :raises ConfigError: saved progress was made with another key or other rules, or the
        table changed since; ``restart=True`` forgets the progress and masks every row again.
    """
    report = MaskReport(plans=list(plans))
    if not dry_run:
        mask_progress.ensure_progress_table(conn)
        if restart:
            with conn.begin():
                mask_progress.forget(conn, [p.table.name for p in plans])
    for plan in plans:
        progress = _resume_point(conn, plan, key, run_id, restart=restart)
        report.resumed_after[plan.table.name] = progress.last_pk
        masker = _ChunkMasker(conn, plan, key, dry_run=dry_run, lock_check=lock_check)
        try:
            report.rows[plan.table.name] = masker.run(progress, chunk_size, on_chunk)
        except _LockLost as lost:
            report.rows[plan.table.name] = masker.masked
            raise MaskingStopped(_stopped(report, str(lost), masker.committed_pk)) from None
        log.info(
            "masked %s: %d rows",
            plan.table.name,
            report.rows[plan.table.name],
            extra={
                "table": plan.table.name,
                "rows": report.rows[plan.table.name],
                "columns": plan.describe,
                "dry_run": dry_run,
            },
        )
    return report


def _stopped(report: MaskReport, reason: str, last_pk: int) -> str:
    """What a run that lost the lock committed, table by table, and what it rolled back."""
    table = next(reversed(report.rows))
    done = ", ".join(f"{t} {n:,}" for t, n in report.rows.items())
    return (
        f"masking stopped: {reason}. Committed by this run, each chunk with its progress row: "
        f"{done} row(s) ({table} up to id {last_pk}); the chunk in flight ({table} after id "
        f"{last_pk}) was rolled back and nothing after it was written. Make sure no other "
        "`terp-seed mask` is running on this database, then run it again to resume"
    )


def remaining_rows(
    conn: sa.Connection, plans: Sequence[TablePlan], *, restart: bool = False
) -> dict[str, int]:
    """Rows per table after the saved progress (all rows when there is none, or on restart):
    for progress bars. Read only; the checks of :func:`mask_database` still apply."""
    remaining = {}
    for plan in plans:
        saved = None if restart else _load_saved(conn, plan.table.name)
        after = saved.last_pk if saved is not None else 0
        query = sa.select(sa.func.count()).select_from(plan.table).where(plan.pk > after)
        remaining[plan.table.name] = int(conn.execute(query).scalar_one())
        conn.commit()
    return remaining


def _resume_point(
    conn: sa.Connection, plan: TablePlan, key: MaskKey, run_id: str, *, restart: bool
) -> mask_progress.TableProgress:
    """The table's saved progress, checked against this run's key, rules and the canary."""
    name = plan.table.name
    fresh = mask_progress.TableProgress(name, key.fingerprint, plan.describe, run_id=run_id)
    saved = None if restart else _load_saved(conn, name)
    if saved is None:
        return fresh
    again = "run with the same key and rules, or pass --restart to mask every row again"
    if saved.key_fingerprint != key.fingerprint:
        raise ConfigError(
            f"{name} is masked up to id {saved.last_pk} with key fingerprint "
            f"{saved.key_fingerprint}, but this run's key has fingerprint {key.fingerprint}: "
            f"{again}"
        )
    if saved.plan != plan.describe:
        raise ConfigError(
            f"{name} is masked up to id {saved.last_pk} with rules {saved.plan!r}, but the "
            f"catalogue now says {plan.describe!r}: {again}"
        )
    if saved.last_pk and saved.canary != _current_canary(conn, plan, saved.last_pk):
        raise ConfigError(
            f"{name} was masked up to id {saved.last_pk} (run {saved.run_id}), but that row has "
            f"changed since (a freshly restored copy?): pass --restart to mask every row again"
        )
    saved.run_id = run_id
    return saved


def _load_saved(conn: sa.Connection, name: str) -> mask_progress.TableProgress | None:
    exists = mask_progress.PROGRESS_TABLE in sa.inspect(conn).get_table_names()
    saved = mask_progress.load(conn, name) if exists else None
    conn.commit()
    return saved


def _as_text(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """A JSON column is read and written as its text: the rules mask JSON text."""
    return sa.type_coerce(column, sa.Text) if isinstance(column.type, sa.JSON) else column


def _current_canary(conn: sa.Connection, plan: TablePlan, pk: int) -> str | None:
    cols = [_as_text(plan.table.c[c.column]) for c in plan.columns]
    row = conn.execute(sa.select(*cols).where(plan.pk == pk)).first()
    conn.commit()
    return None if row is None else mask_progress.canary(pk, [_text(v) for v in row])


def _text(value: object) -> str | None:
    return None if value is None else value if isinstance(value, str) else str(value)


class _ChunkMasker:
    """Reads, masks and writes one table chunk by chunk."""

    def __init__(
        self,
        conn: sa.Connection,
        plan: TablePlan,
        key: MaskKey,
        *,
        dry_run: bool,
        lock_check: LockCheckFn | None = None,
    ):
        self.conn, self.plan, self.key, self.dry_run = conn, plan, key, dry_run
        self.lock_check = lock_check
        self.masked = 0  # rows of committed chunks
        self.committed_pk = 0
        self.columns = [plan.table.c[c.column] for c in plan.columns]
        self.names = [f"c{i}" for i in range(len(self.columns))]
        self.staged = dialect_of(conn).stages_masked_chunks
        chunk_columns = [sa.Column("pk", sa.BigInteger, primary_key=True, autoincrement=False)]
        chunk_columns += [
            sa.Column(n, c.type) for n, c in zip(self.names, self.columns, strict=True)
        ]
        self.chunk = sa.Table(_CHUNK_TABLE, sa.MetaData(), *chunk_columns, prefixes=["TEMPORARY"])
        marks = ", ".join(["%s"] * len(chunk_columns))
        self._chunk_insert = f"INSERT INTO {_CHUNK_TABLE} VALUES ({marks})"
        self._chunk_update = self._update_from_chunk_sql()

    def run(
        self, progress: mask_progress.TableProgress, size: int, on_chunk: ChunkFn | None
    ) -> int:
        """Mask every row after ``progress.last_pk``; return how many rows were masked."""
        use_chunk_table = self.staged and not self.dry_run
        if use_chunk_table:
            self._chunk_table("create")
        self.committed_pk = progress.last_pk
        while rows := self._step(progress, size):
            self.masked += rows
            self.committed_pk = progress.last_pk
            if on_chunk is not None:
                on_chunk(self.plan.table.name, rows, progress.last_pk)
        if use_chunk_table:
            self._chunk_table("drop")
        return self.masked

    def _step(self, progress: mask_progress.TableProgress, size: int) -> int:
        """Mask the next chunk in one transaction, with its progress row; return its size."""
        with self.conn.begin() as trans:
            rows = self._read(progress.last_pk, size)
            if not rows:
                return 0
            new = [self._mask(row) for row in rows]
            progress.last_pk = int(new[-1][0])
            if self.dry_run:
                trans.rollback()
                return len(rows)
            self._write(new)
            progress.rows_masked += len(new)
            progress.canary = mask_progress.canary(progress.last_pk, new[-1][1:])
            mask_progress.save(self.conn, progress)
            lost = self.lock_check(self.conn) if self.lock_check is not None else None
            if lost is not None:
                raise _LockLost(lost)
        return len(rows)

    def _read(self, after: int, size: int) -> list[sa.Row[Any]]:
        query = (
            sa.select(self.plan.pk, *(_as_text(c) for c in self.columns))
            .where(self.plan.pk > after)
            .order_by(self.plan.pk)
            .limit(size)
        )
        if not self.dry_run:
            query = query.with_for_update()
        return list(self.conn.execute(query))

    def _mask(self, row: sa.Row[Any]) -> tuple[Any, ...]:
        out: list[Any] = [row[0]]
        values: tuple[Any, ...] = tuple(row[1:])
        for entry, value in zip(self.plan.columns, values, strict=True):
            masked = mask_value(entry.masking, _text(value), self.key)
            if masked is not None and entry.max_length and len(masked) > entry.max_length:
                raise SeedDataError(
                    f"masked {entry.table}.{entry.column} of id {row[0]} is {len(masked)} "
                    f"characters, the column holds {entry.max_length}: widen the column or "
                    f"choose another rule with info['mask']"
                )
            out.append(masked)
        return tuple(out)

    def _chunk_table(self, action: str) -> None:
        """Create or drop the per-connection temporary table a chunk is staged in: one
        multi-row INSERT and one joined UPDATE per chunk instead of one UPDATE per row."""
        self.conn.execute(sa.text(f"DROP TEMPORARY TABLE IF EXISTS {_CHUNK_TABLE}"))
        if action == "create":
            self.chunk.create(self.conn)
        self.conn.commit()

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        """Write a masked chunk back. Columns that refresh themselves on UPDATE (``ON UPDATE
        CURRENT_TIMESTAMP``) are set to themselves, so masking leaves ``updatedAt`` alone."""
        if self.staged:
            self.conn.execute(self.chunk.delete())
            self.conn.exec_driver_sql(self._chunk_insert, rows)  # one multi-row INSERT
            self.conn.exec_driver_sql(self._chunk_update, (rows[0][0], rows[-1][0]))
            return
        table = self.plan.table
        values: dict[Any, Any] = {c: c for c in table.columns if refreshes_on_update(c)}
        values.update(
            {
                col: sa.bindparam(n, type_=sa.Text if isinstance(col.type, sa.JSON) else None)
                for col, n in zip(self.columns, self.names, strict=True)
            }
        )
        stmt = sa.update(table).where(self.plan.pk == sa.bindparam("pk")).values(values)
        params = [{"pk": r[0], **dict(zip(self.names, r[1:], strict=True))} for r in rows]
        self.conn.execute(stmt, params)

    def _update_from_chunk_sql(self) -> str:
        """``UPDATE table STRAIGHT_JOIN chunk ... WHERE key BETWEEN first AND last``.

        The table comes first so MariaDB updates its rows on the fly (a later table in the join
        goes through an internal temporary table), and the key range keeps it to the chunk's
        rows (a chunk is a run of consecutive keys); each row then finds its masked values by
        the chunk's primary key. Left to itself, the optimizer may scan the whole table for
        every chunk.
        """
        quote = self.conn.dialect.identifier_preparer.quote
        keep = [c.name for c in self.plan.table.columns if refreshes_on_update(c)]
        sets = [f"t.{quote(c.name)} = m.{n}" for c, n in zip(self.columns, self.names, strict=True)]
        sets += [f"t.{quote(name)} = t.{quote(name)}" for name in keep]
        pk = f"t.{quote(self.plan.pk.name)}"
        return (
            f"UPDATE {quote(self.plan.table.name)} AS t STRAIGHT_JOIN {_CHUNK_TABLE} AS m "
            f"ON m.pk = {pk} SET {', '.join(sets)} WHERE {pk} BETWEEN %s AND %s"
        )

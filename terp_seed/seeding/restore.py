"""``terp-seed restore``: put a backup's rows back, exactly as they were recorded.

The whole file is verified before the lock is taken (:func:`~terp_seed.seeding.backup.check_backup`:
trailer, SHA-256, rows per table), and the environment policy decides what may be restored
(production: reference data only). Under the lock, before any row is written: the backup must
come from this database, no key may exist already, and every row's parents must exist, in the
database or in the file. The rows go back with their keys and values, and their provenance is
recorded again under their original run and revision with the checksums the ledger had when the
backup was taken: a row the application had changed before it was backed up is still seen as
changed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

from terp_seed.errors import ConfigError, SeedDataError
from terp_seed.factories.registry import FACTORIES
from terp_seed.runtime import policy
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.session import run_locked
from terp_seed.schema import metadata, relations
from terp_seed.seeding.backup import BackupRow, backup_rows, check_backup
from terp_seed.seeding.changes import app_columns
from terp_seed.seeding.derive import derive_after
from terp_seed.store import ledger
from terp_seed.store.audit import StepResult
from terp_seed.validation.lookups import existing

SHOWN = 10


def check_restore(options: RunOptions, path: str) -> dict[str, Any]:
    """Verify the whole file and the environment policy; return the file's header. Nothing is
    locked or read from the database."""
    header = check_backup(path)
    reference = {s.table for s in FACTORIES.values() if not s.customer_data}
    policy.check_restore(options.env, sorted(header.get("rows") or {}), reference)
    return header


def restore_file(
    options: RunOptions, url: URL, path: str, header: dict[str, Any] | None = None
) -> tuple[SeedRun, StepResult]:
    """Load a backup file's rows back with their keys and record their provenance; outside dev
    the restore must be confirmed. ``header``: what :func:`check_restore` returned for the file,
    when the caller checked it already; else it is checked here (before the lock is taken)."""
    if header is None:
        header = check_restore(options, path)

    def body(run: SeedRun) -> StepResult:
        assert run.connection is not None
        _same_database(header, run.db_name, path)
        run.confirm_destructive(f"restore of {path}")
        result = run.begin_step(None, "restore")
        result.rows = restore_backup(run.connection, path)
        # the restored rows feed derived columns again (reservations, client balances)
        derive_after(run.connection, result.rows, options.as_of)
        result.detail = f"backup {path} (run {header.get('run_id')})"
        result.outcome = "dry-run" if options.dry_run else "restored"
        return result

    return run_locked(options, url, None, body)


def restore_backup(conn: sa.Connection, path: str) -> dict[str, int]:
    """Insert the rows of a verified backup with their keys and values, and record each row's
    provenance under its original run, revision and checksum. Refused, before any row is
    written, when a key exists already or a parent is missing."""
    _check_keys(conn, path)
    _check_parents(conn, path)
    targets = _check_columns(conn, path)
    restored: dict[tuple[str, str, str | None], list[BackupRow]] = {}
    for item in backup_rows(path):
        conn.execute(targets[item.table](item.row).insert().values(item.row))
        restored.setdefault((item.table, item.run_id, item.revision), []).append(item)
    totals: dict[str, int] = {}
    for (table, run_id, revision), items in restored.items():
        _record(conn, run_id, revision, table, items)
        totals[table] = totals.get(table, 0) + len(items)
    return totals


def _check_columns(conn: sa.Connection, path: str) -> dict[str, Any]:
    """Per table, how to insert a backup row: every column it holds, the models' with their
    types and the ones the application added as they are. A column the live table no longer
    has refuses the restore before any row is written."""
    added: dict[str, set[str]] = {}
    for item in backup_rows(path):
        t = metadata.tables[item.table]
        live = added.setdefault(item.table, {c.name for c in app_columns(conn, item.table)})
        unknown = sorted(k for k in item.row if k not in t.c and k not in live)
        if unknown:
            raise SeedDataError(
                f"cannot restore {item.table} id={item.row['id']}: the backup has column(s) "
                f"{', '.join(unknown)} that {item.table} no longer has; add them back first; "
                "nothing was restored"
            )

    def target(table: str) -> Any:
        t = metadata.tables[table]
        return lambda row: sa.table(
            table, *(sa.column(k, t.c[k].type if k in t.c else None) for k in row)
        )

    return {table: target(table) for table in added}


def _same_database(header: dict[str, Any], db_name: str, path: str) -> None:
    source = header.get("database")
    if source != db_name:
        raise ConfigError(
            f"backup {path} was taken from database {source!r}, this is {db_name!r}: restore it "
            f"into {source!r} (TERP_DATABASE_URL); nothing was restored"
        )


def _check_keys(conn: sa.Connection, path: str) -> None:
    keys: dict[str, list[int]] = {}
    for item in backup_rows(path):
        keys.setdefault(item.table, []).append(int(item.row["id"]))
    for table, ids in keys.items():
        taken = existing(conn, metadata.tables[table].c.id, ids)
        if taken:
            raise SeedDataError(
                f"cannot restore {table} id={min(taken)}: a row with that key exists (was this "
                "backup restored already?); nothing was restored"
            )


def _check_parents(conn: sa.Connection, path: str) -> None:
    """Every reference of a restored row must name a row that exists (in the database or in
    the file): a restore never writes an orphan."""
    rels = relations()
    wanted: dict[tuple[str, str], dict[Any, tuple[str, int, str]]] = {}
    given: dict[tuple[str, str], set[Any]] = {}
    for item in backup_rows(path):
        for rel in rels:
            if rel.parent_table == item.table and rel.parent_column in item.row:
                given.setdefault((rel.parent_table, rel.parent_column), set()).add(
                    item.row[rel.parent_column]
                )
            value = item.row.get(rel.child_column) if rel.child_table == item.table else None
            if value is not None:
                where = (item.table, int(item.row["id"]), rel.child_column)
                wanted.setdefault((rel.parent_table, rel.parent_column), {}).setdefault(
                    value, where
                )
    missing: list[str] = []
    for (parent, column), values in sorted(wanted.items()):
        need = [v for v in values if v not in given.get((parent, column), set())]
        found = set(existing(conn, metadata.tables[parent].c[column], need))
        for value in need:
            if value not in found:
                table, key, col = values[value]
                missing.append(f"{table} id={key} ({col}={value!r}: no {parent}.{column})")
    if missing:
        more = f" (+{len(missing) - SHOWN} more)" if len(missing) > SHOWN else ""
        raise SeedDataError(
            f"cannot restore {path}: {len(missing)} row(s) would reference rows that are gone: "
            f"{'; '.join(missing[:SHOWN])}{more}; restore or re-create those parents first; "
            "nothing was restored"
        )


def _record(
    conn: sa.Connection, run_id: str, revision: str | None, table: str, items: list[BackupRow]
) -> None:
    """Record the rows' provenance with the checksums the backup kept (a row without one, from
    a format-1 backup, gets the checksum of its values as restored)."""
    by_key = {int(i.row["id"]): i.checksum for i in items}
    for first, last in ledger.spans_of(by_key):
        sums = [by_key[k] for k in range(first, last + 1)]
        packed = None if any(s is None for s in sums) else b"".join(s for s in sums if s)
        ledger.record_range(conn, run_id, revision, table, first, last, packed)

"""Undoing seeds from the command line: roll back a run, a revision or a table (with the seeded
tables that depend on it), and restore the rows of a backup file, each in one locked run."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import URL

from terp_seed.errors import ConfigError
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.session import run_locked
from terp_seed.schema import TERP_TABLES, metadata, relations
from terp_seed.seeding.apply import remove
from terp_seed.seeding.backup import check_backup, restore_backup
from terp_seed.store import ledger
from terp_seed.store.audit import StepResult
from terp_seed.store.ledger import Scope


def rollback_seeded(
    options: RunOptions,
    url: URL,
    *,
    run_id: str | None = None,
    revision: str | None = None,
    table: str | None = None,
) -> tuple[SeedRun, dict[str, int]]:
    """Remove the seeded rows of one run, revision or table (give exactly one), after
    :func:`check_rollback_table`. Returns the run and the rows deleted per table; raises
    :class:`ConfigError` when nothing seeded matches."""
    check_rollback_table(table)

    def body(run: SeedRun) -> dict[str, int]:
        assert run.connection is not None
        scope = rollback_scope(run_id=run_id, revision=revision, table=table)
        if not ledger.counts(run.connection, scope):
            raise ConfigError(f"nothing seeded matches {scope.describe()}: see `terp-seed status`")
        result = run.begin_step(scope.revision, "rollback")
        removed = remove(run, scope, f"rollback of {scope.describe()}")
        result.rows = {t: -n for t, n in removed.items()}
        result.outcome = "dry-run" if options.dry_run else "rolled back"
        return removed

    return run_locked(options, url, None, body)


def check_rollback_table(table: str | None) -> None:
    """Refuse an unknown table (:class:`ConfigError`); nothing is locked or read."""
    if table and table not in metadata.tables:
        raise ConfigError(f"unknown table {table!r}: use one of {', '.join(TERP_TABLES)}")


def rollback_scope(
    *, run_id: str | None = None, revision: str | None = None, table: str | None = None
) -> Scope:
    """The ledger scope of a run, else a revision, else a table with every table that depends
    on it (children included)."""
    if run_id:
        return Scope(run_id=run_id)
    if revision:
        return Scope(revision=revision)
    tables = {table}
    changed = True
    while changed:
        changed = False
        for rel in relations():
            if rel.parent_table in tables and rel.child_table not in tables:
                tables.add(rel.child_table)
                changed = True
    return Scope(tables=tuple(t for t in TERP_TABLES if t in tables))


def restore_file(
    options: RunOptions, url: URL, path: str, header: dict[str, Any] | None = None
) -> tuple[SeedRun, StepResult]:
    """Load a backup file's rows back with their keys and record their provenance; outside dev
    the restore must be confirmed. ``header``: what :func:`check_backup` returned for the file,
    when the caller checked it already; else it is checked here (a damaged file is refused
    before the lock is taken)."""
    if header is None:
        header = check_backup(path)

    def body(run: SeedRun) -> StepResult:
        assert run.connection is not None
        run.confirm_destructive(f"restore of {path}")
        result = run.begin_step(None, "restore")
        result.rows = restore_backup(run.connection, path)
        result.detail = f"backup {path} (run {header.get('run_id')})"
        result.outcome = "dry-run" if options.dry_run else "restored"
        return result

    return run_locked(options, url, None, body)

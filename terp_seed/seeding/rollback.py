"""Rollback that can only remove what a seed inserted: a revision's rows on downgrade, or a run,
a revision or a table (with the seeded tables that depend on it) on ``terp-seed rollback``.

The rows to delete are the ledger's rows within a :class:`~terp_seed.store.ledger.Scope`. Before
anything is deleted, rollback looks for rows the seed did not insert that reference the rows it
would delete (:mod:`terp_seed.seeding.references`: the live database's foreign keys, TERP's
references, ids inside JSON) and refuses, listing them; and for seeded rows the application has
changed since (:mod:`terp_seed.seeding.changes`: checksum, data in added columns). Then
it deletes children before parents, checks every count, and forgets the ledger rows, all in the
caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import URL

from terp_seed.errors import ConfigError, RollbackRefused, SeedStepFailed
from terp_seed.runtime import policy
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.session import run_locked
from terp_seed.schema import TERP_TABLES, metadata, relations
from terp_seed.seeding.backup import write_backup
from terp_seed.seeding.changes import changed_rows
from terp_seed.seeding.derive import derive_after
from terp_seed.seeding.references import SAMPLE, UNDECLARED, Blocker, find_blockers
from terp_seed.store import ledger
from terp_seed.store.ledger import Scope, SeededKeys

log = logging.getLogger(__name__)


@dataclass
class RollbackPlan:
    """What a rollback would do: rows per table, and what stands in its way."""

    scope: Scope
    counts: dict[str, int]
    present: dict[str, int]
    blockers: list[Blocker] = field(default_factory=list)
    modified: dict[str, list[int]] = field(default_factory=dict)
    app_columns: list[str] = field(default_factory=list)  # added columns with data in the scope
    keys: SeededKeys | None = None  # the scope's keys per table (exact ranges where there are)

    @property
    def tables(self) -> list[str]:
        """Tables to delete from, children before parents."""
        return [t for t in reversed(TERP_TABLES) if self.counts.get(t)]

    @property
    def missing(self) -> dict[str, int]:
        """Seeded rows that are already gone (deleted by someone else)."""
        return {
            t: n - self.present.get(t, 0)
            for t, n in self.counts.items()
            if n > self.present.get(t, 0)
        }


def plan_rollback(conn: sa.Connection, scope: Scope) -> RollbackPlan:
    """Inspect what rolling back ``scope`` would delete; changes nothing."""
    keys = ledger.seeded_keys(conn, scope)
    counts = keys.counts
    present = {t: _present(conn, keys, t) for t in counts if t in metadata.tables}
    plan = RollbackPlan(scope, counts, present, keys=keys)
    plan.blockers.extend(find_blockers(conn, keys))
    for table in plan.tables:
        changed, written = changed_rows(conn, keys, table)
        if changed:
            plan.modified[table] = changed
        plan.app_columns.extend(f"{table}.{name}" for name in written)
    return plan


def execute_rollback(
    conn: sa.Connection,
    plan: RollbackPlan,
    *,
    allow_modified: bool,
    before_delete: Callable[[RollbackPlan], None] | None = None,
    truncate: bool = False,
) -> dict[str, int]:
    """Delete the rows of ``plan`` (children first) and their ledger rows; return counts.

    Refuses with :class:`RollbackRefused` when rows the seed did not insert reference the rows,
    or when seeded rows were changed since seeding and ``allow_modified`` is false. The caller
    owns the transaction: on any error nothing is deleted.
    """
    refused = refusal(plan, allow_modified=allow_modified)
    if refused is not None:
        raise refused
    for table, n in plan.missing.items():
        log.warning(
            "%d seeded row(s) of %s are already gone; skipping them",
            n,
            table,
            extra={"table": table, "rows": n},
        )
    if before_delete is not None:
        before_delete(plan)
    deleted: dict[str, int] = {}
    keys = plan.keys or ledger.seeded_keys(conn, plan.scope)
    for table in plan.tables:
        t = metadata.tables[table]
        mine = keys.keys(table, t.c.id)  # a key range where the ledger proves one
        for col in _self_refs(table):  # break links inside the set before deleting it
            conn.execute(t.update().where(mine, t.c[col].is_not(None)).values({col: None}))
        if truncate and _only_seeded(conn, plan, table):
            # TRUNCATE would commit implicitly on MySQL; an unconditional DELETE stays in the
            # transaction and needs no lookup of the ledger per row.
            n = conn.execute(t.delete()).rowcount
        else:
            n = conn.execute(t.delete().where(mine)).rowcount
        if n != plan.present.get(table, 0):
            raise SeedStepFailed(
                f"rollback of {plan.scope.describe()}: deleted {n} rows of {table}, expected "
                f"{plan.present.get(table, 0)}; nothing was changed (transaction rolled back)"
            )
        deleted[table] = n
    # One DELETE by scope (the scope's ledger rows: one per range of keys).
    ledger.forget(conn, plan.scope)
    return deleted


def refusal(plan: RollbackPlan, *, allow_modified: bool) -> RollbackRefused | None:
    """Why ``plan`` must not be carried out, or None: every check a rollback makes before it
    deletes, judged on what :func:`plan_rollback` found. The real run, its preview and the
    check of a whole downgrade before its first revision all ask this one function."""
    if plan.blockers:
        shown = "; ".join(b.describe() for b in plan.blockers[:SAMPLE])
        more = f" (+{len(plan.blockers) - SAMPLE} more)" if len(plan.blockers) > SAMPLE else ""
        return RollbackRefused(
            f"rollback of {plan.scope.describe()} refused: {len(plan.blockers)} row(s) the seed "
            f"did not insert reference seeded rows: {shown}{more}; delete or re-point those rows "
            "first (docs/rollback.md)",
            plan.blockers,
        )
    if plan.modified and not allow_modified:
        shown = "; ".join(
            f"{t} id={','.join(map(str, ids[:5]))}" for t, ids in plan.modified.items()
        )
        added = (
            f"; data in column(s) the application added: {', '.join(plan.app_columns)}"
            if plan.app_columns
            else ""
        )
        return RollbackRefused(
            f"rollback of {plan.scope.describe()} refused: seeded rows were changed since "
            f"seeding ({shown}{added}); review them, then re-run with -x include_modified=1 "
            "(outside dev they are backed up first)",
            [(t, i) for t, ids in plan.modified.items() for i in ids],
        )
    return None


def remove(
    run: SeedRun,
    scope: Scope,
    action: str,
    *,
    truncate: bool = False,
    planned: RollbackPlan | None = None,
) -> dict[str, int]:
    """Roll back ``scope`` on the run's connection: refuse, confirm, back up, delete.
    ``planned``: what :func:`plan_rollback` found for ``scope`` in this same transaction.

    A dry run does the same (in the caller's transaction, which is rolled back), confirmation
    included, so it refuses as the real run would; it only writes no backup.
    """
    assert run.connection is not None
    conn = run.connection
    rp = planned if planned is not None and planned.scope == scope else plan_rollback(conn, scope)
    if not rp.counts:
        return {}
    allow_modified = policy.may_delete_modified(run.options.env, run.options.include_modified)
    refused = refusal(rp, allow_modified=allow_modified)
    if refused is not None:
        raise refused
    run.confirm_destructive(action)  # a preview too: it refuses where the real run would
    for table, ids in rp.modified.items():
        log.warning(
            "%d seeded row(s) of %s changed since seeding: %s",
            len(ids),
            table,
            ids[:10],
            extra={"table": table},
        )

    def backup(plan: object) -> None:
        if policy.backs_up_before_delete(run.options.env) and not run.options.dry_run:
            path = write_backup(conn, run, scope)
            flags = policy.follow_up_flags(run.options.env, run.db_name)
            log.warning(
                "backed up the rows to delete to %s (put them back with: terp-seed restore %s %s)",
                path,
                path,
                flags,
                extra={"backup": path},
            )

    removed = execute_rollback(
        conn, rp, allow_modified=allow_modified, before_delete=backup, truncate=truncate
    )
    derive_after(conn, removed, run.options.as_of)
    return removed


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
    on it (children included, through TERP's references and those no column declares)."""
    if run_id:
        return Scope(run_id=run_id)
    if revision:
        return Scope(revision=revision)
    tables = {table}
    links = [(r.child_table, r.parent_table) for r in relations()] + list(UNDECLARED)
    changed = True
    while changed:
        changed = False
        for child, parent in links:
            if parent in tables and child not in tables:
                tables.add(child)
                changed = True
    return Scope(tables=tuple(t for t in TERP_TABLES if t in tables))


def _only_seeded(conn: sa.Connection, plan: RollbackPlan, table: str) -> bool:
    """True when ``table`` holds nothing but the rows of this rollback's scope."""
    t = metadata.tables[table]
    total = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
    return int(total) == plan.present.get(table, 0)


def _present(conn: sa.Connection, keys: SeededKeys, table: str) -> int:
    t = metadata.tables[table]
    q = sa.select(sa.func.count()).select_from(t).where(keys.keys(table, t.c.id))
    return int(conn.execute(q).scalar_one())


def _self_refs(table: str) -> list[str]:
    return [r.child_column for r in relations() if r.child_table == table == r.parent_table]

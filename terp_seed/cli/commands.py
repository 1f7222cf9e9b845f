"""The ``terp-seed`` commands, one small function each (argument handling is in ``cli``)."""

from __future__ import annotations

import argparse

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from terp_seed.cli import _config, _options, _url, print_json
from terp_seed.console import output
from terp_seed.db.connection import connect, make_engine, redact
from terp_seed.errors import ConfigError, PolicyError
from terp_seed.runtime.lock import current_holder, lock_name, seed_lock
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.session import run_locked
from terp_seed.schema import TERP_TABLES, metadata
from terp_seed.store import audit, ledger
from terp_seed.store.audit import StepResult
from terp_seed.store.ledger import Scope
from terp_seed.store.setup import ensure_own_tables, ledger_rows_per_key
from terp_seed.store.tables import LEDGER_TABLE, SEED_VERSION_TABLE
from terp_seed.validation import ChunkFindings, check_seeded


def status(args: argparse.Namespace) -> int:
    """Print the seed revision, pending revisions, rows per table and the last runs."""
    url = _url(args)
    cfg = _config(args)
    engine = make_engine(url)
    with connect(engine) as conn:
        names = set(sa.inspect(conn).get_table_names())
        current = MigrationContext.configure(
            conn, opts={"version_table": SEED_VERSION_TABLE}
        ).get_current_heads()
        heads: tuple[str, ...] = ()
        pending: list[str] = []
        if cfg is not None:
            script = ScriptDirectory.from_config(cfg)
            heads = tuple(script.get_heads())
            pending = [
                r.revision
                for r in script.iterate_revisions("heads", current or "base")
                if r.revision not in current
            ]
            pending.reverse()
        tables = {}
        seeded = ledger_counts(conn) if LEDGER_TABLE in names else {}
        for table in TERP_TABLES:
            if table in names:
                t = metadata.tables[table]
                total = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                tables[table] = {"rows": int(total), "seeded": seeded.get(table, 0)}
        runs = audit.recent(conn, 5) if "terp_seed_audit" in names else []
    data = {
        "database": redact(url),
        "current": list(current),
        "heads": list(heads),
        "pending": pending,
        "tables": tables,
        "recent_runs": runs,
    }
    if getattr(args, "json", False):
        print_json(data)
        return 0
    output.say(f"database: {data['database']}")
    output.say(f"seed revision: {', '.join(current) or '(none)'}; head: {', '.join(heads) or '?'}")
    output.say(f"pending: {', '.join(pending) or 'none'}")
    output.say(f"{'table':<20} {'rows':>10} {'seeded':>10}")
    for table, c in tables.items():
        output.say(f"{table:<20} {c['rows']:>10,} {c['seeded']:>10,}")
    for r in runs:
        output.say(
            f"run {r['run_id']} {r['direction']} {r['revision'] or 'ad-hoc'} "
            f"{r['outcome']} ({r['environment']}, {r['ended_at']})"
        )
    return 0


def ledger_counts(conn: sa.Connection) -> dict[str, int]:
    # not converted yet (status writes nothing): one row a key
    return ledger.seeded_per_table(conn, rows_per_key=ledger_rows_per_key(conn))


def lock(args: argparse.Namespace) -> int:
    """Say who holds the seed lock (exit 0 either way)."""
    engine = make_engine(_url(args))
    holder = current_holder(engine)
    name = lock_name(engine)
    output.say(f"seed lock {name!r} is " + (f"held by {holder.describe()}" if holder else "free"))
    return 0


def init(args: argparse.Namespace) -> int:
    """Create the ledger and audit tables (nothing else)."""
    engine = make_engine(_url(args))
    with seed_lock(engine, _options(args).lock_timeout), connect(engine) as conn:
        ensure_own_tables(conn)
    output.say("terp-seed bookkeeping tables are ready")
    return 0


def seed(args: argparse.Namespace) -> int:
    """Seed the chosen tables, plus the parents they need when those are empty."""
    from terp_seed.factories.registry import FACTORIES
    from terp_seed.plan import Step
    from terp_seed.seeding.apply import load_steps

    options = _options(args)
    unknown = [t for t in args.table if t not in FACTORIES]
    if unknown:
        raise ConfigError(
            f"no factory for table {unknown[0]!r}: use one of {', '.join(sorted(FACTORIES))}"
        )
    if options.env == "production" and any(FACTORIES[t].customer_data for t in args.table):
        raise PolicyError(
            "ad-hoc seeding of customer-like tables is refused in production: only reference "
            "data may be seeded there (alembic -n seed upgrade head)"
        )

    def body(run: SeedRun) -> StepResult:
        assert run.connection is not None
        # On a connection of its own: the seed's transaction must not have read a table
        # before its keys are reserved (runtime/keys.py).
        with run.connection.engine.connect() as probe:
            tables = _with_parents(probe, args.table)
        steps = [Step(t, _count(args, t, options)) for t in tables]
        result = run.begin_step(None, "seed")
        chunks = ChunkFindings()
        result.rows = load_steps(run, None, steps, chunks)
        check_seeded(run.connection, Scope(run_id=run.run_id), chunks)
        result.outcome = "dry-run" if options.dry_run else "applied"
        return result

    run, result = run_locked(options, _url(args), _config(args), body, tables=_closure(args.table))
    verb = "would insert" if options.dry_run else "inserted"
    output.say(
        f"run {run.run_id}: {verb} " + ", ".join(f"{t} {n:,}" for t, n in result.rows.items())
    )
    if not options.dry_run:
        output.say(f"roll it back with: terp-seed rollback --run {run.run_id}")
    return 0


def _count(args: argparse.Namespace, table: str, options: object) -> int | None:
    if args.size and args.size.isdigit() and table in args.table:
        return int(args.size)
    return None


def _closure(tables: list[str]) -> list[str]:
    from terp_seed.factories.registry import FACTORIES

    out: list[str] = []
    todo = list(tables)
    while todo:
        t = todo.pop()
        if t not in out:
            out.append(t)
            todo.extend(FACTORIES[t].needs)
    return out


def _with_parents(conn: sa.Connection, tables: list[str]) -> list[str]:
    """The chosen tables plus each needed parent table that is empty, parents first."""
    chosen = set(tables)
    for t in _closure(tables):
        if t not in chosen:
            table = metadata.tables[t]
            if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0:
                chosen.add(t)
    return [t for t in TERP_TABLES if t in chosen]


def rollback(args: argparse.Namespace) -> int:
    """Remove seeded rows of a run, a revision or a table (with their seeded dependants)."""
    from terp_seed.seeding.apply import remove

    options = _options(args)
    if args.table and args.table not in metadata.tables:
        raise ConfigError(f"unknown table {args.table!r}: use one of {', '.join(TERP_TABLES)}")

    def body(run: SeedRun) -> dict[str, int]:
        assert run.connection is not None
        scope = _scope(run.connection, args)
        if not ledger.counts(run.connection, scope):
            raise ConfigError(f"nothing seeded matches {scope.describe()}: see `terp-seed status`")
        result = run.begin_step(scope.revision, "rollback")
        removed = remove(run, scope, f"rollback of {scope.describe()}")
        result.rows = {t: -n for t, n in removed.items()}
        result.outcome = "dry-run" if options.dry_run else "rolled back"
        return removed

    run, removed = run_locked(options, _url(args), None, body)
    verb = "would delete" if options.dry_run else "deleted"
    output.say(
        f"run {run.run_id}: {verb} "
        + (", ".join(f"{t} {n:,}" for t, n in removed.items()) or "nothing")
    )
    return 0


def _scope(conn: sa.Connection, args: argparse.Namespace) -> Scope:
    if args.run:
        return Scope(run_id=args.run)
    if args.revision:
        return Scope(revision=args.revision)
    # a table and every seeded table that depends on it, children included
    from terp_seed.schema import relations

    tables = {args.table}
    changed = True
    while changed:
        changed = False
        for rel in relations():
            if rel.parent_table in tables and rel.child_table not in tables:
                tables.add(rel.child_table)
                changed = True
    return Scope(tables=tuple(t for t in TERP_TABLES if t in tables))


def restore(args: argparse.Namespace) -> int:
    """Load a backup file's rows back with their keys, and record their provenance."""
    from terp_seed.seeding.backup import check_backup, restore_backup

    options = _options(args)
    header = check_backup(args.file)  # a damaged file is refused before the lock is taken

    def body(run: SeedRun) -> StepResult:
        assert run.connection is not None
        run.confirm_destructive(f"restore of {args.file}")
        result = run.begin_step(None, "restore")
        result.rows = restore_backup(run.connection, args.file)
        result.detail = f"backup {args.file} (run {header.get('run_id')})"
        result.outcome = "dry-run" if options.dry_run else "restored"
        return result

    _run, result = run_locked(options, _url(args), None, body)
    output.say(
        f"restored {', '.join(f'{t} {n:,}' for t, n in result.rows.items())} from {args.file}"
    )
    return 0

"""The seed lineage's env: what ``seed_migrations/env.py`` calls.

Online: settings -> connect -> advisory lock (own connection, whole run) -> schema gate ->
Alembic runs the pending revisions, one transaction per revision, each audited -> summary.
Offline (``--sql``): the same revisions render their SQL, no database needed.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy.schema import CreateTable

from terp_seed import audit, logs, output
from terp_seed.bookkeeping import SEED_VERSION_TABLE, bookkeeping_metadata, ensure_bookkeeping
from terp_seed.database import connect, make_engine, redact, resolve_url
from terp_seed.errors import SeedStepFailed, TerpSeedError
from terp_seed.runtime.gate import check_drift, check_schema_head
from terp_seed.runtime.lock import seed_lock
from terp_seed.runtime.options import parse_options
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.summary import print_summary

log = logging.getLogger(__name__)


def run_seed_migrations(context: EnvironmentContext) -> None:
    """Run the seed lineage for ``alembic -n seed ...`` (online or ``--sql``)."""
    config = context.config
    options = parse_options(context.get_x_argument(as_dictionary=True))
    url = resolve_url(config.get_main_option("sqlalchemy.url"))
    version_table = config.get_main_option("version_table") or SEED_VERSION_TABLE
    run = SeedRun(
        options=options,
        url=url,
        offline=context.is_offline_mode(),
        interactive=output.is_terminal(),
    )
    with logs.bind(run_id=run.run_id, environment=options.env):
        if run.offline:
            context.configure(
                url=url,
                literal_binds=True,
                version_table=version_table,
                transaction_per_migration=True,
            )
            run.context = context.get_context()
            for table in bookkeeping_metadata.sorted_tables:  # the script must run on its own
                run.context.execute(CreateTable(table, if_not_exists=True))
            with context.begin_transaction():
                context.run_migrations(run=run)
            return
        _run_online(context, run, version_table)


def _run_online(context: EnvironmentContext, run: SeedRun, version_table: str) -> None:
    engine = make_engine(run.url)
    log.info("seed run starting on %s", redact(run.url), extra={"dry_run": run.options.dry_run})
    with seed_lock(engine, run.options.lock_timeout), connect(engine) as conn:
        if not run.options.dry_run:
            ensure_bookkeeping(conn)
        else:
            _require_bookkeeping(conn)
        check_schema_head(conn, context.config)
        check_drift(conn, _lineage_tables(context), run.options)
        run.connection = conn
        context.configure(
            connection=conn,
            version_table=version_table,
            transaction_per_migration=not run.options.dry_run,
            on_version_apply=audit.version_hook(run),
        )
        run.context = context.get_context()
        try:
            if run.options.dry_run:
                _dry_run(context, conn, run)
            else:
                with context.begin_transaction():
                    context.run_migrations(run=run)
        except Exception as exc:
            _record_failure(engine, run, exc)
            if isinstance(exc, TerpSeedError):
                raise
            if isinstance(exc, sa.exc.DBAPIError):
                raise SeedStepFailed(_db_failure(run, exc)) from exc
            raise
    print_summary(run)


def _dry_run(context: EnvironmentContext, conn: sa.Connection, run: SeedRun) -> None:
    outer = conn.begin()
    try:
        with context.begin_transaction():
            context.run_migrations(run=run)
    finally:
        outer.rollback()


def _require_bookkeeping(conn: sa.Connection) -> None:
    """A dry run must not create tables (DDL commits on MySQL): it needs them to exist."""
    from terp_seed.bookkeeping import AUDIT_TABLE, LEDGER_TABLE

    names = set(sa.inspect(conn).get_table_names())
    conn.commit()
    missing = [t for t in (LEDGER_TABLE, AUDIT_TABLE) if t not in names]
    if missing:
        raise TerpSeedError(
            f"dry run needs terp-seed's own tables ({', '.join(missing)} missing): run "
            "`terp-seed init` (creates only those tables) or a real seed run first"
        )


def _lineage_tables(context: EnvironmentContext) -> set[str]:
    """Every table any revision of the seed lineage writes."""
    tables: set[str] = set()
    script = ScriptDirectory.from_config(context.config)
    for rev in script.walk_revisions():
        plan = getattr(rev.module, "plan", None)
        tables.update(getattr(plan, "tables", ()))
    return tables


def _record_failure(engine: sa.Engine, run: SeedRun, exc: BaseException) -> None:
    result = run.current
    if result is None or result.outcome != "running":
        result = run.begin_step(None, "run")
    result.outcome = "failed"
    result.rows = {}
    result.detail = (
        f"{type(exc).__name__}: {logs.scrub(str(exc).splitlines()[0] if str(exc) else '')}"
    )
    log.error("seed step failed: %s", result.detail, extra={"revision": result.revision})
    if not run.options.dry_run:
        audit.write_detached(engine, run, result)


def _db_failure(run: SeedRun, exc: sa.exc.DBAPIError) -> str:
    step = run.current
    where = f"revision {step.revision}" if step and step.revision else "the seed run"
    reason = logs.scrub(str(exc.orig).splitlines()[0]) if exc.orig else type(exc).__name__
    return (
        f"{where} failed in the database: {reason}; its transaction was rolled back and "
        "nothing of it was written. Fix the cause and re-run"
    )

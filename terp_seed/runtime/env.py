"""The seed lineage's env: what ``seed_migrations/env.py`` calls.

Online: settings -> advisory lock (own connection, whole run) -> schema gate -> terp-seed's
own tables -> Alembic runs the pending revisions, one transaction per revision, each audited
-> summary. Nothing is written before the lock is held and the gate has passed.
Dry run: the same, in one transaction that is rolled back. Read-only commands (``current``):
no lock, no gate. Offline (``--sql``): the revisions render their SQL, no database needed.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy.schema import CreateTable

from terp_seed import audit, logs, output
from terp_seed.bookkeeping import (
    SEED_VERSION_TABLE,
    bookkeeping_metadata,
    ensure_bookkeeping,
    require_bookkeeping,
)
from terp_seed.database import connect, make_engine, redact, resolve_url
from terp_seed.errors import SeedStepFailed, TerpSeedError
from terp_seed.runtime.gate import check_drift, check_schema_head
from terp_seed.runtime.lock import seed_lock
from terp_seed.runtime.options import parse_options
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.summary import print_summary
from terp_seed.validation import live_chunk_check

log = logging.getLogger(__name__)


# Alembic commands that only read the lineage's state (``current``, ``history -i``, ``show
# current``): they run without the lock, the gate or terp-seed's own tables.
_READ_ONLY_COMMANDS = frozenset(
    {"display_version", "_display_current_history", "show_current", "edit_current"}
)


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

    def revision() -> str | None:
        return run.current.revision if run.current else None

    with logs.bind(run_id=run.run_id, environment=options.env, revision=revision):
        if run.offline:
            _run_offline(context, run, version_table)
        elif _read_only(context):
            _run_read_only(context, run, version_table)
        else:
            _run_online(context, run, version_table)


def _run_offline(context: EnvironmentContext, run: SeedRun, version_table: str) -> None:
    context.configure(
        url=run.url,
        literal_binds=True,
        version_table=version_table,
        transaction_per_migration=True,
    )
    run.context = context.get_context()
    for table in bookkeeping_metadata.sorted_tables:  # the script must run on its own
        run.context.execute(CreateTable(table, if_not_exists=True))
    with context.begin_transaction():
        context.run_migrations(run=run)


def _read_only(context: EnvironmentContext) -> bool:
    # ``from alembic import context`` is a module proxy; the options live on the instance.
    env = getattr(context, "_proxy", None) or context
    opts: dict[str, Any] = getattr(env, "context_opts", {})
    command = getattr(opts.get("fn"), "__name__", "")
    return bool(opts.get("dont_mutate")) or command in _READ_ONLY_COMMANDS


def _run_read_only(context: EnvironmentContext, run: SeedRun, version_table: str) -> None:
    with connect(make_engine(run.url)) as conn:
        context.configure(connection=conn, version_table=version_table)
        run.context = context.get_context()
        with context.begin_transaction():
            context.run_migrations(run=run)
        conn.commit()


def _run_online(context: EnvironmentContext, run: SeedRun, version_table: str) -> None:
    engine = make_engine(run.url)
    log.info("seed run starting on %s", redact(run.url), extra={"dry_run": run.options.dry_run})
    with seed_lock(engine, run.options.lock_timeout), connect(engine) as conn:
        # The gate comes first: a refused run writes nothing, not even terp-seed's own tables.
        check_schema_head(conn, context.config)
        check_drift(conn, _seeded_tables(context, run), run.options)
        if run.options.dry_run:
            require_bookkeeping(conn)
        else:
            ensure_bookkeeping(conn)
        run.connection = conn
        run.chunk_check = live_chunk_check(conn)
        try:
            if run.options.dry_run:
                _dry_run(context, conn, run, version_table)
            else:
                _configure(context, conn, run, version_table)
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


def _configure(
    context: EnvironmentContext, conn: sa.Connection, run: SeedRun, version_table: str
) -> None:
    context.configure(
        connection=conn,
        version_table=version_table,
        transaction_per_migration=True,
        on_version_apply=audit.version_hook(run),
    )
    run.context = context.get_context()


def _dry_run(
    context: EnvironmentContext, conn: sa.Connection, run: SeedRun, version_table: str
) -> None:
    """Run the revisions inside one transaction that is always rolled back.

    The transaction is opened before Alembic is configured, so Alembic treats it as external
    and never commits it per revision. A missing version table is created as a TEMPORARY
    table: CREATE TABLE would commit on MySQL (and autocommit on SQLite) and outlive the run.
    """
    outer = conn.begin()
    try:
        if not sa.inspect(conn).has_table(version_table):
            _temporary_version_table(version_table).create(conn)
        _configure(context, conn, run, version_table)
        with context.begin_transaction():
            context.run_migrations(run=run)
    finally:
        outer.rollback()


def _temporary_version_table(name: str) -> sa.Table:
    """The shape of Alembic's version table, as a table that vanishes with the connection."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{name}_pkc"),
        prefixes=["TEMPORARY"],
    )


def _seeded_tables(context: EnvironmentContext, run: SeedRun) -> set[str]:
    """Every table a revision of the lineage writes in this run's environment.

    A revision the environment policy skips writes nothing, so drift in its tables cannot
    break this run (a production deploy seeds reference data past drift in customer tables).
    """
    tables: set[str] = set()
    script = ScriptDirectory.from_config(context.config)
    for rev in script.walk_revisions():
        plan = getattr(rev.module, "plan", None)
        if run.options.env in getattr(plan, "environments", (run.options.env,)):
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

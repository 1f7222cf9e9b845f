"""The seed lineage's env: what ``seed_migrations/env.py`` calls.

Online: settings -> advisory lock (own connection, whole run) -> schema gate -> terp-seed's
own tables -> Alembic runs the pending revisions, one transaction per revision, each audited
-> summary. Nothing is written before the lock is held and the gate has passed.
Dry run: the same, in one transaction that is rolled back. Read-only commands (``current``):
no lock, no gate. Offline (``--sql``): the revisions render their SQL, no database needed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import sqlalchemy as sa
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.schema import CreateTable

from terp_seed.console import jsonlogs
from terp_seed.db.engine import connect, make_engine
from terp_seed.db.errors import describe_db_error, is_connection_lost
from terp_seed.db.url import ini_url, redact, resolve_url
from terp_seed.errors import SeedStepFailed, TerpSeedError
from terp_seed.runtime import audit_hook
from terp_seed.runtime.failure import record_failure
from terp_seed.runtime.options import parse_options
from terp_seed.runtime.retry import with_retries
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.session import OpenRun, new_run, open_run
from terp_seed.runtime.summary import print_summary
from terp_seed.store.tables import SEED_VERSION_TABLE, bookkeeping_metadata

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
    url = resolve_url(ini_url(config))
    version_table = config.get_main_option("version_table") or SEED_VERSION_TABLE
    run = new_run(options, url, offline=context.is_offline_mode())

    def revision() -> str | None:
        return run.current.revision if run.current else None

    with jsonlogs.bind(run_id=run.run_id, environment=options.env, revision=revision):
        if run.offline:
            _run_offline(context, run, version_table)
        elif _read_only(context):
            _run_read_only(context, run, version_table)
        else:
            _run_online(context, run, version_table)


def _run_offline(context: EnvironmentContext, run: SeedRun, version_table: str) -> None:
    fn = _env_opts(context).get("fn")
    extra: dict[str, Any] = {"fn": _Steps(fn, run)} if fn is not None else {}
    context.configure(
        url=run.url,
        literal_binds=True,
        version_table=version_table,
        transaction_per_migration=True,
        **extra,
    )
    run.context = context.get_context()
    for table in bookkeeping_metadata.sorted_tables:  # the script must run on its own
        run.context.execute(CreateTable(table, if_not_exists=True))
    with context.begin_transaction():
        context.run_migrations(run=run)


def _env_opts(context: EnvironmentContext) -> dict[str, Any]:
    # ``from alembic import context`` is a module proxy; the options live on the instance.
    env = getattr(context, "_proxy", None) or context
    opts: dict[str, Any] = getattr(env, "context_opts", {})
    return opts


def _read_only(context: EnvironmentContext) -> bool:
    opts = _env_opts(context)
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
    log.info("seed run starting on %s", redact(run.url), extra={"dry_run": run.options.dry_run})
    tables = _seeded_tables(context, run)
    with open_run(run, context.config, tables) as opened:
        steps = _Steps(_env_opts(context).get("fn"), run)
        _migrate(context, opened, run, version_table, steps)
    print_summary(run)


def _migrate(
    context: EnvironmentContext, opened: OpenRun, run: SeedRun, version_table: str, steps: _Steps
) -> None:
    """Run the pending revisions; a revision rolled back by a deadlock runs again (the ones
    before it stay committed)."""

    engine, conn = opened.engine, opened.conn

    def attempt() -> None:
        if run.options.dry_run:
            _dry_run(context, opened, run, version_table, steps)
            return
        if conn.in_transaction():
            # Alembic would take an open transaction (begun by a read after a failed
            # attempt) for the caller's and never commit a revision: the run would exit 0
            # having written nothing.
            conn.rollback()
        _configure(context, opened, run, version_table, steps)
        with context.begin_transaction():
            context.run_migrations(run=run)

    def failed(raised: Exception, exc: Exception, attempts: int) -> NoReturn:
        _record_failure(engine, run, exc)
        if isinstance(exc, sa.exc.DBAPIError):
            raise SeedStepFailed(_db_failure(run, exc, engine, attempts)) from raised
        raise raised

    with_retries(engine, run, attempt, failed)


class _Steps:
    """Alembic's migration steps for this command, worked out once, under the lock.

    Alembic resolves the target (``head``, ``-1``, ``base``) against the lineage's state when
    it asks for the steps. A retry after a deadlock must not resolve it again (``-1`` would
    then mean one further down): it runs the planned steps from the one whose source is the
    lineage's state now, i.e. the step that was rolled back. The steps about to run are put
    on the run (``run.pending``) before the first of them runs, so that it can check every
    one of them before anything is written.
    """

    def __init__(self, fn: Callable[..., Any] | None, run: SeedRun) -> None:
        self.fn = fn
        self.run = run
        self.planned: list[Any] | None = None

    def __call__(self, heads: Sequence[str], ctx: Any) -> list[Any]:
        steps = self._steps(heads, ctx)
        self.run.pending = _plans(steps)
        return steps

    def _steps(self, heads: Sequence[str], ctx: Any) -> list[Any]:
        assert self.fn is not None
        if self.planned is None:
            try:
                self.planned = list(self.fn(heads, ctx))
            except CommandError as exc:
                if "Relative revision" not in str(exc):
                    raise
                at = ", ".join(heads) or "base"
                raise TerpSeedError(
                    f"{exc}: the seed lineage is at {at}, there is no such revision to go "
                    "to; nothing was changed"
                ) from None
            return self.planned
        now = set(heads)
        for i, step in enumerate(self.planned):
            if set(step.info.source_revision_ids) == now:
                return self.planned[i:]
        if not self.planned or set(self.planned[-1].info.destination_revision_ids) == now:
            return []  # every planned step is committed
        raise SeedStepFailed(
            f"cannot resume the run after a retry: the seed lineage is at {sorted(now)}, which "
            "none of its planned steps starts from; run `alembic -n seed current` and re-run"
        )


def _plans(steps: Sequence[Any]) -> list[tuple[str, Any]]:
    """``(direction, plan)`` of each revision step (a stamp has none), in the order they run."""
    found = []
    for step in steps:
        module = getattr(getattr(step, "revision", None), "module", None)
        plan = getattr(module, "plan", None)
        if plan is not None:
            found.append(("upgrade" if step.is_upgrade else "downgrade", plan))
    return found


def _configure(
    context: EnvironmentContext, opened: OpenRun, run: SeedRun, version_table: str, steps: _Steps
) -> None:
    extra: dict[str, Any] = {"fn": steps} if steps.fn is not None else {}
    audit_step = audit_hook.version_hook(run)

    def on_version_apply(*, ctx: MigrationContext, **kw: Any) -> None:
        # In the step's transaction, before it commits: a step that no longer holds the lock
        # is rolled back, then the step is audited.
        if ctx.connection is not None and not ctx.as_sql:
            opened.held.check(ctx.connection)
        audit_step(ctx=ctx, **kw)

    hook: Any = on_version_apply  # Alembic calls it with keywords; its hint says positional
    context.configure(
        connection=opened.conn,
        version_table=version_table,
        transaction_per_migration=True,
        on_version_apply=hook,
        **extra,
    )
    run.context = context.get_context()


def _dry_run(
    context: EnvironmentContext, opened: OpenRun, run: SeedRun, version_table: str, steps: _Steps
) -> None:
    """Run the revisions inside one transaction that is always rolled back.

    The transaction is opened before Alembic is configured, so Alembic treats it as external
    and never commits it per revision. A missing version table is created as a TEMPORARY
    table: CREATE TABLE would commit on MySQL (and autocommit on SQLite) and outlive the run.
    """
    conn = opened.conn
    outer = conn.begin()
    try:
        if not sa.inspect(conn).has_table(version_table):
            _temporary_version_table(version_table).create(conn)
        _configure(context, opened, run, version_table, steps)
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
    result = record_failure(engine, run, exc, steps_commit_alone=True)
    log.error("seed step failed: %s", result.detail, extra={"revision": result.revision})


def _db_failure(run: SeedRun, exc: sa.exc.DBAPIError, engine: sa.Engine, attempts: int) -> str:
    step = run.current
    where = f"revision {step.revision}" if step and step.revision else "the seed run"
    reason = jsonlogs.scrub(describe_db_error(exc, engine))
    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
    if is_connection_lost(exc):
        return (
            f"{where} failed in the database: {reason}{tries}; the server rolls back the "
            "transaction of a lost connection, so nothing of it was written unless the "
            "connection was lost while committing. Check `alembic -n seed current` and re-run"
        )
    return (
        f"{where} failed in the database: {reason}{tries}; its transaction was rolled back "
        "and nothing of it was written. Fix the cause and re-run"
    )

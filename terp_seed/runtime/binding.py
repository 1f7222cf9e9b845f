"""Binding the environment to the database: what :func:`~terp_seed.runtime.session.open_run`
and ``terp-seed init`` do with ``terp_seed_environment``.

The first real run on a database records the environment it names (the default, dev, only on
a database that holds no data yet); a database seeded before the binding existed is bound once
to the strictest environment its audit trail names. From then on a run that names another
environment, or none while the database is bound to another than dev, is refused before it
writes anything. ``terp-seed init --env E --rebind --confirm DB`` changes the binding
deliberately (confirmed, audited).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import URL

from terp_seed.console import output
from terp_seed.db.engine import connect, make_engine
from terp_seed.errors import ConfirmationRequired
from terp_seed.runtime import policy
from terp_seed.runtime.lock import seed_lock
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.run import SeedRun
from terp_seed.schema import TERP_TABLES
from terp_seed.store import audit, environment
from terp_seed.store.environment import Binding
from terp_seed.store.setup import ensure_own_tables


def bind_environment(run: SeedRun, conn: sa.Connection) -> Binding:
    """Check ``run``'s environment against the database's binding, recording it at first use
    (not in a dry run, which writes nothing). Returns the binding.

    A database first seen holding data, by a run that names no environment, is recorded as
    bound to none yet: the run goes on as dev, but masking is refused
    (:func:`~terp_seed.masking.run.mask_copy`) until a run names the environment.

    :raises PolicyError: the run names another environment than the recorded one, or none
        while the database is bound to another than the default.
    """
    options = run.options
    found = environment.recorded(conn)
    if found is None:
        seen = environment.audited(conn)
        if seen:  # seeded before the binding existed: its audit trail says where
            env = policy.strictest(seen)
            found = _binding(run, env, f"from the audit trail ({', '.join(sorted(seen))})")
        elif not options.env_given and _holds_rows(conn):
            found = _binding(run, None, "first seen holding data; no environment named yet")
        else:
            how = "first use, " + ("named" if options.env_given else "the default")
            found = _binding(run, options.env, how)
        _record(run, conn, found)
    bound = found.environment
    if bound is None:
        if not options.env_given:
            run.unnamed_environment = True
            return found
        bound = options.env
        found = _binding(run, bound, "named, on a database first seen holding data")
        _record(run, conn, found)
    policy.check_binding(bound, options.env, options.env_given, run.db_name)
    return found


def _record(run: SeedRun, conn: sa.Connection, binding: Binding) -> None:
    if not run.options.dry_run:
        environment.record(conn, binding)
    conn.commit()


def init_database(
    options: RunOptions, url: URL, *, rebind_to: bool
) -> tuple[Binding | None, Binding | None]:
    """``terp-seed init``: create terp-seed's own tables and bind the database to the options'
    environment (first use), or with ``rebind_to`` change the binding (:func:`rebind`). A
    database that holds data is not bound to the default environment: it stays unbound until a
    run names one. Returns the binding before and after."""
    run = SeedRun(options=options, url=url, interactive=output.is_terminal())
    engine = make_engine(url)
    with seed_lock(engine, options.lock_timeout), connect(engine) as conn:
        ensure_own_tables(conn)
        run.connection = conn
        before = environment.recorded(conn)
        conn.commit()
        if rebind_to:
            rebind(run, conn)
        else:
            bind_environment(run, conn)
        after = environment.recorded(conn)
        conn.commit()
    return before, after


def rebind(run: SeedRun, conn: sa.Connection) -> Binding | None:
    """``terp-seed init --rebind``: bind the database to the run's environment, confirmed by
    the database name (``--confirm`` or typed at a prompt) and audited. Returns the binding it
    replaced (None when there was none)."""
    before = environment.recorded(conn)
    if before is not None and before.environment == run.options.env:
        return before
    was = before.environment if before else "none"
    action = f"rebinding database {run.db_name!r} from environment {was} to {run.options.env}"
    _confirm(run, action)
    step = run.begin_step(None, "rebind")
    step.outcome = "rebound"
    step.detail = f"environment {was} -> {run.options.env}"
    environment.record(conn, _binding(run, run.options.env, f"rebound from {was}"))
    audit.write(conn, run.identity(), step)
    conn.commit()
    return before


def _confirm(run: SeedRun, action: str) -> None:
    given = run.options.confirm
    if given is None and run.interactive:
        given = output.ask(f"{action}. Type the database name to go on: ")
    elif given is None:
        raise ConfirmationRequired(
            f"{action} needs confirmation: pass --confirm {run.db_name}; nothing was changed"
        )
    if given != run.db_name:
        raise ConfirmationRequired(
            f"{action}: --confirm {given!r} does not match the database name {run.db_name!r}; "
            "nothing was changed"
        )


def _binding(run: SeedRun, env: str | None, how: str) -> Binding:
    who = run.audit_identity()
    by = f"{who['os_user']}@{who['host']} ({who['db_user']})"
    return Binding(env, run.db_name, recorded_by=by, how=how)


def _holds_rows(conn: sa.Connection) -> bool:
    """True when any TERP table has a row."""
    names = set(sa.inspect(conn).get_table_names())
    for table in TERP_TABLES:
        if table in names:
            quoted = conn.dialect.identifier_preparer.quote(table)
            if conn.execute(sa.text(f"SELECT 1 FROM {quoted} LIMIT 1")).first() is not None:
                return True
    return False

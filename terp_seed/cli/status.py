"""``terp-seed status``, ``lock`` and ``init``: what is seeded, who holds the lock, and creating
terp-seed's own tables."""

from __future__ import annotations

import argparse

from terp_seed.cli.common import Subparsers, alembic_config, database_url, print_json, run_options
from terp_seed.console import output
from terp_seed.db.engine import make_engine
from terp_seed.runtime.binding import init_database
from terp_seed.runtime.lock import current_holder, lock_name
from terp_seed.seeding.status import seed_status


def register(sub: Subparsers) -> None:
    """Add ``status``, ``lock`` and ``init`` to the ``terp-seed`` subcommands."""
    p = sub.add_parser("status", help="seed revision, pending revisions, rows, last runs")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=status)

    p = sub.add_parser("lock", help="show who holds the seed lock")
    p.set_defaults(func=lock)

    p = sub.add_parser(
        "init", help="create terp-seed's own tables and bind the database to its environment"
    )
    p.add_argument("--env", help="dev, test, staging or production (default $TERP_ENV or dev)")
    p.add_argument(
        "--rebind",
        action="store_true",
        help="change the environment the database is bound to (needs --confirm)",
    )
    p.add_argument("--confirm", metavar="DATABASE", help="the database name, confirming --rebind")
    p.add_argument(
        "--lock-timeout", metavar="SECONDS", help="seconds to wait for the seed lock (default 60)"
    )
    p.set_defaults(func=init)


def status(args: argparse.Namespace) -> int:
    """Print the seed revision, pending revisions, rows per table and the last runs."""
    data = seed_status(database_url(args), alembic_config(args))
    if getattr(args, "json", False):
        print_json(data.as_dict())
        return 0
    current, heads = data.current, data.heads
    output.say(f"database: {data.database}")
    output.say(f"seed revision: {', '.join(current) or '(none)'}; head: {', '.join(heads) or '?'}")
    output.say(f"pending: {', '.join(data.pending) or 'none'}")
    for revision, tables in data.removed.items():
        gone = ", ".join(f"{t} {n:,}" for t, n in tables.items())
        output.say(
            f"revision {revision} is applied, but terp-seed rollback removed rows it seeded "
            f"({gone}); `alembic -n seed current` still names it. To seed them again: "
            f"`terp-seed restore` the rollback's backup, or downgrade below {revision} and "
            "upgrade head"
        )
    output.say(f"{'table':<20} {'rows':>10} {'seeded':>10}")
    for table, c in data.tables.items():
        output.say(f"{table:<20} {c['rows']:>10,} {c['seeded']:>10,}")
    for r in data.recent_runs:
        output.say(
            f"run {r['run_id']} {r['direction']} {r['revision'] or 'ad-hoc'} "
            f"{r['outcome']} ({r['environment']}, {r['ended_at']})"
        )
    return 0


def lock(args: argparse.Namespace) -> int:
    """Say who holds the seed lock (exit 0 either way)."""
    engine = make_engine(database_url(args))
    holder = current_holder(engine)
    name = lock_name(engine)
    output.say(f"seed lock {name!r} is " + (f"held by {holder.describe()}" if holder else "free"))
    return 0


def init(args: argparse.Namespace) -> int:
    """Create terp-seed's own tables and bind the database to its environment (or rebind it)."""
    before, after = init_database(run_options(args), database_url(args), rebind_to=args.rebind)
    output.say("terp-seed bookkeeping tables are ready")
    if after is None or after.environment is None:
        output.say(
            "the database holds data and is bound to no environment yet: the first run that "
            "names one (--env, -x env=) binds it"
        )
    elif before is not None and before.environment not in (None, after.environment):
        output.say(
            f"database {after.database!r} rebound from environment {before.environment} to "
            f"{after.environment}"
        )
    else:
        output.say(f"database {after.database!r} is bound to environment {after.environment}")
    return 0

"""``terp-seed status``, ``lock`` and ``init``: what is seeded, who holds the lock, and creating
terp-seed's own tables."""

from __future__ import annotations

import argparse

from terp_seed.cli.common import Subparsers, alembic_config, database_url, print_json, run_options
from terp_seed.console import output
from terp_seed.db.engine import connect, make_engine
from terp_seed.runtime.lock import current_holder, lock_name, seed_lock
from terp_seed.seeding.status import seed_status
from terp_seed.store.setup import ensure_own_tables


def register(sub: Subparsers) -> None:
    """Add ``status``, ``lock`` and ``init`` to the ``terp-seed`` subcommands."""
    p = sub.add_parser("status", help="seed revision, pending revisions, rows, last runs")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=status)

    p = sub.add_parser("lock", help="show who holds the seed lock")
    p.set_defaults(func=lock)

    p = sub.add_parser("init", help="create terp-seed's own ledger and audit tables")
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
    """Create the ledger and audit tables (nothing else)."""
    engine = make_engine(database_url(args))
    with seed_lock(engine, run_options(args).lock_timeout), connect(engine) as conn:
        ensure_own_tables(conn)
    output.say("terp-seed bookkeeping tables are ready")
    return 0

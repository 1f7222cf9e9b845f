"""``terp-seed seed --table T``: seed chosen tables ad hoc, with the empty parents they need."""

from __future__ import annotations

import argparse

from terp_seed.cli.common import (
    Subparsers,
    add_common,
    alembic_config,
    database_url,
    run_options,
)
from terp_seed.console import output
from terp_seed.runtime.policy import follow_up_flags
from terp_seed.seeding.adhoc import check_adhoc, seed_tables


def register(sub: Subparsers) -> None:
    """Add ``seed`` to the ``terp-seed`` subcommands."""
    p = sub.add_parser("seed", help="seed chosen tables ad hoc (with their parents)")
    p.add_argument("--table", action="append", required=True, help="table to seed (repeatable)")
    p.add_argument("--size", help="small, medium, large, xl or a number of rows")
    p.add_argument("--seed", help="integer seed (default fixed)")
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="the day the seeded business is seen on (default today): dates are placed "
        "relative to it",
    )
    add_common(p, writes=True)
    p.set_defaults(func=seed)


def seed(args: argparse.Namespace) -> int:
    """Seed the chosen tables, plus the parents they need when those are empty."""
    options = run_options(args)
    check_adhoc(options, args.table)  # a bad table is refused before the config is read
    count = int(args.size) if args.size and args.size.isdigit() else None
    run, result = seed_tables(
        options, database_url(args), alembic_config(args), args.table, count=count
    )
    verb = "would insert" if options.dry_run else "inserted"
    output.say(
        f"run {run.run_id}: {verb} " + ", ".join(f"{t} {n:,}" for t, n in result.rows.items())
    )
    if not options.dry_run:
        flags = follow_up_flags(options.env, run.db_name)
        output.say(f"roll it back with: terp-seed rollback --run {run.run_id} {flags}")
    return 0

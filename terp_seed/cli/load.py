"""``terp-seed load --table T --csv FILE``: load a custom dataset, validated, with provenance."""

from __future__ import annotations

import argparse
from pathlib import Path

from terp_seed.cli.common import (
    Subparsers,
    add_common,
    alembic_config,
    database_url,
    run_options,
)
from terp_seed.console import output
from terp_seed.csvload.run import check_load, load_csv
from terp_seed.runtime.policy import follow_up_flags


def register(sub: Subparsers) -> None:
    """Add the ``load`` command to the ``terp-seed`` subcommands."""
    p = sub.add_parser("load", help="load a CSV file into one table (validated, with provenance)")
    p.add_argument("--table", required=True, help="the table to load into")
    p.add_argument("--csv", required=True, metavar="FILE", help="CSV file with a header row")
    add_common(p, writes=True)
    p.set_defaults(func=load)


def load(args: argparse.Namespace) -> int:
    """Validate the file against the live schema, then load it; print the run id."""
    options = run_options(args)
    path = Path(args.csv)
    check_load(args.table, options.env, path)  # refused before the config is read
    run, count = load_csv(options, database_url(args), alembic_config(args), args.table, path)
    verb = "would load" if options.dry_run else "loaded"
    output.say(f"run {run.run_id}: {verb} {args.table} {count:,} from {path}")
    if not options.dry_run:
        flags = follow_up_flags(options.env, run.db_name)
        output.say(f"roll it back with: terp-seed rollback --run {run.run_id} {flags}")
    return 0

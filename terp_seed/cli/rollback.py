"""``terp-seed rollback`` and ``restore``: remove seeded rows, and put back a backup's rows."""

from __future__ import annotations

import argparse

from terp_seed.cli.common import Subparsers, add_common, database_url, run_options
from terp_seed.console import output
from terp_seed.seeding.restore import check_restore, restore_file
from terp_seed.seeding.rollback import check_rollback_table, rollback_seeded


def register(sub: Subparsers) -> None:
    """Add ``rollback`` and ``restore`` to the ``terp-seed`` subcommands."""
    p = sub.add_parser("rollback", help="remove seeded rows: a run, a revision or a table")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--run", help="run id printed by `terp-seed seed`")
    group.add_argument("--revision", help="seed revision id")
    group.add_argument("--table", help="table (with the seeded rows that depend on it)")
    p.add_argument(
        "--include-modified",
        action="store_true",
        help="also delete rows changed since seeding (outside dev backed up first)",
    )
    add_common(p, writes=True)
    p.set_defaults(func=rollback)

    p = sub.add_parser("restore", help="put back the rows of a backup file")
    p.add_argument("file", help="backup file (<backup folder>/<run id>.jsonl)")
    add_common(p, writes=True)
    p.set_defaults(func=restore)


def rollback(args: argparse.Namespace) -> int:
    """Remove seeded rows of a run, a revision or a table (with their seeded dependants)."""
    options = run_options(args)
    check_rollback_table(args.table)  # refused before the config is read
    run, removed = rollback_seeded(
        options, database_url(args), run_id=args.run, revision=args.revision, table=args.table
    )
    verb = "would delete" if options.dry_run else "deleted"
    output.say(
        f"run {run.run_id}: {verb} "
        + (", ".join(f"{t} {n:,}" for t, n in removed.items()) or "nothing")
    )
    if removed and not options.dry_run:
        output.say(
            "the seed lineage was not moved (alembic -n seed current still names the same "
            "revision): `terp-seed status` lists the applied revisions whose rows are gone"
        )
    return 0


def restore(args: argparse.Namespace) -> int:
    """Load a backup file's rows back with their keys, and record their provenance."""
    options = run_options(args)
    header = check_restore(options, args.file)  # refused before the config is read
    _run, result = restore_file(options, database_url(args), args.file, header)
    output.say(
        f"restored {', '.join(f'{t} {n:,}' for t, n in result.rows.items())} from {args.file}"
    )
    return 0

"""The PII commands of ``terp-seed``: ``pii``, ``mask`` and ``pii-scan``.

Each parses its arguments, calls the library (:mod:`terp_seed.masking.run`) and prints what it
returns; error reporting is left to :func:`terp_seed.cli.main` (one ``FAILED: ...`` line,
non-zero exit).
"""

from __future__ import annotations

import argparse

from terp_seed.cli.common import (
    Subparsers,
    add_common,
    alembic_config,
    database_url,
    print_json,
    run_options,
)
from terp_seed.console import output
from terp_seed.masking.catalogue import catalogue, render_json, render_markdown, render_text
from terp_seed.masking.mask import DEFAULT_CHUNK_SIZE
from terp_seed.masking.run import mask_copy, prepare_mask, scan_for_leaks
from terp_seed.masking.scan import ScanReport, load_originals


def register(sub: Subparsers) -> None:
    """Add ``pii``, ``mask`` and ``pii-scan`` to the ``terp-seed`` parser."""
    p = sub.add_parser("pii", help="print the PII catalogue: table, column, kind, unique?, rule")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument(
        "--markdown", action="store_true", help="print docs/compliance/pii-catalogue.md (generated)"
    )
    p.set_defaults(func=pii)

    p = sub.add_parser("mask", help="mask the PII of a restored production copy, in place")
    p.add_argument(
        "--table",
        action="append",
        default=[],
        help="mask only this table (repeatable; default: every catalogued table)",
    )
    p.add_argument(
        "--chunk-size",
        default=str(DEFAULT_CHUNK_SIZE),
        metavar="ROWS",
        help=f"rows per transaction (default {DEFAULT_CHUNK_SIZE})",
    )
    p.add_argument(
        "--restart", action="store_true", help="forget saved progress and mask every row again"
    )
    add_common(p, writes=True)
    p.set_defaults(func=mask)

    p = sub.add_parser("pii-scan", help="look for personal data left in the database")
    p.add_argument(
        "--originals",
        metavar="FILE",
        help="JSON or CSV sample of original values that must not appear",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=pii_scan)


def pii(args: argparse.Namespace) -> int:
    """Print the PII catalogue as text, JSON or the generated Markdown page."""
    entries = catalogue()
    if args.json:
        output.say(render_json(entries))
    elif args.markdown:
        output.say(render_markdown(entries).rstrip("\n"))
    else:
        output.say(render_text(entries))
    return 0


def mask(args: argparse.Namespace) -> int:
    """Mask every catalogued column in place, under the lock, confirmed, resumable."""
    options = run_options(args)
    job = prepare_mask(options, args.table, args.chunk_size)  # before the config is read
    done = mask_copy(options, database_url(args), alembic_config(args), job, restart=args.restart)
    verb = "would mask" if options.dry_run else "masked"
    for note in done.report.notes:
        output.say(note)
    rows = ", ".join(f"{t} {n:,}" for t, n in done.report.rows.items() if n)
    output.say(f"run {done.run.run_id}: {verb} rows: {rows or 'nothing (all done)'}")
    output.say(
        f"key fingerprint {done.key.fingerprint}"
        + (" (public dev key)" if done.key.source == "dev default" else "")
    )
    return 0


def pii_scan(args: argparse.Namespace) -> int:
    """Scan the database for personal data; exit non-zero with a report when any is found."""
    originals = load_originals(args.originals) if args.originals else None
    scan_for_leaks(database_url(args), originals, lambda report: _print_scan(args, report))
    return 0


def _print_scan(args: argparse.Namespace, report: ScanReport) -> None:
    if args.json:
        print_json(report.as_dict())
    else:
        for line in report.lines():
            output.say(line)

"""The PII commands of ``terp-seed``: ``pii``, ``mask`` and ``pii-scan``.

Each validates its arguments before it connects, calls the library, and leaves error reporting
to :func:`terp_seed.cli.main` (one ``FAILED: ...`` line, non-zero exit).
"""

from __future__ import annotations

import argparse

import sqlalchemy as sa
from sqlalchemy.engine import URL

from terp_seed.cli import _add_common, _config, _options, print_json
from terp_seed.console import output
from terp_seed.console.jsonlogs import scrub
from terp_seed.console.progress import Progress
from terp_seed.db.connection import connect, make_engine, resolve_url
from terp_seed.errors import ConfigError, PiiLeakFound, PolicyError, SeedStepFailed
from terp_seed.masking.catalogue import catalogue, render_json, render_markdown, render_text
from terp_seed.masking.mask import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    MaskReport,
    TablePlan,
    mask_database,
    plan_tables,
    remaining_rows,
)
from terp_seed.masking.scan import load_originals, scan_database
from terp_seed.masking.secret import MaskKey, load_key
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.session import locked_session


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    _add_common(p, writes=True)
    p.set_defaults(func=mask)

    p = sub.add_parser("pii-scan", help="look for personal data left in the database")
    p.add_argument(
        "--originals",
        metavar="FILE",
        help="JSON or CSV sample of original values that must not appear",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=pii_scan)


def _url(args: argparse.Namespace) -> URL:
    cfg = _config(args)
    return resolve_url(cfg.get_main_option("sqlalchemy.url") if cfg else None)


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


def _chunk_size(text: str) -> int:
    size = int(text) if text.isdigit() else 0
    if not 1 <= size <= MAX_CHUNK_SIZE:
        raise ConfigError(
            f"--chunk-size {text!r} is not valid: use a whole number from 1 to {MAX_CHUNK_SIZE:,}"
        )
    return size


def mask(args: argparse.Namespace) -> int:
    """Mask every catalogued column in place, under the lock, confirmed, resumable."""
    options = _options(args)
    if options.env == "production":
        raise PolicyError(
            "masking is refused in production: restore the copy into a staging database and "
            "mask it there (terp-seed mask --env staging)"
        )
    key = load_key(options.env)
    plans = plan_tables(args.table)
    size = _chunk_size(args.chunk_size)
    tables = [p.table.name for p in plans]
    with locked_session(options, _url(args), _config(args), tables=tables) as run:
        result = run.begin_step(None, "mask")
        run.confirm_destructive(f"masking PII in place in {len(tables)} table(s)")
        report = _mask(run, plans, key, size, restart=args.restart)
        result.rows = report.rows
        result.detail = report.detail(key)
        result.outcome = "dry-run" if options.dry_run else "masked"
    verb = "would mask" if options.dry_run else "masked"
    done = ", ".join(f"{t} {n:,}" for t, n in report.rows.items() if n) or "nothing (all done)"
    output.say(f"run {run.run_id}: {verb} rows: {done}")
    output.say(
        f"key fingerprint {key.fingerprint}"
        + (" (public dev key)" if key.source == "dev default" else "")
    )
    return 0


def _mask(
    run: SeedRun, plans: list[TablePlan], key: MaskKey, size: int, *, restart: bool
) -> MaskReport:
    """Mask on a connection of its own, which commits chunk by chunk (the session's connection
    keeps the audit transaction)."""
    with connect(make_engine(run.url)) as conn:
        expected = remaining_rows(conn, plans, restart=restart)
        progress = Progress(expected)
        try:
            return mask_database(
                conn,
                plans,
                key,
                run_id=run.run_id,
                chunk_size=size,
                dry_run=run.options.dry_run,
                restart=restart,
                on_chunk=lambda table, rows, _last: progress(table, rows),
            )
        except sa.exc.DBAPIError as exc:
            reason = scrub(str(exc.orig).splitlines()[0])
            raise SeedStepFailed(
                f"masking stopped in the database: {reason}; the chunks committed before stay "
                "masked and recorded: run `terp-seed mask` again to resume"
            ) from exc


def pii_scan(args: argparse.Namespace) -> int:
    """Scan the database for personal data; exit non-zero with a report when any is found."""
    originals = load_originals(args.originals) if args.originals else None
    with connect(make_engine(_url(args))) as conn:
        report = scan_database(conn, originals)
    if args.json:
        print_json(report.as_dict())
    else:
        for line in report.lines():
            output.say(line)
    if report.leaks:
        columns = sorted({f"{f.table}.{f.column}" for f in report.findings.values()})
        raise PiiLeakFound(
            f"pii-scan found {report.leaks} leak(s) in {len(columns)} column(s) "
            f"({', '.join(columns[:5])}{', ...' if len(columns) > 5 else ''}): see the report; "
            "mask the database (terp-seed mask) or fix the catalogue, then scan again",
            list(report.findings.values()),
        )
    return 0

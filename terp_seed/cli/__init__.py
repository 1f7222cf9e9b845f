"""``terp-seed``: the verbs Alembic has no word for. Each command validates its arguments,
calls one library function, and turns library errors into ``FAILED: <message>`` + exit code.

One module per command group adds its commands with ``register(sub)``; what they share is in
:mod:`terp_seed.cli.common`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from terp_seed.cli import load, masking, rollback, seed, status, validate
from terp_seed.cli.common import Command
from terp_seed.console import output
from terp_seed.console.jsonlogs import JsonFormatter, scrub
from terp_seed.errors import TerpSeedError

COMMAND_GROUPS = (status, seed, rollback, validate, masking, load)  # in --help order


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; the reference docs are checked against it."""
    parser = argparse.ArgumentParser(
        prog="terp-seed",
        description="Seed TERP's database: the verbs Alembic has no word for.",
        epilog="Database: $TERP_DATABASE_URL, else sqlalchemy.url in alembic.ini [seed], else "
        "./terp_seed.sqlite. Docs: docs/reference.md",
    )
    parser.add_argument(
        "-c",
        "--config",
        default=None,
        help="alembic.ini ($ALEMBIC_CONFIG or ./alembic.ini)",
    )
    parser.add_argument("--json-logs", action="store_true", help="log JSON lines to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``terp-seed`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.config_given = args.config is not None
    args.config = args.config or os.environ.get("ALEMBIC_CONFIG") or "alembic.ini"
    _setup_logging(args.json_logs)
    func: Command = args.func
    try:
        return func(args)
    except TerpSeedError as exc:
        output.warn(f"FAILED: {scrub(str(exc))}")
        return getattr(exc, "exit_code", 1)
    except KeyboardInterrupt:
        output.warn("FAILED: interrupted; the open transaction was rolled back")
        return 130


def _setup_logging(json_logs: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("terp_seed")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO if json_logs else logging.WARNING)
    logger.propagate = False

"""``terp-seed``: the verbs Alembic has no word for. Each command validates its arguments,
calls one library function, and turns library errors into ``FAILED: <message>`` + exit code."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence

from alembic.config import Config

from terp_seed.cli.validate import register as register_validate
from terp_seed.console import output
from terp_seed.console.jsonlogs import JsonFormatter, scrub
from terp_seed.csvload.importer import register as register_load
from terp_seed.db.connection import resolve_url
from terp_seed.errors import ConfigError, TerpSeedError
from terp_seed.runtime.options import RunOptions, parse_options

Command = Callable[[argparse.Namespace], int]


def _config(args: argparse.Namespace) -> Config | None:
    path = args.config
    if not os.path.exists(path):
        if args.config_given:
            raise ConfigError(f"config file {path!r} not found: pass -c PATH to alembic.ini")
        return None
    return Config(path, ini_section="seed")


def _url(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    cfg = _config(args)
    return resolve_url(cfg.get_main_option("sqlalchemy.url") if cfg else None)


def _options(args: argparse.Namespace) -> RunOptions:
    x: dict[str, str] = {}
    for key in ("env", "size", "seed", "confirm", "lock_timeout"):
        value = getattr(args, key, None)
        if value is not None:
            x[key] = str(value)
    if getattr(args, "dry_run", False):
        x["dry_run"] = "1"
    if getattr(args, "include_modified", False):
        x["include_modified"] = "1"
    return parse_options(x)


def _add_common(p: argparse.ArgumentParser, *, writes: bool) -> None:
    p.add_argument("--env", help="dev, test, staging or production (default $TERP_ENV or dev)")
    if writes:
        p.add_argument(
            "--dry-run",
            action="store_true",
            help="do everything in a transaction that is rolled back",
        )
        p.add_argument(
            "--confirm",
            metavar="DATABASE",
            help="the database name, confirming a destructive step outside dev",
        )
        p.add_argument(
            "--lock-timeout",
            type=str,
            metavar="SECONDS",
            help="seconds to wait for the seed lock (default 60)",
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; the reference docs are checked against it."""
    from terp_seed.cli import commands
    from terp_seed.cli import masking as masking_cli

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

    p = sub.add_parser("status", help="seed revision, pending revisions, rows, last runs")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=commands.status)

    p = sub.add_parser("lock", help="show who holds the seed lock")
    p.set_defaults(func=commands.lock)

    p = sub.add_parser("init", help="create terp-seed's own ledger and audit tables")
    p.set_defaults(func=commands.init)

    p = sub.add_parser("seed", help="seed chosen tables ad hoc (with their parents)")
    p.add_argument("--table", action="append", required=True, help="table to seed (repeatable)")
    p.add_argument("--size", help="small, medium, large, xl or a number of rows")
    p.add_argument("--seed", help="integer seed (default fixed)")
    _add_common(p, writes=True)
    p.set_defaults(func=commands.seed)

    p = sub.add_parser("rollback", help="remove seeded rows: a run, a revision or a table")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--run", help="run id printed by `terp-seed seed`")
    group.add_argument("--revision", help="seed revision id")
    group.add_argument("--table", help="table (with the seeded rows that depend on it)")
    p.add_argument(
        "--include-modified",
        action="store_true",
        help="also delete rows changed since seeding (backed up first)",
    )
    _add_common(p, writes=True)
    p.set_defaults(func=commands.rollback)

    p = sub.add_parser("restore", help="put back the rows of a backup file")
    p.add_argument("file", help="backup file (backups/<run id>.jsonl)")
    _add_common(p, writes=True)
    p.set_defaults(func=commands.restore)
    register_validate(sub)
    masking_cli.register(sub)
    register_load(sub)
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


def print_json(data: object) -> None:
    output.say(json.dumps(data, indent=2, sort_keys=True, default=str))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""What every ``terp-seed`` command shares: the config file, the database URL, run options,
the common write flags and JSON printing. The only cli module the command modules import."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import TypeAlias

from alembic.config import Config
from sqlalchemy.engine import URL

from terp_seed.console import output
from terp_seed.db.url import ini_url, resolve_url
from terp_seed.errors import ConfigError
from terp_seed.runtime.options import RunOptions, parse_options

Command = Callable[[argparse.Namespace], int]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def alembic_config(args: argparse.Namespace) -> Config | None:
    """The ``[seed]`` section of alembic.ini, or ``None`` when the default file is absent.

    Raises :class:`ConfigError` when a file given with ``-c`` does not exist."""
    path = args.config
    if not os.path.exists(path):
        if args.config_given:
            raise ConfigError(f"config file {path!r} not found: pass -c PATH to alembic.ini")
        return None
    return Config(path, ini_section="seed")


def database_url(args: argparse.Namespace) -> URL:
    """The database to use: $TERP_DATABASE_URL, else alembic.ini's, else the default."""
    cfg = alembic_config(args)
    return resolve_url(ini_url(cfg) if cfg else None)


def run_options(args: argparse.Namespace) -> RunOptions:
    """The run options named by the command's flags (validated by :func:`parse_options`)."""
    x: dict[str, str] = {}
    for key in ("env", "size", "seed", "as_of", "confirm", "lock_timeout"):
        value = getattr(args, key, None)
        if value is not None:
            x[key] = str(value)
    if getattr(args, "dry_run", False):
        x["dry_run"] = "1"
    if getattr(args, "include_modified", False):
        x["include_modified"] = "1"
    return parse_options(x)


def add_common(p: argparse.ArgumentParser, *, writes: bool) -> None:
    """Add ``--env`` and, for a command that writes, ``--dry-run``, ``--confirm`` and
    ``--lock-timeout``."""
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


def print_json(data: object) -> None:
    """Print ``data`` as indented JSON with sorted keys (dates and the like as text)."""
    output.say(json.dumps(data, indent=2, sort_keys=True, default=str))

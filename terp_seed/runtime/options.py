"""Run options: the ``-x key=value`` arguments (and their environment fallbacks), validated in
one place into an immutable :class:`RunOptions`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from terp_seed.errors import ConfigError
from terp_seed.factories.calendar import today
from terp_seed.runtime.policy import ENVIRONMENTS, check_drift_mode
from terp_seed.schema import metadata
from terp_seed.sizes import MAX_SIZE, Size, parse_size

ENV_VAR = "TERP_ENV"
DEFAULT_SEED = 20260101
DEFAULT_LOCK_TIMEOUT = 60.0
DRIFT_MODES = ("strict", "warn")
FIRST_AS_OF, LAST_AS_OF = date(2000, 1, 1), date(2099, 12, 31)
_TRUE = ("1", "true", "yes", "on")
# Not "": a bare ``-x dry_run`` must not quietly mean a real run.
_FALSE = ("0", "false", "no", "off")

# key -> one-line description; the reference docs are checked against this table.
OPTION_HELP: dict[str, str] = {
    "env": "environment: dev, test, staging or production (default: $TERP_ENV, else dev)",
    "size": f"small, medium, large, xl, or a number of clients up to {MAX_SIZE:,} (default medium)",
    "seed": f"integer that drives every generator (default {DEFAULT_SEED})",
    "tables": "comma-separated table names to limit the run to (default: all)",
    "dry_run": "1 to run in a transaction that is rolled back and report what would change",
    "confirm": "the database name, confirming a destructive step outside dev",
    "lock_timeout": f"seconds to wait for the seed lock (default {DEFAULT_LOCK_TIMEOUT:g})",
    "drift": "strict (default) stops on breaking drift; warn continues (dev and test only)",
    "include_modified": "1 lets a rollback delete rows changed since seeding (any environment)",
    "unsafe_sql": "1 lets `downgrade --sql` render its DELETEs, which run none of the "
    "rollback's checks (refused without it)",
    "as_of": "the day the seeded business is seen on, YYYY-MM-DD (default today, UTC): every "
    "generated date is placed relative to it",
}


@dataclass(frozen=True)
class RunOptions:
    """Everything a run was asked to do, validated."""

    env: str = "dev"
    env_given: bool = False  # named by -x env / --env or TERP_ENV, not only the default
    size: Size = field(default_factory=lambda: parse_size("medium"))
    seed: int = DEFAULT_SEED
    tables: tuple[str, ...] | None = None
    dry_run: bool = False
    confirm: str | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    drift: str = "strict"
    include_modified: bool = False
    unsafe_sql: bool = False
    as_of: date = field(default_factory=today)


def parse_bool(key: str, value: str) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off``; anything else is a :class:`ConfigError`."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"-x {key}={value!r} is not valid: use 1 or 0")


def parse_env(value: str, source: str = "environment ") -> str:
    """Validate an environment name; ``source`` names where it came from in the error."""
    text = value.strip().lower()
    if text not in ENVIRONMENTS:
        raise ConfigError(f"{source}{value!r} is not valid: use one of {', '.join(ENVIRONMENTS)}")
    return text


def parse_tables(value: str) -> tuple[str, ...]:
    """Validate a comma-separated list of TERP table names."""
    names = tuple(t.strip() for t in value.split(",") if t.strip())
    unknown = [t for t in names if t not in metadata.tables]
    if not names or unknown:
        raise ConfigError(
            f"tables {', '.join(unknown) or repr(value)} not known: use names from "
            f"{', '.join(sorted(metadata.tables))}"
        )
    return names


def parse_options(xargs: Mapping[str, str], environ: Mapping[str, str] | None = None) -> RunOptions:
    """Validate ``-x`` arguments; ``TERP_ENV`` supplies ``env`` when ``-x env`` is absent."""
    environ = os.environ if environ is None else environ
    unknown = sorted(set(xargs) - set(OPTION_HELP))
    if unknown:
        raise ConfigError(
            f"unknown -x option {unknown[0]!r}: accepted keys are {', '.join(OPTION_HELP)}"
        )
    kw: dict[str, object] = {}
    if "env" in xargs:
        kw["env"] = parse_env(xargs["env"])
    elif environ.get(ENV_VAR):
        kw["env"] = parse_env(environ[ENV_VAR], f"{ENV_VAR}=")
    kw["env_given"] = "env" in kw
    if "size" in xargs:
        kw["size"] = parse_size(xargs["size"])
    if "seed" in xargs:
        kw["seed"] = _parse_int("seed", xargs["seed"], minimum=0)
    if "tables" in xargs:
        kw["tables"] = parse_tables(xargs["tables"])
    if "dry_run" in xargs:
        kw["dry_run"] = parse_bool("dry_run", xargs["dry_run"])
    for key in ("include_modified", "unsafe_sql"):
        if key in xargs:
            kw[key] = parse_bool(key, xargs[key])
    if "confirm" in xargs:
        if not xargs["confirm"].strip():
            raise ConfigError(
                f"-x confirm={xargs['confirm']!r} is not valid: use the database name"
            )
        kw["confirm"] = xargs["confirm"].strip()
    if "lock_timeout" in xargs:
        kw["lock_timeout"] = _parse_float("lock_timeout", xargs["lock_timeout"])
    if "as_of" in xargs:
        kw["as_of"] = parse_as_of(xargs["as_of"])
    if "drift" in xargs:
        drift = xargs["drift"].strip().lower()
        if drift not in DRIFT_MODES:
            raise ConfigError(f"-x drift={xargs['drift']!r} is not valid: use strict or warn")
        kw["drift"] = drift
    options = RunOptions(**kw)  # type: ignore[arg-type]
    check_drift_mode(options.env, options.drift)
    return options


def parse_as_of(value: str) -> date:
    """A day ``YYYY-MM-DD`` from 2000 to 2099; anything else is a :class:`ConfigError`."""
    text = value.strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not FIRST_AS_OF <= day <= LAST_AS_OF:
        raise ConfigError(
            f"-x as_of={value!r} is not valid: use a day YYYY-MM-DD from {FIRST_AS_OF} to "
            f"{LAST_AS_OF}, e.g. -x as_of={today()}"
        )
    return day


def _parse_int(key: str, value: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ConfigError(f"-x {key}={value!r} is not valid: use a whole number >= {minimum}")
    return number


def _parse_float(key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not (0 <= number <= 86400):
        raise ConfigError(f"-x {key}={value!r} is not valid: use seconds from 0 to 86400")
    return number

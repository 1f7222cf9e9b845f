"""The environment policy: every rule that depends on which environment a run is in.

dev gets full fake data and no ceremony; test the same data; staging masked copies and
customer-like fake data behind confirmation and backups; production reference data only.
Every other module asks this one instead of comparing ``env`` with a name.
"""

from __future__ import annotations

from collections.abc import Collection

from terp_seed.errors import ConfigError, PolicyError

ENVIRONMENTS = ("dev", "test", "staging", "production")
ALL_ENVIRONMENTS = frozenset(ENVIRONMENTS)
# Where revisions of customer-like data (clients, orders, ...) may insert rows.
CUSTOMER_ENVIRONMENTS = frozenset({"dev", "test", "staging"})
# Where drift=warn may carry a run past breaking drift.
_DRIFT_WARN_ENVIRONMENTS = frozenset({"dev", "test"})


def check_environments(revision: str, environments: Collection[str]) -> None:
    """A revision's declared environments must be known, and at least one.

    :raises ConfigError: naming the unknown environments.
    """
    bad = sorted(set(environments) - ALL_ENVIRONMENTS)
    if bad or not environments:
        raise ConfigError(
            f"seed revision {revision}: environments {bad or '(none)'} not valid: use "
            f"{', '.join(ENVIRONMENTS)}"
        )


def skip_reason(revision: str, env: str, environments: Collection[str]) -> str | None:
    """Why ``revision`` inserts nothing in ``env``, or None when it runs there."""
    if env in environments:
        return None
    return f"{revision} inserts nothing in {env}: it runs in {', '.join(sorted(environments))} only"


def check_drift_mode(env: str, drift: str) -> None:
    """``drift=warn`` is for dev and test: elsewhere breaking drift must be fixed.

    :raises ConfigError: ``drift=warn`` in staging or production.
    """
    if drift == "warn" and env not in _DRIFT_WARN_ENVIRONMENTS:
        raise ConfigError(
            f"-x drift=warn is refused in {env}: fix the schema drift instead "
            "(alembic upgrade head), or run in dev"
        )


def needs_confirmation(env: str) -> bool:
    """A destructive step outside dev needs the database name typed or passed (``confirm=``)."""
    return env != "dev"


def backs_up_before_delete(env: str) -> bool:
    """Outside dev, the rows a destructive step removes are written to a backup file first."""
    return env != "dev"


def may_delete_modified(env: str, include_modified: bool) -> bool:
    """Seeded rows changed since seeding are deleted only when asked (``include_modified``), in
    every environment: in dev too, where nothing is backed up, they are the application's
    data now."""
    del env  # the same rule everywhere
    return include_modified


def may_truncate(env: str) -> bool:
    """A revision whose strategy is ``truncate`` empties its tables in one statement in dev
    only (elsewhere it deletes the ledger's rows one range at a time)."""
    return env == "dev"


def check_adhoc_seed(env: str, customer_tables: Collection[str]) -> None:
    """Ad-hoc seeding of customer-like tables is refused in production.

    :raises PolicyError: ``customer_tables`` is not empty in production.
    """
    if env == "production" and customer_tables:
        raise PolicyError(
            "ad-hoc seeding of customer-like tables is refused in production: only reference "
            "data may be seeded there (alembic -n seed upgrade head)"
        )


def check_csv_load(env: str, table: str, reference_tables: Collection[str]) -> None:
    """In production, a CSV file may load reference tables only.

    :raises PolicyError: ``table`` is not reference data in production.
    """
    if env == "production" and table not in reference_tables:
        raise PolicyError(
            f"loading {table} in production is refused: only reference data "
            f"({', '.join(sorted(reference_tables))}) may be loaded there"
        )


def check_masking(env: str) -> None:
    """Masking in place rewrites personal data: never in production.

    :raises PolicyError: in production.
    """
    if env == "production":
        raise PolicyError(
            "masking is refused in production: restore the copy into a staging database and "
            "mask it there (terp-seed mask --env staging)"
        )


def may_use_dev_password(env: str) -> bool:
    """Seeded staff get the documented development password in dev and test only; elsewhere
    each run gives them an unguessable one (set a real one in TERP)."""
    return env in ("dev", "test")


def may_use_dev_mask_key(env: str) -> bool:
    """Only dev may mask with the built-in key; elsewhere a secret key is required."""
    return env == "dev"


def check_restore(env: str, tables: Collection[str], reference_tables: Collection[str]) -> None:
    """In production, a backup may put back reference data only.

    :raises PolicyError: a table of ``tables`` is not reference data in production.
    """
    customer = sorted(set(tables) - set(reference_tables))
    if env == "production" and customer:
        raise PolicyError(
            f"restoring {', '.join(customer)} in production is refused: only reference data "
            f"may be restored there; restore the backup into a staging database instead"
        )


def strictest(environments: Collection[str]) -> str:
    """The strictest of ``environments`` (production > staging > test > dev)."""
    known = [e for e in environments if e in ALL_ENVIRONMENTS] or ["dev"]
    return max(known, key=ENVIRONMENTS.index)


def check_binding(recorded: str, env: str, given: bool, database: str) -> None:
    """A run must name the environment its database is bound to.

    :raises PolicyError: ``env`` is not ``recorded`` (named otherwise, or not named at all and
        only the default).
    """
    if env == recorded:
        return
    named = f"names {env}" if given else f"names no environment (default {env})"
    raise PolicyError(
        f"database {database!r} is bound to environment {recorded} and this run {named}: "
        f"rerun with --env {recorded} (alembic: -x env={recorded}); to change the binding "
        f"deliberately: terp-seed init --env {env} --rebind --confirm {database}; nothing "
        "was changed"
    )


def check_named_for_masking(env: str, unnamed: bool, database: str) -> None:
    """Masking a database bound to no environment yet that held data terp-seed did not write
    (a restored copy) needs its environment named: the default (dev) masks with the public key.

    :raises PolicyError: ``unnamed``: the database held data when terp-seed first saw it, and
        neither this run nor one before named its environment.
    """
    if unnamed:
        raise PolicyError(
            f"database {database!r} holds data and is bound to no environment yet, and this run "
            f"names none (default {env}): name it, e.g. --env staging (alembic: -x env=staging); "
            "the first run that names it binds the database to it; nothing was changed"
        )


def follow_up_flags(env: str, database: str) -> str:
    """The flags a printed follow-up command (``terp-seed rollback --run ...``) needs to run
    as printed: ``--env`` always (the database is bound to it), ``--confirm`` outside dev."""
    flags = f"--env {env}"
    return flags + (f" --confirm {database}" if needs_confirmation(env) else "")

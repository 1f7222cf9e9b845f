"""Run options: every ``-x`` key validated in one place; a bad one is one ``FAILED`` line."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from terp_seed.errors import ConfigError
from terp_seed.runtime.options import OPTION_HELP, RunOptions, parse_options
from terp_seed.testing.plugin import run_alembic, schema_at_head, table_checksums

EngineFor = Callable[[str], sa.Engine]

# (-x arguments, TERP_ENV or None, text the one-line error must contain)
BAD: list[tuple[tuple[str, ...], str | None, str]] = [
    (("colour=blue",), None, "unknown -x option 'colour': accepted keys are env, size, seed"),
    (("dryrun=1",), None, "unknown -x option 'dryrun'"),
    (("env=prod",), None, "'prod' is not valid: use one of dev, test, staging, production"),
    (("env=",), None, "'' is not valid: use one of dev, test, staging, production"),
    ((), "qa", "TERP_ENV='qa' is not valid: use one of dev, test, staging, production"),
    (("size=huge",), None, "size 'huge' is not valid: use one of small, medium, large, xl"),
    (("size=0",), None, "size '0' is not valid"),
    (("size=-5",), None, "size '-5' is not valid"),
    (("seed=abc",), None, "-x seed='abc' is not valid: use a whole number >= 0"),
    (("seed=-1",), None, "-x seed='-1' is not valid"),
    (("seed=1.5",), None, "-x seed='1.5' is not valid"),
    (("tables=nope",), None, "tables nope not known: use names from"),
    (("tables=strains,nope",), None, "tables nope not known"),
    (("tables=",), None, "tables '' not known"),
    (("dry_run=maybe",), None, "-x dry_run='maybe' is not valid: use 1 or 0"),
    (("dry_run",), None, "-x dry_run='' is not valid: use 1 or 0"),
    (("include_modified=2",), None, "-x include_modified='2' is not valid"),
    (("lock_timeout=abc",), None, "-x lock_timeout='abc' is not valid: use seconds from 0"),
    (("lock_timeout=-1",), None, "-x lock_timeout='-1' is not valid"),
    (("lock_timeout=nan",), None, "-x lock_timeout='nan' is not valid"),
    (("lock_timeout=inf",), None, "-x lock_timeout='inf' is not valid"),
    (("drift=loose",), None, "-x drift='loose' is not valid: use strict or warn"),
    (("drift=warn", "env=staging"), None, "-x drift=warn is refused in staging"),
    (("drift=warn", "env=production"), None, "-x drift=warn is refused in production"),
    (("drift=warn",), "production", "-x drift=warn is refused in production"),
    (("confirm=",), None, "-x confirm='' is not valid: use the database name"),
    (("as_of=2025-13-01",), None, "-x as_of='2025-13-01' is not valid: use a day YYYY-MM-DD"),
    (("as_of=yesterday",), None, "-x as_of='yesterday' is not valid: use a day YYYY-MM-DD"),
    (("as_of=2025-1-5",), None, "-x as_of='2025-1-5' is not valid"),
    (("as_of=1999-12-31",), None, "-x as_of='1999-12-31' is not valid: use a day YYYY-MM-DD from"),
    (("as_of=",), None, "-x as_of='' is not valid"),
]


@pytest.mark.parametrize(("xargs", "terp_env", "message"), BAD, ids=[repr(b[:2]) for b in BAD])
def test_bad_option_is_one_failed_line_and_writes_nothing(
    sqlite_url: str,
    engine_for: EngineFor,
    xargs: tuple[str, ...],
    terp_env: str | None,
    message: str,
) -> None:
    schema_at_head(sqlite_url)
    engine = engine_for(sqlite_url)
    before = table_checksums(engine)
    argv = [arg for x in xargs for arg in ("-x", x)]
    env = {"TERP_ENV": terp_env} if terp_env is not None else None
    result = run_alembic(sqlite_url, "-n", "seed", *argv, "upgrade", "head", env=env)
    assert result.code != 0
    failed = [ln for ln in (result.out + result.err).splitlines() if ln.startswith("FAILED")]
    assert failed == [result.failure], result.out + result.err
    assert message in result.failure, result.failure
    assert "Traceback" not in result.err
    assert table_checksums(engine) == before


@pytest.mark.parametrize(("xargs", "terp_env", "message"), BAD, ids=[repr(b[:2]) for b in BAD])
def test_parse_options_rejects(xargs: tuple[str, ...], terp_env: str | None, message: str) -> None:
    given = dict(x.split("=", 1) if "=" in x else (x, "") for x in xargs)
    environ = {"TERP_ENV": terp_env} if terp_env is not None else {}
    with pytest.raises(ConfigError) as caught:
        parse_options(given, environ)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_option_is_one_line_on_mariadb_too(mysql_url: str, engine_for: EngineFor) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    before = table_checksums(engine)
    result = run_alembic(mysql_url, "-n", "seed", "-x", "env=prod", "upgrade", "head")
    assert result.code != 0 and "environment 'prod' is not valid" in result.failure
    assert table_checksums(engine) == before


def test_good_options_parse() -> None:
    options = parse_options(
        {
            "env": "Staging",
            "size": "250",
            "seed": "42",
            "tables": "strains, grades",
            "dry_run": "yes",
            "confirm": "terp",
            "lock_timeout": "2.5",
            "drift": "STRICT",
            "include_modified": "0",
        },
        {},
    )
    assert options.env == "staging" and options.size.name == "250" and options.seed == 42
    assert options.tables == ("strains", "grades") and options.dry_run is True
    assert options.confirm == "terp" and options.lock_timeout == 2.5
    assert options.drift == "strict" and options.include_modified is False


def test_environment_comes_from_x_then_terp_env_then_dev() -> None:
    assert parse_options({}, {}).env == "dev"
    assert parse_options({}, {"TERP_ENV": "production"}).env == "production"
    assert parse_options({"env": "test"}, {"TERP_ENV": "production"}).env == "test"
    assert parse_options({"drift": "warn"}, {"TERP_ENV": "test"}).drift == "warn"
    assert parse_options({}, {}) == RunOptions()


def test_every_key_is_documented_in_the_help_table() -> None:
    keys = {"env", "size", "seed", "tables", "dry_run", "confirm", "lock_timeout", "drift"}
    assert keys <= set(OPTION_HELP)

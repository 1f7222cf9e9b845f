"""The environment is bound to the database (issue 22, item 7): recorded in terp-seed's own
tables at first use, so a command that names another environment, or none, does nothing there;
changed only deliberately (``init --rebind``, confirmed, audited); printed follow-up commands
carry the right ``--env`` and ``--confirm``."""

from __future__ import annotations

import re

import sqlalchemy as sa

from terp_seed.schema import TERP_TABLES
from terp_seed.testing.plugin import (
    run_alembic,
    run_cli,
    schema_at_head,
    table_checksums,
    table_counts,
)

SEED = ("-n", "seed", "-x", "size=small")


def _db(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _binding(engine: sa.Engine) -> tuple[str, str] | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT environment, how FROM terp_seed_environment WHERE id = 1")
        ).first()
    return None if row is None else (str(row[0]), str(row[1]))


def _data(engine: sa.Engine) -> dict[str, object]:
    sums = table_checksums(engine)
    sums.pop("terp_seed_audit", None)
    return sums


def _terp_rows(engine: sa.Engine) -> dict[str, object]:
    return {t: rows for t, rows in table_checksums(engine).items() if t in TERP_TABLES}


def test_copy_pasted_rollback_on_staging_deletes_nothing(
    mysql_url: str, engine_for, tmp_path
) -> None:
    schema_at_head(mysql_url)
    assert run_alembic(mysql_url, *SEED, "-x", "env=staging", "upgrade", "head").code == 0
    engine = engine_for(mysql_url)
    before = _data(engine)
    for extra in ((), ("--env", "dev"), ("--dry-run",)):
        refused = run_cli(mysql_url, "rollback", "--revision", "0006_sales", *extra)
        assert refused.code != 0, refused.out
        assert f"database {_db(mysql_url)!r} is bound to environment staging" in refused.failure
        assert "rerun with --env staging" in refused.failure
        assert _data(engine) == before
    refused = run_alembic(mysql_url, "-n", "seed", "downgrade", "-1")
    assert refused.code != 0 and "bound to environment staging" in refused.failure
    assert _data(engine) == before
    assert not (tmp_path / "backups").exists()
    assert _binding(engine) == ("staging", "first use, named")
    # named, by TERP_ENV here, and confirmed: the rollback runs, backed up first
    done = run_cli(
        mysql_url, "rollback", "--revision", "0006_sales", "--confirm", _db(mysql_url),
        env={"TERP_ENV": "staging"},
    )  # fmt: skip
    assert done.code == 0, done.err[-2000:]
    assert table_counts(engine)["orders"] == 0
    assert len(list((tmp_path / "backups").glob("*.jsonl"))) == 1


def test_mask_without_env_on_a_restored_copy_masks_nothing(mysql_url: str, engine_for) -> None:
    """A database terp-seed never saw, holding data (a restored production copy): the default
    environment (dev, with the public masking key) is not enough."""
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO clients (teri_code, name, email) VALUES "
                "('C1', 'Maria Gonzalez', 'maria.gonzalez@gmail.com')"
            )
        )
    before = _terp_rows(engine)
    refused = run_cli(mysql_url, "mask")
    assert refused.code != 0
    assert "holds data and is bound to no environment yet" in refused.failure
    assert _terp_rows(engine) == before
    assert _binding(engine) == ("None", "first seen holding data; no environment named yet")
    # once bound to staging, a mask that names no environment is refused too
    bound = run_cli(mysql_url, "init", "--env", "staging")
    assert bound.code == 0 and "bound to environment staging" in bound.out
    refused = run_cli(mysql_url, "mask")
    assert refused.code != 0 and "bound to environment staging" in refused.failure
    with engine.connect() as conn:
        email = conn.execute(sa.text("SELECT email FROM clients")).scalar()
    assert email == "maria.gonzalez@gmail.com"


def test_rebinding_is_deliberate_confirmed_and_audited(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_alembic(mysql_url, *SEED, "-x", "env=staging", "upgrade", "0001").code == 0
    other = run_cli(mysql_url, "init", "--env", "dev")
    assert other.code != 0 and "--rebind --confirm" in other.failure
    unconfirmed = run_cli(mysql_url, "init", "--env", "dev", "--rebind")
    assert unconfirmed.code != 0 and f"pass --confirm {_db(mysql_url)}" in unconfirmed.failure
    wrong = run_cli(mysql_url, "init", "--env", "dev", "--rebind", "--confirm", "terp_prod")
    assert wrong.code != 0 and "does not match" in wrong.failure
    assert _binding(engine) == ("staging", "first use, named")
    done = run_cli(mysql_url, "init", "--env", "dev", "--rebind", "--confirm", _db(mysql_url))
    assert done.code == 0 and "rebound from environment staging to dev" in done.out
    assert _binding(engine) == ("dev", "rebound from staging")
    with engine.connect() as conn:
        audit = conn.execute(
            sa.text(
                "SELECT outcome, detail, environment FROM terp_seed_audit "
                "WHERE direction = 'rebind'"
            )
        ).all()
    assert [tuple(r) for r in audit] == [("rebound", "environment staging -> dev", "dev")]
    assert run_alembic(mysql_url, *SEED, "upgrade", "head").code == 0  # the default is dev now


def test_database_seeded_before_the_binding_is_bound_from_its_audit(
    mysql_url: str, engine_for
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_alembic(mysql_url, *SEED, "-x", "env=staging", "upgrade", "head").code == 0
    with engine.begin() as conn:  # as a database seeded by an older terp-seed has it
        conn.execute(sa.text("DROP TABLE terp_seed_environment"))
    before = _data(engine)
    refused = run_cli(mysql_url, "rollback", "--revision", "0006_sales")
    assert refused.code != 0 and "bound to environment staging" in refused.failure
    after = _data(engine)
    after.pop("terp_seed_environment")
    assert after == before
    assert _binding(engine) == ("staging", "from the audit trail (staging)")


def test_printed_follow_up_runs_as_printed(any_url: str, engine_for) -> None:
    schema_at_head(any_url)
    env = "dev" if any_url.startswith("sqlite") else "staging"
    seeded = run_cli(any_url, "seed", "--table", "users", "--size", "3", "--env", env)
    assert seeded.code == 0, seeded.err[-2000:]
    line = next(x for x in seeded.out.splitlines() if x.startswith("roll it back with: "))
    command = line.removeprefix("roll it back with: terp-seed ").split()
    confirm = ["--confirm", _db(any_url)] if env != "dev" else []
    assert re.fullmatch(r"rollback --run \S+", " ".join(command[:3]))
    assert command[3:] == ["--env", env, *confirm]
    done = run_cli(any_url, *command)
    assert done.code == 0, done.err[-2000:]
    assert table_counts(engine_for(any_url))["users"] == 0

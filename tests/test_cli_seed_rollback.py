"""Ad-hoc seeding and selective rollback through the ``terp-seed`` CLI, rollback strategies,
and bad input: one FAILED line, a non-zero exit, nothing changed."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from terp_seed.db.engine import make_engine
from terp_seed.db.url import resolve_url
from terp_seed.errors import ConfigError
from terp_seed.plan import SeedPlan, load
from terp_seed.runtime.options import parse_options
from terp_seed.runtime.run import SeedRun
from terp_seed.seeding.apply import apply_plan, revert_plan
from terp_seed.testing.plugin import run_cli, schema_at_head, table_checksums, table_counts


def _run_id(out: str) -> str:
    match = re.search(r"run (\S+):", out)
    assert match, out
    return match.group(1)


def test_adhoc_seed_then_rollback_by_run(any_url: str, engine_for) -> None:
    schema_at_head(any_url)
    seeded = run_cli(any_url, "seed", "--table", "clients", "--size", "25")
    assert seeded.code == 0, seeded.err[-1500:]
    counts = table_counts(engine_for(any_url))
    # buyers only: a supplier (its client, vendor and profile) comes from the vendors factory
    assert counts["clients"] == 25 and counts["supplier_profiles"] == 0
    dry = run_cli(any_url, "rollback", "--run", _run_id(seeded.out), "--dry-run")
    assert dry.code == 0 and "would delete" in dry.out
    assert table_counts(engine_for(any_url))["clients"] == 25
    done = run_cli(any_url, "rollback", "--run", _run_id(seeded.out))
    assert done.code == 0, done.err[-1500:]
    counts = table_counts(engine_for(any_url))
    assert counts["clients"] == 0 and counts["terp_seed_ledger"] == 0


def test_adhoc_seed_creates_missing_parents(sqlite_url: str, engine_for) -> None:
    schema_at_head(sqlite_url)
    result = run_cli(sqlite_url, "seed", "--table", "batches", "--size", "40")
    assert result.code == 0, result.err[-1500:]
    counts = table_counts(engine_for(sqlite_url))
    assert counts["batches"] == 40
    assert counts["products"] > 0 and counts["lots"] > 0 and counts["strains"] == 78
    again = run_cli(sqlite_url, "seed", "--table", "batches", "--size", "10")
    assert again.code == 0
    after = table_counts(engine_for(sqlite_url))
    assert after["batches"] == 50 and after["products"] == counts["products"]  # parents reused


def test_rollback_by_table_takes_seeded_dependants(sqlite_url: str, engine_for) -> None:
    schema_at_head(sqlite_url)
    assert run_cli(sqlite_url, "seed", "--table", "orders", "--size", "30").code == 0
    done = run_cli(sqlite_url, "rollback", "--table", "clients")
    assert done.code == 0, done.err[-1500:]
    counts = table_counts(engine_for(sqlite_url))
    for table in ("clients", "orders", "order_line_items", "invoices", "payments", "lots"):
        assert counts[table] == 0, table
    assert counts["users"] > 0 and counts["strains"] == 78


@pytest.mark.parametrize(
    "args, message",
    [
        (["seed", "--table", "nope"], "no factory for table 'nope'"),
        (["seed", "--table", "clients", "--size", "huge"], "size 'huge' is not valid"),
        (["seed", "--table", "clients", "--env", "prod"], "environment 'prod' is not valid"),
        (["seed", "--table", "clients", "--env", "production"], "refused in production"),
        (["seed", "--table", "clients", "--seed", "-4"], "seed='-4' is not valid"),
        (["seed", "--table", "clients", "--lock-timeout", "soon"], "lock_timeout='soon'"),
        (["rollback", "--run", "no-such-run"], "nothing seeded matches run no-such-run"),
        (["rollback", "--table", "nope"], "unknown table 'nope'"),
        (["restore", "/nonexistent/backup.jsonl"], "cannot read backup file"),
        (["-c", "/nonexistent/alembic.ini", "status"], "config file '/nonexistent/alembic.ini'"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    sqlite_url: str, engine_for, args: list[str], message: str
) -> None:
    schema_at_head(sqlite_url)
    assert run_cli(sqlite_url, "seed", "--table", "users", "--size", "3").code == 0
    before = table_checksums(engine_for(sqlite_url))
    result = run_cli(sqlite_url, *args)
    assert result.code != 0
    assert message in result.failure, result.err[-800:]
    assert "Traceback" not in result.err
    assert table_checksums(engine_for(sqlite_url)) == before


def test_damaged_backup_is_refused(sqlite_url: str, tmp_path, engine_for) -> None:
    schema_at_head(sqlite_url)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "terp-seed-backup/1", "run_id": "x"}\n{"table": "clients"\n')
    before = table_checksums(engine_for(sqlite_url))
    result = run_cli(sqlite_url, "restore", str(bad))
    assert result.code != 0 and "line 2 is damaged" in result.failure
    assert table_checksums(engine_for(sqlite_url)) == before


def _run(url: str, env: str = "dev") -> tuple[SeedRun, sa.Connection]:
    engine = make_engine(resolve_url(url, {}))
    conn = engine.connect()
    run = SeedRun(options=parse_options({"env": env, "size": "small"}, {}), url=engine.url)
    run.connection = conn
    return run, conn


@pytest.mark.parametrize("strategy", ["delete", "truncate", "none"])
def test_rollback_strategies(sqlite_url: str, engine_for, strategy: str) -> None:
    schema_at_head(sqlite_url)
    assert run_cli(sqlite_url, "init").code == 0
    plan = SeedPlan("strategy_test", [load("users")], environments={"dev"}, strategy=strategy)
    run, conn = _run(sqlite_url)
    with conn.begin():
        apply_plan(run, plan)
        conn.execute(sa.text("INSERT INTO users (openId, name) VALUES ('app', 'App')"))
    with conn.begin():
        revert_plan(run, plan)
    left = conn.execute(sa.text("SELECT openId FROM users")).scalars().all()
    conn.close()
    if strategy == "none":
        assert len(left) == 6 and run.results[-1].outcome == "kept"
    else:  # truncate falls back to the ledger when the table holds other rows
        assert left == ["app"]


def test_truncate_empties_a_table_holding_only_its_rows(sqlite_url: str) -> None:
    schema_at_head(sqlite_url)
    assert run_cli(sqlite_url, "init").code == 0
    plan = SeedPlan(
        "truncate_test", [load("users", count=40)], environments={"dev"}, strategy="truncate"
    )
    run, conn = _run(sqlite_url)
    with conn.begin():
        apply_plan(run, plan)
    with conn.begin():
        revert_plan(run, plan)
    assert conn.execute(sa.text("SELECT COUNT(*) FROM users")).scalar() == 0
    assert run.results[-1].rows == {"users": -40}
    conn.close()


def test_plan_definition_errors() -> None:
    with pytest.raises(ConfigError, match="no factory named 'nope'"):
        load("nope")
    with pytest.raises(ConfigError, match="strategy 'wipe' not valid"):
        SeedPlan("x", [load("users")], strategy="wipe")
    with pytest.raises(ConfigError, match="environments"):
        SeedPlan("x", [load("users")], environments={"qa"})


def test_a_run_builds_its_value_pools_once_for_all_its_steps(sqlite_url: str, engine_for) -> None:
    schema_at_head(sqlite_url)
    assert run_cli(sqlite_url, "init").code == 0
    run, conn = _run(sqlite_url)
    pools = []
    for name, factory in (("pools_users", "users"), ("pools_vendors", "vendors")):
        with conn.begin():
            apply_plan(run, SeedPlan(name, [load(factory)], environments={"dev"}))
        assert run._gen is not None
        pools.append(run._gen.built_pools)
    conn.close()
    first, second = pools
    assert first is not None and second is first  # the second step reused the first's
    counts = table_counts(engine_for(sqlite_url))
    assert counts["users"] > 0 and counts["vendors"] > 0

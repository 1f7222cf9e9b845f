"""The schema gate: breaking drift stops a run before it writes; benign drift is logged."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from terp_seed.errors import DriftError
from terp_seed.runtime.drift import detect_drift
from terp_seed.runtime.gate import check_drift
from terp_seed.runtime.lock import lock_name
from terp_seed.runtime.options import RunOptions
from terp_seed.testing.plugin import (
    project_root,
    run_alembic,
    schema_at_head,
    table_checksums,
    table_counts,
)

EngineFor = Callable[[str], sa.Engine]
SEED = ("-n", "seed", "-x", "size=small")


def alter(engine: sa.Engine, *statements: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
        for statement in statements:
            conn.execute(sa.text(statement))


def assert_nothing_written(engine: sa.Engine) -> None:
    counts = table_counts(engine)
    written = {t: n for t, n in counts.items() if n and t != "alembic_version"}
    assert written == {}, written


@pytest.mark.parametrize(
    ("ddl", "expected"),
    [
        (
            ["DROP TABLE workflow_statuses"],
            "workflow_statuses: expected table, found missing",
        ),
        (
            ["ALTER TABLE strains DROP COLUMN openthcStub"],
            "strains.openthcStub: expected VARCHAR(255), found missing",
        ),
        (
            ["ALTER TABLE strains ADD COLUMN legacyCode VARCHAR(20) NOT NULL"],
            "strains.legacyCode: expected no such column, found extra NOT NULL column without "
            "default VARCHAR(20)",
        ),
        (
            ["ALTER TABLE strains MODIFY name VARCHAR(5) NOT NULL"],
            "strains.name: expected VARCHAR(255), found VARCHAR(5)",
        ),
        (
            ["ALTER TABLE grades MODIFY sortOrder VARCHAR(20) DEFAULT '0'"],
            "grades.sortOrder: expected INTEGER, found VARCHAR(20)",
        ),
    ],
    ids=["missing-table", "missing-column", "extra-not-null", "too-short", "int-to-varchar"],
)
def test_breaking_drift_stops_the_run_before_any_write(
    mysql_url: str, engine_for: EngineFor, ddl: list[str], expected: str
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    alter(engine, *ddl)
    result = run_alembic(mysql_url, *SEED, "upgrade", "head")
    assert result.code != 0
    assert result.failure.startswith("FAILED: schema drift in 1 place(s) the seeds depend on: ")
    assert expected in result.failure, result.failure
    assert "Traceback" not in result.err
    assert_nothing_written(engine)


def test_every_breaking_difference_is_listed(mysql_url: str, engine_for: EngineFor) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    alter(
        engine,
        "ALTER TABLE strains MODIFY name VARCHAR(5) NOT NULL",
        "ALTER TABLE categories DROP COLUMN description",
    )
    result = run_alembic(mysql_url, *SEED, "upgrade", "head")
    assert "schema drift in 2 place(s)" in result.failure
    assert "strains.name" in result.failure and "categories.description" in result.failure
    assert_nothing_written(engine)


@pytest.mark.parametrize(
    ("ddl", "expected"),
    [
        (  # TERP's real drift: a decimal column that became varchar(20)
            "ALTER TABLE clients MODIFY credit_limit VARCHAR(20) DEFAULT '0'",
            "clients.credit_limit: expected DECIMAL(15, 2), found VARCHAR(20)",
        ),
        (
            "ALTER TABLE clients MODIFY preferredContact ENUM('EMAIL','PHONE')",
            "clients.preferredContact: expected ENUM('EMAIL','PHONE','TEXT','ANY'), found "
            "ENUM('EMAIL','PHONE')",
        ),
        (
            "ALTER TABLE clients MODIFY credit_limit DECIMAL(6, 2) DEFAULT '0'",
            "clients.credit_limit: expected DECIMAL(15, 2), found DECIMAL(6, 2)",
        ),
    ],
    ids=["decimal-to-varchar", "enum-lacks-value", "decimal-too-narrow"],
)
def test_types_that_cannot_hold_seeded_values_are_breaking(
    mysql_url: str, engine_for: EngineFor, ddl: str, expected: str
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    alter(engine, ddl)
    with engine.connect() as conn:
        with pytest.raises(DriftError) as caught:
            check_drift(conn, {"clients"}, RunOptions())
        assert expected in str(caught.value)
        # the same difference on a table no seed writes is only logged
        assert [d.kind for d in detect_drift(conn, {"strains"})] == ["benign"]


def test_drift_in_customer_tables_stops_dev_but_not_a_production_deploy(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    alter(engine, "ALTER TABLE clients MODIFY credit_limit VARCHAR(20) DEFAULT '0'")
    dev = run_alembic(mysql_url, *SEED, "upgrade", "head")
    if "clients.credit_limit" not in dev.failure:
        pytest.skip("no seed revision writes clients in dev")
    assert "expected DECIMAL(15, 2), found VARCHAR(20)" in dev.failure
    assert_nothing_written(engine)
    # production seeds reference data only: drift in tables it skips does not stop it
    prod = run_alembic(mysql_url, *SEED, "-x", "env=production", "upgrade", "head")
    assert prod.code == 0, prod.out + prod.err[-2000:]
    counts = table_counts(engine)
    assert counts["strains"] > 0 and counts["clients"] == 0


def test_read_only_commands_skip_lock_and_gate(mysql_url: str, engine_for: EngineFor) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    alter(engine, "ALTER TABLE strains MODIFY name VARCHAR(5) NOT NULL")
    before = table_checksums(engine)
    with engine.connect() as holder:
        holder.execute(sa.text("SELECT GET_LOCK(:n, 0)"), {"n": lock_name(engine)})
        current = run_alembic(mysql_url, "-n", "seed", "-x", "lock_timeout=0", "current")
    assert current.code == 0, current.out + current.err[-2000:]
    assert "terp-seed" not in current.out  # no run summary for a read-only command
    assert table_checksums(engine) == before


def test_widened_types_are_benign(mysql_url: str, engine_for: EngineFor) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    alter(
        engine,
        "ALTER TABLE clients MODIFY preferredContact ENUM('EMAIL','PHONE','TEXT','ANY','FAX')",
        "ALTER TABLE clients MODIFY credit_limit DECIMAL(18, 4) DEFAULT '0'",
        "ALTER TABLE strains MODIFY name VARCHAR(300) NOT NULL",
    )
    with engine.connect() as conn:
        drifts = detect_drift(conn, {"clients", "strains"})
    assert drifts and all(d.kind == "benign" for d in drifts), drifts


def test_benign_drift_is_logged_and_the_run_goes_on(mysql_url: str, engine_for: EngineFor) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    alter(
        engine,
        "ALTER TABLE strains ADD COLUMN legacyNote VARCHAR(20) NULL",
        "ALTER TABLE strains ADD COLUMN importedAt TIMESTAMP NULL",
        "ALTER TABLE grades ADD COLUMN legacyRank INT NOT NULL DEFAULT 0",
        "CREATE INDEX ix_strains_category ON strains (category)",
        "CREATE TABLE app_notes (id INT PRIMARY KEY, body TEXT)",
    )
    result = run_alembic(mysql_url, *SEED, "upgrade", "head")
    assert result.code == 0, result.out + result.err[-2000:]
    logged = [json.loads(ln) for ln in result.err.splitlines() if "benign schema drift" in ln]
    text = " ".join(e["message"] for e in logged)
    for where in ("strains.legacyNote", "strains.importedAt", "grades.legacyRank", "app_notes"):
        assert where in text, text
    assert "ix_strains_category" in text
    assert table_counts(engine)["strains"] > 0


def test_drift_warn_continues_in_dev_and_is_refused_in_staging(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    alter(engine, "ALTER TABLE strains MODIFY category VARCHAR(20)")  # still holds 'Hybrid'
    strict = run_alembic(mysql_url, *SEED, "upgrade", "head")
    assert "strains.category: expected VARCHAR(50), found VARCHAR(20)" in strict.failure
    assert_nothing_written(engine)
    for env in ("staging", "production"):
        refused = run_alembic(mysql_url, *SEED, "-x", "drift=warn", "-x", f"env={env}",
                              "upgrade", "head")  # fmt: skip
        assert refused.code != 0 and f"drift=warn is refused in {env}" in refused.failure
        assert_nothing_written(engine)
    refused = run_alembic(mysql_url, *SEED, "-x", "drift=warn", "upgrade", "head",
                          env={"TERP_ENV": "production"})  # fmt: skip
    assert "drift=warn is refused in production" in refused.failure
    warned = run_alembic(mysql_url, *SEED, "-x", "drift=warn", "upgrade", "head")
    assert warned.code == 0, warned.out + warned.err[-2000:]
    warnings = [json.loads(ln) for ln in warned.err.splitlines() if "drift=warn" in ln]
    assert warnings and warnings[0]["level"] == "WARNING"
    assert "strains.category" in warnings[0]["message"]
    assert table_counts(engine)["strains"] > 0


def test_schema_behind_head_is_refused(mysql_url: str, engine_for: EngineFor) -> None:
    cfg = Config(str(project_root() / "alembic.ini"), ini_section="alembic")
    head = ScriptDirectory.from_config(cfg).get_current_head()
    engine = engine_for(mysql_url)
    empty = run_alembic(mysql_url, *SEED, "upgrade", "head")
    assert empty.failure == (
        f"FAILED: schema is at no revision (empty database), head is {head}: run "
        "`alembic upgrade head` first"
    )
    schema_at_head(mysql_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000_older'"))
    behind = run_alembic(mysql_url, *SEED, "upgrade", "head")
    assert behind.failure == (
        f"FAILED: schema is at 0000_older, head is {head}: run `alembic upgrade head` first"
    )
    assert_nothing_written(engine)
    assert not {"terp_seed_audit", "terp_seed_ledger"} & set(table_counts(engine))


def test_sqlite_gate_runs_too(sqlite_url: str, engine_for: EngineFor) -> None:
    schema_at_head(sqlite_url)
    engine = engine_for(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE strains DROP COLUMN openthcStub"))
    result = run_alembic(sqlite_url, *SEED, "upgrade", "head")
    assert "strains.openthcStub: expected VARCHAR(255), found missing" in result.failure
    assert_nothing_written(engine)
    assert not {"terp_seed_audit", "terp_seed_ledger"} & set(table_counts(engine))

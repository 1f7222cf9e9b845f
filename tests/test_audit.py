"""The audit trail: one row per revision step, failures included, never a password."""

from __future__ import annotations

import getpass
import json
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from terp_seed.db.url import resolve_url
from terp_seed.plan import SeedPlan, load
from terp_seed.runtime.options import parse_options
from terp_seed.runtime.run import SeedRun
from terp_seed.seeding.apply import apply_plan
from terp_seed.store import audit
from terp_seed.testing.plugin import project_root, run_alembic, schema_at_head, table_counts

EngineFor = Callable[[str], sa.Engine]
SEED = ("-n", "seed", "-x", "size=small", "-x", "seed=7")
AUDIT_COLUMNS = {
    "run_id", "revision", "direction", "outcome", "environment", "seed", "size", "db_user",
    "os_user", "host", "started_at", "ended_at", "duration_ms", "rows", "detail",
}  # fmt: skip


def seed_revisions() -> list[str]:
    script = ScriptDirectory.from_config(
        Config(str(project_root() / "alembic.ini"), ini_section="seed")
    )
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def audit_rows(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM terp_seed_audit ORDER BY id")).mappings()
        return [dict(r) for r in rows]


def ledger_per_revision(engine: sa.Engine) -> dict[str, dict[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT revision, table_name, COALESCE(SUM(last_pk - first_pk + 1), 0) "
                "FROM terp_seed_ledger "
                "GROUP BY revision, table_name"
            )
        )
        out: dict[str, dict[str, int]] = {}
        for revision, table, n in rows:
            out.setdefault(revision, {})[table] = int(n)
        return out


def test_one_row_per_revision_step_with_who_what_when(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    up = run_alembic(mysql_url, *SEED, "upgrade", "head")
    assert up.code == 0, up.err[-2000:]
    rows = audit_rows(engine)
    revisions = seed_revisions()
    assert [r["revision"] for r in rows] == revisions
    assert len({r["run_id"] for r in rows}) == 1
    seeded = ledger_per_revision(engine)
    for row in rows:
        assert set(row) >= AUDIT_COLUMNS
        assert row["direction"] == "upgrade" and row["outcome"] == "applied"
        assert row["environment"] == "dev" and row["seed"] == 7 and row["size"] == "small"
        assert row["db_user"].split("@")[0] == "root" and row["os_user"] == getpass.getuser()
        assert row["host"] == socket.gethostname()
        assert isinstance(row["started_at"], datetime)
        assert row["started_at"] <= row["ended_at"] and row["duration_ms"] >= 0
        assert json.loads(row["rows"]) == seeded.get(row["revision"], {})
        assert row["detail"] is None
    assert rows[0]["run_id"] in up.out  # the summary names the run

    down = run_alembic(mysql_url, *SEED, "downgrade", "base")
    assert down.code == 0, down.err[-2000:]
    downs = audit_rows(engine)[len(rows) :]
    assert [r["revision"] for r in downs] == list(reversed(revisions))
    for row in downs:
        assert row["direction"] == "downgrade"
        removed = {t: -n for t, n in json.loads(row["rows"]).items()}
        assert removed == seeded.get(row["revision"], {})
        assert row["outcome"] == ("rolled back" if removed else "nothing-to-remove")


def test_stamp_goes_through_the_runtime_and_is_audited(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    result = run_alembic(mysql_url, *SEED, "stamp", "head")
    assert result.code == 0, result.err[-2000:]
    rows = audit_rows(engine)
    assert [(r["direction"], r["outcome"]) for r in rows] == [("stamp", "stamped")]
    assert rows[0]["revision"] == seed_revisions()[-1]
    assert table_counts(engine)["strains"] == 0


def test_failed_step_is_recorded_outside_its_transaction(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    with engine.begin() as conn:  # the database itself rejects one of the seed's rows
        conn.execute(
            sa.text(
                "CREATE TRIGGER reject_blue_dream BEFORE INSERT ON strains FOR EACH ROW "
                "BEGIN IF NEW.name = 'Blue Dream' THEN SIGNAL SQLSTATE '23000' "
                "SET MESSAGE_TEXT = 'Duplicate entry Blue Dream (rejected by trigger)'; "
                "END IF; END"
            )
        )
    result = run_alembic(mysql_url, *SEED, "upgrade", "head")
    assert result.code != 0
    assert "Traceback" not in result.err
    assert result.failure.startswith("FAILED: revision 0001_reference_data failed in the database")
    assert "Duplicate entry" in result.failure and "nothing of it was written" in result.failure
    rows = audit_rows(engine)
    assert [(r["revision"], r["outcome"]) for r in rows] == [("0001_reference_data", "failed")]
    assert "Duplicate entry" in rows[0]["detail"] and rows[0]["direction"] == "upgrade"
    assert json.loads(rows[0]["rows"]) == {}
    counts = table_counts(engine)
    assert counts["strains"] == 0 and counts["categories"] == 0
    assert counts["terp_seed_ledger"] == 0 and counts["alembic_seed_version"] == 0


@pytest.fixture
def password_user(mysql_url: str, engine_for: EngineFor) -> Iterator[tuple[str, str]]:
    """A MariaDB account with a password, for this test's database only."""
    user, password = f"ts_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    engine = engine_for(mysql_url)
    db = engine.url.database
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"))
        conn.execute(sa.text(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}'"))
        for host in ("%", "localhost"):
            conn.execute(sa.text(f"GRANT ALL ON `{db}`.* TO '{user}'@'{host}'"))
            conn.execute(sa.text(f"GRANT PROCESS ON *.* TO '{user}'@'{host}'"))
    yield user, password
    with engine.begin() as conn:
        for host in ("%", "localhost"):
            conn.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'{host}'"))


def test_password_never_reaches_audit_or_logs(
    mysql_url: str, engine_for: EngineFor, password_user: tuple[str, str], tmp_path: Any
) -> None:
    user, password = password_user
    schema_at_head(mysql_url)
    url = resolve_url(mysql_url, {}).set(username=user, password=password)
    full = url.render_as_string(hide_password=False)
    result = run_alembic(full, *SEED, "upgrade", "head")
    assert result.code == 0, result.err[-2000:]
    rows = audit_rows(engine_for(mysql_url))
    assert rows and all(r["db_user"].split("@")[0] == user for r in rows)
    log_file = tmp_path / "logs" / "terp-seed.log"
    for text in (result.out, result.err, json.dumps(rows, default=str), log_file.read_text()):
        assert password not in text


def test_policy_skip_inserts_nothing_and_says_so(mysql_url: str, engine_for: EngineFor) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_alembic(mysql_url, "-n", "seed", "stamp", "head").code == 0  # creates bookkeeping
    options = parse_options({"env": "production", "size": "small"}, {})
    plan = SeedPlan("test_customer_only", [load("strains")], environments={"dev"})
    with engine.connect() as conn:
        run = SeedRun(options=options, url=resolve_url(mysql_url, {}), connection=conn)
        apply_plan(run, plan)
        result = run.results[-1]
        audit.write(conn, run.identity(), result)
        conn.commit()
    assert result.outcome == "skipped-by-policy" and result.rows == {}
    assert "inserts nothing in production" in (result.detail or "")
    assert table_counts(engine)["strains"] == 0
    row = audit_rows(engine)[-1]
    assert (row["revision"], row["outcome"], row["environment"]) == (
        "test_customer_only",
        "skipped-by-policy",
        "production",
    )


def test_production_upgrade_head_yields_reference_data_only(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    result = run_alembic(mysql_url, *SEED, "-x", "env=production", "upgrade", "head")
    assert result.code == 0, result.err[-2000:]
    rows = audit_rows(engine)
    outcomes = {r["revision"]: r["outcome"] for r in rows}
    assert outcomes.pop("0001_reference_data") == "applied"
    assert set(outcomes.values()) <= {"skipped-by-policy"}
    assert "skipped-by-policy" in result.out
    seeded = ledger_per_revision(engine)
    assert set(seeded) == {"0001_reference_data"}

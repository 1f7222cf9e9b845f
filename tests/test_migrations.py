"""Both lineages end to end on SQLite and MariaDB: up, check, seed, down, nothing left."""

from __future__ import annotations

import sqlalchemy as sa

from terp_seed.schema import TERP_TABLES
from terp_seed.testing.plugin import run_alembic, schema_at_head, table_counts


def test_schema_and_seed_round_trip(any_url: str, engine_for) -> None:
    schema_at_head(any_url)
    check = run_alembic(any_url, "check")
    assert check.code == 0, check.err[-1500:]
    up = run_alembic(any_url, "-n", "seed", "upgrade", "head")
    assert up.code == 0, up.err[-1500:]
    assert "(env dev, size medium, seed 20260101, as of " in up.out
    counts = table_counts(engine_for(any_url))
    # TERP's defaults: six categories, grades A-D
    assert counts["strains"] == 78 and counts["categories"] == 6 and counts["grades"] == 4
    assert counts["terp_seed_ledger"] == sum(counts[t] for t in TERP_TABLES)
    down = run_alembic(any_url, "-n", "seed", "downgrade", "base")
    assert down.code == 0, down.err[-1500:]
    header = next(line for line in down.out.splitlines() if line.startswith("terp-seed run "))
    assert header.endswith("(env dev)"), header  # a downgrade uses no size or seed
    counts = table_counts(engine_for(any_url))
    # history, layout version, the environment the database is bound to
    kept = {"terp_seed_audit", "terp_seed_layout", "terp_seed_environment", "alembic_version"}
    assert {t: n for t, n in counts.items() if n and t not in kept} == {}
    assert run_alembic(any_url, "downgrade", "base").code == 0
    with engine_for(any_url).connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}


def test_seed_history_current_and_sql(sqlite_url: str) -> None:
    schema_at_head(sqlite_url)
    history = run_alembic(sqlite_url, "-n", "seed", "history")
    assert "0001_reference_data" in history.out
    sql = run_alembic(sqlite_url, "-n", "seed", "upgrade", "head", "--sql")
    assert sql.code == 0, sql.err[-1500:]
    assert (
        "INSERT INTO strains" in sql.out
        and "CREATE TABLE IF NOT EXISTS terp_seed_ledger" in sql.out
    )
    assert run_alembic(sqlite_url, "-n", "seed", "upgrade", "head").code == 0
    current = run_alembic(sqlite_url, "-n", "seed", "current")
    assert "0006_sales (head)" in current.out

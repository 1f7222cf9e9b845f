"""Re-running at head changes nothing; a version table stamped back while the rows remained
adopts them instead of inserting duplicates; production gets reference data only."""

from __future__ import annotations

import sqlalchemy as sa

from terp_seed.testing.plugin import run_alembic, schema_at_head, table_checksums, table_counts


def test_rerun_at_head_changes_nothing(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    assert run_alembic(mysql_url, "-n", "seed", "-x", "size=small", "upgrade", "head").code == 0
    engine = engine_for(mysql_url)
    before = {k: v for k, v in table_checksums(engine).items() if k != "terp_seed_audit"}
    again = run_alembic(mysql_url, "-n", "seed", "-x", "size=small", "upgrade", "head")
    assert again.code == 0 and "nothing to do" in again.out
    after = {k: v for k, v in table_checksums(engine).items() if k != "terp_seed_audit"}
    assert after == before


def test_stamped_back_revision_adopts_its_rows(any_url: str, engine_for) -> None:
    schema_at_head(any_url)
    assert run_alembic(any_url, "-n", "seed", "-x", "size=small", "upgrade", "head").code == 0
    engine = engine_for(any_url)
    counts = table_counts(engine)
    assert run_alembic(any_url, "-n", "seed", "stamp", "0003_clients_suppliers").code == 0
    again = run_alembic(any_url, "-n", "seed", "-x", "size=small", "upgrade", "head")
    assert again.code == 0, again.err[-1500:]
    assert "adopted" in again.out
    after = table_counts(engine)
    assert {t: n for t, n in after.items() if t != "terp_seed_audit"} == {
        t: n for t, n in counts.items() if t != "terp_seed_audit"
    }
    with engine.connect() as conn:
        outcomes = conn.execute(
            sa.text("SELECT revision, outcome FROM terp_seed_audit WHERE outcome = 'adopted'")
        ).all()
    assert {r for r, _ in outcomes} == {"0004_catalogue", "0005_inventory", "0006_sales"}


def test_production_gets_reference_data_only(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    result = run_alembic(mysql_url, "-n", "seed", "-x", "env=production", "upgrade", "head")
    assert result.code == 0, result.err[-1500:]
    assert "skipped-by-policy" in result.out
    counts = table_counts(engine_for(mysql_url))
    assert counts["strains"] == 78 and counts["categories"] == 6  # TERP's defaults
    for table in ("users", "clients", "products", "batches", "orders", "payments"):
        assert counts[table] == 0, table
    with engine_for(mysql_url).connect() as conn:
        skipped = conn.execute(
            sa.text("SELECT COUNT(*) FROM terp_seed_audit WHERE outcome = 'skipped-by-policy'")
        ).scalar_one()
        version = conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar_one()
    assert skipped == 5 and version == "0006_sales"


def test_existing_reference_rows_are_kept_and_not_claimed(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    with engine.begin() as conn:  # a real, soft-deleted strain still holds its unique name
        conn.execute(
            sa.text(
                "INSERT INTO strains (id, name, standardizedName, deleted_at) "
                "VALUES (500, 'Blue Dream', 'Blue Dream', NOW())"
            )
        )
        conn.execute(sa.text("INSERT INTO grades (name, isActive) VALUES ('A', 1)"))
    result = run_alembic(mysql_url, "-n", "seed", "upgrade", "0001_reference_data")
    assert result.code == 0, result.err[-1500:]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM strains")).scalar() == 78
        assert conn.execute(sa.text("SELECT COUNT(*) FROM grades")).scalar() == 4  # A-D
        seeded = conn.execute(
            sa.text(
                "SELECT COALESCE(SUM(last_pk - first_pk + 1), 0) "
                "FROM terp_seed_ledger WHERE table_name = 'strains'"
            )
        ).scalar()
    assert seeded == 77
    assert run_alembic(mysql_url, "-n", "seed", "downgrade", "base").code == 0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM strains")).scalars().all() == ["Blue Dream"]
        assert conn.execute(sa.text("SELECT name FROM grades")).scalars().all() == ["A"]

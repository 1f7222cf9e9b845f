"""``-x dry_run=1``: the real run in a transaction that is rolled back; nothing changes."""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa

from terp_seed.testing.plugin import (
    run_alembic,
    run_cli,
    schema_at_head,
    table_checksums,
    table_counts,
)

EngineFor = Callable[[str], sa.Engine]
SEED = ("-n", "seed", "-x", "size=small")
DRY = (*SEED, "-x", "dry_run=1")


def rows_reported(out: str) -> dict[str, int]:
    """The summary's "rows ... per table" block, as numbers."""
    block = out.split("per table:", 1)[1] if "per table:" in out else ""
    found = re.findall(r"^\s+(\w+)\s+([+-][\d,]+)$", block, re.M)
    return {table: int(n.replace(",", "")) for table, n in found}


def test_dry_run_upgrade_after_init_changes_nothing(any_url: str, engine_for: EngineFor) -> None:
    schema_at_head(any_url)
    assert run_cli(any_url, "init").code == 0
    engine = engine_for(any_url)
    before = table_checksums(engine)
    result = run_alembic(any_url, *DRY, "upgrade", "head")
    assert result.code == 0, result.out + result.err[-2000:]
    assert table_checksums(engine) == before
    assert "DRY RUN: nothing was written" in result.out
    reported = rows_reported(result.out)
    assert reported.get("strains", 0) > 0 and reported.get("categories", 0) > 0, result.out
    # what it reported is what a real run then inserts
    real = run_alembic(any_url, *SEED, "upgrade", "head")
    assert real.code == 0, real.err[-2000:]
    counts = table_counts(engine)
    assert {t: counts[t] for t in reported} == reported


def test_dry_run_after_a_real_run_changes_nothing(any_url: str, engine_for: EngineFor) -> None:
    schema_at_head(any_url)
    assert run_alembic(any_url, *SEED, "upgrade", "head").code == 0
    engine = engine_for(any_url)
    before = table_checksums(engine)
    assert before["terp_seed_audit"] and before["alembic_seed_version"]
    again = run_alembic(any_url, *DRY, "upgrade", "head")
    assert again.code == 0 and table_checksums(engine) == before
    down = run_alembic(any_url, *DRY, "downgrade", "base")
    assert down.code == 0, down.out + down.err[-2000:]
    assert table_checksums(engine) == before
    removed = rows_reported(down.out)
    assert removed.get("strains", 0) == -table_counts(engine)["strains"], down.out
    stamp = run_alembic(any_url, *DRY, "stamp", "base")
    assert stamp.code == 0, stamp.out + stamp.err[-2000:]
    assert table_checksums(engine) == before


def test_dry_run_on_a_freshly_migrated_database(any_url: str, engine_for: EngineFor) -> None:
    """No `terp-seed init` first: the dry run uses TEMPORARY stand-ins for terp-seed's own
    tables, and leaves the database without them."""
    schema_at_head(any_url)
    engine = engine_for(any_url)
    before = table_checksums(engine)
    assert "terp_seed_ledger" not in before
    result = run_alembic(any_url, *DRY, "upgrade", "head")
    assert result.code == 0, result.out + result.err[-2000:]
    assert table_checksums(engine) == before  # not one table more, not one row
    reported = rows_reported(result.out)
    assert reported.get("clients", 0) > 0, result.out
    cli = run_cli(any_url, "seed", "--table", "clients", "--size", "5", "--dry-run")
    assert cli.code == 0, cli.err[-2000:]
    assert table_checksums(engine) == before
    real = run_alembic(any_url, *SEED, "upgrade", "head")
    assert real.code == 0, real.err[-2000:]
    counts = table_counts(engine)
    assert {t: counts[t] for t in reported} == reported


def _counters(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT IS NOT NULL"
            )
        )
        return {str(t): int(n) for t, n in rows}


def _first_keys(engine: sa.Engine) -> dict[str, int | None]:
    with engine.connect() as conn:
        return {
            t: conn.execute(sa.text(f"SELECT MIN(id) FROM `{t}`")).scalar()
            for t in ("clients", "products", "orders", "batches", "strains")
        }


def test_dry_run_leaves_auto_increment_as_it_was(mysql_url: str, engine_for: EngineFor) -> None:
    """The rows a real run inserts after a dry run are the rows it inserts without one, keys
    included: the dry run's rolled-back inserts move no AUTO_INCREMENT."""
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_cli(mysql_url, "init").code == 0
    before = _counters(engine)
    assert run_alembic(mysql_url, *DRY, "upgrade", "head").code == 0
    assert run_cli(mysql_url, "seed", "--table", "clients", "--size", "5", "--dry-run").code == 0
    assert _counters(engine) == before
    assert run_alembic(mysql_url, *SEED, "upgrade", "head").code == 0
    assert _first_keys(engine) == dict.fromkeys(_first_keys(engine), 1)
    seeded = _counters(engine)
    # and a dry run of the downgrade, then of another upgrade, leaves them too
    assert run_alembic(mysql_url, *DRY, "downgrade", "base").code == 0
    assert run_cli(mysql_url, "seed", "--table", "orders", "--size", "5", "--dry-run").code == 0
    assert _counters(engine) == seeded


def test_sql_preview_needs_no_database() -> None:
    url = "mysql+pymysql://nobody:hunter2-secret@127.0.0.1:1/none"
    result = run_alembic(url, *SEED, "upgrade", "head", "--sql")
    assert result.code == 0, result.err[-2000:]
    assert "INSERT INTO strains" in result.out
    assert "hunter2-secret" not in result.out + result.err

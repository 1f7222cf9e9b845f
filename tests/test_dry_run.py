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


def test_dry_run_needs_the_bookkeeping_tables(any_url: str, engine_for: EngineFor) -> None:
    schema_at_head(any_url)
    engine = engine_for(any_url)
    before = table_checksums(engine)
    result = run_alembic(any_url, *DRY, "upgrade", "head")
    assert result.code != 0
    assert "dry run needs terp-seed's own tables" in result.failure
    assert "terp-seed init" in result.failure
    assert table_checksums(engine) == before


def test_sql_preview_needs_no_database() -> None:
    url = "mysql+pymysql://nobody:hunter2-secret@127.0.0.1:1/none"
    result = run_alembic(url, *SEED, "upgrade", "head", "--sql")
    assert result.code == 0, result.err[-2000:]
    assert "INSERT INTO strains" in result.out
    assert "hunter2-secret" not in result.out + result.err

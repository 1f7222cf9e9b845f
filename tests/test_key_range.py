"""Keys stay inside the id column's range, with room for the application, and a run that dies
does not keep the keys it reserved (issue 22, item 8). Real MariaDB: the live column type, the
real AUTO_INCREMENT and the application's own inserts decide."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_keys import _app_client  # the application inserts, taking AUTO_INCREMENT keys

from terp_seed import sizes
from terp_seed.errors import ConfigError
from terp_seed.runtime.key_blocks import auto_increment, reserve
from terp_seed.runtime.lock import seed_lock
from terp_seed.testing.plugin import run_alembic, run_cli, schema_at_head, table_counts

SEED = ("-n", "seed", "-x", "size=small")
EngineFor = Callable[[str], sa.Engine]
INT_MAX = 2_147_483_647


def test_size_has_a_documented_maximum() -> None:
    assert sizes.parse_size("100000").count("clients") == 100_000
    with pytest.raises(ConfigError, match="from 1 to 100,000"):
        sizes.parse_size("2000000000")


def test_huge_size_is_refused_before_anything_is_reserved(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    with engine.connect() as conn:
        before = auto_increment(conn, "clients")
    result = run_alembic(mysql_url, "-n", "seed", "-x", "size=2000000000", "upgrade", "head")
    assert result.code != 0 and "from 1 to 100,000" in result.failure
    with engine.connect() as conn:
        assert auto_increment(conn, "clients") == before
    assert table_counts(engine)["clients"] == 0


def test_no_block_is_reserved_past_half_the_column(mysql_url: str, engine_for: EngineFor) -> None:
    """The application has used keys up to near half of INT: a seed is refused, the counter is
    left where it was and the application goes on inserting."""
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_alembic(mysql_url, *SEED, "upgrade", "0002_staff_users").code == 0
    with engine.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE clients AUTO_INCREMENT = {INT_MAX // 2 - 500}"))
        app = _app_client(conn, 1)
    result = run_alembic(mysql_url, *SEED, "upgrade", "0003_clients_suppliers")
    assert result.code != 0, result.err[-2000:]
    assert "past the largest key terp-seed takes there, 1,073,741,823" in result.failure
    with engine.begin() as conn:
        assert auto_increment(conn, "clients") == app + 1
        assert _app_client(conn, 2) == app + 1
        assert conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar() == 2


def test_csv_key_at_the_column_maximum_is_refused(
    mysql_url: str, engine_for: EngineFor, tmp_path: Path
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    path = tmp_path / "clients.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "teri_code", "name"])
        writer.writerow([7, "CSV00007", "Seven"])
        writer.writerow([INT_MAX, "CSV99999", "Last key"])
    result = run_cli(mysql_url, "load", "--table", "clients", "--csv", str(path))
    assert result.code != 0, result.err[-2000:]
    assert "line 3, column id: 2147483647 is past the largest key" in result.failure
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar() == 0
        assert _app_client(conn, 1) == 1  # the application's counter is untouched


def test_keys_a_dead_run_reserved_are_given_back_by_the_next_run(
    mysql_url: str, engine_for: EngineFor
) -> None:
    """A run that reserved keys and died (here: it never reached its release, as when it is
    killed) leaves its note; the next run, under the lock, lowers the counter back."""
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_cli(mysql_url, "init").code == 0
    with engine.begin() as conn:
        app = _app_client(conn, 1)
    with seed_lock(engine, 5), engine.connect() as conn:
        blocks = reserve(conn, {"clients": 100_000, "vendors": 50})
        conn.rollback()
    with engine.connect() as conn:
        assert auto_increment(conn, "clients") == blocks["clients"].end > app + 100_000
    with engine.begin() as conn:  # the application inserts into vendors after the crash
        conn.execute(sa.text("INSERT INTO vendors (name) VALUES ('App vendor')"))
        vendor = int(conn.execute(sa.text("SELECT LAST_INSERT_ID()")).scalar_one())
    assert vendor == blocks["vendors"].end
    result = run_cli(mysql_url, "seed", "--table", "users", "--size", "2")
    assert result.code == 0, result.err[-2000:]
    with engine.begin() as conn:
        assert auto_increment(conn, "clients") == app + 1  # given back
        assert auto_increment(conn, "vendors") == vendor + 1  # the application's, kept
        assert (
            conn.execute(sa.text("SELECT COUNT(*) FROM terp_seed_key_reservations")).scalar() == 0
        )
        assert _app_client(conn, 2) == app + 1

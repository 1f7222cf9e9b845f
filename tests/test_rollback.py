"""Rollback removes exactly what a seed inserted, refuses rather than orphan real rows, backs
up before it deletes outside dev, and leaves nothing partial when a revision fails."""

from __future__ import annotations

import signal
import time

import sqlalchemy as sa
from support.holds import hold_ledger, waiting_on_ledger

from terp_seed.testing.plugin import (
    ledger_entries,
    run_alembic,
    run_cli,
    schema_at_head,
    spawn,
    table_checksums,
    table_counts,
)

SEED = ("-n", "seed", "-x", "size=small")


def _seed(url: str, *extra: str) -> None:
    result = run_alembic(url, *SEED, *extra, "upgrade", "head")
    assert result.code == 0, result.err[-2000:]


def _app_rows(conn: sa.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Rows that are not in the ledger, per table: what the application made."""
    out = {}
    for table in ("users", "clients", "orders", "batches", "products", "categories"):
        q = sa.text(
            f"SELECT * FROM `{table}` t WHERE NOT EXISTS (SELECT 1 FROM terp_seed_ledger l "
            f"WHERE l.table_name = '{table}' AND t.id BETWEEN l.first_pk AND l.last_pk) "
            "ORDER BY id"
        )
        out[table] = [tuple(r) for r in conn.execute(q)]
    return out


def test_refuses_to_orphan_then_removes_only_seeded_rows(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    _seed(mysql_url)
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO clients (teri_code, name) VALUES ('APP0001', 'App Co')"))
        app_client = conn.execute(sa.text("SELECT LAST_INSERT_ID()")).scalar_one()
        conn.execute(sa.text("INSERT INTO users (openId, name) VALUES ('app-user', 'App User')"))
        app_user = conn.execute(sa.text("SELECT LAST_INSERT_ID()")).scalar_one()
        seeded_client = conn.execute(
            sa.text("SELECT first_pk FROM terp_seed_ledger WHERE table_name='clients' LIMIT 1")
        ).scalar_one()
        seeded_product = conn.execute(
            sa.text("SELECT first_pk FROM terp_seed_ledger WHERE table_name='products' LIMIT 1")
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO orders (order_number, orderType, client_id, items, subtotal, total, "
                "created_by) VALUES ('APP-1', 'SALE', :c, '[]', 0, 0, :u)"
            ),
            {"c": seeded_client, "u": app_user},
        )
        conn.execute(
            sa.text(
                "INSERT INTO orders (order_number, orderType, client_id, items, subtotal, total, "
                "created_by) VALUES ('APP-2', 'SALE', :c, '[]', 0, 0, :u)"
            ),
            {"c": app_client, "u": app_user},
        )
        conn.execute(
            sa.text(
                "INSERT INTO batches (code, sku, productId, lotId, cogsMode, paymentTerms) "
                "VALUES ('APP-B1', 'APP-SKU-1', :p, 999999, 'FIXED', 'COD')"
            ),
            {"p": seeded_product},
        )
        before = _app_rows(conn)

    seeded_before = table_counts(engine)
    refused = run_alembic(mysql_url, "-n", "seed", "downgrade", "base")
    assert refused.code != 0
    assert "refused before anything was deleted" in refused.failure
    # every revision's blockers are named: 0004's batch and 0003's order
    assert "batches id=" in refused.failure and "productId -> products.id" in refused.failure
    assert "orders id=" in refused.failure and "client_id -> clients.id" in refused.failure
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar()
        assert version == "0006_sales"  # not one revision was removed
        assert _app_rows(conn)["batches"] == before["batches"]
    after = table_counts(engine)
    assert after.pop("terp_seed_audit") == seeded_before.pop("terp_seed_audit") + 1  # the refusal
    assert after == seeded_before

    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM batches WHERE code = 'APP-B1'"))
        conn.execute(sa.text("DELETE FROM orders WHERE order_number = 'APP-1'"))
        before = _app_rows(conn)
    done = run_alembic(mysql_url, "-n", "seed", "downgrade", "base")
    assert done.code == 0, done.err[-2000:]
    with engine.connect() as conn:
        assert _app_rows(conn) == before
        assert (
            conn.execute(
                sa.text("SELECT COALESCE(SUM(last_pk - first_pk + 1), 0) FROM terp_seed_ledger")
            ).scalar()
            == 0
        )
        assert conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar() == 1


def test_backup_rollback_restore_round_trip(mysql_url: str, engine_for, tmp_path) -> None:
    schema_at_head(mysql_url)
    _seed(mysql_url, "-x", "env=staging")
    engine = engine_for(mysql_url)
    db = mysql_url.rsplit("/", 1)[1]

    def state() -> dict[str, object]:
        sums = table_checksums(engine)
        with engine.connect() as conn:
            sums["terp_seed_ledger"] = ledger_entries(conn)  # restored as ranges of its own
        sums.pop("terp_seed_audit")
        return sums

    before = state()
    unconfirmed = run_cli(mysql_url, "rollback", "--revision", "0006_sales", "--env", "staging")
    assert unconfirmed.code != 0 and "confirm" in unconfirmed.failure
    assert state() == before
    done = run_cli(
        mysql_url, "rollback", "--revision", "0006_sales", "--env", "staging", "--confirm", db
    )
    assert done.code == 0, done.err[-2000:]
    assert table_counts(engine)["orders"] == 0
    backups = list((tmp_path / "backups").glob("*.jsonl"))
    assert len(backups) == 1
    restored = run_cli(mysql_url, "restore", str(backups[0]), "--env", "staging", "--confirm", db)
    assert restored.code == 0, restored.err[-2000:]
    assert state() == before
    twice = run_cli(mysql_url, "restore", str(backups[0]), "--env", "staging", "--confirm", db)
    assert twice.code != 0 and "exists" in twice.failure
    assert state() == before
    # the restored rows are seeded rows again: the revision still rolls back cleanly
    assert (
        run_alembic(
            mysql_url,
            "-n",
            "seed",
            "-x",
            "env=staging",
            "-x",
            f"confirm={db}",
            "downgrade",
            "0005_inventory",
        ).code
        == 0
    )
    assert table_counts(engine)["orders"] == 0
    # a downgrade of two revisions outside dev backs up twice in one run: two files
    two = run_alembic(
        mysql_url, "-n", "seed", "-x", "env=staging", "-x", f"confirm={db}", "downgrade", "0003"
    )
    assert two.code == 0, two.err[-2000:]
    counts = table_counts(engine)
    assert counts["batches"] == 0 and counts["products"] == 0 and counts["clients"] > 0
    names = sorted(p.name for p in (tmp_path / "backups").glob("*.jsonl"))
    assert len(names) == 4 and sum(n.endswith("-2.jsonl") for n in names) == 1, names


def test_rows_changed_since_seeding(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    _seed(mysql_url, "-x", "env=staging")
    engine = engine_for(mysql_url)
    db = mysql_url.rsplit("/", 1)[1]
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE orders SET notes = 'called the client' ORDER BY id LIMIT 1"))
    refused = run_alembic(
        mysql_url, "-n", "seed", "-x", "env=staging", "-x", f"confirm={db}", "downgrade", "-1"
    )
    assert refused.code != 0 and "changed since seeding" in refused.failure
    assert table_counts(engine)["orders"] > 0
    ok = run_alembic(
        mysql_url,
        "-n",
        "seed",
        "-x",
        "env=staging",
        "-x",
        f"confirm={db}",
        "-x",
        "include_modified=1",
        "downgrade",
        "-1",
    )
    assert ok.code == 0, ok.err[-2000:]
    assert table_counts(engine)["orders"] == 0


def test_failure_in_fourth_revision_leaves_first_three(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    with engine.begin() as conn:  # the database itself fails the 5th product insert
        conn.execute(
            sa.text(
                "CREATE TRIGGER boom BEFORE INSERT ON products FOR EACH ROW "
                "BEGIN IF NEW.id = 5 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom'; "
                "END IF; END"
            )
        )
    failed = run_alembic(mysql_url, *SEED, "upgrade", "head")
    assert failed.code != 0 and "0004_catalogue" in failed.failure and "boom" in failed.failure
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar() == (
            "0003_clients_suppliers"
        )
        for table in ("brands", "products"):
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0
        assert (
            conn.execute(
                sa.text(
                    "SELECT COALESCE(SUM(last_pk - first_pk + 1), 0) "
                    "FROM terp_seed_ledger WHERE revision = '0004_catalogue'"
                )
            ).scalar()
            == 0
        )
        outcome = conn.execute(
            sa.text("SELECT outcome FROM terp_seed_audit WHERE revision = '0004_catalogue'")
        ).scalar()
        assert outcome == "failed"
        conn.execute(sa.text("DROP TRIGGER boom"))
    for _ in range(3):
        assert run_alembic(mysql_url, "-n", "seed", "downgrade", "-1").code == 0
    counts = table_counts(engine)
    assert counts["terp_seed_ledger"] == 0 and counts["clients"] == 0 and counts["strains"] == 0


def _wait_for_rows(engine: sa.Engine, table: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            # READ UNCOMMITTED sees the running revision's rows before it commits
            conn.execute(sa.text("SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED"))
            if conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar():
                return
        time.sleep(0.05)
    raise AssertionError(f"no {table} rows appeared")


def _wait_for_held(engine: sa.Engine, timeout: float = 60) -> list[int]:
    """Connection ids of seed sessions held mid-revision (orders written, uncommitted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = waiting_on_ledger(engine)  # at payments, or earlier (see waiting_on_ledger)
        if waiting:
            _wait_for_rows(engine, "orders")
            return waiting
        time.sleep(0.05)
    raise AssertionError("the seed never reached its ledger recording")


def _assert_consistent(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar()
        assert version == "0005_inventory"
        for table in ("orders", "order_line_items", "invoices", "payments"):
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0
        ledger = conn.execute(
            sa.text(
                "SELECT COALESCE(SUM(last_pk - first_pk + 1), 0) "
                "FROM terp_seed_ledger WHERE revision = '0006_sales'"
            )
        ).scalar()
        assert ledger == 0


def _interrupt(url: str, engine: sa.Engine, how: str) -> str:
    """Start seeding 0006, hold it mid-revision (its ledger recording waits on our
    uncommitted ledger row, with its orders and more written), then SIGKILL it or KILL its
    connection."""
    blocker = hold_ledger(engine, "payments")
    proc = spawn(url, "alembic", "-n", "seed", "-x", "size=large", "upgrade", "head")
    try:
        waiting = _wait_for_held(engine)
        if how == "sigkill":
            proc.send_signal(signal.SIGKILL)
        else:
            with engine.begin() as conn:
                for cid in waiting:
                    conn.execute(sa.text(f"KILL {int(cid)}"))
        blocker.rollback()
        out, err = proc.communicate(timeout=60)
        return out + err
    finally:
        blocker.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigkill_and_kill_mid_revision_leave_nothing_partial(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    up = run_alembic(mysql_url, "-n", "seed", "-x", "size=large", "upgrade", "0005_inventory")
    assert up.code == 0
    _interrupt(mysql_url, engine, "sigkill")
    _assert_consistent(engine)
    err = _interrupt(mysql_url, engine, "kill")
    assert "FAILED:" in err and "Traceback" not in err, err[-2000:]
    _assert_consistent(engine)
    with engine.connect() as conn:
        outcome = conn.execute(
            sa.text("SELECT outcome FROM terp_seed_audit WHERE revision = '0006_sales'")
        ).scalar()
    assert outcome == "failed"
    # and a plain re-run completes
    again = run_alembic(mysql_url, "-n", "seed", "-x", "size=large", "upgrade", "head")
    assert again.code == 0, again.err[-2000:]
    assert table_counts(engine)["orders"] == 2000

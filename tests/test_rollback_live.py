"""Rollback sees the live database, not only the models: foreign keys and columns the
application added, TERP's app-level references outside the models (invoices.referenceId, ids
inside orders.items), and seeded rows changed since seeding in every environment."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from terp_seed.seeding.rollback import rollback_scope
from terp_seed.testing.plugin import run_alembic, run_cli, schema_at_head, table_counts

SEED = ("-n", "seed", "-x", "size=small")


def _staging(url: str) -> tuple[str, ...]:
    return ("-n", "seed", "-x", "env=staging", "-x", f"confirm={url.rsplit('/', 1)[1]}")


def _up(url: str, target: str, *extra: str) -> None:
    result = run_alembic(url, *SEED, *extra, "upgrade", target)
    assert result.code == 0, result.err[-2000:]


def _first_seeded(conn: sa.Connection, table: str) -> int:
    return int(
        conn.execute(
            sa.text("SELECT MIN(first_pk) FROM terp_seed_ledger WHERE table_name = :t"),
            {"t": table},
        ).scalar_one()
    )


def _version(conn: sa.Connection) -> str:
    return str(conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar())


def _app_row(engine: sa.Engine, sql: str, **params: object) -> int:
    """Insert one row as the application would; its key."""
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)
        return int(conn.execute(sa.text("SELECT LAST_INSERT_ID()")).scalar_one())


def _backups(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "backups").glob("*.jsonl"))


def test_live_foreign_keys_of_app_tables_block(mysql_url: str, engine_for, tmp_path) -> None:
    schema_at_head(mysql_url)
    _up(mysql_url, "0003_clients_suppliers", "-x", "env=staging")
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        client = _first_seeded(conn, "clients")
        for table, rule in (("client_notes", "CASCADE"), ("client_flags", "RESTRICT")):
            conn.execute(
                sa.text(
                    f"CREATE TABLE {table} (id INT AUTO_INCREMENT PRIMARY KEY, client_id INT, "
                    f"note TEXT, FOREIGN KEY (client_id) REFERENCES clients (id) "
                    f"ON DELETE {rule}) ENGINE=InnoDB"
                )
            )
            conn.execute(
                sa.text(f"INSERT INTO {table} (client_id, note) VALUES (:c, 'called')"),
                {"c": client},
            )
        # a column the application added to a TERP table, with a foreign key: a seeded user
        # (of another revision) now points at a client this downgrade would delete
        user = _first_seeded(conn, "users")
        conn.execute(sa.text("ALTER TABLE users ADD client_id INT REFERENCES clients (id)"))
        conn.execute(
            sa.text("UPDATE users SET client_id = :c WHERE id = :u"), {"c": client, "u": user}
        )
    before = table_counts(engine)["clients"]

    refused = run_alembic(mysql_url, *_staging(mysql_url), "downgrade", "-1")
    assert refused.code != 0
    assert "client_notes id=1 (client_id -> clients.id, live foreign key ON DELETE CASCADE)" in (
        refused.failure
    ), refused.failure
    assert "client_flags id=1 (client_id -> clients.id, live foreign key ON DELETE RESTRICT)" in (
        refused.failure
    )
    assert f"users id={user} (client_id -> clients.id, live foreign key ON DELETE RESTRICT)" in (
        refused.failure
    )
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM client_notes")).scalar() == 1
        assert conn.execute(sa.text("SELECT COUNT(*) FROM client_flags")).scalar() == 1
        assert _version(conn) == "0003_clients_suppliers"
    assert table_counts(engine)["clients"] == before
    assert _backups(tmp_path) == []  # refused before the backup: no file of a rollback not done

    with engine.begin() as conn:  # the application's rows gone, the rollback goes through
        conn.execute(sa.text("DELETE FROM client_notes"))
        conn.execute(sa.text("DELETE FROM client_flags"))
        conn.execute(sa.text("UPDATE users SET client_id = NULL"))
    done = run_alembic(mysql_url, *_staging(mysql_url), "downgrade", "-1")
    assert done.code == 0, done.err[-2000:]
    assert table_counts(engine)["clients"] == 0


def test_app_column_data_is_a_change_and_is_backed_up(mysql_url: str, engine_for, tmp_path) -> None:
    schema_at_head(mysql_url)
    _up(mysql_url, "0003_clients_suppliers", "-x", "env=staging")
    engine = engine_for(mysql_url)
    db = mysql_url.rsplit("/", 1)[1]
    with engine.begin() as conn:
        client = _first_seeded(conn, "clients")
        # columns whose value on the seeded rows is the database's own (default, implicit zero)
        # are no data; crm_notes written on one seeded client is
        conn.execute(
            sa.text(
                "ALTER TABLE clients ADD crm_notes TEXT, ADD tier INT NOT NULL DEFAULT 0, "
                "ADD region VARCHAR(10) DEFAULT 'west', ADD seen_at TIMESTAMP NULL"
            )
        )
        conn.execute(sa.text("UPDATE clients SET crm_notes = 'VIP' WHERE id = :c"), {"c": client})
    before = table_counts(engine)["clients"]

    refused = run_alembic(mysql_url, *_staging(mysql_url), "downgrade", "-1")
    assert refused.code != 0
    assert f"(clients id={client}; data in column(s) the application added: clients.crm_notes)" in (
        refused.failure
    ), refused.failure
    assert table_counts(engine)["clients"] == before
    assert _backups(tmp_path) == []

    done = run_alembic(
        mysql_url, *_staging(mysql_url), "-x", "include_modified=1", "downgrade", "-1"
    )
    assert done.code == 0, done.err[-2000:]
    assert table_counts(engine)["clients"] == 0
    [backup] = _backups(tmp_path)
    lines = [json.loads(line) for line in backup.read_text().splitlines()[1:]]
    rows = [line for line in lines if "table" in line]  # the last line is the trailer
    saved = {r["row"]["id"]: r["row"] for r in rows if r["table"] == "clients"}
    assert saved[client]["crm_notes"] == "VIP" and saved[client]["region"] == "west"

    restored = run_cli(mysql_url, "restore", str(backup), "--env", "staging", "--confirm", db)
    assert restored.code == 0, restored.err[-2000:]
    with engine.connect() as conn:
        notes = conn.execute(
            sa.text("SELECT crm_notes, tier, region FROM clients WHERE id = :c"), {"c": client}
        ).one()
    assert tuple(notes) == ("VIP", 0, "west")
    assert table_counts(engine)["clients"] == before


def test_app_references_outside_the_models_block(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    _up(mysql_url, "head")
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        order = _first_seeded(conn, "orders")
        client = _first_seeded(conn, "clients")
        user = _first_seeded(conn, "users")
        batch = _first_seeded(conn, "batches")
    invoice = _app_row(
        engine,
        "INSERT INTO invoices (invoiceNumber, customerId, invoiceDate, dueDate, subtotal, "
        "totalAmount, amountDue, createdBy, referenceType, referenceId) VALUES "
        "('APP-INV-1', :c, '2026-01-01', '2026-01-31', 1, 1, 1, :u, ' order', :o)",
        c=client,
        u=user,
        o=order,
    )
    orders_before = table_counts(engine)["orders"]

    refused = run_alembic(mysql_url, "-n", "seed", "downgrade", "-1")
    assert refused.code != 0
    assert f"invoices id={invoice} (referenceId -> orders.id, TERP app reference" in (
        refused.failure
    ), refused.failure
    assert table_counts(engine)["orders"] == orders_before

    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM invoices WHERE id = :i"), {"i": invoice})
    assert run_alembic(mysql_url, "-n", "seed", "downgrade", "-1").code == 0
    items = json.dumps([{"batchId": str(batch), "quantity": 1, "unitPrice": 5}])
    app_order = _app_row(
        engine,
        "INSERT INTO orders (order_number, orderType, client_id, items, subtotal, total, "
        "created_by) VALUES ('APP-1', 'SALE', :c, :items, 5, 5, :u)",
        c=client,
        items=items,
        u=user,
    )
    batches_before = table_counts(engine)["batches"]

    refused = run_alembic(mysql_url, "-n", "seed", "downgrade", "-1")
    assert refused.code != 0
    assert f"orders id={app_order} (items[].batchId -> batches.id, JSON)" in refused.failure
    assert table_counts(engine)["batches"] == batches_before
    with engine.connect() as conn:
        assert _version(conn) == "0005_inventory"


def test_changed_rows_are_kept_in_dev_too(mysql_url: str, engine_for, tmp_path) -> None:
    schema_at_head(mysql_url)
    _up(mysql_url, "0003_clients_suppliers")  # dev
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        edited = _first_seeded(conn, "clients")
        conn.execute(sa.text("UPDATE clients SET name = 'Edited Co' WHERE id = :c"), {"c": edited})
        # the application deleted a seeded client and inserted its own with that key
        reused = edited + 1
        row = conn.execute(
            sa.text("SELECT teri_code FROM clients WHERE id = :c"), {"c": reused}
        ).scalar_one()
        conn.execute(sa.text("DELETE FROM supplier_profiles WHERE client_id = :c"), {"c": reused})
        conn.execute(sa.text("DELETE FROM clients WHERE id = :c"), {"c": reused})
        conn.execute(
            sa.text("INSERT INTO clients (id, teri_code, name) VALUES (:c, :t, 'Real Co')"),
            {"c": reused, "t": row},
        )
    before = table_counts(engine)["clients"]

    refused = run_alembic(mysql_url, "-n", "seed", "downgrade", "-1")
    assert refused.code != 0
    assert f"(clients id={edited},{reused}" in refused.failure, refused.failure
    assert table_counts(engine)["clients"] == before
    with engine.connect() as conn:
        names = conn.execute(
            sa.text("SELECT name FROM clients WHERE id IN (:a, :b) ORDER BY id"),
            {"a": edited, "b": reused},
        ).scalars()
        assert list(names) == ["Edited Co", "Real Co"]

    done = run_alembic(mysql_url, "-n", "seed", "-x", "include_modified=1", "downgrade", "-1")
    assert done.code == 0, done.err[-2000:]
    assert table_counts(engine)["clients"] == 0


def test_status_names_applied_revisions_whose_rows_rollback_removed(
    mysql_url: str, engine_for
) -> None:
    schema_at_head(mysql_url)
    _up(mysql_url, "head")
    engine = engine_for(mysql_url)
    with engine.connect() as conn:
        before = {
            (str(r), str(t)): int(n)
            for r, t, n in conn.execute(
                sa.text(
                    "SELECT revision, table_name, SUM(last_pk - first_pk + 1) "
                    "FROM terp_seed_ledger GROUP BY revision, table_name"
                )
            )
        }
    assert json.loads(run_cli(mysql_url, "status", "--json").out)["removed"] == {}

    done = run_cli(mysql_url, "rollback", "--table", "clients")
    assert done.code == 0, done.err[-2000:]
    assert "the seed lineage was not moved" in done.out
    removed = json.loads(run_cli(mysql_url, "status", "--json").out)["removed"]
    tables = rollback_scope(table="clients").tables or ()
    expected: dict[str, dict[str, int]] = {}
    for (revision, table), n in before.items():
        if table in tables:
            expected.setdefault(revision, {})[table] = n
    assert removed == expected and "0003_clients_suppliers" in expected
    assert table_counts(engine)["clients"] == 0
    text = run_cli(mysql_url, "status").out
    assert "revision 0003_clients_suppliers is applied, but terp-seed rollback removed" in text

    # what status advises: downgrade below the revision, upgrade head; then data and lineage agree
    assert run_alembic(mysql_url, "-n", "seed", "downgrade", "0002_staff_users").code == 0
    _up(mysql_url, "head")
    assert json.loads(run_cli(mysql_url, "status", "--json").out)["removed"] == {}
    assert table_counts(engine)["clients"] == before[("0003_clients_suppliers", "clients")]


def test_the_embedded_default_sees_live_keys_and_columns_too(sqlite_url: str, engine_for) -> None:
    """SQLite: foreign keys from ``PRAGMA foreign_key_list``, columns from ``PRAGMA
    table_info``."""
    schema_at_head(sqlite_url)
    _up(sqlite_url, "0003_clients_suppliers")
    engine = engine_for(sqlite_url)
    with engine.begin() as conn:
        client = _first_seeded(conn, "clients")
        conn.execute(
            sa.text(
                "CREATE TABLE client_notes (id INTEGER PRIMARY KEY, client_id INTEGER "
                "REFERENCES clients (id) ON DELETE CASCADE, note TEXT)"
            )
        )
        conn.execute(sa.text("INSERT INTO client_notes (client_id) VALUES (:c)"), {"c": client})
    before = table_counts(engine)["clients"]

    refused = run_alembic(sqlite_url, "-n", "seed", "downgrade", "-1")
    assert refused.code != 0
    assert "client_notes id=1 (client_id -> clients.id, live foreign key ON DELETE CASCADE)" in (
        refused.failure
    ), refused.failure
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM client_notes")).scalar() == 1
        conn.execute(sa.text("DROP TABLE client_notes"))
        conn.execute(sa.text("ALTER TABLE clients ADD crm_notes TEXT"))
        conn.execute(sa.text("UPDATE clients SET crm_notes = 'VIP' WHERE id = :c"), {"c": client})

    refused = run_alembic(sqlite_url, "-n", "seed", "downgrade", "-1")
    assert refused.code != 0
    assert "data in column(s) the application added: clients.crm_notes" in refused.failure
    assert table_counts(engine)["clients"] == before


def test_rollback_of_a_table_takes_the_rows_that_name_it_in_json(
    mysql_url: str, engine_for
) -> None:
    """``rollback --table batches`` takes the seeded orders whose items name the batches (and
    their invoices): none is left naming a batch that is gone."""
    schema_at_head(mysql_url)
    _up(mysql_url, "head")
    engine = engine_for(mysql_url)
    done = run_cli(mysql_url, "rollback", "--table", "batches")
    assert done.code == 0, done.err[-2000:]
    counts = table_counts(engine)
    assert counts["batches"] == 0 and counts["orders"] == 0 and counts["invoices"] == 0
    assert counts["clients"] > 0 and counts["products"] > 0

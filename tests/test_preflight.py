"""A command checks every revision it runs before the first one writes, and its preview refuses
as the real run would: nothing of a refused command is committed (issue 22, items 4-6, 13)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import sqlalchemy as sa

from terp_seed.schema import metadata
from terp_seed.store.ledger import range_checksums
from terp_seed.testing.plugin import (
    run_alembic,
    run_cli,
    schema_at_head,
    table_checksums,
    table_counts,
)

EngineFor = Callable[[str], sa.Engine]
SEED = ("-n", "seed", "-x", "size=small")


def _version(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_seed_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar()


def _ours(engine: sa.Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, but the audit (a refusal is audited)."""
    rows = table_checksums(engine)
    rows.pop("terp_seed_audit", None)
    return rows


def _app_order_on_seeded_client(engine: sa.Engine) -> int:
    """An order of the application's on the first seeded client: a blocker of 0003."""
    with engine.begin() as conn:
        client = conn.execute(
            sa.text("SELECT first_pk FROM terp_seed_ledger WHERE table_name='clients' LIMIT 1")
        ).scalar_one()
        user = conn.execute(sa.text("SELECT MIN(id) FROM users")).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO orders (order_number, orderType, client_id, items, subtotal, total, "
                "created_by) VALUES ('APP-1', 'SALE', :c, '[]', 0, 0, :u)"
            ),
            {"c": client, "u": user},
        )
        return int(
            conn.execute(sa.text("SELECT id FROM orders WHERE order_number='APP-1'")).scalar_one()
        )


def test_tables_option_is_refused_when_a_revision_would_be_recorded_half_done(
    any_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(any_url)
    engine = engine_for(any_url)
    up = run_alembic(any_url, *SEED, "-x", "tables=clients", "upgrade", "head")
    assert up.code != 0
    assert "-x tables=clients leaves out" in up.failure and "0001_reference_data" in up.failure
    assert _version(engine) is None  # no revision recorded as applied
    counts = table_counts(engine)
    assert counts["clients"] == 0 and counts["strains"] == 0

    assert run_alembic(any_url, *SEED, "upgrade", "head").code == 0
    before = _ours(engine)
    down = run_alembic(any_url, *SEED, "-x", "tables=orders", "downgrade", "base")
    assert down.code != 0 and "leaves out" in down.failure and "0006_sales" in down.failure
    assert _ours(engine) == before and _version(engine) == "0006_sales"


def test_downgrade_sql_is_refused_without_unsafe_sql(mysql_url: str, engine_for: EngineFor) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_alembic(mysql_url, *SEED, "upgrade", "head").code == 0
    order = _app_order_on_seeded_client(engine)
    before = _ours(engine)
    refused = run_alembic(mysql_url, *SEED, "downgrade", "0006_sales:base", "--sql")
    assert refused.code != 0
    assert "downgrade --sql is refused" in refused.failure
    assert "-x unsafe_sql=1" in refused.failure
    assert "DELETE" not in refused.out
    rendered = run_alembic(
        mysql_url, *SEED, "-x", "unsafe_sql=1", "downgrade", "0006_sales:base", "--sql"
    )
    assert rendered.code == 0, rendered.err[-2000:]
    assert "DELETE FROM clients" in rendered.out
    assert _ours(engine) == before  # offline: the database is untouched
    with engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT COUNT(*) FROM orders WHERE id={order}")).scalar()


def test_production_confirmation_is_asked_before_any_revision(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    prod = (*SEED, "-x", "env=production")
    assert run_alembic(mysql_url, *prod, "upgrade", "head").code == 0
    assert _version(engine) == "0006_sales"  # customer revisions inserted nothing
    before = _ours(engine)
    refused = run_alembic(mysql_url, *prod, "downgrade", "base")
    assert refused.code != 0
    assert "needs confirmation" in refused.failure and "nothing was changed" in refused.failure
    assert _version(engine) == "0006_sales"  # the no-op revisions were not removed either
    assert _ours(engine) == before


def test_previews_refuse_as_the_real_run_does(mysql_url: str, engine_for: EngineFor) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_alembic(mysql_url, *SEED, "upgrade", "head").code == 0
    _app_order_on_seeded_client(engine)
    before = _ours(engine)

    real = run_alembic(mysql_url, *SEED, "downgrade", "0002_staff_users")
    dry = run_alembic(mysql_url, *SEED, "-x", "dry_run=1", "downgrade", "0002_staff_users")
    assert real.code != 0 and dry.code != 0
    assert "orders id=" in dry.failure and "client_id -> clients.id" in dry.failure
    assert dry.failure == real.failure
    assert _ours(engine) == before

    cli_real = run_cli(mysql_url, "rollback", "--revision", "0003_clients_suppliers")
    cli_dry = run_cli(mysql_url, "rollback", "--revision", "0003_clients_suppliers", "--dry-run")
    assert cli_real.code != 0 and cli_dry.code != 0
    assert "rollback of revision 0003_clients_suppliers refused" in cli_dry.failure
    assert cli_dry.failure == cli_real.failure
    assert _ours(engine) == before


def test_preview_refuses_changed_rows_outside_dev(mysql_url: str, engine_for: EngineFor) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    staging = (*SEED, "-x", "env=staging")
    assert run_alembic(mysql_url, *staging, "upgrade", "head").code == 0
    unconfirmed = run_alembic(mysql_url, *staging, "-x", "dry_run=1", "downgrade", "-1")
    assert unconfirmed.code != 0 and "needs confirmation" in unconfirmed.failure
    assert unconfirmed.failure == run_alembic(mysql_url, *staging, "downgrade", "-1").failure
    with engine.begin() as conn:  # a row of 0005, the second revision a downgrade -2 removes
        conn.execute(sa.text("UPDATE batches SET sku = CONCAT(sku, '-R') ORDER BY id LIMIT 1"))
    before = _ours(engine)
    db = mysql_url.rsplit("/", 1)[1]
    dry = run_alembic(mysql_url, *staging, "-x", "dry_run=1", "downgrade", "-2")
    assert dry.code != 0 and "changed since seeding" in dry.failure and "batches id=" in dry.failure
    real = run_alembic(mysql_url, *staging, "-x", f"confirm={db}", "downgrade", "-2")
    assert real.code != 0 and real.failure == dry.failure
    assert _ours(engine) == before and _version(engine) == "0006_sales"  # 0006 is still there


def test_rows_seeded_by_an_sql_script_have_checksums(mysql_url: str, engine_for: EngineFor) -> None:
    """The script of `upgrade --sql` has the server fill in the ledger's checksums, so a later
    rollback sees the application's changes to those rows."""
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    script = run_alembic(mysql_url, *SEED, "upgrade", "0003_clients_suppliers", "--sql")
    assert script.code == 0, script.err[-2000:]
    url = sa.engine.make_url(mysql_url)
    client = [
        "mariadb",
        f"--host={url.host}",
        f"--port={url.port or 3306}",
        f"--user={url.username}",
        *([f"--password={url.password}"] if url.password else []),
        str(url.database),
    ]
    ran = subprocess.run(client, input=script.out, text=True, capture_output=True, check=False)
    assert ran.returncode == 0, ran.stderr[-2000:]
    with engine.connect() as conn:
        ranges = conn.execute(
            sa.text("SELECT table_name, first_pk, last_pk, checksums FROM terp_seed_ledger")
        ).all()
        assert ranges and all(sums is not None for *_, sums in ranges)
        for table, first, last, sums in ranges:
            found, now = range_checksums(conn, metadata.tables[table], first, last)
            assert (found, now) == (last - first + 1, bytes(sums)), table
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE clients SET name = 'Renamed by the app' ORDER BY id LIMIT 1"))
    before = _ours(engine)["clients"]
    db = str(url.database)
    args = ("--revision", "0003_clients_suppliers", "--env", "staging", "--confirm", db)
    refused = run_cli(mysql_url, "rollback", *args)
    assert refused.code != 0 and "changed since seeding (clients id=" in refused.failure
    assert _ours(engine)["clients"] == before

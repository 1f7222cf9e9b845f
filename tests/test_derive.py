"""Derived columns are what TERP's own services compute from the data, for seeded rows only, and
a rollback in staging is not refused because the seed itself kept them up to date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

import pytest
import sqlalchemy as sa

from terp_seed.schema import TERP_TABLES
from terp_seed.testing.plugin import run_alembic, schema_at_head, table_checksums

EngineFor = Callable[[str], sa.Engine]
OPEN = {"CONFIRMED", "READY_FOR_PACKING", "PENDING", "PACKED"}


def _rows(conn: sa.Connection, sql: str) -> list[sa.Row]:  # type: ignore[type-arg]
    return list(conn.exec_driver_sql(sql))


def _reserved_as_terp_keeps_it(conn: sa.Connection) -> dict[int, Decimal]:
    """What TERP's confirm/ship/cancel flows leave in reservedQty (server/ordersDb.ts:592-655,
    2390-2425, 1097-1175), recomputed row by row in Python."""
    orders = {
        r[0]: r
        for r in _rows(
            conn,
            "SELECT id, orderType, is_draft, deleted_at, saleStatus, fulfillmentStatus FROM orders",
        )
    }
    held: dict[int, Decimal] = defaultdict(Decimal)
    for order_id, batch_id, qty, sample in _rows(
        conn, "SELECT order_id, batch_id, quantity, is_sample FROM order_line_items"
    ):
        _, kind, draft, deleted, sale, fulfilment = orders[order_id]
        live = kind == "SALE" and not draft and deleted is None and sale != "CANCELLED"
        if live and fulfilment in OPEN and not sample:
            held[int(batch_id)] += Decimal(str(qty))
    return held


def _owed_as_terp_reconciles_it(conn: sa.Connection) -> dict[int, Decimal]:
    """What TERP's AR reconciliation expects in total_owed (clientBalanceService.ts:36-54)."""
    owed: dict[int, Decimal] = defaultdict(Decimal)
    for customer, due, status, deleted in _rows(
        conn, "SELECT customerId, amountDue, status, deleted_at FROM invoices"
    ):
        if status not in ("PAID", "VOID") and deleted is None:
            owed[int(customer)] += Decimal(str(due))
    return owed


def _check_derived(conn: sa.Connection) -> None:
    held = _reserved_as_terp_keeps_it(conn)
    for batch_id, reserved in _rows(conn, "SELECT id, reservedQty FROM batches"):
        assert Decimal(str(reserved)) == held.get(int(batch_id), 0), batch_id
    owed = _owed_as_terp_reconciles_it(conn)
    for client_id, total_owed in _rows(conn, "SELECT id, total_owed FROM clients"):
        assert abs(Decimal(str(total_owed)) - owed.get(int(client_id), 0)) <= Decimal("0.01")


@pytest.mark.parametrize("as_of", ["2026-04-20", "2026-12-31"])
def test_seeded_derived_columns_are_what_terp_computes(
    sqlite_url: str, engine_for: EngineFor, as_of: str
) -> None:
    schema_at_head(sqlite_url)
    result = run_alembic(sqlite_url, "-n", "seed", "-x", f"as_of={as_of}", "upgrade", "head")
    assert result.code == 0, result.out + result.err
    engine = engine_for(sqlite_url)
    with engine.connect() as conn:
        _check_derived(conn)
        owing = conn.exec_driver_sql("SELECT count(*) FROM clients WHERE total_owed > 0")
        assert owing.scalar_one() > 0  # the balances are really filled in


def test_rows_the_seed_did_not_insert_are_never_derived(
    sqlite_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(sqlite_url)
    engine = engine_for(sqlite_url)
    with engine.begin() as conn:  # the application's own client, with its own figure
        conn.exec_driver_sql(
            "INSERT INTO clients (id, teri_code, name, total_owed, created_at, updated_at) "
            "VALUES (9000, 'APP0001', 'App Client', 123.45, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    assert run_alembic(sqlite_url, "-n", "seed", "upgrade", "head").code == 0
    with engine.connect() as conn:
        owed = conn.exec_driver_sql("SELECT total_owed FROM clients WHERE id = 9000")
        assert Decimal(str(owed.scalar_one())) == Decimal("123.45")


def test_staging_round_trip_is_not_refused_and_resets_derived_columns(
    mysql_url: str, engine_for: EngineFor
) -> None:
    """The seed's own updates are not 'changes by the application': a staging downgrade of the
    sales revision, then of everything, goes through, and leaves no rows behind."""
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    before = table_checksums(engine)
    x = ("-x", "env=staging", "-x", "size=small")
    assert run_alembic(mysql_url, "-n", "seed", *x, "upgrade", "head").code == 0
    with engine.connect() as conn:
        _check_derived(conn)
    name = engine.url.database
    down = run_alembic(
        mysql_url, "-n", "seed", *x, "-x", f"confirm={name}", "downgrade", "0005_inventory"
    )
    assert down.code == 0, down.out + down.err
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT count(*) FROM batches WHERE reservedQty <> 0").scalar_one()
            == 0
        )
        assert (
            conn.exec_driver_sql(
                "SELECT count(*) FROM clients WHERE total_owed <> 0 OR total_spent <> 0"
            ).scalar_one()
            == 0
        )
    base = run_alembic(mysql_url, "-n", "seed", *x, "-x", f"confirm={name}", "downgrade", "base")
    assert base.code == 0, base.out + base.err
    after = table_checksums(engine)
    assert {t: after[t] for t in TERP_TABLES} == {t: before[t] for t in TERP_TABLES}

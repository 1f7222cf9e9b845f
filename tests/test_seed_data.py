"""The seeded data on a real database: counts per preset, business rules checked with SQL,
realistic and safe contact data, determinism, and a clean downgrade."""

from __future__ import annotations

import json
from decimal import Decimal

import phonenumbers
import pytest
import sqlalchemy as sa
from email_validator import validate_email

from terp_seed.schema import metadata
from terp_seed.sizes import parse_size
from terp_seed.testing.plugin import run_alembic, schema_at_head, table_counts

RULES = {
    "reserved above on hand": 'SELECT id FROM batches WHERE "reservedQty" > "onHandQty"',
    "negative quantity": 'SELECT id FROM batches WHERE "onHandQty" < 0 OR "reservedQty" < 0',
    "locations exceed on hand": """
        SELECT b.id FROM batches b JOIN "batchLocations" bl ON bl."batchId" = b.id
        GROUP BY b.id, b."onHandQty" HAVING SUM(bl.qty) > b."onHandQty" + 0.0001""",
    "subtotal differs from lines": """
        SELECT o.id FROM orders o JOIN order_line_items li ON li.order_id = o.id
        GROUP BY o.id, o.subtotal HAVING ABS(SUM(li.line_total) - o.subtotal) > 0.005""",
    "order without lines": """
        SELECT o.id FROM orders o WHERE NOT EXISTS
        (SELECT 1 FROM order_line_items li WHERE li.order_id = o.id)""",
    "payments exceed invoice": """
        SELECT i.id FROM invoices i JOIN payments p ON p."invoiceId" = i.id
        GROUP BY i.id, i."totalAmount" HAVING SUM(p.amount) > i."totalAmount" + 0.005""",
    "invoice paid differs from payments": """
        SELECT i.id FROM invoices i LEFT JOIN payments p ON p."invoiceId" = i.id
        GROUP BY i.id, i."amountPaid"
        HAVING ABS(COALESCE(SUM(p.amount), 0) - i."amountPaid") > 0.005""",
    "invoice due differs": """
        SELECT id FROM invoices WHERE ABS("totalAmount" - "amountPaid" - "amountDue") > 0.005""",
    "paid status without payment": """
        SELECT id FROM invoices WHERE (status = 'PAID' AND "amountDue" > 0.005)
        OR (status = 'PARTIAL' AND ("amountPaid" <= 0 OR "amountDue" <= 0))""",
    "sale status disagrees with invoice": """
        SELECT o.id FROM orders o JOIN invoices i ON i.id = o.invoice_id
        WHERE (i.status = 'PAID' AND o."saleStatus" <> 'PAID')
           OR (i.status = 'OVERDUE' AND o."saleStatus" <> 'OVERDUE')""",
    "quote with sale status": """
        SELECT id FROM orders WHERE "orderType" = 'QUOTE' AND "saleStatus" IS NOT NULL""",
    "payment after the anchor day or before its invoice": """
        SELECT p.id FROM payments p JOIN invoices i ON i.id = p."invoiceId"
        WHERE p."paymentDate" < i."invoiceDate" """,
}


def _fk_violations(conn: sa.Connection) -> list[str]:
    """Every reference, real or application-level, must point at an existing row."""
    from terp_seed.schema import relations

    bad = []
    for rel in relations():
        child = metadata.tables[rel.child_table]
        parent = metadata.tables[rel.parent_table].alias("parent")
        col, pcol = child.c[rel.child_column], parent.c[rel.parent_column]
        q = (
            sa.select(sa.func.count())
            .select_from(child)
            .where(col.is_not(None), ~sa.exists().where(pcol == col))
        )
        n = conn.execute(q).scalar_one()
        if n:
            bad.append(f"{rel.child_table}.{rel.child_column} -> {rel.parent_table}: {n}")
    return bad


def _sql(conn: sa.Connection, text: str) -> str:
    if conn.dialect.name in ("mysql", "mariadb"):
        text = text.replace('"', "`")
    return text


@pytest.fixture
def medium_mysql(mysql_url: str) -> str:
    schema_at_head(mysql_url)
    result = run_alembic(mysql_url, "-n", "seed", "-x", "size=medium", "upgrade", "head")
    assert result.code == 0, result.err[-2000:]
    return mysql_url


def test_medium_counts_match_the_preset(medium_mysql: str, engine_for) -> None:
    counts = table_counts(engine_for(medium_mysql))
    preset = parse_size("medium")
    for table in ("vendors", "products", "batches", "orders"):
        assert counts[table] == preset.count(table), table
    # TERP invoices a sale when it ships (server/ordersDb.ts:2170-2201): invoices follow the
    # shipped sales, not a count of their own; payments follow the invoices and bills
    with engine_for(medium_mysql).connect() as conn:
        o = metadata.tables["orders"]
        shipped = conn.execute(
            sa.select(sa.func.count()).where(o.c.orderType == "SALE", o.c.shipped_at.is_not(None))
        ).scalar()
    assert counts["invoices"] == shipped > preset.count("orders") * 0.6
    assert preset.count("payments") <= counts["payments"] <= 2 * preset.count("payments")
    assert counts["strains"] == 78
    # a supplier is one party: a seller client, its vendor and its profile (the vendors
    # preset); the clients preset counts the buyers
    assert counts["supplier_profiles"] == preset.count("vendors")
    assert counts["clients"] == preset.count("clients") + preset.count("vendors")


def test_business_rules_hold(medium_mysql: str, engine_for) -> None:
    with engine_for(medium_mysql).connect() as conn:
        violations = {
            name: conn.execute(sa.text(_sql(conn, q))).scalars().all()[:5]
            for name, q in RULES.items()
        }
        assert {k: v for k, v in violations.items() if v} == {}
        assert _fk_violations(conn) == []
        # items JSON mirrors the line items
        lines: dict[int, list[int]] = {}
        for order_id, batch_id in conn.execute(
            sa.text("SELECT order_id, batch_id FROM order_line_items ORDER BY id")
        ):
            lines.setdefault(order_id, []).append(batch_id)
        for order_id, items in conn.execute(sa.text("SELECT id, items FROM orders")):
            parsed = json.loads(items) if isinstance(items, str) else items
            assert [i["batchId"] for i in parsed] == lines[order_id]


def test_contact_data_is_reserved_and_fictional(medium_mysql: str, engine_for) -> None:
    with engine_for(medium_mysql).connect() as conn:
        emails = (
            conn.execute(
                sa.text(
                    "SELECT email FROM clients "
                    "UNION ALL SELECT contact_email FROM supplier_profiles "
                    "UNION ALL SELECT contactEmail FROM vendors"
                )
            )
            .scalars()
            .all()
        )
        phones = (
            conn.execute(
                sa.text(
                    "SELECT phone FROM clients "
                    "UNION ALL SELECT contact_phone FROM supplier_profiles "
                    "UNION ALL SELECT contactPhone FROM vendors"
                )
            )
            .scalars()
            .all()
        )
        logins = conn.execute(sa.text("SELECT email FROM users")).scalars().all()
    assert emails and phones
    for email in emails:
        validate_email(email, check_deliverability=False)
        assert email.rsplit("@", 1)[1] in ("example.com", "example.net", "example.org")
    # staff usernames are TERP-style logins on the reserved .test domain (RFC 2606), as
    # TERP's own QA accounts (qa.sales@terp.test)
    assert logins
    for login in logins:
        validate_email(login, check_deliverability=False, test_environment=True)
        assert login.endswith("@terp.test")
    for phone in phones:
        parsed = phonenumbers.parse(phone, "US")
        assert phonenumbers.is_valid_number(parsed), phone
        assert "555-01" in phone


def _dump(url: str, engine_for) -> dict[str, list[tuple[object, ...]]]:
    out = {}
    with engine_for(url).connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(sa.select(table).order_by(table.c.id)).all()
            out[table.name] = [
                tuple(_norm(c, v) for c, v in zip(table.c, r, strict=True)) for r in rows
            ]
    return out


def _norm(column: sa.Column[object], value: object) -> object:
    if value is None:
        return None
    if isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Float):
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-(column.type.scale or 0)))
    if isinstance(column.type, sa.Boolean):
        return bool(value)
    if isinstance(column.type, sa.JSON) and isinstance(value, str):
        return json.loads(value)
    return value


def test_same_seed_same_rows_on_sqlite_and_mariadb(
    mysql_url: str, sqlite_url: str, engine_for
) -> None:
    for url in (mysql_url, sqlite_url):
        schema_at_head(url)
        assert (
            run_alembic(
                url, "-n", "seed", "-x", "size=small", "-x", "seed=7", "upgrade", "head"
            ).code
            == 0
        )
    assert _dump(mysql_url, engine_for) == _dump(sqlite_url, engine_for)


def test_another_seed_gives_other_data(sqlite_url: str, tmp_path, engine_for) -> None:
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    for url, seed in ((sqlite_url, "1"), (other, "2")):
        schema_at_head(url)
        assert (
            run_alembic(
                url, "-n", "seed", "-x", "size=small", "-x", f"seed={seed}", "upgrade", "head"
            ).code
            == 0
        )
    a, b = _dump(sqlite_url, engine_for), _dump(other, engine_for)
    assert a["strains"] == b["strains"]  # reference data is fixed
    assert a["clients"] != b["clients"] and a["orders"] != b["orders"]


def test_downgrade_base_keeps_rows_that_were_there_before(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO categories (name, isActive) VALUES ('Topicals', 1)"))
        conn.execute(
            sa.text("INSERT INTO clients (teri_code, name) VALUES ('REAL0001', 'Real Co')")
        )
    before = _dump(mysql_url, engine_for)
    assert run_alembic(mysql_url, "-n", "seed", "-x", "size=small", "upgrade", "head").code == 0
    assert table_counts(engine)["clients"] > 1
    assert run_alembic(mysql_url, "-n", "seed", "downgrade", "base").code == 0
    after = _dump(mysql_url, engine_for)
    assert after == before

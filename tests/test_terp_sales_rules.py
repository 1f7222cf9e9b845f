"""Each of TERP's order rules that reads an order's items or a line's order, batch and lot finds
its injected violation three ways: in the whole-database scan (``validate``), run on its own,
and in the loader's chunk-by-chunk check. These rules share one scan (the items JSON) or one
join per line (:mod:`terp_seed.validation.joins`); the tests keep each of them able to fail."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from support.databases import own_database

from terp_seed.schema import metadata
from terp_seed.testing.plugin import run_alembic, schema_at_head
from terp_seed.validation.chunks import ChunkFindings
from terp_seed.validation.rules import RULES
from terp_seed.validation.runner import run_rule, validate
from terp_seed.validation.terp_sales_checks import OPEN_FULFILMENT

pytestmark = pytest.mark.mysql
ORD, LI = metadata.tables["orders"], metadata.tables["order_line_items"]
B, LOT = metadata.tables["batches"], metadata.tables["lots"]


@pytest.fixture(scope="module")
def medium_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with own_database(request.config, "terp_seed_sales_rules") as url:
        schema_at_head(url)
        seeded = run_alembic(url, "-n", "seed", "-x", "size=medium", "upgrade", "head")
        assert seeded.code == 0, seeded.err[-2000:]
        yield url


@pytest.fixture
def conn(medium_url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(medium_url, poolclass=sa.NullPool)
    with engine.connect() as c:
        try:
            yield c
        finally:
            c.rollback()
    engine.dispose()


def _line(conn: sa.Connection, *where: Any) -> tuple[int, int, int, dt.datetime]:
    """A sale line (not a sample): ``(line id, order id, batch id, order created_at)``."""
    row = conn.execute(
        sa.select(LI.c.id, LI.c.order_id, LI.c.batch_id, ORD.c.created_at)
        .join(ORD, ORD.c.id == LI.c.order_id)
        .where(ORD.c.orderType == "SALE", *where)
        .order_by(LI.c.id)
        .limit(1)
    ).one()
    return int(row[0]), int(row[1]), int(row[2]), row[3]


def _items(conn: sa.Connection, order_id: int, change: Callable[[dict[str, Any]], None]) -> int:
    raw = conn.execute(
        sa.select(sa.type_coerce(ORD.c["items"], sa.Text)).where(ORD.c.id == order_id)
    ).scalar_one()
    items = json.loads(raw)
    change(items[0])
    conn.execute(
        ORD.update().where(ORD.c.id == order_id).values({ORD.c["items"]: json.dumps(items)})
    )
    return order_id


def _string_quantity(conn: sa.Connection) -> int:
    _, order_id, _, _ = _line(conn)
    return _items(conn, order_id, lambda i: i.update(quantity=str(i["quantity"])))


def _no_line_cogs(conn: sa.Connection) -> int:
    _, order_id, _, _ = _line(conn)
    return _items(conn, order_id, lambda i: i.pop("lineCogs"))


def _lot_received_after_sale(conn: sa.Connection) -> int:
    line, _, batch, created = _line(conn)
    lot = conn.execute(sa.select(B.c.lotId).where(B.c.id == batch)).scalar_one()
    conn.execute(LOT.update().where(LOT.c.id == lot).values(date=created + dt.timedelta(days=2)))
    return line


def _batch_created_after_sale(conn: sa.Connection) -> int:
    line, _, batch, created = _line(conn)
    later = created + dt.timedelta(days=2)
    conn.execute(B.update().where(B.c.id == batch).values(createdAt=later))
    return line


def _line_before_order(conn: sa.Connection) -> int:
    line, _, _, created = _line(conn)
    earlier = created - dt.timedelta(days=1)
    conn.execute(LI.update().where(LI.c.id == line).values(created_at=earlier))
    return line


def _open_sale_on_sold_out_batch(conn: sa.Connection) -> int:
    line, _, batch, _ = _line(
        conn,
        ORD.c.is_draft.is_(False),
        ORD.c.deleted_at.is_(None),
        ORD.c.saleStatus != "CANCELLED",
        ORD.c.fulfillmentStatus.in_(OPEN_FULFILMENT),
    )
    conn.execute(B.update().where(B.c.id == batch).values(batchStatus="SOLD_OUT"))
    return line


def _invoice(conn: sa.Connection) -> tuple[int, int]:
    """A shipped sale's ``(order id, invoice id)``."""
    row = conn.execute(
        sa.select(ORD.c.id, ORD.c.invoice_id)
        .where(ORD.c.orderType == "SALE", ORD.c.invoice_id.is_not(None))
        .order_by(ORD.c.id)
        .limit(1)
    ).one()
    return int(row[0]), int(row[1])


def _sale_status_not_the_invoices(conn: sa.Connection) -> int:
    order_id, invoice_id = _invoice(conn)
    inv = metadata.tables["invoices"]
    conn.execute(inv.update().where(inv.c.id == invoice_id).values(status="VOID"))
    return order_id


def _invoice_names_another_client(conn: sa.Connection) -> int:
    order_id, invoice_id = _invoice(conn)
    other = conn.execute(sa.select(ORD.c.client_id).where(ORD.c.id == order_id)).scalar_one()
    c = metadata.tables["clients"]
    another = conn.execute(sa.select(sa.func.min(c.c.id)).where(c.c.id != other)).scalar_one()
    inv = metadata.tables["invoices"]
    conn.execute(inv.update().where(inv.c.id == invoice_id).values(customerId=another))
    return invoice_id


def _invoice_of_a_missing_order(conn: sa.Connection) -> int:
    _, invoice_id = _invoice(conn)
    inv = metadata.tables["invoices"]
    conn.execute(inv.update().where(inv.c.id == invoice_id).values(referenceId=999_999))
    return invoice_id


INJECT = {
    "sale-status-mirrors-invoice:orders": _sale_status_not_the_invoices,
    "invoice-from-order:invoices": _invoice_names_another_client,
    "items-json-types:orders": _string_quantity,
    "items-json-complete:orders": _no_line_cogs,
    "sold-after-lot-intake:order_line_items": _lot_received_after_sale,
    "sold-after-batch-created:order_line_items": _batch_created_after_sale,
    "line-written-with-order:order_line_items": _line_before_order,
    "open-order-on-live-batch:order_line_items": _open_sale_on_sold_out_batch,
}


@pytest.mark.parametrize("name", sorted(INJECT))
def test_rule_finds_its_injected_violation_every_way_it_runs(
    conn: sa.Connection, name: str
) -> None:
    rule = next(r for r in RULES if r.name == name)
    assert run_rule(conn, rule).violations == 0  # the clean seed
    key = INJECT[name](conn)
    scanned = next(r for r in validate(conn) if r.rule.name == name)
    assert key in scanned.sample or scanned.violations > len(scanned.sample)
    alone = run_rule(conn, rule)
    assert alone.violations == scanned.violations and alone.sample == scanned.sample
    if rule.condition is not None:  # the loader's chunk check over the table's whole key span
        t = metadata.tables[rule.table]
        first, last = conn.execute(sa.select(sa.func.min(t.c.id), sa.func.max(t.c.id))).one()
        chunks = ChunkFindings()
        chunks.check(conn, rule.table, int(first), int(last))
        assert key in chunks.keys(conn, rule)


def test_invoice_naming_a_missing_order_breaks_invoice_from_order(conn: sa.Connection) -> None:
    rule = next(r for r in RULES if r.name == "invoice-from-order:invoices")
    key = _invoice_of_a_missing_order(conn)
    assert key in run_rule(conn, rule).sample

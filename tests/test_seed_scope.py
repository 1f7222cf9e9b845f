"""The rows a seed step wrote, found by key range: the integrity rules after a step and rollback
narrow to ``id BETWEEN first AND last`` when the ledger proves the step's keys are exactly that
range, and still catch every bad seeded row (in the range, or scattered keys through the
ledger)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.errors import ValidationFailed
from terp_seed.schema import metadata
from terp_seed.store import ledger
from terp_seed.store.ledger import Scope
from terp_seed.store.tables import ledger as ledger_table
from terp_seed.testing.plugin import run_alembic, schema_at_head
from terp_seed.validation.queries import resolve
from terp_seed.validation.runner import check_seeded

SALES = Scope(revision="0006_sales")


@pytest.fixture
def small(any_url: str, engine_for: Any) -> Iterator[sa.Connection]:
    """A small seed on SQLite and on MariaDB; the test runs in a transaction rolled back after."""
    schema_at_head(any_url)
    result = run_alembic(any_url, "-n", "seed", "-x", "size=small", "upgrade", "head")
    assert result.code == 0, result.err[-2000:]
    with engine_for(any_url).connect() as conn:
        if conn.dialect.name != "sqlite":
            conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
            conn.exec_driver_sql("SET SESSION sql_mode = ''")  # a bad enum value is stored
        try:
            yield conn
        finally:
            conn.rollback()


def _max_id(conn: sa.Connection, table: str) -> int:
    t = metadata.tables[table]
    return int(conn.execute(sa.select(sa.func.max(t.c.id))).scalar_one())


def _copy(
    conn: sa.Connection, table: str, key: int, new_id: int | None = None, **overrides: Any
) -> int:
    """Insert a copy of row ``key`` (under ``new_id``, or past the largest key); return its id."""
    t = metadata.tables[table]
    new_id = new_id or _max_id(conn, table) + 1000
    values = {**overrides, "id": new_id}
    cols = [sa.literal(values[c.name]) if c.name in values else c for c in t.columns]
    conn.execute(
        t.insert().from_select([c.name for c in t.columns], sa.select(*cols).where(t.c.id == key))
    )
    return new_id


def test_a_step_s_keys_resolve_to_exact_ranges(small: sa.Connection) -> None:
    seeded = resolve(small, SALES)
    assert seeded.tables == {"orders", "order_line_items", "invoices", "payments", "bills"}
    for table in seeded.tables:
        first, last = seeded.ranges[table]
        assert last - first + 1 == seeded.counts[table]
        in_ledger = small.execute(
            sa.select(sa.func.sum(ledger.span_size())).where(
                ledger_table.c.revision == "0006_sales",
                ledger_table.c.table_name == table,
                ledger_table.c.first_pk >= first,
                ledger_table.c.last_pk <= last,
            )
        ).scalar_one()
        assert in_ledger == seeded.counts[table]


def test_scattered_keys_are_not_taken_for_a_range(small: sa.Connection) -> None:
    orders = metadata.tables["orders"]
    a = _copy(small, "orders", 1, order_number="X-1")
    b = _copy(small, "orders", 2, a + 5, order_number="X-2")
    ledger.record_rows(small, "scattered", None, "orders", [a, b])
    seeded = resolve(small, Scope(run_id="scattered"))
    assert seeded.counts == {"orders": 2} and "orders" not in seeded.ranges
    assert seeded.spans["orders"] == [(a, a), (b, b)]
    assert seeded.among("orders", [a, a + 1, b]) == [a, b]
    keys = small.execute(sa.select(orders.c.id).where(seeded.keys("orders", orders.c.id)))
    assert sorted(keys.scalars()) == [a, b]


def test_bad_seeded_row_inside_the_range_is_caught(small: sa.Connection) -> None:
    first, last = resolve(small, SALES).ranges["orders"]
    key = (first + last) // 2
    o = metadata.tables["orders"]
    small.execute(o.update().where(o.c.id == key).values(subtotal=o.c.subtotal + 5))
    lines = metadata.tables["order_line_items"]
    line = int(small.execute(sa.select(sa.func.max(lines.c.id))).scalar_one())
    small.execute(lines.update().where(lines.c.id == line).values(quantity=-1))
    with pytest.raises(ValidationFailed) as caught:
        check_seeded(small, SALES)
    message = str(caught.value)
    assert f"subtotal-equals-lines:orders on orders {key}" in message
    assert f"non-negative:order_line_items.quantity on order_line_items {line}" in message


def test_rows_outside_the_range_are_not_the_step_s(small: sa.Connection) -> None:
    """A bad row the step did not write (an application's) fails nothing of the step."""
    _copy(small, "invoices", 1, invoiceNumber="APP-1", status="BOGUS")
    results = check_seeded(small, SALES)
    assert all(r.seeded_violations == 0 for r in results)


def test_bad_seeded_row_with_scattered_keys_is_caught(small: sa.Connection) -> None:
    """Keys that are no range go through the ledger, and a bad one is caught all the same."""
    good = _copy(small, "payments", 1, paymentNumber="PAY-A")
    bad = _copy(small, "payments", 1, good + 7, paymentNumber="PAY-B", paymentMethod="BOGUS")
    ledger.record_rows(small, "scattered", None, "payments", [good, bad])
    assert "payments" not in resolve(small, Scope(run_id="scattered")).ranges
    with pytest.raises(ValidationFailed, match=rf"enum:payments.paymentMethod on payments {bad}"):
        check_seeded(small, Scope(run_id="scattered"))


def test_parent_outside_the_range_touched_by_a_seeded_child(
    small: sa.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    """A seeded payment against an invoice the step did not write brings that invoice in scope
    (the step's own invoices are a range; this one is listed beside it)."""
    p = metadata.tables["payments"]
    pay = int(
        small.execute(sa.select(sa.func.min(p.c.id)).where(p.c.invoiceId.is_not(None))).scalar_one()
    )
    invoice = _copy(small, "invoices", 1, invoiceNumber="APP-INV")  # not the seed's
    extra = _copy(small, "payments", pay, paymentNumber="PAY-X", invoiceId=invoice, amount=10**6)
    ledger.record_rows(small, "adhoc", None, "payments", [extra])
    with caplog.at_level(logging.WARNING, logger="terp_seed.validation"):
        results = check_seeded(small, Scope(run_id="adhoc"))
    failed = {r.rule.name: r for r in results if r.failed}
    assert invoice in failed["payments-within-total:invoices"].sample
    assert all(r.seeded_violations == 0 for r in results)  # the invoice is not the run's
    assert str(invoice) in caplog.text


def test_unique_rule_needs_no_query_while_its_unique_index_stands(small: sa.Connection) -> None:
    """The live UNIQUE index refuses duplicates itself (tests/test_validation.py drops it to
    show the rule's query catches them when it is missing)."""
    from terp_seed.validation.runner import _unique_indexed

    assert {"order_number"} <= _unique_indexed(small, "orders", {})
    assert "client_id" not in _unique_indexed(small, "orders", {})  # indexed, not unique


def test_unique_rule_runs_no_query_while_its_index_stands(small: sa.Connection) -> None:
    from terp_seed.validation.rules import RULES
    from terp_seed.validation.runner import run_rules

    rule = next(r for r in RULES if r.name == "unique:orders.order_number")
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    sa.event.listen(small, "before_cursor_execute", record)
    try:
        (result,) = run_rules(small, [rule], None)
    finally:
        sa.event.remove(small, "before_cursor_execute", record)
    assert not result.failed
    assert not [s for s in sent if "order_number" in s and "HAVING" in s.upper()], sent

"""Integrity validation on a seeded MariaDB: every rule holds on a clean seed, each rule catches
one injected violation (and only that rule fires), the before-insert check stops bad factory
rows with one line, and a step whose rows break a rule is rolled back."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.schema import AddConstraint, DropConstraint
from support.databases import own_database

import terp_seed.factories.registry as registry
import terp_seed.seeding.apply as steps
from terp_seed.errors import SeedDataError, ValidationFailed
from terp_seed.factories.base import Gen, Row
from terp_seed.load.loader import Loader
from terp_seed.schema import metadata, relations
from terp_seed.store import ledger
from terp_seed.store.ledger import Scope
from terp_seed.store.tables import ledger as ledger_table
from terp_seed.testing.plugin import project_root, run_alembic, run_cli, schema_at_head
from terp_seed.validation.fit import live_chunk_check
from terp_seed.validation.rule import Rule
from terp_seed.validation.rules import RULES, items_mismatch
from terp_seed.validation.runner import check_seeded, validate

MISSING = 999_999  # no table holds this many rows at medium size
DOC = project_root() / "docs" / "validation.md"


# -- a medium seed shared by the module -----------------------------------------------------------


@pytest.fixture(scope="module")
def medium_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A MariaDB database of its own with the schema and a medium seed (dropped afterwards)."""
    with own_database(request.config, "terp_seed_validation") as url:
        schema_at_head(url)
        seeded = run_alembic(url, "-n", "seed", "-x", "size=medium", "upgrade", "head")
        assert seeded.code == 0, seeded.err[-2000:]
        yield url


@pytest.fixture
def medium(medium_url: str) -> Iterator[sa.Connection]:
    """A connection to the medium seed inside a transaction that is rolled back afterwards."""
    engine = sa.create_engine(medium_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        conn.exec_driver_sql("SET SESSION sql_mode = ''")  # a bad enum value is stored as ''
        try:  # everything below happens in the transaction these statements began
            yield conn
        finally:
            conn.rollback()
    engine.dispose()


def failing(conn: sa.Connection) -> dict[str, tuple[int, ...]]:
    return {r.rule.name: r.sample for r in validate(conn) if r.failed}


# -- injecting one violation per rule ------------------------------------------------------------


def first_id(conn: sa.Connection, table: str, *where: sa.ColumnElement[bool]) -> int:
    t = metadata.tables[table]
    return int(conn.execute(sa.select(sa.func.min(t.c.id)).where(*where)).scalar_one())


def update(conn: sa.Connection, table: str, key: int, **values: Any) -> None:
    t = metadata.tables[table]
    conn.execute(t.update().where(t.c.id == key).values(**values))


def copy_row(conn: sa.Connection, table: str, key: int, **overrides: Any) -> int:
    """Insert a copy of row ``key`` under a new id, with ``overrides``; return the new id."""
    t = metadata.tables[table]
    new_id = int(conn.execute(sa.select(sa.func.max(t.c.id))).scalar_one()) + 1000
    values = {**dict(overrides), "id": new_id}
    cols = [sa.literal(values[c.name]) if c.name in values else c for c in t.columns]
    conn.execute(
        t.insert().from_select([c.name for c in t.columns], sa.select(*cols).where(t.c.id == key))
    )
    return new_id


def order_items(conn: sa.Connection, order_id: int) -> list[dict[str, Any]]:
    o = metadata.tables["orders"]
    raw = conn.execute(
        sa.select(sa.type_coerce(o.c["items"], sa.Text)).where(o.c.id == order_id)
    ).scalar_one()
    items: list[dict[str, Any]] = json.loads(raw)
    return items


def set_items(conn: sa.Connection, order_id: int, items: list[dict[str, Any]]) -> None:
    o = metadata.tables["orders"]
    conn.execute(
        o.update().where(o.c.id == order_id).values({o.c["items"]: sa.literal(json.dumps(items))})
    )


def inject_fk(conn: sa.Connection, table: str, column: str) -> int:
    rel = next(r for r in relations() if (r.child_table, r.child_column) == (table, column))
    key = first_id(conn, table)
    if rel.parent_column == "name":
        update(conn, table, key, **{column: "ZZ"})
    elif (table, column) == ("order_line_items", "order_id"):
        return copy_row(conn, table, key, order_id=MISSING)  # the real order keeps its lines
    elif (table, column) == ("payments", "invoiceId"):
        return copy_row(conn, table, key, invoiceId=MISSING, paymentNumber="PAY-X")
    elif (table, column) == ("order_line_items", "batch_id"):
        lines = metadata.tables[table]
        order_id, batch_id = conn.execute(
            sa.select(lines.c.order_id, lines.c.batch_id).where(lines.c.id == key)
        ).one()
        items = order_items(conn, order_id)
        next(i for i in items if i["batchId"] == batch_id)["batchId"] = MISSING
        set_items(conn, order_id, items)  # items still mirror the lines
        update(conn, table, key, batch_id=MISSING)
    else:
        update(conn, table, key, **{column: MISSING})
    return key


def inject_unique(conn: sa.Connection, table: str, column: str) -> int:
    t = metadata.tables[table]
    named = {(r.parent_table, r.parent_column) for r in relations()}
    key = first_id(conn, table)
    if (table, column) in named:  # other rows point at this value: duplicate it in a new row
        return copy_row(conn, table, key)
    other = conn.execute(sa.select(t.c[column]).where(t.c.id == key)).scalar_one()
    second = first_id(conn, table, t.c.id > key)
    update(conn, table, second, **{column: other})
    return second


def inject_business(conn: sa.Connection, name: str) -> int:
    b, bl = metadata.tables["batches"], metadata.tables["batchLocations"]
    i, p = metadata.tables["invoices"], metadata.tables["payments"]
    if name == "reserved-within-on-hand:batches":
        key = first_id(conn, "batches", b.c.onHandQty > 0)
        update(conn, "batches", key, reservedQty=b.c.onHandQty + 1)
    elif name == "locations-within-on-hand:batches":
        loc = first_id(conn, "batchLocations")
        key = conn.execute(sa.select(bl.c.batchId).where(bl.c.id == loc)).scalar_one()
        on_hand = conn.execute(sa.select(b.c.onHandQty).where(b.c.id == key)).scalar_one()
        update(conn, "batchLocations", loc, qty=on_hand + 1)
    elif name == "subtotal-equals-lines:orders":
        key = first_id(conn, "orders")
        update(conn, "orders", key, subtotal=metadata.tables["orders"].c.subtotal + 5)
    elif name == "items-mirror-lines:orders":
        key = first_id(conn, "orders")
        set_items(conn, key, order_items(conn, key)[1:])
    elif name == "due-equals-total-minus-paid:invoices":
        key = first_id(conn, "invoices")
        update(conn, "invoices", key, amountDue=i.c.amountDue + 1)
    else:
        pay = first_id(conn, "payments", p.c.invoiceId.is_not(None))
        key = conn.execute(sa.select(p.c.invoiceId).where(p.c.id == pay)).scalar_one()
        if name == "paid-equals-payments:invoices":
            update(
                conn, "invoices", key, amountPaid=i.c.amountPaid + 1, amountDue=i.c.amountDue - 1
            )
        else:  # payments-within-total: pay 10 more than the total, and book it consistently
            due = conn.execute(sa.select(i.c.amountDue).where(i.c.id == key)).scalar_one()
            update(conn, "payments", pay, amount=p.c.amount + due + 10)
            update(conn, "invoices", key, amountPaid=i.c.totalAmount + 10, amountDue=-10)
    return int(key)


def inject(conn: sa.Connection, rule: Rule) -> int:
    """Break ``rule`` in exactly one place; return the key the rule must report."""
    kind, _, subject = rule.name.partition(":")
    table, _, column = subject.partition(".")
    if kind == "fk":
        return inject_fk(conn, table, column)
    if kind == "unique":
        return inject_unique(conn, table, column)
    key = first_id(conn, table)
    if kind == "enum":
        update(conn, table, key, **{column: sa.literal("BOGUS")})
    elif kind == "non-negative":
        update(conn, table, key, **{column: -1})
    else:
        return inject_business(conn, rule.name)
    return key


@pytest.fixture
def without_unique(medium_url: str, request: pytest.FixtureRequest) -> Iterator[None]:
    """Drop the UNIQUE index a ``unique:`` rule is about (DDL commits), re-add it afterwards."""
    rule: Rule = request.node.callspec.params["rule"]
    if not rule.name.startswith("unique:"):
        yield
        return
    table, column = rule.name.removeprefix("unique:").split(".")
    constraint = next(
        c
        for c in metadata.tables[table].constraints
        if isinstance(c, sa.UniqueConstraint) and [col.name for col in c.columns] == [column]
    )
    engine = sa.create_engine(medium_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.execute(DropConstraint(constraint))
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(AddConstraint(constraint))
        engine.dispose()


@pytest.mark.mysql
def test_clean_medium_seed_breaks_no_rule(medium: sa.Connection) -> None:
    results = validate(medium)
    assert [r.rule.name for r in results] == [r.name for r in RULES]
    assert failing(medium) == {}


# The rules the schema itself states; the rules from TERP's code (with a ``source``) are
# injected by their own tests (tests/test_terp_*.py, tests/test_derive.py).
SCHEMA_RULES = [r for r in RULES if not r.source]
TERP_RULE_NAMES = {r.name for r in RULES if r.source}


@pytest.mark.mysql
@pytest.mark.parametrize("rule", SCHEMA_RULES, ids=[r.name for r in SCHEMA_RULES])
def test_each_rule_reports_exactly_its_injected_violation(
    rule: Rule, without_unique: None, medium: sa.Connection
) -> None:
    key = inject(medium, rule)
    found = failing(medium)
    # no other schema rule fires; a rule from TERP's code may see the same damage
    assert set(found) - TERP_RULE_NAMES == {rule.name}, found
    assert key in found[rule.name]


@pytest.mark.mysql
def test_validate_one_table_runs_only_its_rules(medium: sa.Connection) -> None:
    names = [r.rule.name for r in validate(medium, table="payments")]
    assert "fk:payments.invoiceId" in names and "payments-within-total:invoices" in names
    assert "fk:orders.client_id" not in names


# -- scoped checks after a step -------------------------------------------------------------------


def forget_key(conn: sa.Connection, table: str, key: int) -> None:
    """Take one key out of the ledger: its range is split around it."""
    lt = ledger_table
    entry = conn.execute(
        sa.select(lt).where(
            lt.c.table_name == table, sa.literal(key).between(lt.c.first_pk, lt.c.last_pk)
        )
    ).one()
    conn.execute(lt.delete().where(lt.c.id == entry.id))
    sums = entry.checksums
    for first, last in ((entry.first_pk, key - 1), (key + 1, entry.last_pk)):
        if first <= last:
            part = None
            if sums is not None:
                part = sums[(first - entry.first_pk) * 16 : (last - entry.first_pk + 1) * 16]
            conn.execute(
                lt.insert().values(
                    run_id=entry.run_id,
                    revision=entry.revision,
                    table_name=table,
                    first_pk=first,
                    last_pk=last,
                    checksums=part,
                )
            )


def record(conn: sa.Connection, run_id: str, table: str, key: int) -> None:
    ledger.record_rows(conn, run_id, None, table, [key])


@pytest.mark.mysql
def test_seeded_row_breaking_a_rule_fails_the_step(medium: sa.Connection) -> None:
    bad = inject_fk(medium, "payments", "invoiceId")
    record(medium, "test-run", "payments", bad)
    with pytest.raises(ValidationFailed) as caught:
        check_seeded(medium, Scope(run_id="test-run"))
    assert f"fk:payments.invoiceId on payments {bad}" in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1


@pytest.mark.mysql
def test_existing_row_broken_by_seeded_rows_is_only_a_warning(
    medium: sa.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    p, i = metadata.tables["payments"], metadata.tables["invoices"]
    pay = first_id(medium, "payments", p.c.invoiceId.is_not(None))
    invoice = medium.execute(sa.select(p.c.invoiceId).where(p.c.id == pay)).scalar_one()
    forget_key(medium, "invoices", invoice)  # no longer the seed's: it stands for real data
    extra = copy_row(medium, "payments", pay, paymentNumber="PAY-X")  # overpays it
    record(medium, "test-run", "payments", extra)
    before = medium.execute(sa.select(i.c.amountPaid).where(i.c.id == invoice)).scalar_one()
    with caplog.at_level(logging.WARNING, logger="terp_seed.validation"):
        results = check_seeded(medium, Scope(run_id="test-run"))
    assert {r.rule.name for r in results if r.failed} >= {"paid-equals-payments:invoices"}
    assert all(r.seeded_violations == 0 for r in results)
    assert "paid-equals-payments:invoices" in caplog.text and str(invoice) in caplog.text
    after = medium.execute(sa.select(i.c.amountPaid).where(i.c.id == invoice)).scalar_one()
    assert after == before  # reported, never "fixed"


def test_items_mismatch_reads_json_lines_and_truncated_lists() -> None:
    items = json.dumps([{"batchId": 3}, {"batchId": 5}])
    assert not items_mismatch((1, items, 2, 8, "5,3"))
    assert items_mismatch((1, items, 2, 9, "5,4"))
    assert items_mismatch((1, items, 2, 8, "2,6"))  # same count and sum, other batches
    assert items_mismatch((1, items, 3, 8, "3,5"))
    assert not items_mismatch((1, items, 2, 8, "5,"))  # cut short by group_concat_max_len
    assert items_mismatch((1, "not json", 2, 8, "3,5"))
    assert items_mismatch((1, json.dumps({"batchId": 3}), 1, 3, "3"))
    assert not items_mismatch((1, "[]", None, None, None))


# -- before insert ---------------------------------------------------------------------------------


VENDOR = {"id": 1, "name": "Humboldt Harvest Co", "paymentTerms": "Net 30"}


@pytest.fixture
def schema_conn(any_url: str, engine_for: Any) -> Iterator[sa.Connection]:
    schema_at_head(any_url)
    with engine_for(any_url).connect() as conn:
        yield conn


@pytest.mark.parametrize(
    ("table", "row", "message"),
    [
        (
            "vendors",
            {**VENDOR, "name": "X" * 300},
            "vendors.name: value 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX…' (300 chars) does not "
            "fit (accepts varchar(255)); row id 1",
        ),
        (
            "users",
            {"id": 1, "openId": "u-1", "role": "superuser"},
            "users.role: value 'superuser' does not fit (accepts one of [user, admin]); row id 1",
        ),
        (
            "vendors",
            {**VENDOR, "name": None},
            "vendors.name: value None does not fit (accepts NOT NULL); row id 1",
        ),
        (
            "bankAccounts",
            {
                "id": 1,
                "accountName": "Operating",
                "accountNumber": "1",
                "bankName": "Pacific Coast Bank",
                "accountType": "CHECKING",
                "currentBalance": Decimal("12345678901.00"),
            },
            "bankAccounts.currentBalance: value 12345678901.00 does not fit (accepts "
            "decimal(12,2)); row id 1",
        ),
        (
            "lots",
            {"id": 1, "code": "LOT-1", "vendorId": 1, "date": dt.date(2040, 1, 1)},
            "lots.date: value 2040-01-01 does not fit (accepts timestamp from 1970-01-01 00:00:01 "
            "to 2038-01-19 03:14:07); row id 1",
        ),
        (
            "vendors",
            {"id": 1, "paymentTerms": "Net 30"},
            "vendors.name: no value does not fit (accepts NOT NULL, no default)",
        ),
    ],
    ids=["too-long", "enum", "not-null", "decimal", "timestamp", "missing"],
)
def test_chunk_check_names_the_value_that_does_not_fit(
    schema_conn: sa.Connection, table: str, row: Row, message: str
) -> None:
    check = live_chunk_check(schema_conn)
    with pytest.raises(SeedDataError) as caught:
        check(table, [row])
    assert str(caught.value).startswith(message)
    assert len(str(caught.value).splitlines()) == 1


def test_chunk_check_accepts_a_good_chunk_and_stops_the_loader(schema_conn: sa.Connection) -> None:
    from terp_seed.store.setup import ensure_own_tables

    ensure_own_tables(schema_conn)
    check = live_chunk_check(schema_conn)
    loader = Loader(schema_conn.execute, conn=schema_conn, run_id="r", revision=None, check=check)
    bad = {**VENDOR, "id": 2, "name": "N" * 256}
    with pytest.raises(SeedDataError, match=r"^vendors\.name: value 'N+…' \(256 chars\)"):
        loader.load([("vendors", VENDOR), ("vendors", bad)])
    vendors = metadata.tables["vendors"]
    assert schema_conn.execute(sa.select(sa.func.count()).select_from(vendors)).scalar_one() == 0


def broken(factory: str, **changes: Any) -> Any:
    """The registry with ``factory`` writing ``changes`` into its first row."""
    spec = registry.FACTORIES[factory]

    def fn(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
        first = True
        for table, row in spec.fn(gen, count):
            if first and table == spec.table:
                row = {**row, **{k: (v(row) if callable(v) else v) for k, v in changes.items()}}
                first = False
            yield table, row

    return {**registry.FACTORIES, factory: replace(spec, fn=fn)}


def use_factories(monkeypatch: pytest.MonkeyPatch, factories: Any) -> None:
    monkeypatch.setattr(registry, "FACTORIES", factories)
    monkeypatch.setattr(steps, "FACTORIES", factories)


def counts(engine: sa.Engine, *tables: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[t])).scalar_one()
            for t in tables
        }


def test_broken_factory_over_long_string_is_caught_before_insert(
    any_url: str, engine_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema_at_head(any_url)
    use_factories(monkeypatch, broken("vendors", name="V" * 300))
    result = run_cli(any_url, "seed", "--table", "vendors")
    assert result.code == 1
    assert re.fullmatch(
        r"FAILED: vendors\.name: value 'V{37}…' \(300 chars\) does not fit "
        r"\(accepts varchar\(255\)\); row id 1; nothing of this step was written",
        result.failure,
    ), result.err
    assert "Traceback" not in result.err
    assert counts(engine_for(any_url), "vendors") == {"vendors": 0}


def test_broken_factory_unknown_enum_is_caught_before_insert(
    any_url: str, engine_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema_at_head(any_url)
    use_factories(monkeypatch, broken("users", role="superuser"))
    result = run_alembic(any_url, "-n", "seed", "upgrade", "head")
    assert result.code != 0
    assert "FAILED: users.role: value 'superuser' does not fit (accepts one of [user, admin])" in (
        result.err + result.out
    )
    engine = engine_for(any_url)
    assert counts(engine, "users", "bankAccounts") == {"users": 0, "bankAccounts": 0}
    with engine.connect() as conn:
        assert ledger.counts(conn, Scope(revision="0002_staff_users")) == {}


@pytest.mark.mysql
def test_step_whose_rows_break_a_rule_is_rolled_back(
    mysql_url: str, engine_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema_at_head(mysql_url)
    over = broken("batches", reservedQty=lambda row: row["onHandQty"] + 1)
    use_factories(monkeypatch, over)
    result = run_alembic(mysql_url, "-n", "seed", "-x", "size=small", "upgrade", "head")
    assert result.code != 0
    assert re.search(
        r"FAILED: rows seeded by revision 0005_inventory break 3 integrity rule\(s\): "
        r"reserved-within-on-hand:batches on batches 1; "
        r"terp:allocations-within-on-hand:batches on batches 1; "
        r"reserved-equals-open-sales:batches on batches 1;",
        result.err + result.out,
    ), result.err[-2000:]
    engine = engine_for(mysql_url)
    with engine.connect() as conn:
        assert ledger.counts(conn, Scope(revision="0005_inventory")) == {}
        assert ledger.counts(conn, Scope(revision="0004_catalogue"))  # earlier steps stay
        version = conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar()
    assert version == "0004_catalogue"
    assert counts(engine, "batches", "batchLocations", "lots", "locations") == dict.fromkeys(
        ("batches", "batchLocations", "lots", "locations"), 0
    )


# -- docs ------------------------------------------------------------------------------------------


def test_every_rule_is_documented() -> None:
    text = DOC.read_text()
    missing = [r.name for r in RULES if f"`{r.name}`" not in text]
    assert missing == [], f"add these rules to {Path(DOC).name}: {missing}"


def test_rule_names_are_unique_and_tables_known() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    assert all(t in metadata.tables for r in RULES for t in r.tables)

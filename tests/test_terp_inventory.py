"""Lots, batches and calendar events read the way TERP's server code reads them (issue 21).

Each check recomputes what a TERP screen or service computes from the seeded rows: inventory
aging from ``batches.createdAt`` (server/routers/inventory.ts:68-89), ``parseMetadata``
(server/inventoryUtils.ts:377-455), available quantity and the publishing check
(server/inventoryUtils.ts:18-26, server/services/catalogPublishingService.ts:49-100), the next
codes of TERP's sequences (server/sequenceDb.ts). Small, medium and large at two seeds and two
as-of days on SQLite, and medium once on MariaDB.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from support.databases import own_database

from terp_seed.factories.calendar import calendar
from terp_seed.testing.plugin import project_root, run_alembic, schema_at_head
from terp_seed.validation.rules import RULES
from terp_seed.validation.runner import run_rules
from terp_seed.validation.terp_inventory import INVENTORY_RULES

AS_OFS = (date(2026, 4, 20), date(2025, 12, 31))
SEEDS = (5, 11)
CASES = [
    ("sqlite", size, seed, as_of)
    for size in ("small", "medium", "large")
    for seed in SEEDS
    for as_of in AS_OFS
] + [("mysql", "medium", 5, AS_OFS[0])]


@dataclass
class Seeded:
    conn: sa.Connection
    size: str
    as_of: date

    def rows(self, sql: str) -> list[Any]:
        if self.conn.dialect.name in ("mysql", "mariadb"):
            sql = sql.replace('"', "`")
        return list(self.conn.execute(sa.text(sql)))


def _id(case: tuple[str, str, int, date]) -> str:
    return f"{case[0]}-{case[1]}-seed{case[2]}-{case[3]}"


@pytest.fixture(scope="module", params=CASES, ids=_id)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    kind, size, seed, as_of = request.param
    with contextlib.ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('terp') / 'terp.sqlite'}"
        else:
            url = stack.enter_context(own_database(request.config, "terp_seed_inventory"))
        schema_at_head(url)
        args = ("-x", f"size={size}", "-x", f"seed={seed}", "-x", f"as_of={as_of}")
        result = run_alembic(url, "-n", "seed", *args, "upgrade", "head")
        assert result.code == 0, result.err[-2000:]
        engine = sa.create_engine(url, poolclass=sa.NullPool)
        with engine.connect() as conn:
            yield Seeded(conn, size, as_of)
        engine.dispose()


def _num(value: Any) -> float:
    """``parseFloat`` of a stored decimal (TERP keeps them as strings)."""
    return float(Decimal(str(value)))


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_inventory_rules_hold(seeded: Seeded) -> None:
    failed = [r.describe() for r in run_rules(seeded.conn, INVENTORY_RULES, None) if r.failed]
    assert failed == []


def test_lot_vendor_is_the_supplier_client(seeded: Seeded) -> None:
    """TERP reads lots.vendorId as a client id first (server/vendorDisplay.ts:25-70); the
    supplier's vendors row has the same key (aligned key spaces), so both readings agree."""
    rows = seeded.rows(
        'SELECT l."vendorId", l.supplier_client_id, c.is_seller FROM lots l '
        'LEFT JOIN clients c ON c.id = l."vendorId"'
    )
    assert rows and all(v == s and seller for v, s, seller in rows)


def test_aging_reads_like_a_live_business(seeded: Seeded) -> None:
    """TERP's aging widget: LIVE batches with stock, age = ceil(now - createdAt) in days."""
    now = calendar(seeded.as_of).now
    rows = seeded.rows(
        'SELECT b."createdAt", b."updatedAt", l.date, b."batchStatus", b."onHandQty" '
        'FROM batches b JOIN lots l ON l.id = b."lotId"'
    )
    brackets: Counter[str] = Counter()
    for created, updated, lot_date, status, on_hand in rows:
        created, lot_date = _when(created), _when(lot_date)
        assert lot_date <= created <= now, (lot_date, created, now)
        assert _when(updated) == created  # intake writes both at once
        if status == "LIVE" and _num(on_hand) > 0:
            age = math.ceil((now - created).total_seconds() / 86_400)
            bracket = (
                "FRESH"
                if age <= 7
                else "MODERATE"
                if age <= 14
                else "AGING"
                if age <= 30
                else "CRITICAL"
            )
            brackets[bracket] += 1
    assert brackets["CRITICAL"] > 0  # a tail of aged stock
    assert brackets["FRESH"] + brackets["MODERATE"] + brackets["AGING"] > 0
    statuses = Counter(r[3] for r in rows)
    assert statuses["LIVE"] > statuses["SOLD_OUT"] / 2
    if seeded.size != "small":
        assert set(statuses) >= {"LIVE", "SOLD_OUT", "AWAITING_INTAKE"}
        # most intakes within the last four months, the rest spread over the history
        ages = [(now - _when(r[2])).days for r in rows]
        assert 0.4 < sum(a <= 120 for a in ages) / len(ages) < 0.75


def test_metadata_parses_as_terps_batch_metadata(seeded: Seeded) -> None:
    rows = seeded.rows("SELECT metadata FROM batches")
    parsed = [json.loads(raw) for (raw,) in rows if raw is not None]
    assert len(parsed) >= 0.7 * len(rows)
    for data in parsed:
        tests = data["testResults"]
        assert type(tests["thc"]) in (int, float) and type(tests["cbd"]) in (int, float)
        assert isinstance(tests["terpenes"], list)
        assert isinstance(data["packaging"], dict)
        assert data["customFields"]["metrcTag"].startswith("1A4")
        if "sourcing" in data:
            assert isinstance(data["sourcing"]["organic"], bool)


def test_quantities_and_publishing_as_terp_writes_them(seeded: Seeded) -> None:
    rows = seeded.rows(
        'SELECT "batchStatus", "onHandQty", "reservedQty", "quarantineQty", "holdQty", '
        '"publishB2b", "publishEcom", "isPhotographyComplete" FROM batches'
    )
    for status, on_hand, reserved, quarantine, hold, b2b, ecom, photographed in rows:
        on_hand, quarantine, hold = _num(on_hand), _num(quarantine), _num(hold)
        available = max(0.0, on_hand - _num(reserved) - quarantine - hold)
        if status == "QUARANTINED":
            assert on_hand == 0 and quarantine > 0
        elif status == "ON_HOLD":
            assert hold == on_hand > 0 and available == 0
        elif status in ("SOLD_OUT", "CLOSED"):
            assert on_hand == 0
        elif status == "LIVE":  # open sales may hold all of it (reservedQty is derived)
            assert on_hand > 0 and quarantine == 0
        if b2b or ecom:
            assert status == "LIVE" and photographed and available > 0
    assert any(r[5] for r in rows) or seeded.size == "small"


def test_unit_costs_within_california_wholesale(seeded: Seeded) -> None:
    rows = seeded.rows(
        'SELECT p.category, b."unitCogs", b.grade FROM batches b JOIN products p '
        'ON p.id = b."productId"'
    )
    flower = [_num(c) for cat, c, _ in rows if cat == "Flower"]
    other = [_num(c) for cat, c, _ in rows if cat != "Flower"]
    assert flower and all(60 <= c <= 1400 for c in flower)  # per lb
    assert all(1 <= c <= 15 for c in other)  # per unit (bulk oil per g)
    graded = [g for cat, _, g in rows if cat == "Flower"]
    assert all(g is not None for g in graded)


def test_stock_is_a_few_months_of_sales(seeded: Seeded) -> None:
    """LIVE stock at cost against the cost of goods sold in the last 90 days."""
    stock = sum(
        _num(q) * _num(c)
        for q, c in seeded.rows(
            'SELECT "onHandQty", "unitCogs" FROM batches WHERE "batchStatus" = \'LIVE\''
        )
    )
    since = calendar(seeded.as_of).now - timedelta(days=90)
    sold = sum(
        _num(c)
        for c, created in seeded.rows(
            "SELECT total_cogs, created_at FROM orders WHERE \"orderType\" = 'SALE'"
        )
        if _when(created) >= since
    )
    monthly = sold / 3
    assert monthly > 0
    assert 0.5 < stock / monthly < 10, (stock, monthly)


def test_codes_never_collide_with_terps_sequences(seeded: Seeded) -> None:
    """TERP issues BATCH-001001... and LOT-001001... (sequences start at 1000)."""
    upcoming = {f"BATCH-{n:06d}" for n in range(1001, 60_000)}
    upcoming |= {f"LOT-{n:06d}" for n in range(1001, 60_000)}
    codes = [c for (c,) in seeded.rows("SELECT code FROM batches UNION ALL SELECT code FROM lots")]
    assert codes and not upcoming.intersection(codes)
    # nor the app's shape at all: a later run (or a larger size) would count on into its range
    app_shape = [c for c in codes if re.fullmatch(r"(BATCH|LOT)-\d{6,}", c)]
    assert app_shape == []


def test_every_rule_names_its_source_and_is_documented() -> None:
    text = (project_root() / "docs" / "validation.md").read_text()
    for rule in INVENTORY_RULES:
        assert rule.source and rule.description, rule.name
        assert f"`{rule.name}`" in text, rule.name


def test_calendar_events_follow_the_as_of_day(seeded: Seeded) -> None:
    rows = seeded.rows("SELECT start_date, end_date, status, is_floating_time FROM calendar_events")
    for start, end, status, floating in rows:
        start = start if isinstance(start, date) else date.fromisoformat(str(start))
        end = end if isinstance(end, date) else date.fromisoformat(str(end))
        assert end >= start and floating
        if status == "SCHEDULED":
            assert start >= seeded.as_of
        if status == "COMPLETED":
            assert start < seeded.as_of


def test_photography_sessions_follow_intake(seeded: Seeded) -> None:
    rows = seeded.rows(
        'SELECT b."createdAt", e.start_date, e.event_type, e.status FROM batches b '
        "JOIN calendar_events e ON e.id = b.photo_session_event_id"
    )
    for created, start, kind, status in rows:
        start = start if isinstance(start, date) else date.fromisoformat(str(start))
        assert kind == "PHOTOGRAPHY" and status == "COMPLETED"
        assert start >= _when(created).date()


ORDERS_ON_BATCHES = {
    "reserved-equals-open-sales:batches",
    "open-within-available:batches",
    "sold-after-batch-created:order_line_items",
    "sold-after-lot-intake:order_line_items",
    "open-order-on-live-batch:order_line_items",
}


def test_orders_touch_batches_as_terp_does(seeded: Seeded) -> None:
    rules = [r for r in RULES if r.name in ORDERS_ON_BATCHES]
    assert len(rules) == len(ORDERS_ON_BATCHES)
    failed = [r.describe() for r in run_rules(seeded.conn, rules, None) if r.failed]
    assert failed == []

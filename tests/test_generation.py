"""Streaming generation without a database: unique columns stay unique at size, the same seed
gives the same rows, the fast draws are exact, and money adds up in whole cents."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from terp_seed.factories.base import Gen, IdAllocator, JsonText, Parents, with_timestamps
from terp_seed.factories.draw import Draw, Weighted, cents_text, round_div
from terp_seed.factories.parties import clients, vendors
from terp_seed.factories.registry import FACTORIES
from terp_seed.sizes import parse_size

ORDER = (
    "categories",
    "subcategories",
    "grades",
    "strains",
    "workflow_statuses",
    "users",
    "vendors",
    "clients",
    "bankAccounts",
    "calendar_events",
    "brands",
    "products",
    "lots",
    "locations",
    "batches",
    "bills",
    "orders",
)


AS_OF = date(2026, 6, 15)


def _dataset(size: str, seed: int = 5, as_of: date = AS_OF) -> dict[str, list[dict[str, Any]]]:
    """Every factory's rows for ``size``, offline (parents from this run's own rows)."""
    gen = Gen(seed, parse_size(size), IdAllocator(None), Parents(None), as_of=as_of)
    out: dict[str, list[dict[str, Any]]] = {}
    for name in ORDER:
        spec = FACTORIES[name]
        for table, row in spec.fn(gen, gen.size.count(spec.table)):
            with_timestamps(table, row, gen.calendar.now)
            gen.parents.remember(table, row)
            out.setdefault(table, []).append(row)
    return out


def test_clients_stay_unique_and_whales_refer_earlier_rows() -> None:
    gen = Gen(1, parse_size("20000"), IdAllocator(None), Parents(None))
    rows = list(vendors(gen, 3000)) + list(clients(gen, 17_000))
    buyers = [r for t, r in rows if t == "clients"]
    profiles = [r for t, r in rows if t == "supplier_profiles"]
    assert len(buyers) == 20_000 and len(profiles) == 3000
    for column in ("id", "teri_code", "email"):
        assert len({r[column] for r in buyers}) == 20_000, column
    assert len({r["client_id"] for r in profiles}) == 3000
    # a supplier's vendor has its client's key and name (TERP reads a vendorId as a client id)
    names = {r["id"]: r["name"] for r in buyers}
    assert all(names[r["id"]] == r["name"] for t, r in rows if t == "vendors")
    whale_ids = {r["id"] for r in buyers if r["teri_code"].startswith("WHL")}
    referred = [r for r in buyers if r["referred_by_client_id"] is not None]
    assert referred and all(r["referred_by_client_id"] in whale_ids for r in referred)
    assert all(r["referred_by_client_id"] < r["id"] for r in referred)
    licences = Counter(r["license_number"][:3] for r in profiles)
    assert set(licences) <= {"CCL", "C11", "CDP"}


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    a, b, c = _dataset("small", 5), _dataset("small", 5), _dataset("small", 6)
    assert a == b
    assert a["clients"] != c["clients"] and a["orders"] != c["orders"]


def test_sales_money_adds_up_and_items_mirror_lines() -> None:
    data = _dataset("medium")
    lines: dict[int, list[dict[str, Any]]] = {}
    for line in data["order_line_items"]:
        lines.setdefault(line["order_id"], []).append(line)
        assert line["line_total"] == (line["quantity"] * line["unit_price"]).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
    for order in data["orders"]:
        mine = lines[order["id"]]
        assert order["subtotal"] == sum(li["line_total"] for li in mine)
        assert isinstance(order["items"], JsonText)
        # TERP's OrderItem: money as JSON numbers (server/ordersDb.ts:53-92), read exactly
        items = json.loads(order["items"], parse_float=Decimal)
        assert [i["batchId"] for i in items] == [li["batch_id"] for li in mine]
        assert [i["lineTotal"] for i in items] == [li["line_total"] for li in mine]
    per_invoice: Counter[int] = Counter()
    for payment in data["payments"]:
        per_invoice[payment["invoiceId"]] += int(payment["amount"] * 100)
    for invoice in data["invoices"]:
        paid = per_invoice.get(invoice["id"], 0)
        assert int(invoice["amountPaid"] * 100) == paid <= int(invoice["totalAmount"] * 100)
        assert invoice["amountDue"] == invoice["totalAmount"] - invoice["amountPaid"]
    average = len(data["order_line_items"]) / len(data["orders"])
    assert 3.5 < average < 4.5  # as the size presets count them


def test_batch_quantities_split_exactly() -> None:
    data = _dataset("medium")
    placed: Counter[int] = Counter()
    for loc in data["batchLocations"]:
        placed[loc["batchId"]] += int(loc["qty"] * 10_000)
    for batch in data["batches"]:
        on_hand = int(batch["onHandQty"] * 10_000)
        assert 0 <= int(batch["reservedQty"] * 10_000) <= on_hand
        assert placed[batch["id"]] == on_hand
        if batch["metadata"] is not None:  # TERP's BatchMetadata: the tag is a custom field
            assert json.loads(batch["metadata"])["customFields"]["metrcTag"].startswith("1A4")


@pytest.mark.parametrize("seed", range(5))
def test_round_div_is_half_away_from_zero(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2000):
        n, d = rng.randint(-(10**9), 10**9), rng.choice([1, 2, 3, 7, 100, 10_000, -100])
        expected = (Decimal(n) / Decimal(d)).quantize(Decimal(1), ROUND_HALF_UP)
        assert round_div(n, d) == int(expected), (n, d)
        cents = rng.randint(-(10**12), 10**12)
        assert Decimal(cents_text(cents)) == Decimal(cents).scaleb(-2)


def test_weighted_draws_follow_their_weights() -> None:
    draw = Draw(random.Random(3))
    small = Weighted(["a", "b", "c"], [60, 30, 10])
    large = Weighted(["x", "y"], [0.25, 0.75])  # not whole numbers: bisect over cumulative
    counts = Counter(small(draw) for _ in range(20_000))
    assert 0.57 < counts["a"] / 20_000 < 0.63 and 0.08 < counts["c"] / 20_000 < 0.12
    counts = Counter(large(draw) for _ in range(20_000))
    assert 0.72 < counts["y"] / 20_000 < 0.78
    assert all(draw.between(3, 6) in (3, 4, 5, 6) for _ in range(1000))
    with pytest.raises(ValueError, match="one weight per item"):
        Weighted(["a"], [1, 2])


def test_parents_sample_is_every_row_below_the_limit_and_bounded_above(
    sqlite_url: str, engine_for: Any
) -> None:
    """The sales factory's stock: every batch while there are few, a bounded uniform sample
    (the same for the same seed) when there are many, read as a stream."""
    import sqlalchemy as sa

    from terp_seed.schema import metadata
    from terp_seed.testing.plugin import schema_at_head

    schema_at_head(sqlite_url)
    engine = engine_for(sqlite_url)
    c = metadata.tables["categories"]
    with engine.begin() as conn:
        conn.execute(c.insert(), [{"id": k, "name": f"c{k}"} for k in range(1, 501)])
        conn.execute(c.update().where(c.c.id == 7).values(deleted_at=sa.func.now()))
    with engine.connect() as conn:
        parents = Parents(conn)
        everything = parents.sample("categories", ["id"], 1000, random.Random(1))
        assert everything == parents.rows("categories", ["id"]) and (7,) not in everything
        one = parents.sample("categories", ["id", "name"], 50, random.Random(1))
        again = parents.sample("categories", ["id", "name"], 50, random.Random(1))
        other = parents.sample("categories", ["id", "name"], 50, random.Random(2))
    assert len(one) == 50 and one == again and one != other
    assert [r[0] for r in one] == sorted(r[0] for r in one) and (7, "c7") not in one
    assert one[-1][0] > 250  # drawn from the whole table, not its first rows
    found = Parents(None)
    for k in (3, 1, 2):
        found.remember("categories", {"id": k, "name": f"c{k}"})
    assert found.by_key("categories", ["id", "name"], [2, 3, 9]) == [(3, "c3"), (2, "c2")]


def _dates(rows: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, date]]:
    """Every date and time the rows hold, as (table, column, day)."""
    found = []
    for table, table_rows in rows.items():
        for row in table_rows:
            for column, value in row.items():
                if isinstance(value, datetime):
                    found.append((table, column, value.date()))
                elif isinstance(value, date):
                    found.append((table, column, value))
    return found


# Dates a row may hold after the as-of day: what is due, valid or planned later.
FUTURE_COLUMNS = {"due_date", "dueDate", "valid_until", "end_date", "start_date"}


def test_every_date_is_placed_relative_to_the_as_of_day() -> None:
    early, late = date(2025, 10, 31), date(2027, 3, 1)
    first, second = _dataset("small", as_of=early), _dataset("small", as_of=late)
    assert _dataset("small", as_of=early) == first  # same seed, same as-of: same rows
    shift = late - early
    for rows, as_of in ((first, early), (second, late)):
        dates = _dates(rows)
        assert dates
        past = [(t, c, d) for t, c, d in dates if c not in FUTURE_COLUMNS]
        assert max(d for _, _, d in past) <= as_of
        assert min(d for _, _, d in dates) >= as_of - timedelta(days=2 * 365)
    # the whole history moves with the as-of day, row for row; sales follow the calendar's
    # weekdays and seasons (quiet weekends, the 4/20 spike), so they move as a whole instead
    shaped = {"orders", "order_line_items", "invoices", "payments"}
    plain = [{t: r for t, r in rows.items() if t not in shaped} for rows in (first, second)]
    for (t1, c1, d1), (t2, c2, d2) in zip(_dates(plain[0]), _dates(plain[1]), strict=True):
        assert (t1, c1) == (t2, c2) and d2 - d1 == shift, (t1, c1, d1, d2)
    assert len(first["orders"]) == len(second["orders"])
    for table in shaped:
        old = [d for t, c, d in _dates(first) if t == table and c not in FUTURE_COLUMNS]
        new = [d for t, c, d in _dates(second) if t == table and c not in FUTURE_COLUMNS]
        recent = timedelta(days=0 if table == "orders" else 60)  # orders are placed today too
        assert max(old) >= early - recent and max(new) >= late - recent, table

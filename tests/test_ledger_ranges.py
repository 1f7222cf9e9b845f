"""The ledger records key ranges with packed checksums: conversion from the first layout (one
row per seeded row), no key recorded twice, checksums from the text sent that the server agrees
with (and the server taking over when it does not), and many scattered ranges."""

from __future__ import annotations

import hashlib
import itertools
import logging
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.errors import SeedDataError, TerpSeedError
from terp_seed.factories.base import Gen, IdAllocator, Parents, with_timestamps
from terp_seed.factories.parties import clients, vendors
from terp_seed.load.encoder import decimal_text
from terp_seed.load.loader import Loader
from terp_seed.schema import metadata
from terp_seed.seeding.rollback import plan_rollback
from terp_seed.sizes import parse_size
from terp_seed.store import ledger
from terp_seed.store.checksums import checksum_expr
from terp_seed.store.ledger import Scope
from terp_seed.store.setup import ensure_own_tables, require_own_tables
from terp_seed.store.tables import OLD_LEDGER_TABLE, bookkeeping_metadata
from terp_seed.store.tables import ledger as ledger_table
from terp_seed.store.upgrades import convert_row_ledger
from terp_seed.testing.plugin import ledger_entries, run_cli, schema_at_head

OLD_DDL = (
    "CREATE TABLE {name} (id INTEGER PRIMARY KEY {auto}, run_id VARCHAR(32) NOT NULL, "
    "revision VARCHAR(64), table_name VARCHAR(64) NOT NULL, row_pk BIGINT NOT NULL, "
    "checksum VARCHAR(32))"
)


def _digest(n: int) -> str:
    return hashlib.md5(str(n).encode()).hexdigest()


def _old_ledger(conn: sa.Connection, name: str = "terp_seed_ledger") -> None:
    """A ledger in the first layout: clients 1-5 and 9 of run a, 6-7 of run b (7 with no
    checksum), products 3 of run a."""
    auto = "AUTO_INCREMENT" if conn.dialect.name != "sqlite" else ""
    conn.exec_driver_sql(OLD_DDL.format(name=name, auto=auto))
    rows = [("a", "r1", "clients", k, _digest(k)) for k in (1, 2, 3, 4, 5, 9)]
    rows += [("b", None, "clients", 6, _digest(6)), ("b", None, "clients", 7, None)]
    rows += [("a", "r1", "products", 3, _digest(30))]
    for run_id, revision, table, key, checksum in rows:
        conn.execute(
            sa.text(
                f"INSERT INTO {name} (run_id, revision, table_name, row_pk, checksum) "
                "VALUES (:r, :v, :t, :k, :c)"
            ),
            {"r": run_id, "v": revision, "t": table, "k": key, "c": checksum},
        )
    conn.commit()


def _expected() -> list[tuple[str, str | None, str, int, bytes | None]]:
    sums = {k: bytes.fromhex(_digest(k)) for k in range(10)}
    return sorted(
        [("a", "r1", "clients", k, sums[k]) for k in (1, 2, 3, 4, 5, 9)]
        + [("b", None, "clients", 6, sums[6]), ("b", None, "clients", 7, None)]
        + [("a", "r1", "products", 3, bytes.fromhex(_digest(30)))],
        key=lambda e: (e[2], e[3], e[0]),
    )


def test_a_first_layout_ledger_is_converted_to_ranges(any_url: str, engine_for: Any) -> None:
    engine = engine_for(any_url)
    with engine.connect() as conn:
        _old_ledger(conn)
        with pytest.raises(TerpSeedError, match="is in the first layout"):
            require_own_tables(conn)  # a dry run cannot convert it
        ensure_own_tables(conn)
        assert OLD_LEDGER_TABLE not in sa.inspect(conn).get_table_names()
        assert ledger_entries(conn) == _expected()
        spans = conn.execute(
            sa.select(ledger_table.c.table_name, ledger_table.c.first_pk, ledger_table.c.last_pk)
            .where(ledger_table.c.run_id == "a")
            .order_by(ledger_table.c.table_name, ledger_table.c.first_pk)
        ).all()
        assert [tuple(s) for s in spans] == [
            ("clients", 1, 5),
            ("clients", 9, 9),
            ("products", 3, 3),
        ]
        ensure_own_tables(conn)  # nothing left to convert
        assert ledger_entries(conn) == _expected()
        require_own_tables(conn)


def test_an_interrupted_conversion_resumes_without_copying_twice(
    any_url: str, engine_for: Any
) -> None:
    engine = engine_for(any_url)
    with engine.connect() as conn:
        _old_ledger(conn, OLD_LEDGER_TABLE)  # renamed, then the run died
        bookkeeping_metadata.create_all(conn)
        conn.execute(  # ... after copying the first range
            ledger_table.insert().values(
                run_id="a",
                revision="r1",
                table_name="clients",
                first_pk=1,
                last_pk=5,
                checksums=b"".join(bytes.fromhex(_digest(k)) for k in range(1, 6)),
            )
        )
        conn.commit()
        ensure_own_tables(conn)
        assert OLD_LEDGER_TABLE not in sa.inspect(conn).get_table_names()
        assert ledger_entries(conn) == _expected()
        assert convert_row_ledger(conn) == 0  # called again by hand: nothing left to copy


def test_a_key_is_recorded_once(any_url: str, engine_for: Any) -> None:
    schema_at_head(any_url)
    engine = engine_for(any_url)
    with engine.connect() as conn:
        ensure_own_tables(conn)
        conn.execute(sa.text("INSERT INTO categories (id, name) VALUES (1, 'a'), (2, 'b')"))
        assert ledger.record_range(conn, "r", None, "categories", 1, 2) == 2
        with pytest.raises(SeedDataError, match=r"overlap keys 1\.\.2 already recorded"):
            ledger.record_range(conn, "r2", None, "categories", 2, 2)
        assert ledger.record_range(conn, "r2", None, "categories", 3, 4) == 0  # not there
        assert ledger.counts(conn, Scope(run_id="r")) == {"categories": 2}
        assert ledger.counts(conn, Scope(run_id="r2")) == {}


def test_many_scattered_ranges_are_found_through_the_ledger(any_url: str, engine_for: Any) -> None:
    schema_at_head(any_url)
    engine = engine_for(any_url)
    keys = [3 * k + 1 for k in range(ledger.INLINE_SPANS + 6)]  # more ranges than named inline
    with engine.connect() as conn:
        ensure_own_tables(conn)
        c = metadata.tables["categories"]
        conn.execute(c.insert(), [{"id": k, "name": f"c{k}"} for k in [*keys, 2, 5]])
        assert ledger.record_rows(conn, "s", None, "categories", keys) == len(keys)
        seeded = ledger.seeded_keys(conn, Scope(run_id="s"))
        assert len(seeded.spans["categories"]) == len(keys)
        found = conn.execute(sa.select(c.c.id).where(seeded.keys("categories", c.c.id)))
        assert sorted(found.scalars()) == keys
        assert seeded.among("categories", [1, 2, 4, 5]) == [1, 4]


def _client_rows(count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` clients, 15% of them suppliers with their profiles (their vendors rows left
    out)."""
    gen = Gen(seed=5, size=parse_size(str(count)), ids=IdAllocator(None), parents=Parents(None))
    suppliers = round(count * 0.15)
    stream = itertools.chain(vendors(gen, suppliers), clients(gen, count - suppliers))
    return [(t, with_timestamps(t, r, gen.calendar.now)) for t, r in stream if t != "vendors"]


def _server_sums(conn: sa.Connection, table: str) -> list[bytes]:
    t = metadata.tables[table]
    q = sa.select(checksum_expr(conn, t)).order_by(t.c.id)
    return [bytes(d) for d in conn.execute(q).scalars()]


@pytest.mark.mysql
def test_text_checksums_are_the_server_s(mysql_url: str, engine_for: Any) -> None:
    """Rows bulk-loaded with their checksums computed from the text sent: every one equals the
    server's, and a rollback finds none of them changed."""
    schema_at_head(mysql_url)
    rows = _client_rows(5000)
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        loader = Loader(conn.execute, conn=conn, run_id="t", revision=None)
        with conn.begin():
            loader.load(iter(rows))
        assert loader.server_checksums == frozenset()  # the text's checksums held
        for table in ("clients", "supplier_profiles"):
            recorded = [e[4] for e in ledger_entries(conn) if e[2] == table]
            assert recorded == _server_sums(conn, table)
        plan = plan_rollback(conn, Scope(run_id="t"))
        assert plan.modified == {} and plan.counts["clients"] == 5000


@pytest.fixture
def mysql_schema(mysql_url: str) -> str:
    """TERP's schema, set up before the test (Alembic's logging set-up would otherwise replace
    the handler ``caplog`` installs for the test)."""
    schema_at_head(mysql_url)
    return mysql_url


@pytest.mark.mysql
def test_a_value_stored_in_another_form_hands_checksums_to_the_server(
    mysql_schema: str, engine_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An enum value sent in lower case is stored in upper case: the sample catches it, the
    warning names the column, and the ledger's checksums are the server's all the same."""
    mysql_url = mysql_schema
    rows = [(t, r) for t, r in _client_rows(6000) if t == "clients"]
    for _t, row in rows[100:103] + rows[2500:]:  # a few the first chunk's sample misses
        row["businessType"] = "retail"
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        loader = Loader(conn.execute, conn=conn, run_id="t", revision=None, chunk_rows=2000)
        with caplog.at_level(logging.WARNING, logger="terp_seed.load.writer"), conn.begin():
            loader.load(iter(rows))
        assert loader.server_checksums == {"clients"}
        assert "businessType of row" in caplog.text and "'retail'" in caplog.text, caplog.text
        recorded = [e[4] for e in ledger_entries(conn) if e[2] == "clients"]
        assert recorded == _server_sums(conn, "clients")
        assert plan_rollback(conn, Scope(run_id="t")).modified == {}


def test_decimals_are_sent_as_the_server_stores_them() -> None:
    from decimal import Decimal

    two = decimal_text(2)
    assert [two(v) for v in (45000, Decimal("12.5"), Decimal("1E+2"), Decimal("-0.00"))] == [
        "45000.00",
        "12.50",
        "100.00",
        "0.00",
    ]
    assert two(Decimal("-3.10")) == "-3.10" and two(Decimal("12.50")) == "12.50"
    assert two(Decimal("1.005")) == "1.005"  # too many digits: sent as it is, the server refuses
    assert decimal_text(0)(Decimal("7")) == "7" and decimal_text(4)(1) == "1.0000"
    # whole numbers as long as the scale, and floats as they read
    assert (
        two(45) == "45.00"
        and two(Decimal("99")) == "99.00"
        and decimal_text(4)(1234) == "1234.0000"
    )
    assert two(0.1) == "0.10" and two(2.5) == "2.50" and two(0.125) == "0.125"


def test_the_encoder_remembers_decimal_texts_without_mixing_equal_values() -> None:
    """Values that compare equal share a remembered text: it must be the text of each."""
    from decimal import Decimal

    from terp_seed.load.encoder import TableEncoder, format_value

    table = sa.Table(
        "money", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("amount", sa.Numeric(12, 2))
    )
    values = [
        Decimal("1.5"),
        Decimal("1.50"),
        1.5,
        45000,
        Decimal("45000.00"),
        1,
        Decimal("1"),
        0.1,
        Decimal("0.1"),
        Decimal("1.005"),
        Decimal("-0.00"),
        0,
        None,
    ]
    rows = [{"id": i, "amount": v} for i, v in enumerate(values * 2)]  # again: from memory
    encoder = TableEncoder(table, ["id", "amount"])
    expected = "".join(f"{r['id']}\t{format_value('decimal2', r['amount'])}\n" for r in rows)
    assert encoder.encode(rows).decode() == expected
    assert encoder.clean


def test_the_encoder_does_not_remember_aware_datetimes() -> None:
    """The same instant at two offsets compares equal: each must still be sent as it reads."""
    import datetime as dt

    from terp_seed.load.encoder import TableEncoder

    table = sa.Table(
        "times", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("at", sa.DateTime)
    )
    utc = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    paris = utc.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert utc == paris and str(utc) != str(paris)
    rows = [{"id": 1, "at": utc}, {"id": 2, "at": paris}]
    encoder = TableEncoder(table, ["id", "at"])
    assert encoder.encode(rows).decode() == f"1\t{utc}\n2\t{paris}\n"


def test_the_encoder_forgets_columns_whose_values_do_not_repeat() -> None:
    """Unique totals and timestamps stop being remembered after a chunk; repeated ones are
    kept; the text is the same either way."""
    import datetime as dt
    from decimal import Decimal

    from terp_seed.load.encoder import TableEncoder, format_value

    table = sa.Table(
        "money",
        sa.MetaData(),
        sa.Column("id", sa.Integer),
        sa.Column("total", sa.Numeric(12, 2)),
        sa.Column("price", sa.Numeric(12, 4)),
        sa.Column("at", sa.DateTime),
    )
    start = dt.datetime(2025, 1, 1)
    rows = [
        {
            "id": i,
            "total": Decimal(i).scaleb(-2),
            "price": (Decimal("1.5"), Decimal("2.25"), 3)[i % 3],
            "at": start + dt.timedelta(seconds=i),
        }
        for i in range(6000)
    ]
    encoder = TableEncoder(table, ["id", "total", "price", "at"])
    kinds = dict(zip(encoder.columns, encoder.kinds, strict=True))
    for chunk in (rows[:3000], rows[3000:]):
        expected = "".join(
            "\t".join(format_value(kinds[c], r[c]) for c in encoder.columns) + "\n" for r in chunk
        )
        assert encoder.encode(chunk).decode() == expected and encoder.clean
    remembered = {encoder.columns[i] for i in encoder._memos}
    assert remembered == {"price"}


def test_status_reads_a_ledger_not_converted_yet(any_url: str, engine_for: Any) -> None:
    """`terp-seed status` writes nothing, so it counts a first-layout ledger as it is."""
    schema_at_head(any_url)
    with engine_for(any_url).connect() as conn:
        _old_ledger(conn)
    result = run_cli(any_url, "status")
    assert result.code == 0 and "Traceback" not in result.err, result.err[-1500:]
    with engine_for(any_url).connect() as conn:  # still the old layout: nothing converted
        assert "row_pk" in {c["name"] for c in sa.inspect(conn).get_columns("terp_seed_ledger")}

"""The bulk loader on real MariaDB: LOAD DATA escaping round trips, warnings as errors, the
temporary file, the INSERT and LOAD DATA paths giving the same rows, and the overlapped worker."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.errors import SeedDataError
from terp_seed.factories.base import Gen, IdAllocator, JsonText, Parents, with_timestamps
from terp_seed.factories.parties import clients, vendors
from terp_seed.load import infile as ld
from terp_seed.load.encoder import TableEncoder, escape, plain_json
from terp_seed.load.infile import load_data
from terp_seed.load.loader import Loader
from terp_seed.schema import metadata
from terp_seed.sizes import parse_size
from terp_seed.store.setup import ensure_own_tables
from terp_seed.testing.plugin import ledger_entries, schema_at_head

pytestmark = pytest.mark.mysql

TRICKY_TEXT = [
    "",
    "plain",
    "\\N",
    "N",
    "NULL",
    "\\",
    "trailing\\",
    "\\\\double",
    "a\tb",
    "\t",
    "line1\nline2",
    "\n",
    "cr\rlf\r\n",
    "nul\x00byte",
    "ctrl-z \x1a",
    'quote\'s "double" `back`',
    "\\t literal backslash-t",
    "percent %s %% {}",
    "héllo wörld",
    "大麻 🌿 emoji",
    "e\u0301 combining",
    "  spaces  ",
]
TRICKY_JSON: list[Any] = [
    {"a": "tab\there", "b": "new\nline", "c": 'quote"s', "d": "back\\slash"},
    ["\\N", None, True, 1.5, "🌿", {"nested": [1, 2, {"x": "\t"}]}],
    "just a string",
    {},
    [],
    0,
]

ROUND_TRIP = sa.Table(
    "load_round_trip",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text),
    sa.Column("short", sa.String(200)),
    sa.Column("doc", sa.JSON),
    sa.Column("amount", sa.Numeric(15, 4)),
    sa.Column("day", sa.Date),
    sa.Column("at", sa.DateTime),
    sa.Column("flag", sa.Boolean),
    sa.Column("n", sa.BigInteger),
    mysql_charset="utf8mb4",
)


@pytest.fixture
def mysql_conn(mysql_url: str, engine_for) -> Iterator[sa.Connection]:
    engine = engine_for(mysql_url)
    with engine.connect() as conn:
        ROUND_TRIP.create(conn)
        conn.commit()
        yield conn


def _rows() -> list[dict[str, Any]]:
    rows = []
    decimals = [Decimal("0"), Decimal("-12.5000"), Decimal("1E+2"), Decimal("99999999999.9999")]
    for i, text in enumerate(TRICKY_TEXT):
        rows.append(
            {
                "id": i + 1,
                "text": text,
                "short": text,
                "doc": TRICKY_JSON[i % len(TRICKY_JSON)],
                "amount": decimals[i % len(decimals)],
                "day": dt.date(2024, 2, 29),
                "at": dt.datetime(2025, 12, 31, 23, 59, 59),
                "flag": bool(i % 2),
                "n": -(2**62) + i,
            }
        )
    rows.append({k: (None if k != "id" else len(rows) + 1) for k in rows[0]})
    return rows


def _read_back(conn: sa.Connection) -> list[dict[str, Any]]:
    """Every row as stored (the JSON column is parsed by SQLAlchemy's JSON type)."""
    query = sa.select(ROUND_TRIP).order_by(ROUND_TRIP.c.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def _expected(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**r, "amount": None if r["amount"] is None else r["amount"].quantize(Decimal("0.0001"))}
        for r in rows
    ]


@pytest.mark.parametrize("fast", [True, False], ids=["chunk-with-tricky-values", "each-alone"])
def test_every_tricky_value_round_trips_through_load_data(mysql_conn, fast: bool) -> None:
    rows = _rows()
    encoder = TableEncoder(ROUND_TRIP, list(rows[0]))
    with mysql_conn.begin():
        dbapi = mysql_conn.connection.dbapi_connection
        batches = [rows] if fast else [[r] for r in rows]
        for batch in batches:
            load_data(dbapi, ROUND_TRIP, list(rows[0]), encoder.encode(batch), [1] * len(batch))
    assert _read_back(mysql_conn) == _expected(rows)


def test_clean_chunk_takes_the_fast_path_and_round_trips(mysql_conn) -> None:
    rows = [r for r in _rows() if r["text"] is None or escape(r["text"]) == r["text"]]
    rows = [r for r in rows if "\\" not in json.dumps(r["doc"]) and "\x00" not in str(r["text"])]
    encoder = TableEncoder(ROUND_TRIP, list(rows[0]))
    lines, nulls = encoder._fast(rows)
    assert encoder._clean("".join(lines), len(rows), nulls)
    with mysql_conn.begin():
        load_data(
            mysql_conn.connection.dbapi_connection,
            ROUND_TRIP,
            list(rows[0]),
            encoder.encode(rows),
            [r["id"] for r in rows],
        )
    assert _read_back(mysql_conn) == _expected(rows)


def test_tricky_rows_among_clean_ones_give_the_safe_text_and_round_trip(mysql_conn) -> None:
    """A chunk where only some rows need escaping (an order's notes on two lines): each line is
    exactly the safe path's, the clean lines are the fast path's own, and every value is
    stored as it was (a literal backslash-N text is not taken for NULL)."""
    tricky = _rows()
    clean = [r for r in tricky if r["text"] is None or escape(r["text"]) == r["text"]]
    clean = [r for r in clean if "\\" not in json.dumps(r["doc"]) and "\x00" not in str(r["text"])]
    rows = [{**r, "id": i + 1} for i, r in enumerate([*clean, *tricky, *clean])]
    encoder = TableEncoder(ROUND_TRIP, list(rows[0]))
    text = encoder.encode(rows).decode()
    assert not encoder.clean
    assert text == "".join(encoder._safe_line(r) for r in rows)
    with mysql_conn.begin():
        dbapi = mysql_conn.connection.dbapi_connection
        load_data(dbapi, ROUND_TRIP, list(rows[0]), text.encode(), [r["id"] for r in rows])
    assert _read_back(mysql_conn) == _expected(rows)


def test_json_text_is_stored_as_the_document_it_holds(mysql_conn) -> None:
    doc = JsonText('[{"batchId": 7, "displayName": "Lamb\'s Bread \\"OG\\" \\\\ 🌿"}]')
    encoder = TableEncoder(ROUND_TRIP, ["id", "doc"])
    with mysql_conn.begin():
        dbapi = mysql_conn.connection.dbapi_connection
        load_data(dbapi, ROUND_TRIP, ["id", "doc"], encoder.encode([{"id": 1, "doc": doc}]), [1])
    assert _read_back(mysql_conn)[0]["doc"] == json.loads(doc)
    assert plain_json(ROUND_TRIP, [{"id": 1, "doc": doc}]) == [{"id": 1, "doc": json.loads(doc)}]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"id": 1, "short": "x" * 201}, "Data truncated for column 'short'"),
        ({"id": 1, "amount": Decimal("1.00005")}, "Data truncated for column 'amount'"),
        ({"id": 1, "amount": "not a number"}, "Incorrect decimal value"),
        ({"id": 1, "doc": JsonText("{not json")}, "CONSTRAINT `load_round_trip.doc` failed"),
    ],
)
def test_load_data_warnings_are_errors(mysql_conn, row: dict[str, Any], expected: str) -> None:
    encoder = TableEncoder(ROUND_TRIP, list(row))
    with pytest.raises(SeedDataError) as err, mysql_conn.begin():
        load_data(
            mysql_conn.connection.dbapi_connection,
            ROUND_TRIP,
            list(row),
            encoder.encode([row]),
            [row["id"]],
        )
    assert expected in str(err.value) and "inserted" in str(err.value)
    assert "row id 1" in str(err.value) or "CONSTRAINT" in expected
    assert mysql_conn.execute(sa.select(sa.func.count()).select_from(ROUND_TRIP)).scalar() == 0


def test_duplicate_key_is_an_error_not_a_skipped_row(mysql_conn) -> None:
    encoder = TableEncoder(ROUND_TRIP, ["id", "short"])
    payload = encoder.encode([{"id": 1, "short": "a"}, {"id": 1, "short": "b"}])
    with pytest.raises(SeedDataError, match="inserted 1 of 2 rows"), mysql_conn.begin():
        load_data(
            mysql_conn.connection.dbapi_connection, ROUND_TRIP, ["id", "short"], payload, [1, 1]
        )


def _temp_files() -> set[str]:
    return {f for f in os.listdir(tempfile.gettempdir()) if f.startswith("terp-seed-")}


@pytest.mark.parametrize("named", [False, True], ids=["anonymous", "named-fallback"])
def test_temporary_file_is_gone_after_success_and_failure(
    mysql_conn, monkeypatch: pytest.MonkeyPatch, named: bool
) -> None:
    if named:  # as on a system without /proc: a named file, removed in finally
        real_exists = os.path.exists
        monkeypatch.setattr(
            ld.os.path, "exists", lambda p: False if str(p).startswith("/proc/") else real_exists(p)
        )
    before = _temp_files()
    encoder = TableEncoder(ROUND_TRIP, ["id", "short"])
    dbapi = mysql_conn.connection.dbapi_connection
    with mysql_conn.begin():
        load_data(
            dbapi, ROUND_TRIP, ["id", "short"], encoder.encode([{"id": 1, "short": "a"}]), [1]
        )
    with pytest.raises(SeedDataError), mysql_conn.begin():
        bad = encoder.encode([{"id": 2, "short": "y" * 300}])
        load_data(dbapi, ROUND_TRIP, ["id", "short"], bad, [2])
    assert _temp_files() == before


def _client_rows(count: int, seed: int = 3) -> list[tuple[str, dict[str, Any]]]:
    """``count`` clients, 15% of them suppliers with their profiles (their vendors rows left
    out): two tables interleaved, then one."""
    gen = Gen(seed=seed, size=parse_size(str(count)), ids=IdAllocator(None), parents=Parents(None))
    suppliers = round(count * 0.15)
    stream = itertools.chain(vendors(gen, suppliers), clients(gen, count - suppliers))
    return [(t, with_timestamps(t, r, gen.calendar.now)) for t, r in stream if t != "vendors"]


def _dump(conn: sa.Connection, tables: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for name in tables:
        t = metadata.tables[name]
        out[name] = [tuple(r) for r in conn.execute(sa.select(t).order_by(t.c.id))]
    return out


def test_insert_and_load_data_paths_store_identical_rows(
    mysql_url: str, engine_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema_at_head(mysql_url)
    rows = _client_rows(1000)
    dumps = []
    recorded = _spy_on_ledger(monkeypatch)
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        for bulk_rows, stream_rows in [
            (10**9, None),  # every chunk as INSERT
            (1, None),  # every chunk by LOAD DATA, whole
            (1, 50),  # the first table streamed, the other one in whole chunks between
        ]:
            streams: list[str] = []
            loads = _spy_on_load_data(monkeypatch, streams)
            recorded.clear()
            with conn.begin() as trans:
                loader = Loader(
                    conn.execute,
                    conn=conn,
                    run_id="r",
                    revision=None,
                    bulk_rows=bulk_rows,
                    chunk_rows=300,
                    stream_rows=stream_rows,
                )
                counts = loader.load(iter(rows))
                assert counts == {"clients": 1000, "supplier_profiles": 150}
                assert not loader.server_checksums  # no checksum from the text was wrong
                dumps.append(_dump(conn, ("clients", "supplier_profiles")))
                dumps[-1]["ledger"] = ledger_entries(conn)
                trans.rollback()
            if bulk_rows == 1:  # every LOAD DATA chunk recorded with checksums from its text
                assert recorded and all(with_sums for _t, with_sums in recorded)
            if stream_rows:  # clients streamed, supplier profiles in whole chunks between
                assert len(streams) >= 3 and set(streams) == {"clients"}
                assert "supplier_profiles" in loads and streams != loads
                assert sum(1 for t, _s in recorded if t == "clients") >= len(streams)
    inserted = dumps[0]
    for loaded in dumps[1:]:
        assert inserted["clients"] == loaded["clients"]
        assert inserted["supplier_profiles"] == loaded["supplier_profiles"]
        # the LOAD DATA path computes checksums from the text it sent; the INSERT path has
        # the server compute them from the stored rows: they must agree row for row
        assert len(inserted["ledger"]) == 1150 and all(e[4] for e in inserted["ledger"])
        assert [e[2:] for e in inserted["ledger"]] == [e[2:] for e in loaded["ledger"]]


def test_overlapped_worker_waits_for_queries_from_the_stream(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    rows = _client_rows(3000)
    seen: list[int] = []
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)

        def stream() -> Iterator[tuple[str, dict[str, Any]]]:
            for i, item in enumerate(rows):
                if i % 700 == 0:  # a factory asking the database mid-stream
                    n = conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar_one()
                    seen.append(int(n))
                yield item

        with conn.begin():
            loader = Loader(
                conn.execute, conn=conn, run_id="r", revision=None, chunk_rows=500, bulk_rows=200
            )
            counts = loader.load(stream())
            assert counts["clients"] == 3000
            assert (
                conn.execute(
                    sa.text("SELECT COALESCE(SUM(last_pk - first_pk + 1), 0) FROM terp_seed_ledger")
                ).scalar()
                == 3450
            )
    assert seen == sorted(seen) and seen[-1] > 0
    assert not [t for t in threading.enumerate() if t.name.startswith("terp-seed-load")]


def test_worker_failure_stops_the_load_and_leaves_no_thread(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    rows = _client_rows(3000)
    rows[2500][1]["teri_code"] = rows[10][1]["teri_code"]  # a duplicate in a later chunk
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        with pytest.raises(SeedDataError, match="Duplicate entry"), conn.begin():
            Loader(
                conn.execute, conn=conn, run_id="r", revision=None, chunk_rows=500, bulk_rows=200
            ).load(iter(rows))
        assert conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar() == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("terp-seed-load")]


@pytest.mark.parametrize("bulk_rows", [10**9, 1], ids=["insert", "load-data"])
@pytest.mark.parametrize("change", ["other-key", "extra-key", "missing-key"])
def test_rows_with_different_columns_are_refused(
    mysql_url: str, engine_for, bulk_rows: int, change: str
) -> None:
    schema_at_head(mysql_url)
    rows = [r for r in _client_rows(300) if r[0] == "clients"]
    odd = rows[150][1]
    if change != "extra-key":
        del odd["wishlist"]
    if change != "missing-key":
        odd["notes" if "notes" in metadata.tables["clients"].c else "version"] = None
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        with (
            pytest.raises(SeedDataError, match="factory for clients produced rows with different"),
            conn.begin(),
        ):
            Loader(conn.execute, conn=conn, run_id="r", revision=None, bulk_rows=bulk_rows).load(
                iter(rows)
            )
        assert conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar() == 0


def test_stream_failure_waits_for_the_chunk_in_flight(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    rows = _client_rows(2000)

    def stream() -> Iterator[tuple[str, dict[str, Any]]]:
        yield from rows
        raise RuntimeError("factory broke")

    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        with pytest.raises(RuntimeError, match="factory broke"), conn.begin():
            Loader(
                conn.execute, conn=conn, run_id="r", revision=None, chunk_rows=400, bulk_rows=100
            ).load(stream())
        assert conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar() == 0


def test_scattered_keys_are_recorded_row_by_row(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    rows = [r for r in _client_rows(50) if r[0] == "clients"]
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        with conn.begin():
            for run, bulk, first in (("insert", 10**9, 1000), ("load", 1, 5000)):
                for offset, (_table, row) in enumerate(rows):
                    row["id"] = first + 7 * offset  # not one range: each key is recorded
                    row["teri_code"] = f"{run}{offset}"
                Loader(conn.execute, conn=conn, run_id=run, revision=None, bulk_rows=bulk).load(
                    iter(rows)
                )
            recorded = conn.execute(
                sa.text(
                    "SELECT run_id, SUM(last_pk - first_pk + 1), MIN(first_pk) "
                    "FROM terp_seed_ledger GROUP BY run_id"
                )
            ).all()
    assert sorted(tuple(r) for r in recorded) == [("insert", 50, 1000), ("load", 50, 5000)]


def _spy_on_load_data(
    monkeypatch: pytest.MonkeyPatch, streams: list[str] | None = None
) -> list[str]:
    """The tables the loader sends by LOAD DATA from now on, in order (the load still runs);
    the tables of streamed chunks are also added to ``streams``."""
    from terp_seed.load import writer as loading

    loads: list[str] = []
    real_load, real_file = loading.load_data, loading.load_file

    def load(dbapi: Any, t: sa.Table, *a: Any) -> None:
        loads.append(t.name)
        real_load(dbapi, t, *a)

    def stream(dbapi: Any, t: sa.Table, *a: Any) -> None:
        loads.append(t.name)
        if streams is not None:
            streams.append(t.name)
        real_file(dbapi, t, *a)

    monkeypatch.setattr(loading, "load_data", load)
    monkeypatch.setattr(loading, "load_file", stream)
    return loads


def _spy_on_ledger(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """The loader's ledger ranges from now on: (table, recorded with the loader's checksums)."""
    from terp_seed.store import ledger

    recorded: list[tuple[str, bool]] = []
    real = ledger.record_range

    def record(conn: sa.Connection, run_id: str, rev: Any, table: str, *a: Any) -> int:
        recorded.append((table, len(a) > 2 and a[2] is not None))
        return real(conn, run_id, rev, table, *a)

    monkeypatch.setattr(ledger, "record_range", record)
    return recorded


def _checked_bulk_load(conn: sa.Connection, rows: list[tuple[str, dict[str, Any]]]) -> None:
    """Load ``rows`` as a seed step does, every chunk by LOAD DATA, with the chunk check."""
    from terp_seed.validation.fit import live_chunk_check

    check = live_chunk_check(conn)
    Loader(conn.execute, conn=conn, run_id="r", revision=None, bulk_rows=1, check=check).load(
        iter(rows)
    )


MISFITS: list[tuple[str, str, Any, bool]] = [
    # (case, column, value, whether the server sees the chunk: it refuses the value itself)
    ("too-long", "name", "N" * 256, True),
    ("null-in-not-null", "name", None, True),
    ("int-out-of-range", "payment_terms", 2**40, True),
    ("decimal-out-of-range", "credit_limit", Decimal("1E+14"), True),
    ("timestamp-out-of-range", "created_at", dt.datetime(2040, 1, 1), True),
    # the server would store these without a warning, as another value or text
    ("enum-in-other-case", "businessType", "retail", False),
    ("string-for-an-integer", "payment_terms", "30", False),
    ("string-for-a-timestamp", "created_at", "2025-1-1 0:0:0", False),
    ("string-for-a-boolean", "is_buyer", "no", False),
    ("time-of-day-for-a-timestamp", "created_at", dt.time(10, 11, 12), False),  # 2010-11-12
    ("null-key", "id", None, False),  # the server would give the row a key of its own
]


@pytest.mark.parametrize(
    ("column", "value", "sent"), [m[1:] for m in MISFITS], ids=[m[0] for m in MISFITS]
)
def test_a_bulk_chunk_misfit_is_named_as_the_full_check_names_it(
    mysql_url: str, engine_for, monkeypatch: pytest.MonkeyPatch, column: str, value: Any, sent: bool
) -> None:
    """A LOAD DATA chunk is checked only for what the server would not refuse itself; whatever
    the server refuses, the one-line error is still the full check's, and nothing is written."""
    from terp_seed.validation.fit import reflect_table

    schema_at_head(mysql_url)
    rows = [item for item in _client_rows(600) if item[0] == "clients"]
    rows[400][1][column] = value
    loads = _spy_on_load_data(monkeypatch)
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        with pytest.raises(SeedDataError) as full:
            reflect_table(conn, "clients").check([r for _t, r in rows])
        conn.rollback()  # reflecting began a transaction
        with pytest.raises(SeedDataError) as err, conn.begin():
            _checked_bulk_load(conn, rows)
        assert str(err.value) == str(full.value)
        assert str(err.value).startswith(f"clients.{column}: value ")
        where = f"row id {rows[400][1]['id']}; nothing of this step was written"
        assert str(err.value).endswith(where)
        assert conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar() == 0
        assert conn.execute(sa.text("SELECT COUNT(*) FROM terp_seed_ledger")).scalar() == 0
    # the ramp's first chunk (2,500 rows at most) holds all 600 rows: sent once, or never
    assert loads == (["clients"] if sent else [])


def test_a_bulk_chunk_the_server_refuses_for_another_reason_keeps_its_error(
    mysql_url: str, engine_for
) -> None:
    schema_at_head(mysql_url)
    rows = [item for item in _client_rows(600) if item[0] == "clients"]
    rows[400][1]["teri_code"] = rows[3][1]["teri_code"]  # fits its column; a duplicate
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        refused = r"^bulk load into clients inserted 599 of 600"
        with pytest.raises(SeedDataError, match=refused), conn.begin():
            _checked_bulk_load(conn, rows)
        assert conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar() == 0


def test_a_null_timestamp_the_server_would_stamp_is_refused_before_load_data(
    mysql_url: str, engine_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``explicit_defaults_for_timestamp`` off (MySQL 5.7, older MariaDB), the server
    stores NULL sent for a TIMESTAMP NOT NULL column as the current time, without a warning:
    before LOAD DATA such a column is checked too."""
    from terp_seed.factories.parties import vendors

    schema_at_head(mysql_url)
    gen = Gen(seed=3, size=parse_size("600"), ids=IdAllocator(None), parents=Parents(None))
    rows = [(t, with_timestamps(t, r, gen.calendar.now)) for t, r in vendors(gen, 600)]
    vendor_rows = [i for i, (t, _r) in enumerate(rows) if t == "vendors"]
    rows[vendor_rows[400]][1]["createdAt"] = None
    loads = _spy_on_load_data(monkeypatch)
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        conn.exec_driver_sql("SET SESSION explicit_defaults_for_timestamp = OFF")
        conn.commit()
        key = rows[vendor_rows[400]][1]["id"]
        refused = (
            rf"^vendors\.createdAt: value None does not fit \(accepts NOT NULL\); row id {key};"
        )
        with pytest.raises(SeedDataError, match=refused), conn.begin():
            _checked_bulk_load(conn, rows)
        assert conn.execute(sa.text("SELECT COUNT(*) FROM vendors")).scalar() == 0
    assert "vendors" not in loads


# -- streamed chunks: LOAD DATA reading a pipe while the rows are generated --------------------


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def _stream_loader(conn: sa.Connection, **kw: Any) -> Loader:
    """A loader that streams from the 100th row of the first table, in chunks of 1,000 rows."""
    from terp_seed.validation.fit import live_chunk_check

    options: dict[str, Any] = dict(
        chunk_rows=1000, bulk_rows=100, stream_rows=100, check=live_chunk_check(conn)
    )
    options.update(kw)
    return Loader(conn.execute, conn=conn, run_id="r", revision=None, **options)


def _counts(conn: sa.Connection) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
        for t in ("clients", "supplier_profiles", "terp_seed_ledger")
    )


def _no_loader_left(fds: set[str]) -> None:
    assert not [t for t in threading.enumerate() if t.name.startswith("terp-seed-load")]
    assert _open_fds() <= fds  # both ends of every pipe closed


def test_a_stream_ends_before_a_row_of_an_earlier_table(
    mysql_url: str, engine_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Supplier profiles stream first; then clients come, and profiles that refer to them: the
    stream must end before the first client is kept, or the later profiles would be loaded
    before the clients they refer to (a foreign key error)."""
    schema_at_head(mysql_url)
    made = _client_rows(500)
    people = [r for t, r in made if t == "clients"]
    template = next(r for t, r in made if t == "supplier_profiles")
    profiles = [{**template, "id": c["id"], "client_id": c["id"]} for c in people]
    streams: list[str] = []
    _spy_on_load_data(monkeypatch, streams)
    fds = _open_fds()
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        with conn.begin():  # the first 300 clients are there before the step
            Loader(conn.execute, conn=conn, run_id="setup", revision=None).load(
                ("clients", c) for c in people[:300]
            )
        stream = [("supplier_profiles", p) for p in profiles[:300]]
        stream += [("clients", c) for c in people[300:]]
        stream += [("supplier_profiles", p) for p in profiles[300:]]
        with conn.begin():
            counts = _stream_loader(conn).load(iter(stream))
        assert counts == {"supplier_profiles": 500, "clients": 200}
        # the profiles' stream ended at the first client; clients then came first
        assert streams == ["supplier_profiles", "clients"]
        assert _counts(conn)[:2] == (500, 500)
        recorded = ledger_entries(conn)
        assert len(recorded) == 1000 and all(e[4] for e in recorded)
    _no_loader_left(fds)


def test_a_query_from_the_generator_ends_the_stream_first(mysql_url: str, engine_for) -> None:
    schema_at_head(mysql_url)
    rows = [item for item in _client_rows(3000) if item[0] == "clients"]
    seen: list[int] = []
    fds = _open_fds()
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)

        def stream() -> Iterator[tuple[str, dict[str, Any]]]:
            for i, item in enumerate(rows):
                if i in (450, 1700, 2900):  # a factory asking the database mid-stream
                    n = conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar_one()
                    seen.append(int(n))
                yield item

        with conn.begin():
            assert _stream_loader(conn).load(stream()) == {"clients": 3000}
            spans = conn.execute(
                sa.text("SELECT COALESCE(SUM(last_pk - first_pk + 1), 0) FROM terp_seed_ledger")
            ).scalar()
        # the first query came 350 rows into the stream opened at the 100th row: the stream
        # ended with every row yielded before the query, and was in before the query ran
        assert seen[0] == 450 and seen == sorted(seen)
        assert _counts(conn)[0] == 3000 and spans == 3000
    _no_loader_left(fds)


def test_a_factory_failure_mid_stream_writes_nothing(
    mysql_url: str, engine_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema_at_head(mysql_url)
    rows = [item for item in _client_rows(3000) if item[0] == "clients"]

    def stream() -> Iterator[tuple[str, dict[str, Any]]]:
        yield from rows[:1650]  # a full streamed chunk, then a stream about 500 rows in
        raise RuntimeError("factory broke")

    recorded = _spy_on_ledger(monkeypatch)
    fds = _open_fds()
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        with pytest.raises(RuntimeError, match="factory broke"), conn.begin():
            _stream_loader(conn).load(stream())
        assert _counts(conn) == (0, 0, 0)
    # the first chunk was recorded; the abandoned stream was refused by the worker
    assert recorded == [("clients", True)]
    _no_loader_left(fds)


@pytest.mark.parametrize("where", [50, 2750], ids=["first-piece", "later-piece"])
def test_a_value_the_server_refuses_mid_stream_is_named(
    mysql_url: str, engine_for, where: int
) -> None:
    """The server refuses a value the check before LOAD DATA leaves to it (too long for its
    column): the error is the full check's, naming the row, and nothing is written."""
    schema_at_head(mysql_url)
    rows = [item for item in _client_rows(3000) if item[0] == "clients"]
    rows[where][1]["name"] = "N" * 256
    fds = _open_fds()
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        with pytest.raises(SeedDataError) as err, conn.begin():
            _stream_loader(conn).load(iter(rows))
        assert str(err.value).startswith("clients.name: value ")
        assert str(err.value).endswith(
            f"row id {rows[where][1]['id']}; nothing of this step was written"
        )
        assert _counts(conn) == (0, 0, 0)
    _no_loader_left(fds)


def test_a_value_the_check_refuses_mid_stream_is_never_sent(
    mysql_url: str, engine_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value the server would store as another one (an enum value in another case) is
    refused by the check before its piece is written: the stream so far is abandoned."""
    schema_at_head(mysql_url)
    rows = [item for item in _client_rows(3000) if item[0] == "clients"]
    enum = next(c for c in metadata.tables["clients"].c if isinstance(c.type, sa.Enum))
    rows[2750][1][enum.name] = str(rows[2750][1][enum.name]).upper() + " "
    sent: list[bytes] = []
    from terp_seed.load import pipe as load_pipe

    real_write = load_pipe.LoadPipe.write
    monkeypatch.setattr(
        load_pipe.LoadPipe, "write", lambda self, data: (sent.append(data), real_write(self, data))
    )
    fds = _open_fds()
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        refused = f"^clients.{enum.name}: value "
        with pytest.raises(SeedDataError, match=refused) as err, conn.begin():
            _stream_loader(conn).load(iter(rows))
        assert f"row id {rows[2750][1]['id']}" in str(err.value)
        assert _counts(conn) == (0, 0, 0)
    assert sent and not any(rows[2750][1]["teri_code"].encode() in piece for piece in sent)
    _no_loader_left(fds)


def test_a_connection_killed_mid_stream_fails_without_hanging(mysql_url: str, engine_for) -> None:
    """The server ends the loader's connection while the stream's rows are being generated:
    the worker's error reaches the caller (the writer does not wait on a pipe nobody reads)."""
    schema_at_head(mysql_url)
    rows = [item for item in _client_rows(6000) if item[0] == "clients"]
    side = engine_for(mysql_url)
    fds = _open_fds()
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        victim = conn.exec_driver_sql("SELECT CONNECTION_ID()").scalar_one()
        conn.rollback()

        def stream() -> Iterator[tuple[str, dict[str, Any]]]:
            for i, item in enumerate(rows):
                if i == 400:  # the stream is open (from row 100)
                    with side.connect() as other:
                        other.exec_driver_sql(f"KILL CONNECTION {int(victim)}")
                yield item

        with pytest.raises(Exception) as err, conn.begin():  # the chain says which
            _stream_loader(conn).load(stream())
    chain, error = [], err.value
    while error is not None:  # the rollback on the dead connection fails too, and says last
        chain.append(str(error))
        error = error.__cause__ or error.__context__
    assert any("gone away" in e or "Lost connection" in e for e in chain), chain
    with engine_for(mysql_url).connect() as conn:
        assert _counts(conn) == (0, 0, 0)
    _no_loader_left(fds)


def test_where_a_pipe_cannot_be_opened_by_path_chunks_go_whole(
    mysql_url: str, engine_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``/proc/self/fd`` (not Linux) nothing is streamed: chunks go in whole."""
    from terp_seed.load import pipe as load_pipe

    monkeypatch.setattr(load_pipe, "supported", lambda: False)
    schema_at_head(mysql_url)
    rows = [item for item in _client_rows(3000) if item[0] == "clients"]
    streams: list[str] = []
    loads = _spy_on_load_data(monkeypatch, streams)
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        with conn.begin():
            assert _stream_loader(conn).load(iter(rows)) == {"clients": 3000}
        assert _counts(conn)[0] == 3000
    assert streams == [] and len(loads) >= 2


def test_every_load_of_a_loader_streams_its_own_first_table(
    mysql_url: str, engine_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revision runs its factories through one loader, one load each: the second load's
    first table streams too, and the server waits long enough for a stream's next piece."""
    schema_at_head(mysql_url)
    made = _client_rows(3000)
    people = [item for item in made if item[0] == "clients"]
    profiles = [item for item in made if item[0] == "supplier_profiles"]
    streams: list[str] = []
    _spy_on_load_data(monkeypatch, streams)
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        with conn.begin():
            loader = _stream_loader(conn)
            loader.load(iter(people))
            loader.load(iter(profiles))
            assert loader.counts == {"clients": 3000, "supplier_profiles": len(profiles)}
            wait = conn.exec_driver_sql("SELECT @@SESSION.net_read_timeout").scalar_one()
        assert _counts(conn)[:2] == (3000, len(profiles))
    assert streams[0] == "clients" and streams[-1] == "supplier_profiles"
    assert int(wait) >= 600

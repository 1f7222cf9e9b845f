"""``terp-seed load``: a good CSV file loads (bulk path included) and rolls back by run id; every
kind of bad input gives one FAILED line naming the line and column, a non-zero exit, and no
change to the database."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.csvload.check import read_header, validate_file
from terp_seed.errors import SeedDataError
from terp_seed.testing.plugin import run_cli, schema_at_head, table_checksums, table_counts

HEADER = [
    "teri_code",
    "name",
    "email",
    "address",
    "businessType",
    "is_buyer",
    "is_seller",
    "tags",
    "credit_limit",
    "credit_limit_updated_at",
    "created_at",
    "referred_by_client_id",
]


def _client(i: int, **changes: Any) -> dict[str, Any]:
    row = {
        "teri_code": f"CSV{i:05d}",
        "name": f'Green "Leaf", Co {i} — 大麻 🌿',
        "email": f"buyer{i}@example.com",
        "address": f"{i} Main St, Suite 4\\B, Oakland, CA 94601",
        "businessType": ("RETAIL", "DISPENSARY")[i % 2],
        "is_buyer": ("true", "0")[i % 2],
        "is_seller": "0",
        "tags": json.dumps(["retail", f"tab\there {i}"]),
        "credit_limit": f"{1000 + i}.50",
        # TERP writes a limit with the time it was set (server/creditEngine.ts:692-710)
        "credit_limit_updated_at": "2025-03-04 05:06:07",
        "created_at": "2025-03-04 05:06:07",
        "referred_by_client_id": "",
    }
    row.update(changes)
    return row


def _write(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> Path:
    header = header or list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(h, "") for h in header])
    return path


def _run_id(out: str) -> str:
    match = re.search(r"run (\S+):", out)
    assert match, out
    return match.group(1)


def _clients(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        query = sa.text(
            "SELECT id, teri_code, name, address, tags, credit_limit, is_buyer, "
            "referred_by_client_id FROM clients ORDER BY id"
        )
        return [dict(r) for r in conn.execute(query).mappings()]


@pytest.mark.parametrize("rows", [5, 2500], ids=["insert", "load-data"])
def test_good_file_loads_with_provenance_and_rolls_back(
    mysql_url: str, engine_for, tmp_path: Path, rows: int
) -> None:
    schema_at_head(mysql_url)
    records = [_client(i, address=f"{i} Main St\nSuite 4\\B, Oakland") for i in range(rows)]
    path = _write(tmp_path / "clients.csv", records, HEADER)
    loaded = run_cli(mysql_url, "load", "--table", "clients", "--csv", str(path))
    assert loaded.code == 0, loaded.err[-1500:]
    assert f"loaded clients {rows:,}" in loaded.out
    engine = engine_for(mysql_url)
    stored = _clients(engine)
    assert len(stored) == rows and stored[0]["id"] == 1
    first = records[0]
    assert stored[0]["name"] == first["name"] and stored[0]["address"] == first["address"]
    assert json.loads(stored[0]["tags"]) == json.loads(first["tags"])
    assert stored[0]["credit_limit"] == Decimal("1000.50") and stored[0]["is_buyer"] == 1
    assert table_counts(engine)["terp_seed_ledger"] == rows
    done = run_cli(mysql_url, "rollback", "--run", _run_id(loaded.out))
    assert done.code == 0, done.err[-1500:]
    counts = table_counts(engine)
    assert counts["clients"] == 0 and counts["terp_seed_ledger"] == 0


def test_given_keys_and_references_within_the_file(any_url: str, engine_for, tmp_path) -> None:
    schema_at_head(any_url)
    rows = [
        _client(1, id="101"),
        # a row of the same file; a supplier, so it may have a supplier profile
        _client(2, id="102", referred_by_client_id="101", is_seller="1"),
    ]
    path = _write(tmp_path / "clients.csv", rows, ["id", *HEADER])
    loaded = run_cli(any_url, "load", "--table", "clients", "--csv", str(path))
    assert loaded.code == 0, loaded.err[-1500:]
    stored = _clients(engine_for(any_url))
    assert [r["id"] for r in stored] == [101, 102] and stored[1]["referred_by_client_id"] == 101
    profiles = _write(
        tmp_path / "profiles.csv",
        [{"client_id": "102", "contact_name": "Ana Díaz", "preferred_payment_method": "ACH"}],
    )
    again = run_cli(any_url, "load", "--table", "supplier_profiles", "--csv", str(profiles))
    assert again.code == 0, again.err[-1500:]
    assert table_counts(engine_for(any_url))["terp_seed_ledger"] == 3


def test_dry_run_loads_nothing(mysql_url: str, engine_for, tmp_path: Path) -> None:
    schema_at_head(mysql_url)
    assert run_cli(mysql_url, "init").code == 0  # a dry run needs terp-seed's own tables
    path = _write(tmp_path / "clients.csv", [_client(i) for i in range(3)], HEADER)
    result = run_cli(mysql_url, "load", "--table", "clients", "--csv", str(path), "--dry-run")
    assert result.code == 0, result.err[-1500:]
    assert "would load clients 3" in result.out
    assert table_counts(engine_for(mysql_url))["clients"] == 0


BAD_FILES: dict[str, tuple[list[dict[str, Any]], list[str] | None, str]] = {
    "unknown column": (
        [_client(1, colour="green")],
        [*HEADER, "colour"],
        "unknown column 'colour'",
    ),
    "over-long value": (
        [_client(1), _client(2, teri_code="X" * 51)],
        None,
        r"line 3, column teri_code: the value \(51 chars\) does not fit \(accepts varchar\(50\)\)",
    ),
    "bad enum": (
        [_client(1, businessType="FARM")],
        None,
        r"line 2, column businessType: the value \(4 chars\) does not fit "
        r"\(accepts one of \[RETAIL",
    ),
    "missing required column": (
        [_client(1)],
        [h for h in HEADER if h != "teri_code"],
        r"line 1: required column\(s\) teri_code missing",
    ),
    "empty required value": ([_client(1, name="")], None, "line 2, column name: empty, but"),
    "bad number after a record of two lines": (
        [_client(1), _client(2, address="two\nlines"), _client(3, credit_limit="12,50")],
        None,
        r"line 5, column credit_limit: the value \(5 chars\) is not a decimal number",
    ),
    "too many decimals": (
        [_client(1, credit_limit="1.005")],
        None,
        r"line 2, column credit_limit: the value \(5 chars\) is not a decimal number"
        r".*more than 2 decimal",
    ),
    "bad date": (
        [_client(1, created_at="2025-02-30 10:00:00")],
        None,
        r"line 2, column created_at: the value \(19 chars\) is not a date and time",
    ),
    "date out of range": (
        [_client(1, created_at="1960-01-01 00:00:00")],
        None,
        r"line 2, column created_at: the value \(19 chars\) does not fit \(accepts timestamp",
    ),
    "bad boolean": (
        [_client(1, is_buyer="maybe")],
        None,
        r"line 2, column is_buyer: the value \(5 chars\) is not a boolean",
    ),
    "bad json": (
        [_client(1, tags="[retail")],
        None,
        r"line 2, column tags: the value \(7 chars\) is not JSON",
    ),
    "dangling reference": (
        [_client(1, referred_by_client_id="999")],
        None,
        r"line 2, column referred_by_client_id: 999 names no clients.id \(reference\)",
    ),
    "repeated unique value": (
        [_client(1), _client(1)],
        None,
        r"line 3, column teri_code: the value \(8 chars\) repeats line 2",
    ),
}


def test_bad_values_of_a_large_file_are_named_in_file_order(
    mysql_url: str, engine_for, tmp_path: Path
) -> None:
    """The file is checked a batch of records at a time, column by column; what is wrong is
    still reported line by line, column by column, across batches."""
    schema_at_head(mysql_url)
    rows = [_client(i) for i in range(2500)]
    rows[2498]["teri_code"] = rows[3]["teri_code"]  # line 2500 repeats line 5, two batches on
    rows[1498].update(is_buyer="maybe", credit_limit="12,50")  # line 1500, two columns
    rows[1497]["name"] = ""  # line 1499
    rows[7]["businessType"] = "FARM"  # line 9
    path = _write(tmp_path / "large.csv", rows, HEADER)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("ONLY,TWO\n")  # line 2502
    expected = (
        r"6 bad value\(s\), nothing was loaded: line 9, column businessType: "
        r"the value \(4 chars\) does not fit"
        r".*; line 1499, column name: empty, but the column is NOT NULL"
        r"; line 1500, column is_buyer: the value \(5 chars\) is not a boolean.*"
        r"; line 1500, column credit_limit: the value \(5 chars\) is not a decimal number "
        r"\(digits with a "
        r"point, such as 1234.50\)"
        r"; line 2500, column teri_code: the value \(8 chars\) repeats line 5"
        r"; line 2502: 2 fields, the header has 12$"
    )
    args = ["--table", "clients", "--csv", str(path)]
    _assert_refused(mysql_url, engine_for, args, expected)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_gives_one_failed_line_and_changes_nothing(
    mysql_url: str, engine_for, tmp_path: Path, case: str
) -> None:
    schema_at_head(mysql_url)
    rows, header, expected = BAD_FILES[case]
    path = _write(tmp_path / "bad.csv", rows, header or HEADER)
    _assert_refused(mysql_url, engine_for, ["--table", "clients", "--csv", str(path)], expected)


def test_existing_keys_and_dangling_foreign_keys_are_refused(
    mysql_url: str, engine_for, tmp_path: Path
) -> None:
    schema_at_head(mysql_url)
    with engine_for(mysql_url).begin() as conn:
        conn.execute(sa.text("INSERT INTO clients (id, teri_code, name) VALUES (7, 'OLD1', 'Old')"))
    existing = _write(tmp_path / "dup.csv", [_client(1, teri_code="OLD1")], HEADER)
    args = ["--table", "clients", "--csv", str(existing)]
    _assert_refused(
        mysql_url, engine_for, args, r"teri_code: the value \(4 chars\) already exists in clients"
    )
    # the column's collation decides (case and trailing spaces ignored), among new values
    with engine_for(mysql_url).begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO clients (id, teri_code, name) VALUES (5, 'Abc', 'A'), (6, 'tr ', 'T')"
            )
        )
    rows = [_client(i) for i in range(1500)]  # the first 1,000 values: a full chunk
    for i, code in enumerate(("old1 ", "abc", "TR")):
        rows[i]["teri_code"] = code
    by_case = _write(tmp_path / "case.csv", rows, HEADER)
    args = ["--table", "clients", "--csv", str(by_case)]
    _assert_refused(
        mysql_url,
        engine_for,
        args,
        r"3 bad value\(s\), nothing was loaded: line 2, column teri_code: the value \(5 chars\) "
        r"already exists in clients; line 3, column teri_code: the value \(3 chars\) already .*; "
        r"line 4, column teri_code: the value \(2 chars\) ",
    )
    keys = _write(
        tmp_path / "keys.csv",
        [
            {"id": "6", "teri_code": "K6", "name": "Six"},
            {"id": "7", "teri_code": "K7", "name": "Seven"},
        ],
    )
    args = ["--table", "clients", "--csv", str(keys)]
    _assert_refused(mysql_url, engine_for, args, r"line 3, column id: 7 already exists in clients")
    profiles = _write(tmp_path / "p.csv", [{"client_id": "7"}, {"client_id": "8"}])
    args = ["--table", "supplier_profiles", "--csv", str(profiles)]
    _assert_refused(
        mysql_url, engine_for, args, r"line 3, column client_id: 8 names no clients.id \(foreign"
    )


def test_an_existing_value_in_a_large_file_is_named_on_sqlite(
    sqlite_url: str, engine_for, tmp_path: Path
) -> None:
    """SQLite compares at most 500 given values in one query (its UNION ALL limit)."""
    schema_at_head(sqlite_url)
    with engine_for(sqlite_url).begin() as conn:
        conn.execute(sa.text("INSERT INTO clients (id, teri_code, name) VALUES (7, 'OLD1', 'O')"))
    rows = [_client(i) for i in range(1200)]
    rows[700]["teri_code"] = "OLD1"
    path = _write(tmp_path / "large.csv", rows, HEADER)
    args = ["--table", "clients", "--csv", str(path)]
    _assert_refused(
        sqlite_url, engine_for, args, r"line 702, column teri_code: the value \(4 chars\) already"
    )


def test_a_file_changed_after_its_check_loads_nothing(
    mysql_url: str, engine_for, tmp_path: Path
) -> None:
    schema_at_head(mysql_url)
    assert run_cli(mysql_url, "init").code == 0
    path = _write(tmp_path / "c.csv", [_client(i) for i in range(3)], HEADER)
    header = read_header(path)
    with engine_for(mysql_url).connect() as conn:
        plan = validate_file(conn, "clients", path, header)
        with path.open("a", encoding="utf-8") as handle:
            handle.write("X1,Late row,,,RETAIL,maybe,,,,\n")  # not checked: must not load
        with pytest.raises(SeedDataError, match=r"c.csv changed while it was being loaded"):
            list(plan.rows(path))
    assert table_counts(engine_for(mysql_url))["clients"] == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--table", "clients", "--csv", "/no/such/file.csv"], "CSV file '/no/such/file.csv' not"),
        (["--table", "customers", "--csv", "x.csv"], "unknown table 'customers'"),
        (["--table", "clients", "--csv", "short.csv"], "line 3: 3 fields, the header has 2"),
        (["--table", "clients", "--csv", "empty.csv"], "line 1: no header row"),
        (["--table", "clients", "--csv", "ok.csv", "--env", "production"], "refused"),
    ],
)
def test_bad_arguments_give_one_failed_line(
    mysql_url: str, engine_for, tmp_path: Path, monkeypatch, args: list[str], expected: str
) -> None:
    schema_at_head(mysql_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "short.csv").write_text("teri_code,name\nA1,Alpha\nA2,Beta,extra\n")
    (tmp_path / "empty.csv").write_text("")
    _write(tmp_path / "ok.csv", [_client(1)], HEADER)
    _assert_refused(mysql_url, engine_for, args, expected)


def _assert_refused(url: str, engine_for, args: list[str], expected: str) -> None:
    assert run_cli(url, "init").code == 0  # terp-seed's own tables, so "before" has them
    engine = engine_for(url)
    before = {k: v for k, v in table_checksums(engine).items() if k != "terp_seed_audit"}
    result = run_cli(url, "load", *args)
    failed = [line for line in (result.err + result.out).splitlines() if "FAILED" in line]
    assert result.code != 0 and len(failed) == 1, result.err[-1500:]
    assert re.search(expected, failed[0]), failed[0]
    after = {k: v for k, v in table_checksums(engine).items() if k != "terp_seed_audit"}
    assert after == before


def test_loaded_rows_are_not_taken_for_changed_ones(
    mysql_url: str, engine_for, tmp_path: Path
) -> None:
    """A file's text is not always the stored form ('1000.5' is stored as 1000.50): the
    ledger's checksums are the server's, so a rollback that refuses changed rows (staging)
    finds none."""
    schema_at_head(mysql_url)
    records = [_client(i, credit_limit=f"{1000 + i}.5", address=f"{i} Elm") for i in range(2500)]
    path = _write(tmp_path / "clients.csv", records)
    loaded = run_cli(
        mysql_url, "load", "--table", "clients", "--csv", str(path), "--env", "staging"
    )
    assert loaded.code == 0, loaded.err[-1500:]
    assert _clients(engine_for(mysql_url))[0]["credit_limit"] == Decimal("1000.50")
    done = run_cli(
        mysql_url,
        "rollback",
        "--run",
        _run_id(loaded.out),
        "--env",
        "staging",
        "--confirm",
        mysql_url.rsplit("/", 1)[1],
    )
    assert done.code == 0, done.err[-1500:]
    assert table_counts(engine_for(mysql_url))["clients"] == 0


PII = "Jane Doe cell (415) 867-5309 SSN 123-45-6789"


@pytest.mark.parametrize(
    ("column", "why"),
    [
        ("credit_limit", "is not a decimal number"),
        ("created_at", "is not a date and time"),
        ("businessType", "does not fit"),
        ("teri_code", "does not fit"),
    ],
)
def test_a_rejected_value_is_named_by_line_and_column_never_shown(
    mysql_url: str, engine_for, tmp_path: Path, column: str, why: str
) -> None:
    """What a refused file held may be personal data: the FAILED line, the log file and the
    audit trail name the line and the column, never the value (issue 23, item 5)."""
    schema_at_head(mysql_url)
    value = PII + " x" * 10 if column == "teri_code" else PII
    path = _write(tmp_path / "pii.csv", [_client(1), _client(2, **{column: value})], HEADER)
    _assert_refused(
        mysql_url,
        engine_for,
        ["--table", "clients", "--csv", str(path)],
        f"line 3, column {column}: the value \\(\\d+ chars\\) {why}",
    )
    result = run_cli(mysql_url, "load", "--table", "clients", "--csv", str(path))
    with engine_for(mysql_url).connect() as conn:
        details = " ".join(
            str(r) for r in conn.execute(sa.text("SELECT * FROM terp_seed_audit")).all()
        )
    log = tmp_path / "logs" / "terp-seed.log"
    for text in (result.out, result.err, details, log.read_text() if log.exists() else ""):
        assert "867-5309" not in text and "Jane" not in text and "123-45" not in text

"""``terp-seed mask`` and ``pii-scan`` on real databases.

A MariaDB database is filled with production-like rows (real-looking gmail and company emails,
non-555 phones, EINs, notes with contact details in them: nothing from terp-seed's own fake
ranges), masked in place, then scanned with the originals: no leak, every catalogued value is
its rule applied exactly once, everything else untouched, joins on masked values still match.
Interrupted runs (a chunk callback raising, a process killed with SIGKILL) resume to the same
result; bad input fails with one line and changes nothing.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.masking.catalogue import catalogue
from terp_seed.masking.mask import mask_database, plan_tables
from terp_seed.masking.rules import mask_value
from terp_seed.masking.secret import DEV_KEY, MaskKey
from terp_seed.schema import TERP_TABLES, metadata
from terp_seed.store.mask_progress import PROGRESS_TABLE
from terp_seed.testing.plugin import MYSQL_TEST_DB, run_cli, schema_at_head, spawn

KEY = "db-test-masking-key-0123456789"
STAGING = {"TERP_SEED_MASK_KEY": KEY}
MASK = ("mask", "--env", "staging", "--confirm", MYSQL_TEST_DB)
CATALOGUE = {(e.table, e.column): e for e in catalogue()}
Snapshot = dict[str, dict[int, dict[str, Any]]]

FIRST = ("Maria", "José", "Aisha", "Wei", "Zoë", "Łukasz", "Priya", "Kwame", "Sofia", "Liam")
LAST = ("Gonzalez", "Okafor", "Nguyen", "Schmidt", "Patel", "O'Neil", "Kowalski", "Reyes")
WORDS = ("Emerald", "Canyon", "Redwood", "Sierra", "Coastal", "Golden", "Harbor", "Summit")
SUFFIXES = ("Collective LLC", "Farms", "Dispensary Inc", "Wellness", "Supply Co", "Gardens")
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "sierrasupply.net")
CITIES = (("Oakland", "946"), ("Sacramento", "958"), ("Eureka", "955"), ("Fresno", "937"))
STREETS = ("Broadway", "Mission St", "K St", "Myrtle Ave", "Blackstone Ave", "Harris St")


# -- production-like data ------------------------------------------------------------------


class Production:
    """Deterministic, realistic personal data (row ``i`` always gets the same person)."""

    def __init__(self, i: int) -> None:
        rng = random.Random(1000 + i)
        self.i = i
        self.first, self.last = rng.choice(FIRST), rng.choice(LAST)
        self.person = f"{self.first} {self.last}"
        domain = rng.choice(DOMAINS)
        self.email = f"{self.first}.{self.last}{i}@{domain}".replace("'", "").lower()
        area = rng.choice((415, 510, 707, 916, 559, 213))
        self.phone = f"({area}) {rng.randint(200, 554)}-{rng.randint(0, 9999):04d}"
        city, zip3 = rng.choice(CITIES)
        self.address = (
            f"{rng.randint(10, 9999)} {rng.choice(STREETS)}, {city}, CA {zip3}{i % 100:02d}"
        )
        self.company = f"{WORDS[i % 8]} {WORDS[(i // 8) % 8]} {SUFFIXES[i % 6]} {i}"
        self.ssn = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        self.ein = f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}"
        self.note = f"Spoke with {self.first} ({self.email}, {self.phone}); SSN {self.ssn} on W-9."

    def pii(self, kind: str, nullable: bool) -> Any:
        i = self.i
        if kind == "free_text":
            if i % 4 == 0:
                return None if nullable else f"Delivery to {self.person}"  # NULL stays NULL
            return self.note if i % 2 else f"Prefers {WORDS[i % 8]} Kush, pays by check"
        if kind == "tax_id":
            return self.ssn if i % 3 == 0 else self.ein  # sole proprietors use their SSN
        if kind == "login":
            return self.email if i % 2 else f"google-oauth2|{10**17 + i}"
        if kind == "account_number":
            return f"GB{i % 90 + 10}BUKB2020{i:010d}" if i % 2 else f"{4_000_000_000 + i * 7919}"
        if kind == "json":
            return {
                "contactEmail": self.email,
                "notes": self.note,
                "tags": ["VIP", f"{self.first}'s cell {self.phone}"],
                "qty": i,
            }
        if kind == "license_number":
            return f"C11-{i:07d}-LIC" if i % 2 else f"CCL21-{i:07d}"
        return {
            "person_name": self.person,
            "company_name": self.company,
            "email": self.email,
            "phone": self.phone,
            "address": self.address,
        }[kind]


def _filler(column: sa.Column[Any], i: int) -> Any:
    """A plain value for a required column (not personal data)."""
    type_ = column.type
    if isinstance(type_, sa.Enum):
        return type_.enums[0]
    if isinstance(type_, sa.Integer):
        return i
    if isinstance(type_, sa.Numeric):
        return Decimal("12.50")
    if isinstance(type_, sa.DateTime):
        return datetime(2024, 5, 1, 9, 30)
    if isinstance(type_, sa.Date):
        return date(2024, 5, 1)
    if isinstance(type_, sa.JSON):
        return [{"batchId": i, "displayName": "Blue Dream - Indoor AAA", "quantity": 2}]
    if isinstance(type_, sa.Boolean):
        return False
    length = getattr(type_, "length", None) or 40
    return f"{column.name[:8]}-{i}"[:length]


def production_clients(url: str, engine_for: Any, rows: int) -> sa.Engine:
    """A schema at head holding ``rows`` production-like clients; its engine."""
    schema_at_head(url)
    engine = engine_for(url)
    clients = metadata.tables["clients"]
    with engine.begin() as conn:
        conn.execute(clients.insert(), [production_row(clients, i) for i in range(1, rows + 1)])
    return engine


def production_row(table: sa.Table, i: int) -> dict[str, Any]:
    """Row ``i`` of ``table``: real-looking PII, valid foreign keys, filler elsewhere."""
    person = Production(i)
    row: dict[str, Any] = {}
    for column in table.columns:
        entry = CATALOGUE.get((table.name, column.name))
        fk = next(iter(column.foreign_keys), None)
        if column.primary_key:
            row[column.name] = i
        elif entry is not None:
            row[column.name] = person.pii(entry.kind, bool(column.nullable))
        elif fk is not None:
            row[column.name] = None if fk.column.table is table else i
        elif not column.nullable and column.server_default is None:
            row[column.name] = _filler(column, i)
    return row


def fill(engine: sa.Engine, rows: int, tables: tuple[str, ...] = TERP_TABLES) -> None:
    """``rows`` production-like rows in each table, parents first."""
    with engine.begin() as conn:
        for name in tables:
            table = metadata.tables[name]
            conn.execute(table.insert(), [production_row(table, i) for i in range(1, rows + 1)])


def write_originals(path: Path, engine: sa.Engine) -> str:
    """The originals sample: every catalogued value, plus the contacts inside free text."""
    values: dict[str, list[str]] = {}
    for table, column in CATALOGUE:
        with engine.connect() as conn:
            found = conn.execute(sa.text(f"SELECT `{column}` FROM `{table}`")).scalars().all()
        values[f"{table}.{column}"] = [str(v) for v in found if v is not None]
    people = [Production(i) for i in range(1, 200)]
    values["inside notes"] = [v for p in people for v in (p.email, p.phone, p.ssn)]
    file = path / "originals.json"
    file.write_text(json.dumps(values))
    return str(file)


def snapshot(engine: sa.Engine) -> Snapshot:
    """Every TERP row, by table and id."""
    with engine.connect() as conn:
        return {
            name: {r.id: dict(r._mapping) for r in conn.execute(sa.select(metadata.tables[name]))}
            for name in TERP_TABLES
        }


def expected_after_masking(before: Snapshot, key: MaskKey) -> Snapshot:
    """What one uninterrupted masking run must leave: each catalogued value masked once."""
    out: Snapshot = {}
    for table, rows in before.items():
        out[table] = {}
        for pk, row in rows.items():
            new = dict(row)
            for column, value in row.items():
                entry = CATALOGUE.get((table, column))
                if entry is not None and isinstance(metadata.tables[table].c[column].type, sa.JSON):
                    text = None if value is None else json.dumps(value)
                    masked = mask_value(entry.masking, text, key)
                    new[column] = None if masked is None else json.loads(masked)
                elif entry is not None:
                    text = None if value is None else str(value)
                    new[column] = mask_value(entry.masking, text, key)
            out[table][pk] = new
    return out


def join_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows that join on masked values (and on keys) across tables."""
    queries = {
        "client=supplier email": "SELECT COUNT(*) FROM clients c JOIN supplier_profiles s "
        "ON s.client_id = c.id AND s.contact_email = c.email AND s.contact_phone = c.phone",
        "user=vendor contact": "SELECT COUNT(*) FROM vendors v JOIN users u "
        "ON u.email = v.contactEmail AND u.name = v.contactName",
        "client=vendor name": "SELECT COUNT(*) FROM clients c JOIN vendors v ON v.name = c.name",
        "invoice->client": "SELECT COUNT(*) FROM invoices i JOIN clients c ON c.id = i.customerId",
    }
    with engine.connect() as conn:
        return {k: int(conn.execute(sa.text(q)).scalar_one()) for k, q in queries.items()}


def audit_rows(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        if "terp_seed_audit" not in sa.inspect(conn).get_table_names():
            return []
        query = sa.text("SELECT * FROM terp_seed_audit ORDER BY id")
        return [dict(r._mapping) for r in conn.execute(query)]


@pytest.fixture
def production_db(mysql_url: str, engine_for: Any) -> tuple[str, sa.Engine]:
    """A MariaDB database at the schema head with 24 production-like rows per table."""
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    fill(engine, 24)
    return mysql_url, engine


# -- the main path -------------------------------------------------------------------------


def test_mask_then_scan_finds_no_leaks_and_joins_hold(
    production_db: tuple[str, sa.Engine], tmp_path: Path
) -> None:
    url, engine = production_db
    originals = write_originals(tmp_path, engine)
    before, joins = snapshot(engine), join_counts(engine)
    assert set(joins.values()) == {24}

    leaky = run_cli(url, "pii-scan", "--originals", originals)
    assert leaky.code == 1 and leaky.failure.startswith("FAILED: pii-scan found")
    assert "clients.email: 24 row(s) equal an original value" in leaky.out
    assert "orders.notes: " in leaky.out and "@" not in leaky.out  # the report shows no values

    result = run_cli(url, *MASK, env=STAGING)
    assert result.code == 0, result.err
    assert "masked rows: users 24, clients 24, supplier_profiles 24" in result.out

    assert snapshot(engine) == expected_after_masking(before, MaskKey(KEY.encode()))
    assert join_counts(engine) == joins
    clean = run_cli(url, "pii-scan", "--originals", originals, "--json")
    assert clean.code == 0, clean.out[-2000:]
    report = json.loads(clean.out)
    assert report["leaks"] == 0 and report["rows_scanned"]["clients"] == 24
    assert report["originals"] > 400 and report["columns_scanned"] > 80


def test_scan_finds_leaks_in_uncatalogued_columns(
    production_db: tuple[str, sa.Engine], tmp_path: Path
) -> None:
    url, engine = production_db
    originals = write_originals(tmp_path, engine)
    assert run_cli(url, *MASK, env=STAGING).code == 0
    person = Production(3)
    with engine.begin() as conn:  # staff typed personal data where the catalogue expects none
        conn.execute(sa.text("UPDATE products SET description = :d WHERE id = 3"),
                     {"d": f"Reserved for {person.email}"})  # fmt: skip
        conn.execute(sa.text("UPDATE batches SET metadata = :d WHERE id = 5"),
                     {"d": '{"owner_ssn": "123-45-6789", "call": "(916) 867-5309"}'})  # fmt: skip
    result = run_cli(url, "pii-scan", "--originals", originals)
    assert result.code == 1 and "pii-scan: 4 leak(s)" in result.out
    assert "products.description: 1 row(s) contain an original value (id 3)" in result.out
    assert "products.description: 1 row(s) hold an email outside reserved domains" in result.out
    assert "batches.metadata: 1 row(s) hold an SSN-like number outside" in result.out
    assert "batches.metadata: 1 row(s) hold a phone number outside 555-0100..0199" in result.out
    assert person.email not in result.out + result.err


def test_audit_records_columns_and_counts_never_values_or_key(
    production_db: tuple[str, sa.Engine],
) -> None:
    url, engine = production_db
    emails = [Production(i).email for i in range(1, 25)]
    result = run_cli(url, "--json-logs", *MASK, env=STAGING)
    assert result.code == 0, result.err
    (row,) = [r for r in audit_rows(engine) if r["direction"] == "mask"]
    assert row["outcome"] == "masked" and row["environment"] == "staging"
    assert json.loads(row["rows"])["clients"] == 24
    assert "clients(name=company_name,email=email,phone=phone,address=address" in row["detail"]
    assert MaskKey(KEY.encode()).fingerprint in row["detail"]
    everything = json.dumps(audit_rows(engine), default=str) + result.out + result.err
    assert KEY not in everything and not any(e in everything for e in emails)


def test_second_run_masks_nothing_and_new_rows_only(production_db: tuple[str, sa.Engine]) -> None:
    url, engine = production_db
    assert run_cli(url, *MASK, env=STAGING).code == 0
    masked = snapshot(engine)
    again = run_cli(url, *MASK, env=STAGING)
    assert again.code == 0 and "masked rows: nothing (all done)" in again.out
    assert snapshot(engine) == masked

    clients = metadata.tables["clients"]
    with engine.begin() as conn:
        conn.execute(clients.insert(), [production_row(clients, i) for i in (25, 26, 27)])
    new_rows = {i: r for i, r in snapshot(engine)["clients"].items() if i > 24}
    more = run_cli(url, *MASK, env=STAGING)
    assert more.code == 0 and "masked rows: clients 3" in more.out
    after = snapshot(engine)
    expected = expected_after_masking({"clients": new_rows}, MaskKey(KEY.encode()))
    assert {i: after["clients"][i] for i in new_rows} == expected["clients"]
    assert {i: r for i, r in after["clients"].items() if i <= 24} == masked["clients"]


def test_restored_copy_is_refused_until_restart(production_db: tuple[str, sa.Engine]) -> None:
    url, engine = production_db
    original = snapshot(engine)
    assert run_cli(url, *MASK, env=STAGING).code == 0
    with engine.begin() as conn:  # a fresh production copy restored over the masked one
        for row in original["vendors"].values():
            conn.execute(sa.update(metadata.tables["vendors"]).where(
                metadata.tables["vendors"].c.id == row["id"]).values(row))  # fmt: skip
    restored = snapshot(engine)
    refused = run_cli(url, *MASK, env=STAGING)
    assert refused.code == 2 and "pass --restart" in refused.failure
    assert snapshot(engine) == restored
    redo = run_cli(url, *MASK, "--restart", env=STAGING)
    assert redo.code == 0, redo.err
    expected = expected_after_masking(original, MaskKey(KEY.encode()))
    assert snapshot(engine)["vendors"] == expected["vendors"]


def test_another_key_is_refused(production_db: tuple[str, sa.Engine]) -> None:
    url, engine = production_db
    assert run_cli(url, *MASK, "--table", "users", env=STAGING).code == 0
    masked = snapshot(engine)
    other = run_cli(url, *MASK, env={"TERP_SEED_MASK_KEY": "another-key-0123456789"})
    assert other.code == 2 and "fingerprint" in other.failure
    assert snapshot(engine) == masked


def test_dry_run_changes_nothing(production_db: tuple[str, sa.Engine]) -> None:
    url, engine = production_db
    assert run_cli(url, "init").code == 0  # a dry run writes no DDL: bookkeeping must exist
    before = snapshot(engine)
    result = run_cli(url, *MASK, "--dry-run", env=STAGING)
    assert result.code == 0 and "would mask rows: users 24" in result.out
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert PROGRESS_TABLE not in sa.inspect(conn).get_table_names()


# -- interruption --------------------------------------------------------------------------


class Stop(Exception):
    """Raised by the chunk callback: the run dies after some committed chunks."""


def test_interrupted_run_resumes_to_the_uninterrupted_result(
    production_db: tuple[str, sa.Engine],
) -> None:
    url, engine = production_db
    before = snapshot(engine)
    key = MaskKey(KEY.encode())
    seen: list[tuple[str, int]] = []

    def stop_after_five(table: str, rows: int, last_pk: int) -> None:
        seen.append((table, last_pk))
        if len(seen) == 5:
            raise Stop

    with engine.connect() as conn, pytest.raises(Stop):
        mask_database(conn, plan_tables(), key, run_id="t", chunk_size=7, on_chunk=stop_after_five)
    assert seen[-1] == ("clients", 7)  # users (4 chunks) done, clients up to id 7
    half = snapshot(engine)
    expected = expected_after_masking(before, key)
    assert half["users"] == expected["users"]
    assert [half["clients"][i] == expected["clients"][i] for i in (7, 8)] == [True, False]

    result = run_cli(url, *MASK, "--chunk-size", "7", env=STAGING)
    assert result.code == 0, result.err
    assert "masked rows: clients 17, supplier_profiles 24" in result.out
    assert snapshot(engine) == expected


def test_killed_process_resumes_without_masking_twice(mysql_url: str, engine_for: Any) -> None:
    engine = production_clients(mysql_url, engine_for, 20_000)
    before = snapshot(engine)
    args = ("terp-seed", *MASK, "--table", "clients", "--chunk-size", "100")
    proc = spawn(mysql_url, *args, env=STAGING)
    last_pk = _wait_for_progress(engine, proc, rows=500)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with engine.connect() as conn:
        last_pk = conn.execute(sa.text(f"SELECT last_pk FROM {PROGRESS_TABLE}")).scalar_one()
    assert 500 <= last_pk < 20_000, "the run finished before it could be killed"
    expected = expected_after_masking(before, MaskKey(KEY.encode()))["clients"]
    killed = snapshot(engine)["clients"]
    # committed chunks are masked, the rest untouched: nothing half-written
    assert all(killed[i] == expected[i] for i in range(1, last_pk + 1))
    assert all(killed[i] == before["clients"][i] for i in range(last_pk + 1, 20_001))

    result = run_cli(mysql_url, *MASK, "--table", "clients", env=STAGING)
    assert result.code == 0, result.err
    assert f"masked rows: clients {20_000 - last_pk:,}" in result.out
    assert snapshot(engine)["clients"] == expected


def _wait_for_progress(engine: sa.Engine, proc: Any, rows: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with engine.connect() as conn:
            if PROGRESS_TABLE in sa.inspect(conn).get_table_names():
                done = conn.execute(sa.text(f"SELECT rows_masked FROM {PROGRESS_TABLE}")).scalar()
                if done and done >= rows:
                    return int(done)
        time.sleep(0.02)
    err = proc.communicate(timeout=5)[1] if proc.poll() is not None else ""
    pytest.fail(f"masking never reached {rows} rows: {err[-1500:]}")


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "code", "message", "audited"),
    [
        (MASK, {}, 2, "TERP_SEED_MASK_KEY is not set", False),
        (MASK, {"TERP_SEED_MASK_KEY": "a" * 24}, 2, "is too predictable for staging", False),
        (MASK, {"TERP_SEED_MASK_KEY": DEV_KEY}, 2, "is too predictable for staging", False),
        (("mask", "--env", "production"), STAGING, 1, "refused in production", False),
        (("mask", "--env", "staging", "--confirm", "prod_db"), STAGING, 1, "does not match", True),
        (("mask", "--env", "staging"), STAGING, 1, "needs confirmation", True),
        ((*MASK, "--table", "nope"), STAGING, 2, "unknown table 'nope'", False),
        ((*MASK, "--table", "strains"), STAGING, 2, "no PII columns", False),
        ((*MASK, "--chunk-size", "0"), STAGING, 2, "--chunk-size '0' is not valid", False),
        (("pii-scan", "--originals", "/no/such/file.json"), {}, 2, "cannot read", False),
    ],
)
def test_bad_input_fails_with_one_line_and_changes_nothing(
    production_db: tuple[str, sa.Engine],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env: dict[str, str],
    code: int,
    message: str,
    audited: bool,
) -> None:
    url, engine = production_db
    monkeypatch.delenv("TERP_SEED_MASK_KEY", raising=False)
    before = snapshot(engine)
    result = run_cli(url, *args, env=env)
    failed = [line for line in (result.out + result.err).splitlines() if "FAILED" in line]
    assert result.code == code and len(failed) == 1 and message in failed[0], result.err
    assert snapshot(engine) == before
    assert [(r["direction"], r["outcome"]) for r in audit_rows(engine)] == (
        [("mask", "failed")] if audited else []
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", "{not json", "is not valid JSON"),
        ("empty.json", "[]", "holds no values"),
        ("latin1.csv", b"value\n\xe9t\xe9\n", "cannot read"),
    ],
)
def test_unreadable_originals_fail_before_scanning(
    sqlite_url: str, tmp_path: Path, name: str, content: str | bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run_cli(sqlite_url, "pii-scan", "--originals", str(path))
    assert result.code == 2 and message in result.failure


def test_originals_csv_and_json_shapes(tmp_path: Path) -> None:
    from terp_seed.masking.scan import load_originals

    (tmp_path / "a.csv").write_text("table,column,value\nclients,email,Ann@Gmail.com\n")
    (tmp_path / "b.csv").write_text("email,phone\nann@gmail.com,(415) 867-5309\n")
    (tmp_path / "c.json").write_text(json.dumps([{"email": "ann@gmail.com", "n": 3}]))
    a, b, c = (load_originals(str(tmp_path / n)) for n in ("a.csv", "b.csv", "c.json"))
    assert a.equals("ann@gmail.com") and not a.equals("clients")
    assert b.equals("415-867-5309") and c.equals("ANN@gmail.com ")
    assert b.contained("note: write to ann@gmail.com today")


# -- SQLite and dev ------------------------------------------------------------------------


def test_dev_masks_sqlite_with_the_dev_key(
    sqlite_url: str, engine_for: Any, tmp_path: Path
) -> None:
    schema_at_head(sqlite_url)
    engine = engine_for(sqlite_url)
    fill(engine, 6, ("users", "clients", "vendors", "supplier_profiles"))
    originals = write_originals(tmp_path, engine)
    before = snapshot(engine)
    result = run_cli(sqlite_url, "mask", "--chunk-size", "4", "--env", "dev")
    assert result.code == 0, result.err
    assert "(public dev key)" in result.out
    # said before anything is masked: the notice is the first line on stderr
    assert result.err.splitlines()[0].startswith("masking with the public dev key"), result.err
    assert snapshot(engine) == expected_after_masking(before, MaskKey(DEV_KEY.encode()))
    assert run_cli(sqlite_url, "pii-scan", "--originals", originals).code == 0


def test_pii_command_prints_the_catalogue(sqlite_url: str) -> None:
    text = run_cli(sqlite_url, "pii")
    assert text.code == 0 and "vendors            name" in text.out
    data = json.loads(run_cli(sqlite_url, "pii", "--json").out)
    assert {(d["table"], d["column"]) for d in data} == set(CATALOGUE)
    assert next(d for d in data if d["table"] == "vendors" and d["column"] == "name")["unique"]

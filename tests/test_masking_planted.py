"""Planted PII (issue 23, items 6 and 9) on real MariaDB: every column that can hold personal
data is masked (login names, bank accounts, payment references, brand descriptions, JSON
documents, a column the application added), and the leak scan reports what is left."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from stdnum import iban
from support.planted import (
    ADDED_COLUMN,
    FREE_TEXT,
    NON_EMAIL_LOGIN,
    UNKNOWN_TABLE,
    plant,
    plant_audit,
    raw,
)
from test_masking_db import MASK, STAGING, fill

from terp_seed.masking.scan import pattern_reasons
from terp_seed.testing.plugin import run_cli, schema_at_head


def _planted_db(mysql_url: str, engine_for: Any) -> sa.Engine:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    fill(engine, 24)
    plant(engine)
    return engine


def _json(engine: sa.Engine, table: str, column: str) -> Any:
    text = raw(engine, table, column)
    assert text is not None
    return json.loads(text)


def test_mask_covers_every_column_that_can_hold_pii(mysql_url: str, engine_for: Any) -> None:
    engine = _planted_db(mysql_url, engine_for)
    result = run_cli(mysql_url, *MASK, env=STAGING)
    assert result.code == 0, result.err

    # users.openId: masked as its email is, so TERP's openId = email still holds; still unique
    open_id, email = raw(engine, "users", "openId"), raw(engine, "users", "email")
    assert open_id == email == raw(engine, "users", "name")
    assert open_id is not None and open_id.endswith(
        ("@example.com", "@example.net", "@example.org")
    )
    other = raw(engine, "users", "openId", 2)
    assert other is not None and other.startswith("user-") and other != NON_EMAIL_LOGIN
    with engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT openId FROM users")).scalars().all()
    assert len(set(ids)) == len(ids)

    account = raw(engine, "bankAccounts", "accountNumber")
    assert account is not None and len(account) == 22 and account[2:4] == "00"
    assert not iban.is_valid(account)
    assert "Jane" not in (raw(engine, "bankAccounts", "accountName") or "")
    assert raw(engine, "payments", "referenceNumber") not in (None, "123456789012")
    description = raw(engine, "brands", "description") or ""
    assert "Jane" not in description and "900123" not in description

    tags = _json(engine, "clients", "tags")
    assert len(tags) == 3 and tags[0] == "VIP" and "867-5309" not in tags[1]
    rules = _json(engine, "clients", "custom_pricing_rules")
    assert set(rules) == {"approvedBy", "contactEmail"}
    assert "Jane" not in rules["approvedBy"] and rules["contactEmail"] == email
    (item,) = _json(engine, "orders", "items")
    assert (item["batchId"], item["displayName"], item["quantity"]) == (1, "Blue Dream", 2)
    assert "219.09.9999" not in item["notes"]

    added = raw(engine, *ADDED_COLUMN) or ""
    assert "Jane" not in added and "219-09-9999" not in added and "gmail" not in added
    assert f"{ADDED_COLUMN[0]}.{ADDED_COLUMN[1]}" in result.out
    assert UNKNOWN_TABLE in result.out and "NOT masked" in result.out
    assert raw(engine, UNKNOWN_TABLE, "phone") == "+44 7700 900123"  # not TERP's: left alone


def _scan(url: str) -> tuple[int, dict[tuple[str, str], set[str]], str]:
    result = run_cli(url, "pii-scan", "--json")
    found: dict[tuple[str, str], set[str]] = {}
    if result.out.strip().startswith("{"):
        for f in json.loads(result.out)["findings"]:
            found.setdefault((f["table"], f["column"]), set()).add(f["reason"])
    return result.code, found, result.out + result.err


def test_scan_reports_every_planted_case_then_nothing_once_masked(
    mysql_url: str, engine_for: Any
) -> None:
    engine = _planted_db(mysql_url, engine_for)
    plant_audit(engine)
    code, found, out = _scan(mysql_url)
    assert code == 1, out
    reasons = {
        "obfuscated email": "hold an email written to dodge filters (name at domain dot com)",
        "full-width at": "hold an email outside reserved domains",
        "bare SSN": "hold an SSN-like number outside the fictional ranges",
        "dotted SSN": "hold an SSN-like number outside the fictional ranges",
        "UK phone": "hold a phone number outside 555-0100..0199",
        "IBAN": "hold an IBAN with valid check digits",
        "account number": "hold an account number (after acct/account) not masked",
        "date of birth": "hold a date of birth (after DOB/born)",
        "driver's licence": "hold a driver's licence number",
    }
    assert set(reasons) == set(FREE_TEXT)
    for case, text in FREE_TEXT.items():  # each on its own: the detector finds it
        assert reasons[case] in pattern_reasons(text), case
    assert set(reasons.values()) <= found[("clients", "wishlist")]
    for where in [
        ("users", "openId"),
        ("bankAccounts", "accountNumber"),
        ("payments", "referenceNumber"),
        ("brands", "description"),
        ("clients", "tags"),
        ("clients", "custom_pricing_rules"),
        ("orders", "items"),
        ADDED_COLUMN,
        (UNKNOWN_TABLE, "phone"),
        ("terp_seed_audit", "detail"),
    ]:
        assert where in found, f"{where} not reported: {sorted(found)}"
    assert "hold a login name that is not masked" in found[("users", "openId")]

    with engine.begin() as conn:  # the audit row is not TERP data: masking leaves it
        conn.exec_driver_sql("DELETE FROM terp_seed_audit")
    assert run_cli(mysql_url, *MASK, env=STAGING).code == 0
    code, found, out = _scan(mysql_url)
    assert (code, set(found)) == (1, {(UNKNOWN_TABLE, "phone")}), out  # not TERP's: not masked
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {UNKNOWN_TABLE}")
    code, found, out = _scan(mysql_url)
    assert (code, found) == (0, {}), out
    assert "pii-scan: 0 leak(s)" in run_cli(mysql_url, "pii-scan").out


def test_scan_refuses_a_database_with_nothing_to_scan(mysql_url: str, engine_for: Any) -> None:
    result = run_cli(mysql_url, "pii-scan")  # empty: not migrated
    assert result.code == 2 and "has none of TERP's tables" in result.failure, result.err
    schema_at_head(mysql_url)
    result = run_cli(mysql_url, "pii-scan")  # migrated, no rows
    assert result.code == 2 and "hold no rows" in result.failure, result.err

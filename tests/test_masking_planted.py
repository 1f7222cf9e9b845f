"""Planted PII (issue 23, items 6 and 9) on real MariaDB: every column that can hold personal
data is masked (login names, bank accounts, payment references, brand descriptions, JSON
documents, a column the application added), and the leak scan reports what is left."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from stdnum import iban
from support.planted import ADDED_COLUMN, NON_EMAIL_LOGIN, UNKNOWN_TABLE, plant, raw
from test_masking_db import MASK, STAGING, fill

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
    assert raw(engine, "payments", "referenceNumber") not in (None, "ACH-000123456789")
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

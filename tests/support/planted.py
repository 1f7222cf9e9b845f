"""Planted PII (issue 23): every case the masking and the leak scan must handle, in model
columns, JSON documents, free text, a column the application added and terp-seed's own audit
table. Row 1 of each table gets the planted values; the other rows are the production-like rows
of ``test_masking_db``."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

ADDED_COLUMN = ("clients", "sales_rep_notes")  # the application added it: not in the schema
UNKNOWN_TABLE = "crm_contacts"  # a table the application added: scanned, not masked

EMAIL = "jane.doe@gmail.com"
FREE_TEXT = {
    "obfuscated email": "write to jane dot doe at gmail dot com",
    "full-width at": "mail jane\uff20gmail\uff0ecom today",  # FULLWIDTH AT SIGN and FULL STOP
    "bare SSN": "SSN 219099999 on file",
    "dotted SSN": "ssn 219.09.9999",
    "UK phone": "her UK mobile +44 7700 900123",
    "IBAN": "refund to GB33BUKB20201555555555",
    "account number": "acct no. 123456789012 at Wells",
    "date of birth": "DOB 07/21/1984",
    "driver's licence": "driver's license D1234567",
}
"""Each on its own, in free text: the scan must report each (the originals aside)."""

PLANTED: dict[tuple[str, str], Any] = {
    ("users", "openId"): EMAIL,
    ("users", "email"): EMAIL,
    ("users", "name"): EMAIL,  # TERP's createUser: openId = email = name = username
    ("bankAccounts", "accountNumber"): "GB33BUKB20201555555555",
    ("bankAccounts", "accountName"): "Jane Doe personal checking",
    ("payments", "referenceNumber"): "123456789012",
    ("brands", "description"): "Owner Jane Doe, cell +44 7700 900123, DOB 07/21/1984",
    ("clients", "tags"): ["VIP", "Jane's cell 415-867-5309", "jane dot doe at gmail dot com"],
    ("clients", "custom_pricing_rules"): {"approvedBy": "Jane Doe", "contactEmail": EMAIL},
    ("orders", "items"): [
        {"batchId": 1, "displayName": "Blue Dream", "quantity": 2, "notes": "ssn 219.09.9999"}
    ],
    ("clients", "wishlist"): " / ".join(FREE_TEXT.values()),
    ADDED_COLUMN: "Jane Doe, SSN 219-09-9999, jane.doe@gmail.com, +44 7700 900123",
}
NON_EMAIL_LOGIN = "google-oauth2|109876543210987654321"  # row 2's openId: not an address


def plant(engine: sa.Engine) -> None:
    """Add the application's column and table, then write the planted values into row 1."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ALTER TABLE {ADDED_COLUMN[0]} ADD COLUMN {ADDED_COLUMN[1]} TEXT")
        conn.exec_driver_sql(
            f"CREATE TABLE {UNKNOWN_TABLE} (id INT PRIMARY KEY, phone VARCHAR(40))"
        )
        conn.exec_driver_sql(f"INSERT INTO {UNKNOWN_TABLE} VALUES (1, '+44 7700 900123')")
        for (table, column), value in PLANTED.items():
            text = json.dumps(value) if not isinstance(value, str) else value
            conn.execute(sa.text(f"UPDATE `{table}` SET `{column}` = :v WHERE id = 1"), {"v": text})
        conn.execute(sa.text("UPDATE users SET openId = :v WHERE id = 2"), {"v": NON_EMAIL_LOGIN})


def raw(engine: sa.Engine, table: str, column: str, pk: int = 1) -> str | None:
    """The stored text of one value."""
    with engine.connect() as conn:
        query = sa.text(f"SELECT `{column}` FROM `{table}` WHERE id = :id")
        value = conn.execute(query, {"id": pk}).scalar()
    return None if value is None else str(value)


AUDIT_DETAIL = "rejected 'Jane Doe cell (415) 867-5309 SSN 219-09-9999' on line 4"


def plant_audit(engine: sa.Engine) -> None:
    """terp-seed's own audit table, with a detail line holding PII (as issue 23 found)."""
    # lazy: terp-seed's own tables are created by a run; this fixture needs one row of them
    from terp_seed.store.setup import ensure_own_tables

    with engine.connect() as conn:
        ensure_own_tables(conn)
        conn.commit()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO terp_seed_audit (run_id, direction, outcome, environment, "
                "started_at, ended_at, duration_ms, detail) VALUES ('r1', 'load', 'failed', "
                "'staging', NOW(), NOW(), 1, :d)"
            ),
            {"d": AUDIT_DETAIL},
        )

"""How far a table's primary keys may go: the live ``id`` column's range, and the share of it
terp-seed may use.

terp-seed takes, reserves and loads keys in the lower half of the id column's range only
(INT: up to 1,073,741,823): the upper half stays the application's, so no seed, CSV file or
crashed run can leave the application's AUTO_INCREMENT without keys.
"""

from __future__ import annotations

import sqlalchemy as sa

from terp_seed.db.dialects import dialect_of

_BITS = {"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}


def largest_key(conn: sa.Connection, table: str) -> tuple[int, str]:
    """The largest value the live ``table.id`` holds, and its type (``int``, ``bigint
    unsigned``); SQLite's INTEGER keys are 64-bit."""
    if not dialect_of(conn).reserves_keys:
        return 2**63 - 1, "integer"
    found = conn.execute(
        sa.text(
            "SELECT DATA_TYPE, COLUMN_TYPE FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t AND COLUMN_NAME = 'id'"
        ),
        {"t": table},
    ).first()
    kind = str(found[0]).lower() if found is not None else "bigint"
    unsigned = found is not None and "unsigned" in str(found[1]).lower()
    bits = _BITS.get(kind, 64)
    top = 2**bits - 1 if unsigned else 2 ** (bits - 1) - 1
    return top, kind + (" unsigned" if unsigned else "")


def key_ceiling(conn: sa.Connection, table: str) -> int:
    """The largest key terp-seed may take, reserve or load in ``table``: half the range."""
    return largest_key(conn, table)[0] // 2


def ceiling_text(conn: sa.Connection, table: str) -> str:
    """``1,073,741,823 (half of int's 2,147,483,647; the rest is the application's)``."""
    top, kind = largest_key(conn, table)
    return f"{top // 2:,} (half of {table}.id {kind}'s {top:,}; the rest is the application's)"

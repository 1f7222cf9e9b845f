"""Where a masking run got to: ``terp_seed_mask_progress``, one row per table.

terp-seed's own bookkeeping (like the ledger and the audit trail), created by a masking run and
never part of TERP's schema; this module is the only one that reads or writes it. Each row says
up to which primary key the table is masked, with which key (its fingerprint) and which rules,
and holds a *canary*: a hash of the last masked row as it was written. A later run resumes after
that key, and refuses when the canary no longer matches (the table was replaced, e.g. by
restoring a fresh production copy).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from terp_seed.store.audit import utcnow
from terp_seed.store.tables import MASK_PROGRESS_TABLE

PROGRESS_TABLE = MASK_PROGRESS_TABLE
mask_metadata = sa.MetaData()

progress = sa.Table(
    PROGRESS_TABLE,
    mask_metadata,
    sa.Column("table_name", sa.String(64), primary_key=True),
    sa.Column("key_fingerprint", sa.String(16), nullable=False),
    sa.Column("plan", sa.String(2000), nullable=False),  # "column=rule,..." (no values)
    sa.Column("last_pk", sa.BigInteger, nullable=False),
    sa.Column("rows_masked", sa.BigInteger, nullable=False),
    sa.Column("canary", sa.String(32), nullable=True),
    sa.Column("run_id", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    mysql_engine="InnoDB",
)


@dataclass
class TableProgress:
    """How far one table is masked."""

    table_name: str
    key_fingerprint: str
    plan: str
    last_pk: int = 0
    rows_masked: int = 0
    canary: str | None = None
    run_id: str = ""


def ensure_progress_table(conn: sa.Connection) -> None:
    """Create the progress table when missing (DDL: call outside a masking transaction)."""
    mask_metadata.create_all(conn, checkfirst=True)
    conn.commit()


def load(conn: sa.Connection, table: str) -> TableProgress | None:
    """The saved progress of ``table``, or None when it was never masked."""
    row = conn.execute(sa.select(progress).where(progress.c.table_name == table)).first()
    if row is None:
        return None
    fields = dict(row._mapping)
    fields.pop("updated_at")
    return TableProgress(**fields)


def save(conn: sa.Connection, state: TableProgress) -> None:
    """Write ``state`` (inside the caller's transaction, with the chunk it describes)."""
    values = {**state.__dict__, "updated_at": utcnow()}
    done = conn.execute(
        progress.update().where(progress.c.table_name == state.table_name).values(values)
    )
    if done.rowcount == 0:
        conn.execute(progress.insert().values(values))


def forget(conn: sa.Connection, tables: Sequence[str]) -> None:
    """Drop the saved progress of ``tables`` (``mask --restart``)."""
    conn.execute(progress.delete().where(progress.c.table_name.in_(list(tables))))


def canary(pk: int, values: Sequence[object]) -> str:
    """A hash of one row's primary key and masked values (masked values only: no PII)."""
    text = "\x1f".join([str(pk), *("\\N" if v is None else str(v) for v in values)])
    return hashlib.md5(text.encode("utf-8", "surrogatepass")).hexdigest()

"""terp-seed's own tables: the provenance ledger and the audit trail.

They live in their own metadata, apart from TERP's schema, and are created by the seed runtime
(never by TERP's schema migrations). No column is ever added to a TERP table.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

bookkeeping_metadata = sa.MetaData()

LEDGER_TABLE = "terp_seed_ledger"
OLD_LEDGER_TABLE = "terp_seed_ledger_v1"  # the first layout, while it is converted
AUDIT_TABLE = "terp_seed_audit"
SEED_VERSION_TABLE = "alembic_seed_version"
MASK_PROGRESS_TABLE = "terp_seed_mask_progress"  # created by terp_seed.masking.state
OWN_TABLES = frozenset(
    {LEDGER_TABLE, OLD_LEDGER_TABLE, AUDIT_TABLE, SEED_VERSION_TABLE, MASK_PROGRESS_TABLE}
)

ledger = sa.Table(
    LEDGER_TABLE,
    bookkeeping_metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("run_id", sa.String(32), nullable=False),
    sa.Column("revision", sa.String(64), nullable=True),  # NULL for ad-hoc runs
    sa.Column("table_name", sa.String(64), nullable=False),
    # one row per run of consecutive keys: every key first_pk..last_pk was inserted by the run
    sa.Column("first_pk", sa.BigInteger, nullable=False),
    sa.Column("last_pk", sa.BigInteger, nullable=False),
    # the 16-byte MD5 of each of those rows as stored, in key order (NULL: not known, offline)
    sa.Column("checksums", sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")),
    sa.UniqueConstraint("table_name", "first_pk", name="uq_terp_seed_ledger_range"),
    sa.Index("ix_terp_seed_ledger_revision", "revision", "table_name"),
    sa.Index("ix_terp_seed_ledger_run", "run_id", "table_name"),
    mysql_engine="InnoDB",
)

audit = sa.Table(
    AUDIT_TABLE,
    bookkeeping_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.String(32), nullable=False),
    sa.Column("revision", sa.String(64), nullable=True),
    sa.Column("direction", sa.String(16), nullable=False),  # upgrade, downgrade, stamp, seed, ...
    sa.Column("outcome", sa.String(24), nullable=False),  # applied, skipped-by-policy, failed, ...
    sa.Column("environment", sa.String(16), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=True),
    sa.Column("size", sa.String(16), nullable=True),
    sa.Column("db_user", sa.String(128), nullable=True),
    sa.Column("os_user", sa.String(128), nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime, nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("rows", sa.Text, nullable=True),  # JSON: {"table": count, ...}
    sa.Column("detail", sa.Text, nullable=True),  # error text, or what policy skipped and why
    sa.Index("ix_terp_seed_audit_run", "run_id"),
    mysql_engine="InnoDB",
)


def ensure_bookkeeping(conn: sa.Connection) -> None:
    """Create the ledger and audit tables when missing, and bring a ledger of the first layout
    (one row per seeded row) to the current one (DDL: call outside a seed transaction)."""
    from terp_seed.store.upgrades import convert_row_ledger, row_ledger_present

    old = row_ledger_present(conn)
    if old:
        _retire_row_ledger(conn)
    bookkeeping_metadata.create_all(conn, checkfirst=True)
    conn.commit()
    if old or OLD_LEDGER_TABLE in sa.inspect(conn).get_table_names():
        convert_row_ledger(conn)
    conn.commit()


def _retire_row_ledger(conn: sa.Connection) -> None:
    """Rename the first-layout ledger out of the way (its index names too, on SQLite)."""
    if conn.dialect.name == "sqlite":
        for index in ("ix_terp_seed_ledger_revision", "ix_terp_seed_ledger_run"):
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
        conn.exec_driver_sql(f"ALTER TABLE {LEDGER_TABLE} RENAME TO {OLD_LEDGER_TABLE}")
    else:
        conn.exec_driver_sql(f"RENAME TABLE {LEDGER_TABLE} TO {OLD_LEDGER_TABLE}")
    conn.commit()


def require_bookkeeping(conn: sa.Connection) -> None:
    """A dry run must not create tables (DDL commits on MySQL): it needs them to exist."""
    from terp_seed.errors import TerpSeedError
    from terp_seed.store.upgrades import row_ledger_present

    names = set(sa.inspect(conn).get_table_names())
    old = row_ledger_present(conn) or OLD_LEDGER_TABLE in names
    conn.commit()
    if old:
        raise TerpSeedError(
            f"dry run: {LEDGER_TABLE} is in the first layout (one row per seeded row); run "
            "`terp-seed init` or a real seed run once to convert it"
        )
    missing = [t for t in (LEDGER_TABLE, AUDIT_TABLE) if t not in names]
    if missing:
        raise TerpSeedError(
            f"dry run needs terp-seed's own tables ({', '.join(missing)} missing): run "
            "`terp-seed init` (creates only those tables) or a real seed run first"
        )

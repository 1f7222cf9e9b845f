"""terp-seed's own tables: the provenance ledger and the audit trail.

They live in their own metadata, apart from TERP's schema, and are created by the seed runtime
(never by TERP's schema migrations). No column is ever added to a TERP table.
"""

from __future__ import annotations

import sqlalchemy as sa

bookkeeping_metadata = sa.MetaData()

LEDGER_TABLE = "terp_seed_ledger"
AUDIT_TABLE = "terp_seed_audit"
SEED_VERSION_TABLE = "alembic_seed_version"
MASK_PROGRESS_TABLE = "terp_seed_mask_progress"  # created by terp_seed.masking.state
OWN_TABLES = frozenset({LEDGER_TABLE, AUDIT_TABLE, SEED_VERSION_TABLE, MASK_PROGRESS_TABLE})

ledger = sa.Table(
    LEDGER_TABLE,
    bookkeeping_metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("run_id", sa.String(32), nullable=False),
    sa.Column("revision", sa.String(64), nullable=True),  # NULL for ad-hoc runs
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("row_pk", sa.BigInteger, nullable=False),
    sa.Column("checksum", sa.String(32), nullable=True),
    sa.UniqueConstraint("table_name", "row_pk", name="uq_terp_seed_ledger_row"),
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
    """Create the ledger and audit tables when missing (DDL: call outside a seed transaction)."""
    bookkeeping_metadata.create_all(conn, checkfirst=True)
    conn.commit()


def require_bookkeeping(conn: sa.Connection) -> None:
    """A dry run must not create tables (DDL commits on MySQL): it needs them to exist."""
    from terp_seed.errors import TerpSeedError

    names = set(sa.inspect(conn).get_table_names())
    conn.commit()
    missing = [t for t in (LEDGER_TABLE, AUDIT_TABLE) if t not in names]
    if missing:
        raise TerpSeedError(
            f"dry run needs terp-seed's own tables ({', '.join(missing)} missing): run "
            "`terp-seed init` (creates only those tables) or a real seed run first"
        )

"""terp-seed's own tables: the provenance ledger, the audit trail and their layout version.

Definitions only. They live in their own metadata, apart from TERP's schema, and are created and
upgraded by :mod:`terp_seed.store.setup` (never by TERP's schema migrations). The ledger is read
and written only through :mod:`terp_seed.store.ledger`, the audit trail only through
:mod:`terp_seed.store.audit`. No column is ever added to a TERP table.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

bookkeeping_metadata = sa.MetaData()

LEDGER_TABLE = "terp_seed_ledger"
OLD_LEDGER_TABLE = "terp_seed_ledger_v1"  # the first layout, while it is converted
AUDIT_TABLE = "terp_seed_audit"
LAYOUT_TABLE = "terp_seed_layout"  # one row: the layout version of the tables above
SEED_VERSION_TABLE = "alembic_seed_version"
MASK_PROGRESS_TABLE = "terp_seed_mask_progress"  # defined in terp_seed.store.mask_progress
KEY_RESERVATIONS_TABLE = "terp_seed_key_reservations"  # reservations not yet given back
ENVIRONMENT_TABLE = "terp_seed_environment"  # one row: the environment the database is bound to
OWN_TABLES = frozenset(
    {
        LEDGER_TABLE,
        OLD_LEDGER_TABLE,
        AUDIT_TABLE,
        LAYOUT_TABLE,
        SEED_VERSION_TABLE,
        MASK_PROGRESS_TABLE,
        KEY_RESERVATIONS_TABLE,
        ENVIRONMENT_TABLE,
    }
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


layout = sa.Table(
    LAYOUT_TABLE,
    bookkeeping_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1: one row
    # the layout version of terp-seed's own tables (terp_seed.store.setup.CURRENT_LAYOUT)
    sa.Column("version", sa.Integer, nullable=False),
    mysql_engine="InnoDB",
)


key_reservations = sa.Table(
    KEY_RESERVATIONS_TABLE,
    bookkeeping_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("table_name", sa.String(64), nullable=False),
    # the table's AUTO_INCREMENT before the reservation raised it, and where it raised it to
    sa.Column("counter_before", sa.BigInteger, nullable=False),
    sa.Column("counter_after", sa.BigInteger, nullable=False),
    sa.Column("reserved_at", sa.DateTime, nullable=False),
    mysql_engine="InnoDB",
)


environment_binding = sa.Table(
    ENVIRONMENT_TABLE,
    bookkeeping_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1: one row
    # NULL: the database held data when terp-seed first saw it and no run has named one yet
    sa.Column("environment", sa.String(16), nullable=True),
    sa.Column("database_name", sa.String(64), nullable=False),  # when it was recorded
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("recorded_by", sa.String(255), nullable=True),  # OS user@host (database user)
    sa.Column("how", sa.String(255), nullable=False),  # first use, from the audit, rebound
    mysql_engine="InnoDB",
)

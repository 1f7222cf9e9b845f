"""The state of the seed data, as data: seed revision, pending revisions, rows per table (and how
many of them were seeded) and the last runs. ``terp-seed status`` prints it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from terp_seed.db.engine import connect, make_engine
from terp_seed.db.url import redact
from terp_seed.schema import TERP_TABLES, metadata
from terp_seed.store import audit, ledger
from terp_seed.store.setup import ledger_rows_per_key
from terp_seed.store.tables import LEDGER_TABLE, SEED_VERSION_TABLE


@dataclass(frozen=True)
class SeedStatus:
    """What ``terp-seed status`` reports; :meth:`as_dict` is its JSON form."""

    database: str  # the URL, password hidden
    current: list[str]
    heads: list[str]
    pending: list[str]  # oldest first
    tables: dict[str, dict[str, int]]  # table -> {"rows": n, "seeded": n}
    recent_runs: list[dict[str, Any]]  # audit rows, newest first
    # applied revision -> {table: rows its upgrade seeded that terp-seed rollback removed since}
    removed: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "current": self.current,
            "heads": self.heads,
            "pending": self.pending,
            "tables": self.tables,
            "recent_runs": self.recent_runs,
            "removed": self.removed,
        }


def seed_status(url: URL, cfg: Config | None) -> SeedStatus:
    """Read the status (writes nothing). Without ``cfg`` the revisions script is unknown: no
    heads and nothing pending."""
    engine = make_engine(url)
    with connect(engine) as conn:
        names = set(sa.inspect(conn).get_table_names())
        current = MigrationContext.configure(
            conn, opts={"version_table": SEED_VERSION_TABLE}
        ).get_current_heads()
        heads: tuple[str, ...] = ()
        pending: list[str] = []
        applied: list[str] = []
        if cfg is not None:
            script = ScriptDirectory.from_config(cfg)
            if current:
                applied = [r.revision for r in script.iterate_revisions(current, "base")]
            heads = tuple(script.get_heads())
            pending = [
                r.revision
                for r in script.iterate_revisions("heads", current or "base")
                if r.revision not in current
            ]
            pending.reverse()
        tables = {}
        seeded = ledger_counts(conn) if LEDGER_TABLE in names else {}
        for table in TERP_TABLES:
            if table in names:
                t = metadata.tables[table]
                total = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                tables[table] = {"rows": int(total), "seeded": seeded.get(table, 0)}
        runs = audit.recent(conn, 5) if "terp_seed_audit" in names else []
        removed = {}
        if applied and LEDGER_TABLE in names and "terp_seed_audit" in names:
            removed = _removed(conn, applied)
    return SeedStatus(
        database=redact(url),
        current=list(current),
        heads=list(heads),
        pending=pending,
        tables=tables,
        recent_runs=runs,
        removed=removed,
    )


def _removed(conn: sa.Connection, applied: list[str]) -> dict[str, dict[str, int]]:
    """Per applied revision, the rows of each table its last upgrade seeded that are no longer
    in the ledger: removed by ``terp-seed rollback`` (by table, run or revision), which leaves
    the version table alone. (Rows the application deleted stay in the ledger.)"""
    if ledger_rows_per_key(conn):
        return {}
    seeded = audit.seeded_by_revision(conn)
    now = ledger.seeded_per_revision(conn)
    found: dict[str, dict[str, int]] = {}
    for revision in reversed(applied):  # oldest first
        for table, n in sorted(seeded.get(revision, {}).items()):
            gone = int(n) - now.get((revision, table), 0)
            if gone > 0:
                found.setdefault(revision, {})[table] = gone
    return found


# Moved from cli/commands.py unchanged (its imports included), as another branch rewrites its
# query: the merge stays a plain one.
def ledger_counts(conn: sa.Connection) -> dict[str, int]:
    """Seeded rows per table, as the ledger records them (read-only: a ledger of the first
    layout, not converted yet, is counted one row a key)."""
    return ledger.seeded_per_table(conn, rows_per_key=ledger_rows_per_key(conn))

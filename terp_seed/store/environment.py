"""The environment a database is bound to: ``terp_seed_environment``, one row.

Recorded at the database's first use by terp-seed (a seed, ``mask``, ``load``, ``restore``,
``init``), or taken once from the audit trail of a database seeded before the binding existed;
changed only by ``terp-seed init --env E --rebind``. Which runs it allows is
:mod:`terp_seed.runtime.policy`'s decision; this module is the only one that reads or writes
the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from terp_seed.store.audit import utcnow
from terp_seed.store.tables import AUDIT_TABLE, audit, environment_binding


@dataclass(frozen=True)
class Binding:
    """The recorded environment of a database, and when, by whom and how it was recorded."""

    environment: str | None  # None: first seen holding data, no environment named yet
    database: str
    recorded_at: datetime | None = None
    recorded_by: str | None = None
    how: str = ""


def recorded(conn: sa.Connection) -> Binding | None:
    """The recorded binding, or None (never recorded, or no table yet)."""
    if not sa.inspect(conn).has_table(environment_binding.name):
        return None
    b = environment_binding.c
    row = conn.execute(
        sa.select(b.environment, b.database_name, b.recorded_at, b.recorded_by, b.how).where(
            b.id == 1
        )
    ).first()
    return None if row is None else Binding(*row)


def record(conn: sa.Connection, binding: Binding) -> None:
    """Record ``binding`` as the database's environment (replacing one recorded before);
    the caller commits."""
    values = {
        "environment": binding.environment,
        "database_name": binding.database,
        "recorded_at": utcnow(),
        "recorded_by": binding.recorded_by,
        "how": binding.how[:255],
    }
    done = conn.execute(
        environment_binding.update().where(environment_binding.c.id == 1).values(values)
    )
    if done.rowcount == 0:
        conn.execute(environment_binding.insert().values(id=1, **values))


def audited(conn: sa.Connection) -> set[str]:
    """Every environment the audit trail names (empty without an audit trail)."""
    if not sa.inspect(conn).has_table(AUDIT_TABLE):
        return set()
    return {str(e) for (e,) in conn.execute(sa.select(audit.c.environment).distinct())}

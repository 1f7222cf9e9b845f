"""The audit trail: one row per revision step (or ad-hoc step) in ``terp_seed_audit``.

A successful step's row is written by Alembic's ``on_version_apply`` hook, inside the step's
own transaction, so the row and the version change commit together. A failed step's row is
written afterwards on a fresh connection, outside the failed transaction. The runtime's side
(Alembic's hook, a :class:`~terp_seed.runtime.run.SeedRun`) is :mod:`terp_seed.runtime.audit_hook`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from terp_seed.store.tables import audit

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """Now, in UTC, without a time zone (how terp-seed's own tables store times)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class StepResult:
    """What one revision step (or ad-hoc step) did, for the audit trail and the summary."""

    revision: str | None
    direction: str
    outcome: str = "running"
    rows: dict[str, int] = field(default_factory=dict)
    detail: str | None = None
    started_at: datetime = field(default_factory=utcnow)
    started: float = field(default_factory=time.monotonic)

    @property
    def duration_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


@dataclass(frozen=True)
class RunIdentity:
    """The run an audit row is about, and who ran it (never a password)."""

    run_id: str
    environment: str
    seed: int | None
    size: str | None
    db_user: str | None
    os_user: str | None
    host: str | None


def audit_row(run: RunIdentity, result: StepResult) -> dict[str, Any]:
    """The audit row for one step (values only: no data from the seeded rows)."""
    return {
        "revision": result.revision,
        "direction": result.direction,
        "outcome": result.outcome,
        **asdict(run),
        "started_at": result.started_at,
        "ended_at": utcnow(),
        "duration_ms": result.duration_ms,
        "rows": json.dumps(result.rows, sort_keys=True),
        "detail": (result.detail or "")[:4000] or None,
    }


def write(conn: sa.Connection, run: RunIdentity, result: StepResult) -> None:
    """Insert one audit row on ``conn`` (inside the caller's transaction)."""
    conn.execute(audit.insert().values(audit_row(run, result)))
    log.info(
        "%s %s: %s",
        result.direction,
        result.revision or "ad-hoc",
        result.outcome,
        extra={
            "revision": result.revision,
            "outcome": result.outcome,
            "rows": result.rows,
            "duration_ms": result.duration_ms,
        },
    )


def write_detached(engine: Engine, run: RunIdentity, result: StepResult) -> None:
    """Record a failed step on a fresh connection, outside the failed transaction."""
    try:
        with engine.begin() as conn:
            conn.execute(audit.insert().values(audit_row(run, result)))
    except sa.exc.DBAPIError as exc:  # the server may be gone: the log still has the failure
        log.error("could not write the audit row for the failed step: %s", str(exc).splitlines()[0])


def recent(conn: sa.Connection, limit: int = 10) -> list[dict[str, Any]]:
    """The last ``limit`` audit rows, newest first."""
    q = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in conn.execute(q)]


def seeded_by_revision(conn: sa.Connection) -> dict[str, dict[str, int]]:
    """Per revision, the rows per table its last applied upgrade inserted (as audited)."""
    latest = (
        sa.select(sa.func.max(audit.c.id))
        .where(audit.c.direction == "upgrade", audit.c.outcome.in_(("applied", "adopted")))
        .group_by(audit.c.revision)
    )
    rows = conn.execute(sa.select(audit.c.revision, audit.c.rows).where(audit.c.id.in_(latest)))
    return {str(rev): json.loads(counts or "{}") for rev, counts in rows if rev is not None}

"""The audit trail: one row per revision step (or ad-hoc step) in ``terp_seed_audit``.

A successful step's row is written by Alembic's ``on_version_apply`` hook, inside the step's
own transaction, so the row and the version change commit together. A failed step's row is
written afterwards on a fresh connection, outside the failed transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy.engine import Engine

from terp_seed.runtime.run import SeedRun, StepResult, utcnow
from terp_seed.store.tables import audit

log = logging.getLogger(__name__)


def audit_row(run: SeedRun, result: StepResult) -> dict[str, Any]:
    """The audit row for one step (values only: no data from the seeded rows)."""
    return {
        "run_id": run.run_id,
        "revision": result.revision,
        "direction": result.direction,
        "outcome": result.outcome,
        "environment": run.options.env,
        "seed": run.options.seed,
        "size": run.options.size.name,
        **run.audit_identity(),
        "started_at": result.started_at,
        "ended_at": utcnow(),
        "duration_ms": result.duration_ms,
        "rows": json.dumps(result.rows, sort_keys=True),
        "detail": (result.detail or "")[:4000] or None,
    }


def write(conn: sa.Connection, run: SeedRun, result: StepResult) -> None:
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


def write_detached(engine: Engine, run: SeedRun, result: StepResult) -> None:
    """Record a failed step on a fresh connection, outside the failed transaction."""
    try:
        with engine.begin() as conn:
            conn.execute(audit.insert().values(audit_row(run, result)))
    except sa.exc.DBAPIError as exc:  # the server may be gone: the log still has the failure
        log.error("could not write the audit row for the failed step: %s", str(exc).splitlines()[0])


def version_hook(run: SeedRun) -> Any:
    """An ``on_version_apply`` callback that audits each step Alembic applies."""

    def on_version_apply(
        *, ctx: MigrationContext, step: MigrationInfo, heads: set[str], run_args: dict[str, Any]
    ) -> None:
        revision = step.up_revision_id if step.is_upgrade else step.down_revision_ids
        rev = revision if isinstance(revision, str) else ",".join(revision or ()) or None
        if step.is_stamp:
            result = run.begin_step(rev, "stamp")
            result.outcome = "stamped"
        else:
            result = _result_for(run.results, step.up_revision_id) or run.begin_step(
                step.up_revision_id, "upgrade" if step.is_upgrade else "downgrade"
            )
            if result.outcome == "running":
                result.outcome = "applied"
        if ctx.as_sql or run.connection is None:
            return
        write(run.connection, run, result)

    return on_version_apply


def _result_for(results: Iterable[StepResult], revision: str | None) -> StepResult | None:
    for result in reversed(list(results)):
        if result.revision == revision and result.direction in ("upgrade", "downgrade"):
            return result
    return None


def recent(conn: sa.Connection, limit: int = 10) -> list[dict[str, Any]]:
    """The last ``limit`` audit rows, newest first."""
    q = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in conn.execute(q)]

"""Auditing a seed run's steps: Alembic's ``on_version_apply`` hook and the audit rows of a
:class:`~terp_seed.runtime.run.SeedRun`, written through :mod:`terp_seed.store.audit`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy.engine import Engine

from terp_seed.runtime.run import SeedRun
from terp_seed.store import audit
from terp_seed.store.audit import StepResult


def write(conn: sa.Connection, run: SeedRun, result: StepResult) -> None:
    """Insert the audit row of ``run``'s step on ``conn`` (inside the caller's transaction)."""
    audit.write(conn, run.identity(), result)


def write_detached(engine: Engine, run: SeedRun, result: StepResult) -> None:
    """Record ``run``'s failed step on a fresh connection, outside the failed transaction."""
    audit.write_detached(engine, run.identity(), result)


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

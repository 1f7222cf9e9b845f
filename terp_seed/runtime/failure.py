"""Recording a failed step: which step failed, the one line kept about it, its audit row.

Both ways a run is driven (Alembic's revisions, the ``terp-seed`` commands) record a failure
here; each then words its own message for the user.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from terp_seed.console import jsonlogs
from terp_seed.db.errors import describe_db_error
from terp_seed.errors import ConfigError
from terp_seed.runtime import audit_hook
from terp_seed.runtime.run import SeedRun
from terp_seed.store.audit import StepResult


def failure_detail(exc: BaseException, engine: Engine | None = None) -> str:
    """The one line the audit trail and the log keep about a failure."""
    if isinstance(exc, sa.exc.DBAPIError):
        return f"{type(exc).__name__}: {jsonlogs.scrub(describe_db_error(exc, engine))}"
    return f"{type(exc).__name__}: {jsonlogs.scrub(str(exc).splitlines()[0] if str(exc) else '')}"


def record_failure(
    engine: Engine, run: SeedRun, exc: BaseException, *, steps_commit_alone: bool
) -> StepResult:
    """Mark the step that failed ``failed`` and audit it on a fresh connection.

    The failed step is the one running; after a deadlocked attempt, a new step of the same
    revision (the new attempt failed before it began one). When each step commits alone (the
    Alembic path), a failure after the last step finished is a step of its own; in one
    transaction (the commands) it is the last step's, which was rolled back with it.
    Bad input (:class:`ConfigError`) ran no step and leaves no audit row; nor does a dry run.
    """
    result = run.current
    if result is None:
        result = run.begin_step(None, "run")
    elif result.outcome == "retried":
        result = run.begin_step(result.revision, result.direction)
    elif result.outcome != "running" and steps_commit_alone:
        result = run.begin_step(None, "run")
    result.outcome, result.rows = "failed", {}
    result.detail = failure_detail(exc, engine)
    if not run.options.dry_run and not isinstance(exc, ConfigError):
        audit_hook.write_detached(engine, run, result)
    return result

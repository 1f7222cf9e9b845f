"""Deadlock retries: a transaction InnoDB chose as a deadlock victim was rolled back whole, so
it is run again, at most :data:`RETRY_ATTEMPTS` times, one log line and one audit row per
failed attempt. Both the Alembic path and the ``terp-seed`` commands follow this policy."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import NoReturn, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from terp_seed.db.errors import ER_LOCK_DEADLOCK, db_error_code, operational_cause
from terp_seed.runtime import audit_hook
from terp_seed.runtime.failure import failure_detail
from terp_seed.runtime.run import SeedRun

log = logging.getLogger(__name__)
T = TypeVar("T")

# A revision (or command) that deadlocks is run at most this many times in all.
RETRY_ATTEMPTS = 3
_jitter = random.Random()  # backoff jitter only: seeded data never reads it


def is_retryable(exc: BaseException) -> bool:
    """True for a deadlock: InnoDB rolled the whole transaction back, so running it again
    is safe. A lock wait timeout is not retried: the holder is still there."""
    return isinstance(exc, sa.exc.DBAPIError) and db_error_code(exc) == ER_LOCK_DEADLOCK


def retry_delay(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: growing, with jitter, so that two
    deadlocked seeders do not meet again at once."""
    return float(min(0.25 * 2 ** (attempt - 1), 2.0) * _jitter.uniform(0.5, 1.5))


def note_retry(engine: Engine, run: SeedRun, exc: BaseException, attempt: int) -> float:
    """Record a deadlocked attempt (log line, audit row ``retried``); return the delay."""
    result = run.current if run.current is not None else run.begin_step(None, "run")
    result.outcome, result.rows = "retried", {}
    result.detail = f"attempt {attempt} of {RETRY_ATTEMPTS}: {failure_detail(exc)}"
    delay = retry_delay(attempt)
    log.warning(
        "%s %s hit a deadlock (attempt %d of %d); its transaction was rolled back; "
        "retrying in %.1fs",
        result.direction,
        result.revision or "ad-hoc",
        attempt,
        RETRY_ATTEMPTS,
        delay,
        extra={"revision": result.revision, "outcome": "retried", "attempt": attempt},
    )
    if not run.options.dry_run:
        audit_hook.write_detached(engine, run, result)
    return delay


def with_retries(
    engine: Engine,
    run: SeedRun,
    attempt: Callable[[], T],
    failed: Callable[[Exception, Exception, int], NoReturn],
) -> T:
    """Return ``attempt()``; an attempt that ends in a deadlock (InnoDB rolled its transaction
    back whole) is logged, audited ``retried`` and made again, at most :data:`RETRY_ATTEMPTS`
    times in all. Any other failure, or the last one, goes to ``failed(raised, cause,
    attempts)``, which raises."""
    attempts = 1
    while True:
        try:
            return attempt()
        except Exception as raised:
            exc = operational_cause(raised, engine)
            if is_retryable(exc) and attempts < RETRY_ATTEMPTS:
                time.sleep(note_retry(engine, run, exc, attempts))
                attempts += 1
                continue
            failed(raised, exc, attempts)

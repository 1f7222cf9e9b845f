"""A locked, gated, audited session for the ``terp-seed`` commands that write, and the retry
policy both it and the Alembic path follow.

The same mechanisms as the Alembic path (lock, schema gate, ledger, audit), in one transaction
that commits at the end, or is rolled back for a dry run or on any error. A transaction that
the database chose as a deadlock victim was rolled back whole by InnoDB, so it is run again:
at most :data:`RETRY_ATTEMPTS` times, one log line and one audit row per failed attempt.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Collection, Iterator
from typing import NoReturn, TypeVar

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.engine import URL, Engine

from terp_seed.console import jsonlogs, output
from terp_seed.db.connection import (
    ER_LOCK_DEADLOCK,
    connect,
    db_error_code,
    describe_db_error,
    make_engine,
    operational_cause,
)
from terp_seed.errors import ConfigError, SeedStepFailed
from terp_seed.runtime import audit_hook
from terp_seed.runtime.gate import check_drift, check_schema_head
from terp_seed.runtime.key_blocks import release
from terp_seed.runtime.lock import HeldLock, seed_lock
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.run import SeedRun
from terp_seed.store.setup import ensure_own_tables, require_own_tables
from terp_seed.validation import live_chunk_check

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


def prime_identity(run: SeedRun, conn: sa.Connection) -> None:
    """Ask the database who we are (``CURRENT_USER()``) once, before any step.

    The audit row of a failed step is written after its transaction was rolled back; had the
    identity not been read yet, that read would begin a new transaction on the run's
    connection (or fail on a lost one).
    """
    run.audit_identity()
    if conn.in_transaction():
        conn.rollback()


def failure_detail(exc: BaseException, engine: Engine | None = None) -> str:
    """The one line the audit trail and the log keep about a failure."""
    if isinstance(exc, sa.exc.DBAPIError):
        return f"{type(exc).__name__}: {jsonlogs.scrub(describe_db_error(exc, engine))}"
    return f"{type(exc).__name__}: {jsonlogs.scrub(str(exc).splitlines()[0] if str(exc) else '')}"


@contextlib.contextmanager
def locked_session(
    options: RunOptions,
    url: URL,
    config: Config | None,
    *,
    tables: Collection[str] = (),
) -> Iterator[SeedRun]:
    """Lock, gate, open one transaction; yield the run; commit (or roll back a dry run).

    The block runs once: use :func:`run_locked` to have a deadlocked transaction retried.
    """
    with _gated(options, url, config, tables) as (engine, run, conn, held):
        try:
            with conn.begin() as trans:
                yield run
                _finish(conn, run, trans, 0, held)
        except Exception as raised:
            failure = _failed(engine, run, operational_cause(raised, engine))
            if failure is raised:
                raise
            raise failure from raised


def run_locked(
    options: RunOptions,
    url: URL,
    config: Config | None,
    body: Callable[[SeedRun], T],
    *,
    tables: Collection[str] = (),
) -> tuple[SeedRun, T]:
    """Like :func:`locked_session`, with ``body(run)`` as the block: a transaction that ends
    in a deadlock is rolled back and ``body`` runs again (at most :data:`RETRY_ATTEMPTS`
    times in all). Returns the run and what ``body`` returned."""
    with _gated(options, url, config, tables) as (engine, run, conn, held):

        def attempt() -> T:
            first = len(run.results)
            if conn.in_transaction():  # a read after the failed attempt began one
                conn.rollback()
            with conn.begin() as trans:
                value = body(run)
                _finish(conn, run, trans, first, held)
            return value

        def failed(raised: Exception, exc: Exception, attempts: int) -> NoReturn:
            failure = _failed(engine, run, exc, attempts)
            if failure is raised:
                raise raised
            raise failure from raised

        return run, with_retries(engine, run, attempt, failed)


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


@contextlib.contextmanager
def _gated(
    options: RunOptions, url: URL, config: Config | None, tables: Collection[str]
) -> Iterator[tuple[Engine, SeedRun, sa.Connection, HeldLock]]:
    engine = make_engine(url)
    run = SeedRun(options=options, url=url, interactive=output.is_terminal())
    with (
        jsonlogs.bind(run_id=run.run_id, environment=options.env),
        seed_lock(engine, options.lock_timeout) as held,
        connect(engine) as conn,
    ):
        if config is not None:
            check_schema_head(conn, config)
        check_drift(conn, tables, options)
        if options.dry_run:  # DDL would commit on MySQL: a dry run needs the tables to exist
            require_own_tables(conn)
        else:
            ensure_own_tables(conn)
        run.connection = conn
        run.chunk_check = live_chunk_check(conn)
        prime_identity(run, conn)
        try:
            yield engine, run, conn, held
        finally:
            release(engine, held, run.key_blocks)


def _finish(
    conn: sa.Connection, run: SeedRun, trans: sa.RootTransaction, first: int, held: HeldLock
) -> None:
    """Audit this attempt's steps inside its transaction; roll a dry run back."""
    held.check(conn)
    for result in run.results[first:]:
        if result.outcome == "running":
            result.outcome = "applied"
        audit_hook.write(conn, run, result)
    if run.options.dry_run:
        trans.rollback()


def _failed(engine: Engine, run: SeedRun, exc: Exception, attempts: int = 1) -> Exception:
    """Record the failed step; return what to raise (the error itself, or one line for a
    database error)."""
    result = run.current or run.begin_step(None, "run")
    if result.outcome == "retried":  # the new attempt failed before it began a step
        result = run.begin_step(result.revision, result.direction)
    result.outcome, result.rows = "failed", {}
    reason = None
    if isinstance(exc, sa.exc.DBAPIError):
        reason = jsonlogs.scrub(describe_db_error(exc, engine))
        result.detail = f"{type(exc).__name__}: {reason}"
    else:
        result.detail = failure_detail(exc)
    if not run.options.dry_run and not isinstance(exc, ConfigError):  # bad input: no step ran
        audit_hook.write_detached(engine, run, result)
    if reason is None:
        return exc
    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
    return SeedStepFailed(
        f"{result.direction} failed in the database: {reason}{tries}; its transaction was "
        "rolled back and nothing was written"
    )

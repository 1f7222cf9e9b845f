"""Opening a seed run: the one bootstrap both the Alembic env and the ``terp-seed`` commands use.

:func:`open_run` takes the advisory lock (on its own connection, for the whole run), passes the
schema gate (schema at head, no breaking drift) before anything is written, makes sure
terp-seed's own tables are there, and gives the run its connection. :func:`locked_session` and
:func:`run_locked` add one transaction for the commands, committed at the end or rolled back for
a dry run or on any error (a deadlocked one run again, :mod:`terp_seed.runtime.retry`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import NoReturn, TypeVar

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.engine import URL, Engine

from terp_seed.console import jsonlogs, output
from terp_seed.db.engine import connect, make_engine
from terp_seed.db.errors import describe_db_error, operational_cause
from terp_seed.errors import SeedStepFailed
from terp_seed.runtime import audit_hook
from terp_seed.runtime.binding import bind_environment
from terp_seed.runtime.counters import put_back, read_counters
from terp_seed.runtime.failure import record_failure
from terp_seed.runtime.gate import check_drift, check_schema_head
from terp_seed.runtime.key_blocks import release
from terp_seed.runtime.key_recovery import give_back_left_over
from terp_seed.runtime.lock import HeldLock, seed_lock
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.retry import with_retries
from terp_seed.runtime.run import SeedRun
from terp_seed.store.setup import ensure_own_tables, require_own_tables
from terp_seed.store.stand_ins import create_stand_ins
from terp_seed.validation.fit import live_chunk_check

T = TypeVar("T")


@dataclass(frozen=True)
class OpenRun:
    """What :func:`open_run` holds for the run: its engine, connection and lock."""

    engine: Engine
    conn: sa.Connection
    held: HeldLock


def new_run(options: RunOptions, url: URL, *, offline: bool = False) -> SeedRun:
    """A run with a new id; it may prompt only when stdin and stdout are a terminal."""
    return SeedRun(options=options, url=url, offline=offline, interactive=output.is_terminal())


@contextlib.contextmanager
def open_run(run: SeedRun, config: Config | None, tables: Collection[str]) -> Iterator[OpenRun]:
    """Lock, gate and prepare ``run``; yield its engine, connection and lock.

    :param config: the seed lineage's Alembic config; with it, the schema lineage must be at
        its head (``None``: the caller has no lineage to check, e.g. a rollback).
    :param tables: the tables the run may write; breaking drift in them stops the run.
    """
    engine = make_engine(run.url)
    with seed_lock(engine, run.options.lock_timeout) as held, connect(engine) as conn:
        # The gate comes first: a refused run writes nothing, not even terp-seed's own tables.
        if config is not None:
            check_schema_head(conn, config)
        check_drift(conn, tables, run.options)
        dry = run.options.dry_run
        if dry:  # DDL would commit on MySQL: missing tables get TEMPORARY stand-ins
            require_own_tables(conn)
            create_stand_ins(conn)
        else:
            ensure_own_tables(conn)
        bind_environment(run, conn)  # a run in another environment than the database's stops
        if not run.options.dry_run:
            give_back_left_over(engine, held)  # keys a run that died reserved
        counters = read_counters(conn) if dry else {}
        run.connection = conn
        run.lock = held
        run.chunk_check = live_chunk_check(conn)
        prime_identity(run, conn)
        try:
            yield OpenRun(engine, conn, held)
        finally:
            if dry:
                _end_dry_run(conn)
            release(engine, held, run.key_blocks)
            put_back(engine, held, counters)  # after the rollback: the ALTER waits for it


def _end_dry_run(conn: sa.Connection) -> None:
    """Roll back whatever the dry run left open and close its connection for good, with the
    TEMPORARY tables it made (a pooled connection would keep them)."""
    try:
        if conn.in_transaction():
            conn.rollback()
    finally:
        conn.invalidate()


def prime_identity(run: SeedRun, conn: sa.Connection) -> None:
    """Ask the database who we are (``CURRENT_USER()``) once, before any step.

    The audit row of a failed step is written after its transaction was rolled back; had the
    identity not been read yet, that read would begin a new transaction on the run's
    connection (or fail on a lost one).
    """
    run.audit_identity()
    if conn.in_transaction():
        conn.rollback()


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
    run = new_run(options, url)
    with (
        jsonlogs.bind(run_id=run.run_id, environment=options.env),
        open_run(run, config, tables) as opened,
    ):
        try:
            with opened.conn.begin() as trans:
                yield run
                _finish(opened, run, trans, 0)
        except Exception as raised:
            failure = _failed(opened.engine, run, operational_cause(raised, opened.engine))
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
    in a deadlock is rolled back and ``body`` runs again (at most
    :data:`~terp_seed.runtime.retry.RETRY_ATTEMPTS` times in all). Returns the run and what
    ``body`` returned."""
    run = new_run(options, url)
    with (
        jsonlogs.bind(run_id=run.run_id, environment=options.env),
        open_run(run, config, tables) as opened,
    ):
        conn = opened.conn

        def attempt() -> T:
            first = len(run.results)
            if conn.in_transaction():  # a read after the failed attempt began one
                conn.rollback()
            with conn.begin() as trans:
                value = body(run)
                _finish(opened, run, trans, first)
            return value

        def failed(raised: Exception, exc: Exception, attempts: int) -> NoReturn:
            failure = _failed(opened.engine, run, exc, attempts)
            if failure is raised:
                raise raised
            raise failure from raised

        return run, with_retries(opened.engine, run, attempt, failed)


def _finish(opened: OpenRun, run: SeedRun, trans: sa.RootTransaction, first: int) -> None:
    """Audit this attempt's steps inside its transaction; roll a dry run back."""
    opened.held.check(opened.conn)
    for result in run.results[first:]:
        if result.outcome == "running":
            result.outcome = "applied"
        audit_hook.write(opened.conn, run, result)
    if run.options.dry_run:
        trans.rollback()


def _failed(engine: Engine, run: SeedRun, exc: Exception, attempts: int = 1) -> Exception:
    """Record the failed step; return what to raise (the error itself, or one line for a
    database error)."""
    result = record_failure(engine, run, exc, steps_commit_alone=False)
    if not isinstance(exc, sa.exc.DBAPIError):
        return exc
    reason = jsonlogs.scrub(describe_db_error(exc, engine))
    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
    return SeedStepFailed(
        f"{result.direction} failed in the database: {reason}{tries}; its transaction was "
        "rolled back and nothing was written"
    )

"""A locked, gated, audited session for the ``terp-seed`` commands that write.

The same mechanisms as the Alembic path (lock, schema gate, ledger, audit), in one transaction
that commits at the end, or is rolled back for a dry run or on any error.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Iterator

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.engine import URL

from terp_seed import audit, logs, output
from terp_seed.bookkeeping import ensure_bookkeeping, require_bookkeeping
from terp_seed.database import connect, make_engine
from terp_seed.errors import ConfigError, SeedStepFailed, TerpSeedError
from terp_seed.runtime.gate import check_drift, check_schema_head
from terp_seed.runtime.lock import seed_lock
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.run import SeedRun
from terp_seed.validation import live_chunk_check

log = logging.getLogger(__name__)


@contextlib.contextmanager
def locked_session(
    options: RunOptions,
    url: URL,
    config: Config | None,
    *,
    tables: Collection[str] = (),
) -> Iterator[SeedRun]:
    """Lock, gate, open one transaction; yield the run; commit (or roll back a dry run)."""
    engine = make_engine(url)
    run = SeedRun(options=options, url=url, interactive=output.is_terminal())
    with (
        logs.bind(run_id=run.run_id, environment=options.env),
        seed_lock(engine, options.lock_timeout),
        connect(engine) as conn,
    ):
        if config is not None:
            check_schema_head(conn, config)
        check_drift(conn, tables, options)
        if options.dry_run:  # DDL would commit on MySQL: a dry run needs the tables to exist
            require_bookkeeping(conn)
        else:
            ensure_bookkeeping(conn)
        run.connection = conn
        run.chunk_check = live_chunk_check(conn)
        try:
            with conn.begin() as trans:
                yield run
                for result in run.results:
                    if result.outcome == "running":
                        result.outcome = "applied"
                    audit.write(conn, run, result)
                if options.dry_run:
                    trans.rollback()
        except Exception as exc:
            result = run.current or run.begin_step(None, "run")
            result.outcome, result.rows = "failed", {}
            result.detail = (
                f"{type(exc).__name__}: {logs.scrub(str(exc).splitlines()[0] if str(exc) else '')}"
            )
            if not options.dry_run and not isinstance(exc, ConfigError):  # bad input: no step ran
                audit.write_detached(engine, run, result)
            if isinstance(exc, sa.exc.DBAPIError) and not isinstance(exc, TerpSeedError):
                reason = logs.scrub(str(exc.orig).splitlines()[0])
                raise SeedStepFailed(
                    f"{result.direction} failed in the database: {reason}; its transaction was "
                    "rolled back and nothing was written"
                ) from exc
            raise

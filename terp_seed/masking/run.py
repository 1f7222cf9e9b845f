"""Masking a restored production copy in place as one locked, confirmed, resumable run, and
scanning a database for personal data left behind (what ``terp-seed mask`` and ``pii-scan`` do)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.engine import URL

from terp_seed.console.jsonlogs import scrub
from terp_seed.console.progress import Progress
from terp_seed.db.engine import connect, make_engine
from terp_seed.errors import ConfigError, MaskingStopped, PiiLeakFound, SeedStepFailed
from terp_seed.masking.live import with_live_columns
from terp_seed.masking.mask import (
    MAX_CHUNK_SIZE,
    MaskReport,
    TablePlan,
    mask_database,
    plan_tables,
    remaining_rows,
)
from terp_seed.masking.scan import Originals, ScanReport, scan_database
from terp_seed.masking.secret import MaskKey, load_key
from terp_seed.runtime import policy
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.session import locked_session

log = logging.getLogger(__name__)
OnReport: TypeAlias = Callable[[ScanReport], None]


@dataclass(frozen=True)
class MaskJob:
    """A checked ``mask`` request: the key, what to mask in which tables, rows per chunk."""

    key: MaskKey
    plans: list[TablePlan]
    size: int
    every_table: bool = True  # no --table: TERP tables with only added columns are masked too


@dataclass(frozen=True)
class MaskOutcome:
    """A finished masking run: the run, rows masked per table and the key used."""

    run: SeedRun
    report: MaskReport
    key: MaskKey


def chunk_size(text: str) -> int:
    """``--chunk-size`` as a number of rows; :class:`ConfigError` unless 1..MAX_CHUNK_SIZE."""
    size = int(text) if text.isdigit() else 0
    if not 1 <= size <= MAX_CHUNK_SIZE:
        raise ConfigError(
            f"--chunk-size {text!r} is not valid: use a whole number from 1 to {MAX_CHUNK_SIZE:,}"
        )
    return size


def prepare_mask(options: RunOptions, tables: list[str], chunk: str) -> MaskJob:
    """Check a ``mask`` request before anything is locked: refused in production
    (:class:`PolicyError`); the key, the ``tables`` (all catalogued tables when empty) and
    ``chunk`` (rows per transaction, as text) must be valid."""
    policy.check_masking(options.env)
    key = load_key(options.env)
    plans = plan_tables(tables)
    return MaskJob(key, plans, chunk_size(chunk), every_table=not tables)


def mask_copy(
    options: RunOptions, url: URL, cfg: Config | None, job: MaskJob, *, restart: bool
) -> MaskOutcome:
    """Mask every catalogued column of the job's tables in place, chunk by chunk, under the
    lock and confirmed; resumable (``restart`` forgets saved progress)."""
    names = [p.table.name for p in job.plans]
    with locked_session(options, url, cfg, tables=names) as run:
        # a copy terp-seed never saw, masked with the default (dev) environment's public key
        policy.check_named_for_masking(options.env, run.unnamed_environment, run.db_name)
        result = run.begin_step(None, "mask")
        run.confirm_destructive(f"masking PII in place in {len(names)} table(s)")
        report = _mask(run, job, restart=restart)
        _still_locked(run, report)
        result.rows = report.rows
        result.detail = report.detail(job.key)
        result.outcome = "dry-run" if options.dry_run else "masked"
    return MaskOutcome(run, report, job.key)


def _mask(run: SeedRun, job: MaskJob, *, restart: bool) -> MaskReport:
    """Mask on a connection of its own, which commits chunk by chunk (the session's connection
    keeps the audit transaction); columns the application added are masked too, and said so."""
    key, size = job.key, job.size
    with connect(make_engine(run.url)) as conn:
        plans, extras = with_live_columns(conn, job.plans, every_table=job.every_table)
        for line in extras.lines():
            log.warning("%s", line)
        expected = remaining_rows(conn, plans, restart=restart)
        progress = Progress(expected)
        try:
            report = mask_database(
                conn,
                plans,
                key,
                run_id=run.run_id,
                chunk_size=size,
                dry_run=run.options.dry_run,
                restart=restart,
                on_chunk=lambda table, rows, _last: progress(table, rows),
                lock_check=run.lock.lost if run.lock is not None else None,
            )
        except sa.exc.DBAPIError as exc:
            reason = scrub(str(exc.orig).splitlines()[0])
            raise SeedStepFailed(
                f"masking stopped in the database: {reason}; the chunks committed before stay "
                "masked and recorded: run `terp-seed mask` again to resume"
            ) from exc
        report.notes = extras.lines()
        return report


def _still_locked(run: SeedRun, report: MaskReport) -> None:
    """After the last chunk: a lock lost since is reported with what was committed (every
    chunk), not as a rolled-back step."""
    lost = run.lock.lost(run.connection) if run.lock and run.connection else None
    if lost is not None and not run.options.dry_run:
        done = ", ".join(f"{t} {n:,}" for t, n in report.rows.items())
        raise MaskingStopped(
            f"masking finished but {lost}: every chunk was committed with its progress row "
            f"({done} row(s)); nothing was rolled back. Run `terp-seed "
            "mask` again once no other run holds the lock: it masks nothing twice"
        )


def scan_for_leaks(url: URL, originals: Originals | None, on_report: OnReport) -> ScanReport:
    """Scan the database for personal data (and the values of the ``originals`` sample, when
    given: :func:`~terp_seed.masking.scan.load_originals`); hand the report to ``on_report``,
    then raise :class:`PiiLeakFound` if it found any."""
    with connect(make_engine(url)) as conn:
        report = scan_database(conn, originals)
    on_report(report)
    if report.leaks:
        columns = sorted({f"{f.table}.{f.column}" for f in report.findings.values()})
        raise PiiLeakFound(
            f"pii-scan found {report.leaks} leak(s) in {len(columns)} column(s) "
            f"({', '.join(columns[:5])}{', ...' if len(columns) > 5 else ''}): see the report; "
            "mask the database (terp-seed mask) or fix the catalogue, then scan again",
            list(report.findings.values()),
        )
    return report

"""Loading a CSV file into one table as one locked run with provenance (``terp-seed load``):
the file is checked against the live schema first (:mod:`terp_seed.csvload.check`) and
nothing is written when any row is bad; every loaded row is in the ledger under the run id."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import URL

from terp_seed.csvload.check import read_header, validate_file
from terp_seed.errors import ConfigError
from terp_seed.factories.registry import FACTORIES
from terp_seed.load.loader import Loader
from terp_seed.runtime import policy
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.session import run_locked
from terp_seed.schema import TERP_TABLES
from terp_seed.seeding.apply import reserve_keys
from terp_seed.store.audit import StepResult
from terp_seed.store.ledger import Scope
from terp_seed.validation.runner import check_seeded


def load_csv(
    options: RunOptions, url: URL, cfg: Config | None, table: str, path: Path
) -> tuple[SeedRun, int]:
    """Validate the file against the live schema, then load it. Returns the run and the rows
    loaded (or that would be, in a dry run).

    Refused before the lock is taken: see :func:`check_load`."""
    header = check_load(table, options.env, path)

    def body(run: SeedRun) -> StepResult:
        assert run.connection is not None
        conn = run.connection
        # Keys for the file's rows, reserved before the transaction reads the table.
        keys = {} if "id" in header else reserve_keys(run, {table: max_records(path)})
        plan = validate_file(conn, table, path, header, keys)
        result = run.begin_step(None, "load")
        result.detail = f"csv {path}"
        # A file's text need not be the values' stored form ('12.5' for 12.50): the server
        # computes the ledger checksums from the stored rows.
        loader = Loader(
            run.execute, conn=conn, run_id=run.run_id, revision=None, text_checksums=False
        )
        result.rows = loader.load((table, row) for row in plan.rows(path))
        check_seeded(conn, Scope(run_id=run.run_id))
        result.outcome = "dry-run" if options.dry_run else "applied"
        return result

    run, result = run_locked(options, url, cfg, body, tables=[table])
    return run, result.rows.get(table, 0)


def check_load(table: str, env: str, path: Path) -> list[str]:
    """The file's header, when ``table`` may be loaded in ``env`` (:func:`check_table`) and the
    file can be read (:func:`read_header`); nothing is locked or read from the database."""
    check_table(table, env)
    return read_header(path)


def check_table(table: str, env: str) -> str:
    """``table`` when a file may be loaded into it in ``env``; else :class:`ConfigError`
    (unknown table) or :class:`PolicyError` (production takes reference data only)."""
    if table not in TERP_TABLES:
        raise ConfigError(f"unknown table {table!r}: use one of {', '.join(TERP_TABLES)}")
    reference = {s.table for s in FACTORIES.values() if not s.customer_data}
    policy.check_csv_load(env, table, reference)
    return table


def max_records(path: Path) -> int:
    """An upper bound on the file's data records: its line count (a quoted field may span
    lines, so records can only be fewer)."""
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines + 1

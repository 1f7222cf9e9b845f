"""Ad-hoc seeding (``terp-seed seed --table T``): the chosen tables, plus each parent table they
need that is empty, in one locked run with provenance, checked like a seed revision."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.engine import URL

from terp_seed.errors import ConfigError
from terp_seed.factories.registry import FACTORIES
from terp_seed.plan import Step
from terp_seed.runtime import policy
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.session import run_locked
from terp_seed.schema import TERP_TABLES, metadata
from terp_seed.seeding.apply import load_steps
from terp_seed.store.audit import StepResult
from terp_seed.store.ledger import Scope
from terp_seed.validation.chunks import ChunkFindings
from terp_seed.validation.runner import check_seeded


def seed_tables(
    options: RunOptions,
    url: URL,
    cfg: Config | None,
    tables: list[str],
    *,
    count: int | None = None,
) -> tuple[SeedRun, StepResult]:
    """Seed ``tables`` (``count`` rows each when given, else the size preset) and the empty
    parents they need, after :func:`check_adhoc`. Returns the run and its step (rows per
    table)."""
    check_adhoc(options, tables)

    def body(run: SeedRun) -> StepResult:
        assert run.connection is not None
        # On a connection of its own: the seed's transaction must not have read a table
        # before its keys are reserved (runtime/keys.py).
        with run.connection.engine.connect() as probe:
            chosen = with_parents(probe, tables)
        steps = [Step(t, count if t in tables else None) for t in chosen]
        result = run.begin_step(None, "seed")
        chunks = ChunkFindings()
        result.rows = load_steps(run, None, steps, chunks)
        check_seeded(run.connection, Scope(run_id=run.run_id), chunks)
        result.outcome = "dry-run" if options.dry_run else "applied"
        return result

    return run_locked(options, url, cfg, body, tables=closure(tables))


def check_adhoc(options: RunOptions, tables: list[str]) -> None:
    """Refuse a table without a factory (:class:`ConfigError`) and, in production, a
    customer-like table (:class:`PolicyError`): nothing is locked or read."""
    unknown = [t for t in tables if t not in FACTORIES]
    if unknown:
        raise ConfigError(
            f"no factory for table {unknown[0]!r}: use one of {', '.join(sorted(FACTORIES))}"
        )
    policy.check_adhoc_seed(options.env, [t for t in tables if FACTORIES[t].customer_data])


def closure(tables: list[str]) -> list[str]:
    """``tables`` and every table their factories need, directly or not."""
    out: list[str] = []
    todo = list(tables)
    while todo:
        t = todo.pop()
        if t not in out:
            out.append(t)
            todo.extend(FACTORIES[t].needs)
    return out


def with_parents(conn: sa.Connection, tables: list[str]) -> list[str]:
    """The chosen tables plus each needed parent table that is empty, parents first."""
    chosen = set(tables)
    for t in closure(tables):
        if t not in chosen:
            table = metadata.tables[t]
            if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0:
                chosen.add(t)
    return [t for t in TERP_TABLES if t in chosen]

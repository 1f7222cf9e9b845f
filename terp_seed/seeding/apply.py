"""What a seed step does: load a plan's rows with provenance, or remove exactly them."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import sqlalchemy as sa

from terp_seed.console.progress import Progress
from terp_seed.db.dialects import dialect_of
from terp_seed.factories.base import Gen, Row, with_timestamps
from terp_seed.factories.registry import FACTORIES
from terp_seed.load.loader import Loader
from terp_seed.load.offline import GROUP_CONCAT_MAX, offline_checksums
from terp_seed.plan import SeedPlan, Step
from terp_seed.runtime import policy
from terp_seed.runtime.key_blocks import KeyBlock, budget, reserve
from terp_seed.runtime.run import SeedRun
from terp_seed.schema import TERP_TABLES, metadata
from terp_seed.seeding.derive import derive_after
from terp_seed.seeding.preflight import check_offline_downgrade, check_pending, check_tables
from terp_seed.seeding.rollback import remove
from terp_seed.store import ledger
from terp_seed.store.checksums import checksum_columns
from terp_seed.store.ledger import Scope
from terp_seed.validation.chunks import ChunkFindings
from terp_seed.validation.runner import check_seeded

log = logging.getLogger(__name__)


def apply_plan(run: SeedRun, plan: SeedPlan) -> None:
    """Upgrade: insert the plan's rows and record them, or skip as the policy says."""
    result = run.begin_step(plan.revision, "upgrade")
    check_pending(run)
    check_tables(run, plan)
    skipped = policy.skip_reason(plan.revision, run.options.env, plan.environments)
    if skipped:
        result.outcome = "skipped-by-policy"
        result.detail = skipped
        log.warning(result.detail, extra={"revision": plan.revision, "outcome": result.outcome})
        return
    if run.connection is not None:
        existing = ledger.counts(run.connection, Scope(revision=plan.revision))
        if existing:
            result.outcome = "adopted"
            result.rows = {t: 0 for t in existing}
            result.detail = (
                f"rows of {plan.revision} are already in the database ({sum(existing.values())} "
                "rows recorded in the ledger); adopted them, inserted nothing"
            )
            log.warning(result.detail, extra={"revision": plan.revision})
            return
    chunks = ChunkFindings()
    result.rows = load_steps(run, plan.revision, plan.steps, chunks)
    check_seeded(run.connection, Scope(revision=plan.revision), chunks)


def load_steps(
    run: SeedRun,
    revision: str | None,
    steps: Sequence[Step],
    chunks: ChunkFindings | None = None,
) -> dict[str, int]:
    """Run each step's factory through one loader; return rows inserted per table.
    ``chunks`` collects what the row-local rules find in each chunk written."""
    expected: dict[str, int] = {}
    written: dict[str, int] = {}
    work = []
    for step in steps:
        spec = FACTORIES[step.factory]
        count = step.count if step.count is not None else run.options.size.count(spec.table)
        expected[spec.table] = expected.get(spec.table, 0) + count
        for table, n in _rows_written(run, spec.table, count, spec.writes).items():
            written[table] = written.get(table, 0) + n
        work.append((spec, count))
    gen = run.gen(reserve_keys(run, written, revision))
    loader = Loader(
        run.execute,
        conn=run.connection,
        run_id=run.run_id,
        revision=revision,
        progress=Progress(expected),
        check=run.chunk_check,
        verify=chunks,
    )
    for spec, count in work:
        loader.load(_remembering(gen, spec.fn(gen, count)))
    if run.connection is not None:  # offline, the rendered SQL leaves derived columns as loaded
        derive_after(run.connection, loader.counts, run.options.as_of)
    else:
        _render_checksums(run, loader.counts)
    return loader.counts


def _render_checksums(run: SeedRun, counts: dict[str, int]) -> None:
    """``--sql``: have the script's server fill in the ledger's checksums of the rows it just
    inserted, so that a rollback sees later changes to them. On SQLite the checksum is a
    function terp-seed gives its own connections: those rows keep none (docs/rollback.md)."""
    dialect = dialect_of(run.url)
    if not dialect.packs_checksums or not counts:
        return
    assert run.context is not None
    run.execute(sa.text(GROUP_CONCAT_MAX))
    for table in counts:
        t = metadata.tables[table]
        checksum = dialect.checksum(checksum_columns(t))
        run.execute(offline_checksums(t, checksum, run.context.dialect, run.run_id))


def _rows_written(run: SeedRun, table: str, count: int, writes: Sequence[str]) -> dict[str, int]:
    """Rows a factory making ``count`` rows of ``table`` writes in each of its tables (the
    others scale with the size's proportions)."""
    size = run.options.size
    per = count / size.count(table) if size.count(table) else 1.0
    return {w: count if w == table else round(size.count(w) * per) for w in writes}


def reserve_keys(
    run: SeedRun, rows: dict[str, int], revision: str | None = None
) -> dict[str, KeyBlock]:
    """Reserve the step's primary keys against concurrent inserts (MySQL, real runs).

    A step retried after a deadlock keeps the blocks of its first attempt: they were rolled
    back unused, and nobody else takes keys below the raised AUTO_INCREMENT. (Reserving again
    would wait for the competing transaction, which may still be open.)
    """
    if (
        run.connection is None
        or run.options.dry_run
        or not dialect_of(run.connection).reserves_keys
    ):
        return {}  # a dry run reserves nothing: it writes nothing
    wanted = budget(rows)
    kept = run.key_blocks.get(revision, {})
    if all(t in kept and kept[t].size >= n for t, n in wanted.items()):
        return {t: kept[t] for t in wanted}
    blocks = run.key_blocks[revision] = reserve(run.connection, wanted)
    return blocks


def _remembering(gen: Gen, stream: Iterator[tuple[str, Row]]) -> Iterator[tuple[str, Row]]:
    now = gen.calendar.now
    for table, row in stream:
        with_timestamps(table, row, now)
        gen.parents.remember(table, row)
        yield table, row


def revert_plan(run: SeedRun, plan: SeedPlan) -> None:
    """Downgrade: delete exactly the rows the plan's upgrade inserted."""
    result = run.begin_step(plan.revision, "downgrade")
    checked = check_pending(run)
    check_tables(run, plan)
    if plan.strategy == "none":
        result.outcome = "kept"
        result.detail = f"{plan.revision} keeps its rows on downgrade (strategy none)"
        log.warning(result.detail, extra={"revision": plan.revision})
        return
    scope = Scope(revision=plan.revision)
    if run.connection is None:
        check_offline_downgrade(run)
        _render_offline_delete(run, scope, plan.tables)
        result.outcome = "applied"
        return
    truncate = plan.strategy == "truncate" and policy.may_truncate(run.options.env)
    action = f"downgrade of {plan.revision}"
    removed = remove(run, scope, action, truncate=truncate, planned=checked)
    result.rows = {t: -n for t, n in removed.items()}
    result.outcome = "rolled back" if result.rows else "nothing-to-remove"


def _render_offline_delete(run: SeedRun, scope: Scope, tables: tuple[str, ...]) -> None:
    for table in [t for t in reversed(TERP_TABLES) if t in tables]:
        t = metadata.tables[table]
        run.execute(t.delete().where(ledger.recorded(scope, table, t.c.id)))
    run.execute(ledger.forget_statement(scope))

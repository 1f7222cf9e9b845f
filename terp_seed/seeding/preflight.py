"""Checks a command makes on every revision it is about to run, before the first one writes.

Alembic runs a command's revisions one after another, each in its own transaction: a check
that only looks at the revision in hand lets the revisions before it commit. The Alembic env
puts the revisions a command is about to run on the run (``run.pending``); the first step
takes them and calls :func:`check_pending`, which refuses the whole command, nothing written,
when ``-x tables`` leaves out a table of one of them, when a ``--sql`` downgrade is not
explicitly allowed, or when any revision of a downgrade would be refused; and asks for
confirmation once, before the first revision, when the downgrade deletes anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from terp_seed.errors import ConfigError, RollbackRefused
from terp_seed.plan import SeedPlan
from terp_seed.runtime import policy
from terp_seed.runtime.run import SeedRun
from terp_seed.seeding.rollback import RollbackPlan, plan_rollback, refusal
from terp_seed.store.ledger import Scope, SeededKeys


def check_pending(run: SeedRun) -> RollbackPlan | None:
    """Check every revision the command runs (``run.pending``, taken here: once per attempt).
    Returns what the check of a downgrade found for its first revision, the one running now,
    in this same transaction (its step need not look again).

    :raises ConfigError: ``-x tables`` leaves out tables of a revision, or a ``--sql``
        downgrade without ``-x unsafe_sql=1``.
    :raises RollbackRefused: a revision of the downgrade would be refused (all are named).
    """
    pending, run.pending = run.pending, []
    for _direction, plan in pending:
        check_tables(run, plan)
    downgrades = [plan for direction, plan in pending if direction == "downgrade"]
    if downgrades and run.connection is None:
        check_offline_downgrade(run)
    elif len(downgrades) > 1:  # one revision checks itself, in this very transaction
        return check_downgrade(run, downgrades)
    return None


def check_tables(run: SeedRun, plan: SeedPlan) -> None:
    """``-x tables`` must name every table of a revision Alembic runs: the version table
    records a revision as applied (or removed) whole.

    :raises ConfigError: it leaves out one of the revision's tables; nothing was changed.
    """
    chosen = run.options.tables
    if chosen is None:
        return
    left_out = [t for t in plan.tables if t not in chosen]
    if left_out:
        raise ConfigError(
            f"-x tables={','.join(chosen)} leaves out {', '.join(left_out)} of seed revision "
            f"{plan.revision}, which Alembic would record as applied or removed whole; nothing "
            "was changed. Leave -x tables out, or seed and remove chosen tables with "
            "`terp-seed seed --table T` and `terp-seed rollback --table T`"
        )


def check_offline_downgrade(run: SeedRun) -> None:
    """A ``--sql`` downgrade renders DELETEs that run none of the rollback's checks.

    :raises ConfigError: ``-x unsafe_sql=1`` was not given.
    """
    if not run.options.unsafe_sql:
        raise ConfigError(
            "downgrade --sql is refused: the script it renders deletes the seeded rows without "
            "any of the rollback's checks (rows of the application that reference them, rows "
            "changed since seeding, backup, confirmation). Run the downgrade online (preview it "
            "with -x dry_run=1), or pass -x unsafe_sql=1 to render it anyway"
        )


def check_downgrade(run: SeedRun, plans: Sequence[SeedPlan]) -> RollbackPlan | None:
    """Every check of every revision of a downgrade (``plans``, in the order they run), before
    the first deletes anything; then the confirmation, once, when any of them deletes rows.

    A row seeded by a revision that runs earlier in the same downgrade is gone by the time a
    later revision is removed, so it does not stand in that revision's way.

    Returns what it found for the first revision (None when that one keeps its rows).

    :raises RollbackRefused: naming the refusals of every revision; nothing was changed.
    """
    assert run.connection is not None
    allow_modified = policy.may_delete_modified(run.options.env, run.options.include_modified)
    earlier: list[SeededKeys] = []
    refused: list[RollbackRefused] = []
    deletes: list[str] = []
    found_first: RollbackPlan | None = None
    for plan in plans:
        if plan.strategy == "none":
            continue
        rp = plan_rollback(run.connection, Scope(revision=plan.revision))
        rp.blockers = [
            b
            for b in rp.blockers
            if not (isinstance(b.key, int) and any(k.among(b.table, [b.key]) for k in earlier))
        ]
        if plan is plans[0]:
            found_first = rp
        if rp.keys is not None:
            earlier.append(rp.keys)
        found = refusal(rp, allow_modified=allow_modified)
        if found is not None:
            refused.append(found)
        if any(rp.present.values()):
            deletes.append(plan.revision)
    if refused:
        raise RollbackRefused(
            f"downgrade refused before anything was deleted ({len(refused)} of "
            f"{len(plans)} revisions): " + " | ".join(str(r) for r in refused),
            [b for r in refused for b in r.blockers],
        )
    if deletes:
        run.confirm_destructive(f"downgrade of {', '.join(deletes)}")
    return found_first

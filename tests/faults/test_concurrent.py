"""8 and 32 processes running ``upgrade head`` and ``downgrade -1`` at the same time.

Every process exits 0, or fails with one line: the lock holder named (lock timeout), or a
``downgrade -1`` that found the lineage at base. The audit trail shows the runs one after
another (the lock serialises them), each step starting where the one before left the
lineage, and the last state is the version table's.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from terp_seed.testing.plugin import run_alembic, schema_at_head

from .conftest import attempts
from .harness import (
    Outcome,
    RecordProperty,
    assert_three_checks,
    audit_rows,
    down_of,
    engine,
    finish,
    head,
    seed_process,
    stop,
)

pytestmark = pytest.mark.faults
SMALL = ("-x", "size=small", "-x", "lock_timeout=900")
HOLDER_LINE = re.compile(
    r"^FAILED: seed lock '[^']+' is held by connection \d+ \(\S+@\S+\), held for \d+s; "
    r"waited [\d.]+s\. "
)
AT_BASE = "Relative revision -1 didn't produce 1 migrations: the seed lineage is at base"


def _replay(rows: list[dict[str, object]], start: str | None) -> tuple[str | None, int]:
    """Replay the audit trail from ``start``; return the end state and the runs seen."""
    runs: list[object] = []
    state = start
    for row in rows:
        run = row["run_id"]
        if not runs or runs[-1] != run:
            assert run not in runs, f"run {run} interleaved with another: the lock failed"
            runs.append(run)
        revision, direction, outcome = row["revision"], row["direction"], row["outcome"]
        if direction == "upgrade" and outcome == "applied":
            assert state == down_of(str(revision)), f"{revision} applied on top of {state}"
            state = str(revision)
        elif direction == "downgrade" and outcome in ("rolled back", "nothing-to-remove"):
            assert state == revision, f"{revision} rolled back while at {state}"
            state = down_of(str(revision))
        elif outcome == "failed" and AT_BASE in str(row["detail"]):
            assert state is None, f"downgrade -1 refused at {state}"
        else:
            raise AssertionError(f"unexpected audit row {row}")
    return state, len(runs)


@pytest.mark.parametrize(
    "processes,attempt",
    [pytest.param(8, a, marks=[pytest.mark.faults_fast] if a == 0 else []) for a in attempts()]
    + [pytest.param(32, a) for a in attempts()],
)
def test_concurrent_upgrades_and_downgrades(
    mysql_url: str, processes: int, attempt: int, record_property: RecordProperty
) -> None:
    schema_at_head(mysql_url)
    assert run_alembic(mysql_url, "-n", "seed", *SMALL, "upgrade", "head").code == 0
    eng = engine(mysql_url)
    seen = max(int(str(r["id"])) for r in audit_rows(eng))
    verbs = [("upgrade", "head") if i % 2 == 0 else ("downgrade", "-1") for i in range(processes)]
    procs = [seed_process(mysql_url, *SMALL, *verb) for verb in verbs]
    try:
        outcomes: list[Outcome] = [finish(p, 900) for p in procs]
    finally:
        for p in procs:
            stop(p)
    at_base = 0
    for verb, outcome in zip(verbs, outcomes, strict=True):
        assert "Traceback" not in outcome.err, outcome.err[-3000:]
        if outcome.code == 0:
            assert not outcome.failed_lines, outcome.out
            continue
        line = outcome.assert_clean_failure()
        if verb[0] == "downgrade" and AT_BASE in line:
            at_base += 1
        else:
            assert HOLDER_LINE.match(line), line
    rows = [r for r in audit_rows(eng) if int(str(r["id"])) > seen]
    state, runs = _replay(rows, head())
    assert sum(1 for r in rows if r["outcome"] == "failed") == at_base
    with eng.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar()
    assert version == state
    assert runs <= processes
    steps = sum(1 for r in rows if r["outcome"] != "failed")
    record_property(
        "detail",
        f"{processes} processes: {runs - at_base} changed the lineage ({steps} revision "
        f"steps), {at_base} downgrade(s) refused at base, {processes - runs} found nothing "
        f"to do; lineage left at {state}",
    )
    assert_three_checks(mysql_url, expect=state)
    eng.dispose()

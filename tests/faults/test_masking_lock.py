"""``terp-seed mask`` that loses the seed lock mid-run (issue 23, item 8), on real MariaDB.

The lock's connection is killed with ``KILL`` from another connection while a masking process
runs; a second ``mask`` then takes the free lock and resumes. The first must stop before its
next commit and say what it committed, so every row ends up masked exactly once.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa
from test_masking_db import (
    KEY,
    MASK,
    STAGING,
    _wait_for_progress,
    audit_rows,
    expected_after_masking,
    production_clients,
    snapshot,
)

from terp_seed.masking.secret import MaskKey
from terp_seed.runtime.lock import lock_name
from terp_seed.store.mask_progress import PROGRESS_TABLE
from terp_seed.testing.plugin import run_cli, spawn

pytestmark = [pytest.mark.mysql, pytest.mark.faults]  # kills the lock's connection: 40 s


def _kill_lock_holder(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        holder = conn.execute(sa.text("SELECT IS_USED_LOCK(:n)"), {"n": lock_name(engine)})
        session = holder.scalar()
        assert session is not None, "the masking run should hold the seed lock"
        conn.execute(sa.text(f"KILL {int(session)}"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(sa.text("SELECT IS_FREE_LOCK(:n)"), {"n": lock_name(engine)}).scalar():
                return int(session)
        time.sleep(0.01)
    raise AssertionError("the killed session never freed the lock")


def test_run_that_lost_the_lock_stops_and_a_second_run_masks_nothing_twice(
    mysql_url: str, engine_for: Any
) -> None:
    engine = production_clients(mysql_url, engine_for, 20_000)
    before = snapshot(engine)
    args = ("terp-seed", *MASK, "--table", "clients", "--chunk-size", "50")
    first = spawn(mysql_url, *args, env=STAGING)
    try:
        _wait_for_progress(engine, first, rows=500)
        _kill_lock_holder(engine)
        second = run_cli(mysql_url, *MASK, "--table", "clients", "--chunk-size", "50", env=STAGING)
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert second.code == 0, second.err
    expected = expected_after_masking(before, MaskKey(KEY.encode()))["clients"]
    after = snapshot(engine)["clients"]
    assert after == expected, "some rows were masked twice (or not at all)"
    assert first.returncode == 1, out + err
    failed = [line for line in err.splitlines() if "FAILED" in line]
    assert len(failed) == 1 and "masking stopped: lost the seed lock" in failed[0], err
    assert "this step was rolled back" not in err
    # what the first run says it committed is what the database shows it masked
    said = failed[0].split("(clients up to id ")[1].split(")")[0]
    with engine.connect() as conn:
        saved = conn.execute(sa.text(f"SELECT rows_masked, last_pk FROM {PROGRESS_TABLE}")).one()
    assert tuple(saved) == (20_000, 20_000)
    masked_by_second = int(second.out.split("masked rows: clients ")[1].split()[0].replace(",", ""))
    assert masked_by_second == 20_000 - int(said)
    outcomes = [(r["direction"], r["outcome"]) for r in audit_rows(engine)]
    assert outcomes == [("mask", "failed"), ("mask", "masked")]

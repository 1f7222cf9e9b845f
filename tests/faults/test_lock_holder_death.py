"""The seed lock's holder is SIGKILLed mid-revision while others wait: the next waiter gets
the lock at once, runs the revision the dead holder left unfinished, and the rest find
nothing to do."""

from __future__ import annotations

import signal

import pytest
import sqlalchemy as sa
from support.holds import hold_ledger, waiting_on_ledger

from terp_seed.runtime.lock import lock_name
from terp_seed.testing.plugin import run_alembic, schema_at_head

from .conftest import attempts, fast_first
from .harness import (
    assert_three_checks,
    audit_rows,
    engine,
    finish,
    seed_process,
    sessions,
    stop,
    wait_for,
)

pytestmark = pytest.mark.faults
SMALL = ("-x", "size=small")
WAITERS = 3


def _holder(eng: sa.Engine) -> int | None:
    with eng.connect() as conn:
        value = conn.execute(sa.text("SELECT IS_USED_LOCK(:n)"), {"n": lock_name(eng)}).scalar()
    return int(value) if value is not None else None


@pytest.mark.parametrize("attempt", fast_first(attempts()))
def test_next_waiter_proceeds_when_the_holder_is_killed(mysql_url: str, attempt: int) -> None:
    schema_at_head(mysql_url)
    assert run_alembic(mysql_url, "-n", "seed", *SMALL, "upgrade", "0005_inventory").code == 0
    eng = engine(mysql_url)
    hold = hold_ledger(eng, "payments")  # keeps the holder mid-revision (in 0006_sales), lock held
    holder = seed_process(mysql_url, *SMALL, "upgrade", "head")
    waiters = []
    try:
        wait_for(lambda: waiting_on_ledger(eng, "payments"), "the holder mid-revision", proc=holder)
        dead = _holder(eng)
        assert dead is not None, "the holder should hold the seed lock"
        waiters = [
            seed_process(mysql_url, *SMALL, "-x", "lock_timeout=120", "upgrade", "head")
            for _ in range(WAITERS)
        ]
        wait_for(
            lambda: sum(s == "User lock" for _i, s, _q in sessions(eng)) == WAITERS,
            "every waiter waiting on the seed lock",
        )
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        nxt = wait_for(lambda: (_holder(eng) or dead) != dead and _holder(eng), "a new holder")
        assert nxt != dead
        hold.rollback()  # the application finishes; the new holder's revision goes through
        outcomes = [finish(w, 180) for w in waiters]
    finally:
        hold.rollback()
        hold.close()
        for proc in [holder, *waiters]:
            stop(proc)
    for outcome in outcomes:
        outcome.assert_ok()
    ran = [o for o in outcomes if "0006_sales" in o.out]
    assert len(ran) == 1, [o.out for o in outcomes]
    assert "applied" in ran[0].out and "payments +" in ran[0].out
    assert all("nothing to do" in o.out for o in outcomes if o is not ran[0])
    sales = [r["outcome"] for r in audit_rows(eng) if r["revision"] == "0006_sales"]
    assert sales == ["applied"]  # the killed holder left no row behind, and no rows
    assert_three_checks(mysql_url, expect="0006_sales")
    eng.dispose()


@pytest.mark.parametrize("attempt", attempts())
def test_run_that_loses_its_lock_session_commits_nothing_more(mysql_url: str, attempt: int) -> None:
    """The other way round: the lock's own session is killed while the run goes on (a DBA's
    ``KILL``, a network blip on that one connection, ``wait_timeout``). Another run could now
    take the lock, so the revision in flight must not commit."""
    schema_at_head(mysql_url)
    assert run_alembic(mysql_url, "-n", "seed", *SMALL, "upgrade", "0005_inventory").code == 0
    eng = engine(mysql_url)
    hold = hold_ledger(eng, "payments")
    proc = seed_process(mysql_url, *SMALL, "upgrade", "head")
    try:
        wait_for(lambda: waiting_on_ledger(eng, "payments"), "the run mid-revision", proc=proc)
        session = _holder(eng)
        assert session is not None
        with eng.begin() as conn:
            conn.execute(sa.text(f"KILL {int(session)}"))
        wait_for(lambda: _holder(eng) is None, "the seed lock freed")
        hold.rollback()  # the revision's inserts go through; its commit must not
        outcome = finish(proc, 120)
    finally:
        hold.rollback()
        hold.close()
        stop(proc)
    outcome.assert_clean_failure(
        f"lost the seed lock 'terp_seed:{mysql_url.rsplit('/', 1)[1]}': its session {session} "
        "ended while the run went on (it is free); this step was rolled back"
    )
    rows = [r for r in audit_rows(eng) if r["revision"] == "0006_sales"]
    assert [r["outcome"] for r in rows] == ["failed"]
    assert "lost the seed lock" in str(rows[0]["detail"])
    assert_three_checks(mysql_url, expect="0005_inventory")
    eng.dispose()

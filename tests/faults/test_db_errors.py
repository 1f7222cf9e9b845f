"""Database errors in the middle of a revision: lock wait timeout, deadlock, duplicate key from
an application row, a statement larger than ``max_allowed_packet``.

Each gives one clear line and never a partial revision, or, for a deadlock, a retry (bounded,
one log line and one audit row per failed attempt). The competing transactions are the
application's: one holding row locks on the users the seed's orders point at (the seed's
insert waits for them), one inserting a payment with an explicit key while the seed is held
mid-revision (``support.holds``: with its orders written, before its payments).
Keys the application takes from AUTO_INCREMENT cannot collide with the seed's: it reserves
them first (``test_app_load.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.holds import hold_ledger, waiting_on_ledger

from terp_seed.runtime.retry import RETRY_ATTEMPTS
from terp_seed.testing.plugin import run_alembic, schema_at_head

from .conftest import attempts, fast_first
from .harness import (
    assert_consistent,
    assert_three_checks,
    audit_rows,
    down_of,
    engine,
    finish,
    head,
    seed_process,
    stop,
    wait_for,
)
from .server import PrivateServer

pytestmark = pytest.mark.faults
SMALL = ("-x", "size=small")
SALES = "0006_sales"
BEFORE_SALES = "0005_inventory"


def _up_to_inventory(url: str) -> sa.Engine:
    schema_at_head(url)
    result = run_alembic(url, "-n", "seed", *SMALL, "upgrade", BEFORE_SALES)
    assert result.code == 0, result.err[-2000:]
    return engine(url)


def _outcomes(eng: sa.Engine, revision: str) -> list[str]:
    return [r["outcome"] for r in audit_rows(eng) if r["revision"] == revision]


def _lock_users(eng: sa.Engine) -> sa.Connection:
    """An application transaction holding a row lock on every user (say, a bulk update of
    last sign-in times): the seed's sales rows point at users, and their inserts wait on it."""
    conn = eng.connect()
    conn.execute(sa.text("SELECT id FROM users FOR UPDATE")).all()
    return conn


@pytest.mark.parametrize("attempt", fast_first(attempts()))
def test_lock_wait_timeout_is_one_line(mysql_url: str, attempt: int) -> None:
    eng = _up_to_inventory(mysql_url)
    hold = _lock_users(eng)
    try:
        proc = seed_process(
            mysql_url, *SMALL, "upgrade", "head", env={"TERP_SEED_LOCK_WAIT_TIMEOUT": "2"}
        )
        outcome = finish(proc, 120)
    finally:
        hold.rollback()
        hold.close()
    line = outcome.assert_clean_failure(
        f"revision {SALES} failed in the database: gave up waiting for a row lock on ",
        "innodb_lock_wait_timeout",
        "nothing of it was written",
    )
    table = line.split("row lock on ", 1)[1].split()[0]
    assert table in ("orders", "invoices", "payments"), line  # the first that points at users
    assert _outcomes(eng, SALES) == ["failed"]  # a lock wait timeout is not retried
    assert_three_checks(mysql_url, expect=BEFORE_SALES)
    eng.dispose()


def _competitor(eng: sa.Engine, ballast: int) -> sa.Connection:
    """A transaction heavier than the seed's sales revision (so InnoDB picks the seed as the
    deadlock victim) that holds the seed mid-revision (``support.holds``: the
    ledger row of its first payment). READ COMMITTED, so its locking reads of rows the
    rolled-back seed never committed leave no gap locks."""
    with eng.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS fault_ballast (id INT PRIMARY KEY)"))
    conn = eng.connect()
    conn.execute(sa.text("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"))
    conn.execute(sa.text(f"INSERT INTO fault_ballast SELECT seq FROM seq_1_to_{int(ballast)}"))
    hold_ledger(eng, "payments", conn=conn)
    return conn


def _deadlock_once(eng: sa.Engine, comp: sa.Connection, proc: object, retried: int) -> None:
    """Wait until the seed is held at its payments, then close the cycle: lock an order the
    seed has inserted. InnoDB rolls the (lighter) seed back; our statement then returns."""
    wait_for(lambda: _outcomes(eng, SALES).count("retried") == retried, "the audited retry")
    # After a rolled-back attempt the seed may be held at an earlier table (waiting_on_ledger)
    wait_for(lambda: waiting_on_ledger(eng), "the seed held mid-revision", proc=proc)
    try:
        comp.execute(sa.text("SELECT id FROM orders ORDER BY id LIMIT 1 FOR UPDATE")).all()
    except sa.exc.DBAPIError as exc:  # pragma: no cover - a wrong victim is a broken scenario
        pytest.fail(f"InnoDB chose the competitor as the deadlock victim: {exc}")


@pytest.mark.parametrize("attempt", fast_first(attempts()))
def test_deadlock_is_retried_and_completes(mysql_url: str, attempt: int) -> None:
    eng = _up_to_inventory(mysql_url)
    comp = _competitor(eng, ballast=20000)
    proc = seed_process(mysql_url, *SMALL, "upgrade", "head")
    try:
        _deadlock_once(eng, comp, proc, retried=0)
        comp.rollback()  # the competitor finishes: the retried revision goes through
        outcome = finish(proc, 120)
    finally:
        comp.rollback()
        comp.close()
        stop(proc)
    outcome.assert_ok()
    retries = [ln for ln in outcome.err.splitlines() if "hit a deadlock" in ln]
    assert len(retries) == 1, outcome.err[-3000:]
    message = json.loads(retries[0])["message"]
    assert message.startswith(f"upgrade {SALES} hit a deadlock (attempt 1 of {RETRY_ATTEMPTS})")
    rows = [r for r in audit_rows(eng) if r["revision"] == SALES]
    assert [r["outcome"] for r in rows] == ["retried", "applied"], outcome.out + outcome.err
    assert rows[0]["detail"].startswith(f"attempt 1 of {RETRY_ATTEMPTS}: OperationalError: ")
    assert "deadlock with another transaction" in rows[0]["detail"]
    assert json.loads(rows[0]["rows"]) == {} and json.loads(rows[1]["rows"])["payments"] > 0
    assert f"upgrade   {SALES}" in outcome.out and "retried" in outcome.out
    assert_three_checks(mysql_url, expect=SALES)
    eng.dispose()


@pytest.mark.parametrize("attempt", attempts())
def test_deadlock_retries_are_bounded(mysql_url: str, attempt: int) -> None:
    eng = _up_to_inventory(mysql_url)
    comp = _competitor(eng, ballast=20000)
    proc = seed_process(mysql_url, *SMALL, "upgrade", "head")
    try:
        for retried in range(RETRY_ATTEMPTS):
            _deadlock_once(eng, comp, proc, retried=retried)
        outcome = finish(proc, 120)
    finally:
        comp.rollback()
        comp.close()
        stop(proc)
    outcome.assert_clean_failure(
        f"revision {SALES} failed in the database: deadlock with another transaction",
        f"(after {RETRY_ATTEMPTS} attempts)",
        "nothing of it was written",
    )
    assert _outcomes(eng, SALES) == ["retried"] * (RETRY_ATTEMPTS - 1) + ["failed"]
    assert sum("hit a deadlock" in ln for ln in outcome.err.splitlines()) == RETRY_ATTEMPTS - 1
    assert_three_checks(mysql_url, expect=BEFORE_SALES)
    eng.dispose()


@pytest.mark.parametrize("attempt", fast_first(attempts()))
def test_duplicate_key_from_an_application_row(mysql_url: str, attempt: int) -> None:
    """The application inserts a payment with an explicit key, one the seed reserved and is
    about to use (its orders are written, its payments not yet)."""
    eng = _up_to_inventory(mysql_url)
    hold = hold_ledger(eng, "orders")
    proc = seed_process(mysql_url, *SMALL, "upgrade", "head")
    try:
        wait_for(lambda: waiting_on_ledger(eng, "orders"), "the seed held at its orders", proc=proc)
        with eng.begin() as app:
            user = app.execute(sa.text("SELECT MIN(id) FROM users")).scalar()
            app.execute(
                sa.text(
                    "INSERT INTO payments (id, paymentNumber, paymentType, paymentDate, amount, "
                    "paymentMethod, createdBy) "
                    "VALUES (1, 'APP-EXPLICIT', 'RECEIVED', '2025-01-01', 1, 'CASH', :u)"
                ),
                {"u": user},
            )
        hold.rollback()  # the seed goes on to its payments
        outcome = finish(proc, 120)
    finally:
        hold.rollback()
        hold.close()
        stop(proc)
    outcome.assert_clean_failure(
        f"revision {SALES} failed in the database: duplicate key on payments",
        "Duplicate entry '1' for key 'PRIMARY'",
        "nothing of it was written",
    )
    assert _outcomes(eng, SALES) == ["failed"]
    with eng.connect() as conn:
        row = conn.execute(sa.text("SELECT paymentNumber FROM payments WHERE id = 1")).scalar()
    assert row == "APP-EXPLICIT"
    assert_three_checks(mysql_url, expect=BEFORE_SALES, app_rows={"payments": {1}})
    eng.dispose()


@pytest.mark.parametrize("attempt", attempts())
def test_statement_larger_than_max_allowed_packet(
    private_server: PrivateServer, private_url: str, attempt: int
) -> None:
    schema_at_head(private_url)
    eng = engine(private_url)
    with private_server.global_setting("max_allowed_packet", 65536):
        outcome = finish(seed_process(private_url, "-x", "size=large", "upgrade", "head"), 180)
    line = outcome.assert_clean_failure(
        "failed in the database: a statement of about",
        "is larger than the server's max_allowed_packet (65,536 bytes)",
        "raise max_allowed_packet on the server",
    )
    failed = [r for r in audit_rows(eng) if r["outcome"] == "failed"]
    assert len(failed) == 1 and failed[0]["revision"] in line, line
    assert_three_checks(private_url, expect=down_of(failed[0]["revision"]), size="large")
    eng.dispose()


@pytest.mark.parametrize("attempt", fast_first(attempts()))
def test_cli_session_retries_a_deadlock(mysql_url: str, attempt: int, tmp_path: Path) -> None:
    """``run_locked`` (the session the ``terp-seed`` commands write through) runs its body
    again after a deadlock: the first attempt's rows are rolled back, the second's commit."""
    from pymysql.err import OperationalError

    from terp_seed.db.url import resolve_url
    from terp_seed.plan import Step
    from terp_seed.runtime.options import parse_options
    from terp_seed.runtime.run import SeedRun
    from terp_seed.runtime.session import run_locked
    from terp_seed.seeding.apply import load_steps

    schema_at_head(mysql_url)
    attempts_seen: list[dict[str, int]] = []

    def body(run: SeedRun) -> dict[str, int]:
        result = run.begin_step(None, "seed")
        result.rows = load_steps(run, None, [Step("users", 4)])
        attempts_seen.append(result.rows)
        if len(attempts_seen) == 1:  # InnoDB chose this transaction as a deadlock victim
            raise sa.exc.OperationalError(
                "INSERT INTO users ...", {}, OperationalError(1213, "Deadlock found")
            )
        return dict(result.rows)

    options = parse_options({"size": "small"}, {})
    run, rows = run_locked(options, resolve_url(mysql_url, {}), None, body, tables=["users"])
    assert rows == {"users": 4} and len(attempts_seen) == 2
    log = (tmp_path / "logs" / "terp-seed.log").read_text()  # alembic.ini's JSON log file
    assert log.count("seed ad-hoc hit a deadlock (attempt 1 of") == 1, log[-3000:]
    eng = engine(mysql_url)
    with eng.connect() as conn:
        users = conn.execute(sa.text("SELECT COUNT(*) FROM users")).scalar()
        ledger = conn.execute(
            sa.text(
                "SELECT run_id, COALESCE(SUM(last_pk - first_pk + 1), 0) "
                "FROM terp_seed_ledger GROUP BY run_id"
            )
        ).all()
        audit = conn.execute(
            sa.text("SELECT direction, outcome FROM terp_seed_audit ORDER BY id")
        ).all()
    assert users == 4 and ledger == [(run.run_id, 4)]
    assert [tuple(a) for a in audit] == [("seed", "retried"), ("seed", "applied")]
    eng.dispose()


def test_server_without_local_infile_seeds_by_insert(
    private_server: PrivateServer, private_url: str
) -> None:
    """``local_infile`` OFF (MySQL 8.0's default, managed services): every chunk, large ones
    too, goes in by multi-row INSERT; the seed completes with the same rows and says so once."""
    schema_at_head(private_url)
    with private_server.global_setting("local_infile", 0):
        result = run_alembic(private_url, "-n", "seed", "-x", "size=large", "upgrade", "head")
    assert result.code == 0, result.err[-2000:]
    assert result.err.count("local_infile OFF") == 1
    eng = engine(private_url)
    with eng.connect() as conn:
        lines = conn.execute(sa.text("SELECT COUNT(*) FROM order_line_items")).scalar_one()
        assert lines >= 2000  # at least one chunk the loader would have sent by LOAD DATA
    eng.dispose()
    assert_consistent(private_url, expect=head())

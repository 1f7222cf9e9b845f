"""The seed lock: one seed run per database, holder named on timeout, freed by a killed process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from support.holds import hold_ledger, uncommitted_rows, waiting_on_ledger

from terp_seed.runtime.lock import lock_name, seed_lock
from terp_seed.testing.plugin import (
    run_alembic,
    run_cli,
    schema_at_head,
    spawn,
    table_checksums,
    table_counts,
)

EngineFor = Callable[[str], sa.Engine]
SEED = ("-n", "seed", "-x", "size=small")
# The one line a waiter prints, on MariaDB and SQLite alike.
HOLDER_LINE = re.compile(
    r"^FAILED: seed lock '[^']+' is held by (connection|pid) (\d+) \((\S+)@(\S+)\), held for "
    r"(\d+)s; waited [\d.]+s\. .*terp-seed lock`$"
)
# Bookkeeping that differs between two databases seeded identically.
_PER_RUN = {"terp_seed_audit", "alembic_version", "alembic_seed_version"}


def seeded_counts(engine: sa.Engine) -> dict[str, int]:
    return {t: n for t, n in table_counts(engine).items() if t not in _PER_RUN}


def one_seeding(sqlite_url: str, engine_for: EngineFor) -> dict[str, int]:
    """Row counts after exactly one ``upgrade head`` (on SQLite: same seed, same rows)."""
    schema_at_head(sqlite_url)
    result = run_alembic(sqlite_url, *SEED, "upgrade", "head")
    assert result.code == 0, result.err[-2000:]
    counts = seeded_counts(engine_for(sqlite_url))
    assert counts["strains"] > 0
    return counts


def assert_seeded_once(engine: sa.Engine, expected: dict[str, int]) -> None:
    assert seeded_counts(engine) == expected
    with engine.connect() as conn:
        per_revision = conn.execute(
            sa.text(
                "SELECT revision, COUNT(DISTINCT run_id) FROM terp_seed_ledger GROUP BY revision"
            )
        ).all()
    assert per_revision and all(n == 1 for _rev, n in per_revision), per_revision


def test_eight_concurrent_upgrades_seed_exactly_once(
    mysql_url: str, sqlite_url: str, engine_for: EngineFor
) -> None:
    expected = one_seeding(sqlite_url, engine_for)
    schema_at_head(mysql_url)
    procs = [
        spawn(mysql_url, "alembic", *SEED, "-x", "lock_timeout=60", "upgrade", "head")
        for _ in range(8)
    ]
    outcomes = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for code, out, err in outcomes:
        assert "Traceback" not in err, err[-2000:]
        if code != 0:  # allowed: timed out, naming the holder in one line
            failed = [line for line in (out + err).splitlines() if line.startswith("FAILED")]
            assert len(failed) == 1 and HOLDER_LINE.match(failed[0]), out + err[-2000:]
    seeders = [out for code, out, _err in outcomes if code == 0 and "strains +" in out]
    assert len(seeders) == 1, [o for _c, o, _e in outcomes]
    waiters = [out for code, out, _err in outcomes if code == 0 and out not in seeders]
    assert all("nothing to do" in out for out in waiters), waiters
    assert_seeded_once(engine_for(mysql_url), expected)


def test_held_lock_times_out_naming_the_holder(mysql_url: str, engine_for: EngineFor) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    before = table_checksums(engine)
    with engine.connect() as holder:
        got = holder.execute(sa.text("SELECT GET_LOCK(:n, 0)"), {"n": lock_name(engine)})
        assert got.scalar() == 1
        holder_id = holder.execute(sa.text("SELECT CONNECTION_ID()")).scalar()
        started = time.monotonic()
        result = run_alembic(mysql_url, *SEED, "-x", "lock_timeout=1", "upgrade", "head")
        waited = time.monotonic() - started
        stamp = run_alembic(mysql_url, *SEED, "-x", "lock_timeout=0", "stamp", "head")
        shown = run_cli(mysql_url, "lock")
    assert result.code != 0 and 1.0 <= waited < 10
    match = HOLDER_LINE.match(result.failure)
    assert match, result.out + result.err
    assert match.group(1, 2, 3) == ("connection", str(holder_id), "root")
    assert match.group(4).startswith(("127.0.0.1", "localhost"))
    assert [ln for ln in (result.out + result.err).splitlines() if "FAILED" in ln] == [
        result.failure
    ]
    assert "Traceback" not in result.err
    assert stamp.code != 0 and HOLDER_LINE.match(stamp.failure), stamp.out + stamp.err
    assert shown.code == 0 and f"held by connection {holder_id} (root@" in shown.out
    assert table_checksums(engine) == before  # nothing written, not even bookkeeping tables
    assert "is free" in run_cli(mysql_url, "lock").out


def test_sqlite_lock_times_out_with_the_same_message(
    sqlite_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(sqlite_url)
    engine = engine_for(sqlite_url)
    before = table_checksums(engine)
    with seed_lock(engine, 0):  # a second open file description conflicts, even in-process
        result = run_alembic(sqlite_url, *SEED, "-x", "lock_timeout=0.3", "upgrade", "head")
        shown = run_cli(sqlite_url, "lock")
    match = HOLDER_LINE.match(result.failure)
    assert result.code != 0 and match, result.out + result.err
    assert match.group(1, 2) == ("pid", str(os.getpid()))
    assert f"held by pid {os.getpid()}" in shown.out
    assert table_checksums(engine) == before
    assert "is free" in run_cli(sqlite_url, "lock").out
    assert run_alembic(sqlite_url, *SEED, "-x", "lock_timeout=0", "upgrade", "head").code == 0


def test_lock_is_released_after_success_and_failure(mysql_url: str, engine_for: EngineFor) -> None:
    engine = engine_for(mysql_url)
    with engine.connect() as conn:
        fixture_sessions = _sessions(conn)  # pytest-mysql's own connection
    failed = run_alembic(mysql_url, *SEED, "upgrade", "head")  # schema missing: gate fails
    assert failed.code != 0 and "run `alembic upgrade head` first" in failed.failure
    schema_at_head(mysql_url)
    assert run_alembic(mysql_url, *SEED, "upgrade", "head").code == 0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT IS_FREE_LOCK(:n)"), {"n": lock_name(engine)}).scalar()
        assert _sessions(conn) == fixture_sessions, "a terp-seed connection outlived its run"


def test_killed_seeder_frees_the_lock_and_leaves_no_partial_rows(
    mysql_url: str, sqlite_url: str, engine_for: EngineFor
) -> None:
    expected = one_seeding(sqlite_url, engine_for)
    schema_at_head(mysql_url)
    assert run_cli(mysql_url, "init").code == 0
    engine = engine_for(mysql_url)
    name = lock_name(engine)
    # Hold the seeder mid-revision: its strains are inserted, uncommitted, and their ledger
    # recording waits on our uncommitted ledger row.
    with hold_ledger(engine, "strains") as blocker:
        proc = spawn(mysql_url, "alembic", *SEED, "upgrade", "head")
        try:
            _wait_for(lambda: bool(waiting_on_ledger(engine, "strains")), proc)
            assert not _is_free(engine, name), "the seeder should hold the seed lock"
            assert uncommitted_rows(engine) > 0, "the seeder should be mid-revision"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            _wait_for(lambda: _is_free(engine, name), None, timeout=5)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
            blocker.rollback()
    _wait_for(lambda: uncommitted_rows(engine) == 0, None)
    counts = table_counts(engine)
    assert counts["terp_seed_ledger"] == 0 and counts["categories"] == 0, counts
    started = time.monotonic()
    again = run_alembic(mysql_url, *SEED, "-x", "lock_timeout=0", "upgrade", "head")
    assert again.code == 0, again.out + again.err[-2000:]
    assert time.monotonic() - started < 30
    assert_seeded_once(engine, expected)


def _sessions(conn: sa.Connection) -> list[Any]:
    own = conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar()
    return list(
        conn.execute(
            sa.text(
                "SELECT ID, COMMAND, STATE FROM information_schema.PROCESSLIST "
                "WHERE DB = DATABASE() AND ID <> :own"
            ),
            {"own": own},
        )
    )


def _is_free(engine: sa.Engine, name: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT IS_FREE_LOCK(:n)"), {"n": name}).scalar() == 1


def _wait_for(
    predicate: Callable[[], bool],
    proc: subprocess.Popen[str] | None,
    timeout: float = 30,
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"seeder ended early ({proc.returncode}): {out}{err[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the database")
        time.sleep(0.05)

"""MariaDB stops (clean shutdown, or killed outright) in the middle of a large seed and starts
again: the run fails with one line, the revision it was in is gone after recovery, and a
re-run completes.

This uses the suite's private server (``server.py``): stopping the shared server would break
whatever else is running against it. The server is started again in ``finally``, whatever
happens.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from support.holds import uncommitted_rows

from terp_seed.testing.plugin import schema_at_head

from .conftest import attempts
from .harness import (
    RecordProperty,
    applied_count,
    assert_three_checks,
    down_of,
    engine,
    finish,
    seed_process,
    stop,
    wait_for,
)
from .server import PrivateServer

pytestmark = pytest.mark.faults


@pytest.mark.parametrize("how", ["shutdown", "kill"])
@pytest.mark.parametrize("attempt", attempts())
def test_server_restart_during_a_large_seed(
    private_server: PrivateServer,
    private_url: str,
    how: str,
    attempt: int,
    record_property: RecordProperty,
) -> None:
    schema_at_head(private_url)
    eng = engine(private_url)
    proc = seed_process(private_url, "-x", "size=large", "upgrade", "head")
    try:
        wait_for(  # mid-load in the last, largest revision
            lambda: applied_count(eng) >= 5 and uncommitted_rows(eng) > 2000,
            "the seed in the middle of its sales revision",
            proc=proc,
            timeout=300,
        )
        if how == "shutdown":
            private_server.shutdown()  # mariadb-admin shutdown
        else:
            assert private_server.proc is not None
            private_server.proc.kill()  # a crash: InnoDB recovers on start
            private_server.proc.wait()
        outcome = finish(proc, 120)
        private_server.start()
    finally:
        private_server.ensure_running()
        stop(proc)
    line = outcome.assert_clean_failure(
        "failed in the database: lost the connection to the database server"
    )
    failed = re.search(r"revision (\w+) failed", line)
    assert failed and failed.group(1) == "0006_sales", line
    with eng.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar()
    assert version == down_of("0006_sales")
    record_property("detail", f"{how} during 0006_sales; lineage left at {version}")
    assert_three_checks(private_url, expect=version, size="large")
    eng.dispose()

"""Seeding over a slow network that then goes away.

The seed connects through a local proxy that adds 25 ms each way (50 ms per round trip); in
the middle of a revision the proxy cuts every connection and refuses new ones. The run fails
with one line and no traceback, the revision it was in leaves nothing behind, and a re-run
straight to the server (the healthy path) completes.
"""

from __future__ import annotations

import re
import time

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
from .proxy import latency_proxy

pytestmark = pytest.mark.faults
DELAY = 0.025  # each way


def _round_trip(url: str) -> float:
    eng = engine(url)
    try:
        with eng.connect() as conn:
            started = time.monotonic()
            for _ in range(5):
                conn.execute(sa.text("SELECT 1")).scalar()
            return (time.monotonic() - started) / 5
    finally:
        eng.dispose()


@pytest.mark.parametrize("attempt", attempts())
def test_cut_mid_load_fails_cleanly_then_healthy_rerun(
    mysql_url: str, attempt: int, record_property: RecordProperty
) -> None:
    schema_at_head(mysql_url)
    eng = engine(mysql_url)
    database = mysql_url.rsplit("/", 1)[1]
    with latency_proxy(3306, delay=DELAY) as proxy:
        slow = proxy.url(database)
        rtt = _round_trip(slow)
        assert 2 * DELAY <= rtt < 2 * DELAY + 0.1, f"round trip through the proxy: {rtt:.3f}s"
        proc = seed_process(slow, "-x", "size=medium", "upgrade", "head")
        try:
            # mid-load: two revisions committed, the third writing
            wait_for(
                lambda: applied_count(eng) >= 2 and uncommitted_rows(eng) > 0,
                "the seed in the middle of its third revision",
                proc=proc,
                timeout=300,
            )
            proxy.cut()
            outcome = finish(proc, 120)
        finally:
            stop(proc)
        sent = proxy.bytes_up
    line = outcome.assert_clean_failure(
        "failed in the database: lost the connection to the database server"
    )
    failed = re.search(r"revision (\w+) failed", line)
    assert failed, line
    with eng.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar()
    # the revision named failed; the lineage is below it (or at it, had the cut hit its COMMIT)
    assert version in (down_of(failed.group(1)), failed.group(1)), (version, line)
    record_property(
        "detail",
        f"round trip {rtt * 1000:.0f} ms; cut in {failed.group(1)} "
        f"after {sent:,} bytes sent; lineage left at {version}",
    )
    assert_three_checks(mysql_url, expect=version, size="medium")
    eng.dispose()

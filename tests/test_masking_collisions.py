"""Masked values never collide with originals (issue 23, item 7), on real MariaDB.

A copy that already holds every ``555-01xx`` number of an area code (as terp-seed's own seeds
write them) is masked; masked phones come from the same fictional block, so they equal some of
those originals. That is no leak (a fictional number is nobody's): the scan with the originals
sample must pass, as the staging-refresh runbook runs it, while a real original left in place
is still reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from test_masking_db import MASK, STAGING, fill, write_originals

from terp_seed.testing.plugin import run_cli, schema_at_head

ROWS = 100


def test_masked_phones_equal_to_fictional_originals_are_no_leak(
    mysql_url: str, engine_for: Any, tmp_path: Path
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    fill(engine, ROWS)
    with engine.begin() as conn:  # every number of the block, as the seeds write them
        for table, column in (("clients", "phone"), ("supplier_profiles", "contact_phone")):
            conn.execute(
                sa.text(
                    f"UPDATE {table} SET {column} = CONCAT('(415) 555-01', LPAD(id - 1, 2, '0'))"
                )
            )
    originals = write_originals(tmp_path, engine)
    assert run_cli(mysql_url, *MASK, env=STAGING).code == 0
    with engine.connect() as conn:
        masked = set(conn.execute(sa.text("SELECT phone FROM clients")).scalars())
    seeded = {f"(415) 555-01{i:02d}" for i in range(ROWS)}
    assert masked & seeded, "the copy should hold numbers equal to masked ones"
    scan = run_cli(mysql_url, "pii-scan", "--originals", originals)
    assert scan.code == 0, scan.out + scan.err

    with engine.begin() as conn:  # a real original back in place is still a leak
        conn.execute(sa.text("UPDATE clients SET phone = '(415) 867-5309' WHERE id = 3"))
    (tmp_path / "real.json").write_text('["(415) 867-5309"]')
    scan = run_cli(mysql_url, "pii-scan", "--originals", str(tmp_path / "real.json"))
    assert scan.code == 1 and "clients.phone: 1 row(s) equal an original value" in scan.out

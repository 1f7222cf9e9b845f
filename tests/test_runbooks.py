"""docs/runbooks/staging-refresh.md, run literally: its shell blocks, in order, in one shell."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from terp_seed.testing.plugin import MYSQL_TEST_DB, project_root, run_alembic, schema_at_head

RUNBOOK = project_root() / "docs" / "runbooks" / "staging-refresh.md"


def shell_blocks(path: Path) -> str:
    return "\n".join(re.findall(r"^```sh\n(.*?)^```", path.read_text(), flags=re.M | re.S))


@pytest.fixture
def production_copy(mysql_url: str, engine_for) -> str:
    name = f"terp_rb_prod_{os.getpid()}"
    admin = engine_for(mysql_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{name}`"))
    url = mysql_url.rsplit("/", 1)[0] + f"/{name}"
    schema_at_head(url)
    assert run_alembic(url, "-n", "seed", "-x", "size=small", "upgrade", "head").code == 0
    _make_it_real(engine_for(url))
    yield name
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))


def _make_it_real(engine: sa.Engine) -> None:
    """Give the copy the personal data a production database has: real-looking addresses at
    real domains and real phone ranges, not our reserved/fictional ones."""
    with engine.begin() as conn:
        for (cid,) in conn.execute(sa.text("SELECT id FROM clients")).all():
            conn.execute(
                sa.text(
                    "UPDATE clients SET name = :n, email = :e, phone = :p, address = :a "
                    "WHERE id = :id"
                ),
                {"n": f"Maria Gonzalez Holdings {cid}", "e": f"maria.gonzalez{cid}@gmail.com",
                 "p": f"(510) 8{cid % 100:02d}-{4000 + cid:04d}",
                 "a": f"{100 + cid} Myrtle Ave, Eureka, CA 95501", "id": cid},
            )  # fmt: skip
        # a supplier is one party: its vendors row carries its client's name (TERP pairs them
        # by name, server/inventoryIntakeService.ts:183-204)
        conn.execute(sa.text("UPDATE vendors v JOIN clients c ON c.id = v.id SET v.name = c.name"))
        conn.execute(
            sa.text(
                "UPDATE users SET name = CONCAT('Wei Okafor ', id), "
                "email = CONCAT('wei.okafor', id, '@outlook.com')"
            )
        )
        conn.execute(
            sa.text(
                "UPDATE supplier_profiles SET contact_name = CONCAT('Priya Patel ', id), "
                "contact_email = CONCAT('priya', id, '@sierrasupply.net'), "
                "contact_phone = CONCAT('(916) 73', LPAD(id, 1, '0'), '-88', LPAD(id, 2, '0'))"
            )
        )


def test_staging_refresh_runbook_works_literally(
    production_copy: str, mysql_url: str, tmp_path: Path, engine_for
) -> None:
    script = shell_blocks(RUNBOOK)
    assert "terp-seed mask" in script and "pii-scan" in script
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "ALEMBIC_CONFIG": str(project_root() / "alembic.ini"),
        "PROD_DB": production_copy,
        "STAGING_DB": MYSQL_TEST_DB,
        "TERP_SEED_MASK_KEY": "runbook-test-key-0123456789abcdef",
    }
    env.pop("TERP_DATABASE_URL", None)
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "pii-scan: 0 leak(s)" in done.stdout, done.stdout[-2000:]
    left = {p.name for p in tmp_path.iterdir()} & {"prod-copy.sql", "originals.json"}
    assert not left, "the runbook leaves no copy or originals behind"
    prod, staging = (
        engine_for(mysql_url.rsplit("/", 1)[0] + f"/{production_copy}"),
        engine_for(mysql_url),
    )
    with prod.connect() as p, staging.connect() as s:
        q = sa.text("SELECT id, email, phone, name FROM clients ORDER BY id")
        before, after = p.execute(q).all(), s.execute(q).all()
    assert [r[0] for r in before] == [r[0] for r in after] and before
    for old, new in zip(before, after, strict=True):
        assert old[1] != new[1] and old[3] != new[3]

"""The whole-dataset benchmark: ``alembic -n seed -x size=P upgrade head`` from an empty
database, as its own process, timed, with its peak RSS; then ``downgrade base`` timed.

Variants leave pieces out to show their cost: ``no-validation`` (no check before insert, no
integrity rules after) and ``no-validation-no-ledger`` (no provenance either). They run this
file as a child (``--child``) that patches the runtime, then hands over to Alembic.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("full", "no-validation", "no-validation-no-ledger")
SERVER = "mysql+pymysql://root@127.0.0.1:3306"  # the benchmarks' default --server


def arguments(doc: str, rows: int | None = None) -> argparse.ArgumentParser:
    """A benchmark's command line, described by its docstring's first line: ``--server``, and
    an optional ``ROWS`` (default ``rows``) for one that takes a row count."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if rows is not None:
        parser.add_argument("rows", nargs="?", type=int, default=rows)
    parser.add_argument("--server", default=SERVER)
    return parser


@dataclass
class Run:
    """One child process: what it ran, how long it took, its peak RSS, rows it wrote."""

    label: str
    seconds: float
    peak_rss_mb: float
    rows: int = 0


def fresh_database(server: str, name: str) -> str:
    """Drop and create ``name`` with TERP's schema at head; return its URL."""
    url = empty_database(server, name)
    schema(url)
    return url


def empty_database(server: str, name: str) -> str:
    """Drop and create ``name``, empty; return its URL."""
    engine = sa.create_engine(f"{server}/", poolclass=sa.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        conn.exec_driver_sql(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    engine.dispose()
    return f"{server}/{name}"


def schema(url: str) -> Run:
    """``alembic upgrade head``: TERP's tables (the schema lineage, not the seeds)."""
    argv = [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "upgrade", "head"]
    return timed_child("schema migrations", url, argv)


def drop_database(server: str, name: str) -> None:
    engine = sa.create_engine(f"{server}/", poolclass=sa.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    engine.dispose()


def timed_child(label: str, url: str, argv: list[str]) -> Run:
    """Run ``argv`` as a child process: its wall time and its peak RSS.

    The peak is the child's ``VmHWM`` (high-water mark of its own address space, read from
    /proc every 20 ms): ``ru_maxrss`` would count this parent's memory too, as the child is
    forked from it before it execs.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv,
            env={**os.environ, "TERP_DATABASE_URL": url},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        peak_kib = 0
        while proc.poll() is None:
            peak_kib = max(peak_kib, _high_water_kib(proc.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        if proc.returncode:
            err.seek(0)
            raise SystemExit(f"{label} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
    return Run(label, seconds, peak_kib / 1024)


def _high_water_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # the child has just ended
        pass
    return 0


def seed(url: str, preset: str, variant: str = "full") -> Run:
    """``alembic -n seed -x size=PRESET upgrade head`` (patched for a variant)."""
    alembic = ["-c", str(ROOT / "alembic.ini"), "-n", "seed", "-x", f"size={preset}"]
    if variant == "full":
        argv = [sys.executable, "-m", "alembic", *alembic, "upgrade", "head"]
    else:
        argv = [sys.executable, __file__, "--child", variant, *alembic, "upgrade", "head"]
    run = timed_child(f"seed {preset} ({variant})", url, argv)
    run.rows = seeded_rows(url)
    return run


def rollback(url: str) -> Run:
    """``alembic -n seed downgrade base``: every seeded row deleted through the ledger."""
    argv = [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "-n", "seed"]
    return timed_child("rollback", url, [*argv, "downgrade", "base"])


def seeded_rows(url: str) -> int:
    """Rows in TERP's tables."""
    from terp_seed.schema import TERP_TABLES

    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        total = sum(
            int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM `{t}`").scalar_one())
            for t in TERP_TABLES
        )
    engine.dispose()
    return total


def _child(variant: str, argv: list[str]) -> None:
    """Patch the runtime for ``variant``, then run Alembic with ``argv``."""
    sys.path.insert(0, str(ROOT))
    from alembic.config import main

    import terp_seed.runtime.session as env
    import terp_seed.seeding.apply as steps

    if variant.startswith("no-validation"):
        env.live_chunk_check = lambda conn: None  # type: ignore[assignment,return-value]
        steps.check_seeded = lambda conn, scope, chunks=None: []  # type: ignore[assignment]
        steps.ChunkFindings = lambda: None  # type: ignore[assignment,misc,return-value]
    if variant.endswith("no-ledger"):
        import terp_seed.store.ledger as ledger

        ledger.record_range = (  # type: ignore[assignment]
            lambda conn, run_id, revision, table, first, last, checksums=None: last - first + 1
        )
    main(argv)


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    _child(sys.argv[2], sys.argv[3:])

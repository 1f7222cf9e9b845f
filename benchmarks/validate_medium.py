"""Time ``validate`` over a medium seed on MariaDB/MySQL (target: under 5 seconds).

Usage::

    python benchmarks/validate_medium.py [--server mysql+pymysql://root@127.0.0.1:3306] [--runs 5]

Creates a scratch database on the server, runs the schema and a medium seed through Alembic,
times every rule over the whole database ``--runs`` times, prints the figures and drops the
database again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import sqlalchemy as sa

from terp_seed.testing.plugin import run_alembic
from terp_seed.validation.rules import RULES
from terp_seed.validation.runner import validate

TARGET_SECONDS = 5.0


def main(argv: list[str] | None = None) -> int:
    """Seed, time, report; exit 1 when the best run misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="mysql+pymysql://root@127.0.0.1:3306")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    name = f"terp_seed_bench_validate_{os.getpid()}"
    server = sa.create_engine(f"{args.server}/", poolclass=sa.NullPool)
    with server.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    url = f"{args.server}/{name}"
    try:
        for step in (("upgrade", "head"), ("-n", "seed", "-x", "size=medium", "upgrade", "head")):
            result = run_alembic(url, *step)
            if result.code != 0:
                print(result.err[-2000:], file=sys.stderr)
                return 2
        timings, rows = _time_validate(url, args.runs)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        server.dispose()
    best = min(timings)
    print(
        f"validate over a medium seed ({rows:,} rows, {len(RULES)} rules), {args.runs} runs: "
        f"best {best:.3f} s, median {statistics.median(timings):.3f} s, "
        f"worst {max(timings):.3f} s (target < {TARGET_SECONDS:.0f} s)"
    )
    return 0 if best < TARGET_SECONDS else 1


def _time_validate(url: str, runs: int) -> tuple[list[float], int]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    timings: list[float] = []
    with engine.connect() as conn:
        rows = sum(
            int(conn.execute(sa.text(f"SELECT COUNT(*) FROM `{t}`")).scalar_one())
            for t in sa.inspect(conn).get_table_names()
            if not t.startswith(("alembic", "terp_seed"))
        )
        for _ in range(runs):
            started = time.perf_counter()
            results = validate(conn)
            timings.append(time.perf_counter() - started)
            conn.rollback()
            broken = [r.describe() for r in results if r.failed]
            if broken:
                raise SystemExit(f"a clean medium seed broke rules: {broken}")
    engine.dispose()
    return timings, rows


if __name__ == "__main__":
    sys.exit(main())

"""The before-insert check alone: ``live_chunk_check`` over the clients factory's rows.

    .venv/bin/python benchmarks/fit_check.py [ROWS] [--server URL]

Generates ROWS clients (seed 42) first, then times the check over them in chunks of 20,000
(the loader's MySQL chunk) against the live ``clients`` columns of a scratch database
``terp_bench_fit`` (created with TERP's schema, dropped at the end). Prints µs per row.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import clients_bench as cb  # noqa: E402
import dataset_bench as db  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from terp_seed.validation.fit import live_chunk_check  # noqa: E402

DATABASE = "terp_bench_fit"
CHUNK = 20_000


def main(argv: list[str] | None = None) -> int:
    args = db.arguments(__doc__, rows=200_000).parse_args(argv)
    rows = list(cb.client_rows(args.rows))
    url = db.fresh_database(args.server, DATABASE)
    try:
        engine = sa.create_engine(url, poolclass=sa.NullPool)
        with engine.connect() as conn:
            check = live_chunk_check(conn)
            check("clients", rows[:1])  # reflect the table before the clock starts
            started = time.perf_counter()
            for start in range(0, len(rows), CHUNK):
                check("clients", rows[start : start + CHUNK])
            seconds = time.perf_counter() - started
        engine.dispose()
    finally:
        db.drop_database(args.server, DATABASE)
    print(f"{len(rows):,} clients: {seconds:.2f} s, {seconds / len(rows) * 1e6:.2f} µs/row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

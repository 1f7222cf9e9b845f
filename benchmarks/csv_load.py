"""Benchmark: ``terp-seed load --table clients --csv FILE`` of N clients, and its rate.

    .venv/bin/python benchmarks/csv_load.py [ROWS] [--server URL]

Writes ROWS clients (default 100,000; the clients factory's rows for seed 42, every column as
text, booleans as ``true``/``0``, the tags as JSON) to a CSV file in a temporary directory,
creates the database ``terp_bench_csv`` with TERP's schema, then times the command as a user
runs it, each a child process: ``--dry-run`` (every row checked against the live schema,
loaded and rolled back), then the real load (checked, loaded by ``LOAD DATA`` with the ledger,
the integrity rules after it). The load must report every row; the database is dropped at the
end.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import clients_bench as cb  # noqa: E402
import dataset_bench as db  # noqa: E402

DATABASE = "terp_bench_csv"


def main(argv: list[str] | None = None) -> int:
    args = db.arguments(__doc__, rows=100_000).parse_args(argv)
    url = db.fresh_database(args.server, DATABASE)
    env = {**os.environ, "TERP_DATABASE_URL": url}
    terp_seed = [sys.executable, "-m", "terp_seed.cli"]
    try:
        with tempfile.TemporaryDirectory(prefix="terp-bench-csv-") as tmp:
            path = Path(tmp) / "clients.csv"
            write_csv(path, args.rows)
            size = path.stat().st_size / 2**20
            subprocess.run([*terp_seed, "init"], env=env, check=True, capture_output=True)
            print(f"clients.csv: {args.rows:,} rows, {size:.1f} MiB")
            for label, extra in (("--dry-run", ["--dry-run"]), ("load", [])):
                started = time.perf_counter()
                done = subprocess.run(
                    [*terp_seed, "load", "--table", "clients", "--csv", str(path), *extra],
                    env=env,
                    capture_output=True,
                    text=True,
                )
                seconds = time.perf_counter() - started
                if done.returncode != 0 or f"clients {args.rows:,} from" not in done.stdout:
                    print(done.stdout + done.stderr[-2000:])
                    return 1
                print(f"{label:>9}: {seconds:.2f} s, {args.rows / seconds:,.0f} rows/s")
    finally:
        db.drop_database(args.server, DATABASE)
    return 0


def write_csv(path: Path, rows: int) -> None:
    """The clients factory's rows as a user's CSV file: a header, every value as text."""
    source = cb.client_rows(rows)
    first = next(source)
    columns = list(first)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in itertools.chain([first], source):
            writer.writerow([_text(row[c]) for c in columns])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "0"
    if isinstance(value, tuple | list | dict):
        return json.dumps(value)
    return str(value)


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: mask N ``clients`` rows in place on MariaDB and print the rate.

    .venv/bin/python benchmarks/mask_clients.py [ROWS] [--chunk-size N] [--server URL] [--keep]

Creates the database ``terp_bench_mask`` (dropped first if it exists, and again at the end
unless ``--keep``), creates TERP's tables with ``alembic upgrade head``, loads ROWS clients
(default 1,000,000) with production-like contact details (real-looking emails and non-555
phones; a fifth with a free-text wish list), then times ``terp-seed mask --env staging`` end to
end: lock, gate, read, mask, write, progress rows and audit.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from terp_seed.cli import main as terp_seed_main  # noqa: E402
from terp_seed.testing.plugin import run_alembic  # noqa: E402

DATABASE = "terp_bench_mask"
KEY = "benchmark-masking-key-0123456789"
FIRST = ("Maria", "James", "Aisha", "Wei", "Olga", "Tomas", "Priya", "Kwame", "Sofia", "Liam")
LAST = ("Gonzalez", "Okafor", "Nguyen", "Schmidt", "Patel", "Haddad", "Kowalski", "Reyes")
WORDS = ("Emerald", "Canyon", "Redwood", "Sierra", "Coastal", "Golden", "Harbor", "Summit")
KINDS = ("Collective", "Farms", "Dispensary", "Wellness", "Supply Co", "Gardens")
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "sierrasupply.net")
CITIES = (("Oakland", 946), ("Sacramento", 958), ("Eureka", 955), ("Fresno", 937))
STREETS = ("Broadway", "Mission St", "K St", "Myrtle Ave", "Blackstone Ave", "Harris St")


def client_row(i: int, rng: random.Random) -> dict[str, object]:
    """One production-like client (nothing from terp-seed's own fake ranges)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, zip3 = rng.choice(CITIES)
    phone = f"({rng.choice((415, 510, 916, 707, 559))}) {rng.randint(200, 554)}-{i % 10000:04d}"
    email = f"{first}.{last}{i}@{rng.choice(DOMAINS)}".lower()
    wish = f"{first} wants Blue Dream; call {phone} or {email}" if i % 5 == 0 else None
    return {
        "teri_code": f"C{i:07d}",
        "name": f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(KINDS)} {i}",
        "email": email,
        "phone": phone,
        "address": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}, {city}, CA {zip3}{i % 100:02d}",
        "wishlist": wish,
    }


def load_clients(engine: sa.Engine, rows: int, batch: int = 5000) -> float:
    """Insert ``rows`` clients with multi-row INSERTs; return the seconds it took."""
    table = sa.table(
        "clients", *(sa.column(c) for c in ("teri_code", "name", "email", "phone", "address",
                                            "wishlist"))
    )  # fmt: skip
    rng = random.Random(42)
    started = time.perf_counter()
    with engine.begin() as conn:
        for start in range(1, rows + 1, batch):
            chunk = [client_row(i, rng) for i in range(start, min(start + batch, rows + 1))]
            conn.execute(table.insert(), chunk)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--server", default="mysql+pymysql://root@127.0.0.1:3306")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    server = sa.create_engine(args.server, isolation_level="AUTOCOMMIT")
    url = f"{args.server}/{DATABASE}"
    with server.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE}"))
        conn.execute(sa.text(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4"))
    try:
        schema = run_alembic(url, "upgrade", "head")
        if schema.code:
            print(schema.err[-2000:], file=sys.stderr)
            return 1
        engine = sa.create_engine(url)
        load_s = load_clients(engine, args.rows)
        print(f"loaded {args.rows:,} clients in {load_s:.1f}s")
        os.environ.update(TERP_DATABASE_URL=url, TERP_SEED_MASK_KEY=KEY)
        started = time.perf_counter()
        code = terp_seed_main([
            "-c", str(ROOT / "alembic.ini"), "mask", "--env", "staging", "--confirm", DATABASE,
            "--table", "clients", "--chunk-size", str(args.chunk_size),
        ])  # fmt: skip
        mask_s = time.perf_counter() - started
        if code:
            return code
        print(f"masked {args.rows:,} clients in {mask_s:.1f}s: {args.rows / mask_s:,.0f} rows/s "
              f"(chunk size {args.chunk_size})")  # fmt: skip
        engine.dispose()
        return 0
    finally:
        if not args.keep:
            with server.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE}"))
        server.dispose()


if __name__ == "__main__":
    sys.exit(main())

"""The Python side of seeding the clients table: CPU seconds of each stage, no database writes.

    .venv/bin/python benchmarks/python_side.py [ROWS] [--server URL]

Generates ROWS clients (default 100,000) with the clients factory, then times, each on its own,
what the seeding thread does to them in 20,000-row chunks: the chunk check against the live
columns, the ``LOAD DATA`` encoding, and the ledger checksums computed from the encoded text.
The live columns and defaults are read from a database with TERP's schema, created as
``terp_bench_python`` on ``--server`` and dropped at the end. Figures, not assertions: compare
the total with (c) of ``benchmarks/run.py`` for the same rows (the server's side).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import clients_bench as cb  # noqa: E402
import dataset_bench as db  # noqa: E402

DATABASE = "terp_bench_python"
CHUNK = 20_000


def main(argv: list[str] | None = None) -> int:
    args = db.arguments(__doc__, rows=100_000).parse_args(argv)
    from terp_seed.db.engine import make_engine
    from terp_seed.db.url import resolve_url
    from terp_seed.load.checksums import constant_defaults, digests, layout
    from terp_seed.load.encoder import TableEncoder
    from terp_seed.schema import metadata
    from terp_seed.validation.fit import reflect_table

    url = db.fresh_database(args.server, DATABASE)
    try:
        engine = make_engine(resolve_url(url, {}))
        with engine.connect() as conn:
            fit, defaults = reflect_table(conn, "clients"), constant_defaults(conn, "clients")
        engine.dispose()
        started = time.process_time()
        rows = list(cb.client_rows(args.rows))
        generation = time.process_time() - started
        table = metadata.tables["clients"]
        keys = tuple(rows[0])
        encoder, plan = TableEncoder(table, keys), layout(table, keys, defaults)
        assert plan is not None
        chunks = [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]
        started = time.process_time()
        for chunk in chunks:
            fit.check(chunk, bulk=True)  # as the loader checks a LOAD DATA chunk
        checking = time.process_time() - started
        started = time.process_time()
        payloads = [encoder.encode(chunk) for chunk in chunks]
        encoding = time.process_time() - started
        started = time.process_time()
        for payload in payloads:
            digests(payload, plan)
        hashing = time.process_time() - started
    finally:
        db.drop_database(args.server, DATABASE)
    stages = {
        "generation (clients factory, with supplier profiles and timestamps)": generation,
        "chunk check before LOAD DATA (the columns, the enum values)": checking,
        "LOAD DATA encoding": encoding,
        "ledger checksums from the text": hashing,
    }
    print(f"{args.rows:,} clients, CPU seconds on the seeding thread:")
    for name, seconds in stages.items():
        print(f"  {name}: {seconds:.3f} s ({seconds / args.rows * 1e6:.2f} µs/row)")
    total = sum(stages.values())
    print(f"  total: {total:.3f} s ({total / args.rows * 1e6:.2f} µs/row)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

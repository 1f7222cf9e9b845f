"""terp-seed's speed against the naive way and the database's own limit, in one run.

    .venv/bin/python benchmarks/run.py [--server URL] [--sizes 1000,10000,100000,1000000]
                                       [--presets medium,large,xl] [--repeat 3] [--skip-dataset]

On one MariaDB/MySQL server, in the database ``terp_bench`` (created with TERP's schema,
dropped at the end):

1. the clients table alone, for each size: (a) one ORM object per commit, (b) SQLAlchemy Core
   executemany, (c) raw ``LOAD DATA`` of a ready file, (d) terp-seed end to end (generation,
   validation, bulk load, ledger); the ratios d/a (speed-up over the naive way) and c/d (how
   far from the limit); generation alone. Up to 100,000 rows each variant runs ``--repeat``
   times, in turn with the others, and its median run counts;
2. whole-dataset seeds through Alembic (``-x size=P``, a child process each): time, rows,
   peak RSS; the xl seed again without validation and without the ledger (their cost); the
   rollback of xl (``downgrade base``).

It prints Markdown tables (docs/benchmarks.md keeps the latest). Figures, not assertions.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import clients_bench as cb  # noqa: E402
import dataset_bench as db  # noqa: E402

DATABASE = "terp_bench"
REPEAT_UP_TO = 100_000  # larger sizes run once: a million rows of (b) take a minute or two


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks and print the tables."""
    parser = db.arguments(__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--presets", default="medium,large,xl")
    parser.add_argument("--naive-rows", type=int, default=3000, help="cap for (a)")
    parser.add_argument("--naive-seconds", type=float, default=20.0, help="cap for (a)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help=f"runs of each variant (interleaved) up to {REPEAT_UP_TO:,} rows; the median counts",
    )
    parser.add_argument("--skip-dataset", action="store_true")
    parser.add_argument("--skip-clients", action="store_true")
    args = parser.parse_args(argv)
    print(machine(args.server))
    try:
        if not args.skip_clients:
            sizes = [int(s) for s in args.sizes.split(",")]
            clients_table(args.server, sizes, args.naive_rows, args.naive_seconds, args.repeat)
        if not args.skip_dataset:
            dataset_table(args.server, args.presets.split(","))
    finally:
        db.drop_database(args.server, DATABASE)
    print(f"\nload average at the end: {_load()} (other work on the machine skews the figures)")
    return 0


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def machine(server: str) -> str:
    """CPU count, RAM, Python, and the server's version."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    engine = sa.create_engine(f"{server}/", poolclass=sa.NullPool)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT VERSION()").scalar_one()
    engine.dispose()
    return (
        f"machine: {os.cpu_count()} CPUs, {ram:.1f} GiB RAM, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; server {version}; "
        f"load average {_load()}"
    )


def clients_table(
    server: str, sizes: list[int], naive_rows: int, naive_seconds: float, repeat: int = 1
) -> None:
    """Part 1: the four ways for each size, one line each: up to ``REPEAT_UP_TO`` rows, the
    median of ``repeat`` runs of each, run in turn (a, b, c, d, a, b, ...) so that the
    machine's ups and downs fall on all four alike."""
    url = db.fresh_database(server, DATABASE)
    from terp_seed.db.engine import make_engine
    from terp_seed.db.url import resolve_url

    engine = make_engine(resolve_url(url, {}))
    print("\n## clients table alone (rows/s)\n")
    print(
        "| rows | (a) ORM, commit per row | (b) Core executemany | (c) raw LOAD DATA "
        "| (d) terp-seed end to end | d/a | c/d |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    cpu_lines = []
    for count in sizes:
        runs: list[list[cb.Timing]] = [[], [], [], []]
        for _ in range(max(1, repeat) if count <= REPEAT_UP_TO else 1):
            for timings, variant in zip(runs, _variants(naive_rows, naive_seconds), strict=True):
                cb.reset(engine)
                timings.append(variant(engine, count))
        cb.reset(engine)
        a, b, c, d = (_median(timings) for timings in runs)
        if a.note:
            notes.append(f"(a) at {count:,} rows: {a.note}, rate taken as constant")
        print(
            f"| {count:,} | {a.rate:,.0f}{'*' if a.note else ''} | {b.rate:,.0f} | {c.rate:,.0f} "
            f"| {d.rate:,.0f} ({d.seconds:.2f} s) | {d.rate / a.rate:,.0f}x "
            f"| {c.rate / d.rate:.2f} |",
            flush=True,
        )
        cpu_lines.append(_cpu_line(count, c, d))
    for note in notes:
        print(f"\n\\* {note}")
    if any(cpu_lines):
        print(
            "\nCPU while (c) and (d) ran, µs per row (the same runs; wall time for comparison; "
            "Python: every thread of this process; both counted in "
            f"{1000 // os.sysconf('SC_CLK_TCK')} ms ticks, coarse at 1,000 rows):\n\n"
            "| rows | (c) wall | (c) server CPU | (d) wall | (d) Python CPU | (d) server CPU |\n"
            "|---:|---:|---:|---:|---:|---:|"
        )
        for line in cpu_lines:
            if line:
                print(line)
    largest = max(sizes)
    parts = {
        "without validation": cb.terp_seed_end_to_end(engine, largest, validate=False),
        "without validation, no overlap": cb.terp_seed_end_to_end(
            engine, largest, validate=False, overlap=False
        ),
    }
    for label, timing in parts.items():
        cb.reset(engine)
        print(f"\n(d) at {largest:,} rows {label}: {timing.rate:,.0f} rows/s", end="")
    gen = cb.generation_only(largest)
    print(
        f"\n\ngeneration alone (clients factory, {largest:,} clients = {gen.rows:,} rows with "
        f"supplier profiles): {gen.rate:,.0f} rows/s"
    )
    engine.dispose()


def _cpu_line(count: int, c: cb.Timing, d: cb.Timing) -> str:
    """One row of the CPU table, or "" when the server's CPU could not be read."""
    if c.server_cpu is None or d.server_cpu is None or d.python_cpu is None:
        return ""

    def us(seconds: float) -> str:
        return f"{seconds / count * 1e6:.1f}"

    return (
        f"| {count:,} | {us(c.seconds)} | {us(c.server_cpu)} | {us(d.seconds)} "
        f"| {us(d.python_cpu)} | {us(d.server_cpu)} |"
    )


def _variants(naive_rows: int, naive_seconds: float) -> list[Callable[[sa.Engine, int], cb.Timing]]:
    """(a), (b), (c), (d) as ``variant(engine, rows)``."""
    return [
        lambda engine, count: cb.naive_orm(engine, count, naive_rows, naive_seconds),
        cb.core_executemany,
        cb.raw_load_data,
        cb.terp_seed_end_to_end,
    ]


def _median(timings: list[cb.Timing]) -> cb.Timing:
    """The run of median rate (the upper one of an even count)."""
    return sorted(timings, key=lambda t: t.rate)[len(timings) // 2]


def dataset_table(server: str, presets: list[str]) -> None:
    """Part 2: each preset through Alembic; xl's variants and its rollback."""
    print("\n## whole dataset through Alembic\n")
    print("| run | rows | seconds | rows/s | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|")
    rollback = None
    for preset in presets:
        url = db.empty_database(server, DATABASE)
        migrated = db.schema(url)
        run = db.seed(url, preset)
        _dataset_line(run)
        if preset == presets[0]:
            chain = migrated.seconds + run.seconds
            print(
                f"| whole chain from an empty database ({preset}): schema + seed | "
                f"{run.rows:,} | {chain:.1f} | | |"
            )
        if preset == presets[-1]:
            rollback = db.rollback(url)
    for variant in db.VARIANTS[1:]:
        url = db.fresh_database(server, DATABASE)
        _dataset_line(db.seed(url, presets[-1], variant))
    if rollback is not None:
        print(
            f"| rollback of {presets[-1]} (downgrade base) | | {rollback.seconds:.1f} | "
            f"| {rollback.peak_rss_mb:.0f} |"
        )


def _dataset_line(run: db.Run) -> None:
    print(
        f"| {run.label} | {run.rows:,} | {run.seconds:.1f} | {run.rows / run.seconds:,.0f} "
        f"| {run.peak_rss_mb:.0f} |",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())

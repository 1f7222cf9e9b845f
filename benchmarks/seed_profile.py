"""Where a seed's (or a rollback's) time goes: one Alembic run in this process, with timers.

    .venv/bin/python benchmarks/seed_profile.py [--preset xl] [--server URL] [--slow 0.4]

Creates the database ``terp_bench_profile`` with TERP's schema, runs
``alembic -n seed -x size=PRESET upgrade head`` with a timer around the integrity rules after
each revision (``check_seeded``), around the before-insert chunk check and around the row-local
rules the loader's worker runs over each chunk written (also per table), then
``alembic -n seed downgrade base``; prints wall times, those totals, and every statement slower
than ``--slow`` seconds (``LOAD DATA`` and ledger inserts left out), then drops the database.
Figures, not assertions: the chunk check runs on the generating thread, overlapped with the
loader's worker, so its total is CPU time spent, not wall time added.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import dataset_bench as db  # noqa: E402
import sqlalchemy as sa  # noqa: E402

DATABASE = "terp_bench_profile"
QUIET = ("LOAD DATA", "INSERT INTO terp_seed_ledger")


def main(argv: list[str] | None = None) -> int:
    parser = db.arguments(__doc__)
    parser.add_argument("--preset", default="xl")
    parser.add_argument("--slow", type=float, default=0.4)
    args = parser.parse_args(argv)
    url = db.fresh_database(args.server, DATABASE)
    os.environ["TERP_DATABASE_URL"] = url
    totals, slow, per_table = _instrument(args.slow)
    try:
        alembic = ["-c", str(ROOT / "alembic.ini"), "-n", "seed"]
        for label, command in (
            (f"seed {args.preset}", [*alembic, "-x", f"size={args.preset}", "upgrade", "head"]),
            ("rollback (downgrade base)", [*alembic, "downgrade", "base"]),
        ):
            for key in totals:
                totals[key] = 0.0
            slow.clear()
            started = time.perf_counter()
            _alembic(command)
            wall = time.perf_counter() - started
            print(f"\n{label}: {wall:.1f} s wall")
            for key, seconds in totals.items():
                if seconds:
                    print(f"  {key}: {seconds:.1f} s")
            tables = sorted(per_table.items(), key=lambda item: -item[1])
            shown = ", ".join(f"{t} {s:.2f} s" for t, s in tables if s >= 0.01)
            if shown:
                print(f"    per table: {shown}")
            per_table.clear()
            for seconds, statement in slow:
                print(f"  {seconds:5.2f} s  {statement}")
    finally:
        db.drop_database(args.server, DATABASE)
    return 0


def _alembic(argv: list[str]) -> None:
    from alembic.config import main as alembic_main

    alembic_main(argv)


def _instrument(
    threshold: float,
) -> tuple[dict[str, float], list[tuple[float, str]], dict[str, float]]:
    import terp_seed.runtime.session as env
    import terp_seed.seeding.apply as steps
    from terp_seed.validation.chunks import ChunkFindings

    totals = {
        "integrity rules after each step (check_seeded)": 0.0,
        "chunk check": 0.0,
        "row-local rules per chunk (loader's worker)": 0.0,
    }
    slow: list[tuple[float, str]] = []
    per_table: dict[str, float] = {}  # the row-local rules per chunk, by table
    check_seeded, live_chunk_check = steps.check_seeded, env.live_chunk_check

    def timed_check_seeded(conn: Any, scope: Any, chunks: Any = None) -> Any:
        started = time.perf_counter()
        try:
            return check_seeded(conn, scope, chunks)
        finally:
            seconds = time.perf_counter() - started
            totals["integrity rules after each step (check_seeded)"] += seconds
            print(f"  check_seeded {scope.describe()}: {seconds:.2f} s")

    def timed_live_chunk_check(conn: Any) -> Any:
        check = live_chunk_check(conn)

        def timed(table: str, rows: list[Any], *, bulk: bool = False) -> None:
            started = time.perf_counter()
            try:
                check(table, rows, bulk=bulk)
            finally:
                totals["chunk check"] += time.perf_counter() - started

        return timed

    check_chunk = ChunkFindings.check

    def timed_check_chunk(self: Any, conn: Any, table: str, first: int, last: int) -> None:
        started = time.perf_counter()
        try:
            check_chunk(self, conn, table, first, last)
        finally:
            seconds = time.perf_counter() - started
            totals["row-local rules per chunk (loader's worker)"] += seconds
            per_table[table] = per_table.get(table, 0.0) + seconds

    ChunkFindings.check = timed_check_chunk  # type: ignore[method-assign]
    steps.check_seeded = timed_check_seeded  # type: ignore[assignment]
    env.live_chunk_check = timed_live_chunk_check  # type: ignore[assignment]

    def before(conn: Any, _cursor: Any, _stmt: Any, _params: Any, _ctx: Any, _many: Any) -> None:
        conn.info["terp_bench_started"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, stmt: str, _params: Any, _ctx: Any, _many: Any) -> None:
        seconds = time.perf_counter() - conn.info.pop("terp_bench_started", time.perf_counter())
        text = " ".join(stmt.split())
        if seconds >= threshold and not text.startswith(QUIET):
            slow.append((seconds, text[:160]))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before)
    sa.event.listen(sa.engine.Engine, "after_cursor_execute", after)
    return totals, slow, per_table


if __name__ == "__main__":
    raise SystemExit(main())

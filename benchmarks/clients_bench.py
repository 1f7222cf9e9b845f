"""The clients-table benchmark: four ways to put the same N rows into ``clients``.

(a) one ORM object per commit (the naive way), (b) SQLAlchemy Core executemany, (c) raw
``LOAD DATA LOCAL INFILE`` of a file written beforehand (the database's own limit), (d) terp-seed
end to end: generation, validation before insert, bulk load, ledger, integrity rules after,
commit. Every variant writes the rows the clients factory generates for the same seed, so they
compare like with like; only (d) counts generating them.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Session

from terp_seed.factories.base import Gen, IdAllocator, Parents, with_timestamps
from terp_seed.factories.parties import clients
from terp_seed.load.encoder import TableEncoder
from terp_seed.load.loader import Loader
from terp_seed.runtime.key_blocks import KeyBlock, budget, reserve
from terp_seed.schema import metadata
from terp_seed.sizes import parse_size
from terp_seed.store.ledger import Scope
from terp_seed.store.setup import ensure_own_tables
from terp_seed.validation.chunks import ChunkFindings
from terp_seed.validation.fit import live_chunk_check
from terp_seed.validation.runner import check_seeded

SEED = 42
CLIENTS = metadata.tables["clients"]


class _Base(DeclarativeBase):
    pass


class Client(_Base):
    """The naive way's ORM class, mapped onto TERP's clients table."""

    __table__ = CLIENTS


@dataclass
class Timing:
    """Rows written and seconds taken; ``note`` says when the rate was extrapolated.
    ``python_cpu``, ``server_cpu``: CPU seconds this process (all its threads) and the server
    spent meanwhile (:class:`CpuClock`), where measured."""

    rows: int
    seconds: float
    note: str = ""
    python_cpu: float | None = None
    server_cpu: float | None = None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class CpuClock:
    """CPU seconds of this process and of the database server, read before and after a run.

    The server's are read from ``/proc/PID/stat``, so only for a server on this machine whose
    pid file (``@@pid_file``) this user can read; otherwise they are ``None``. Both sides share
    the machine's CPUs: what the two spent against the wall time shows which one held the
    other up.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._server = _server_stat(engine)
        self._started: tuple[float, float | None] = (0.0, None)

    def _now(self) -> tuple[float, float | None]:
        mine = os.times()
        server = None
        if self._server is not None:
            try:
                with open(self._server) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                server = None
        return mine.user + mine.system, server

    def start(self) -> None:
        self._started = self._now()

    def stamp(self, timing: Timing) -> Timing:
        """``timing`` with the CPU seconds spent since :meth:`start`."""
        (mine, server), (mine0, server0) = self._now(), self._started
        timing.python_cpu = mine - mine0
        if server is not None and server0 is not None:
            timing.server_cpu = server - server0
        return timing


def _server_stat(engine: sa.Engine) -> str | None:
    """``/proc/PID/stat`` of the server when it runs here and its pid file is readable."""
    if engine.url.host not in (None, "", "localhost", "127.0.0.1", "::1"):
        return None
    try:
        with engine.connect() as conn:
            pid_file = conn.exec_driver_sql("SELECT @@pid_file").scalar_one()
        with open(str(pid_file)) as f:
            stat = f"/proc/{int(f.read().strip())}/stat"
        return stat if os.path.exists(stat) else None
    except (sa.exc.DBAPIError, OSError, ValueError):
        return None


def client_rows(
    count: int, conn: sa.Connection | None = None, blocks: dict[str, KeyBlock] | None = None
) -> Iterator[dict[str, Any]]:
    """The clients factory's rows for ``count`` clients (supplier profiles left out)."""
    gen = Gen(SEED, parse_size(str(count)), IdAllocator(conn, blocks), Parents(conn))
    for table, row in clients(gen, count):
        if table == "clients":
            yield with_timestamps(table, row, gen.calendar.now)


def reset(engine: sa.Engine) -> None:
    """Empty ``clients`` and the ledger between variants."""
    with engine.connect() as conn:
        ensure_own_tables(conn)
    with engine.begin() as conn:
        conn.exec_driver_sql("SET foreign_key_checks = 0")
        for table in ("clients", "terp_seed_ledger"):
            conn.exec_driver_sql(f"TRUNCATE TABLE `{table}`")
        conn.exec_driver_sql("SET foreign_key_checks = 1")


def naive_orm(engine: sa.Engine, count: int, cap_rows: int, cap_seconds: float) -> Timing:
    """(a) One ORM object and one commit per row; stops at ``cap_rows`` or ``cap_seconds``.

    It gets a pooled engine of its own: terp-seed's engines never pool (a pooled connection
    would keep the seed lock), and reconnecting after every commit would make it slower still.
    """
    rows = list(_take(client_rows(count), min(count, cap_rows)))
    done = 0
    pooled = sa.create_engine(engine.url, connect_args={"charset": "utf8mb4"})
    started = time.perf_counter()
    with Session(pooled) as session:
        for row in rows:
            session.add(Client(**row))
            session.commit()
            done += 1
            if time.perf_counter() - started > cap_seconds:
                break
    seconds = time.perf_counter() - started
    pooled.dispose()
    note = "" if done == count else f"measured on the first {done:,} rows"
    return Timing(done, seconds, note)


def core_executemany(engine: sa.Engine, count: int, chunk: int = 10_000) -> Timing:
    """(b) ``conn.execute(insert, rows)`` in chunks; generating the rows is not timed."""
    seconds = 0.0
    source = client_rows(count)
    with engine.connect() as conn:
        while rows := list(_take(source, chunk)):
            started = time.perf_counter()
            conn.execute(CLIENTS.insert(), rows)
            seconds += time.perf_counter() - started
        started = time.perf_counter()
        conn.commit()
        seconds += time.perf_counter() - started
    return Timing(count, seconds)


def raw_load_data(engine: sa.Engine, count: int) -> Timing:
    """(c) One ``LOAD DATA LOCAL INFILE`` of a file written beforehand, and commit."""
    source = client_rows(count)
    first = next(source)
    columns = list(first)
    encoder = TableEncoder(CLIENTS, columns)
    with tempfile.NamedTemporaryFile(prefix="terp-bench-", suffix=".tsv", delete=False) as f:
        f.write(encoder.encode([first]))
        while rows := list(_take(source, 50_000)):
            f.write(encoder.encode(rows))
    quoted = ", ".join(f"`{c}`" for c in columns)
    sql = (
        "LOAD DATA LOCAL INFILE %s INTO TABLE `clients` CHARACTER SET utf8mb4 FIELDS "
        f"TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({quoted})"
    )
    clock = CpuClock(engine)
    try:
        with engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            clock.start()
            started = time.perf_counter()
            with dbapi.cursor() as cursor:
                inserted = cursor.execute(sql, (f.name,))
            dbapi.commit()
            seconds = time.perf_counter() - started
            timing = clock.stamp(Timing(count, seconds))
    finally:
        os.unlink(f.name)
    assert inserted == count, f"LOAD DATA inserted {inserted} of {count} rows"
    return timing


def terp_seed_end_to_end(
    engine: sa.Engine, count: int, *, validate: bool = True, overlap: bool = True
) -> Timing:
    """(d) Generate, check each chunk, bulk load, record the ledger, run the integrity
    rules over what was written, commit: what a seed step does, for the clients table."""
    clock = CpuClock(engine)
    with engine.connect() as conn:
        ensure_own_tables(conn)
        clock.start()
        started = time.perf_counter()
        # as a seed step does: its keys reserved first (runtime/keys.py)
        blocks = reserve(conn, budget({"clients": count, "supplier_profiles": count}))
        chunks = ChunkFindings() if validate else None
        with conn.begin():
            loader = Loader(
                conn.execute,
                conn=conn,
                run_id="bench",
                revision=None,
                check=live_chunk_check(conn) if validate else None,
                verify=chunks,
                overlap=overlap,
            )
            rows = client_rows(count, conn, blocks)
            written = loader.load(("clients", row) for row in rows)
            if validate:
                check_seeded(conn, Scope(run_id="bench"), chunks)
        seconds = time.perf_counter() - started
        timing = clock.stamp(Timing(count, seconds))
    assert written == {"clients": count}, written
    return timing


def generation_only(count: int) -> Timing:
    """Generating the clients factory's rows (and their supplier profiles), no database."""
    gen = Gen(SEED, parse_size(str(count)), IdAllocator(None), Parents(None))
    assert gen.pools.buyer_names  # built once per run, before the clock starts
    started = time.perf_counter()
    rows = sum(
        1 for table, row in clients(gen, count) if with_timestamps(table, row, gen.calendar.now)
    )
    return Timing(rows, time.perf_counter() - started)


def _take(source: Iterator[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    for _ in range(n):
        row = next(source, None)
        if row is None:
            return
        yield row

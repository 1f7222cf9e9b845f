"""The bulk loader: the only code that writes seed rows.

It takes a stream of ``(table, row)`` pairs, buffers rows per table, and flushes them in chunks,
parents before children. A chunk goes in as a multi-row INSERT (SQLite, and small chunks on
MySQL) or, on MySQL/MariaDB, by ``LOAD DATA LOCAL INFILE`` (:mod:`terp_seed.load_data`). After
each chunk its rows are recorded in the provenance ledger, in the same transaction: one ledger
row per run of consecutive keys, with the rows' checksums computed from the text sent when the
chunk went in by ``LOAD DATA`` (:mod:`terp_seed.text_checksums`), by the server otherwise.
Offline (``--sql``) it renders the same statements as SQL text instead.

Each chunk is checked against the live columns before it is sent (``check``); a ``LOAD DATA``
chunk only for what the server would not refuse itself, and in full when the server refuses it,
to name the value (:mod:`terp_seed.validation.fit`).

On MySQL the database work of a chunk (insert and ledger) runs on a worker thread while the
caller generates the next chunk, so generation and loading overlap. Only one chunk is in flight;
any statement the caller's thread sends on the connection meanwhile (a factory asking for its
parents, a check reflecting a table) first waits for it, so the connection is never used by two
threads at once.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa

from terp_seed import ledger
from terp_seed.bookkeeping import ledger as ledger_table
from terp_seed.errors import SeedDataError
from terp_seed.load_data import TableEncoder, load_data, plain_json
from terp_seed.schema import TERP_TABLES, metadata
from terp_seed.text_checksums import (
    Layout,
    constant_defaults,
    digests,
    first_mismatch,
    has_timestamps,
    layout,
    mismatched_column,
    steady_time_zone,
)

log = logging.getLogger(__name__)
Row = dict[str, Any]
DEFAULT_CHUNK_ROWS = 2000  # SQLite and offline: rows buffered per table before a flush
MYSQL_CHUNK_ROWS = 20_000  # MySQL: bigger chunks, as most of them go in by LOAD DATA
BULK_MIN_ROWS = 2000  # a MySQL chunk of at least this many rows of a table uses LOAD DATA
RAMP = 8  # a step's first flush comes at 1/RAMP of a full chunk (not below the LOAD DATA
# minimum, so SQLite, offline and small chunks keep their size), each next one at twice as many
SWITCH_INTERVAL = 0.00002  # seconds; see Loader._worker
_ORDER = {t: i for i, t in enumerate(TERP_TABLES)}
_in_worker = threading.local()


class ProgressFn(Protocol):
    """Called after each flushed chunk with the table and the rows just written."""

    def __call__(self, table: str, rows: int) -> None: ...


class ChunkVerifier(Protocol):
    """Checks rows just written (on the worker, in the step's transaction)."""

    def check(self, conn: sa.Connection, table: str, first: int, last: int) -> None: ...

    def skip(self, table: str) -> None: ...


class ChunkCheckFn(Protocol):
    """Called with each chunk before it is sent; raises to stop the step. ``bulk``: the chunk
    goes in by ``LOAD DATA``, where the server refuses what does not fit (see
    :mod:`terp_seed.validation.fit`); the loader calls it again without ``bulk`` to name the
    value when the server refuses the chunk or the encoder meets a value of another type."""

    def __call__(self, table: str, rows: list[Row], *, bulk: bool = False) -> None: ...


@dataclass
class _Chunk:
    """Rows of one table on their way in: as dicts for an INSERT, as text for ``LOAD DATA``."""

    table: str
    columns: tuple[str, ...]
    ids: list[int]
    rows: list[Row] | None = None  # for ``LOAD DATA`` too while a check may need them
    payload: bytes | None = None
    checksums: bytes | None = None  # computed from ``payload``, in key order
    layout: Layout | None = None  # how ``checksums`` were computed


class Loader:
    """Writes rows and their provenance; one instance per seed step."""

    def __init__(
        self,
        execute: Callable[[sa.Executable], Any],
        *,
        conn: sa.Connection | None,
        run_id: str,
        revision: str | None,
        chunk_rows: int | None = None,
        progress: ProgressFn | None = None,
        check: ChunkCheckFn | None = None,
        bulk_rows: int = BULK_MIN_ROWS,
        overlap: bool = True,
        text_checksums: bool = True,
        verify: ChunkVerifier | None = None,
    ) -> None:
        """``text_checksums``: compute the ledger checksums of bulk-loaded chunks from the text
        sent (rows from factories); false leaves them all to the server (rows from a file,
        whose text need not be the values' stored form). ``verify``: run over each chunk once
        written (a chunk of scattered keys is only reported to it)."""
        self._execute = execute
        self._conn = conn  # None offline: statements are rendered, not run
        self._mysql = conn is not None and conn.dialect.name in ("mysql", "mariadb")
        self._run_id = run_id
        self._revision = revision
        self._chunk = chunk_rows or (MYSQL_CHUNK_ROWS if self._mysql else DEFAULT_CHUNK_ROWS)
        # The first chunks are smaller (2,500, 5,000, 10,000 rows, then 20,000): the server
        # starts loading sooner, so a step of a few thousand rows overlaps too.
        self._limit = max(1, self._chunk // RAMP, min(self._chunk, bulk_rows))
        self._bulk_rows = bulk_rows
        self._overlap = overlap
        self._progress = progress
        self._check = check
        self._verify = verify
        self._buffers: dict[str, list[Row]] = {}
        self._encoders: dict[tuple[str, tuple[str, ...]], TableEncoder] = {}
        self._text_sums = text_checksums
        self._layouts: dict[tuple[str, tuple[str, ...]], Layout | None] = {}
        self._defaults: dict[str, dict[str, str | None]] = {}
        self._server_sums: set[str] = set()  # tables whose text checksums proved wrong
        self._text_ranges: dict[str, list[tuple[int, int]]] = {}  # recorded with text sums
        self._steady_clock: bool | None = None  # the session's time zone has no DST
        self._pending: Future[list[tuple[str, int]]] | None = None
        self.counts: dict[str, int] = {}

    @property
    def server_checksums(self) -> frozenset[str]:
        """Tables whose checksums from the text proved wrong (the server computed them)."""
        return frozenset(self._server_sums)

    def load(self, stream: Iterable[tuple[str, Row]]) -> dict[str, int]:
        """Write every row of ``stream``; return rows written per table."""
        with self._worker() as submit:
            for table, row in stream:
                buf = self._buffers.get(table)
                if buf is None:
                    buf = self._buffers[table] = []
                buf.append(row)
                if len(buf) >= self._limit:
                    self._flush_all(submit)
                    self._limit = min(self._limit * 2, self._chunk)
            self._flush_all(submit)
        return dict(self.counts)

    # -- flushing ---------------------------------------------------------------------------

    def _flush_all(self, submit: Callable[[list[_Chunk]], None]) -> None:
        chunks = []
        for table in sorted(self._buffers, key=lambda t: _ORDER.get(t, len(_ORDER))):
            rows = self._buffers[table]
            if rows:
                chunks.append(self._prepare(table, rows))
                self._buffers[table] = []
        if chunks:
            submit(chunks)

    def _prepare(self, table: str, rows: list[Row]) -> _Chunk:
        # Every row must have the first row's columns. Comparing key sets costs 1 µs a row, so
        # a bulk chunk only compares their counts here: its rows are then read by the first
        # row's keys (the check, the encoder), and a row with other keys raises KeyError there.
        keys = rows[0].keys()
        bulk = self._mysql and len(rows) >= self._bulk_rows
        mixed = SeedDataError(f"factory for {table} produced rows with different columns")
        if set(map(len, rows)) != {len(keys)} or (not bulk and any(r.keys() != keys for r in rows)):
            raise mixed
        try:
            return self._prepare_rows(table, rows, tuple(keys), bulk)
        except KeyError:
            if any(r.keys() != keys for r in rows):
                raise mixed from None
            raise

    def _prepare_rows(
        self, table: str, rows: list[Row], columns: tuple[str, ...], bulk: bool
    ) -> _Chunk:
        if self._check is not None:
            self._check(table, rows, bulk=bulk)
        ids = [r["id"] for r in rows]
        if not bulk:
            return _Chunk(table, columns, ids, rows=rows)
        encoder = self._encoder(table, columns)
        payload = encoder.encode(rows)
        if self._check is not None and (not encoder.clean or None in ids):
            # a value of another type than its column's, one to escape, or a NULL key (the
            # server would give the row a key of its own)
            self._check(table, rows)
        plan = self._layout(table, columns)
        sums = None
        if plan is not None and encoder.clean and ids == list(range(ids[0], ids[0] + len(ids))):
            sums = digests(payload, plan)
        # The dicts stay until the chunk is in (one chunk in flight): if the server refuses a
        # value, the full check names it. Without a check they can go now.
        kept = rows if self._check is not None else None
        return _Chunk(table, columns, ids, rows=kept, payload=payload, checksums=sums, layout=plan)

    def _layout(self, table: str, columns: tuple[str, ...]) -> Layout | None:
        """How to send ``table``'s rows so their lines give their checksums, or ``None``."""
        if not self._text_sums or table in self._server_sums or self._conn is None:
            return None
        key = (table, columns)
        if key not in self._layouts:
            t = metadata.tables[table]
            if self._steady_clock is None:
                self._steady_clock = steady_time_zone(self._conn)
            if table not in self._defaults:
                self._defaults[table] = constant_defaults(self._conn, table)
            plan = layout(t, columns, self._defaults[table])
            if has_timestamps(t) and not self._steady_clock:
                plan = None  # a local time that DST skips is stored as another one
            self._layouts[key] = plan
        return self._layouts[key]

    def _encoder(self, table: str, columns: tuple[str, ...]) -> TableEncoder:
        key = (table, columns)
        if key not in self._encoders:
            self._encoders[key] = TableEncoder(metadata.tables[table], columns)
        return self._encoders[key]

    def _write(self, chunks: list[_Chunk]) -> list[tuple[str, int]]:
        """Insert and record each chunk, parents first (runs on the worker thread on MySQL)."""
        done = []
        for chunk in chunks:
            if self._conn is None:
                self._render(chunk)
            else:
                self._insert(self._conn, chunk)
            done.append((chunk.table, len(chunk.ids)))
        return done

    def _insert(self, conn: sa.Connection, chunk: _Chunk) -> None:
        t = metadata.tables[chunk.table]
        ids = chunk.ids
        if chunk.payload is not None:
            try:
                load_data(conn.connection.dbapi_connection, t, chunk.columns, chunk.payload, ids)
            except SeedDataError:
                if self._check is not None and chunk.rows is not None:
                    self._check(chunk.table, chunk.rows)  # names the first value that does not fit
                raise
            chunk.rows = None
        elif chunk.rows is not None:
            conn.execute(t.insert(), plain_json(t, chunk.rows))
        first, last = min(ids), max(ids)
        if chunk.checksums is not None and chunk.table not in self._server_sums:
            recorded = ledger.record_range(
                conn, self._run_id, self._revision, chunk.table, first, last, chunk.checksums
            )
            self._text_ranges.setdefault(chunk.table, []).append((first, last))
            self._confirm(conn, t, chunk)
        elif last - first + 1 == len(ids):  # ids of inserted rows are distinct: the range
            recorded = ledger.record_range(
                conn, self._run_id, self._revision, chunk.table, first, last
            )
        else:
            recorded = ledger.record_rows(conn, self._run_id, self._revision, chunk.table, ids)
        if recorded != len(ids):
            raise SeedDataError(
                f"ledger for {chunk.table} recorded {recorded} of {len(ids)} rows "
                f"(ids {first}..{last}); the step was rolled back"
            )
        if self._verify is not None:
            if last - first + 1 == len(ids):
                self._verify.check(conn, chunk.table, first, last)
            else:
                self._verify.skip(chunk.table)

    def _confirm(self, conn: sa.Connection, t: sa.Table, chunk: _Chunk) -> None:
        """Have the server confirm a sample of the chunk's checksums; on a mismatch, name the
        column, let the server compute them (this chunk's and the table's from now on)."""
        assert chunk.checksums is not None and chunk.payload is not None and chunk.layout
        first = chunk.ids[0]
        key = first_mismatch(conn, t, first, chunk.checksums)
        if key is None:
            return
        line = chunk.payload.split(b"\n")[key - first]
        why = mismatched_column(conn, t, key, line, chunk.layout)
        log.warning(
            "ledger checksums of %s computed from the text sent differ from the stored rows "
            "(%s); the server computes them for this table from now on",
            t.name,
            why,
            extra={"table": t.name},
        )
        self._server_sums.add(t.name)
        self._repair(conn, t)

    def _repair(self, conn: sa.Connection, t: sa.Table) -> None:
        """Have the server compute the checksums of every range of ``t`` this loader recorded
        with checksums from the text: a mismatch the samples of earlier chunks missed would
        otherwise pass for a row changed since seeding."""
        entries = ledger_table.c
        for first, last in self._text_ranges.pop(t.name, []):
            rows = conn.execute(
                sa.select(entries.id, entries.first_pk, entries.last_pk).where(
                    entries.run_id == self._run_id,
                    entries.table_name == t.name,
                    entries.first_pk.between(first, last),
                )
            ).all()
            for entry, start, end in rows:
                _found, sums = ledger.range_checksums(conn, t, int(start), int(end))
                conn.execute(
                    ledger_table.update().where(entries.id == entry).values(checksums=sums)
                )

    def _render(self, chunk: _Chunk) -> None:
        """Offline: the INSERT and the ledger rows as SQL text (JSON rendered as text)."""
        t = metadata.tables[chunk.table]
        json_columns = {c.name for c in t.columns if isinstance(c.type, sa.JSON)}
        rows = plain_json(t, chunk.rows or [])
        if json_columns:
            clause = sa.table(
                t.name,
                *(sa.column(c.name, sa.Text() if c.name in json_columns else c.type) for c in t.c),
            )
            rows = [
                {
                    k: json.dumps(v) if k in json_columns and v is not None else v
                    for k, v in r.items()
                }
                for r in rows
            ]
            self._execute(clause.insert().values(rows))
        else:
            self._execute(t.insert().values(rows))
        self._execute(
            ledger_table.insert().values(
                [
                    {
                        "run_id": self._run_id,
                        "revision": self._revision,
                        "table_name": chunk.table,
                        "first_pk": first,
                        "last_pk": last,
                        "checksums": None,
                    }
                    for first, last in ledger.spans_of(r["id"] for r in rows)
                ]
            )
        )

    def _done(self, written: list[tuple[str, int]]) -> None:
        for table, n in written:
            self.counts[table] = self.counts.get(table, 0) + n
            if self._progress is not None:
                self._progress(table, n)

    # -- the worker -------------------------------------------------------------------------

    @contextmanager
    def _worker(self) -> Iterator[Callable[[list[_Chunk]], None]]:
        """``submit(chunks)``: write now (SQLite, offline) or on the worker thread (MySQL)."""
        if not (self._mysql and self._overlap) or self._conn is None:
            yield lambda chunks: self._done(self._write(chunks))
            return
        conn = self._conn
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="terp-seed-load")

        def run(chunks: list[_Chunk]) -> list[tuple[str, int]]:
            _in_worker.active = True
            return self._write(chunks)

        def submit(chunks: list[_Chunk]) -> None:
            self._settle()
            self._pending = pool.submit(run, chunks)

        def guard(*_args: Any, **_kw: Any) -> None:
            if not getattr(_in_worker, "active", False):
                self._settle()

        sa.event.listen(conn, "before_execute", guard)
        sa.event.listen(conn, "before_cursor_execute", guard)
        # The worker sends the load file in 16 KiB packets and needs the GIL for each; with
        # the default 5 ms switch interval a busy generator thread would starve it.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            yield submit
            self._settle()
        finally:
            try:
                if self._pending is not None:  # failing: let the chunk in flight end first
                    self._pending.exception()
                    self._pending = None
            finally:
                sa.event.remove(conn, "before_execute", guard)
                sa.event.remove(conn, "before_cursor_execute", guard)
                pool.shutdown(wait=True)
                sys.setswitchinterval(switch)

    def _settle(self) -> None:
        """Wait for the chunk in flight, count it, and raise its error if it failed."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._done(pending.result())

"""The bulk loader: the only code that writes seed rows.

It takes a stream of ``(table, row)`` pairs, buffers rows per table, and flushes them in chunks,
parents before children. A chunk goes in as a multi-row INSERT (SQLite, and small chunks on
MySQL) or, on MySQL/MariaDB, by ``LOAD DATA LOCAL INFILE`` (:mod:`terp_seed.load.load_data`). After
each chunk its rows are recorded in the provenance ledger, in the same transaction: one ledger
row per run of consecutive keys, with the rows' checksums computed from the text sent when the
chunk went in by ``LOAD DATA`` (:mod:`terp_seed.load.checksums`), by the server otherwise.
Offline (``--sql``) it renders the same statements as SQL text instead.

Each chunk is checked against the live columns before it is sent (``check``); a ``LOAD DATA``
chunk only for what the server would not refuse itself, and in full when the server refuses it,
to name the value (:mod:`terp_seed.validation.fit`).

On MySQL the database work of a chunk (insert and ledger) runs on a worker thread while the
caller generates the next chunk, so generation and loading overlap. Only one chunk is in flight;
any statement the caller's thread sends on the connection meanwhile (a factory asking for its
parents, a check reflecting a table) first waits for it, so the connection is never used by two
threads at once.

On Linux a ``LOAD DATA`` chunk of each load's first table (parents first; a load is one
factory's rows) is *streamed*: its statement starts as soon as its first rows are encoded,
reading them through a pipe (:mod:`terp_seed.load.pipe`), and the caller writes each next piece
of rows into the pipe as it generates them, until the chunk is full. The server then loads while
the rows are generated, not after. Rows of the load's other tables wait in their buffers
meanwhile (they may refer to rows of the stream); the stream ends before a row of a table
earlier in the order is kept (later rows of the stream may refer to it), before any statement
from the caller's thread, and when a buffer is due to be flushed. Each piece gets the checks a
whole chunk gets.
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

from terp_seed.errors import SeedDataError
from terp_seed.load import pipe as load_pipe
from terp_seed.load.checksums import (
    Layout,
    constant_defaults,
    digests,
    first_mismatch,
    has_timestamps,
    layout,
    mismatched_column,
    steady_time_zone,
)
from terp_seed.load.load_data import TableEncoder, load_data, load_file, plain_json
from terp_seed.schema import TERP_TABLES, metadata
from terp_seed.store import ledger
from terp_seed.store.tables import ledger as ledger_table

log = logging.getLogger(__name__)
Row = dict[str, Any]
DEFAULT_CHUNK_ROWS = 2000  # SQLite and offline: rows buffered per table before a flush
MYSQL_CHUNK_ROWS = 20_000  # MySQL: bigger chunks, as most of them go in by LOAD DATA
BULK_MIN_ROWS = 2000  # a MySQL chunk of at least this many rows of a table uses LOAD DATA
RAMP = 8  # a step's first flush comes at 1/RAMP of a full chunk (not below the LOAD DATA
# minimum, so SQLite, offline and small chunks keep their size), each next one at twice as many
SWITCH_INTERVAL = 0.00002  # seconds; see Loader._worker
STREAM_ROWS = 500  # a stream starts when a load's first table has this many rows buffered
PIECE_ROWS = 1000  # a stream's rows are checked, encoded and written this many at a time
STREAM_WAIT = 600  # seconds the server waits for a stream's next piece (net_read_timeout)
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
    pipe: load_pipe.LoadPipe | None = None  # a stream: the text comes through this pipe
    pieces: list[bytes] | None = None  # a stream's text, written piece by piece
    aborted: bool = False  # a stream its writer gave up on: the load must fail

    def text(self) -> bytes:
        """The text sent by ``LOAD DATA``."""
        return self.payload if self.payload is not None else b"".join(self.pieces or ())


class _Stream:
    """The chunk being streamed, and what the caller's thread keeps for it."""

    def __init__(self, chunk: _Chunk, sums: bytes | None, pending: list[Row], piece: int) -> None:
        self.chunk = chunk
        self.pending = pending  # rows not yet written
        self.sums = None if sums is None else [sums]  # ``None`` once a piece has none
        self.piece = piece  # rows of the next piece (0: the chunk is full)


class _Abandoned(Exception):
    """A stream's writer failed and ended its file early: the chunk must not count."""


def _keyed_by(rows: list[Row], columns: tuple[str, ...]) -> bool:
    """Whether every row has exactly ``columns`` as its keys (in any order)."""
    keys = set(columns)
    return all(r.keys() == keys for r in rows)


def _mixed(table: str) -> SeedDataError:
    return SeedDataError(f"factory for {table} produced rows with different columns")


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
        stream_rows: int | None = STREAM_ROWS,
    ) -> None:
        """``text_checksums``: compute the ledger checksums of bulk-loaded chunks from the text
        sent (rows from factories); false leaves them all to the server (rows from a file,
        whose text need not be the values' stored form). ``verify``: run over each chunk once
        written (a chunk of scattered keys is only reported to it). ``stream_rows``: stream the
        first table of each load from this many rows on (``None``: never; MySQL with ``overlap``,
        when ``LOAD DATA`` is used at all)."""
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
        self._streams = bool(
            stream_rows
            and self._mysql
            and overlap
            and bulk_rows <= self._chunk
            and load_pipe.supported()
        )
        self._stream_rows = stream_rows or 0
        self._stream: _Stream | None = None
        self._piped: _Chunk | None = None  # the last streamed chunk (its pipe may be open)
        self._first: tuple[int, str] | None = None  # the earliest table (in order) seen
        self._read_timeout = False  # net_read_timeout raised for streams
        self.counts: dict[str, int] = {}

    @property
    def server_checksums(self) -> frozenset[str]:
        """Tables whose checksums from the text proved wrong (the server computed them)."""
        return frozenset(self._server_sums)

    def load(self, stream: Iterable[tuple[str, Row]]) -> dict[str, int]:
        """Write every row of ``stream``; return rows written per table (in all loads)."""
        # every buffer was flushed and every chunk settled when the last load ended: this
        # load's first table is the one that streams
        self._buffers, self._first = {}, None
        with self._worker() as submit:
            for table, row in stream:
                current = self._stream
                if current is not None and table == current.chunk.table:
                    current.pending.append(row)
                    if len(current.pending) >= current.piece:
                        self._feed(current)
                    continue
                buf = self._buffers.get(table)
                if buf is None:
                    buf = self._buffers[table] = []
                    self._met(table)
                buf.append(row)
                if len(buf) >= self._limit:
                    self._flush_all(submit, table)
                    self._limit = min(self._limit * 2, self._chunk)
                elif (
                    self._streams
                    and len(buf) % self._stream_rows == 0
                    and self._opens(table)
                    and self._idle()
                ):
                    self._open_stream(submit, table)
            self._flush_all(submit)
        return dict(self.counts)

    def _met(self, table: str) -> None:
        """A table's first row: rows of a stream after it may refer to it if it comes first."""
        key = (_ORDER.get(table, len(_ORDER)), table)
        if self._first is None or key < self._first:
            self._first = key
            self._end_stream()

    # -- flushing ---------------------------------------------------------------------------

    def _opens(self, table: str) -> bool:
        """Whether ``table``'s buffer can become a stream: it is the load's first table (one
        of TERP's, whose place in the order is known)."""
        return (
            self._stream is None
            and self._first is not None
            and table == self._first[1]
            and table in _ORDER
        )

    def _idle(self) -> bool:
        """Whether the worker has no chunk in flight (a stream would start at once)."""
        return self._pending is None or self._pending.done()

    def _flush_all(self, submit: Callable[[list[_Chunk]], None], due: str | None = None) -> None:
        """Send every buffered chunk, parents first; or, when ``due`` (the table whose buffer
        is full) is the load's first table and streams are on, start streaming that chunk and
        leave the other buffers as they are."""
        self._end_stream()
        if self._streams and due is not None and self._opens(due):
            self._open_stream(submit, due)
            return
        chunks = []
        for table in sorted(self._buffers, key=lambda t: _ORDER.get(t, len(_ORDER))):
            rows = self._buffers[table]
            if rows:
                chunks.append(self._prepare(table, rows))
                self._buffers[table] = []
        if chunks:
            submit(chunks)

    def _prepare(self, table: str, rows: list[Row]) -> _Chunk:
        bulk = self._mysql and len(rows) >= self._bulk_rows
        columns = tuple(rows[0].keys())
        if not bulk:
            self._same_columns(table, rows, columns, bulk)
            if self._check is not None:
                self._check(table, rows)
            return _Chunk(table, columns, [r["id"] for r in rows], rows=rows)
        return self._bulk_chunk(table, rows, columns)

    def _bulk_chunk(self, table: str, rows: list[Row], columns: tuple[str, ...]) -> _Chunk:
        """A chunk for ``LOAD DATA``: ``rows`` checked, encoded and (where the text gives
        them) their checksums computed."""
        ids, payload, sums = self._encode(table, rows, columns)
        # The dicts stay until the chunk is in (one chunk in flight): if the server refuses a
        # value, the full check names it. Without a check they can go now.
        kept = rows if self._check is not None else None
        plan = self._layout(table, columns)
        return _Chunk(table, columns, ids, rows=kept, payload=payload, checksums=sums, layout=plan)

    @staticmethod
    def _same_columns(table: str, rows: list[Row], columns: tuple[str, ...], bulk: bool) -> None:
        # Every row must have the first row's columns. Comparing key sets costs 1 µs a row, so
        # bulk rows only compare their counts here: they are then read by the first row's
        # keys (the check, the encoder), and a row with other keys raises KeyError there.
        if set(map(len, rows)) != {len(columns)} or (not bulk and not _keyed_by(rows, columns)):
            raise _mixed(table)

    def _encode(
        self,
        table: str,
        rows: list[Row],
        columns: tuple[str, ...],
        first: int | None = None,
        sums: bool = True,
    ) -> tuple[list[int], bytes, bytes | None]:
        """Check ``rows`` and encode them for ``LOAD DATA``: their keys, their text, and (if
        ``sums``) the checksums of their lines if the text gives them and the keys run on from
        ``first`` (from the first row's key when ``None``)."""
        self._same_columns(table, rows, columns, True)
        try:
            if self._check is not None:
                self._check(table, rows, bulk=True)
            ids = [r["id"] for r in rows]
            encoder = self._encoder(table, columns)
            payload = encoder.encode(rows)
        except KeyError:
            if not _keyed_by(rows, columns):
                raise _mixed(table) from None
            raise
        if self._check is not None and (not encoder.clean or None in ids):
            # a value of another type than its column's, one to escape, or a NULL key (the
            # server would give the row a key of its own)
            self._check(table, rows)
        plan = self._layout(table, columns)
        start = ids[0] if first is None else first
        if (
            sums
            and plan is not None
            and encoder.clean
            and ids == list(range(start, start + len(ids)))
        ):
            return ids, payload, digests(payload, plan)
        return ids, payload, None

    # -- streaming --------------------------------------------------------------------------

    def _open_stream(self, submit: Callable[[list[_Chunk]], None], table: str) -> None:
        """Start the ``LOAD DATA`` of ``table``'s buffered rows, to go on with its next rows.
        The first piece is sent as soon as it is encoded, the rest of the buffer after it."""
        buffered, self._buffers[table] = self._buffers[table], []
        rows, rest = buffered[:PIECE_ROWS], buffered[PIECE_ROWS:]  # the buffer fits one chunk
        chunk = self._bulk_chunk(table, rows, tuple(rows[0].keys()))
        payload, chunk.payload = chunk.payload, None
        assert payload is not None
        chunk.pieces = [payload]
        stream = _Stream(chunk, chunk.checksums, rest, min(PIECE_ROWS, self._chunk - len(rows)))
        chunk.checksums = None  # the stream's, joined when it ends
        chunk.pipe = load_pipe.LoadPipe()
        self._piped = chunk  # from here on, a failure closes its pipe (_worker)
        try:
            submit([chunk])
        except BaseException:
            chunk.pipe.close()
            if self._pending is None:  # not submitted: the worker will not close the reader
                chunk.pipe.close_reader()
            raise
        self._stream = stream
        self._send(stream, payload)
        if stream.piece <= 0:  # the first piece filled the chunk (chunks of 1,000 rows or less)
            self._end_stream()
        while self._stream is stream and len(stream.pending) >= stream.piece:
            self._feed(stream)

    def _feed(self, stream: _Stream) -> None:
        """Check, encode and write the stream's next piece of pending rows; end the stream
        once the chunk is full."""
        chunk = stream.chunk
        rows, rest = stream.pending[: stream.piece], stream.pending[stream.piece :]
        stream.pending = []
        following = chunk.ids[-1] + 1 if stream.sums is not None else None
        ids, payload, sums = self._encode(
            chunk.table, rows, chunk.columns, following, sums=stream.sums is not None
        )
        if self._stream is not stream:  # a check talked to the database: the stream ended
            self._buffers[chunk.table][:0] = rows + rest
            return
        stream.pending = rest
        if stream.sums is not None:
            if sums is None:
                stream.sums = None
            else:
                stream.sums.append(sums)
        chunk.ids.extend(ids)
        if chunk.rows is not None:
            chunk.rows.extend(rows)
        assert chunk.pieces is not None
        chunk.pieces.append(payload)
        self._send(stream, payload)
        stream.piece = min(PIECE_ROWS, self._chunk - len(chunk.ids))
        if stream.piece <= 0:
            self._end_stream()

    def _send(self, stream: _Stream, payload: bytes) -> None:
        chunk = stream.chunk
        assert chunk.pipe is not None
        try:
            chunk.pipe.write(payload)
        except BrokenPipeError:  # the worker stopped reading: its error says why
            self._stream = None
            chunk.aborted = True
            chunk.pipe.close()
            self._settle()
            raise SeedDataError(
                f"bulk load into {chunk.table} stopped reading its rows; "
                "nothing of this step was written"
            ) from None

    def _end_stream(self) -> None:
        """End the stream in flight, if any: write its pending rows and close its pipe (its
        statement then ends on the worker). If writing them fails, the chunk fails too."""
        stream = self._stream
        if stream is None:
            return
        chunk = stream.chunk
        failed = True
        try:
            while stream.pending and self._stream is stream:
                self._feed(stream)
            failed = False
        finally:
            if self._stream is stream:
                self._stream = None
                chunk.checksums = None if stream.sums is None else b"".join(stream.sums)
                chunk.aborted = failed
                assert chunk.pipe is not None
                chunk.pipe.close()

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
        if chunk.payload is not None or chunk.pipe is not None:
            dbapi = conn.connection.dbapi_connection
            try:
                if chunk.pipe is not None:
                    self._patient(dbapi)
                    load_file(dbapi, t, chunk.columns, chunk.pipe.path, ids)
                    if chunk.aborted:  # the caller failed: its error is the one raised
                        raise _Abandoned(chunk.table)
                else:
                    assert chunk.payload is not None
                    load_data(dbapi, t, chunk.columns, chunk.payload, ids)
            except SeedDataError:
                if not chunk.aborted and self._check is not None and chunk.rows is not None:
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

    def _patient(self, dbapi: Any) -> None:
        """Before the first stream: let the server wait up to ``STREAM_WAIT`` seconds for the
        next piece (a stream's statement lasts as long as the rows' generation; the default
        ``net_read_timeout`` of 30 s would end it if the process were paused that long)."""
        if not self._read_timeout:
            with dbapi.cursor() as cursor:
                cursor.execute(
                    "SET SESSION net_read_timeout = "
                    f"GREATEST(@@SESSION.net_read_timeout, {STREAM_WAIT})"
                )
            self._read_timeout = True

    def _confirm(self, conn: sa.Connection, t: sa.Table, chunk: _Chunk) -> None:
        """Have the server confirm a sample of the chunk's checksums; on a mismatch, name the
        column, let the server compute them (this chunk's and the table's from now on)."""
        assert chunk.checksums is not None and chunk.layout
        first = chunk.ids[0]
        key = first_mismatch(conn, t, first, chunk.checksums)
        if key is None:
            return
        line = chunk.text().split(b"\n")[key - first]
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
            try:
                return self._write(chunks)
            finally:  # a stream's writer must not wait for a reader that is gone
                for chunk in chunks:
                    if chunk.pipe is not None:
                        chunk.pipe.close_reader()

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
                piped, self._piped, self._stream = self._piped, None, None
                if piped is not None and self._pending is not None:
                    # failing with a stream in flight (or being opened or ended): end its
                    # file where it is, so that the worker's statement ends, and have the
                    # worker refuse the chunk
                    piped.aborted = True
                    assert piped.pipe is not None
                    piped.pipe.close()
                if self._pending is not None:  # failing: let the chunk in flight end first
                    self._pending.exception()
                    self._pending = None
            finally:
                sa.event.remove(conn, "before_execute", guard)
                sa.event.remove(conn, "before_cursor_execute", guard)
                pool.shutdown(wait=True)
                sys.setswitchinterval(switch)

    def _settle(self) -> None:
        """End the stream if any, wait for the chunk in flight, count it, and raise its error
        if it failed."""
        self._end_stream()
        pending, self._pending = self._pending, None
        if pending is not None:
            self._done(pending.result())

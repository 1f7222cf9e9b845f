"""The bulk loader: the only code that writes seed rows.

It takes a stream of ``(table, row)`` pairs, buffers rows per table, and flushes them in chunks,
parents before children. A chunk goes in as a multi-row INSERT (SQLite, and small chunks on
MySQL) or, on MySQL/MariaDB, by ``LOAD DATA LOCAL INFILE`` (:mod:`terp_seed.load.infile`,
its text from :mod:`terp_seed.load.encoder`). After each chunk its rows are recorded in the
provenance ledger (:mod:`terp_seed.load.writer`), in the same transaction: one ledger row per
run of consecutive keys, with the rows' checksums computed from the text sent when the
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

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import sqlalchemy as sa

from terp_seed.load.buffers import Buffers
from terp_seed.load.chunk import Written
from terp_seed.load.prepare import ChunkBuilder
from terp_seed.load.settings import BULK_MIN_ROWS, STREAM_ROWS, LoadSettings
from terp_seed.load.streamer import Streamer
from terp_seed.load.worker import Submit, Worker
from terp_seed.load.writer import ChunkWriter
from terp_seed.validation.types import ChunkCheckFn, ChunkVerifier, Row


class ProgressFn(Protocol):
    """Called after each flushed chunk with the table and the rows just written."""

    def __call__(self, table: str, rows: int) -> None: ...


class Loader:
    """Writes rows and their provenance; one instance per seed step.

    The work is shared out: :class:`~terp_seed.load.buffers.Buffers` (rows per table, the
    flush order and sizes), :class:`~terp_seed.load.prepare.ChunkBuilder` (checks, encoding,
    checksums), :class:`~terp_seed.load.streamer.Streamer` (the stream in flight),
    :class:`~terp_seed.load.worker.Worker` (the worker thread) and
    :class:`~terp_seed.load.writer.ChunkWriter` (INSERT or ``LOAD DATA``, the ledger, offline
    SQL). The loader decides when a chunk is flushed and when a stream opens or ends.
    """

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
        self._conn = conn  # None offline: statements are rendered, not run
        self._settings = LoadSettings.resolve(
            conn,
            chunk_rows=chunk_rows,
            bulk_rows=bulk_rows,
            overlap=overlap,
            text_checksums=text_checksums,
            stream_rows=stream_rows,
        )
        self._progress = progress
        self._server_sums: set[str] = set()  # tables whose text checksums proved wrong
        self._buffers = Buffers(self._settings)
        self._builder = ChunkBuilder(conn, self._settings, check, self._server_sums)
        writer = ChunkWriter(
            execute,
            conn,
            run_id=run_id,
            revision=revision,
            check=check,
            verify=verify,
            server_sums=self._server_sums,
        )
        self._worker = Worker(writer.write, self._done)
        self._streamer = Streamer(
            self._buffers, self._builder, self._worker, self._settings.chunk_rows
        )
        self.counts: dict[str, int] = {}

    @property
    def server_checksums(self) -> frozenset[str]:
        """Tables whose checksums from the text proved wrong (the server computed them)."""
        return frozenset(self._server_sums)

    def load(self, stream: Iterable[tuple[str, Row]]) -> dict[str, int]:
        """Write every row of ``stream``; return rows written per table (in all loads)."""
        # every buffer was flushed and every chunk settled when the last load ended: this
        # load's first table is the one that streams
        buffers, streamer, worker = self._buffers, self._streamer, self._worker
        buffers.reset()
        rows_of = buffers.rows
        streams, stream_rows = self._settings.streams, self._settings.stream_rows
        with worker.running(self._conn, self._settings.threaded, streamer) as submit:
            for table, row in stream:
                current = streamer.current
                if current is not None and table == current.chunk.table:
                    current.pending.append(row)
                    if len(current.pending) >= current.piece:
                        streamer.feed(current)
                    continue
                buf = rows_of.get(table)
                if buf is None:
                    buf = rows_of[table] = []
                    if buffers.met(table):  # rows of the stream after it may refer to it
                        streamer.end()
                buf.append(row)
                if len(buf) >= buffers.limit:
                    self._flush_all(submit, table)
                    buffers.grow()
                elif (
                    streams and len(buf) % stream_rows == 0 and self._opens(table) and worker.idle()
                ):
                    streamer.open(submit, table)
            self._flush_all(submit)
        return dict(self.counts)

    def _opens(self, table: str) -> bool:
        """Whether ``table``'s buffer can become a stream: no stream is in flight and it is
        the load's first table."""
        return self._streamer.current is None and self._buffers.is_first(table)

    def _flush_all(self, submit: Submit, due: str | None = None) -> None:
        """Send every buffered chunk, parents first; or, when ``due`` (the table whose buffer
        is full) is the load's first table and streams are on, start streaming that chunk and
        leave the other buffers as they are."""
        self._streamer.end()
        if self._settings.streams and due is not None and self._opens(due):
            self._streamer.open(submit, due)
            return
        chunks = [self._builder.prepare(table, rows) for table, rows in self._buffers.drain()]
        if chunks:
            submit(chunks)

    def _done(self, written: Written) -> None:
        for table, n in written:
            self.counts[table] = self.counts.get(table, 0) + n
            if self._progress is not None:
                self._progress(table, n)

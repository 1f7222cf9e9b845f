"""Streaming a chunk: its ``LOAD DATA`` reads a pipe the caller writes as it generates rows.

A ``LOAD DATA`` chunk of each load's first table is started as soon as its first rows are
encoded (:mod:`terp_seed.load.pipe`), and each next piece of rows is checked, encoded and
written into the pipe as it comes, until the chunk is full. Each piece gets the checks a whole
chunk gets. The loader decides when a stream opens and ends (:mod:`terp_seed.load.loader`).
"""

from __future__ import annotations

from terp_seed.errors import SeedDataError
from terp_seed.load import pipe as load_pipe
from terp_seed.load.buffers import Buffers
from terp_seed.load.chunk import Stream
from terp_seed.load.prepare import ChunkBuilder
from terp_seed.load.settings import PIECE_ROWS
from terp_seed.load.worker import Submit, Worker


class Streamer:
    """The stream in flight (``current``), if any: opens, feeds and ends it."""

    def __init__(
        self, buffers: Buffers, builder: ChunkBuilder, worker: Worker, chunk_rows: int
    ) -> None:
        self._buffers = buffers
        self._builder = builder
        self._worker = worker
        self._chunk = chunk_rows
        self.current: Stream | None = None

    def open(self, submit: Submit, table: str) -> None:
        """Start the ``LOAD DATA`` of ``table``'s buffered rows, to go on with its next rows.
        The first piece is sent as soon as it is encoded, the rest of the buffer after it."""
        buffered = self._buffers.take(table)
        rows, rest = buffered[:PIECE_ROWS], buffered[PIECE_ROWS:]  # the buffer fits one chunk
        chunk = self._builder.bulk_chunk(table, rows, tuple(rows[0].keys()))
        payload, chunk.payload = chunk.payload, None
        assert payload is not None
        chunk.pieces = [payload]
        stream = Stream(chunk, chunk.checksums, rest, min(PIECE_ROWS, self._chunk - len(rows)))
        chunk.checksums = None  # the stream's, joined when it ends
        chunk.pipe = load_pipe.LoadPipe()
        self._worker.piped = chunk  # from here on, a failure closes its pipe (Worker.running)
        try:
            submit([chunk])
        except BaseException:
            chunk.pipe.close()
            if self._worker.pending is None:  # not submitted: the worker will not close the reader
                chunk.pipe.close_reader()
            raise
        self.current = stream
        self._send(stream, payload)
        if stream.piece <= 0:  # the first piece filled the chunk (chunks of 1,000 rows or less)
            self.end()
        while self.current is stream and len(stream.pending) >= stream.piece:
            self.feed(stream)

    def feed(self, stream: Stream) -> None:
        """Check, encode and write the stream's next piece of pending rows; end the stream
        once the chunk is full."""
        chunk = stream.chunk
        rows, rest = stream.pending[: stream.piece], stream.pending[stream.piece :]
        stream.pending = []
        following = chunk.ids[-1] + 1 if stream.sums is not None else None
        ids, payload, sums = self._builder.encode(
            chunk.table, rows, chunk.columns, following, sums=stream.sums is not None
        )
        if self.current is not stream:  # a check talked to the database: the stream ended
            self._buffers.put_back(chunk.table, rows + rest)
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
            self.end()

    def _send(self, stream: Stream, payload: bytes) -> None:
        chunk = stream.chunk
        assert chunk.pipe is not None
        try:
            chunk.pipe.write(payload)
        except BrokenPipeError:  # the worker stopped reading: its error says why
            self.current = None
            chunk.aborted = True
            chunk.pipe.close()
            self._worker.settle()
            raise SeedDataError(
                f"bulk load into {chunk.table} stopped reading its rows; "
                "nothing of this step was written"
            ) from None

    def end(self) -> None:
        """End the stream in flight, if any: write its pending rows and close its pipe (its
        statement then ends on the worker). If writing them fails, the chunk fails too."""
        stream = self.current
        if stream is None:
            return
        chunk = stream.chunk
        failed = True
        try:
            while stream.pending and self.current is stream:
                self.feed(stream)
            failed = False
        finally:
            if self.current is stream:
                self.current = None
                chunk.checksums = None if stream.sums is None else b"".join(stream.sums)
                chunk.aborted = failed
                assert chunk.pipe is not None
                chunk.pipe.close()

    def drop(self) -> None:
        """Forget the stream (the load failed: the worker abandons its chunk)."""
        self.current = None

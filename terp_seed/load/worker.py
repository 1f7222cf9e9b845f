"""The loader's worker thread: writes one chunk at a time while the caller generates the next.

Only one chunk is in flight; any statement the caller's thread sends on the connection meanwhile
(a factory asking for its parents, a check reflecting a table) first waits for it, so the
connection is never used by two threads at once. When the load fails, a stream in flight is
abandoned (its file ended where it is, its chunk refused) and the chunk in flight ends first.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol

import sqlalchemy as sa

from terp_seed.load.chunk import Chunk, Written

SWITCH_INTERVAL = 0.00002  # seconds; see Worker.running
_in_worker = threading.local()
Submit = Callable[[list[Chunk]], None]


class StreamEnds(Protocol):
    """What the worker asks of the stream in flight, if any."""

    def end(self) -> None:
        """Write its pending rows and close its pipe (before waiting for the worker)."""

    def drop(self) -> None:
        """Forget it (the load failed; the worker abandons its chunk)."""


class Worker:
    """Runs ``write`` over submitted chunks (on a thread on MySQL) and hands what was written
    to ``done``. ``piped``: the last streamed chunk (its pipe may be open)."""

    def __init__(
        self, write: Callable[[list[Chunk]], Written], done: Callable[[Written], None]
    ) -> None:
        self._write = write
        self._done = done
        self._streams: StreamEnds | None = None
        self.pending: Future[Written] | None = None
        self.piped: Chunk | None = None

    def idle(self) -> bool:
        """Whether no chunk is in flight (a stream would start at once)."""
        return self.pending is None or self.pending.done()

    @contextmanager
    def running(
        self, conn: sa.Connection | None, threaded: bool, streams: StreamEnds
    ) -> Iterator[Submit]:
        """``submit(chunks)``: write now (SQLite, offline) or on the worker thread (MySQL)."""
        if not threaded or conn is None:
            yield lambda chunks: self._done(self._write(chunks))
            return
        self._streams = streams
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="terp-seed-load")

        def run(chunks: list[Chunk]) -> Written:
            _in_worker.active = True
            try:
                return self._write(chunks)
            finally:  # a stream's writer must not wait for a reader that is gone
                for chunk in chunks:
                    if chunk.pipe is not None:
                        chunk.pipe.close_reader()

        def submit(chunks: list[Chunk]) -> None:
            self.settle()
            self.pending = pool.submit(run, chunks)

        def guard(*_args: Any, **_kw: Any) -> None:
            if not getattr(_in_worker, "active", False):
                self.settle()

        sa.event.listen(conn, "before_execute", guard)
        sa.event.listen(conn, "before_cursor_execute", guard)
        # The worker sends the load file in 16 KiB packets and needs the GIL for each; with
        # the default 5 ms switch interval a busy generator thread would starve it.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            yield submit
            self.settle()
        finally:
            try:
                piped, self.piped = self.piped, None
                streams.drop()
                if piped is not None and self.pending is not None:
                    # failing with a stream in flight (or being opened or ended): end its
                    # file where it is, so that the worker's statement ends, and have the
                    # worker refuse the chunk
                    piped.aborted = True
                    assert piped.pipe is not None
                    piped.pipe.close()
                if self.pending is not None:  # failing: let the chunk in flight end first
                    self.pending.exception()
                    self.pending = None
            finally:
                sa.event.remove(conn, "before_execute", guard)
                sa.event.remove(conn, "before_cursor_execute", guard)
                pool.shutdown(wait=True)
                sys.setswitchinterval(switch)
                self._streams = None

    def settle(self) -> None:
        """End the stream if any, wait for the chunk in flight, count it, and raise its error
        if it failed."""
        if self._streams is not None:
            self._streams.end()
        pending, self.pending = self.pending, None
        if pending is not None:
            self._done(pending.result())

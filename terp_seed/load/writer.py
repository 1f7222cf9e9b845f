"""Writing a chunk: a multi-row INSERT or ``LOAD DATA``, then its rows in the ledger.

Runs on the loader's worker thread on MySQL. A bulk chunk's ledger checksums come from the text
sent where they can (:mod:`terp_seed.load.checksums`); the server confirms a sample of them, and
on a mismatch computes them itself, for that table from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from terp_seed.errors import SeedDataError
from terp_seed.load.checksums import first_mismatch, mismatched_column
from terp_seed.load.chunk import Abandoned, Chunk, Written
from terp_seed.load.encoder import plain_json
from terp_seed.load.infile import load_data, load_file
from terp_seed.load.offline import render_chunk
from terp_seed.schema import metadata
from terp_seed.store import ledger
from terp_seed.validation.types import ChunkCheckFn, ChunkVerifier

log = logging.getLogger(__name__)
STREAM_WAIT = 600  # seconds the server waits for a stream's next piece (net_read_timeout)


class ChunkWriter:
    """Inserts chunks and records them in the ledger (offline: renders both as SQL text).

    ``server_sums``: tables whose text checksums proved wrong (shared with the chunk builder).
    ``verify`` runs over each chunk once written (a chunk of scattered keys is only reported
    to it); ``check`` names the value when the server refuses a bulk chunk.
    """

    def __init__(
        self,
        execute: Callable[[sa.Executable], Any],
        conn: sa.Connection | None,
        *,
        run_id: str,
        revision: str | None,
        check: ChunkCheckFn | None,
        verify: ChunkVerifier | None,
        server_sums: set[str],
    ) -> None:
        self._execute = execute
        self._conn = conn  # None offline: statements are rendered, not run
        self._run_id = run_id
        self._revision = revision
        self._check = check
        self._verify = verify
        self._server_sums = server_sums
        self._text_ranges: dict[str, list[tuple[int, int]]] = {}  # recorded with text sums
        self._read_timeout = False  # net_read_timeout raised for streams

    def write(self, chunks: list[Chunk]) -> Written:
        """Insert and record each chunk, parents first (runs on the worker thread on MySQL)."""
        done = []
        for chunk in chunks:
            if self._conn is None:
                render_chunk(
                    self._execute,
                    chunk.table,
                    chunk.rows or [],
                    run_id=self._run_id,
                    revision=self._revision,
                )
            else:
                self._insert(self._conn, chunk)
            done.append((chunk.table, len(chunk.ids)))
        return done

    def _insert(self, conn: sa.Connection, chunk: Chunk) -> None:
        t = metadata.tables[chunk.table]
        ids = chunk.ids
        if chunk.payload is not None or chunk.pipe is not None:
            dbapi = conn.connection.dbapi_connection
            try:
                if chunk.pipe is not None:
                    self._patient(dbapi)
                    load_file(dbapi, t, chunk.columns, chunk.pipe.path, ids)
                    if chunk.aborted:  # the caller failed: its error is the one raised
                        raise Abandoned(chunk.table)
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
        self._record(conn, t, chunk)

    def _record(self, conn: sa.Connection, t: sa.Table, chunk: Chunk) -> None:
        """The chunk's ledger rows, then the verifier over the chunk."""
        ids = chunk.ids
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

    def _confirm(self, conn: sa.Connection, t: sa.Table, chunk: Chunk) -> None:
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
        # a mismatch the samples of earlier chunks missed would otherwise pass for a row
        # changed since seeding: the server computes every range recorded from the text
        for first_pk, last_pk in self._text_ranges.pop(t.name, []):
            ledger.recompute_checksums(conn, self._run_id, t, first_pk, last_pk)

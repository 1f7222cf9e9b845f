"""How a loader sizes, sends and streams its chunks: the constants and one settings object."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from terp_seed.db.dialects import dialect_of
from terp_seed.load import pipe as load_pipe

DEFAULT_CHUNK_ROWS = 2000  # offline: rows buffered per table before a flush (else the dialect's)
BULK_MIN_ROWS = 2000  # a MySQL chunk of at least this many rows of a table uses LOAD DATA
RAMP = 8  # a step's first flush comes at 1/RAMP of a full chunk (not below the LOAD DATA
# minimum, so SQLite, offline and small chunks keep their size), each next one at twice as many
STREAM_ROWS = 500  # a stream starts when a load's first table has this many rows buffered
PIECE_ROWS = 1000  # a stream's rows are checked, encoded and written this many at a time


NEVER_BULK = 2**62  # bulk_rows when the server refuses LOAD DATA LOCAL: every chunk is INSERTed
log = logging.getLogger(__name__)
_told: list[bool] = []  # the fallback is told once per process


def _local_files(conn: sa.Connection) -> bool:
    """Whether the server accepts ``LOAD DATA LOCAL``; when it does not, say once that chunks
    go in by multi-row INSERT instead (slower, same rows)."""
    began = not conn.in_transaction()
    accepts = dialect_of(conn).loads_local_files(conn)
    if began:  # a read of a server variable: leave the connection as it was found
        conn.rollback()
    if accepts:
        return True
    if not _told:
        _told.append(True)
        log.warning(
            "the server has local_infile OFF: rows go in by multi-row INSERT instead of "
            "LOAD DATA LOCAL INFILE (same rows, slower); SET GLOBAL local_infile = ON "
            "on the server for bulk-load speed",
            extra={"event": "no_local_infile"},
        )
    return False


@dataclass(frozen=True)
class LoadSettings:
    """What a loader decided once, from its options and its connection.

    ``mysql``: the connection is MySQL/MariaDB (false offline and on SQLite). ``chunk_rows``:
    rows of a full chunk. ``bulk_rows``: a MySQL chunk of at least this many rows goes in by
    ``LOAD DATA``. ``threaded``: chunks are written on a worker thread (MySQL with overlap).
    ``text_checksums``: ledger checksums of bulk chunks may come from the text sent.
    ``streams``: a load's first table streams from ``stream_rows`` buffered rows on.
    """

    mysql: bool
    chunk_rows: int
    bulk_rows: int
    threaded: bool
    text_checksums: bool
    streams: bool
    stream_rows: int

    @classmethod
    def resolve(
        cls,
        conn: sa.Connection | None,
        *,
        chunk_rows: int | None,
        bulk_rows: int,
        overlap: bool,
        text_checksums: bool,
        stream_rows: int | None,
    ) -> LoadSettings:
        """The settings of a loader given these options (see
        :class:`~terp_seed.load.loader.Loader`)."""
        dialect = dialect_of(conn) if conn is not None else None  # None: offline
        mysql = dialect is not None and dialect.bulk_load
        if mysql and conn is not None and not _local_files(conn):
            bulk_rows = NEVER_BULK
        chunk = chunk_rows or (dialect.chunk_rows if dialect is not None else DEFAULT_CHUNK_ROWS)
        streams = bool(
            stream_rows and mysql and overlap and bulk_rows <= chunk and load_pipe.supported()
        )
        return cls(
            mysql=mysql,
            chunk_rows=chunk,
            bulk_rows=bulk_rows,
            threaded=mysql and overlap,
            text_checksums=text_checksums,
            streams=streams,
            stream_rows=stream_rows or 0,
        )

    @property
    def first_limit(self) -> int:
        """Rows of a table buffered before a load's first flush.

        The first chunks are smaller (2,500, 5,000, 10,000 rows, then 20,000): the server
        starts loading sooner, so a step of a few thousand rows overlaps too."""
        return max(1, self.chunk_rows // RAMP, min(self.chunk_rows, self.bulk_rows))

"""Turning a table's buffered rows into a chunk: checked, and for ``LOAD DATA`` encoded with
the checksums its text gives."""

from __future__ import annotations

import sqlalchemy as sa

from terp_seed.load.checksums import (
    Layout,
    constant_defaults,
    digests,
    has_timestamps,
    layout,
    steady_time_zone,
)
from terp_seed.load.chunk import Chunk, keyed_by, mixed
from terp_seed.load.encoder import TableEncoder
from terp_seed.load.settings import LoadSettings
from terp_seed.schema import metadata
from terp_seed.validation.types import ChunkCheckFn, Row


class ChunkBuilder:
    """Checks rows and builds their chunks; keeps each table's encoder and checksum layout.

    ``server_sums``: tables whose text checksums proved wrong (shared with the writer, which
    adds to it); their chunks get no checksums from the text.
    """

    def __init__(
        self,
        conn: sa.Connection | None,
        settings: LoadSettings,
        check: ChunkCheckFn | None,
        server_sums: set[str],
    ) -> None:
        self._conn = conn
        self._mysql = settings.mysql
        self._bulk_rows = settings.bulk_rows
        self._text_sums = settings.text_checksums
        self._check = check
        self._server_sums = server_sums
        self._encoders: dict[tuple[str, tuple[str, ...]], TableEncoder] = {}
        self._layouts: dict[tuple[str, tuple[str, ...]], Layout | None] = {}
        self._defaults: dict[str, dict[str, str | None]] = {}
        self._steady_clock: bool | None = None  # the session's time zone has no DST

    def prepare(self, table: str, rows: list[Row]) -> Chunk:
        """A chunk of ``rows``: for an INSERT, or for ``LOAD DATA`` if it is big enough."""
        bulk = self._mysql and len(rows) >= self._bulk_rows
        columns = tuple(rows[0].keys())
        if not bulk:
            self._same_columns(table, rows, columns, bulk)
            if self._check is not None:
                self._check(table, rows)
            return Chunk(table, columns, [r["id"] for r in rows], rows=rows)
        return self.bulk_chunk(table, rows, columns)

    def bulk_chunk(self, table: str, rows: list[Row], columns: tuple[str, ...]) -> Chunk:
        """A chunk for ``LOAD DATA``: ``rows`` checked, encoded and (where the text gives
        them) their checksums computed."""
        ids, payload, sums = self.encode(table, rows, columns)
        # The dicts stay until the chunk is in (one chunk in flight): if the server refuses a
        # value, the full check names it. Without a check they can go now.
        kept = rows if self._check is not None else None
        plan = self._layout(table, columns)
        return Chunk(table, columns, ids, rows=kept, payload=payload, checksums=sums, layout=plan)

    @staticmethod
    def _same_columns(table: str, rows: list[Row], columns: tuple[str, ...], bulk: bool) -> None:
        # Every row must have the first row's columns. Comparing key sets costs 1 µs a row, so
        # bulk rows only compare their counts here: they are then read by the first row's
        # keys (the check, the encoder), and a row with other keys raises KeyError there.
        if set(map(len, rows)) != {len(columns)} or (not bulk and not keyed_by(rows, columns)):
            raise mixed(table)

    def encode(
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
            if not keyed_by(rows, columns):
                raise mixed(table) from None
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

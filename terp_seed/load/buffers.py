"""Rows waiting per table: the order their chunks go in (parents first) and when (the ramp)."""

from __future__ import annotations

from collections.abc import Iterator

from terp_seed.load.settings import LoadSettings
from terp_seed.schema import TERP_TABLES
from terp_seed.validation.types import Row

ORDER = {t: i for i, t in enumerate(TERP_TABLES)}


class Buffers:
    """One list of rows per table; ``limit`` is how many rows a buffer holds before the
    loader flushes, doubling after each flush up to a full chunk."""

    def __init__(self, settings: LoadSettings) -> None:
        self.rows: dict[str, list[Row]] = {}
        self.limit = settings.first_limit
        self._chunk = settings.chunk_rows
        self._first: tuple[int, str] | None = None  # the earliest table (in order) seen

    def reset(self) -> None:
        """Start a load: no buffer, no table seen yet (every buffer was flushed)."""
        self.rows, self._first = {}, None

    def met(self, table: str) -> bool:
        """Note a table's first row of this load; whether it comes first of the tables seen
        (rows of a stream after it may then refer to it)."""
        key = (ORDER.get(table, len(ORDER)), table)
        if self._first is None or key < self._first:
            self._first = key
            return True
        return False

    def grow(self) -> None:
        """A flush was due: the next one comes at twice as many rows, up to a full chunk."""
        self.limit = min(self.limit * 2, self._chunk)

    def is_first(self, table: str) -> bool:
        """Whether ``table`` is the load's first table and one of TERP's (whose place in the
        order is known)."""
        return self._first is not None and table == self._first[1] and table in ORDER

    def take(self, table: str) -> list[Row]:
        """``table``'s buffered rows, leaving its buffer empty."""
        rows, self.rows[table] = self.rows[table], []
        return rows

    def put_back(self, table: str, rows: list[Row]) -> None:
        """Put ``rows`` back in front of ``table``'s buffer."""
        self.rows[table][:0] = rows

    def drain(self) -> Iterator[tuple[str, list[Row]]]:
        """Every non-empty buffer, parents first; each is emptied once its rows are used."""
        for table in sorted(self.rows, key=lambda t: ORDER.get(t, len(ORDER))):
            rows = self.rows[table]
            if rows:
                yield table, rows
                self.rows[table] = []

"""The bulk loader: the only code that writes seed rows.

It takes a stream of ``(table, row)`` pairs, buffers rows per table, and flushes them in chunks,
parents before children, as multi-row INSERTs. After each chunk it records the chunk's rows in
the provenance ledger with one ``INSERT ... SELECT`` in the same transaction. Offline
(``--sql``) it renders the same statements as SQL text instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import sqlalchemy as sa

from terp_seed import ledger
from terp_seed.bookkeeping import ledger as ledger_table
from terp_seed.errors import SeedDataError
from terp_seed.offline import offline_insert
from terp_seed.schema import TERP_TABLES, metadata

log = logging.getLogger(__name__)
Row = dict[str, Any]
DEFAULT_CHUNK_ROWS = 2000
_ORDER = {t: i for i, t in enumerate(TERP_TABLES)}


class ProgressFn(Protocol):
    """Called after each flushed chunk with the table and the rows just written."""

    def __call__(self, table: str, rows: int) -> None: ...


class ChunkCheckFn(Protocol):
    """Called with each chunk before it is sent; raises to stop the step."""

    def __call__(self, table: str, rows: list[Row]) -> None: ...


class Loader:
    """Writes rows and their provenance; one instance per seed step."""

    def __init__(
        self,
        execute: Callable[[sa.Executable], Any],
        *,
        conn: sa.Connection | None,
        run_id: str,
        revision: str | None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        progress: ProgressFn | None = None,
        check: ChunkCheckFn | None = None,
    ) -> None:
        self._execute = execute
        self._conn = conn  # None offline: statements are rendered, not run
        self._run_id = run_id
        self._revision = revision
        self._chunk = chunk_rows
        self._progress = progress
        self._check = check
        self._buffers: dict[str, list[Row]] = {}
        self.counts: dict[str, int] = {}

    def load(self, stream: Iterable[tuple[str, Row]]) -> dict[str, int]:
        """Write every row of ``stream``; return rows written per table."""
        for table, row in stream:
            buf = self._buffers.setdefault(table, [])
            buf.append(row)
            if len(buf) >= self._chunk:
                self._flush_all()
        self._flush_all()
        return dict(self.counts)

    def _flush_all(self) -> None:
        for table in sorted(self._buffers, key=lambda t: _ORDER.get(t, len(_ORDER))):
            rows = self._buffers[table]
            if rows:
                self._flush(table, rows)
                self._buffers[table] = []

    def _flush(self, table: str, rows: list[Row]) -> None:
        t = metadata.tables[table]
        keys = rows[0].keys()
        if any(r.keys() != keys for r in rows):
            raise SeedDataError(f"factory for {table} produced rows with different columns")
        if self._check is not None:
            self._check(table, rows)
        if self._conn is None:
            self._execute(offline_insert(t, rows))
            self._execute(
                ledger_table.insert().values(
                    [
                        {
                            "run_id": self._run_id,
                            "revision": self._revision,
                            "table_name": table,
                            "row_pk": r["id"],
                            "checksum": None,
                        }
                        for r in rows
                    ]
                )
            )
        else:
            self._conn.execute(t.insert(), rows)
            first, last = rows[0]["id"], rows[-1]["id"]
            recorded = ledger.record_range(
                self._conn, self._run_id, self._revision, table, first, last
            )
            if recorded != len(rows) or last - first + 1 != len(rows):
                raise SeedDataError(
                    f"ledger for {table} recorded {recorded} of {len(rows)} rows "
                    f"(ids {first}..{last}); the step was rolled back"
                )
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        if self._progress is not None:
            self._progress(table, len(rows))

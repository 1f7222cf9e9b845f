"""Progress: a bar per table on a terminal, steady log events otherwise."""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger(__name__)


class Progress:
    """Counts rows per table against an expected total and reports them.

    On a terminal it redraws one line per table on stderr (rows, rate, ETA); elsewhere it logs
    a ``progress`` event at most every ``interval`` seconds per table.
    """

    def __init__(
        self, expected: dict[str, int], *, tty: bool | None = None, interval: float = 2.0
    ) -> None:
        self.expected = dict(expected)
        self.done: dict[str, int] = {}
        self._tty = sys.stderr.isatty() if tty is None else tty
        self._interval = interval
        self._started: dict[str, float] = {}
        self._last: dict[str, float] = {}
        # A table's clock starts when the previous report ended (or at creation), so the
        # first chunk's generation and insert count towards its rate.
        self._tick = time.monotonic()

    def __call__(self, table: str, rows: int) -> None:
        now = time.monotonic()
        self._started.setdefault(table, self._tick)
        self._tick = now
        done = self.done[table] = self.done.get(table, 0) + rows
        total = max(self.expected.get(table, 0), done)
        elapsed = max(now - self._started[table], 1e-6)
        rate = done / elapsed
        eta = (total - done) / rate if rate else 0.0
        if self._tty:
            width = 24
            filled = int(width * done / total) if total else width
            bar = "#" * filled + "." * (width - filled)
            sys.stderr.write(
                f"\r{table:<18} [{bar}] {done:>9,}/{total:<9,} {rate:>9,.0f} rows/s ETA {eta:5.1f}s"
            )
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif table not in self._last or now - self._last[table] >= self._interval or done >= total:
            self._last[table] = now
            log.info(
                "progress %s %d/%d rows (%.0f rows/s)",
                table,
                done,
                total,
                rate,
                extra={
                    "event": "progress",
                    "table": table,
                    "rows": done,
                    "total": total,
                    "rate": round(rate),
                    "eta_s": round(eta, 1),
                },
            )

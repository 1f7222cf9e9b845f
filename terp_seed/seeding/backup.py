"""Backups before destructive steps: the file format, writing it atomically, and reading it
back whole and verified (``terp-seed restore`` is :mod:`terp_seed.seeding.restore`).

A backup is a JSON-lines file: a header line (format, database, environment, time, run id,
scope, rows per table), one line per row ``{"table": ..., "origin": {...}, "row": {...}}``
(parents before children; ``origin`` holds the run and revision that seeded the row and the
checksum the ledger recorded for it), and a trailer line with the rows per table again and
the SHA-256 of every byte before it. A file is written to a temporary name in the backup
folder, flushed to disk (``fsync``) and only then renamed to ``<run id>.jsonl``: a
``<run id>.jsonl`` is always whole.

Files of the first format (``terp-seed-backup/1``: no trailer, no checksums) are still read;
they are accepted only when their rows per table are exactly the header's.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import decimal
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import sqlalchemy as sa

from terp_seed.errors import ConfigError
from terp_seed.runtime.run import SeedRun
from terp_seed.schema import TERP_TABLES, metadata
from terp_seed.seeding.changes import app_column_labels
from terp_seed.store import ledger
from terp_seed.store.checksums import DIGEST
from terp_seed.store.ledger import Scope

FORMAT = "terp-seed-backup/2"
OLD_FORMAT = "terp-seed-backup/1"  # no trailer, no checksums: read, never written
BACKUP_DIR_ENV = "TERP_SEED_BACKUP_DIR"


def backup_dir() -> Path:
    """Where backups go: ``$TERP_SEED_BACKUP_DIR``, else ``$XDG_STATE_HOME/terp-seed/backups``,
    else ``~/.local/state/terp-seed/backups``; never relative to the working directory."""
    given = os.environ.get(BACKUP_DIR_ENV)
    if given:
        return Path(given).expanduser().absolute()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser().absolute() / "terp-seed" / "backups"


def _new_path(directory: Path, run_id: str) -> Path:
    """``<run id>.jsonl``, or ``<run id>-2.jsonl`` ... when the run already wrote one (a
    downgrade of several revisions, or a step retried after a deadlock)."""
    path = directory / f"{run_id}.jsonl"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"{run_id}-{n}.jsonl"
    return path


class _Digesting:
    """A text file that hashes every line written to it."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.sha = hashlib.sha256()

    def line(self, data: dict[str, Any]) -> None:
        text = json.dumps(data) + "\n"
        self.sha.update(text.encode("utf-8"))
        self.out.write(text)


def write_backup(conn: sa.Connection, run: SeedRun, scope: Scope) -> str:
    """Write every row in ``scope`` (with its ledger entry) to a new backup file, atomically;
    returns its path."""
    directory = backup_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # a backup holds customers' data
    counts = {t: n for t, n in _present(conn, scope).items() if n}
    header = {
        "format": FORMAT,
        "database": run.db_name,
        "environment": run.options.env,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_id": run.run_id,
        "scope": scope.describe(),
        "rows": counts,
    }
    temp = directory / f".{run.run_id}.{os.getpid()}.tmp"
    try:
        # owner only (0600): the rows are full of personal data
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "w", encoding="utf-8") as handle:
            out = _Digesting(handle)
            out.line(header)
            written = _write_rows(conn, out, scope, counts)
            trailer = {"end": FORMAT, "rows": written, "sha256": out.sha.hexdigest()}
            handle.write(json.dumps(trailer) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        path = _new_path(directory, run.run_id)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    _sync_dir(directory)
    return str(path)


def _write_rows(
    conn: sa.Connection, out: _Digesting, scope: Scope, counts: dict[str, int]
) -> dict[str, int]:
    written: dict[str, int] = {}
    for table in [t for t in TERP_TABLES if counts.get(t)]:
        t = metadata.tables[table]
        sums = _Checksums(conn, scope, table)
        query = ledger.with_origin(t, scope).add_columns(*app_column_labels(conn, table))
        for row in conn.execute(query):
            data = dict(row._mapping)
            origin = {
                "run_id": data.pop("run_id"),
                "revision": data.pop("revision"),
                "checksum": sums.of(int(data["id"])),
            }
            out.line({"table": table, "origin": origin, "row": _encode(data)})
            written[table] = written.get(table, 0) + 1
    return written


def _present(conn: sa.Connection, scope: Scope) -> dict[str, int]:
    """Rows per table in ``scope`` that are in the database (those a backup holds)."""
    out = {}
    for table in ledger.counts(conn, scope):
        rows = ledger.with_origin(metadata.tables[table], scope).order_by(None).subquery()
        out[table] = int(conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one())
    return out


class _Checksums:
    """The checksums the ledger recorded for the rows of one table in a scope, by key."""

    def __init__(self, conn: sa.Connection, scope: Scope, table: str) -> None:
        self.ranges = sorted(
            (int(first), int(last), None if sums is None else bytes(sums))
            for first, last, sums in ledger.checksummed_ranges(conn, scope, table)
        )
        self.firsts = [r[0] for r in self.ranges]

    def of(self, key: int) -> str | None:
        at = bisect.bisect_right(self.firsts, key) - 1
        if at < 0:
            return None
        first, last, sums = self.ranges[at]
        if sums is None or not first <= key <= last:
            return None
        return sums[(key - first) * DIGEST : (key - first + 1) * DIGEST].hex()


def _sync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX: fsync the folder)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without folder handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - a filesystem that cannot sync folders
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class BackupRow:
    """One row of a backup: its table, values, and origin (run, revision, checksum)."""

    table: str
    row: dict[str, Any]
    run_id: str
    revision: str | None
    checksum: bytes | None


def check_backup(path: str) -> dict[str, Any]:
    """Read a whole backup file once and verify it; return its header. Refused with one
    :class:`ConfigError` naming what is wrong, before anything is locked or written.

    Format 2: the trailer must be the last line, its SHA-256 must be that of every byte before
    it, and the rows per table must be the trailer's and the header's. Format 1 (no trailer):
    the rows per table must be exactly the header's.
    """
    header: dict[str, Any] | None = None
    sha = hashlib.sha256()
    counts: dict[str, int] = {}
    last: bytes | None = None
    lines = 0
    with _open(path) as handle:
        for lines, raw in enumerate(handle, start=1):
            if header is None:
                header = _header(path, raw)
                sha.update(raw)
                continue
            if last is not None:  # the line before this one is a row, not the trailer
                _count(path, lines - 1, last, counts)
                sha.update(last)
            last = raw
    if header is None:
        raise ConfigError(f"{path!r} is not a terp-seed backup (expected format {FORMAT})")
    if header["format"] == OLD_FORMAT:
        if last is not None:
            _count(path, lines, last, counts)
    else:
        trailer = _json(last) if last is not None else None
        if not isinstance(trailer, dict) or trailer.get("end") != FORMAT:
            raise ConfigError(
                f"backup {path!r} has no trailer line: the file was cut short; nothing was "
                "restored. Use an intact copy"
            )
        if sha.hexdigest() != trailer.get("sha256"):
            raise ConfigError(
                f"backup {path!r} does not match the SHA-256 in its trailer: it was damaged or "
                "edited; nothing was restored. Use an intact copy"
            )
        _check_counts(path, trailer.get("rows"), counts, "trailer")
    _check_counts(path, header.get("rows"), counts, "header")
    return header


def backup_rows(path: str) -> Iterator[BackupRow]:
    """The rows of a backup file that :func:`check_backup` verified, in file order."""
    with _open(path) as handle:
        handle.readline()
        for number, raw in enumerate(handle, start=2):
            item = _json(raw)
            if isinstance(item, dict) and "end" in item:
                return
            yield _item(path, number, item)


def _open(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise ConfigError(f"cannot read backup file {path!r}: {exc.strerror}") from None


def _header(path: str, raw: bytes) -> dict[str, Any]:
    header = _json(raw)
    if not isinstance(header, dict) or header.get("format") not in (FORMAT, OLD_FORMAT):
        raise ConfigError(f"{path!r} is not a terp-seed backup (expected format {FORMAT})")
    return header


def _count(path: str, number: int, raw: bytes, counts: dict[str, int]) -> None:
    """Check one row line (every value decodes) and count it."""
    item = _item(path, number, _json(raw))
    counts[item.table] = counts.get(item.table, 0) + 1


def _check_counts(path: str, said: object, found: dict[str, int], where: str) -> None:
    said = {str(t): int(n) for t, n in said.items() if n} if isinstance(said, dict) else {}
    if said != found:
        diff = ", ".join(
            f"{t} {found.get(t, 0)} of {said.get(t, 0)}"
            for t in sorted(set(said) | set(found))
            if found.get(t, 0) != said.get(t, 0)
        )
        raise ConfigError(
            f"backup {path!r} holds other rows than its {where} says ({diff}): it was cut short "
            "or edited; nothing was restored. Use an intact copy"
        )


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _item(path: str, number: int, item: Any) -> BackupRow:
    try:
        table, origin, row = item["table"], item["origin"], item["row"]
        run_id, revision = str(origin["run_id"]), origin.get("revision")
        checksum = origin.get("checksum")
        digest = bytes.fromhex(checksum) if isinstance(checksum, str) else None
    except (KeyError, TypeError, ValueError):
        raise ConfigError(
            f"backup {path!r} line {number} is damaged; nothing was restored"
        ) from None
    if table not in metadata.tables:
        raise ConfigError(f"backup {path!r} names unknown table {table!r}")
    return BackupRow(table, _decode(metadata.tables[table], row), run_id, revision, digest)


def _encode(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, decimal.Decimal):
            out[key] = {"$decimal": str(value)}
        elif isinstance(value, dt.datetime):
            out[key] = {"$datetime": value.isoformat()}
        elif isinstance(value, dt.date):
            out[key] = {"$date": value.isoformat()}
        elif isinstance(value, bytes):
            out[key] = {"$bytes": base64.b64encode(value).decode()}
        elif isinstance(value, dt.time | dt.timedelta):  # TIME, in a column the app added
            out[key] = str(value)
        else:
            out[key] = value
    return out


def _decode(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():  # a column the models do not know: restore checks it
        if isinstance(value, dict) and len(value) == 1:
            kind, raw = next(iter(value.items()))
            if kind == "$decimal":
                value = decimal.Decimal(raw)
            elif kind == "$datetime":
                value = dt.datetime.fromisoformat(raw)
            elif kind == "$date":
                value = dt.date.fromisoformat(raw)
            elif kind == "$bytes":
                value = base64.b64decode(raw)
        out[key] = value
    return out

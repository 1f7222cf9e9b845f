"""Backups before destructive steps, and ``terp-seed restore`` to put the rows back.

A backup is a JSON-lines file: a header line (format, database, time, run id, scope), then one
line per row ``{"table": ..., "row": {...}}``, parents before children. Restore inserts the rows
with the same keys and values and records their provenance again, so the restored rows can be
rolled back like any seeded row. Restoring a file twice is refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

from terp_seed.errors import ConfigError, SeedDataError
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.run import SeedRun
from terp_seed.runtime.session import run_locked
from terp_seed.schema import TERP_TABLES, metadata
from terp_seed.seeding.changes import app_columns
from terp_seed.seeding.derive import derive_after
from terp_seed.store import ledger
from terp_seed.store.audit import StepResult
from terp_seed.store.ledger import Scope

FORMAT = "terp-seed-backup/1"
BACKUP_DIR_ENV = "TERP_SEED_BACKUP_DIR"


def backup_dir() -> Path:
    return Path(os.environ.get(BACKUP_DIR_ENV, "backups"))


def _new_path(directory: Path, run_id: str) -> Path:
    """``<run id>.jsonl``, or ``<run id>-2.jsonl`` ... when the run already wrote one (a
    downgrade of several revisions, or a step retried after a deadlock)."""
    path = directory / f"{run_id}.jsonl"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"{run_id}-{n}.jsonl"
    return path


def write_backup(conn: sa.Connection, run: SeedRun, scope: Scope) -> str:
    """Write every row in ``scope`` (with its ledger entry) to a new backup file."""
    directory = backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = _new_path(directory, run.run_id)
    counts = ledger.counts(conn, scope)
    header = {
        "format": FORMAT,
        "database": run.db_name,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_id": run.run_id,
        "scope": scope.describe(),
        "rows": counts,
    }
    with open(path, "x", encoding="utf-8") as out:
        out.write(json.dumps(header) + "\n")
        for table in [t for t in TERP_TABLES if counts.get(t)]:
            t = metadata.tables[table]
            query = ledger.with_origin(t, scope).add_columns(*_app_columns(conn, table))
            for row in conn.execute(query):
                data = dict(row._mapping)
                origin = {"run_id": data.pop("run_id"), "revision": data.pop("revision")}
                line = {"table": table, "origin": origin, "row": _encode(data)}
                out.write(json.dumps(line) + "\n")
    return str(path)


def _app_columns(conn: sa.Connection, table: str) -> list[sa.Label[Any]]:
    """The columns the application added to ``table`` (a backup holds every live column)."""
    quote = conn.dialect.identifier_preparer.quote
    return [
        sa.literal_column(f"{quote(table)}.{quote(c.name)}").label(c.name)
        for c in app_columns(conn, table)
    ]


Item = tuple[str, dict[str, Any], dict[str, Any]]


def read_backup(path: str) -> tuple[dict[str, Any], Iterator[Item]]:
    """The header and the rows of a backup file; a clear error when it is not one."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the generator
    except OSError as exc:
        raise ConfigError(f"cannot read backup file {path!r}: {exc.strerror}") from None
    try:
        header = json.loads(handle.readline() or "{}")
    except ValueError:
        header = {}
    if header.get("format") != FORMAT:
        handle.close()
        raise ConfigError(f"{path!r} is not a terp-seed backup (expected format {FORMAT})")

    def rows() -> Iterator[Item]:
        with handle:
            for number, line in enumerate(handle, start=2):
                try:
                    item = json.loads(line)
                    table, origin, row = item["table"], item["origin"], item["row"]
                except (ValueError, KeyError, TypeError):
                    raise ConfigError(
                        f"backup {path!r} line {number} is damaged; nothing was restored"
                    ) from None
                if table not in metadata.tables:
                    raise ConfigError(f"backup {path!r} names unknown table {table!r}")
                yield table, origin, _decode(metadata.tables[table], row)

    return header, rows()


def check_backup(path: str) -> dict[str, Any]:
    """Read a whole backup file once, so a damaged one is refused before anything is locked."""
    header, rows = read_backup(path)
    for _ in rows:
        pass
    return header


def restore_backup(conn: sa.Connection, path: str) -> dict[str, int]:
    """Insert a backup's rows with their original keys and values, and record each row's
    provenance again under its original run and revision, so it can be rolled back again.

    A row whose key exists already (the backup was restored before, or the key was reused)
    stops the restore; the caller's transaction then leaves the database unchanged.
    """
    _header, rows = read_backup(path)
    restored: dict[tuple[str, str, str | None], list[int]] = {}
    live: dict[str, set[str]] = {}  # per table, the columns the application added
    for table, origin, row in rows:
        t = metadata.tables[table]
        exists = conn.execute(sa.select(t.c.id).where(t.c.id == row["id"])).first()
        if exists is not None:
            raise SeedDataError(
                f"cannot restore {table} id={row['id']}: a row with that key exists (was this "
                "backup restored already?); nothing was restored"
            )
        added = live.setdefault(table, {c.name for c in app_columns(conn, table)})
        unknown = sorted(k for k in row if k not in t.c and k not in added)
        if unknown:
            raise SeedDataError(
                f"cannot restore {table} id={row['id']}: the backup has column(s) "
                f"{', '.join(unknown)} that {table} no longer has; add them back first; "
                "nothing was restored"
            )
        # every live column the backup holds, the models' with their types
        target = sa.table(table, *(sa.column(k, t.c[k].type if k in t.c else None) for k in row))
        conn.execute(target.insert().values(row))
        key = (table, str(origin["run_id"]), origin.get("revision"))
        restored.setdefault(key, []).append(int(row["id"]))
    totals: dict[str, int] = {}
    for (table, run_id, revision), ids in restored.items():
        ledger.record_rows(conn, run_id, revision, table, ids)
        totals[table] = totals.get(table, 0) + len(ids)
    return totals


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


def restore_file(
    options: RunOptions, url: URL, path: str, header: dict[str, Any] | None = None
) -> tuple[SeedRun, StepResult]:
    """Load a backup file's rows back with their keys and record their provenance; outside dev
    the restore must be confirmed. ``header``: what :func:`check_backup` returned for the file,
    when the caller checked it already; else it is checked here (a damaged file is refused
    before the lock is taken)."""
    if header is None:
        header = check_backup(path)

    def body(run: SeedRun) -> StepResult:
        assert run.connection is not None
        run.confirm_destructive(f"restore of {path}")
        result = run.begin_step(None, "restore")
        result.rows = restore_backup(run.connection, path)
        # the restored rows feed derived columns again (reservations, client balances)
        derive_after(run.connection, result.rows, options.as_of)
        result.detail = f"backup {path} (run {header.get('run_id')})"
        result.outcome = "dry-run" if options.dry_run else "restored"
        return result

    return run_locked(options, url, None, body)

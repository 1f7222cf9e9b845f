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

from terp_seed import ledger
from terp_seed.errors import ConfigError, SeedDataError
from terp_seed.ledger import Scope, seeded_ids
from terp_seed.runtime.run import SeedRun
from terp_seed.schema import TERP_TABLES, metadata

FORMAT = "terp-seed-backup/1"
BACKUP_DIR_ENV = "TERP_SEED_BACKUP_DIR"


def backup_dir() -> Path:
    return Path(os.environ.get(BACKUP_DIR_ENV, "backups"))


def write_backup(conn: sa.Connection, run: SeedRun, scope: Scope) -> str:
    """Write every row in ``scope`` (with its ledger entry) to a new backup file."""
    directory = backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{run.run_id}.jsonl"
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
            q = sa.select(t).where(t.c.id.in_(seeded_ids(conn, scope, table))).order_by(t.c.id)
            for row in conn.execute(q):
                out.write(json.dumps({"table": table, "row": _encode(dict(row._mapping))}) + "\n")
    return str(path)


def read_backup(path: str) -> tuple[dict[str, Any], Iterator[tuple[str, dict[str, Any]]]]:
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

    def rows() -> Iterator[tuple[str, dict[str, Any]]]:
        with handle:
            for line in handle:
                item = json.loads(line)
                table = item["table"]
                if table not in metadata.tables:
                    raise SeedDataError(f"backup {path!r} names unknown table {table!r}")
                yield table, _decode(metadata.tables[table], item["row"])

    return header, rows()


def restore_backup(conn: sa.Connection, run: SeedRun, path: str) -> dict[str, int]:
    """Insert a backup's rows with their original keys and re-record their provenance."""
    header, rows = read_backup(path)
    scope = Scope(run_id=f"restore:{header['run_id']}"[:32])
    if ledger.counts(conn, scope):
        raise SeedDataError(
            f"backup {path!r} was already restored (run {scope.run_id}); nothing was changed"
        )
    restored: dict[str, list[int]] = {}
    for table, row in rows:
        t = metadata.tables[table]
        try:
            conn.execute(t.insert().values(row))
        except sa.exc.IntegrityError as exc:
            raise SeedDataError(
                f"cannot restore {table} id={row.get('id')}: {str(exc.orig).splitlines()[0]}; "
                "a row with that key exists. Nothing was restored"
            ) from None
        restored.setdefault(table, []).append(int(row["id"]))
    for table, ids in restored.items():
        ledger.record_rows(conn, scope.run_id or "", None, table, ids)
    return {t: len(ids) for t, ids in restored.items()}


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
        else:
            out[key] = value
    return out


def _decode(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key not in table.c:
            raise SeedDataError(f"backup row for {table.name} has unknown column {key!r}")
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

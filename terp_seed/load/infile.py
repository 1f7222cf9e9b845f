"""MySQL/MariaDB ``LOAD DATA LOCAL INFILE``: a chunk's text loaded in one statement.

The text comes from :mod:`terp_seed.load.encoder`. The file is an anonymous temporary file
(``/proc/self/fd/N`` on Linux, so it never has a name and disappears however the process ends; a
named temporary file removed in ``finally`` elsewhere), or for a streamed chunk a pipe
(:mod:`terp_seed.load.pipe`, :func:`load_file`). With ``LOCAL`` the server turns data errors
into warnings and carries on, so every warning, and any difference between rows sent and rows
inserted, fails the load.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from terp_seed.db.pymysql_conn import offering
from terp_seed.errors import SeedDataError

WARNINGS_SHOWN = 5
_MYSQL = mysql.dialect()


def load_data(
    dbapi_conn: Any, table: sa.Table, columns: Sequence[str], payload: bytes, keys: Sequence[object]
) -> None:
    """``LOAD DATA LOCAL INFILE`` of ``payload`` into ``table`` on a PyMySQL connection.

    :raises SeedDataError: the server inserted fewer rows than sent or raised any warning
        (truncation, bad value, duplicate key, failed CHECK); the caller rolls back.
    """
    with _data_file(payload) as path:
        load_file(dbapi_conn, table, columns, path, keys)


def load_file(
    dbapi_conn: Any, table: sa.Table, columns: Sequence[str], path: str, keys: Sequence[object]
) -> None:
    """``LOAD DATA LOCAL INFILE`` of the file at ``path`` (a pipe: read until its end), whose
    lines are the rows with ``keys``; :func:`load_data`'s checks and errors. ``keys`` is read
    once the statement has ended, so a pipe's writer may add to it until it closes the pipe."""
    quote = _MYSQL.identifier_preparer.quote
    target = (
        f"{quote(table.name)} CHARACTER SET utf8mb4 "
        "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
        f"({', '.join(quote(c) for c in columns)})"
    )
    # PyMySQL interpolates %s client-side: a literal % in a name must be doubled
    sql = "LOAD DATA LOCAL INFILE %s INTO TABLE " + target.replace("%", "%%")
    with dbapi_conn.cursor() as cursor, offering(dbapi_conn, path):
        inserted = cursor.execute(sql, (path,))
        warnings = cursor.warning_count
        shown: list[tuple[Any, ...]] = []
        if warnings:
            cursor.execute(f"SHOW WARNINGS LIMIT {WARNINGS_SHOWN}")
            shown = list(cursor.fetchall())
    if warnings or inserted != len(keys):
        raise SeedDataError(
            _warning_message(table.name, len(keys), inserted, warnings, shown, keys)
        )


def _warning_message(
    table: str,
    sent: int,
    inserted: int,
    warnings: int,
    shown: list[tuple[Any, ...]],
    keys: Sequence[object],
) -> str:
    import re

    details = []
    for level, code, message in shown:
        match = re.search(r"at row (\d+)", str(message))
        key = ""
        if match and 0 < int(match.group(1)) <= len(keys):
            key = f" (row id {keys[int(match.group(1)) - 1]})"
        details.append(f"{level} {code}: {message}{key}")
    return (
        f"bulk load into {table} inserted {inserted} of {sent} rows with {warnings} warning(s)"
        + (f": {'; '.join(details)}" if details else "")
        + "; nothing of this step was written (fix the values or the schema)"
    )


@contextmanager
def _data_file(payload: bytes) -> Iterator[str]:
    """A temporary file holding ``payload``; yields its path for ``LOAD DATA``; gone on exit."""
    with tempfile.TemporaryFile(prefix="terp-seed-") as handle:
        handle.write(payload)
        handle.flush()
        proc_path = f"/proc/self/fd/{handle.fileno()}"
        if os.path.exists(proc_path):
            yield proc_path  # an anonymous file: nothing on disk to remove, even after a kill
            return
    fd, path = tempfile.mkstemp(prefix="terp-seed-", suffix=".tsv")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        yield path
    finally:
        os.unlink(path)

"""Rendering seed rows as SQL text for ``alembic -n seed upgrade head --sql``.

SQLAlchemy renders literal values for most types but has no literal renderer for JSON; the
offline INSERT therefore targets a lightweight copy of the table whose JSON columns are text,
with the JSON values serialised here exactly as the JSON type would store them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from terp_seed.load.encoder import plain_json
from terp_seed.schema import metadata
from terp_seed.store import ledger
from terp_seed.store.tables import LEDGER_TABLE
from terp_seed.validation.types import Row


def offline_insert(table: sa.Table, rows: Sequence[dict[str, Any]]) -> sa.Insert:
    """A multi-row INSERT of ``rows`` into ``table`` that renders with literal binds."""
    json_cols = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    lite = sa.table(
        table.name,
        *(sa.column(c.name, sa.Text() if c.name in json_cols else c.type) for c in table.columns),
    )
    if json_cols:
        rows = [
            {k: (json.dumps(v) if k in json_cols and v is not None else v) for k, v in r.items()}
            for r in rows
        ]
    return lite.insert().values(list(rows))


GROUP_CONCAT_MAX = "SET SESSION group_concat_max_len = 4294967295"
"""MySQL's default (1,024 bytes) would cut a range's packed checksums."""


def offline_checksums(
    table: sa.Table, checksum: sa.ColumnElement[bytes], dialect: sa.Dialect, run_id: str
) -> sa.TextClause:
    """The UPDATE that has the server fill in the checksums of ``run_id``'s ledger rows of
    ``table`` when the script runs, as the online path records them: each row's ``checksum``
    packed in key order (MySQL/MariaDB, after :data:`GROUP_CONCAT_MAX`)."""
    quote = dialect.identifier_preparer.quote
    name, entries = quote(table.name), quote(LEDGER_TABLE)
    each = str(checksum.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return sa.text(
        f"UPDATE {entries} SET checksums = (SELECT GROUP_CONCAT({each} ORDER BY {name}.id "
        f"SEPARATOR '') FROM {name} WHERE {name}.id BETWEEN {entries}.first_pk AND "
        f"{entries}.last_pk) WHERE {entries}.run_id = :run AND {entries}.table_name = :t "
        f"AND {entries}.checksums IS NULL"
    ).bindparams(sa.bindparam("run", run_id, sa.String), sa.bindparam("t", table.name, sa.String))


def render_chunk(
    execute: Callable[[sa.Executable], Any],
    table: str,
    rows: list[Row],
    *,
    run_id: str,
    revision: str | None,
) -> None:
    """Hand ``execute`` (which renders offline) the INSERT of ``rows`` and their ledger rows."""
    t = metadata.tables[table]
    plain = plain_json(t, rows)
    execute(offline_insert(t, plain))
    execute(ledger.offline_entries(run_id, revision, table, (r["id"] for r in plain)))

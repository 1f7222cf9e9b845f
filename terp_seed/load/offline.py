"""Rendering seed rows as SQL text for ``alembic -n seed upgrade head --sql``.

SQLAlchemy renders literal values for most types but has no literal renderer for JSON; the
offline INSERT therefore targets a lightweight copy of the table whose JSON columns are text,
with the JSON values serialised here exactly as the JSON type would store them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


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

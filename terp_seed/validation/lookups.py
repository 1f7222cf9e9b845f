"""Which of the given keys, unique values and references the database already holds (a CSV
file's, a backup's)."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

CHECK_CHUNK = 1000  # values per IN (...) query
COMPOUND_LIMIT = 500  # branches of a UNION ALL: SQLite allows no more (SQLITE_MAX_COMPOUND_SELECT)


def existing(conn: sa.Connection, column: sa.Column[Any], values: list[Any]) -> list[Any]:
    """Those of ``values`` that ``column`` holds, compared by the database (its collation).

    One ``IN (...)`` per 1,000 values finds whether any is there. Integers are then known by
    what it returned; for other values, the stored text may differ from the given one under
    the column's collation ('ABC' for 'abc'), so the database compares each given value
    (:func:`_matching`), only for a chunk where ``IN`` found something.
    """
    found: list[Any] = []
    exact = isinstance(column.type, sa.Integer)
    for start in range(0, len(values), CHECK_CHUNK):
        chunk = values[start : start + CHECK_CHUNK]
        stored = conn.execute(_stored(column), {"given": chunk}).all()
        if not stored:
            continue
        if exact:
            held = {int(v) for (v,) in stored}
            found.extend(v for v in chunk if v in held)
            continue
        for first in range(0, len(chunk), COMPOUND_LIMIT):
            part = chunk[first : first + COMPOUND_LIMIT]
            hits = conn.execute(
                _matching(column, len(part)), {f"v{i}": v for i, v in enumerate(part)}
            ).scalars()
            found.extend(part[int(i)] for i in hits)
    return found


@functools.cache
def _stored(column: sa.Column[Any]) -> sa.Select[Any]:
    """``SELECT column FROM its table WHERE column IN :given`` (built once)."""
    return sa.select(column).where(column.in_(sa.bindparam("given", expanding=True)))


@functools.cache
def _matching(column: sa.Column[Any], count: int) -> sa.Select[Any]:
    """``SELECT n FROM (SELECT 0 AS n, :v0 AS v UNION ALL ...) WHERE EXISTS (a row whose
    column = v)``: which of ``count`` given values the column holds. Built once per size and
    reused (building it took 0.1 s per 1,000 values, 24 s for a file of 100,000 rows)."""
    given = sa.union_all(
        *(
            sa.select(
                sa.literal_column(str(i)).label("n"),
                sa.bindparam(f"v{i}", type_=column.type).label("v"),
            )
            for i in range(count)
        )
    ).subquery()
    return sa.select(given.c.n).where(sa.exists().where(column == given.c.v))

"""Row checksums: what tells a seeded row changed since seeding.

The checksum of a row is the MD5 of its values as the database casts them to text, joined by
0x1F, over every column but the ON UPDATE timestamps, in table order
(:meth:`terp_seed.db.dialects.Dialect.checksum`). NULL reads ``\\N``; inside a value a backslash
reads ``\\\\`` and 0x1F reads ``\\s``, so no value's text can be taken for NULL or for two values
(layout 3; layout 2 joined the bare texts, see :mod:`terp_seed.store.upgrades`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from terp_seed.db.dialects import dialect_of
from terp_seed.errors import SeedDataError

DIGEST = 16  # bytes of one row's checksum
PACKED_KEYS = 2_000  # keys whose checksums the server packs in one query


def checksum_columns(table: sa.Table) -> list[sa.Column[object]]:
    """Columns that count for "changed since seeding": all but ON UPDATE timestamps."""
    return [c for c in table.columns if c.name not in ("updatedAt", "updated_at")]


def checksum_expr(
    conn: sa.Connection, table: sa.Table, *, legacy: bool = False
) -> sa.ColumnElement[bytes]:
    """SQL for a row's 16-byte checksum, computed by the database on the stored row
    (``legacy``: in layout 2's form, values not escaped)."""
    return dialect_of(conn).checksum(checksum_columns(table), legacy=legacy)


def range_checksums(conn: sa.Connection, t: sa.Table, first: int, last: int) -> tuple[int, bytes]:
    """How many rows of ``t`` have keys ``first..last``, and their checksums in key order.

    On MySQL the server packs them with ``GROUP_CONCAT``, :data:`PACKED_KEYS` keys a query:
    its result is cut at ``max_allowed_packet`` (32 KB a query, far below the smallest packet
    a server allows for a statement of ours).
    """
    expr = checksum_expr(conn, t)
    if not dialect_of(conn).packs_checksums:
        where = t.c.id.between(first, last)
        sums = [bytes(d) for (d,) in conn.execute(sa.select(expr).where(where).order_by(t.c.id))]
        return len(sums), b"".join(sums)
    if not conn.info.get("terp_seed_group_concat"):  # once per connection
        conn.exec_driver_sql("SET SESSION group_concat_max_len = 4294967295")
        conn.info["terp_seed_group_concat"] = True
    packed = sa.func.group_concat(
        sa.literal_column(_compiled(conn, expr) + " ORDER BY id SEPARATOR ''"),
        type_=sa.LargeBinary,
    )
    total, parts = 0, []
    for start in range(first, last + 1, PACKED_KEYS):
        where = t.c.id.between(start, min(last, start + PACKED_KEYS - 1))
        found, blob = conn.execute(sa.select(sa.func.count(), packed).where(where)).one()
        blob = bytes(blob or b"")
        if len(blob) != int(found) * DIGEST:
            raise SeedDataError(
                f"ledger: the server returned {len(blob)} bytes of checksums for {found} rows "
                f"of {t.name} (cut at group_concat_max_len or max_allowed_packet); raise "
                "max_allowed_packet on the server (the default is 16 MiB)"
            )
        total += int(found)
        parts.append(blob)
    return total, b"".join(parts)


def _compiled(conn: sa.Connection, expr: sa.ColumnElement[Any]) -> str:
    return str(expr.compile(conn, compile_kwargs={"literal_binds": True}))

"""Key reservations in flight: ``terp_seed_key_reservations``, one row per raised AUTO_INCREMENT.

A run notes each reservation (table, counter before, counter after) before its ``ALTER TABLE
... AUTO_INCREMENT`` and forgets it once it has given the unused keys back. A row left over is
a run that died in between (killed, out of memory, the server gone): the next run, holding the
seed lock, gives those keys back (:mod:`terp_seed.runtime.key_recovery`). This module is the
only one that reads or writes the table.
"""

from __future__ import annotations

import sqlalchemy as sa

from terp_seed.store.audit import utcnow
from terp_seed.store.tables import key_reservations


def _kept(conn: sa.Connection) -> bool:
    # reservations outside a run (no own tables yet: a test, a tool) are not journaled
    return sa.inspect(conn).has_table(key_reservations.name)


def note(conn: sa.Connection, table: str, before: int, end: int) -> int | None:
    """Record that ``table``'s AUTO_INCREMENT is about to go from ``before`` to ``end``; returns
    the note's id (None when not journaled)."""
    if not _kept(conn):
        return None
    done = conn.execute(
        key_reservations.insert().values(
            table_name=table, counter_before=before, counter_after=end, reserved_at=utcnow()
        )
    )
    key = done.inserted_primary_key
    return None if key is None else int(key[0])


def withdraw(conn: sa.Connection, note_id: int | None) -> None:
    """Drop one note: its ``ALTER`` did not happen."""
    if note_id is not None:
        conn.execute(key_reservations.delete().where(key_reservations.c.id == note_id))


def forget(conn: sa.Connection, table: str) -> None:
    """Forget ``table``'s reservations: its unused keys were given back (or need not be)."""
    if _kept(conn):
        conn.execute(key_reservations.delete().where(key_reservations.c.table_name == table))


def left_over(conn: sa.Connection) -> dict[str, tuple[int, int]]:
    """Reservations no run gave back: table -> (counter before the first, after the last)."""
    if not _kept(conn):
        return {}
    k = key_reservations.c
    rows = conn.execute(
        sa.select(k.table_name, sa.func.min(k.counter_before), sa.func.max(k.counter_after))
        .group_by(k.table_name)
        .order_by(k.table_name)
    )
    return {str(t): (int(b), int(e)) for t, b, e in rows}

"""Stand-ins for terp-seed's own tables, so that a dry run works on a database that has none.

A dry run writes nothing that outlives it, and ``CREATE TABLE`` would commit on MySQL. Where
terp-seed's own tables are missing (a database nobody seeded yet, before ``terp-seed init``),
a dry run creates them as ``TEMPORARY`` tables on its own connection, before its transaction
begins: only that session sees them, the run records its ledger and audit rows in them as a
real run would, and they vanish with the connection (the run closes it for good at its end).
"""

from __future__ import annotations

import sqlalchemy as sa

from terp_seed.store.tables import bookkeeping_metadata


def create_stand_ins(conn: sa.Connection) -> list[str]:
    """Create a TEMPORARY copy of each of terp-seed's own tables missing in ``conn``'s
    database; return their names. Call it outside a transaction that has written anything
    (MySQL commits around DDL other than CREATE TEMPORARY TABLE, e.g. the indexes)."""
    present = set(sa.inspect(conn).get_table_names())
    made: list[str] = []
    copies = sa.MetaData()
    for table in bookkeeping_metadata.sorted_tables:
        if table.name in present:
            continue
        copy = table.to_metadata(copies)
        copy._prefixes = ["TEMPORARY"]  # what Table(..., prefixes=[...]) sets
        copy.create(conn)
        made.append(table.name)
    if conn.in_transaction():
        conn.commit()
    return made

"""Holding a seed run in the middle of a revision, for tests of what an interruption leaves.

The seed records each chunk it inserts in the ledger in the same transaction. An open
transaction holding an uncommitted ledger row for ``(table, key)`` makes the seed's recording
of the chunk holding ``key`` wait on that row's lock: the seed stops with the chunk (and every
chunk before it) inserted and uncommitted, its advisory lock held, until the holder commits,
rolls back, or the seed's lock wait times out. It touches none of TERP's tables, so it never
stands in the way of the seed's key reservation (:mod:`terp_seed.runtime.key_blocks`), which waits
for transactions open on the tables it reserves keys in.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from terp_seed.runtime.key_blocks import auto_increment
from terp_seed.schema import metadata
from terp_seed.store import reservations
from terp_seed.store.tables import LEDGER_TABLE, ledger


def hold_ledger(
    engine: sa.Engine, table: str, key: int | None = None, *, conn: sa.Connection | None = None
) -> sa.Connection:
    """An open transaction (on ``conn``, or a new connection) holding the ledger row
    ``(table, key)``; roll it back or close it to let go.

    ``key`` defaults to the first key the seed's next block in ``table`` will start at: the
    table's AUTO_INCREMENT, or ``MAX(id) + 1`` if larger (:mod:`terp_seed.runtime.key_blocks`);
    when a run that died left the counter raised, the next run gives those keys back first
    (:mod:`terp_seed.runtime.key_recovery`). terp-seed's own tables must exist.
    """
    if key is None:  # read on a connection of its own: the hold must not keep ``table`` open
        with engine.connect() as probe:
            top = probe.execute(sa.select(sa.func.max(metadata.tables[table].c.id))).scalar()
            counter = auto_increment(probe, table)
            left = reservations.left_over(probe).get(table)
            if left is not None and left[1] == counter:
                counter = left[0]
            key = max(counter, int(top or 0) + 1)
    conn = conn if conn is not None else engine.connect()
    conn.execute(
        ledger.insert().values(
            run_id="test-hold", revision=None, table_name=table, first_pk=key, last_pk=key
        )
    )
    return conn


def waiting_on_ledger(
    engine: sa.Engine, table: str | None = None, *, after_ms: int = 1000
) -> list[int]:
    """Connection ids of sessions whose ledger recording (of ``table``'s rows) has been
    running for ``after_ms`` or more: held, since a chunk records in milliseconds.

    Rows of a rolled-back seed stay in the ledger's unique index, delete-marked, until InnoDB
    purges them; a hold's insert then also locks the gap before its key, and the seed may wait
    at an earlier table than ``table``: pass ``None`` to accept any. (The statement's own
    running time is what tells a wait here: ``information_schema.INNODB_TRX`` is a cache that
    can lag far behind while other databases on the server are busy.)
    """
    with engine.connect() as conn:
        own = conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar()
        rows = conn.execute(
            sa.text(
                "SELECT ID FROM information_schema.PROCESSLIST "
                "WHERE DB = DATABASE() AND ID <> :own AND TIME_MS >= :after "
                "AND INFO LIKE :insert AND INFO LIKE :table"
            ),
            {
                "own": own,
                "after": after_ms,
                "insert": f"INSERT INTO {LEDGER_TABLE}%",
                "table": "%" if table is None else f"%'{table}'%",
            },
        )
        return [int(i) for i in rows.scalars()]


# InnoDB refreshes the cache behind information_schema.INNODB_TRX only when nobody has read it
# for 0.1 s: polled faster, it never changes. Reads from here are spaced out by this much.
_TRX_CACHE_IDLE = 0.15
_last_trx_read = 0.0


def uncommitted_rows(engine: sa.Engine) -> int:
    """Rows changed by the open transactions of this database's sessions (a seed held
    mid-revision has some; one killed has none once the server has rolled it back)."""
    global _last_trx_read
    pause = _last_trx_read + _TRX_CACHE_IDLE - time.monotonic()
    if pause > 0:
        time.sleep(pause)
    try:
        with engine.connect() as conn:
            value = conn.execute(
                sa.text(
                    "SELECT COALESCE(SUM(t.trx_rows_modified), 0) "
                    "FROM information_schema.INNODB_TRX t "
                    "JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
                    "WHERE p.DB = DATABASE()"
                )
            ).scalar()
    finally:
        _last_trx_read = time.monotonic()
    return int(value or 0)

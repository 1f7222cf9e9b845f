"""A dry run leaves every table's AUTO_INCREMENT as it found it.

A seed gives its rows their keys itself. On InnoDB an insert with an explicit key moves the
table's AUTO_INCREMENT past it, and a rollback does not move it back: without this module, a
dry run would make the real run's (and the application's) keys start where the dry run's
rolled-back rows ended. :func:`read_counters` notes every counter before the dry run;
:func:`put_back` sets each one that moved back to what it was, never below ``MAX(key) + 1``
(InnoDB refuses lower anyway), after the dry run's transaction is rolled back and while the
run still holds the seed lock, so that no other seed run has reserved keys meanwhile.
``ALTER TABLE ... AUTO_INCREMENT`` is instant on InnoDB; it is DDL, so it runs on a connection
of its own after the rollback. MySQL/MariaDB only: SQLite rolls its counters back itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import sqlalchemy as sa

from terp_seed.db.dialects import dialect_of
from terp_seed.errors import TerpSeedError
from terp_seed.runtime.lock import HeldLock

log = logging.getLogger(__name__)

Counters = Mapping[str, tuple[str, int]]
"""Table -> (its AUTO_INCREMENT column, the counter)."""


def read_counters(conn: sa.Connection) -> dict[str, tuple[str, int]]:
    """Every AUTO_INCREMENT of the database ``conn`` is in (empty where counters roll back
    with the transaction, i.e. on SQLite)."""
    if not dialect_of(conn).reserves_keys:
        return {}
    rows = conn.execute(
        sa.text(
            "SELECT t.TABLE_NAME, c.COLUMN_NAME, t.AUTO_INCREMENT "
            "FROM information_schema.TABLES t JOIN information_schema.COLUMNS c "
            "ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME "
            "WHERE t.TABLE_SCHEMA = DATABASE() AND t.AUTO_INCREMENT IS NOT NULL "
            "AND t.TABLE_TYPE = 'BASE TABLE' AND c.EXTRA LIKE '%auto_increment%'"
        )
    )
    return {str(t): (str(col), int(n)) for t, col, n in rows}


def put_back(engine: sa.Engine, held: HeldLock, before: Counters) -> None:
    """Set every counter that moved since ``before`` back to it (or to ``MAX(key) + 1`` if the
    application inserted meanwhile). Tidying after a dry run: a table another session keeps
    open, or a lost lock, leaves the counter where it is, with a warning."""
    if not before:
        return
    try:
        side = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except sa.exc.DBAPIError as exc:
        log.warning("the dry run left AUTO_INCREMENT past its rolled-back keys: %s", exc.orig)
        return
    with side:
        try:
            held.check(side)
            side.execute(sa.text("SET SESSION lock_wait_timeout = 5"))
            now = read_counters(side)
        except (TerpSeedError, sa.exc.DBAPIError) as exc:
            log.warning("the dry run left AUTO_INCREMENT past its rolled-back keys: %s", exc)
            return
        for table, (column, counter) in sorted(now.items()):
            if table in before and counter > before[table][1]:
                try:
                    _lower(side, table, column, before[table][1], counter)
                except sa.exc.DBAPIError as exc:
                    log.warning(
                        "the dry run left AUTO_INCREMENT of %s at %d, past its rolled-back keys "
                        "(%s): harmless, the next keys only skip those",
                        table,
                        counter,
                        str(exc.orig).splitlines()[0],
                        extra={"table": table},
                    )


def _lower(side: sa.Connection, table: str, column: str, before: int, now: int) -> None:
    quote = side.dialect.identifier_preparer.quote
    top = side.execute(sa.text(f"SELECT MAX({quote(column)}) FROM {quote(table)}")).scalar()
    target = max(before, int(top or 0) + 1)
    if target < now:
        side.execute(sa.text(f"ALTER TABLE {quote(table)} AUTO_INCREMENT = {target}"))

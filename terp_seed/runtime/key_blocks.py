"""Primary-key blocks reserved before a seed transaction, so the application never takes a
key the seed is about to use.

The seed chooses its rows' primary keys itself (the ledger and the child rows need them before
the insert). The application takes its keys from AUTO_INCREMENT. Without a reservation the two
collide as soon as the application inserts while a seed runs: the seed picks ``MAX(id) + 1``,
the application's next AUTO_INCREMENT value is the same number.

Before a revision's transaction touches a table, on a connection of its own, terp-seed raises
the table's AUTO_INCREMENT past a block of keys for its rows (``ALTER TABLE ... AUTO_INCREMENT
= n``, instant on InnoDB). The ALTER waits for every open transaction on the table (metadata
lock), so when it returns every key below ``n`` that anyone was given is committed and
visible: the block is what lies between the largest of them and ``n``. The application's
inserts from then on get keys from ``n`` up. A block never starts below the counter, so no key
the database handed out before is handed out again. After the run, while it still holds the
seed lock, the unused rest of each block is given back (:func:`release`).

MySQL/MariaDB only: SQLite serialises writers, and a dry run reserves nothing (the counters
its rolled-back inserts move are put back afterwards, :mod:`terp_seed.runtime.counters`).
Without the ALTER privilege the seed falls back to ``MAX(id) + 1`` with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from terp_seed.db.dialects import dialect_of
from terp_seed.db.engine import lock_wait_timeout
from terp_seed.db.errors import ER_LOCK_WAIT_TIMEOUT, db_error_code
from terp_seed.db.keys import ceiling_text, key_ceiling
from terp_seed.errors import TerpSeedError
from terp_seed.factories.base import aligned_with
from terp_seed.runtime.lock import HeldLock
from terp_seed.schema import metadata
from terp_seed.store import reservations

log = logging.getLogger(__name__)

ER_TABLEACCESS_DENIED = 1142
SPARE_KEYS = 1000
"""Keys reserved on top of twice the rows a step is expected to write."""
ATTEMPTS = 5
RACE_ROOM = 1000
"""Keys asked for beyond the block, for the application's inserts that commit while the ALTER
waits (they take keys right after the old maximum)."""
DEFAULT_WAIT = 60
"""Seconds the ALTER waits for open transactions when TERP_SEED_LOCK_WAIT_TIMEOUT is unset
(the server's own default for metadata locks is a year)."""


@dataclass
class KeyBlock:
    """Keys ``first`` up to (not including) ``end``, reserved for one table whose
    AUTO_INCREMENT was ``before`` until the reservation raised it to ``end``."""

    first: int
    end: int
    before: int = 1

    @property
    def size(self) -> int:
        return self.end - self.first


def budget(expected: Mapping[str, int]) -> dict[str, int]:
    """How many keys to reserve per table for ``expected`` rows: twice as many, plus spare.

    Factories write about the preset's count (an order has one to six lines, four on
    average); a block that still runs out fails the step with a clear error, never a
    collision.
    """
    return {table: 2 * max(0, n) + SPARE_KEYS for table, n in expected.items()}


def reserve(conn: sa.Connection, wanted: Mapping[str, int]) -> dict[str, KeyBlock]:
    """Reserve a block of at least ``wanted[t]`` keys in each table ``t``.

    Call it before ``conn``'s transaction reads or writes those tables: the ALTER waits for
    every transaction that has, and would wait for ``conn`` itself.

    :raises TerpSeedError: another transaction kept a table open past the lock wait timeout.
    """
    if not wanted or not dialect_of(conn).reserves_keys:
        return {}
    side = conn.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        wait = lock_wait_timeout() or DEFAULT_WAIT
        side.execute(sa.text(f"SET SESSION lock_wait_timeout = {int(wait)}"))
        blocks: dict[str, KeyBlock] = {}
        for table in sorted(wanted):
            if table in blocks:
                continue
            group = sorted(t for t in aligned_with(table) if t in wanted)
            found = _reserve_aligned(side, group, wanted) if len(group) > 1 else None
            if len(group) == 1:
                block = _reserve_one(side, table, wanted[table])
                found = None if block is None else {table: block}
            if found is None:
                return {}
            blocks.update(found)
        log.info(
            "reserved primary keys: %s",
            ", ".join(f"{t} {b.first}-{b.end - 1}" for t, b in blocks.items()),
            extra={"reserved": {t: [b.first, b.end - 1] for t, b in blocks.items()}},
        )
        return blocks
    finally:
        side.close()


ALIGN_ROOM = 10_000  # keys an aligned block leaves for concurrent inserts before it


def _reserve_aligned(
    side: sa.Connection, tables: list[str], wanted: Mapping[str, int]
) -> dict[str, KeyBlock] | None:
    """Blocks for tables whose key spaces are aligned (``factories.base.ALIGNED_KEYS``): all
    start at the same key, the largest next key of any of them, so a row of one can take the
    key of its partner in another. Each table's AUTO_INCREMENT is raised past its block."""
    counters = {t: auto_increment(side, t) for t in tables}  # before the run, for release
    for _ in range(ATTEMPTS):
        floor = max(_next_free(side, t) for t in tables)
        blocks: dict[str, KeyBlock] = {}
        for table in tables:
            # room for the application's inserts meanwhile: the blocks need only share a run
            # of keys, not their first one
            block = _reserve_one(side, table, wanted[table] + ALIGN_ROOM, floor)
            if block is None:
                return None
            blocks[table] = block
        start = max(b.first for b in blocks.values())
        if all(b.end - start >= wanted[t] for t, b in blocks.items()):
            return {t: KeyBlock(start, b.end, counters[t]) for t, b in blocks.items()}
        # the application took more keys than the room meanwhile: again, higher up
    raise TerpSeedError(
        f"could not reserve primary keys on {', '.join(tables)} from one first key: other "
        f"sessions kept inserting into them {ATTEMPTS} times over; nothing was written. Re-run "
        "when the tables are quieter"
    )


def _next_free(side: sa.Connection, table: str) -> int:
    """The lowest key the table may hand out: past its counter and its largest key."""
    t = metadata.tables[table]
    top = int(side.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0)
    return max(auto_increment(side, table), top + 1)


def _reserve_one(side: sa.Connection, table: str, need: int, floor: int = 1) -> KeyBlock | None:
    """A block of ``need`` keys of ``table`` starting at ``floor`` or later."""
    t = metadata.tables[table]
    quoted = side.dialect.identifier_preparer.quote(table)
    for _ in range(ATTEMPTS):
        # Never below the counter: a key the database handed out once (to a row since deleted,
        # or to a rolled-back insert) is not handed out again.
        before = auto_increment(side, table)
        top = int(side.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0)
        end = max(before, top + 1, floor) + need + RACE_ROOM
        if end - 1 > key_ceiling(side, table):
            raise TerpSeedError(
                f"cannot reserve {need:,} primary keys on {table}: the block would end at key "
                f"{end - 1:,}, past the largest key terp-seed takes there, "
                f"{ceiling_text(side, table)}; nothing was written. Seed a smaller size"
            )
        # noted first: a run that dies after the ALTER leaves the keys to the next run to give
        # back (runtime/key_recovery.py)
        noted = reservations.note(side, table, before, end)
        try:
            side.execute(sa.text(f"ALTER TABLE {quoted} AUTO_INCREMENT = {end}"))
        except sa.exc.DBAPIError as exc:
            reservations.withdraw(side, noted)
            _refused(exc, table)  # raises, unless the privilege is missing
            return None
        # Every key below ``end`` handed out before the ALTER is committed now.
        below = side.execute(sa.select(sa.func.max(t.c.id)).where(t.c.id < end)).scalar()
        first = max(before, int(below or 0) + 1, floor)
        if end - first >= need:
            return KeyBlock(first, end, before)
    raise TerpSeedError(
        f"could not reserve {need:,} primary keys on {table}: other sessions kept inserting "
        f"into the block {ATTEMPTS} times over; nothing was written. Re-run when the table is "
        "quieter"
    )


def auto_increment(conn: sa.Connection, table: str) -> int:
    """The table's AUTO_INCREMENT: the next key the database hands out (MySQL/MariaDB)."""
    value = conn.execute(
        sa.text(
            "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"
        ),
        {"t": table},
    ).scalar()
    return int(value or 1)


def _refused(exc: sa.exc.DBAPIError, table: str) -> None:
    code = db_error_code(exc)
    if code == ER_TABLEACCESS_DENIED:
        log.warning(
            "cannot reserve primary keys on %s (no ALTER privilege): the seed takes keys after "
            "MAX(id), and an application inserting into it meanwhile may collide with it (the "
            "step then fails whole). GRANT ALTER on TERP's tables to the seed user to avoid it",
            table,
            extra={"table": table},
        )
        return None
    if code == ER_LOCK_WAIT_TIMEOUT:
        raise TerpSeedError(
            f"could not reserve primary keys on {table}: another session kept the table open "
            "longer than lock_wait_timeout (a long transaction, or LOCK TABLES); nothing was "
            "written. Let it finish (see information_schema.INNODB_TRX) and re-run, or set "
            "TERP_SEED_LOCK_WAIT_TIMEOUT higher"
        ) from None  # this line says it all (a chained 1205 would be reported as a row lock)
    raise exc


def release(
    engine: sa.Engine, held: HeldLock, reserved: Mapping[str | None, Mapping[str, KeyBlock]]
) -> None:
    """After the run: give back the unused rest of each table's block.

    A table whose AUTO_INCREMENT is still where the reservation put it gets ``MAX(id) + 1``,
    never less than it was before the run (a seed that failed leaves it where it was). A table
    the application has inserted into since is left as it is (its counter is already past the
    block). Only while this run still holds the seed lock: once the lock is lost another run
    may have reserved keys of its own. Tidying only: a table that stays busy is skipped with a
    log line.
    """
    spans: dict[str, tuple[int, int]] = {}  # table -> (counter before the run, last block's end)
    for blocks in reserved.values():
        for table, block in blocks.items():
            spans[table] = (spans.get(table, (block.before, 0))[0], block.end)
    if not spans:
        return
    try:  # the server may be gone (the run failed because it was): then leave it
        side = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except sa.exc.DBAPIError as exc:
        log.warning("left AUTO_INCREMENT past the reserved keys: %s", _reason(exc))
        return
    with side:
        try:
            held.check(side)
            side.execute(sa.text("SET SESSION lock_wait_timeout = 1"))
        except (TerpSeedError, sa.exc.DBAPIError) as exc:
            log.warning("left AUTO_INCREMENT past the reserved keys: %s", _reason(exc))
            return
        for table, (before, end) in sorted(spans.items()):
            try:
                give_back(side, table, before, end)
                reservations.forget(side, table)
            except sa.exc.DBAPIError as exc:
                log.warning(
                    "left AUTO_INCREMENT of %s past the reserved keys (%s): harmless, the "
                    "application's next keys only skip the unused ones",
                    table,
                    _reason(exc),
                    extra={"table": table},
                )


def give_back(side: sa.Connection, table: str, before: int, end: int) -> None:
    """Lower ``table``'s AUTO_INCREMENT from ``end`` (where a reservation put it) to
    ``MAX(id) + 1``, never below ``before``; leave it when it is no longer at ``end``."""
    if auto_increment(side, table) != end:
        return  # keys past the block were handed out since: nothing to give back
    t = metadata.tables[table]
    top = int(side.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0)
    target = max(before, top + 1)
    if target < end:  # InnoDB never sets it below MAX(id) + 1, whatever committed meanwhile
        quoted = side.dialect.identifier_preparer.quote(table)
        side.execute(sa.text(f"ALTER TABLE {quoted} AUTO_INCREMENT = {target}"))


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).splitlines()[0] if str(orig or exc) else type(exc).__name__

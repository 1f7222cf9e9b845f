"""Giving back the keys a dead run reserved.

A run notes every reservation before it raises a table's AUTO_INCREMENT and forgets it once the
unused keys are given back (:mod:`terp_seed.runtime.key_blocks`, :mod:`terp_seed.store.
reservations`). A run killed in between (``kill -9``, out of memory, the server restarted)
leaves its note. The next real run, holding the seed lock and before it reserves anything,
lowers each such table's AUTO_INCREMENT back to ``MAX(id) + 1`` (never below where it was
before the dead run), when the counter is still where the dead run put it; a table the
application has inserted into since keeps its counter (the keys below it were handed out).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from terp_seed.runtime.key_blocks import auto_increment, give_back
from terp_seed.runtime.lock import HeldLock
from terp_seed.store import reservations

log = logging.getLogger(__name__)


def give_back_left_over(engine: sa.Engine, held: HeldLock) -> dict[str, tuple[int, int]]:
    """Give back what dead runs reserved; returns table -> (counter found, counter now)."""
    done: dict[str, tuple[int, int]] = {}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as side:
        left = reservations.left_over(side)
        if not left:
            return done
        held.check(side)
        side.execute(sa.text("SET SESSION lock_wait_timeout = 5"))
        for table, (before, end) in left.items():
            found = auto_increment(side, table)
            try:
                give_back(side, table, before, end)
            except sa.exc.DBAPIError as exc:  # busy: the next run tries again
                log.warning(
                    "could not give back the keys a dead run reserved on %s: %s", table, exc.orig
                )
                continue
            reservations.forget(side, table)
            done[table] = (found, auto_increment(side, table))
            log.warning(
                "gave back the keys a run that died reserved on %s: AUTO_INCREMENT %s -> %s",
                table,
                found,
                done[table][1],
                extra={"table": table},
            )
    return done

"""Creating, requiring and upgrading terp-seed's own tables, by their recorded layout version.

``terp_seed_layout`` holds one row: the layout version of terp-seed's own tables. Layout 1 is
the first ledger (one row per seeded row); layout 2 the ledger of key ranges; layout 3 (current)
the same, with checksums that escape a backslash and 0x1F inside values
(:func:`~terp_seed.store.upgrades.escape_checksums`).
:func:`ensure_own_tables` creates the tables at the current layout, or upgrades them one step
at a time, recording the version after each step; :func:`require_own_tables` (a dry run, which
may not run DDL) only checks. A database whose version was never recorded predates the layout
table: its layout is determined once, from its tables, and recorded (:func:`_bootstrap_layout`).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from terp_seed.errors import TerpSeedError
from terp_seed.store.tables import (
    AUDIT_TABLE,
    LAYOUT_TABLE,
    LEDGER_TABLE,
    OLD_LEDGER_TABLE,
    bookkeeping_metadata,
    layout,
)
from terp_seed.store.upgrades import (
    copy_row_ledger,
    drop_row_ledger,
    escape_checksums,
    retire_row_ledger,
)

FIRST_LAYOUT = 1  # the first ledger: one row per seeded row
RANGE_LAYOUT = 2  # the ledger of key ranges
CURRENT_LAYOUT = 3  # key ranges whose checksums escape backslash and 0x1F inside values


def ensure_own_tables(conn: sa.Connection) -> None:
    """Create terp-seed's own tables when missing and bring them to the current layout (DDL:
    call outside a seed transaction). A second call changes nothing.

    :raises TerpSeedError: the recorded layout is newer than this code knows (nothing written).
    """
    version = recorded_layout(conn)
    if version is None:
        # a fresh database is created at the current layout
        version = _bootstrap_layout(conn) or CURRENT_LAYOUT
        layout.create(conn, checkfirst=True)
        _record(conn, version)
    _refuse_newer(version)
    for step in range(version, CURRENT_LAYOUT):
        UPGRADES[step](conn)
        _record(conn, step + 1)
    bookkeeping_metadata.create_all(conn, checkfirst=True)
    conn.commit()
    # the first ledger is dropped only once layout 2 is recorded: a run killed in between
    # leaves it to this call, never a range ledger that a later step would take for layout 1
    drop_row_ledger(conn)


def require_own_tables(conn: sa.Connection) -> None:
    """A dry run must not convert or upgrade tables (DDL commits on MySQL): the tables it finds
    must be at the current layout (missing ones it replaces by stand-ins,
    :mod:`terp_seed.store.stand_ins`).

    :raises TerpSeedError: tables at a layout other than the current one.
    """
    version = layout_version(conn)
    conn.commit()
    if version == FIRST_LAYOUT:
        raise TerpSeedError(
            f"dry run: {LEDGER_TABLE} is in the first layout (one row per seeded row); run "
            "`terp-seed init` or a real seed run once to convert it"
        )
    if version is not None:
        _refuse_newer(version)
        if version < CURRENT_LAYOUT:
            raise TerpSeedError(
                f"dry run: terp-seed's own tables have layout {version}, this terp-seed reads "
                f"layout {CURRENT_LAYOUT}; run `terp-seed init` or a real seed run once to "
                "upgrade them"
            )


def layout_version(conn: sa.Connection) -> int | None:
    """The layout of terp-seed's own tables, read only: the recorded version, or for a database
    from before versions were recorded, the one its tables have; None when it has none."""
    version = recorded_layout(conn)
    return _bootstrap_layout(conn) if version is None else version


def ledger_rows_per_key(conn: sa.Connection) -> bool:
    """True while ``terp_seed_ledger`` itself still has the first layout (one row per seeded
    row), i.e. not converted and not yet renamed for conversion: read-only readers count its
    rows then."""
    if layout_version(conn) != FIRST_LAYOUT:
        return False
    return OLD_LEDGER_TABLE not in sa.inspect(conn).get_table_names()


def recorded_layout(conn: sa.Connection) -> int | None:
    """The recorded layout version, or None when none is."""
    if LAYOUT_TABLE not in sa.inspect(conn).get_table_names():
        return None
    version = conn.execute(sa.select(layout.c.version).where(layout.c.id == 1)).scalar()
    return None if version is None else int(version)


def _bootstrap_layout(conn: sa.Connection) -> int | None:
    """The layout of a database whose version was never recorded (None: no tables of ours).

    The only place that looks at columns: once :func:`ensure_own_tables` has recorded what it
    finds, the recorded version alone decides.
    """
    inspector = sa.inspect(conn)
    names = set(inspector.get_table_names())
    if OLD_LEDGER_TABLE in names:  # renamed for conversion, then the run died
        return FIRST_LAYOUT
    if LEDGER_TABLE in names:
        columns = {c["name"] for c in inspector.get_columns(LEDGER_TABLE)}
        return FIRST_LAYOUT if "row_pk" in columns else RANGE_LAYOUT
    return RANGE_LAYOUT if AUDIT_TABLE in names else None


def _refuse_newer(version: int) -> None:
    if version > CURRENT_LAYOUT:
        raise TerpSeedError(
            f"terp-seed's own tables have layout {version}, newer than this terp-seed knows "
            f"(up to {CURRENT_LAYOUT}): upgrade terp-seed; nothing was changed"
        )


def _record(conn: sa.Connection, version: int) -> None:
    """Record ``version`` as the layout (and commit)."""
    done = conn.execute(layout.update().where(layout.c.id == 1).values(version=version))
    if done.rowcount == 0:
        conn.execute(layout.insert().values(id=1, version=version))
    conn.commit()


def _ranges_from_rows(conn: sa.Connection) -> None:
    """Layout 1 -> 2: the ledger of one row per seeded row becomes one of key ranges.

    While layout 1 is recorded and no ``terp_seed_ledger_v1`` exists, ``terp_seed_ledger`` is
    the first layout still: it is renamed out of the way. The copy resumes where an interrupted
    one stopped; the old table is dropped after layout 2 is recorded.
    """
    names = set(sa.inspect(conn).get_table_names())
    if LEDGER_TABLE in names and OLD_LEDGER_TABLE not in names:
        retire_row_ledger(conn)
    bookkeeping_metadata.create_all(conn, checkfirst=True)
    conn.commit()
    copy_row_ledger(conn)


UPGRADES: dict[int, Callable[[sa.Connection], object]] = {
    FIRST_LAYOUT: _ranges_from_rows,
    RANGE_LAYOUT: escape_checksums,
}
"""The step that upgrades each layout to the next one."""

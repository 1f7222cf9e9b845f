"""Upgrades of the ledger: layout 1 -> 2 (key ranges) and 2 -> 3 (escaped checksum texts).

Layout 3 (:func:`escape_checksums`) changed how a row's checksum reads its values: a backslash
and the separator 0x1F inside a value are escaped, so a value can no longer read as NULL or as
two values. Only rows whose text holds one of them have another checksum in layout 3. For each
such seeded row the upgrade compares the stored row with the recorded checksum in layout 2's
form: unchanged since seeding, it gets its layout 3 checksum (it must not look changed merely
because of the upgrade); changed, it keeps the old one, which its layout 3 checksum does not
match (an edited row must not look unchanged). Running it again changes nothing.

Layout 1 -> 2, converting a ledger of the first layout (one row per seeded row) to key ranges:

The first layout held ``(run_id, revision, table_name, row_pk, checksum)`` with the checksum as
32 hex digits. The current one holds a run of consecutive keys per row, with the rows' checksums
packed in key order (:mod:`terp_seed.store.ledger`).
:func:`~terp_seed.store.setup.ensure_own_tables` calls :func:`retire_row_ledger` (renames the old
table to ``terp_seed_ledger_v1``), creates the new one, calls :func:`copy_row_ledger`, which copies
every old row, in the order they were written, into ranges (consecutive keys of one run, revision
and table, with or without a checksum), records layout 2, and then drops the old table
(:func:`drop_row_ledger`). Ranges already copied by an interrupted conversion are not copied
twice, so running it again is safe.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from terp_seed.db.dialects import SEPARATOR, dialect_of, escapes_text
from terp_seed.schema import metadata
from terp_seed.store.checksums import DIGEST, checksum_columns, checksum_expr
from terp_seed.store.ledger import MAX_SPAN, covers
from terp_seed.store.tables import LEDGER_TABLE, OLD_LEDGER_TABLE, ledger

log = logging.getLogger(__name__)
BATCH = 1000  # ranges inserted per statement
PAGE = 50_000  # old rows read per query


def retire_row_ledger(conn: sa.Connection) -> None:
    """Rename the first-layout ledger out of the way (its index names too, on SQLite)."""
    indexes = ("ix_terp_seed_ledger_revision", "ix_terp_seed_ledger_run")
    dialect_of(conn).rename_table(conn, LEDGER_TABLE, OLD_LEDGER_TABLE, indexes)
    conn.commit()


def convert_row_ledger(conn: sa.Connection) -> int:
    """Copy ``terp_seed_ledger_v1`` into the range ledger, then drop it; returns ranges added
    (0 when there is no old table)."""
    added = copy_row_ledger(conn)
    drop_row_ledger(conn)
    return added


def drop_row_ledger(conn: sa.Connection) -> None:
    """Drop ``terp_seed_ledger_v1`` when it is there (once its rows are copied)."""
    if OLD_LEDGER_TABLE in sa.inspect(conn).get_table_names():
        conn.exec_driver_sql(f"DROP TABLE {OLD_LEDGER_TABLE}")
    conn.commit()


def copy_row_ledger(conn: sa.Connection) -> int:
    """Copy ``terp_seed_ledger_v1`` into the range ledger; returns ranges added (0 when there is
    no old table). The old rows are read :data:`PAGE` at a time, in the order they were
    written, so memory stays bounded however large the old ledger."""
    if OLD_LEDGER_TABLE not in sa.inspect(conn).get_table_names():
        conn.commit()
        return 0
    old = sa.table(
        OLD_LEDGER_TABLE,
        *(sa.column(c) for c in ("id", "run_id", "revision", "table_name", "row_pk", "checksum")),
    )
    done = {
        (str(t), int(k)) for t, k in conn.execute(sa.select(ledger.c.table_name, ledger.c.first_pk))
    }
    added = copied = 0
    batch: list[dict[str, Any]] = []
    for entry in _ranges(_pages(conn, old)):
        copied += entry["last_pk"] - entry["first_pk"] + 1
        if (entry["table_name"], entry["first_pk"]) in done:
            continue
        batch.append(entry)
        if len(batch) >= BATCH:
            added += conn.execute(ledger.insert(), batch).rowcount
            batch = []
    if batch:
        added += conn.execute(ledger.insert(), batch).rowcount
    conn.commit()  # one transaction: the copy is whole or absent
    log.warning(
        "converted the ledger to key ranges: %d row(s) of the first layout became %d range(s)",
        copied,
        added,
        extra={"rows": copied, "ranges": added},
    )
    return added


def _pages(conn: sa.Connection, old: sa.TableClause) -> Iterator[tuple[Any, ...]]:
    """The old ledger's rows by ``id``, :data:`PAGE` a query."""
    last = -1
    while True:
        rows = conn.execute(
            sa.select(old.c.id, old.c.run_id, old.c.revision, old.c.table_name, old.c.row_pk)
            .add_columns(old.c.checksum)
            .where(old.c.id > last)
            .order_by(old.c.id)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        last = int(rows[-1][0])
        yield from (tuple(r)[1:] for r in rows)


def _ranges(rows: Iterable[tuple[Any, ...]]) -> Iterator[dict[str, Any]]:
    """Runs of consecutive keys sharing run, revision, table and whether a checksum is known,
    in the order the rows come (a seed wrote a chunk's rows in key order)."""
    current: dict[str, Any] | None = None
    sums: list[bytes] = []
    for run_id, revision, table, key, checksum in rows:
        group = (run_id, revision, table, checksum is None)
        if (
            current is not None
            and current["_group"] == group
            and int(key) == current["last_pk"] + 1
            and int(key) - current["first_pk"] < MAX_SPAN
        ):
            current["last_pk"] = int(key)
        else:
            if current is not None:
                yield _finish(current, sums)
            current = {"_group": group, "first_pk": int(key), "last_pk": int(key)}
            sums = []
        if checksum is not None:
            sums.append(bytes.fromhex(str(checksum)))
    if current is not None:
        yield _finish(current, sums)


def _finish(current: dict[str, Any], sums: list[bytes]) -> dict[str, Any]:
    run_id, revision, table, unknown = current["_group"]
    return {
        "run_id": run_id,
        "revision": revision,
        "table_name": table,
        "first_pk": current["first_pk"],
        "last_pk": current["last_pk"],
        "checksums": None if unknown else b"".join(sums),
    }


def escape_checksums(conn: sa.Connection) -> int:
    """Layout 2 -> 3: give each seeded row unchanged since seeding whose text holds a backslash
    or 0x1F its checksum in layout 3's form; returns the rows given one. The caller commits."""
    names = conn.execute(
        sa.select(ledger.c.table_name).where(ledger.c.checksums.is_not(None)).distinct()
    ).scalars()
    patched = 0
    live = set(sa.inspect(conn).get_table_names())
    for name in sorted(str(n) for n in names if n in live):
        t = metadata.tables.get(name)
        texts = [c for c in checksum_columns(t) if escapes_text(c)] if t is not None else []
        if t is None or not texts:
            continue
        odd = sa.or_(
            *(
                sa.func.instr(sa.cast(c, sa.String), sa.literal(ch)) > 0
                for c in texts
                for ch in ("\\", SEPARATOR)
            )
        )
        rows = conn.execute(
            sa.select(
                ledger.c.id,
                ledger.c.first_pk,
                t.c.id,
                checksum_expr(conn, t, legacy=True),
                checksum_expr(conn, t),
            )
            .join(ledger, covers(name, t.c.id))
            .where(ledger.c.checksums.is_not(None), odd)
            .order_by(ledger.c.id, t.c.id)
        ).all()
        entries: dict[int, list[tuple[int, bytes, bytes]]] = {}
        for entry, first, key, old, new in rows:
            at = (int(key) - int(first)) * DIGEST
            entries.setdefault(int(entry), []).append((at, bytes(old), bytes(new)))
        for entry, changes in entries.items():
            blob = bytearray(
                conn.execute(sa.select(ledger.c.checksums).where(ledger.c.id == entry)).scalar_one()
            )
            for at, old, new in changes:
                if blob[at : at + DIGEST] == old:  # unchanged since seeding
                    blob[at : at + DIGEST] = new
                    patched += 1
            conn.execute(ledger.update().where(ledger.c.id == entry).values(checksums=bytes(blob)))
    if patched:
        log.warning(
            "ledger layout 3: %d seeded row(s) holding a backslash or 0x1F got their checksum "
            "in the escaped form",
            patched,
            extra={"rows": patched},
        )
    return patched

"""Rows the seed did not insert that point at seeded rows: what a rollback must not orphan.

A reference is anything that makes a row depend on another one: the foreign keys the live
database declares (read from ``information_schema``, on SQLite ``PRAGMA foreign_key_list``,
tables the models do not know included), the real and application-level references of
:func:`terp_seed.schema.relations`, and two references TERP's code follows that no column
declares: ``invoices.referenceId`` (an order when ``referenceType`` is ORDER or SALE) and the
batch and product ids inside ``orders.items``. :func:`find_blockers` lists, for each reference
whose parent table has rows in the scope, the rows outside the scope that point at one of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from terp_seed.db.dialects import dialect_of
from terp_seed.schema import metadata, relations
from terp_seed.store.ledger import SeededKeys

SAMPLE = 20  # blockers named in a refusal
PER_REFERENCE = SAMPLE * 5  # blockers read per reference at most
# server/services/orderAccountingService.ts:101-114 and orderOrchestrator.ts:1343-1356 write
# referenceType "ORDER" with referenceId = orders.id; server/arApDb.ts:137-160
# (getInvoiceByReference) reads ORDER and SALE, trimmed and upper-cased, as orders.
ORDER_REFERENCE_TYPES = ("ORDER", "SALE")
# server/ordersDb.ts:53-61 (OrderItem) and :404 (batches.id = item.batchId); the seeded items
# also carry productId, which purchase history reads (terp_seed/factories/stock.py).
ITEM_REFERENCES = (("batchId", "batches"), ("productId", "products"))
# (child table, parent table) of the references above, which no column declares
UNDECLARED = (("invoices", "orders"), *(("orders", parent) for _, parent in ITEM_REFERENCES))


@dataclass(frozen=True)
class Blocker:
    """A row the seed did not insert that references a row rollback would delete."""

    table: str
    key: object
    column: str
    references: str
    key_name: str = "id"
    how: str = ""  # what kind of reference, when it is not one the models declare

    def describe(self) -> str:
        how = f", {self.how}" if self.how else ""
        return f"{self.table} {self.key_name}={self.key} ({self.column} -> {self.references}{how})"


def find_blockers(conn: sa.Connection, keys: SeededKeys) -> list[Blocker]:
    """Every row outside ``keys``' scope that references a row inside it (none: rollback may
    delete); at most :data:`PER_REFERENCE` per reference."""
    seeded = keys.tables
    found: list[Blocker] = []
    declared: set[Link] = set()
    for rel in relations():
        link = (rel.child_table, rel.child_column, rel.parent_table, rel.parent_column)
        declared.add(link)
        if rel.parent_table in seeded and rel.child_table in metadata.tables:
            found.extend(_model_blockers(conn, keys, link))
    for fk in dialect_of(conn).foreign_keys(conn):
        link = (fk.child_table, fk.child_column, fk.parent_table, fk.parent_column)
        if fk.parent_table not in seeded or link in declared:
            continue
        declared.add(link)
        how = f"live foreign key ON DELETE {fk.on_delete}"
        model = metadata.tables.get(fk.child_table)
        if model is not None and fk.child_column in model.c:
            found.extend(_model_blockers(conn, keys, link, how=how))  # not in the models
        else:  # a table, or a column, the application added
            found.extend(_live_blockers(conn, keys, link, how=how))
    if "orders" in seeded:
        found.extend(_invoice_blockers(conn, keys))
    if seeded & {parent for _, parent in ITEM_REFERENCES}:
        found.extend(_item_blockers(conn, keys))
    return found


Link = tuple[str, str, str, str]  # child table, child column, parent table, parent column


def _model_blockers(
    conn: sa.Connection,
    keys: SeededKeys,
    link: Link,
    *,
    how: str = "",
    also: sa.ColumnElement[bool] | None = None,
) -> list[Blocker]:
    """Rows of a TERP table outside the scope whose ``link`` column points at a seeded row."""
    child, column, parent, parent_col = link
    c = metadata.tables[child]
    target = _points_at_seeded(keys, c.c[column], parent, parent_col)
    if also is not None:
        target = sa.and_(target, also)
    # No ORDER BY: the database may then answer from the index on the reference column alone
    # (it holds the key too) instead of walking the child table in key order, which after a
    # large rollback means reading every deleted-but-not-yet-purged row. The sample is sorted
    # here; when there are more than it holds, which ones are listed is the database's choice.
    q = sa.select(c.c.id).where(target, ~keys.keys(child, c.c.id)).limit(PER_REFERENCE)
    ref = f"{parent}.{parent_col}"
    keys_found = sorted(int(k) for (k,) in conn.execute(q))
    return [Blocker(child, k, column, ref, how=how) for k in keys_found]


def _live_blockers(conn: sa.Connection, keys: SeededKeys, link: Link, *, how: str) -> list[Blocker]:
    """Rows whose foreign key in a table or column the models do not know points at a seeded
    row (rows of the scope itself excepted); named by their primary key (else by the
    referencing column)."""
    child, column, parent, parent_col = link
    pk = sa.inspect(conn).get_pk_constraint(child).get("constrained_columns") or [column]
    terp = child in metadata.tables
    t = sa.table(child, *(sa.column(n) for n in {*pk, column, *(["id"] if terp else [])}))
    target = _points_at_seeded(keys, t.c[column], parent, parent_col)
    if terp:  # the scope's own rows go with the parent
        target = sa.and_(target, ~keys.keys(child, t.c.id))
    q = sa.select(*(t.c[n] for n in pk)).where(target).limit(PER_REFERENCE)
    name = ",".join(pk)
    rows = sorted(tuple(r) for r in conn.execute(q))
    return [
        Blocker(child, ",".join(map(str, r)), column, f"{parent}.{parent_col}", name, how)
        for r in rows
    ]


def _points_at_seeded(
    keys: SeededKeys, column: sa.ColumnElement[Any], parent: str, parent_col: str
) -> sa.ColumnElement[bool]:
    """``column`` names a row of ``parent`` that the rollback deletes (by ``parent_col``)."""
    if parent_col == "id":
        return keys.keys(parent, column)
    p = metadata.tables[parent]
    mine = p.alias("mine")
    names = sa.select(mine.c[parent_col]).where(keys.keys(parent, mine.c.id))
    # a name another (unseeded) parent row also carries still resolves after rollback
    other = p.alias("other")
    kept = sa.select(other.c[parent_col]).where(
        other.c[parent_col].is_not(None), ~keys.keys(parent, other.c.id)
    )
    return sa.and_(column.in_(names), column.not_in(kept))


def _invoice_blockers(conn: sa.Connection, keys: SeededKeys) -> list[Blocker]:
    """Invoices of orders: ``referenceId`` is an order's key when ``referenceType`` says so."""
    i = metadata.tables["invoices"]
    kind = sa.func.upper(sa.func.trim(i.c.referenceType))
    return _model_blockers(
        conn,
        keys,
        ("invoices", "referenceId", "orders", "id"),
        how=f"TERP app reference when referenceType is {' or '.join(ORDER_REFERENCE_TYPES)}",
        also=kind.in_(ORDER_REFERENCE_TYPES),
    )


def _item_blockers(conn: sa.Connection, keys: SeededKeys) -> list[Blocker]:
    """Orders outside the scope whose ``items`` JSON names a seeded batch or product.

    The JSON is read here, not in SQL: MariaDB and SQLite spell JSON tables differently, and
    the orders read are only those the scope did not seed.
    """
    o = metadata.tables["orders"]
    q = sa.select(o.c.id, o.c["items"]).where(~keys.keys("orders", o.c.id)).order_by(o.c.id)
    found: dict[str, list[Blocker]] = {name: [] for name, _ in ITEM_REFERENCES}
    for key, items in conn.execute(q.execution_options(yield_per=2_000)):
        for name, parent in ITEM_REFERENCES:
            if len(found[name]) >= PER_REFERENCE or parent not in keys.tables:
                continue
            ids = _item_ids(items, name)
            if ids and keys.among(parent, ids):
                ref = f"{parent}.id"
                found[name].append(Blocker("orders", int(key), f"items[].{name}", ref, how="JSON"))
    return [b for name, _ in ITEM_REFERENCES for b in found[name]]


def _item_ids(items: object, name: str) -> list[int]:
    """The integer ids under ``name`` in an ``orders.items`` value (a JSON array of objects;
    TERP reads ``Number(item.batchId)``, so a numeric string counts too)."""
    if isinstance(items, str | bytes):
        try:
            items = json.loads(items)
        except ValueError:
            return []
    if not isinstance(items, list):
        return []
    ids = []
    for item in items:
        value = item.get(name) if isinstance(item, dict) else None
        try:
            number = float(value) if isinstance(value, int | float | str) else None
        except ValueError:
            number = None
        if number is not None and number.is_integer() and number > 0:
            ids.append(int(number))
    return sorted(set(ids))

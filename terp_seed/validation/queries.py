"""The SQL behind each kind of integrity rule.

Every builder returns a :data:`QueryFn`: given a ledger :class:`~terp_seed.ledger.Scope` (or
``None`` for the whole database) it produces a SELECT whose first column is the primary key of a
row that breaks the rule. With a scope, a rule looks only at the rows the scope seeded and at
the rows they take part in (the order a seeded line belongs to, the invoice a seeded payment
pays), always through ledger subqueries, so the database does the narrowing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from terp_seed.bookkeeping import ledger
from terp_seed.ledger import Scope
from terp_seed.schema import Relation, metadata

QueryFn = Callable[[Scope | None], sa.Select[Any]]
"""Builds the query of violating rows, optionally narrowed to a ledger scope."""

HALF_CENT = Decimal("0.005")
CENT = Decimal("0.01")


def seeded(scope: Scope, table: str) -> sa.Select[tuple[int]]:
    """Primary keys of ``table`` that ``scope`` seeded, as a subquery."""
    return sa.select(ledger.c.row_pk).where(scope.where(), ledger.c.table_name == table)


def _within(query: sa.Select[Any], table: sa.Table, scope: Scope | None) -> sa.Select[Any]:
    return query if scope is None else query.where(table.c.id.in_(seeded(scope, table.name)))


def foreign_key(rel: Relation) -> QueryFn:
    """Child rows whose non-NULL reference names no parent row (ids or names alike)."""

    def query(scope: Scope | None) -> sa.Select[Any]:
        child = metadata.tables[rel.child_table]
        parent = metadata.tables[rel.parent_table].alias("parent")
        ref = child.c[rel.child_column]
        found = sa.exists().where(parent.c[rel.parent_column] == ref)
        return _within(sa.select(child.c.id).where(ref.is_not(None), ~found), child, scope)

    return query


def unique(table_name: str, column: str) -> QueryFn:
    """Rows sharing a non-NULL value of ``column``; scoped: groups holding a seeded row."""

    def query(scope: Scope | None) -> sa.Select[Any]:
        t = metadata.tables[table_name]
        dup = t.alias("dup")
        duplicated = (
            sa.select(dup.c[column])
            .where(dup.c[column].is_not(None))
            .group_by(dup.c[column])
            .having(sa.func.count() > 1)
        )
        q = sa.select(t.c.id).where(t.c[column].in_(duplicated))
        if scope is not None:
            mine = t.alias("mine")
            values = sa.select(mine.c[column]).where(mine.c.id.in_(seeded(scope, table_name)))
            q = q.where(t.c[column].in_(values))
        return q

    return query


def enum_value(table_name: str, column: str, values: Sequence[str]) -> QueryFn:
    """Rows whose value is not one of ``values`` (MariaDB stores a rejected one as ``''``)."""

    def query(scope: Scope | None) -> sa.Select[Any]:
        t = metadata.tables[table_name]
        value = sa.type_coerce(t.c[column], sa.String)
        q = sa.select(t.c.id).where(value.is_not(None), value.not_in(list(values)))
        return _within(q, t, scope)

    return query


def non_negative(table_name: str, column: str) -> QueryFn:
    """Rows where ``column`` is below zero."""

    def query(scope: Scope | None) -> sa.Select[Any]:
        t = metadata.tables[table_name]
        return _within(sa.select(t.c.id).where(t.c[column] < 0), t, scope)

    return query


def reserved_within_on_hand(scope: Scope | None) -> sa.Select[Any]:
    """Batches reserving more than they hold (a negative on-hand is the other rule's)."""
    b = metadata.tables["batches"]
    q = sa.select(b.c.id).where(b.c.onHandQty >= 0, b.c.reservedQty > b.c.onHandQty)
    return _within(q, b, scope)


def amount_due(scope: Scope | None) -> sa.Select[Any]:
    """Invoices whose amountDue is not totalAmount - amountPaid (to the cent)."""
    i = metadata.tables["invoices"]
    off = sa.func.abs(i.c.amountDue - (i.c.totalAmount - i.c.amountPaid))
    return _within(sa.select(i.c.id).where(off > HALF_CENT), i, scope)


def _reach(scope: Scope, parent: str, child: str, ref: str) -> sa.Subquery:
    """Parent keys a scope touches: parents it seeded, and parents of children it seeded.

    A derived table to join (MariaDB runs ``IN (... UNION ...)`` once per outer row).
    """
    c = metadata.tables[child].alias("touched")
    via_children = (
        sa.select(c.c[ref].label("id"))
        .join(ledger, ledger.c.row_pk == c.c.id)
        .where(scope.where(), ledger.c.table_name == child)
    )
    return sa.union(seeded(scope, parent), via_children).subquery("reach")


def _per_parent(
    child: str, ref: str, scope: Scope | None, parent: str, **aggregates: Any
) -> sa.Subquery:
    """One row per parent key: ``aggregates`` over its (not soft-deleted) child rows."""
    c = metadata.tables[child].alias("child")
    columns = [c.c[ref].label("parent_id")]
    columns += [fn(c).label(name) for name, fn in aggregates.items()]
    q = sa.select(*columns).where(c.c[ref].is_not(None)).group_by(c.c[ref])
    if "deleted_at" in c.c:
        q = q.where(c.c.deleted_at.is_(None))
    if scope is not None:
        reach = _reach(scope, parent, child, ref)
        q = q.join(reach, reach.c[0] == c.c[ref])
    return q.subquery("per_parent")


def _parents(
    parent: str, child: str, ref: str, scope: Scope | None, *columns: Any
) -> tuple[sa.Table, sa.Select[Any]]:
    t = metadata.tables[parent]
    q = sa.select(t.c.id, *columns)
    if scope is not None:
        reach = _reach(scope, parent, child, ref)
        q = q.join(reach, reach.c[0] == t.c.id)
    return t, q


def locations_within_on_hand(scope: Scope | None) -> sa.Select[Any]:
    """Batches whose location quantities add up to more than their on-hand quantity."""
    placed = _per_parent(
        "batchLocations", "batchId", scope, "batches", placed=lambda c: sa.func.sum(c.c.qty)
    )
    b, q = _parents("batches", "batchLocations", "batchId", scope)
    return q.join(placed, placed.c.parent_id == b.c.id).where(
        b.c.onHandQty >= 0, placed.c.placed > b.c.onHandQty
    )


def _line_totals(scope: Scope | None) -> sa.Subquery:
    return _per_parent(
        "order_line_items",
        "order_id",
        scope,
        "orders",
        total=lambda c: sa.func.sum(c.c.line_total),
        lines=lambda c: sa.func.count(c.c.id),
        batch_sum=lambda c: sa.func.sum(c.c.batch_id),
        batch_ids=lambda c: sa.func.group_concat(sa.cast(c.c.batch_id, sa.String)),
    )


def subtotal_equals_lines(scope: Scope | None) -> sa.Select[Any]:
    """Orders whose subtotal differs from the sum of their line totals by more than rounding."""
    lines = _line_totals(scope)
    o, q = _parents("orders", "order_line_items", "order_id", scope)
    count = sa.func.coalesce(lines.c.lines, 0)
    off = sa.func.abs(o.c.subtotal - sa.func.coalesce(lines.c.total, 0))
    return q.outerjoin(lines, lines.c.parent_id == o.c.id).where(off > CENT * count + HALF_CENT)


def order_items_and_lines(scope: Scope | None) -> sa.Select[Any]:
    """Each order's raw ``items`` JSON with its lines' count, batch-id sum and batch-id list.

    Compared in Python (:func:`terp_seed.validation.rules.items_mismatch`): JSON functions
    differ between MariaDB, MySQL and SQLite.
    """
    lines = _line_totals(scope)
    o = metadata.tables["orders"]
    _, q = _parents(
        "orders",
        "order_line_items",
        "order_id",
        scope,
        sa.type_coerce(o.c["items"], sa.Text),
        lines.c.lines,
        lines.c.batch_sum,
        lines.c.batch_ids,
    )
    return q.outerjoin(lines, lines.c.parent_id == o.c.id)


def _payment_totals(scope: Scope | None) -> sa.Subquery:
    return _per_parent(
        "payments", "invoiceId", scope, "invoices", paid=lambda c: sa.func.sum(c.c.amount)
    )


def paid_equals_payments(scope: Scope | None) -> sa.Select[Any]:
    """Invoices whose amountPaid is not the sum of their payments (to the cent)."""
    payments = _payment_totals(scope)
    i, q = _parents("invoices", "payments", "invoiceId", scope)
    off = sa.func.abs(i.c.amountPaid - sa.func.coalesce(payments.c.paid, 0))
    return q.outerjoin(payments, payments.c.parent_id == i.c.id).where(off > HALF_CENT)


def payments_within_total(scope: Scope | None) -> sa.Select[Any]:
    """Invoices whose payments add up to more than the invoice's totalAmount."""
    payments = _payment_totals(scope)
    i, q = _parents("invoices", "payments", "invoiceId", scope)
    return q.join(payments, payments.c.parent_id == i.c.id).where(
        payments.c.paid > i.c.totalAmount + HALF_CENT
    )

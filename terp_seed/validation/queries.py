"""The SQL behind each kind of integrity rule.

Every builder returns a :data:`QueryFn`: given the rows a ledger scope seeded (a
:class:`Seeded`, resolved once per run) or ``None`` for the whole database, it produces a SELECT
whose first column is the primary key of a row that breaks the rule. With a scope, a rule looks
only at the rows the scope seeded and at the rows they take part in (the order a seeded line
belongs to, the invoice a seeded payment pays), so the database does the narrowing.

The ledger records runs of consecutive keys, and a seed writes each table's rows of one step as
one block of keys (the key allocator hands them out in order), so :func:`resolve` usually finds
that the scope's keys of a table are exactly ``first..last``; the rules then narrow with
``id BETWEEN first AND last`` (a primary-key range scan). Scattered keys (an ad-hoc run over a
few rows, a restore) give a few ranges, named inline, or a join on the ledger when there are
many.

Row-local rules (a foreign key, an enum value, a sign) are also given as a bare condition
(:func:`row_condition`) so that the runner can check all of a table's row-local rules in one
scan (:func:`row_tests`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from terp_seed.schema import Relation, metadata
from terp_seed.store.ledger import Scope, SeededKeys, seeded_keys
from terp_seed.validation import joins

HALF_CENT = Decimal("0.005")
CENT = Decimal("0.01")
REACH_LIST_MAX = 1000  # touched parents outside the seeded range listed inline, at most


@dataclass
class Seeded(SeededKeys):
    """What a scope seeded (:class:`~terp_seed.store.ledger.SeededKeys`), with the connection that
    works out which parent rows its child rows touch (cached per relation)."""

    conn: sa.Connection | None = None
    _reach: dict[tuple[str, str, str], Reach] = field(default_factory=dict, repr=False)

    def reach(self, parent: str, child: str, ref: str) -> Reach:
        """Parent keys the scope touches: parents it seeded, and parents of children it seeded."""
        key = (parent, child, ref)
        if key not in self._reach:
            self._reach[key] = self._build_reach(parent, child, ref)
        return self._reach[key]

    def _build_reach(self, parent: str, child: str, ref: str) -> Reach:
        if child not in self.tables:
            return Reach(lambda col: self.keys(parent, col))
        if child in self.ranges and (parent in self.ranges or parent not in self.tables):
            # Usually the seeded children point at seeded parents: then the reach is the
            # parent range. Parents outside it are few (listed); many fall back to the join.
            c = metadata.tables[child]
            first, last = self.ranges[child]
            q = sa.select(c.c[ref]).where(c.c.id.between(first, last), c.c[ref].is_not(None))
            if parent in self.ranges:
                q = q.where(~self.keys(parent, c.c[ref]))
            assert self.conn is not None
            found = self.conn.execute(q.distinct().limit(REACH_LIST_MAX + 1)).scalars()
            extra = [int(k) for k in found]
            if len(extra) <= REACH_LIST_MAX:

                def where(col: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
                    inside = self.keys(parent, col)
                    return sa.or_(inside, col.in_(extra)) if extra else inside

                return Reach(where)
        return Reach(None, self._reach_join(parent, child, ref))

    def _reach_join(self, parent: str, child: str, ref: str) -> Callable[[], sa.Subquery]:
        def build() -> sa.Subquery:
            # A derived table to join (MariaDB runs ``IN (... UNION ...)`` once per outer row).
            c = metadata.tables[child].alias("touched")
            via_children = sa.select(c.c[ref].label("id")).where(self.keys(child, c.c.id))
            mine = metadata.tables[parent].alias("mine")
            own = sa.select(mine.c.id).where(self.keys(parent, mine.c.id))
            return sa.union(own, via_children).subquery("reach")

        return build


@dataclass(frozen=True)
class Reach:
    """How a query is narrowed to the parent keys a scope touches: a condition or a join."""

    where: Callable[[sa.ColumnElement[Any]], sa.ColumnElement[bool]] | None
    join: Callable[[], sa.Subquery] | None = None

    def apply(self, query: sa.Select[Any], column: sa.ColumnElement[Any]) -> sa.Select[Any]:
        if self.where is not None:
            return query.where(self.where(column))
        assert self.join is not None
        reach = self.join()
        return query.join(reach, reach.c[0] == column)


def resolve(conn: sa.Connection, scope: Scope) -> Seeded:
    """What ``scope`` seeded, per table: counts, and the exact key range where there is one."""
    found = seeded_keys(conn, scope)
    return Seeded(scope, found.counts, found.ranges, found.spans, conn)


QueryFn = Callable[[Seeded | None], sa.Select[Any]]
"""Builds the query of violating rows, optionally narrowed to what a scope seeded."""

ConditionFn = Callable[[], sa.ColumnElement[bool]]
"""A row-local rule: the condition a violating row of its table meets."""


def _within(query: sa.Select[Any], table: sa.Table, scope: Seeded | None) -> sa.Select[Any]:
    return query if scope is None else query.where(scope.keys(table.name, table.c.id))


def row_condition(table_name: str, condition: ConditionFn) -> QueryFn:
    """Rows of ``table_name`` meeting ``condition`` (a row-local rule on its own)."""

    def query(scope: Seeded | None) -> sa.Select[Any]:
        t = metadata.tables[table_name]
        built = condition()
        select = sa.select(t.c.id).select_from(joins.joined(table_name, [built]))
        return _within(select.where(built), t, scope)

    return query


def row_tests(
    table_name: str, conditions: Sequence[ConditionFn], scope: Seeded | None
) -> sa.Select[Any]:
    """One scan for several row-local rules of a table: ``(id, flag1, flag2, ...)`` per row
    breaking at least one of them; flag ``i`` is 1 when the row breaks rule ``i``."""
    t = metadata.tables[table_name]
    built = [c() for c in conditions]
    flags = [sa.case((c, 1), else_=0).label(f"r{i}") for i, c in enumerate(built)]
    select = sa.select(t.c.id, *flags).select_from(joins.joined(table_name, built))
    return _within(select.where(sa.or_(*built)), t, scope)


def foreign_key_condition(rel: Relation) -> ConditionFn:
    """A non-NULL reference that names no parent row (ids or names alike)."""

    def condition() -> sa.ColumnElement[bool]:
        child = metadata.tables[rel.child_table]
        ref = child.c[rel.child_column]
        joined = joins.for_reference(rel.child_table, rel.child_column)
        if joined is not None and rel.parent_column == "id":  # the scan joins the parent
            return sa.and_(ref.is_not(None), joined.alias.c.id.is_(None))
        parent = metadata.tables[rel.parent_table].alias("parent")
        found = sa.exists().where(parent.c[rel.parent_column] == ref)
        return sa.and_(ref.is_not(None), ~found)

    return condition


def enum_condition(table_name: str, column: str, values: Sequence[str]) -> ConditionFn:
    """A value that is not one of ``values`` (MariaDB stores a rejected one as ``''``)."""

    def condition() -> sa.ColumnElement[bool]:
        value = sa.type_coerce(metadata.tables[table_name].c[column], sa.String)
        return sa.and_(value.is_not(None), value.not_in(list(values)))

    return condition


def negative_condition(table_name: str, column: str) -> ConditionFn:
    """``column`` is below zero."""

    def condition() -> sa.ColumnElement[bool]:
        return metadata.tables[table_name].c[column] < 0

    return condition


def reserved_condition() -> sa.ColumnElement[bool]:
    """Batches reserving more than they hold (a negative on-hand is the other rule's)."""
    b = metadata.tables["batches"]
    return sa.and_(b.c.onHandQty >= 0, b.c.reservedQty > b.c.onHandQty)


def amount_due_condition() -> sa.ColumnElement[bool]:
    """Invoices whose amountDue is not totalAmount - amountPaid (to the cent)."""
    i = metadata.tables["invoices"]
    return sa.func.abs(i.c.amountDue - (i.c.totalAmount - i.c.amountPaid)) > HALF_CENT


def unique(table_name: str, column: str) -> QueryFn:
    """Rows sharing a non-NULL value of ``column``; scoped: groups holding a seeded row."""

    def query(scope: Seeded | None) -> sa.Select[Any]:
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
            values = sa.select(mine.c[column]).where(scope.keys(table_name, mine.c.id))
            q = q.where(t.c[column].in_(values))
        return q

    return query


def _per_parent(
    child: str, ref: str, scope: Seeded | None, parent: str, **aggregates: Any
) -> sa.Subquery:
    """One row per parent key: ``aggregates`` over its (not soft-deleted) child rows."""
    c = metadata.tables[child].alias("child")
    columns = [c.c[ref].label("parent_id")]
    columns += [fn(c).label(name) for name, fn in aggregates.items()]
    q = sa.select(*columns).where(c.c[ref].is_not(None)).group_by(c.c[ref])
    if "deleted_at" in c.c:
        q = q.where(c.c.deleted_at.is_(None))
    if scope is not None:
        q = scope.reach(parent, child, ref).apply(q, c.c[ref])
    return q.subquery("per_parent")


def _parents(
    parent: str, child: str, ref: str, scope: Seeded | None, *columns: Any
) -> tuple[sa.Table, sa.Select[Any]]:
    t = metadata.tables[parent]
    q = sa.select(t.c.id, *columns)
    if scope is not None:
        q = scope.reach(parent, child, ref).apply(q, t.c.id)
    return t, q


def locations_within_on_hand(scope: Seeded | None) -> sa.Select[Any]:
    """Batches whose location quantities add up to more than their on-hand quantity."""
    placed = _per_parent(
        "batchLocations", "batchId", scope, "batches", placed=lambda c: sa.func.sum(c.c.qty)
    )
    b, q = _parents("batches", "batchLocations", "batchId", scope)
    return q.join(placed, placed.c.parent_id == b.c.id).where(
        b.c.onHandQty >= 0, placed.c.placed > b.c.onHandQty
    )


def _line_totals(scope: Seeded | None) -> sa.Subquery:
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


def _subtotal_off(o: sa.Table, lines: sa.Subquery) -> sa.ColumnElement[bool]:
    count = sa.func.coalesce(lines.c.lines, 0)
    off = sa.func.abs(o.c.subtotal - sa.func.coalesce(lines.c.total, 0))
    return off > CENT * count + HALF_CENT


def subtotal_equals_lines(scope: Seeded | None) -> sa.Select[Any]:
    """Orders whose subtotal differs from the sum of their line totals by more than rounding."""
    lines = _line_totals(scope)
    o, q = _parents("orders", "order_line_items", "order_id", scope)
    return q.outerjoin(lines, lines.c.parent_id == o.c.id).where(_subtotal_off(o, lines))


def order_items_and_lines(scope: Seeded | None) -> sa.Select[Any]:
    """Each order's raw ``items`` JSON with its lines' count, batch-id sum and batch-id list.

    Compared in Python (:func:`terp_seed.validation.rules.items_mismatch`): JSON functions
    differ between MariaDB, MySQL and SQLite.
    """
    return _orders_with_lines(scope)


def order_lines_check(scope: Seeded | None) -> sa.Select[Any]:
    """The order-versus-lines rules and the ``items`` JSON rules in one pass over the orders and
    their lines: ``(id, items, lines, batch_sum, batch_ids, subtotal_off, subtotal)``."""
    return _orders_with_lines(scope, subtotal_off=True)


def _orders_with_lines(scope: Seeded | None, *, subtotal_off: bool = False) -> sa.Select[Any]:
    lines = _line_totals(scope)
    o = metadata.tables["orders"]
    extra = [sa.case((_subtotal_off(o, lines), 1), else_=0), o.c.subtotal] if subtotal_off else []
    _, q = _parents(
        "orders",
        "order_line_items",
        "order_id",
        scope,
        sa.type_coerce(o.c["items"], sa.Text),
        lines.c.lines,
        lines.c.batch_sum,
        lines.c.batch_ids,
        *extra,
    )
    return q.outerjoin(lines, lines.c.parent_id == o.c.id)


def _payment_totals(scope: Seeded | None) -> sa.Subquery:
    return _per_parent(
        "payments", "invoiceId", scope, "invoices", paid=lambda c: sa.func.sum(c.c.amount)
    )


def _paid_off(i: sa.Table, payments: sa.Subquery) -> sa.ColumnElement[bool]:
    return sa.func.abs(i.c.amountPaid - sa.func.coalesce(payments.c.paid, 0)) > HALF_CENT


def _overpaid(i: sa.Table, payments: sa.Subquery) -> sa.ColumnElement[bool]:
    return payments.c.paid > i.c.totalAmount + HALF_CENT


def paid_equals_payments(scope: Seeded | None) -> sa.Select[Any]:
    """Invoices whose amountPaid is not the sum of their payments (to the cent)."""
    payments = _payment_totals(scope)
    i, q = _parents("invoices", "payments", "invoiceId", scope)
    return q.outerjoin(payments, payments.c.parent_id == i.c.id).where(_paid_off(i, payments))


def payments_within_total(scope: Seeded | None) -> sa.Select[Any]:
    """Invoices whose payments add up to more than the invoice's totalAmount."""
    payments = _payment_totals(scope)
    i, q = _parents("invoices", "payments", "invoiceId", scope)
    return q.join(payments, payments.c.parent_id == i.c.id).where(_overpaid(i, payments))


def invoice_payments_check(scope: Seeded | None) -> sa.Select[Any]:
    """Both invoice-versus-payments rules in one pass: ``(id, paid_off, overpaid)`` for each
    invoice breaking at least one."""
    payments = _payment_totals(scope)
    i = metadata.tables["invoices"]
    paid_off, overpaid = _paid_off(i, payments), _overpaid(i, payments)
    _, q = _parents(
        "invoices",
        "payments",
        "invoiceId",
        scope,
        sa.case((paid_off, 1), else_=0),
        sa.case((overpaid, 1), else_=0),
    )
    return q.outerjoin(payments, payments.c.parent_id == i.c.id).where(sa.or_(paid_off, overpaid))

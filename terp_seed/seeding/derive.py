"""Derived columns: values TERP's services keep from other rows, recomputed from the database.

TERP never lets these columns be typed in: ``batches.reservedQty`` is what confirmed, unshipped
sales hold on a batch, and a client's balance and totals follow its invoices and sales. A seed
revision that writes those other rows names the derivations in its plan (``derive=``); after its
rows are loaded (and after a rollback removed them) each derivation sets the columns of the
seeded rows whose value differs from what the data says, and the ledger's checksums of those
rows are taken again, so a seeded row the seed itself brought up to date does not count as
changed by the application. Rows the seed did not insert are never written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from terp_seed.schema import metadata, refreshes_on_update
from terp_seed.store import ledger
from terp_seed.store.ledger import Scope
from terp_seed.validation.terp_derived import OPEN_FULFILMENT, SETTLED_INVOICE

log = logging.getLogger(__name__)
ValuesFn = Callable[[sa.Connection, date], dict[int, dict[str, Any]]]
"""Given the connection and the run's as-of day: the derived values of every row, by key."""

_CENT = Decimal("0.01")
UPDATE_ROWS = 500  # rows per UPDATE: 500 x (1 + 2 per column) parameters, within SQLite's limit


@dataclass(frozen=True)
class Derivation:
    """How TERP computes some columns of one table from other rows."""

    name: str
    table: str
    columns: tuple[str, ...]
    reads: tuple[str, ...]
    """The tables the values come from: a step that writes or removes rows of one of them
    derives again."""
    source: str
    values: ValuesFn


def _batch_reservations(conn: sa.Connection, as_of: date) -> dict[int, dict[str, Any]]:
    """Each batch's reserved quantity: the non-sample lines of confirmed (not draft), not
    cancelled, not deleted sales that have not shipped."""
    o, li = metadata.tables["orders"], metadata.tables["order_line_items"]
    open_lines = (
        sa.select(li.c.batch_id, sa.func.sum(li.c.quantity))
        .join(o, o.c.id == li.c.order_id)
        .where(
            o.c.orderType == "SALE",
            o.c.is_draft.is_(False),
            o.c.deleted_at.is_(None),
            sa.or_(o.c.saleStatus.is_(None), o.c.saleStatus != "CANCELLED"),
            o.c.fulfillmentStatus.in_(OPEN_FULFILMENT),
            li.c.is_sample.is_(False),
        )
        .group_by(li.c.batch_id)
    )
    reserved = {int(b): Decimal(str(q)) for b, q in conn.execute(open_lines)}  # SQLite: floats
    return {b: {"reservedQty": q.quantize(Decimal("0.0001"))} for b, q in reserved.items()}


def _client_balances(conn: sa.Connection, as_of: date) -> dict[int, dict[str, Any]]:
    """Each client's balance and totals, as TERP's balance service and derived-data job set
    them: what its open invoices still owe, the days since the oldest of them fell due, and
    the totals and margin of its sales."""
    inv, o = metadata.tables["invoices"], metadata.tables["orders"]
    owed = conn.execute(
        sa.select(inv.c.customerId, sa.func.sum(inv.c.amountDue), sa.func.min(inv.c.dueDate))
        .where(inv.c.status.not_in(SETTLED_INVOICE), inv.c.deleted_at.is_(None))
        .group_by(inv.c.customerId)
    )
    values: dict[int, dict[str, Any]] = {}
    for client, due, oldest in owed:
        days = max(0, (as_of - _day(oldest)).days) if oldest is not None and due else 0
        values[int(client)] = {
            "total_owed": Decimal(str(due or 0)).quantize(_CENT),
            "oldest_debt_days": days,
        }
    sales = conn.execute(
        sa.select(o.c.client_id, sa.func.sum(o.c.total), sa.func.sum(o.c.total_margin))
        .where(
            o.c.orderType == "SALE",
            o.c.is_draft.is_(False),
            o.c.deleted_at.is_(None),
            sa.or_(o.c.saleStatus.is_(None), o.c.saleStatus != "CANCELLED"),
        )
        .group_by(o.c.client_id)
    )
    for client, spent, profit in sales:
        spent, profit = Decimal(str(spent or 0)), Decimal(str(profit or 0))
        margin = (profit / spent * 100).quantize(_CENT) if spent else Decimal("0.00")
        values.setdefault(int(client), {}).update(
            total_spent=spent.quantize(_CENT),
            total_profit=profit.quantize(_CENT),
            avg_profit_margin=margin,
        )
    return values


def _day(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value  # type: ignore[no-any-return]


DERIVATIONS: dict[str, Derivation] = {
    d.name: d
    for d in (
        Derivation(
            "batch_reservations",
            "batches",
            ("reservedQty",),
            ("orders", "order_line_items"),
            "server/ordersDb.ts:592-655 (confirm reserves), 2390-2425 (ship releases), "
            "1097-1175 (cancel releases)",
            _batch_reservations,
        ),
        Derivation(
            "client_balances",
            "clients",
            ("total_owed", "oldest_debt_days", "total_spent", "total_profit", "avg_profit_margin"),
            ("invoices", "orders"),
            "server/services/clientBalanceService.ts:36-54, server/cron/arReconciliationCheck.ts:"
            "57-62, scripts/generate-derived-data.ts:300-355",
            _client_balances,
        ),
    )
}


def derive_after(conn: sa.Connection, tables: Iterable[str], as_of: date) -> dict[str, int]:
    """Bring up to date the derived columns that rows of ``tables`` (just written or removed)
    feed; return the seeded rows changed per table.

    A seeded row whose columns already hold the derived values is not written; the others are
    updated and their ledger checksums taken again.
    """
    touched = set(tables)
    changed: dict[str, int] = {}
    for d in DERIVATIONS.values():
        if not touched & set(d.reads):
            continue
        t = metadata.tables[d.table]
        wanted = d.values(conn, as_of)
        zero = _zeros(t, d.columns)
        seeded = ledger.recorded(Scope(tables=(d.table,)), d.table, t.c.id)
        current = conn.execute(sa.select(t.c.id, *(t.c[c] for c in d.columns)).where(seeded))
        updates = []
        for key, *now in current:
            target = {**zero, **wanted.get(int(key), {})}
            if any(_differs(a, target[c]) for a, c in zip(now, d.columns, strict=True)):
                updates.append({"key": int(key), **target})
        if updates:
            _update(conn, t, d.columns, updates)
            ledger.refresh_checksums(conn, t, [u["key"] for u in updates])
            changed[d.table] = changed.get(d.table, 0) + len(updates)
            log.info("derived %s of %d %s row(s)", d.name, len(updates), d.table)
    return changed


def _update(
    conn: sa.Connection, t: sa.Table, columns: tuple[str, ...], updates: list[dict[str, Any]]
) -> None:
    """Set ``columns`` of the rows in ``updates`` (``{"key": id, column: value, ...}``), a few
    hundred rows per statement (one ``CASE`` per column): a statement per row costs a round
    trip each, seconds for an xl seed's clients."""
    # a derived value is not an edit: ON UPDATE timestamps keep their time
    kept = {c.name: c for c in t.columns if refreshes_on_update(c)}
    for start in range(0, len(updates), UPDATE_ROWS):
        part = updates[start : start + UPDATE_ROWS]
        keys = [u["key"] for u in part]
        new = {c: sa.case({u["key"]: u[c] for u in part}, value=t.c.id) for c in columns}
        conn.execute(t.update().where(t.c.id.in_(keys)).values({**kept, **new}))


def _zeros(t: sa.Table, columns: tuple[str, ...]) -> dict[str, Any]:
    """What a column holds when nothing derives a value for the row (nothing reserved, owed,
    or sold)."""
    out: dict[str, Any] = {}
    for c in columns:
        out[c] = 0 if isinstance(t.c[c].type, sa.Integer) else Decimal("0")
    return out


def _differs(stored: Any, wanted: Any) -> bool:
    if stored is None:
        return True
    return Decimal(str(stored)) != Decimal(str(wanted))

"""Every integrity rule, declared as data in one list: :data:`RULES`.

Foreign keys (real and application-level), unique columns, enum values and non-negative
quantities are derived from :mod:`terp_seed.schema`, so a column added there is checked without
an edit here; the business rules follow them. Adding a rule is one entry (and one section in
``docs/validation.md``, which ``tests/test_validation.py`` checks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

import sqlalchemy as sa

from terp_seed.schema import metadata, relations
from terp_seed.validation import (
    order_items,
    terp_derived,
    terp_inventory,
    terp_parties,
    terp_sales,
)
from terp_seed.validation import queries as q
from terp_seed.validation.rule import Batch, Rule, row_rule

QUANTITY_COLUMNS: Final = (
    ("batches", "onHandQty"),
    ("batches", "sampleQty"),
    ("batches", "reservedQty"),
    ("batches", "quarantineQty"),
    ("batches", "holdQty"),
    ("batches", "defectiveQty"),
    ("batchLocations", "qty"),
    ("order_line_items", "quantity"),
)


def items_mismatch(row: Sequence[Any]) -> bool:
    """True when an order's ``items`` JSON does not list the batches of its line items.

    The row is ``(id, items, lines, batch_sum, batch_ids)``. The batch-id list from
    ``GROUP_CONCAT`` is compared as a multiset when complete; if MySQL cut it short
    (``group_concat_max_len``) the count and the sum of batch ids decide.
    """
    _id, raw, lines, batch_sum, listed = row
    if raw is None:
        return True
    items = order_items.parse_items(raw)
    if items is None:
        return True
    try:
        batch_ids = [int(item["batchId"]) for item in items]
    except (TypeError, ValueError, KeyError):
        return True
    if len(batch_ids) != int(lines or 0):
        return True
    if isinstance(listed, bytes):
        listed = listed.decode()
    from_lines = [int(x) for x in str(listed).split(",") if x] if listed else []
    if len(from_lines) == len(batch_ids) and sum(from_lines) == int(batch_sum or 0):
        return sorted(from_lines) != sorted(batch_ids)
    return sum(batch_ids) != int(batch_sum or 0)


def _foreign_keys() -> Iterator[Rule]:
    for rel in relations():
        kind = "foreign key" if rel.enforced else "application-level reference"
        yield row_rule(
            f"fk:{rel.child_table}.{rel.child_column}",
            rel.child_table,
            f"{rel.child_table}.{rel.child_column} names an existing "
            f"{rel.parent_table}.{rel.parent_column} ({kind})",
            q.foreign_key_condition(rel),
        )


def _unique_columns() -> Iterator[Rule]:
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint) and len(constraint.columns) == 1:
                column = next(iter(constraint.columns)).name
                yield Rule(
                    f"unique:{table.name}.{column}",
                    table.name,
                    f"no two {table.name} rows have the same {column}",
                    q.unique(table.name, column),
                    unique_column=column,
                )


def _enum_columns() -> Iterator[Rule]:
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, sa.Enum):
                values = tuple(column.type.enums)
                yield row_rule(
                    f"enum:{table.name}.{column.name}",
                    table.name,
                    f"{table.name}.{column.name} is one of {', '.join(values)}",
                    q.enum_condition(table.name, column.name, values),
                )


def _quantities() -> Iterator[Rule]:
    for table, column in QUANTITY_COLUMNS:
        yield row_rule(
            f"non-negative:{table}.{column}",
            table,
            f"{table}.{column} is zero or more",
            q.negative_condition(table, column),
        )


RULES: Final[tuple[Rule, ...]] = (
    *_foreign_keys(),
    *_unique_columns(),
    *_enum_columns(),
    *_quantities(),
    row_rule(
        "reserved-within-on-hand:batches",
        "batches",
        "a batch reserves no more than it has on hand (reservedQty <= onHandQty)",
        q.reserved_condition,
    ),
    Rule(
        "locations-within-on-hand:batches",
        "batches",
        "a batch's batchLocations quantities add up to at most its onHandQty",
        q.locations_within_on_hand,
        also=("batchLocations",),
    ),
    Rule(
        "subtotal-equals-lines:orders",
        "orders",
        "an order's subtotal is the sum of its line totals (0.01 per line for rounding)",
        q.subtotal_equals_lines,
        also=("order_line_items",),
        batch=Batch(q.order_lines_check, lambda row: bool(row[5])),
    ),
    Rule(
        "items-mirror-lines:orders",
        "orders",
        "an order's items JSON lists its line items: same count, same batch ids",
        q.order_items_and_lines,
        also=("order_line_items",),
        check=items_mismatch,
        batch=Batch(q.order_lines_check, lambda row: items_mismatch(row[:5])),
    ),
    Rule(
        "paid-equals-payments:invoices",
        "invoices",
        "an invoice's amountPaid is the sum of its payments",
        q.paid_equals_payments,
        also=("payments",),
        batch=Batch(q.invoice_payments_check, lambda row: bool(row[1])),
    ),
    row_rule(
        "due-equals-total-minus-paid:invoices",
        "invoices",
        "an invoice's amountDue is totalAmount - amountPaid",
        q.amount_due_condition,
    ),
    Rule(
        "payments-within-total:invoices",
        "invoices",
        "the payments against an invoice add up to at most its totalAmount",
        q.payments_within_total,
        also=("payments",),
        batch=Batch(q.invoice_payments_check, lambda row: bool(row[2])),
    ),
    *terp_parties.RULES,
    *terp_inventory.RULES,
    *terp_sales.RULES,
    *terp_derived.RULES,
)
"""Every rule terp-seed checks, in the order it reports them."""

"""Rules TERP's own code relies on for lots, batches, their locations and calendar events
(EvanTenenbaum/TERP at b2e16915; each rule names its source). How orders touch batches is
checked by :mod:`terp_seed.validation.terp_sales` and :mod:`terp_seed.validation.terp_derived`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

import sqlalchemy as sa

from terp_seed.schema import metadata
from terp_seed.validation.queries import Seeded
from terp_seed.validation.rule import Rule

SEQUENCE_START: Final = 1000
"""TERP's lot_code and batch_code sequences start here: the first codes it issues are
``LOT-001001`` and ``BATCH-001001`` (server/sequenceDb.ts:22-25)."""
OPEN_FULFILMENT: Final = ("PENDING", "CONFIRMED", "READY_FOR_PACKING", "PACKED")
"""Confirmed sales not yet shipped: their lines reserve stock (server/ordersDb.ts:1613-1640)."""
QTY_TOLERANCE: Final = sa.literal(0.00005)


def _t(name: str) -> sa.Table:
    return metadata.tables[name]


def _within(query: sa.Select[Any], table: sa.Table, scope: Seeded | None) -> sa.Select[Any]:
    return query if scope is None else query.where(scope.keys(table.name, table.c.id))


def row_rule(name: str, table: str, description: str, source: str, condition: Any) -> Rule:
    """A rule about single rows of ``table`` (checked in the table's one scan)."""

    def query(scope: Seeded | None) -> sa.Select[Any]:
        t = _t(table)
        return _within(sa.select(t.c.id).where(condition()), t, scope)

    return Rule(name, table, description, query, condition=condition, source=source)


# -- lots ------------------------------------------------------------------------------------


def _lot_vendor_not_supplier() -> sa.ColumnElement[bool]:
    lots = _t("lots")
    return sa.or_(lots.c.supplier_client_id.is_(None), lots.c.vendorId != lots.c.supplier_client_id)


def _lot_supplier_not_seller() -> sa.ColumnElement[bool]:
    lots, clients = _t("lots"), _t("clients").alias("supplier")
    seller = sa.exists().where(
        clients.c.id == lots.c.supplier_client_id,
        clients.c.is_seller.is_(True),
        clients.c.deleted_at.is_(None),
    )
    return sa.or_(lots.c.supplier_client_id.is_(None), ~seller)


# -- batches ---------------------------------------------------------------------------------


def _batch_before_lot() -> sa.ColumnElement[bool]:
    b, lots = _t("batches"), _t("lots").alias("lot")
    return sa.exists().where(lots.c.id == b.c.lotId, lots.c.date > b.c.createdAt)


def _quarantine_misplaced() -> sa.ColumnElement[bool]:
    b = _t("batches")
    return sa.or_(
        sa.and_(b.c.batchStatus == "QUARANTINED", b.c.onHandQty != 0),
        sa.and_(b.c.batchStatus == "LIVE", b.c.quarantineQty != 0),
    )


def _sold_out_with_stock() -> sa.ColumnElement[bool]:
    b = _t("batches")
    return sa.and_(b.c.batchStatus == "SOLD_OUT", b.c.onHandQty - b.c.reservedQty > QTY_TOLERANCE)


def _published_unready() -> sa.ColumnElement[bool]:
    b = _t("batches")
    published = sa.or_(b.c.publishB2b == 1, b.c.publishEcom == 1)
    ready = sa.and_(b.c.batchStatus == "LIVE", b.c.isPhotographyComplete.is_(True))
    return sa.and_(published, ~ready)


def _over_allocated() -> sa.ColumnElement[bool]:
    b = _t("batches")
    allocated = b.c.reservedQty + b.c.quarantineQty + b.c.holdQty
    return sa.and_(b.c.batchStatus != "QUARANTINED", allocated - b.c.onHandQty > QTY_TOLERANCE)


def _photo_before_intake() -> sa.ColumnElement[bool]:
    b, event = _t("batches"), _t("calendar_events").alias("session")
    early = sa.exists().where(
        event.c.id == b.c.photo_session_event_id,
        sa.or_(
            event.c.event_type != "PHOTOGRAPHY",
            event.c.start_date < sa.func.date(b.c.createdAt),
        ),
    )
    return sa.and_(b.c.photo_session_event_id.is_not(None), early)


def _app_sequence_code(prefix: str) -> Any:
    """``prefix`` + six or more digits above the sequence start: a code TERP issues next."""

    def check(row: Sequence[Any]) -> bool:
        tail = str(row[1])[len(prefix) :]
        return len(tail) >= 6 and tail.isdigit() and int(tail) > SEQUENCE_START

    return check


def _codes(table: str, column: str, prefix: str) -> Any:
    def query(scope: Seeded | None) -> sa.Select[Any]:
        t = _t(table)
        q = sa.select(t.c.id, t.c[column]).where(t.c[column].startswith(prefix, autoescape=True))
        return _within(q, t, scope)

    return query


def metadata_invalid(row: Sequence[Any]) -> bool:
    """True when TERP's ``parseMetadata`` would drop the batch's metadata: not JSON, not an
    object, or ``validateMetadata`` finds a wrong type (server/inventoryUtils.ts:377-455)."""
    raw = row[1]
    if raw is None:
        return False
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return True
    if not isinstance(data, dict):
        return True
    tests = data.get("testResults")
    if tests is not None:
        if not isinstance(tests, dict):
            return True
        for key in ("thc", "cbd"):
            value = tests.get(key)
            if key in tests and (isinstance(value, bool) or not isinstance(value, int | float)):
                return True
        if "terpenes" in tests and not isinstance(tests["terpenes"], list):
            return True
    if "packaging" in data and not isinstance(data["packaging"], dict):
        return True
    sourcing = data.get("sourcing")
    if "sourcing" in data:
        if not isinstance(sourcing, dict):
            return True
        if "organic" in sourcing and not isinstance(sourcing["organic"], bool):
            return True
    return False


def _metadata_rows(scope: Seeded | None) -> sa.Select[Any]:
    b = _t("batches")
    q = sa.select(b.c.id, b.c.metadata).where(b.c.metadata.is_not(None))
    return _within(q, b, scope)


# -- how orders touch batches -----------------------------------------------------------------


INVENTORY_RULES: Final[list[Rule]] = [
    row_rule(
        "terp:lot-vendor-is-supplier:lots",
        "lots",
        "lots.vendorId is the lot's supplier client (= supplier_client_id): TERP looks "
        "lots.vendorId up in clients (orders' vendor filter; vendorDisplay.ts:25-70 names it "
        "by clients.id first)",
        "server/routers/orders.ts:2990-3024",
        _lot_vendor_not_supplier,
    ),
    row_rule(
        "terp:lot-supplier-is-seller:lots",
        "lots",
        "lots.supplier_client_id names a live clients row with is_seller = 1: intake resolves "
        "the supplier among sellers, and the supplier's batch list filters on it",
        "server/inventoryIntakeService.ts:179-204",
        _lot_supplier_not_seller,
    ),
    row_rule(
        "terp:batch-created-after-lot:batches",
        "batches",
        "a batch is created at or after its lot's date: intake writes the lot (date = now) "
        "and its batch in one transaction",
        "server/inventoryIntakeService.ts:262-360",
        _batch_before_lot,
    ),
    row_rule(
        "terp:quarantine-moves-stock:batches",
        "batches",
        "quarantining moves onHandQty into quarantineQty (a QUARANTINED batch has onHandQty "
        "0) and releasing to LIVE moves it back (a LIVE batch has quarantineQty 0)",
        "server/inventoryDb.ts:1832-1880",
        _quarantine_misplaced,
    ),
    row_rule(
        "terp:sold-out-has-nothing-available:batches",
        "batches",
        "a SOLD_OUT batch has nothing available (onHandQty - reservedQty <= 0): the catalogue "
        "sync marks a batch SOLD_OUT exactly then",
        "server/services/catalogPublishingService.ts:470-500",
        _sold_out_with_stock,
    ),
    row_rule(
        "terp:published-only-live-photographed:batches",
        "batches",
        "a batch published to B2B or e-commerce is LIVE with isPhotographyComplete: TERP "
        "refuses to publish any other",
        "server/services/catalogPublishingService.ts:49-100",
        _published_unready,
    ),
    row_rule(
        "terp:allocations-within-on-hand:batches",
        "batches",
        "reservedQty + quarantineQty + holdQty <= onHandQty (TERP's quantity consistency "
        "check; a QUARANTINED batch is exempt, its stock sits in quarantineQty)",
        "server/inventoryUtils.ts:28-72",
        _over_allocated,
    ),
    row_rule(
        "terp:photo-session-after-intake:batches",
        "batches",
        "a batch's photo_session_event_id is a PHOTOGRAPHY event on or after the batch's "
        "intake day (a batch is photographed once it is in the warehouse)",
        "drizzle/schema.ts:684-687",
        _photo_before_intake,
    ),
    Rule(
        "terp:batch-code-outside-app-sequence:batches",
        "batches",
        "no batch code has the shape TERP issues next from its batch_code sequence "
        "(BATCH- + six digits above 001000): intake would retry on every such duplicate",
        _codes("batches", "code", "BATCH-"),
        check=_app_sequence_code("BATCH-"),
        source="server/sequenceDb.ts:22-117",
    ),
    Rule(
        "terp:lot-code-outside-app-sequence:lots",
        "lots",
        "no lot code has the shape TERP issues next from its lot_code sequence (LOT- + six "
        "digits above 001000): intake silently reuses an existing lot with that code",
        _codes("lots", "code", "LOT-"),
        check=_app_sequence_code("LOT-"),
        source="server/inventoryIntakeService.ts:250-279",
    ),
    Rule(
        "terp:batch-metadata-shape:batches",
        "batches",
        "batches.metadata is NULL or a JSON object TERP's validateMetadata accepts "
        "(testResults.thc/cbd numbers, terpenes an array, packaging and sourcing objects, "
        "sourcing.organic a boolean); parseMetadata drops anything else",
        _metadata_rows,
        check=metadata_invalid,
        source="server/inventoryUtils.ts:377-455",
    ),
]
"""Rules about the inventory tables alone."""

RULES: Final[list[Rule]] = INVENTORY_RULES
"""Every inventory rule (how orders touch batches is checked by terp_sales and terp_derived)."""

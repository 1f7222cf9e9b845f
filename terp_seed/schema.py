"""TERP's tables as SQLAlchemy Core metadata, mirroring ``terp-schema.md`` exactly.

The 18 core tables of TERP's ``drizzle/schema.ts`` plus stubs for the four FK parents they point
at (``workflow_statuses``, ``calendar_events``, ``bankAccounts``, ``bills``). Table and column
names, column order, types, nullability, server defaults, UNIQUE constraints, indexes and real
foreign keys follow the spec; ``tests/test_schema_spec.py`` fails when they drift apart.

Every column carries ``info["pii"]``: the PII catalogue that masking, docs and the leak scan read
(as the spec tags it; ``info["pii_catalogue"]`` gives a kind to a column the spec tags ``none``
that can hold personal data all the same, e.g. ``users.openId``).
Relationships that TERP keeps in application code only ("Not a DB FK" in the spec) are recorded
on the child column as ``info["app_ref"] = "<table>.<column>"`` when the parent is modelled here,
``info["app_ref_external"]`` when it is not, and ``invoices.referenceId`` is marked
``info["app_ref_polymorphic"]``. :func:`relations` lists real and application-level references
together; :data:`TERP_TABLES` is the parents-first order that seeding and rollback follow.

Types are chosen to create the same tables on MariaDB/MySQL and on SQLite (tests): native ENUM
without CHECK, BOOLEAN without CHECK, and :class:`NowOnUpdate` for ``ON UPDATE
CURRENT_TIMESTAMP``, which SQLite lacks.
"""

from __future__ import annotations

import datetime
import heapq
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

PiiKind = Literal[
    "none",
    "person_name",
    "email",
    "phone",
    "address",
    "company_name",
    "free_text",
    "tax_id",
    "license_number",
    "ip",
    "date_of_birth",
    "ssn",
    "medical_id",
]
"""The PII tags used in ``info["pii"]``; ``"none"`` marks a column that holds no PII. TERP's
tables use the first nine; ``ip``, ``date_of_birth``, ``ssn`` and ``medical_id`` are there for
schemas that have such columns (the masking rules support every kind)."""

PII_KINDS: Final[tuple[PiiKind, ...]] = get_args(PiiKind)

NOW: Final = "CURRENT_TIMESTAMP"
"""Server default of Drizzle's ``defaultNow()``."""


class NowOnUpdate(FunctionElement[datetime.datetime]):
    """``CURRENT_TIMESTAMP`` that MySQL/MariaDB also refresh on every UPDATE (``onUpdateNow()``).

    Used as ``server_default=NowOnUpdate()``. SQLite has no ``ON UPDATE`` clause, so there (and on
    any other dialect) it renders as a plain ``CURRENT_TIMESTAMP`` default.
    """

    type = sa.TIMESTAMP()
    name = "now_on_update"
    inherit_cache = True


@compiles(NowOnUpdate)
def _now_on_update_default(element: NowOnUpdate, compiler: SQLCompiler, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(NowOnUpdate, "mysql")
@compiles(NowOnUpdate, "mariadb")
def _now_on_update_mysql(element: NowOnUpdate, compiler: SQLCompiler, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"


metadata = sa.MetaData()

# -- column and constraint builders -------------------------------------------------------------


def refreshes_on_update(column: sa.Column[Any]) -> bool:
    """Whether the database sets ``column`` to the current time on every UPDATE (MySQL's
    ``ON UPDATE CURRENT_TIMESTAMP``): an update that must leave it alone sets it to itself."""
    default = column.server_default
    return isinstance(default, sa.DefaultClause) and isinstance(default.arg, NowOnUpdate)


def _col(
    name: str,
    type_: sa.types.TypeEngine[Any] | type[sa.types.TypeEngine[Any]],
    *,
    nullable: bool = True,
    default: str | sa.ColumnElement[Any] | None = None,
    pii: PiiKind = "none",
    pii_catalogue: str | None = None,
    ref: str | None = None,
    external_ref: str | None = None,
    polymorphic: bool = False,
) -> sa.Column[Any]:
    """One spec row; ``default`` is the literal SQL of the server default (``"'USD'"``, ``"1"``).

    :param ref: ``"<table>.<column>"`` of a modelled parent the app (not the DB) references.
    :param external_ref: the same for a parent outside this model.
    :param polymorphic: the column points at a table chosen by another column.
    """
    info: dict[str, Any] = {"pii": pii}
    if pii_catalogue is not None:  # the spec says none; terp-seed masks and scans it as this kind
        info["pii_catalogue"] = pii_catalogue
    if ref is not None:
        info["app_ref"] = ref
    if external_ref is not None:
        info["app_ref_external"] = external_ref
    if polymorphic:
        info["app_ref_polymorphic"] = True
    server_default = sa.text(default) if isinstance(default, str) else default
    return sa.Column(name, type_, nullable=nullable, server_default=server_default, info=info)


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True, info={"pii": "none"})


def _deleted_at() -> sa.Column[Any]:
    return _col("deleted_at", sa.TIMESTAMP)


def _version() -> sa.Column[Any]:
    return _col("version", sa.Integer, nullable=False, default="1")


def _created(name: str = "createdAt", *, nullable: bool = False) -> sa.Column[Any]:
    return _col(name, sa.TIMESTAMP, nullable=nullable, default=NOW)


def _updated(name: str = "updatedAt", *, nullable: bool = False) -> sa.Column[Any]:
    return _col(name, sa.TIMESTAMP, nullable=nullable, default=NowOnUpdate())


def _bool() -> sa.Boolean:
    # No CHECK constraint: TERP's BOOLEAN is a bare tinyint(1).
    return sa.Boolean(create_constraint=False)


def _enum(table: str, column: str, values: str) -> sa.Enum:
    """A native ENUM (no CHECK on SQLite) of the space-separated ``values``, in spec order."""
    return sa.Enum(
        *values.split(), name=f"{table}_{column}", native_enum=True, create_constraint=False
    )


def _unique(table: str, column: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(column, name=f"{table}_{column}_unique")


def _fk(
    table: str, column: str, target: str, on_delete: str | None = None
) -> sa.ForeignKeyConstraint:
    """A real FK, named like drizzle-kit; ``on_delete=None`` is NO ACTION (the MySQL default)."""
    ref_table, ref_column = target.split(".")
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=f"{table}_{column}_{ref_table}_{ref_column}_fk",
        ondelete=on_delete,
    )


# Shared enums of schema.ts (same values wherever they are used).
_PAYMENT_TERMS = "COD NET_7 NET_15 NET_30 CONSIGNMENT PARTIAL"

# -- the 18 core tables -------------------------------------------------------------------------

users = sa.Table(
    "users",
    metadata,
    _id(),
    _col("openId", sa.String(64), nullable=False, pii_catalogue="login"),
    _deleted_at(),
    _col("name", sa.Text, pii="person_name"),
    _col("email", sa.String(320), pii="email"),
    _col("loginMethod", sa.String(64)),
    _col("role", _enum("users", "role", "user admin"), nullable=False, default="'user'"),
    _created(),
    _updated(),
    _col("lastSignedIn", sa.TIMESTAMP, nullable=False, default=NOW),
    _unique("users", "openId"),
)

clients = sa.Table(
    "clients",
    metadata,
    _id(),
    _version(),
    _col("teri_code", sa.String(50), nullable=False),
    _col("name", sa.String(255), nullable=False, pii="company_name"),
    _col("email", sa.String(255), pii="email"),
    _col("phone", sa.String(50), pii="phone"),
    _col("address", sa.Text, pii="address"),
    _col(
        "businessType",
        _enum(
            "clients",
            "businessType",
            "RETAIL WHOLESALE DISPENSARY DELIVERY MANUFACTURER DISTRIBUTOR OTHER",
        ),
    ),
    _col("preferredContact", _enum("clients", "preferredContact", "EMAIL PHONE TEXT ANY")),
    _col("payment_terms", sa.Integer, default="30"),
    _col("is_buyer", _bool(), default="0"),
    _col("is_seller", _bool(), default="0"),
    _col("is_brand", _bool(), default="0"),
    _col("is_referee", _bool(), default="0"),
    _col("is_contractor", _bool(), default="0"),
    _col("tags", sa.JSON, pii_catalogue="json"),
    _col("pricing_profile_id", sa.Integer, external_ref="pricing_profiles.id"),
    _col("custom_pricing_rules", sa.JSON, pii_catalogue="json"),
    _col(
        "cogsAdjustmentType",
        _enum(
            "clients",
            "cogsAdjustmentType",
            (
                "NONE PERCENTAGE PERCENTAGE_DECREASE PERCENTAGE_INCREASE "
                "FIXED_AMOUNT FIXED_DECREASE FIXED_INCREASE"
            ),
        ),
        default="'NONE'",
    ),
    _col("cogs_adjustment_value", sa.Numeric(15, 4), default="'0'"),
    _col("auto_defer_consignment", _bool(), default="0"),
    _col("total_spent", sa.Numeric(15, 2), default="'0'"),
    _col("total_profit", sa.Numeric(15, 2), default="'0'"),
    _col("avg_profit_margin", sa.Numeric(5, 2), default="'0'"),
    _col("total_owed", sa.Numeric(15, 2), default="'0'"),
    _col("oldest_debt_days", sa.Integer, default="0"),
    _col("credit_limit", sa.Numeric(15, 2), default="'0'"),
    _col("credit_limit_updated_at", sa.TIMESTAMP),
    _col(
        "creditLimitSource",
        _enum("clients", "creditLimitSource", "CALCULATED MANUAL"),
        default="'CALCULATED'",
    ),
    _col("credit_limit_override_reason", sa.Text, pii="free_text"),
    _col("vip_portal_enabled", _bool(), default="0"),
    _col("vip_portal_last_login", sa.TIMESTAMP),
    _col("wishlist", sa.Text, pii="free_text"),
    _col("referred_by_client_id", sa.Integer, ref="clients.id"),
    _deleted_at(),
    _created("created_at", nullable=True),
    _updated("updated_at", nullable=True),
    _unique("clients", "teri_code"),
    sa.Index("idx_teri_code", "teri_code"),
    sa.Index("idx_total_owed", "total_owed"),
    sa.Index("idx_referred_by", "referred_by_client_id"),
)

supplier_profiles = sa.Table(
    "supplier_profiles",
    metadata,
    _id(),
    _col("client_id", sa.Integer, nullable=False),
    _col("contact_name", sa.String(255), pii="person_name"),
    _col("contact_email", sa.String(320), pii="email"),
    _col("contact_phone", sa.String(50), pii="phone"),
    _col("payment_terms", sa.String(100)),
    _col("supplier_notes", sa.Text, pii="free_text"),
    _col("legacy_vendor_id", sa.Integer, ref="vendors.id"),
    _col(
        "preferred_payment_method",
        _enum(
            "supplier_profiles", "preferred_payment_method", "CASH CHECK WIRE ACH CREDIT_CARD OTHER"
        ),
    ),
    _col("tax_id", sa.String(50), pii="tax_id"),
    _col("license_number", sa.String(100), pii="license_number"),
    _created("created_at"),
    _updated("updated_at"),
    _unique("supplier_profiles", "client_id"),
    sa.Index("idx_supplier_profiles_client_id", "client_id"),
    sa.Index("idx_supplier_profiles_legacy_vendor", "legacy_vendor_id"),
    _fk("supplier_profiles", "client_id", "clients.id", "CASCADE"),
)

vendors = sa.Table(
    "vendors",
    metadata,
    _id(),
    _col("name", sa.String(255), nullable=False, pii="company_name"),
    _deleted_at(),
    _col("contactName", sa.String(255), pii="person_name"),
    _col("contactEmail", sa.String(320), pii="email"),
    _col("contactPhone", sa.String(50), pii="phone"),
    _col("paymentTerms", sa.String(100)),
    _col("notes", sa.Text, pii="free_text"),
    _created(),
    _updated(),
    _unique("vendors", "name"),
)

brands = sa.Table(
    "brands",
    metadata,
    _id(),
    _col("name", sa.String(255), nullable=False, pii="company_name"),
    _deleted_at(),
    _col("vendorId", sa.Integer, ref="vendors.id"),
    _col("description", sa.Text, pii_catalogue="free_text"),
    _created(),
    _updated(),
)

strains = sa.Table(
    "strains",
    metadata,
    _id(),
    _col("name", sa.String(255), nullable=False),
    _deleted_at(),
    _col("standardizedName", sa.String(255), nullable=False),
    _col("aliases", sa.Text),
    _col("category", sa.String(50)),
    _col("description", sa.Text),
    _col("openthcId", sa.String(255)),
    _col("openthcStub", sa.String(255)),
    _col("parentStrainId", sa.Integer, ref="strains.id"),
    _col("baseStrainName", sa.String(255)),
    _created(),
    _updated(),
    _unique("strains", "name"),
)

categories = sa.Table(
    "categories",
    metadata,
    _id(),
    _col("name", sa.String(100), nullable=False),
    _deleted_at(),
    _col("description", sa.Text),
    _col("isActive", sa.Integer, nullable=False, default="1"),
    _created(),
    _updated(),
    _unique("categories", "name"),
)

subcategories = sa.Table(
    "subcategories",
    metadata,
    _id(),
    _col("categoryId", sa.Integer, nullable=False, ref="categories.id"),
    _col("name", sa.String(100), nullable=False),
    _deleted_at(),
    _col("description", sa.Text),
    _col("isActive", sa.Integer, nullable=False, default="1"),
    _created(),
    _updated(),
)

grades = sa.Table(
    "grades",
    metadata,
    _id(),
    _col("name", sa.String(50), nullable=False),
    _deleted_at(),
    _col("description", sa.Text),
    _col("sortOrder", sa.Integer, default="0"),
    _col("isActive", sa.Integer, nullable=False, default="1"),
    _created(),
    _updated(),
    _unique("grades", "name"),
)

products = sa.Table(
    "products",
    metadata,
    _id(),
    _col("brandId", sa.Integer, nullable=False, ref="brands.id"),
    _col("supplier_client_id", sa.Integer),
    _col("strainId", sa.Integer, ref="strains.id"),
    _col("nameCanonical", sa.String(500), nullable=False),
    _deleted_at(),
    # category/subcategory hold the NAME, not the id.
    _col("category", sa.String(100), nullable=False, ref="categories.name"),
    _col("subcategory", sa.String(100), ref="subcategories.name"),
    _col("uomSellable", sa.String(20), nullable=False, default="'EA'"),
    _col("description", sa.Text),
    _created(),
    _updated(),
    sa.Index("idx_products_supplier_client_id", "supplier_client_id"),
    _fk("products", "supplier_client_id", "clients.id", "SET NULL"),
)

lots = sa.Table(
    "lots",
    metadata,
    _id(),
    _col("code", sa.String(50), nullable=False),
    _deleted_at(),
    _col("supplier_client_id", sa.Integer),
    _col("vendorId", sa.Integer, nullable=False, ref="vendors.id"),
    _col("date", sa.TIMESTAMP, nullable=False),
    _col("notes", sa.Text, pii="free_text"),
    _created(),
    _updated(),
    _unique("lots", "code"),
    sa.Index("idx_lots_supplier_client_id", "supplier_client_id"),
    _fk("lots", "supplier_client_id", "clients.id", "RESTRICT"),
)

batches = sa.Table(
    "batches",
    metadata,
    _id(),
    _col("code", sa.String(50), nullable=False),
    _deleted_at(),
    _version(),
    _col("sku", sa.String(100), nullable=False),
    _col("productId", sa.Integer, nullable=False, ref="products.id"),
    _col("lotId", sa.Integer, nullable=False, ref="lots.id"),
    _col(
        "batchStatus",
        _enum("batches", "batchStatus", "AWAITING_INTAKE LIVE ON_HOLD QUARANTINED SOLD_OUT CLOSED"),
        nullable=False,
        default="'AWAITING_INTAKE'",
    ),
    _col("isPhotographyComplete", _bool(), nullable=False, default="0"),
    _col("statusId", sa.Integer),
    _col("grade", sa.String(10), ref="grades.name"),
    _col("isSample", sa.Integer, nullable=False, default="0"),
    _col("sampleOnly", sa.Integer, nullable=False, default="0"),
    _col("sampleAvailable", sa.Integer, nullable=False, default="0"),
    _col("cogsMode", _enum("batches", "cogsMode", "FIXED RANGE"), nullable=False),
    _col("unitCogs", sa.Numeric(15, 4)),
    _col("unitCogsMin", sa.Numeric(15, 4)),
    _col("unitCogsMax", sa.Numeric(15, 4)),
    _col("paymentTerms", _enum("batches", "paymentTerms", _PAYMENT_TERMS), nullable=False),
    _col(
        "ownership_type",
        _enum("batches", "ownership_type", "CONSIGNED OFFICE_OWNED SAMPLE"),
        nullable=False,
        default="'CONSIGNED'",
    ),
    _col("amountPaid", sa.Numeric(12, 2), default="'0'"),
    _col("metadata", sa.Text),
    _col("photo_session_event_id", sa.Integer),
    _col("onHandQty", sa.Numeric(15, 4), nullable=False, default="'0'"),
    _col("sampleQty", sa.Numeric(15, 4), nullable=False, default="'0'"),
    _col("reservedQty", sa.Numeric(15, 4), nullable=False, default="'0'"),
    _col("quarantineQty", sa.Numeric(15, 4), nullable=False, default="'0'"),
    _col("holdQty", sa.Numeric(15, 4), nullable=False, default="'0'"),
    _col("defectiveQty", sa.Numeric(15, 4), nullable=False, default="'0'"),
    _col("publishEcom", sa.Integer, nullable=False, default="0"),
    _col("publishB2b", sa.Integer, nullable=False, default="0"),
    _created(),
    _updated(),
    _unique("batches", "code"),
    _unique("batches", "sku"),
    sa.Index("idx_batches_product_id", "productId"),
    sa.Index("idx_batches_product_status", "productId", "batchStatus"),
    sa.Index("idx_batches_status_created", "batchStatus", "createdAt"),
    _fk("batches", "statusId", "workflow_statuses.id", "SET NULL"),
    _fk("batches", "photo_session_event_id", "calendar_events.id", "SET NULL"),
)

locations = sa.Table(
    "locations",
    metadata,
    _id(),
    _col("site", sa.String(100), nullable=False),
    _deleted_at(),
    _col("zone", sa.String(100)),
    _col("rack", sa.String(100)),
    _col("shelf", sa.String(100)),
    _col("bin", sa.String(100)),
    _col("isActive", sa.Integer, nullable=False, default="1"),
    _created(),
    _updated(),
)

batch_locations = sa.Table(
    "batchLocations",
    metadata,
    _id(),
    _col("batchId", sa.Integer, nullable=False, ref="batches.id"),
    # site..bin are copied text, not a reference to locations.id.
    _col("site", sa.String(100), nullable=False),
    _deleted_at(),
    _col("zone", sa.String(100)),
    _col("rack", sa.String(100)),
    _col("shelf", sa.String(100)),
    _col("bin", sa.String(100)),
    _col("qty", sa.Numeric(15, 4), nullable=False),
    _created(),
    _updated(),
)

orders = sa.Table(
    "orders",
    metadata,
    _id(),
    _version(),
    _col("order_number", sa.String(50), nullable=False),
    _col("orderType", _enum("orders", "orderType", "QUOTE SALE"), nullable=False),
    _col("is_draft", _bool(), nullable=False, default="1"),
    _col("client_id", sa.Integer, nullable=False),
    _col("client_need_id", sa.Integer, external_ref="client_needs.id"),
    _col("intake_event_id", sa.Integer),
    _col("items", sa.JSON, nullable=False, pii_catalogue="json"),
    _col("subtotal", sa.Numeric(15, 2), nullable=False),
    _col("tax", sa.Numeric(15, 2), default="'0'"),
    _col("discount", sa.Numeric(15, 2), default="'0'"),
    _col("shipping", sa.Numeric(15, 2), default="'0'"),
    _col("show_adjustment_on_document", _bool(), nullable=False, default="1"),
    _col("total", sa.Numeric(15, 2), nullable=False),
    _col("total_cogs", sa.Numeric(15, 4)),
    _col("total_margin", sa.Numeric(15, 2)),
    _col("avg_margin_percent", sa.Numeric(5, 2)),
    _col("valid_until", sa.Date),
    _col(
        "quoteStatus",
        _enum("orders", "quoteStatus", "UNSENT SENT VIEWED REJECTED EXPIRED CONVERTED"),
    ),
    _col("paymentTerms", _enum("orders", "paymentTerms", _PAYMENT_TERMS)),
    _col("cash_payment", sa.Numeric(15, 2), default="'0'"),
    _col("due_date", sa.Date),
    _col(
        "saleStatus",
        _enum("orders", "saleStatus", "PENDING PARTIAL PAID OVERDUE CANCELLED"),
    ),
    _col("invoice_id", sa.Integer, ref="invoices.id"),
    _col(
        "fulfillmentStatus",
        _enum(
            "orders",
            "fulfillmentStatus",
            (
                "DRAFT CONFIRMED READY_FOR_PACKING PACKED SHIPPED DELIVERED "
                "RETURNED RESTOCKED RETURNED_TO_VENDOR CANCELLED"
            ),
        ),
        default="'READY_FOR_PACKING'",
    ),
    _col("packed_at", sa.TIMESTAMP),
    _col("packed_by", sa.Integer),
    _col("shipped_at", sa.TIMESTAMP),
    _col("shipped_by", sa.Integer),
    _col(
        "pickPackStatus",
        _enum("orders", "pickPackStatus", "PENDING PICKING PACKED READY"),
        default="'PENDING'",
    ),
    _col("referred_by_client_id", sa.Integer),
    _col("is_referral_order", _bool(), default="0"),
    _col("converted_from_order_id", sa.Integer),
    _col("converted_from_sales_sheet_id", sa.Integer, external_ref="sales_sheet_history.id"),
    _col("converted_at", sa.TIMESTAMP),
    _col("confirmed_at", sa.TIMESTAMP),
    _col("related_sample_request_id", sa.Integer, external_ref="sampleRequests.id"),
    _col("credit_override_approved", _bool(), default="0"),
    _col("credit_override_by", sa.Integer),
    _col("credit_override_reason", sa.Text, pii="free_text"),
    _col("credit_override_request_id", sa.Integer, external_ref="credit_override_requests.id"),
    _deleted_at(),
    _col("notes", sa.Text, pii="free_text"),
    _col("created_by", sa.Integer, nullable=False),
    _created("created_at", nullable=True),
    _updated("updated_at", nullable=True),
    _unique("orders", "order_number"),
    sa.Index("idx_client_id", "client_id"),
    sa.Index("idx_order_type", "orderType"),
    sa.Index("idx_is_draft", "is_draft"),
    sa.Index("idx_quote_status", "quoteStatus"),
    sa.Index("idx_sale_status", "saleStatus"),
    sa.Index("idx_fulfillment_status", "fulfillmentStatus"),
    sa.Index("idx_created_at", "created_at"),
    sa.Index("idx_converted_from_sales_sheet_id", "converted_from_sales_sheet_id"),
    sa.Index("idx_orders_deleted_at", "deleted_at"),
    _fk("orders", "client_id", "clients.id", "CASCADE"),
    _fk("orders", "intake_event_id", "calendar_events.id", "SET NULL"),
    _fk("orders", "packed_by", "users.id"),
    _fk("orders", "shipped_by", "users.id"),
    _fk("orders", "referred_by_client_id", "clients.id"),
    _fk("orders", "converted_from_order_id", "orders.id"),
    _fk("orders", "credit_override_by", "users.id"),
    _fk("orders", "created_by", "users.id"),
)

order_line_items = sa.Table(
    "order_line_items",
    metadata,
    _id(),
    _col("order_id", sa.Integer, nullable=False, ref="orders.id"),
    _col("batch_id", sa.Integer, nullable=False, ref="batches.id"),
    _col("product_display_name", sa.String(255)),
    _col("quantity", sa.Numeric(10, 2), nullable=False),
    _col("cogs_per_unit", sa.Numeric(15, 4), nullable=False),
    _col("original_cogs_per_unit", sa.Numeric(15, 4), nullable=False),
    _col(
        "effective_cogs_basis",
        _enum("order_line_items", "effective_cogs_basis", "LOW MID HIGH MANUAL"),
        nullable=False,
        default="'MANUAL'",
    ),
    _col("original_range_min", sa.Numeric(15, 4)),
    _col("original_range_max", sa.Numeric(15, 4)),
    _col("is_below_vendor_range", _bool(), nullable=False, default="0"),
    _col("below_range_reason", sa.Text, pii="free_text"),
    _col("is_cogs_overridden", _bool(), nullable=False, default="0"),
    _col("cogs_override_reason", sa.Text, pii="free_text"),
    _col("margin_percent", sa.Numeric(5, 2), nullable=False),
    _col("margin_dollar", sa.Numeric(10, 2), nullable=False),
    _col("is_margin_overridden", _bool(), nullable=False, default="0"),
    _col(
        "margin_source",
        _enum("order_line_items", "margin_source", "CUSTOMER_PROFILE DEFAULT MANUAL"),
        nullable=False,
    ),
    _col("unit_price", sa.Numeric(10, 2), nullable=False),
    _col("line_total", sa.Numeric(10, 2), nullable=False),
    _col("is_sample", _bool(), nullable=False, default="0"),
    _created("created_at"),
    _updated("updated_at"),
    sa.Index("idx_order_id", "order_id"),
    sa.Index("idx_batch_id", "batch_id"),
)

invoices = sa.Table(
    "invoices",
    metadata,
    _id(),
    _col("invoiceNumber", sa.String(50), nullable=False),
    _deleted_at(),
    _version(),
    _col("customerId", sa.Integer, nullable=False),
    _col("invoiceDate", sa.Date, nullable=False),
    _col("dueDate", sa.Date, nullable=False),
    _col("subtotal", sa.Numeric(12, 2), nullable=False),
    _col("taxAmount", sa.Numeric(12, 2), nullable=False, default="'0.00'"),
    _col("discountAmount", sa.Numeric(12, 2), nullable=False, default="'0.00'"),
    _col("totalAmount", sa.Numeric(12, 2), nullable=False),
    _col("amountPaid", sa.Numeric(12, 2), nullable=False, default="'0.00'"),
    _col("amountDue", sa.Numeric(12, 2), nullable=False),
    _col(
        "status",
        _enum("invoices", "status", "DRAFT SENT VIEWED PARTIAL PAID OVERDUE VOID"),
        nullable=False,
        default="'DRAFT'",
    ),
    _col("paymentTerms", sa.String(100)),
    _col("notes", sa.Text, pii="free_text"),
    # referenceType (SALE / ORDER / CONTRACT ...) names the table referenceId points at.
    _col("referenceType", sa.String(50)),
    _col("referenceId", sa.Integer, polymorphic=True),
    _col("createdBy", sa.Integer, nullable=False),
    _created(),
    _updated(),
    _unique("invoices", "invoiceNumber"),
    sa.Index("idx_invoices_customer_id", "customerId"),
    sa.Index("idx_invoices_created_by", "createdBy"),
    sa.Index("idx_invoices_customer_status", "customerId", "status"),
    sa.Index("idx_invoices_status_due_date", "status", "dueDate"),
    sa.Index("idx_invoices_status_created", "status", "createdAt"),
    sa.Index("idx_invoices_reference", "referenceType", "referenceId"),
    _fk("invoices", "customerId", "clients.id", "RESTRICT"),
    _fk("invoices", "createdBy", "users.id", "RESTRICT"),
)

payments = sa.Table(
    "payments",
    metadata,
    _id(),
    _col("paymentNumber", sa.String(50), nullable=False),
    _deleted_at(),
    _col("paymentType", _enum("payments", "paymentType", "RECEIVED SENT"), nullable=False),
    _col("paymentDate", sa.Date, nullable=False),
    _col("amount", sa.Numeric(12, 2), nullable=False),
    _col(
        "paymentMethod",
        _enum("payments", "paymentMethod", "CASH CHECK WIRE ACH CREDIT_CARD DEBIT_CARD OTHER"),
        nullable=False,
    ),
    _col("referenceNumber", sa.String(100), pii_catalogue="account_number"),
    _col("bankAccountId", sa.Integer),
    _col("customerId", sa.Integer),
    _col("vendorId", sa.Integer),  # a client (AP side), not vendors.id
    _col("invoiceId", sa.Integer),
    _col("billId", sa.Integer),
    _col("notes", sa.Text, pii="free_text"),
    _col("isReconciled", _bool(), nullable=False, default="0"),
    _col("reconciledAt", sa.TIMESTAMP),
    _col("createdBy", sa.Integer, nullable=False),
    _created(),
    _updated(),
    _version(),
    _unique("payments", "paymentNumber"),
    sa.Index("idx_payments_customer_id", "customerId"),
    sa.Index("idx_payments_vendor_id", "vendorId"),
    sa.Index("idx_payments_bank_account_id", "bankAccountId"),
    sa.Index("idx_payments_invoice_id", "invoiceId"),
    sa.Index("idx_payments_bill_id", "billId"),
    sa.Index("idx_payments_created_by", "createdBy"),
    sa.Index("idx_payments_customer_date", "customerId", "paymentDate"),
    sa.Index("idx_payments_vendor_date", "vendorId", "paymentDate"),
    sa.Index("idx_payments_type_date", "paymentType", "paymentDate"),
    sa.Index("idx_payments_reconcile_status", "isReconciled", "paymentDate"),
    _fk("payments", "bankAccountId", "bankAccounts.id", "RESTRICT"),
    _fk("payments", "customerId", "clients.id", "RESTRICT"),
    _fk("payments", "vendorId", "clients.id", "RESTRICT"),
    _fk("payments", "invoiceId", "invoices.id", "RESTRICT"),
    _fk("payments", "billId", "bills.id", "RESTRICT"),
    _fk("payments", "createdBy", "users.id", "RESTRICT"),
)

# -- FK parent stubs: only the PK and NOT NULL columns ------------------------------------------

workflow_statuses = sa.Table(
    "workflow_statuses",
    metadata,
    _id(),
    _col("name", sa.String(100), nullable=False),
    _col("slug", sa.String(50), nullable=False),
    _col("color", sa.String(20), nullable=False, default="'#6B7280'"),
    _col("order", sa.Integer, nullable=False, default="0"),
    _col("isActive", sa.Integer, nullable=False, default="1"),
    _created(),
    _updated(),
    _unique("workflow_statuses", "slug"),
)

calendar_events = sa.Table(
    "calendar_events",
    metadata,
    _id(),
    _col("title", sa.String(255), nullable=False, pii="free_text"),
    _col("start_date", sa.Date, nullable=False),
    _col("end_date", sa.Date, nullable=False),
    _col("is_floating_time", _bool(), nullable=False, default="0"),
    _col(
        "module",
        _enum(
            "calendar_events",
            "module",
            "INVENTORY ACCOUNTING CLIENTS VENDORS ORDERS SAMPLES COMPLIANCE GENERAL",
        ),
        nullable=False,
    ),
    _col(
        "event_type",
        _enum(
            "calendar_events",
            "event_type",
            (
                "MEETING DEADLINE TASK DELIVERY PAYMENT_DUE FOLLOW_UP AUDIT "
                "INTAKE PHOTOGRAPHY BATCH_EXPIRATION RECURRING_ORDER "
                "SAMPLE_REQUEST OTHER AR_COLLECTION AP_PAYMENT"
            ),
        ),
        nullable=False,
    ),
    _col(
        "status",
        _enum("calendar_events", "status", "SCHEDULED IN_PROGRESS COMPLETED CANCELLED"),
        nullable=False,
        default="'SCHEDULED'",
    ),
    _col(
        "priority",
        _enum("calendar_events", "priority", "LOW MEDIUM HIGH URGENT"),
        nullable=False,
        default="'MEDIUM'",
    ),
    _col("is_recurring", _bool(), nullable=False, default="0"),
    _col("created_by", sa.Integer, nullable=False),
    _col(
        "visibility",
        _enum("calendar_events", "visibility", "PRIVATE TEAM COMPANY PUBLIC"),
        nullable=False,
        default="'COMPANY'",
    ),
    _col("is_auto_generated", _bool(), nullable=False, default="0"),
    _version(),
    _created("created_at"),
    _updated("updated_at"),
    _fk("calendar_events", "created_by", "users.id"),
)

bank_accounts = sa.Table(
    "bankAccounts",
    metadata,
    _id(),
    _col("accountName", sa.String(255), nullable=False, pii_catalogue="free_text"),
    # Sensitive; none of the spec's PII tags fits a bank account number (spec: "none").
    _col("accountNumber", sa.String(50), nullable=False, pii_catalogue="account_number"),
    _col("bankName", sa.String(255), nullable=False, pii="company_name"),
    _col(
        "accountType",
        _enum("bankAccounts", "accountType", "CHECKING SAVINGS MONEY_MARKET CREDIT_CARD"),
        nullable=False,
    ),
    _col("currency", sa.String(3), nullable=False, default="'USD'"),
    _col("currentBalance", sa.Numeric(12, 2), nullable=False, default="'0.00'"),
    _col("isActive", _bool(), nullable=False, default="1"),
    _created(),
    _updated(),
)

bills = sa.Table(
    "bills",
    metadata,
    _id(),
    _col("billNumber", sa.String(50), nullable=False),
    _col("vendorId", sa.Integer, nullable=False, ref="vendors.id"),
    _col("billDate", sa.Date, nullable=False),
    _col("dueDate", sa.Date, nullable=False),
    _col("subtotal", sa.Numeric(12, 2), nullable=False),
    _col("taxAmount", sa.Numeric(12, 2), nullable=False, default="'0.00'"),
    _col("discountAmount", sa.Numeric(12, 2), nullable=False, default="'0.00'"),
    _col("totalAmount", sa.Numeric(12, 2), nullable=False),
    _col("amountPaid", sa.Numeric(12, 2), nullable=False, default="'0.00'"),
    _col("amountDue", sa.Numeric(12, 2), nullable=False),
    _col(
        "status",
        _enum("bills", "status", "DRAFT PENDING APPROVED PARTIAL PAID OVERDUE VOID"),
        nullable=False,
        default="'DRAFT'",
    ),
    _col("createdBy", sa.Integer, nullable=False, ref="users.id"),
    _created(),
    _updated(),
    _unique("bills", "billNumber"),
)

# -- derived views of the model -----------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Relation:
    """A child column referencing a parent column, by a real FK or in application code only.

    ``on_delete`` is the FK's rule (``"NO ACTION"`` when none is declared) for an enforced
    relation, and ``None`` for an application-level one.
    """

    child_table: str
    child_column: str
    parent_table: str
    parent_column: str
    enforced: bool
    on_delete: str | None


def relations(md: sa.MetaData = metadata) -> list[Relation]:
    """Every real FK (``enforced=True``) and every ``info["app_ref"]`` (``enforced=False``), sorted.

    References to tables outside the model (``app_ref_external``) and polymorphic ones are left
    out: there is no parent table here to order or check against.
    """
    found: list[Relation] = []
    for table in md.tables.values():
        for fk_constraint in table.foreign_key_constraints:
            on_delete = fk_constraint.ondelete or "NO ACTION"
            for element in fk_constraint.elements:
                parent_table, parent_column = element.target_fullname.rsplit(".", 1)
                found.append(
                    Relation(
                        table.name,
                        element.parent.name,
                        parent_table,
                        parent_column,
                        True,
                        on_delete,
                    )
                )
        for column in table.columns:
            target = column.info.get("app_ref")
            if target is not None:
                parent_table, parent_column = str(target).rsplit(".", 1)
                found.append(
                    Relation(table.name, column.name, parent_table, parent_column, False, None)
                )
    return sorted(
        found,
        key=lambda r: (r.child_table, r.child_column, r.parent_table, r.parent_column, r.enforced),
    )


def dependency_order(md: sa.MetaData = metadata) -> tuple[str, ...]:
    """Table names with every parent (real FK or app reference) before its children.

    Self-references are ignored. Ties keep declaration order, so the result is deterministic.

    :raises ValueError: the references form a cycle between different tables.
    """
    position = {name: i for i, name in enumerate(md.tables)}
    parents: dict[str, set[str]] = {name: set() for name in position}
    for rel in relations(md):
        if rel.parent_table != rel.child_table and rel.parent_table in position:
            parents[rel.child_table].add(rel.parent_table)
    ready = [(position[name], name) for name, deps in parents.items() if not deps]
    heapq.heapify(ready)
    ordered: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        ordered.append(name)
        for child, deps in parents.items():
            if name in deps:
                deps.remove(name)
                if not deps:
                    heapq.heappush(ready, (position[child], child))
    if len(ordered) != len(position):
        stuck = sorted(set(position) - set(ordered))
        raise ValueError(f"reference cycle between tables {stuck}: no parents-first order exists")
    return tuple(ordered)


TERP_TABLES: Final[tuple[str, ...]] = dependency_order(metadata)
"""All 22 DB table names, parents first: insert in this order, delete in reverse."""


def pii_columns(md: sa.MetaData = metadata) -> list[tuple[str, str, str]]:
    """``(table, column, kind)`` of every column whose ``info["pii"]`` (the spec's tag) is not
    ``"none"``; :func:`terp_seed.masking.catalogue.catalogue` adds ``info["pii_catalogue"]``."""
    return [
        (table.name, column.name, str(column.info["pii"]))
        for table in md.tables.values()
        for column in table.columns
        if column.info.get("pii", "none") != "none"
    ]

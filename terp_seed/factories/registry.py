"""Every factory terp-seed knows, by name: what it writes and what parents it needs."""

from __future__ import annotations

from types import MappingProxyType

from terp_seed.factories import (
    catalogue,
    inventory,
    parties,
    payables,
    reference,
    sales,
    staff,
)
from terp_seed.factories.base import Factory, FactorySpec


def _spec(
    name: str,
    fn: Factory,
    writes: tuple[str, ...] = (),
    needs: tuple[str, ...] = (),
    *,
    customer: bool = True,
    fixed: bool = False,
) -> FactorySpec:
    return FactorySpec(name, name, writes or (name,), needs, fn, customer, fixed)


_SPECS = (
    _spec("categories", reference.categories, customer=False, fixed=True),
    _spec(
        "subcategories", reference.subcategories, needs=("categories",), customer=False, fixed=True
    ),
    _spec("grades", reference.grades, customer=False, fixed=True),
    _spec("strains", reference.strains, customer=False, fixed=True),
    _spec("workflow_statuses", reference.workflow_statuses, customer=False, fixed=True),
    _spec("users", staff.users),
    # a supplier is one party: its clients, vendors (same key, same name) and supplier_profiles
    # rows come from one factory; buyers come after (the clients factory)
    _spec("vendors", parties.vendors, writes=("vendors", "clients", "supplier_profiles")),
    _spec("clients", parties.clients),
    _spec("bankAccounts", payables.bank_accounts, customer=False),
    _spec("calendar_events", inventory.calendar_events, needs=("users",)),
    _spec("brands", catalogue.brands, needs=("vendors", "clients")),
    _spec(
        "products",
        catalogue.products,
        needs=("brands", "clients", "strains", "categories", "subcategories"),
    ),
    _spec("lots", inventory.lots, needs=("clients", "vendors")),
    _spec("locations", inventory.locations, customer=False),
    _spec(
        "batches",
        inventory.batches,
        writes=("batches", "batchLocations"),
        needs=("products", "lots", "grades", "workflow_statuses", "locations", "calendar_events"),
    ),
    _spec(
        "bills", payables.bills, writes=("bills", "payments"), needs=("vendors", "clients", "users")
    ),
    _spec(
        "orders",
        sales.orders,
        writes=("orders", "order_line_items", "invoices", "payments"),
        needs=("clients", "users", "batches"),
    ),
)
FACTORIES = MappingProxyType({s.name: s for s in _SPECS})

"""Parties and reference data read the way TERP's code reads them (EvanTenenbaum/TERP at
b2e16915): staff log in, a vendorId names its supplier whichever way TERP resolves it, the
reference vocabulary is TERP's defaults, strains are found by TERP's slug, credit limits look
as TERP writes them, and every party exists before its first activity.

Small, medium and large at two seeds and two as-of days on SQLite; medium once on MariaDB.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import sqlalchemy as sa

from terp_seed.testing.plugin import run_alembic, schema_at_head

# The documented development password of every seeded staff account (docs/data.md).
DEV_PASSWORD = "TerpDev2026!"

CASES = [
    (size, seed, as_of)
    for size in ("small", "medium", "large")
    for seed in (3, 11)
    for as_of in ("2025-10-31", "2026-04-20")
]
IDS = [f"{size}-seed{seed}-{as_of}" for size, seed, as_of in CASES]

# server/services/seedDefaults.ts:175-220 (categories and subcategories, in insert order)
TERP_CATEGORIES = {
    "Flower": [
        "Tops/Colas", "Smalls/Popcorn", "Trim", "Shake", "Larf", "Machine Trim", "Hand Trim",
        "Outdoor", "Deps", "Indoor",
    ],
    "Concentrates": [
        "Shatter", "Wax", "Live Resin", "Rosin", "Diamonds", "Distillate", "Crumble", "Budder",
    ],
    "Edibles": ["Gummies", "Chocolates", "Beverages", "Baked Goods"],
    "Vapes": ["Cartridge", "All in One"],
    "Bulk Oil": [],
    "Manufactured Products": ["Preroll", "Edible", "Tincture", "Topical", "Accessory"],
}  # fmt: skip
# server/services/seedDefaults.ts:303-308
TERP_GRADES = [
    ("A", "Top shelf quality", 1),
    ("B", "Mid-tier quality", 2),
    ("C", "Budget quality", 3),
    ("D", "Economy quality", 4),
]
# drizzle/migrations/0001_add_workflow_queue_tables.sql:70-76
TERP_WORKFLOW = [
    ("Intake Queue", "intake-queue", "#EF4444", 1, 1),
    ("Quality Check", "quality-check", "#F59E0B", 2, 1),
    ("Lab Testing", "lab-testing", "#3B82F6", 3, 1),
    ("Packaging", "packaging", "#8B5CF6", 4, 1),
    ("Ready for Sale", "ready-for-sale", "#10B981", 5, 1),
    ("On Hold", "on-hold", "#6B7280", 6, 1),
]


def normalize_strain_name(name: str) -> str:
    """server/strainMatcher.ts:59-65, step by step as the TypeScript does it."""
    text = name.strip().lower()
    text = re.sub(r"[^\w\s-]", "", text, flags=re.ASCII)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s", "-", text)
    text = re.sub(r"-+", "-", text)
    return re.sub(r"^-|-$", "", text)


# -- the seeded databases ---------------------------------------------------------------------

_SEEDED: dict[tuple[str, int, str], str] = {}


def _seed(url: str, size: str, seed: int, as_of: str) -> None:
    schema_at_head(url)
    args = ("-n", "seed", "-x", f"size={size}", "-x", f"seed={seed}", "-x", f"as_of={as_of}")
    result = run_alembic(url, *args, "upgrade", "head")
    assert result.code == 0, result.err[-2000:]


@pytest.fixture
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Connection]:
    """A connection to a SQLite database seeded with the case's size, seed and as-of day
    (seeded once per test process)."""
    key = request.param
    if key not in _SEEDED:
        path = Path(tmp_path_factory.mktemp("terp_parties")) / "terp.sqlite"
        _SEEDED[key] = f"sqlite:///{path}"
        _seed(_SEEDED[key], *key)
    engine = sa.create_engine(_SEEDED[key], poolclass=sa.NullPool)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _rows(conn: sa.Connection, sql: str) -> list[Any]:
    return list(conn.execute(sa.text(sql)))


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _vendor_name_map(conn: sa.Connection, vendor_ids: set[int]) -> dict[int, str]:
    """server/vendorDisplay.ts:25-70: a vendorId is looked up as a (live) client id first,
    then as a supplier profile's legacy vendor id."""
    live = dict(_rows(conn, "SELECT id, name FROM clients WHERE deleted_at IS NULL"))
    legacy = dict(
        _rows(
            conn,
            "SELECT p.legacy_vendor_id, c.name FROM supplier_profiles p "
            "JOIN clients c ON c.id = p.client_id WHERE p.legacy_vendor_id IS NOT NULL",
        )
    )
    found: dict[int, str] = {}
    for vid in vendor_ids:
        if vid in live:
            found[vid] = live[vid]
        elif vid in legacy:
            found[vid] = legacy[vid]
    return found


# -- staff log in -------------------------------------------------------------------------------


@pytest.mark.parametrize("seeded", CASES, ids=IDS, indirect=True)
def test_seeded_staff_can_log_in(seeded: sa.Connection) -> None:
    """server/_core/simpleAuth.ts:147-213: login finds the user by email = the typed username,
    bcrypt-compares the password with loginMethod; the session finds it by openId."""
    users = _rows(
        seeded, "SELECT openId, email, loginMethod, role, createdAt, lastSignedIn FROM users"
    )
    assert users
    hashes = {login for _o, _e, login, _r, _c, _l in users}
    for login in hashes:  # one hash per run: bcrypt costs 70 ms a check
        assert login and login.startswith("$2b$10$") and len(login) == 60
        assert bcrypt.checkpw(DEV_PASSWORD.encode(), login.encode())
    emails = [email for _o, email, *_ in users]
    assert len(set(emails)) == len(emails)  # the first row with the username wins
    for open_id, email, _login, _role, created, signed_in in users:
        assert open_id == email and len(open_id) <= 64
        assert _when(created) <= _when(signed_in)
    roles = {email: role for _o, email, _l, role, _c, _s in users}
    # no user_roles are seeded: the named staff accounts are admins
    assert roles["admin@terp.test"] == "admin"
    assert roles["sales.manager@terp.test"] == "admin"


# -- one supplier, one party ----------------------------------------------------------------------


@pytest.mark.parametrize("seeded", CASES, ids=IDS, indirect=True)
def test_a_supplier_is_one_party_under_both_readings(seeded: sa.Connection) -> None:
    """Contract: a seller client, one vendor with its key and name, one profile mapping it
    (server/vendorDisplay.ts:25-70, server/services/vendorMappingService.ts:138-167, 313-344,
    server/inventoryIntakeService.ts:183-204)."""
    vendors = {
        r[0]: r[1:]
        for r in _rows(
            seeded,
            "SELECT id, name, contactName, contactEmail, contactPhone, paymentTerms, notes, "
            "createdAt FROM vendors WHERE deleted_at IS NULL",
        )
    }
    sellers = dict(
        _rows(seeded, "SELECT id, name FROM clients WHERE is_seller = 1 AND deleted_at IS NULL")
    )
    assert vendors and set(vendors) == set(sellers)
    profiles = {
        r[0]: r[1:]
        for r in _rows(
            seeded,
            "SELECT legacy_vendor_id, client_id, contact_name, contact_email, contact_phone, "
            "payment_terms, supplier_notes FROM supplier_profiles",
        )
    }
    for vid, (name, person, email, phone, terms, notes, _created) in vendors.items():
        assert sellers[vid] == name
        assert profiles[vid] == (vid, person, email, phone, terms, notes)
    # TERP's "unmigrated vendors" list is empty: its migration would duplicate none of them
    assert not set(vendors) - set(profiles)
    # every vendorId the seed wrote names a supplier, the same one under both readings
    for table in ("brands", "lots", "bills"):
        ids = {r[0] for r in _rows(seeded, f"SELECT vendorId FROM {table}") if r[0] is not None}
        names = _vendor_name_map(seeded, ids)
        assert set(names) == ids, table
        assert all(sellers.get(vid) == names[vid] == vendors[vid][0] for vid in ids), table
    for (supplier,) in _rows(seeded, "SELECT supplier_client_id FROM products"):
        assert supplier in sellers


# -- reference data is TERP's --------------------------------------------------------------------


@pytest.mark.parametrize("seeded", CASES, ids=IDS, indirect=True)
def test_reference_data_is_terps_defaults(seeded: sa.Connection) -> None:
    categories = _rows(seeded, "SELECT id, name, description FROM categories ORDER BY id")
    assert [name for _id, name, _d in categories] == list(TERP_CATEGORIES)
    assert all(description is None for _i, _n, description in categories)
    by_id = {cid: name for cid, name, _d in categories}
    subs: dict[str, list[str]] = {name: [] for name in TERP_CATEGORIES}
    for category_id, name, description in _rows(
        seeded, "SELECT categoryId, name, description FROM subcategories ORDER BY id"
    ):
        subs[by_id[category_id]].append(name)
        assert description is None
    assert subs == TERP_CATEGORIES
    grades = _rows(seeded, "SELECT name, description, sortOrder FROM grades ORDER BY sortOrder")
    assert [tuple(g) for g in grades] == TERP_GRADES
    statuses = _rows(
        seeded, 'SELECT name, slug, color, "order", isActive FROM workflow_statuses ORDER BY id'
    )
    assert [tuple(s) for s in statuses] == TERP_WORKFLOW


@pytest.mark.parametrize("seeded", CASES, ids=IDS, indirect=True)
def test_strains_are_found_by_terps_slug(seeded: sa.Connection) -> None:
    """server/strainMatcher.ts:42-66 and :170-197: the exact match is
    ``standardizedName = normalizeStrainName(input)``; categories are lower case
    (server/routers/strains.ts:28)."""
    strains = _rows(seeded, "SELECT name, standardizedName, category FROM strains")
    assert len(strains) == 78
    for name, standardized, category in strains:
        assert standardized == normalize_strain_name(name), name
        assert category in ("indica", "sativa", "hybrid"), name
    slugs = [s for _n, s, _c in strains]
    assert len(set(slugs)) == len(slugs)  # the exact match finds one strain


@pytest.mark.parametrize("seeded", CASES, ids=IDS, indirect=True)
def test_products_sit_in_terps_categories(seeded: sa.Connection) -> None:
    """server/routers/productCategories.ts:60-69, 105-130: products store the category and
    subcategory NAMES; what sold as pre-rolls is sold as Manufactured Products / Preroll."""
    products = _rows(
        seeded, "SELECT category, subcategory, uomSellable FROM products WHERE deleted_at IS NULL"
    )
    assert products
    for category, subcategory, uom in products:
        assert category in TERP_CATEGORIES
        assert subcategory is None or subcategory in TERP_CATEGORIES[category]
        assert uom in ("EA", "G", "OZ", "LB", "KG")
    flower = sum(1 for c, _s, _u in products if c == "Flower")
    assert flower / len(products) > 0.75


@pytest.mark.parametrize("seeded", [c for c in CASES if c[0] == "large"], indirect=True)
def test_pre_rolls_are_still_sold(seeded: sa.Connection) -> None:
    rows = _rows(
        seeded,
        "SELECT COUNT(*) FROM products WHERE category = 'Manufactured Products' "
        "AND subcategory = 'Preroll'",
    )
    assert rows[0][0] > 0


# -- clients as TERP writes them -------------------------------------------------------------------


@pytest.mark.parametrize("seeded", CASES, ids=IDS, indirect=True)
def test_credit_limits_and_portal_as_terp_writes_them(seeded: sa.Connection) -> None:
    """server/creditEngine.ts:692-710 (syncCreditToClient writes limit, time, source and a
    reason only for MANUAL); server/services/vipPortalAdminService.ts:88-130 (the portal flag
    comes with login rows terp-seed does not write)."""
    clients = _rows(
        seeded,
        "SELECT credit_limit, credit_limit_updated_at, creditLimitSource, "
        "credit_limit_override_reason, vip_portal_enabled, created_at FROM clients",
    )
    for limit, updated, source, reason, portal, created in clients:
        if limit and float(limit) > 0:
            assert updated is not None and _when(updated) >= _when(created)
        assert (source == "MANUAL") == (reason is not None)
        assert not portal


@pytest.mark.parametrize("seeded", CASES, ids=IDS, indirect=True)
def test_parties_exist_before_their_first_activity(seeded: sa.Connection) -> None:
    def first(sql: str) -> dict[int, datetime]:
        return {k: _when(v) for k, v in _rows(seeded, sql) if v is not None}

    clients = first("SELECT id, created_at FROM clients")
    for table, column, day in (
        ("orders", "client_id", "created_at"),
        ("invoices", "customerId", "invoiceDate"),
    ):
        for key, when in first(f"SELECT {column}, MIN({day}) FROM {table} GROUP BY 1").items():
            assert clients[key] <= when, (table, key)
    vendors = first("SELECT id, createdAt FROM vendors")
    profiles = first("SELECT client_id, created_at FROM supplier_profiles")
    for vid, when in vendors.items():
        assert clients[vid] == when == profiles[vid]
    for key, when in first("SELECT vendorId, MIN(date) FROM lots GROUP BY 1").items():
        assert vendors[key] <= when
    brands = first("SELECT id, createdAt FROM brands")
    for key, (brand, when) in {
        r[0]: (r[1], _when(r[2]))
        for r in _rows(seeded, "SELECT id, brandId, createdAt FROM products")
    }.items():
        assert brands[brand] <= when, key
    products = first("SELECT id, createdAt FROM products")
    for key, when in first("SELECT productId, MIN(createdAt) FROM batches GROUP BY 1").items():
        assert products[key] <= when


@pytest.mark.parametrize("seeded", CASES, ids=IDS, indirect=True)
def test_nothing_points_at_a_soft_deleted_party(seeded: sa.Connection) -> None:
    """TERP's readers skip soft-deleted clients and products (server/clientsDb.ts:131,
    server/productsDb.ts:65): no order, invoice or batch may need one."""
    for sql in (
        "SELECT COUNT(*) FROM orders o JOIN clients c ON c.id = o.client_id "
        "WHERE c.deleted_at IS NOT NULL",
        "SELECT COUNT(*) FROM invoices i JOIN clients c ON c.id = i.customerId "
        "WHERE c.deleted_at IS NOT NULL",
        "SELECT COUNT(*) FROM batches b JOIN products p ON p.id = b.productId "
        "WHERE p.deleted_at IS NOT NULL",
        "SELECT COUNT(*) FROM products p JOIN clients c ON c.id = p.supplier_client_id "
        "WHERE c.deleted_at IS NOT NULL",
    ):
        assert _rows(seeded, sql)[0][0] == 0, sql


@pytest.mark.parametrize("seeded", CASES, ids=IDS, indirect=True)
def test_the_parties_rules_hold(seeded: sa.Connection) -> None:
    from terp_seed.validation.terp_parties import RULES

    broken = {}
    for rule in RULES:
        rows = [r for r in seeded.execute(rule.query(None)) if rule.check is None or rule.check(r)]
        if rows:
            broken[rule.name] = [r[0] for r in rows[:5]]
    assert broken == {}


# -- aligned key spaces: a supplier's vendor takes its client's key --------------------------


def test_id_allocator_aligns_clients_and_vendors_and_claims_partner_keys() -> None:
    from terp_seed.errors import TerpSeedError
    from terp_seed.factories.base import IdAllocator

    class Block:
        def __init__(self, first: int, end: int) -> None:
            self.first, self.end, self.size = first, end, end - first

    ids = IdAllocator(None, {"clients": Block(40, 60), "vendors": Block(40, 60)})
    assert ids.next_id("clients") == 40
    assert ids.claim("vendors", 40) == 40
    assert ids.next_id("clients") == 41 and ids.next_id("clients") == 42
    assert ids.claim("vendors", 42) == 42
    with pytest.raises(TerpSeedError, match="key 41 was claimed"):
        ids.claim("vendors", 41)
    with pytest.raises(TerpSeedError, match="reserved"):
        ids.claim("vendors", 60)
    offline = IdAllocator(None)
    assert offline.next_id("vendors") == offline.next_id("clients") == 1


def _app_rows(conn: sa.Connection, clients: int, vendors: int) -> None:
    """What TERP itself wrote before the seed: clients and vendors with different maxima."""
    for i in range(1, clients + 1):
        conn.execute(
            sa.text("INSERT INTO clients (id, teri_code, name) VALUES (:i, :c, :n)"),
            {"i": i, "c": f"APP{i}", "n": f"App Client {i}"},
        )
    for i in range(1, vendors + 1):
        conn.execute(
            sa.text("INSERT INTO vendors (id, name) VALUES (:i, :n)"),
            {"i": i * 3, "n": f"App Vendor {i}"},
        )


@pytest.mark.parametrize(("clients", "vendors"), [(7, 12), (40, 2)])
def test_seeded_vendors_take_their_clients_keys_on_a_used_database(
    any_url: str, engine_for: Any, clients: int, vendors: int
) -> None:
    """On a database where the application already has clients and vendors (either table
    ahead), the seed's first client and vendor key is the same, past both maxima, and every
    seeded supplier's vendor has its client's key; the application's next inserts collide
    with nothing."""
    schema_at_head(any_url)
    engine = engine_for(any_url)
    with engine.begin() as conn:
        _app_rows(conn, clients, vendors)
    args = ("-n", "seed", "-x", "size=small", "-x", "as_of=2026-04-20")
    result = run_alembic(any_url, *args, "upgrade", "0003_clients_suppliers")
    assert result.code == 0, result.err[-2000:]
    top = max(clients, vendors * 3)
    with engine.begin() as conn:
        seeded = _rows(conn, "SELECT id, name FROM vendors WHERE name NOT LIKE 'App %'")
        names = dict(_rows(conn, "SELECT id, name FROM clients"))
        first_client = _rows(conn, "SELECT MIN(id) FROM clients WHERE teri_code NOT LIKE 'APP%'")
        assert seeded and all(names[vid] == name for vid, name in seeded)
        assert min(vid for vid, _n in seeded) == first_client[0][0] > top
        # the application inserts after the seed: no key it takes is a seeded one
        conn.execute(sa.text("INSERT INTO clients (teri_code, name) VALUES ('APPX', 'Later')"))
        conn.execute(sa.text("INSERT INTO vendors (name) VALUES ('Later Vendor')"))
        assert _rows(conn, "SELECT COUNT(*) FROM clients")[0][0] == clients + 5 + 10 + 1
        assert len(_rows(conn, "SELECT id FROM vendors")) == vendors + 5 + 1


@pytest.mark.mysql
def test_medium_on_mariadb_reads_as_terp_reads_it(mysql_url: str, engine_for: Any) -> None:
    _seed(mysql_url, "medium", 5, "2026-04-20")
    with engine_for(mysql_url).connect() as conn:
        test_seeded_staff_can_log_in(conn)
        test_a_supplier_is_one_party_under_both_readings(conn)
        test_strains_are_found_by_terps_slug(conn)
        test_credit_limits_and_portal_as_terp_writes_them(conn)
        test_the_parties_rules_hold(conn)


@pytest.mark.parametrize(("env", "can_log_in"), [("dev", True), ("test", True), ("staging", False)])
def test_the_development_password_opens_dev_and_test_databases_only(
    sqlite_url: str, engine_for: Callable[[str], sa.Engine], env: str, can_log_in: bool
) -> None:
    """TERP's login compares the typed password with users.loginMethod (bcrypt.compare,
    server/_core/simpleAuth.ts:161-164): in staging nobody may know the seeded staff's."""
    schema_at_head(sqlite_url)
    result = run_alembic(
        sqlite_url,
        "-n",
        "seed",
        "-x",
        f"env={env}",
        "-x",
        "size=small",
        "upgrade",
        "0002_staff_users",
    )
    assert result.code == 0, result.out + result.err
    with engine_for(sqlite_url).connect() as conn:
        hashes = [r[0] for r in conn.exec_driver_sql("SELECT loginMethod FROM users")]
    assert hashes
    for stored in hashes:
        assert bcrypt.checkpw(DEV_PASSWORD.encode(), stored.encode()) is can_log_in

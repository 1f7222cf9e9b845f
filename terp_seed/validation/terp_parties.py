"""Rules TERP's own code relies on for parties and reference data: staff logins, the supplier
identity (a supplier is one seller client, one vendor under the same key and name, one supplier
profile), products in TERP's categories, strains as TERP looks them up, credit limits as TERP
writes them.

Each rule names the place in TERP's code (EvanTenenbaum/TERP at b2e16915) it comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import sqlalchemy as sa

from terp_seed.factories.reference import normalize_strain_name
from terp_seed.schema import metadata
from terp_seed.validation import queries as q
from terp_seed.validation.queries import Seeded
from terp_seed.validation.rule import Rule

BCRYPT_PREFIXES: Final = ("$2a$", "$2b$", "$2y$")
STRAIN_CATEGORIES: Final = frozenset({"indica", "sativa", "hybrid"})


def _t(name: str) -> sa.Table:
    return metadata.tables[name]


def _live(table: sa.FromClause) -> sa.ColumnElement[bool]:
    return table.c.deleted_at.is_(None)


def _rule(name: str, table: str, description: str, source: str, condition: Any) -> Rule:
    return Rule(
        name,
        table,
        description,
        q.row_condition(table, condition),
        condition=condition,
        source=source,
    )


# -- users --------------------------------------------------------------------------------------


def login_hash_condition() -> sa.ColumnElement[bool]:
    """A user whose ``loginMethod`` is not a bcrypt hash: TERP compares the typed password
    with it, so nobody can log in as that user."""
    login = _t("users").c.loginMethod
    return sa.or_(
        login.is_(None),
        sa.func.length(login) != 60,
        sa.func.substr(login, 1, 4).not_in(BCRYPT_PREFIXES),
    )


def vendor_id_condition() -> sa.ColumnElement[bool]:
    """A vendor whose key is the key of a live client that is not this supplier (another
    name, or not a seller): TERP shows and picks that client for the vendor's lots and bills."""
    v = _t("vendors")
    c = _t("clients").alias("same_key")
    other = sa.or_(c.c.name != v.c.name, sa.func.coalesce(c.c.is_seller, False).is_(False))
    return sa.and_(_live(v), sa.exists().where(c.c.id == v.c.id, _live(c), other))


def vendor_mapped_condition() -> sa.ColumnElement[bool]:
    """A live vendor that no supplier profile maps to a seller client of the same name."""
    v = _t("vendors")
    p = _t("supplier_profiles").alias("profile")
    c = _t("clients").alias("supplier")
    mapped = (
        sa.exists()
        .where(p.c.legacy_vendor_id == v.c.id)
        .where(c.c.id == p.c.client_id, c.c.name == v.c.name)
    )
    return sa.and_(_live(v), ~mapped)


def legacy_vendor_condition() -> sa.ColumnElement[bool]:
    """A profile whose legacy vendor has another name than the profile's client."""
    p = _t("supplier_profiles")
    v = _t("vendors").alias("legacy")
    c = _t("clients").alias("supplier")
    differs = (
        sa.exists().where(v.c.id == p.c.legacy_vendor_id).where(c.c.id == p.c.client_id)
    ).where(v.c.name != c.c.name)
    return sa.and_(p.c.legacy_vendor_id.is_not(None), differs)


def profile_seller_condition() -> sa.ColumnElement[bool]:
    """A supplier profile whose client is not a seller."""
    p = _t("supplier_profiles")
    c = _t("clients").alias("supplier")
    seller = sa.exists().where(c.c.id == p.c.client_id, c.c.is_seller.is_(True))
    return ~seller


def _names_a_supplier(ref: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """``ref`` (a vendorId) names a supplier the way TERP reads it: a live client with that id
    first (it must be a seller), else a supplier profile whose legacy vendor it is."""
    c = _t("clients").alias("as_client")
    p = _t("supplier_profiles").alias("as_vendor")
    client = sa.exists().where(c.c.id == ref, _live(c))
    seller = sa.exists().where(c.c.id == ref, _live(c), c.c.is_seller.is_(True))
    mapped = sa.exists().where(p.c.legacy_vendor_id == ref)
    return sa.or_(seller, sa.and_(~client, mapped))


def brand_vendor_condition() -> sa.ColumnElement[bool]:
    """A brand whose vendorId names no supplier under TERP's reading."""
    b = _t("brands")
    return sa.and_(b.c.vendorId.is_not(None), ~_names_a_supplier(b.c.vendorId))


def product_supplier_condition() -> sa.ColumnElement[bool]:
    """A product whose supplier_client_id is not a seller client."""
    p = _t("products")
    c = _t("clients").alias("supplier")
    seller = sa.exists().where(c.c.id == p.c.supplier_client_id, c.c.is_seller.is_(True))
    return sa.and_(p.c.supplier_client_id.is_not(None), ~seller)


# -- products and reference data ----------------------------------------------------------------


def product_category_condition() -> sa.ColumnElement[bool]:
    """A live product whose category names no live category (products store the NAME)."""
    p = _t("products")
    c = _t("categories").alias("category")
    return sa.and_(_live(p), ~sa.exists().where(c.c.name == p.c.category, _live(c)))


def product_subcategory_condition() -> sa.ColumnElement[bool]:
    """A live product whose subcategory is not a live subcategory of its category."""
    p = _t("products")
    c = _t("categories").alias("category")
    s = _t("subcategories").alias("subcategory")
    found = (
        sa.exists()
        .where(s.c.name == p.c.subcategory, _live(s))
        .where(c.c.id == s.c.categoryId, c.c.name == p.c.category)
    )
    return sa.and_(_live(p), p.c.subcategory.is_not(None), ~found)


def _strains(scope: Seeded | None) -> sa.Select[Any]:
    s = _t("strains")
    query = sa.select(s.c.id, s.c.name, s.c.standardizedName, s.c.category)
    return query if scope is None else query.where(scope.keys("strains", s.c.id))


def strain_slug_broken(row: Sequence[Any]) -> bool:
    """True when ``standardizedName`` is not ``normalizeStrainName(name)``."""
    _id, name, standardized, _category = row
    return bool(name) and standardized != normalize_strain_name(str(name))


def strain_category_broken(row: Sequence[Any]) -> bool:
    """True when ``category`` is set but not lower-case indica, sativa or hybrid (compared in
    Python: MySQL's usual collations ignore case)."""
    category = row[3]
    return category is not None and category not in STRAIN_CATEGORIES


# -- clients ------------------------------------------------------------------------------------


def credit_limit_condition() -> sa.ColumnElement[bool]:
    """A credit limit written other than by TERP's ``syncCreditToClient``: a limit without the
    time it was set, a manual limit without its reason, a reason on a calculated one."""
    c = _t("clients")
    manual = sa.func.coalesce(c.c.creditLimitSource, "CALCULATED") == "MANUAL"
    return sa.or_(
        sa.and_(c.c.credit_limit > 0, c.c.credit_limit_updated_at.is_(None)),
        sa.and_(manual, c.c.credit_limit_override_reason.is_(None)),
        sa.and_(~manual, c.c.credit_limit_override_reason.is_not(None)),
    )


RULES: Final[list[Rule]] = [
    _rule(
        "login-hash:users",
        "users",
        "loginMethod holds the bcrypt hash of the user's password ($2a$/$2b$/$2y$, 60 "
        "characters): TERP's login compares the typed password with it (bcrypt.compare)",
        "server/_core/simpleAuth.ts:161-164",
        login_hash_condition,
    ),
    Rule(
        "unique-login:users",
        "users",
        "no two users have the same email: TERP's login takes the first user with the typed "
        "username (getUserByEmail ... limit 1) and createUser refuses an existing one",
        q.unique("users", "email"),
        source="server/db.ts:134-144",
    ),
    _rule(
        "vendor-key-is-its-supplier:vendors",
        "vendors",
        "a vendor's id, read as a client id, names no other party: TERP resolves a vendorId "
        "as a client first (getClientById), so a live client under the vendor's key must be "
        "that supplier (a seller of the same name)",
        "server/vendorDisplay.ts:25-70",
        vendor_id_condition,
    ),
    _rule(
        "vendor-mapped:vendors",
        "vendors",
        "every live vendor is mapped: a supplier profile has it as legacy_vendor_id, on a "
        "client of the same name (else TERP lists it as unmigrated and its migration creates "
        "a second supplier client)",
        "server/services/vendorMappingService.ts:138-167,213-351",
        vendor_mapped_condition,
    ),
    _rule(
        "legacy-vendor-same-name:supplier_profiles",
        "supplier_profiles",
        "a supplier profile's legacy vendor has the name of the profile's client (TERP pairs "
        "vendor and supplier client by name at intake and in the PO bridge)",
        "server/inventoryIntakeService.ts:183-204; server/services/vendorMappingService.ts:409-447",
        legacy_vendor_condition,
    ),
    _rule(
        "profile-of-seller:supplier_profiles",
        "supplier_profiles",
        "a supplier profile belongs to a seller client (is_seller): TERP keeps them for "
        "suppliers and maps them onto the seller clients it lists",
        "drizzle/schema.ts:1808-1811; server/inventoryDb.ts:76-101",
        profile_seller_condition,
    ),
    _rule(
        "vendor-is-supplier:brands",
        "brands",
        "a brand's vendorId names a supplier as TERP reads it: a live seller client with "
        "that id, or (no live client with it) a supplier profile whose legacy vendor it is",
        "server/vendorDisplay.ts:25-70",
        brand_vendor_condition,
    ),
    _rule(
        "supplier-is-seller:products",
        "products",
        "a product's supplier_client_id names a seller client (the canonical supplier)",
        "drizzle/schema.ts:471-475; server/routers/purchaseOrders.ts:1606-1614",
        product_supplier_condition,
    ),
    _rule(
        "category-exists:products",
        "products",
        "a live product's category is the NAME of a live categories row: TERP counts and "
        "lists a category's products by name",
        "server/routers/productCategories.ts:60-69,118-130",
        product_category_condition,
    ),
    _rule(
        "subcategory-in-category:products",
        "products",
        "a live product's subcategory (when set) is the name of a live subcategory of its category",
        "server/routers/productCategories.ts:105-120; server/inventoryDb.ts:1291-1306",
        product_subcategory_condition,
    ),
    Rule(
        "strain-slug:strains",
        "strains",
        "standardizedName is normalizeStrainName(name) (lower case, '-' for spaces, no other "
        "punctuation): TERP's exact strain match looks strains up by it",
        _strains,
        check=strain_slug_broken,
        source="server/strainMatcher.ts:42-66,170-197",
    ),
    Rule(
        "strain-category:strains",
        "strains",
        "a strain's category is indica, sativa or hybrid in lower case, as TERP writes and "
        "filters it",
        _strains,
        check=strain_category_broken,
        source="server/routers/strains.ts:28,105,175; server/seedStrains.ts:60-66",
    ),
    _rule(
        "credit-limit-written:clients",
        "clients",
        "a credit limit is written as TERP's syncCreditToClient writes it: a limit above 0 "
        "with credit_limit_updated_at, an override reason exactly when the source is MANUAL",
        "server/creditEngine.ts:692-710",
        credit_limit_condition,
    ),
]
"""The parties rules, in the order they are reported."""

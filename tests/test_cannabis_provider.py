"""The cannabis Faker provider: catalogue shape, real formats and per-instance determinism."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date
from decimal import Decimal

import phonenumbers
import pytest
from email_validator import validate_email
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from terp_seed.factories.cannabis import (
    CATEGORIES,
    GRADES,
    STRAIN_CATALOGUE,
    CannabisProvider,
    cannabis_provider,
    make_faker,
)
from terp_seed.factories.cannabis_data import (
    CA_AREA_CODES,
    CA_CITIES,
    REFERENCE_FORMATS,
    RESERVED_EMAIL_DOMAINS,
)

LICENSE_RES = {
    "testing": r"C8-\d{7}-LIC",
    "nonstorefront": r"C9-\d{7}-LIC",
    "retailer": r"C10-\d{7}-LIC",
    "distributor": r"C11-\d{7}-LIC",
    "microbusiness": r"C12-\d{7}-LIC",
    "transport": r"C13-\d{7}-LIC",
    "event": r"C14-\d{7}-LIC",
    "cultivation": r"CCL(1[89]|2[0-4])-\d{7}",
    "manufacturer": r"CDPH-1\d{7}",
}
METRC_RE = re.compile(r"1A4[0-9A-F]{7}0000\d{10}")
PHONE_RE = re.compile(r"\((\d{3})\) 555-01\d\d")
ADDRESS_RE = re.compile(r"(\d+) ([A-Za-z ]+), ([A-Za-z ]+), CA (\d{5})")
REFERENCE_RES = {
    "CHECK": r"CHK-\d{4}",
    "ACH": r"ACH-[A-Z0-9]{10}",
    "WIRE": r"WIRE-[A-Z0-9]{12}",
    "CREDIT_CARD": r"CC-\d{4}",
    "DEBIT_CARD": r"CC-\d{4}",
}
CITY_ZIPS = {city: (low, high) for city, low, high in CA_CITIES}


@pytest.fixture
def fake() -> Faker:
    return make_faker(20251125)


@pytest.fixture
def provider(fake: Faker) -> CannabisProvider:
    return cannabis_provider(fake)


def sample(fake: Faker) -> list[object]:
    """One of every formatter's output, in a fixed order."""
    return [
        fake.strain(),
        fake.strain_with_category(),
        fake.product_category(),
        fake.buyer_business_name(),
        fake.supplier_business_name(),
        fake.brand_name(),
        fake.license_number("cultivation"),
        fake.metrc_tag(),
        fake.thc_percent("Flower"),
        fake.cbd_percent("Vapes"),
        fake.harvest_date(date(2024, 1, 1), date(2025, 10, 31)),
        fake.ca_address(),
        fake.fictional_phone(),
        fake.reserved_email("Green Valley"),
        fake.reference_number("WIRE"),
        fake.unit_cogs("Flower", "Indoor"),
        fake.warehouse_location(),
    ]


# -- determinism ---------------------------------------------------------------------------


def test_same_seed_same_values() -> None:
    assert [sample(make_faker(7)) for _ in range(3)] == [sample(make_faker(7)) for _ in range(3)]


def test_other_seed_other_values() -> None:
    assert sample(make_faker(7)) != sample(make_faker(8))


def test_global_random_state_is_untouched() -> None:
    random.seed(99)
    expected = random.random()
    random.seed(99)
    sample(make_faker(7))
    assert random.random() == expected


def test_global_random_calls_do_not_change_the_instance() -> None:
    fake = make_faker(3)
    first = sample(fake)
    random.seed(12345)
    random.random()
    assert sample(make_faker(3)) == first


def test_typed_accessor_finds_provider(fake: Faker) -> None:
    assert isinstance(cannabis_provider(fake), CannabisProvider)
    with pytest.raises(LookupError, match="make_faker"):
        cannabis_provider(Faker("en_US"))


# -- catalogue -----------------------------------------------------------------------------


def test_strain_catalogue_has_78_unique_names_with_split() -> None:
    names = [name for name, _ in STRAIN_CATALOGUE]
    assert len(names) == 78
    assert len(set(names)) == 78
    assert Counter(cat for _, cat in STRAIN_CATALOGUE) == {"hybrid": 32, "indica": 24, "sativa": 22}
    assert all(name == name.strip() and len(name) <= 255 for name in names)


def test_strain_draws_come_from_catalogue(fake: Faker) -> None:
    catalogue = set(STRAIN_CATALOGUE)
    for _ in range(200):
        assert fake.strain_with_category() in catalogue


def test_categories_are_terps_defaults() -> None:
    """server/services/seedDefaults.ts:175-220 and :303-308, verbatim and in order."""
    assert [(c, uom) for c, uom, _ in CATEGORIES] == [
        ("Flower", "LB"),
        ("Concentrates", "G"),
        ("Edibles", "EA"),
        ("Vapes", "EA"),
        ("Bulk Oil", "G"),
        ("Manufactured Products", "EA"),
    ]
    subs = dict((c, s) for c, _, s in CATEGORIES)
    assert subs["Flower"] == (
        "Tops/Colas", "Smalls/Popcorn", "Trim", "Shake", "Larf", "Machine Trim", "Hand Trim",
        "Outdoor", "Deps", "Indoor",
    )  # fmt: skip
    assert subs["Vapes"] == ("Cartridge", "All in One")
    assert subs["Bulk Oil"] == ()
    assert subs["Manufactured Products"] == (
        "Preroll",
        "Edible",
        "Tincture",
        "Topical",
        "Accessory",
    )
    assert GRADES == ("A", "B", "C", "D")


def test_product_category_is_mostly_flower(fake: Faker) -> None:
    draws = [fake.product_category() for _ in range(2000)]
    flower = sum(1 for c, _, _ in draws if c == "Flower")
    assert 0.85 < flower / len(draws) < 0.95
    by_name = {c: (uom, subs) for c, uom, subs in CATEGORIES}
    for category, subcategory, uom in draws:
        assert by_name[category][0] == uom
        assert subcategory in by_name[category][1]
    assert "Preroll" in {s for _, s, _ in draws}  # pre-rolls are still sold


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("Blue Dream", "Flower", "Tops/Colas", "Indoor", "A"),
            "Blue Dream - Indoor A Tops/Colas",
        ),
        (("OG Kush", "Flower", "Shake", "Outdoor", None), "OG Kush - Outdoor Shake"),
        (("Gelato", "Edibles", "Gummies", None, None), "Gelato Gummies 10pk"),
        (("Blue Dream", "Concentrates", "Live Resin", None, None), "Blue Dream Live Resin 1g"),
        (("Runtz", "Pre-Rolls", "Preroll", None, None), "Runtz Pre-Roll 1g"),
        (("Runtz", "Manufactured Products", "Preroll", None, None), "Runtz Pre-Roll 1g"),
        (("Tangie", "Vapes", "Cartridges", None, None), "Tangie Cartridges"),
    ],
)  # fmt: skip
def test_product_name(
    provider: CannabisProvider, args: tuple[str, str, str, str | None, str | None], expected: str
) -> None:
    assert provider.product_name(*args) == expected


def test_product_name_rejects_unknown_values(provider: CannabisProvider) -> None:
    with pytest.raises(ValueError, match="unknown product category 'Seeds'"):
        provider.product_name("Gelato", "Seeds", "Regular")
    with pytest.raises(ValueError, match="unknown grade"):
        provider.product_name("Gelato", "Flower", "Shake", "Indoor", "AAA")


def test_potency_ranges(fake: Faker) -> None:
    for _ in range(200):
        assert 15 <= fake.thc_percent("Flower") <= 32
        assert 60 <= fake.thc_percent("Concentrates") <= 90
        assert 0 <= fake.cbd_percent("Flower") <= fake.thc_percent("Flower")


def test_unit_cogs(fake: Faker) -> None:
    for _ in range(200):
        assert Decimal("1620") <= fake.unit_cogs("Flower", "Indoor") <= Decimal("1980")
        assert Decimal("720") <= fake.unit_cogs("Flower", "Outdoor") <= Decimal("880")
        assert Decimal("40") <= fake.unit_cogs("Edibles") <= Decimal("60")


def test_dates(fake: Faker) -> None:
    start, end = date(2024, 1, 1), date(2024, 1, 31)
    for _ in range(200):
        harvest = fake.harvest_date(start, end)
        assert start <= harvest <= end
        assert 3 <= (fake.intake_date(harvest) - harvest).days <= 28
    with pytest.raises(ValueError, match="after end"):
        fake.harvest_date(end, start)


# -- parties and real formats --------------------------------------------------------------


def test_supplier_names_unique_with_suffix(provider: CannabisProvider) -> None:
    names = provider.supplier_business_names(40)
    assert len(set(names)) == 40
    assert names[15].endswith(" #2") and names[39].endswith(" #3")


def test_license_numbers(fake: Faker) -> None:
    for kind, pattern in LICENSE_RES.items():
        for _ in range(50):
            assert re.fullmatch(pattern, fake.license_number(kind)), kind
    assert re.fullmatch(LICENSE_RES["retailer"], fake.license_number())
    with pytest.raises(ValueError, match="unknown licence kind"):
        fake.license_number("nursery")


def test_metrc_tags(fake: Faker) -> None:
    tags = [fake.metrc_tag() for _ in range(500)]
    assert all(len(t) == 24 and METRC_RE.fullmatch(t) for t in tags)
    assert len(set(tags)) == len(tags)
    facility = fake.metrc_facility()
    assert all(fake.metrc_tag(facility)[3:10] == facility for _ in range(10))
    with pytest.raises(ValueError, match="7 uppercase hex"):
        fake.metrc_tag("xyz")


def test_phones_are_valid_fictional_ca_numbers(fake: Faker) -> None:
    for _ in range(300):
        phone = fake.fictional_phone()
        match = PHONE_RE.fullmatch(phone)
        assert match and int(match.group(1)) in CA_AREA_CODES
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone, "US")), phone


def test_every_area_code_with_every_fictional_line_is_valid() -> None:
    for area in CA_AREA_CODES:
        for line in range(100, 200):
            number = phonenumbers.parse(f"({area}) 555-{line:04d}", "US")
            assert phonenumbers.is_valid_number(number), (area, line)


@pytest.mark.parametrize(
    "hint", ["Green Valley Collective LLC", "Ñandú Café #2", "!!!", "x" * 200, "O'Neil & Sons"]
)
def test_emails_pass_email_validator(fake: Faker, hint: str) -> None:
    for prefix in ("contact", "sales"):
        email = fake.reserved_email(hint, prefix=prefix)
        local, domain = email.split("@")
        assert domain in RESERVED_EMAIL_DOMAINS
        assert local.startswith(f"{prefix}.") and len(local) <= 64
        assert validate_email(email, check_deliverability=False).normalized == email


def test_email_rejects_unreserved_domain(fake: Faker) -> None:
    assert fake.reserved_email("Green", domain="example.org").endswith("@example.org")
    with pytest.raises(ValueError, match="not reserved"):
        fake.reserved_email("Green", domain="gmail.com")


def test_address_zip_matches_city(fake: Faker) -> None:
    assert len(CA_CITIES) >= 25
    for city, low, high in CA_CITIES:
        assert str(low)[:3] == str(high)[:3] and low <= high, city
    for _ in range(300):
        match = ADDRESS_RE.fullmatch(fake.ca_address())
        assert match
        low, high = CITY_ZIPS[match.group(3)]
        assert low <= int(match.group(4)) <= high
        assert match.group(4)[:3] == str(low)[:3]


def test_reference_numbers(fake: Faker) -> None:
    for method in REFERENCE_FORMATS:
        value = fake.reference_number(method)
        if method in REFERENCE_RES:
            assert value is not None and re.fullmatch(REFERENCE_RES[method], value)
        else:
            assert value is None
    with pytest.raises(ValueError, match="unknown payment method"):
        fake.reference_number("BITCOIN")


def test_warehouse_location(fake: Faker) -> None:
    loc = fake.warehouse_location()
    assert re.fullmatch(r"R\d\d", loc.rack) and re.fullmatch(r"S\d", loc.shelf)
    assert re.fullmatch(r"B\d\d", loc.bin) and loc.site and loc.zone


# -- property test over seeds --------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**63 - 1))
def test_formats_hold_for_any_seed(seed: int) -> None:
    assert sample(make_faker(seed)) == sample(make_faker(seed))
    fake = make_faker(seed)
    kind = fake.random_element(tuple(LICENSE_RES))
    assert re.fullmatch(LICENSE_RES[kind], fake.license_number(kind))
    assert METRC_RE.fullmatch(fake.metrc_tag())
    phone = fake.fictional_phone()
    assert PHONE_RE.fullmatch(phone)
    assert phonenumbers.is_valid_number(phonenumbers.parse(phone, "US"))
    email = fake.reserved_email(fake.buyer_business_name())
    assert validate_email(email, check_deliverability=False).normalized == email
    match = ADDRESS_RE.fullmatch(fake.ca_address())
    assert match
    low, high = CITY_ZIPS[match.group(3)]
    assert low <= int(match.group(4)) <= high
    method = fake.random_element(tuple(REFERENCE_RES))
    assert re.fullmatch(REFERENCE_RES[method], fake.reference_number(method) or "")

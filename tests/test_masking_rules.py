"""Masking rules: deterministic, format-valid, key-dependent, distinct where promised, never
the original; plus the key, the keyed permutation, the patterns and the catalogue."""

from __future__ import annotations

import ipaddress
import json
import re
import string
from datetime import date

import phonenumbers
import pytest
import sqlalchemy as sa
from email_validator import validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terp_seed.console import jsonlogs
from terp_seed.errors import ConfigError
from terp_seed.masking import catalogue as cat
from terp_seed.masking.fpe import cycle_step, decrypt, encrypt, permute_shape, shape_of
from terp_seed.masking.patterns import (
    PHONE_RE,
    SSN_RE,
    VALID_AREA_CODES,
    is_fictional_phone,
    is_fictional_ssn,
    is_reserved_email,
)
from terp_seed.masking.rules import RULES, mask_value
from terp_seed.masking.scan import pattern_reasons
from terp_seed.masking.secret import DEV_KEY, MaskKey, load_key
from terp_seed.masking.words import NAME_KEEP, length_class

K1 = MaskKey(b"property-test-key-one-0123456789")
K2 = MaskKey(b"property-test-key-two-9876543210")
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DOC_NETS = [ipaddress.ip_network(n) for n in
            ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]  # fmt: skip

# -- strategies: realistic production values, not from terp-seed's own fake ranges ------------

ascii_word = st.text(string.ascii_letters, min_size=2, max_size=14)
any_word = st.text(st.characters(categories=("Lu", "Ll")), min_size=2, max_size=14)
person_names = st.lists(
    # titles and suffixes are kept as they are (words.NAME_KEEP): a name of only those is
    # lengthened to differ from the original, so it has no length class to keep
    (ascii_word | any_word).filter(lambda w: w.casefold() not in NAME_KEEP),
    min_size=1,
    max_size=4,
).map(" ".join)
company_names = st.builds(
    lambda words, tail: " ".join([*words, *tail]),
    st.lists(ascii_word | any_word, min_size=1, max_size=4),
    st.lists(st.sampled_from(["LLC", "Inc", "Farms", "Collective", "Co"]), max_size=2),
)
emails = st.emails().map(str)
area_codes = st.sampled_from(sorted(VALID_AREA_CODES))
phones = st.builds(
    lambda area, exchange, line, layout: layout.format(a=area, e=exchange, n=f"{line:04d}"),
    area_codes,
    st.integers(200, 999).filter(lambda e: e != 555),
    st.integers(0, 9999),
    st.sampled_from(["({a}) {e}-{n}", "{a}-{e}-{n}", "{a}.{e}.{n}", "+1 {a} {e} {n}", "{a}{e}{n}"]),
)
addresses = st.builds(
    lambda number, street, city, zip5: f"{number} {street}, {city}, CA {zip5}",
    st.integers(1, 99999),
    st.sampled_from(["Shoreline Blvd", "Myrtle Ave", "K St", "Calle Ocho", "Old Redwood Hwy"]),
    st.sampled_from(["Mountain View", "Eureka", "Oakland", "San Luis Obispo", "Arcata"]),
    st.integers(90001, 96162).map(str),
)
ssns = st.builds(
    lambda a, g, s: f"{a:03d}-{g:02d}-{s:04d}",
    st.integers(1, 899).filter(lambda a: a != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
)
shaped_ids = st.text(string.ascii_letters + string.digits + "-/ ", min_size=1, max_size=60).filter(
    lambda v: any(c.isalnum() for c in v)
)
licences = st.from_regex(
    r"(C1[0-4]-[0-9]{7}-LIC|CCL2[0-4]-[0-9]{7}|CDPH-1[0-9]{7})", fullmatch=True
)
tax_ids = st.from_regex(r"[0-9]{2}-[0-9]{7}", fullmatch=True) | ssns
medical_ids = st.from_regex(r"[A-Z]{2,4}-[0-9]{4,8}(-[A-Z])?", fullmatch=True)
ips = st.ip_addresses().map(str)
births = st.builds(
    lambda d, us: f"{d.month}/{d.day}/{d.year}" if us else d.isoformat(),
    st.dates(date(1900, 1, 1), date(2010, 12, 31)),
    st.booleans(),
)
free_texts = st.builds(
    lambda words, email, phone, ssn: f"{' '.join(words)} call {phone} or {email}; SSN {ssn}.",
    st.lists(ascii_word | any_word, min_size=1, max_size=8),
    emails,
    phones,
    ssns,
)
logins = emails | st.from_regex(
    r"[a-z][a-z0-9_.]{2,30}|google-oauth2\|[0-9]{12,21}", fullmatch=True
)
accounts = st.from_regex(
    r"[0-9]{6,17}|GB[0-9]{2}[A-Z]{4}[0-9]{14}|DE[0-9]{20}|CHK-[0-9]{4}|ACH-[A-Z0-9]{10}",
    fullmatch=True,
)
json_docs = st.builds(
    lambda email, phone, word, name: json.dumps(
        {
            "contactEmail": email,
            "notes": f"call {phone}",
            "tags": [word, f"{name} cell {phone}"],
            "buyerName": name,
            "qty": 2,
        }
    ),
    emails,
    phones,
    ascii_word,
    person_names,
)
any_text = st.text(min_size=1, max_size=80).filter(lambda v: any(c.isalnum() for c in v))

VALUES: dict[str, st.SearchStrategy[str]] = {
    "person_name": person_names,
    "company_name": company_names,
    "email": emails,
    "phone": phones,
    "address": addresses,
    "tax_id": tax_ids,
    "license_number": licences | shaped_ids,
    "medical_id": medical_ids | shaped_ids,
    "ssn": ssns,
    "ip": ips,
    "date_of_birth": births,
    "free_text": free_texts,
    "free_text_patterns": free_texts,
    "login": logins,
    "account_number": accounts,
    "json": json_docs,
    "unknown_text": free_texts | json_docs,
}
MASKING = [name for name, rule in RULES.items() if rule.fn is not None]


def _mask(rule: str, value: str, key: MaskKey = K1) -> str:
    out = mask_value(RULES[rule], value, key)
    assert out is not None
    return out


# -- properties every rule has -------------------------------------------------------------


def test_every_rule_has_a_strategy() -> None:
    assert set(VALUES) == set(MASKING)


@pytest.mark.parametrize("rule", MASKING)
@PROPS
@given(data=st.data())
def test_deterministic_across_keys_objects_and_calls(rule: str, data: st.DataObject) -> None:
    value = data.draw(VALUES[rule])
    again = MaskKey(bytes(K1.secret))
    assert _mask(rule, value) == _mask(rule, value) == _mask(rule, value, again)


@pytest.mark.parametrize("rule", MASKING)
@PROPS
@given(data=st.data())
def test_never_returns_the_original(rule: str, data: st.DataObject) -> None:
    # free_text_patterns and json replace only what they find: drawn values always hold some
    only_found = rule in ("free_text_patterns", "json")
    value = data.draw(VALUES[rule] if only_found else VALUES[rule] | any_text)
    assert _mask(rule, value) != value


@pytest.mark.parametrize("rule", MASKING)
@PROPS
@given(data=st.data())
def test_key_dependent(rule: str, data: st.DataObject) -> None:
    values = data.draw(st.lists(VALUES[rule], min_size=5, max_size=8, unique=True))
    assert [_mask(rule, v, K1) for v in values] != [_mask(rule, v, K2) for v in values]


@pytest.mark.parametrize("rule", list(RULES))
def test_null_stays_null_and_blank_stays_blank(rule: str) -> None:
    assert mask_value(RULES[rule], None, K1) is None
    if RULES[rule].fn is not None:
        assert _mask(rule, "   ") == "   "


@pytest.mark.parametrize("rule", [n for n, r in RULES.items() if r.distinct])
@PROPS
@given(data=st.data())
def test_distinct_rules_keep_distinct_values_distinct(rule: str, data: st.DataObject) -> None:
    strategy = {"license_number": licences, "medical_id": medical_ids}.get(rule, VALUES[rule])
    values = data.draw(
        st.lists(
            strategy, min_size=2, max_size=30, unique_by=lambda v: " ".join(v.split()).casefold()
        )
    )
    outputs = [_mask(rule, v) for v in values]
    assert len(set(outputs)) == len(outputs)


@pytest.mark.parametrize("rule", ["email", "company_name"])
def test_hashed_distinct_rules_have_no_collision_in_100k_values(rule: str) -> None:
    values = [f"Person {i} Holdings" if rule == "company_name" else f"p{i}@corp{i % 97}.com"
              for i in range(100_000)]  # fmt: skip
    assert len({_mask(rule, v) for v in values}) == len(values)


def test_golden_values_do_not_drift() -> None:
    """Changing a rule's output breaks resumption and joins with earlier runs: do it on purpose."""
    key = MaskKey(b"golden-key-0123456789")
    got = {r: _mask(r, v, key) for r, v in [
        ("person_name", "Maria Gonzalez"), ("email", "Maria.Gonzalez@gmail.com"),
        ("phone", "(510) 867-5309"), ("tax_id", "94-1234567"), ("ssn", "123-45-6789"),
    ]}  # fmt: skip
    assert got == {
        "person_name": "Mizi Gamovineda",
        "email": "bejes.rirobeta.ohahnijl4nuih@example.net",
        "phone": "(510) 555-0120",
        "tax_id": "06-5493360",
        "ssn": "914-03-4928",
    }


# -- format, rule by rule ------------------------------------------------------------------


@PROPS
@given(value=emails | any_text)
def test_email_is_valid_and_reserved(value: str) -> None:
    out = _mask("email", value)
    assert validate_email(out, check_deliverability=False).normalized == out
    assert is_reserved_email(out)


@PROPS
@given(value=phones)
def test_phone_is_valid_fictional_same_area_and_layout(value: str) -> None:
    out = _mask("phone", value)
    number = phonenumbers.parse(out, "US")
    assert phonenumbers.is_valid_number(number)
    found = PHONE_RE.fullmatch(out)
    assert found and is_fictional_phone(found[3], found[4])
    assert (found[1] or found[2]) == re.sub(r"\D", "", value)[-10:-7]
    assert re.sub(r"\d", "9", out) == re.sub(r"\d", "9", value)


@PROPS
@given(value=any_text)
def test_phone_from_anything_is_a_valid_fictional_number(value: str) -> None:
    out = _mask("phone", value)
    assert phonenumbers.is_valid_number(phonenumbers.parse(out, "US"))
    assert not pattern_reasons(out)


def test_every_kept_area_code_is_valid_with_every_fictional_line() -> None:
    for area in sorted(VALID_AREA_CODES):
        for line in range(100, 200):
            number = phonenumbers.parse(f"({area}) 555-{line:04d}", "US")
            assert phonenumbers.is_valid_number(number), (area, line)


@PROPS
@given(value=addresses)
def test_address_keeps_city_state_and_zip_prefix(value: str) -> None:
    out = _mask("address", value)
    city, zip5 = value.split(", ")[1], value[-5:]
    found = re.fullmatch(r"\d+ [A-Za-z ]+, (?P<city>[^,]+), CA (?P<zip>\d{5})", out)
    assert found, out
    assert found["city"] == city and found["zip"][:3] == zip5[:3]


@PROPS
@given(value=any_text)
def test_address_from_anything_is_an_address(value: str) -> None:
    assert re.fullmatch(r"\d+ [\w ]+(?: Ste \d+)?, [\w .]+, [A-Z]{2} \d{5}(-\d{4})?",
                        _mask("address", value))  # fmt: skip


@PROPS
@given(value=person_names)
def test_person_name_keeps_initials_and_length_classes(value: str) -> None:
    out = _mask("person_name", value)
    before, after = value.split(" "), out.split(" ")
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        assert new[0] == old[0]
        assert length_class(len(new)) == length_class(len(old))


@PROPS
@given(value=company_names)
def test_company_name_keeps_business_words(value: str) -> None:
    out = _mask("company_name", value)
    tail = [w for w in value.split() if w in {"LLC", "Inc", "Farms", "Collective", "Co"}]
    assert out.split()[:3] == [w.capitalize() for w in out.split()[:3]]
    if tail and value.split()[-1] == tail[-1]:
        assert out.endswith(tail[-1])


@pytest.mark.parametrize("rule", ["tax_id", "license_number", "medical_id"])
@PROPS
@given(data=st.data())
def test_identifiers_keep_their_shape(rule: str, data: st.DataObject) -> None:
    value = data.draw(
        shaped_ids if rule != "tax_id" else st.from_regex(r"[0-9]{2}-[0-9]{7}", fullmatch=True)
    )
    assert shape_of(_mask(rule, value)) == shape_of(value)


@PROPS
@given(value=ssns)
def test_ssn_and_ssn_shaped_tax_id_are_fictional(value: str) -> None:
    for rule in ("ssn", "tax_id"):
        found = SSN_RE.fullmatch(_mask(rule, value))
        assert found and is_fictional_ssn(found[1], found[3], found[4])


@PROPS
@given(value=ips | any_text)
def test_ip_is_a_documentation_address(value: str) -> None:
    address = ipaddress.ip_address(_mask("ip", value))
    assert any(address in net for net in DOC_NETS)


@PROPS
@given(value=births)
def test_date_of_birth_keeps_year_and_format(value: str) -> None:
    out = _mask("date_of_birth", value)
    if "/" in value:
        month, day, year = map(int, out.split("/"))
        assert str(year) == value.split("/")[2]
    else:
        year, month, day = map(int, out.split("-"))
        assert str(year) == value[:4]
    date(year, month, day)


@PROPS
@given(value=free_texts)
def test_free_text_replaces_contacts_and_words(value: str) -> None:
    out = _mask("free_text", value)
    assert not pattern_reasons(out)
    originals = [w for w in re.findall(r"\S+@\S+|\d{3}-\d{2}-\d{4}", value)]
    assert not any(o.rstrip(";.") in out for o in originals)
    assert sum(c.isspace() for c in out) >= 1


@PROPS
@given(words=st.lists(ascii_word, min_size=1, max_size=10))
def test_free_text_keeps_shape_of_plain_text(words: list[str]) -> None:
    value = ", ".join(words) + "!"
    out = _mask("free_text", value)
    assert len(out) == len(value)
    assert [c for c in out if not c.isalnum()] == [c for c in value if not c.isalnum()]


def test_free_text_patterns_only_touch_contacts() -> None:
    assert _mask("free_text_patterns", "Net 30; no contact") == "Net 30; no contact"
    out = _mask("free_text_patterns", "Net 30, ap@acme.com")
    assert out.startswith("Net 30, ") and is_reserved_email(out[8:])


def test_free_text_masks_phone_shaped_numbers_that_are_not_valid_phones() -> None:
    # 123 has no valid area code, but redrawn digits could make one: it is masked anyway.
    out = _mask("free_text", "ref 123 456 7890 ok")
    assert not pattern_reasons(out) and "123 456 7890" not in out


# -- key -----------------------------------------------------------------------------------


def test_key_required_outside_dev_and_dev_key_in_dev() -> None:
    assert load_key("dev", {}).secret == DEV_KEY.encode()
    for env in ("test", "staging"):
        with pytest.raises(ConfigError, match="TERP_SEED_MASK_KEY is not set"):
            load_key(env, {})
    with pytest.raises(ConfigError, match="at least 16"):
        load_key("staging", {"TERP_SEED_MASK_KEY": "short"})


def test_key_is_never_shown() -> None:
    secret = "s3cr3t-masking-key-for-test-only"
    key = load_key("staging", {"TERP_SEED_MASK_KEY": secret})
    assert secret not in repr(key) and key.fingerprint in repr(key)
    assert secret not in jsonlogs.scrub(f"using key {secret} now")
    assert key.fingerprint != K1.fingerprint and len(key.fingerprint) == 16


def test_mac_is_hmac_sha256() -> None:
    import hmac

    for secret in (b"k" * 16, b"long" * 40):
        assert MaskKey(secret).mac(b"abc") == hmac.digest(secret, b"abc", "sha256")


# -- keyed permutation ---------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 4, 7, 10, 26, 100, 257, 1000])
def test_cycle_step_is_a_bijection_without_fixed_points(n: int) -> None:
    images = [cycle_step(K1, "t", x, n) for x in range(n)]
    assert sorted(images) == list(range(n))
    assert all(x != y for x, y in enumerate(images))
    assert all(decrypt(K1, "t", encrypt(K1, "t", x, n), n) == x for x in range(n))


@PROPS
@given(values=st.lists(st.text("0123456789", min_size=41, max_size=90), min_size=2, unique=True))
def test_long_values_are_permuted_block_by_block_and_stay_distinct(values: list[str]) -> None:
    outs = [permute_shape(v, K1, "x") for v in values]
    assert len(set(outs)) == len(outs)
    assert all(
        o != v and len(o) == len(v) and o.isdigit() for o, v in zip(outs, values, strict=True)
    )


# -- patterns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ssn", "fictional"),
    [("123-45-6789", False), ("000-12-3456", True), ("666-12-3456", True), ("123-00-4567", True),
     ("123-45-0000", True), ("900-12-3456", True), ("900-70-3456", False), ("987-65-4321", True)],
)  # fmt: skip
def test_fictional_ssn_ranges(ssn: str, fictional: bool) -> None:
    area, group, serial = ssn.split("-")
    assert is_fictional_ssn(area, group, serial) is fictional


def test_reserved_email_domains() -> None:
    assert is_reserved_email("a@example.com") and is_reserved_email("a@mail.example.org")
    assert is_reserved_email("a@x.test") and not is_reserved_email("a@example.co")
    assert not is_reserved_email("a@gmail.com")


# -- catalogue -----------------------------------------------------------------------------


def test_catalogue_reads_the_schema_tags() -> None:
    entries = {(e.table, e.column): e for e in cat.catalogue()}
    assert entries[("clients", "email")].kind == "email"
    assert entries[("vendors", "name")].unique and not entries[("clients", "name")].unique
    assert ("clients", "teri_code") not in entries
    assert all(e.rule == e.kind for e in entries.values())


def _md_with(**info: object) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("c", sa.String(50), nullable=False, unique=True, info=info))  # fmt: skip
    return md


@pytest.mark.parametrize(
    ("info", "message"),
    [({"pii": "shoe_size"}, "expected one of person_name"),
     ({"pii": "email", "mask": "rot13"}, "names masking rule 'rot13'"),
     ({"pii": "email", "mask": "null"}, "is NOT NULL"),
     ({"pii": "phone"}, "UNIQUE but rule 'phone' can give two different values"),
     ({"pii": "license_number"}, "UNIQUE but rule 'license_number' maps values onto")],
)  # fmt: skip
def test_catalogue_refuses_bad_tags_when_read(info: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        cat.catalogue(_md_with(**info))


def test_catalogue_accepts_a_distinct_rule_on_a_unique_column() -> None:
    (entry,) = cat.catalogue(_md_with(pii="email"))
    assert entry.unique and entry.max_length == 50 and not entry.nullable


def test_renderers() -> None:
    entries = cat.catalogue()
    text = cat.render_text(entries)
    assert text.splitlines()[0].split() == ["table", "column", "kind", "unique", "rule"]
    assert f"{len(entries)} PII columns" in text
    data = json.loads(cat.render_json(entries))
    assert [(d["table"], d["column"]) for d in data] == [(e.table, e.column) for e in entries]
    assert all(d["summary"] for d in data)
    assert cat.render_markdown(entries).count("\n| `") == len(entries) + len(RULES)

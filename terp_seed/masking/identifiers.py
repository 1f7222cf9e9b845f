"""Masking rules for identifiers: tax ids, licence numbers, medical ids, SSNs, IP addresses and
dates of birth."""

from __future__ import annotations

import ipaddress
import re
from datetime import date, timedelta
from typing import Final

from terp_seed.masking import words
from terp_seed.masking.fpe import permute_shape
from terp_seed.masking.secret import KeyStream, MaskKey

_SSN_SHAPE_RE: Final = re.compile(r"\s*\d{3}-\d{2}-\d{4}\s*")


def mask_tax_id(value: str, key: MaskKey) -> str:
    """The same shape, character class by character class (a keyed permutation), except that a
    tax id written like an SSN (a sole proprietor's) gets a fictional SSN from :func:`mask_ssn`.

    :example: ``"94-1234567"`` -> ``"06-5493360"``
    """
    if _SSN_SHAPE_RE.fullmatch(value):
        return mask_ssn(value, key)
    return permute_shape(value, key, "tax_id")


def mask_license_number(value: str, key: MaskKey) -> str:
    """The same shape, character class by character class (a keyed permutation: exact).

    :example: ``"C10-0000123-LIC"`` -> ``"K11-0253910-RTU"``
    """
    return permute_shape(value, key, "license_number")


def mask_medical_id(value: str, key: MaskKey) -> str:
    """The same shape, character class by character class (a keyed permutation: exact).

    :example: ``"MMIC-88213-A"`` -> ``"GMGU-93724-R"``
    """
    return permute_shape(value, key, "medical_id")


def mask_ssn(value: str, key: MaskKey) -> str:
    """An SSN-like number that no SSN or ITIN can have: area ``9xx`` with group ``00``-``49``,
    laid out like the original when it has nine digits.

    :example: ``"123-45-6789"`` -> ``"914-03-4928"``
    """
    if not value.strip():
        return value
    digits_only = re.sub(r"\D", "", value)

    def make(attempt: int) -> str:
        stream = KeyStream(key, "ssn", digits_only or words.normalize(value), str(attempt))
        new = f"9{stream.below(100):02d}{stream.below(50):02d}{stream.below(10000):04d}"
        if len(digits_only) == 9:
            return words.lay_digits(value, new)
        return f"{new[:3]}-{new[3:5]}-{new[5:]}"

    return words.first_different(value, make)


_TEST_NETS: Final = ("192.0.2", "198.51.100", "203.0.113")


def mask_ip(value: str, key: MaskKey) -> str:
    """An address from the documentation ranges: RFC 5737 for IPv4, ``2001:db8::/32`` for IPv6.

    :example: ``"73.15.201.4"`` -> ``"198.51.100.36"``
    """
    if not value.strip():
        return value
    try:
        version = ipaddress.ip_address(value.strip()).version
    except ValueError:
        version = 4

    def make(attempt: int) -> str:
        stream = KeyStream(key, "ip", words.normalize(value), str(attempt))
        if version == 6:
            return str(ipaddress.IPv6Address((0x20010DB8 << 96) | stream.bits(96)))
        return f"{stream.choice(_TEST_NETS)}.{1 + stream.below(254)}"

    return words.first_different(value, make)


_ISO_DATE_RE: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(.*)$", re.DOTALL)
_US_DATE_RE: Final = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(.*)$", re.DOTALL)


def mask_date_of_birth(value: str, key: MaskKey) -> str:
    """Another day of the same year, written the same way (ISO or US); ages stay near right.

    :example: ``"1984-07-21"`` -> ``"1984-10-14"``
    """
    if not value.strip():
        return value
    text = value.strip()
    iso, us = _ISO_DATE_RE.match(text), _US_DATE_RE.match(text)
    year = int(iso[1]) if iso else int(us[3]) if us else 0

    def make(attempt: int) -> str:
        stream = KeyStream(key, "date_of_birth", words.normalize(value), str(attempt))
        start = date(max(year, 1), 1, 1) if year else date(1950 + stream.below(50), 1, 1)
        days = (date(start.year + 1, 1, 1) - start).days if start.year < 9999 else 365
        day = start + timedelta(days=stream.below(days))
        if us:
            month_day = (
                f"{day.month:02d}/{day.day:02d}" if len(us[1]) == 2 else f"{day.month}/{day.day}"
            )
            return f"{month_day}/{day.year:04d}{us[4]}"
        return f"{day.isoformat()}{iso[4] if iso else ''}"

    return words.first_different(text, make)


def mask_account_number(value: str, key: MaskKey) -> str:
    """A bank account number, IBAN or payment reference: the same layout, letters and digits
    redrawn under the key, and (with six digits or more) the first two digits ``00``. So a
    masked IBAN never has valid check digits (``00`` never is) and a masked number is never a
    North American phone number (no area code starts with 0): told apart by construction.

    :example: ``"GB33BUKB20201555555555"`` -> ``"ZF00PKRM..."`` (22 characters)
    """
    if not value.strip():
        return value
    zeros = 2 if sum(ch.isdigit() for ch in value) >= 6 else 0  # short references: all redrawn

    def make(attempt: int) -> str:
        stream = KeyStream(key, "account_number", words.normalize(value), str(attempt))
        out, seen = [], 0
        for ch, byte in zip(value, stream.take(len(value)), strict=True):
            if ch.isalpha():
                letter = chr(ord("A") + byte % 26)
                out.append(letter if ch.isupper() else letter.lower())
            elif ch.isalnum():  # digits, also non-ASCII ones (which become ASCII)
                out.append("0" if seen < zeros else str(byte % 10))
                seen += 1
            else:
                out.append(ch)
        return "".join(out)

    return words.first_different(value, make)

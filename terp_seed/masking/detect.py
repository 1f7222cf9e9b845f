"""Finding personal data inside text: one detector list for the free-text masking rules (which
replace what it finds) and the leak scan (which reports what it finds outside fictional ranges).

Library detectors where one fits: international phone numbers by ``phonenumbers``
(libphonenumber's metadata), IBANs and SSN validity by ``python-stdnum``. Our own patterns are
kept for what no library finds in running text: emails (also written ``jane dot doe at gmail dot
com`` or with a full-width at sign, U+FF20), North American numbers in any layout, SSNs written
``123-45-6789``, ``123.45.6789`` or, after a keyword, ``123456789``, and numbers that only a
keyword makes personal (account numbers, dates of birth, driver's licences).

Text is searched after NFKC normalisation character by character (U+FF20 -> ``@``), which
keeps every offset, so a finding's span is also its span in the original text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

import phonenumbers
from stdnum import iban

from terp_seed.masking.patterns import (
    EMAIL_RE,
    PHONE_RE,
    is_fictional_phone,
    is_fictional_ssn,
    is_reserved_email,
)

_DOT: Final = r"(?:\s*[\(\[\{]dot[\)\]\}]\s*|\s+dot\s+|\.)"
_AT: Final = r"(?:\s*[\(\[\{]at[\)\]\}]\s*|\s+at\s+)"
OBFUSCATED_EMAIL_RE: Final = re.compile(
    rf"(?<![\w.])[a-z0-9][\w+-]*(?:{_DOT}[\w+-]+)*{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*"
    rf"{_DOT}[a-z]{{2,10}}(?![\w])",
    re.IGNORECASE,
)
"""``jane dot doe at gmail dot com``, ``jane(at)gmail(dot)com``, ``jane at gmail.com``."""
SSN_ANY_RE: Final = re.compile(
    r"(?<![\w.-])(\d{3})([- .])(\d{2})\2(\d{4})(?![\w-]|\.\d)"
    r"|(?i:\b(?:ssn|social\s+security(?:\s+(?:no|number))?|soc\.?\s*sec\.?|i?tin)\b)"
    r"\W{0,4}(?:#|no\.?|number)?\W{0,3}(\d{3})(\d{2})(\d{4})(?!\d)"
)
"""An SSN in groups (``-``, space or ``.``), or nine bare digits after an SSN keyword."""
IBAN_RE: Final = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
ACCOUNT_RE: Final = re.compile(
    r"(?i:\b(?:acct|account|a/c|routing)\b\.?(?:\s*(?:no\.?|number|num|#))?)\s*[:#]?\s*"
    r"(\d[\d -]{4,22}\d)(?!\d)"
)
DOB_RE: Final = re.compile(
    r"(?i:\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)\b)\s*[:#-]?\s*"
    r"(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?i:[a-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}))"
)
LICENCE_RE: Final = re.compile(
    r"(?:(?i:\bdriver'?s?\s+licen[cs]e\b)|\bD\.?L\b\.?)(?i:\s*(?:no\.?|number|#))?\s*[:#]?\s*"
    r"([A-Z]{0,2}\d[A-Z0-9]{4,14})\b"
)


@dataclass(frozen=True)
class Found:
    """Personal data at ``text[start:end]``; ``real`` is False for reserved or fictional values
    (what masking produces), which the scan does not report."""

    start: int
    end: int
    kind: str
    real: bool


def normalise(text: str) -> str:
    """NFKC character by character, keeping the length (so offsets stay valid)."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def find_pii(text: str) -> list[Found]:
    """Every piece of personal data in ``text``, first come first served (no overlaps)."""
    norm = normalise(text)
    found: list[Found] = []
    for finder in _FINDERS:
        for item in finder(norm):
            if not any(item.start < f.end and f.start < item.end for f in found):
                found.append(item)
    return sorted(found, key=lambda f: f.start)


def _emails(text: str) -> list[Found]:
    out = [
        Found(*m.span(), "email", not is_reserved_email(m.group())) for m in EMAIL_RE.finditer(text)
    ]
    if " at " in text.lower() or "(at)" in text.lower() or "[at]" in text.lower():
        out += [
            Found(*m.span(), "obfuscated_email", True) for m in OBFUSCATED_EMAIL_RE.finditer(text)
        ]
    return out


def _ssns(text: str) -> list[Found]:
    out = []
    for m in SSN_ANY_RE.finditer(text):
        area, group, serial = (m[1], m[3], m[4]) if m[1] else (m[5], m[6], m[7])
        start = m.start() if m[1] else m.start(5)
        out.append(Found(start, m.end(), "ssn", not is_fictional_ssn(area, group, serial)))
    return out


def _phones(text: str) -> list[Found]:
    out = [
        Found(*m.span(), "phone", not is_fictional_phone(m[3], m[4]))
        for m in PHONE_RE.finditer(text)
    ]
    if "+" in text:  # international numbers: libphonenumber knows every country's plan
        matcher = phonenumbers.PhoneNumberMatcher(
            text, "US", leniency=phonenumbers.Leniency.POSSIBLE
        )
        out += [Found(m.start, m.end, "phone", True) for m in matcher if m.number.country_code != 1]
    return out


def _ibans(text: str) -> list[Found]:
    return [Found(*m.span(), "iban", iban.is_valid(m.group())) for m in IBAN_RE.finditer(text)]


def _accounts(text: str) -> list[Found]:
    out = []
    for m in ACCOUNT_RE.finditer(text):
        digits = re.sub(r"\D", "", m[1])
        if len(digits) >= 6:  # masked account numbers start with 00 (rule account_number)
            out.append(Found(*m.span(1), "account_number", not digits.startswith("00")))
    return out


def _births(text: str) -> list[Found]:
    # A masked date of birth in text keeps only its year (no day, nothing to find here).
    return [Found(*m.span(1), "date_of_birth", True) for m in DOB_RE.finditer(text)]


def _licences(text: str) -> list[Found]:
    # A masked licence number in text has no digit left.
    return [Found(*m.span(1), "drivers_licence", True) for m in LICENCE_RE.finditer(text)]


_FINDERS: Final = (_emails, _ibans, _ssns, _accounts, _births, _licences, _phones)

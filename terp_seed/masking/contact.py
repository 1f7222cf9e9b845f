"""Masking rules for people and how to reach them: names, company names, emails, phones and
postal addresses."""

from __future__ import annotations

import re
from typing import Final

from terp_seed.factories.cannabis_data import CA_AREA_CODES, CA_CITIES, STREETS
from terp_seed.masking import words
from terp_seed.masking.patterns import EMAIL_RE, PHONE_RE, RESERVED_EMAIL_DOMAINS, VALID_AREA_CODES
from terp_seed.masking.secret import KeyStream, MaskKey

_TOKEN_RE: Final = re.compile(r"[^\W\d_]+|\d+")
_BUSINESS_WORDS: Final = words.LEGAL_SUFFIXES | words.GENERIC_COMPANY_WORDS


def _name_token(token: str, stream: KeyStream, force: bool) -> str:
    if token.isdigit():
        return words.digits(stream, len(token))
    if not force and (len(token) == 1 or token.casefold() in words.NAME_KEEP):
        return token
    low, high = words.length_class(max(len(token), 4 if force else 1))
    length = low + stream.below(high - low + 1)
    tail = words.pseudo_word(stream, length - 1, start_vowel=not words.is_vowel(token[0]))
    return token[0] + words.match_case(token, "x" + tail)[1:]


def mask_person_name(value: str, key: MaskKey) -> str:
    """Made-up name tokens with the same initials and length classes; titles stay, digits are
    redrawn.

    :example: ``"Maria Gonzalez-Ortiz"`` -> ``"Moze Gedemibor-Ojoje"``
    """
    if not value.strip():
        return value
    if EMAIL_RE.fullmatch(value.strip()):  # TERP's createUser stores the username as the name
        return mask_email(value, key)

    def make(attempt: int) -> str:
        stream = KeyStream(key, "person_name", words.normalize(value), str(attempt))
        return _TOKEN_RE.sub(lambda m: _name_token(m.group(), stream, attempt >= 2), value)

    return words.first_different(value, make)


def mask_company_name(value: str, key: MaskKey) -> str:
    """Three made-up words spelling a 66-bit keyed hash, then the kind-of-business words.

    Trailing words such as ``Farms``, ``Collective`` and ``LLC`` stay; the rest is replaced.

    :example: ``"Green Valley Collective LLC"`` -> ``"Jojatofi Pozihape Jeleza Collective LLC"``
    """
    if not value.strip():
        return value
    tokens = value.split()
    keep: list[str] = []
    while tokens and tokens[-1].strip(".,").casefold() in _BUSINESS_WORDS:
        keep.insert(0, tokens.pop())

    def make(attempt: int) -> str:
        tag = KeyStream(key, "company_name", words.normalize(value), str(attempt)).bits(66)
        spelled = words.syllables(tag, 11)
        parts = [spelled[:8], spelled[8:16], spelled[16:]]
        return " ".join([*(p.capitalize() for p in parts), *keep])

    return words.first_different(value, make)


def _email_segment(segment: str, stream: KeyStream) -> str:
    """Letters become made-up letters (consonants and vowels taking turns), digits digits."""
    out = []
    vowel = False
    for ch, byte in zip(segment[:12], stream.take(min(len(segment), 12)), strict=False):
        if ch.isdigit():
            out.append(str(byte % 10))
        else:
            out.append(words.VOWELS[byte & 3] if vowel else words.CONSONANTS[byte & 15])
            vowel = not vowel
    return "".join(out)


def mask_email(value: str, key: MaskKey) -> str:
    """An address at example.com/.net/.org: up to three local-part segments keep their lengths
    and separators, and a 65-bit keyed tag keeps distinct addresses distinct.

    :example: ``"Jane.Doe@gmail.com"`` -> ``"kaje.roj.o53pd3z2cnknl@example.org"``
    """
    if not value.strip():
        return value
    normal = value.strip().casefold()
    runs = re.findall(r"[a-z0-9]+|[^a-z0-9]+", normal.rsplit("@", 1)[0])

    def make(attempt: int) -> str:
        stream = KeyStream(key, "email", normal, str(attempt))
        parts: list[str] = []
        segments = 0
        for run in runs:
            if run[0].isascii() and run[0].isalnum():
                if segments == 3:
                    break
                parts.append(_email_segment(run, stream))
                segments += 1
            elif parts:
                parts.append(run[0] if run[0] in "._-+" else ".")
        prefix = "".join(parts).strip("._-+") or "user"
        return f"{prefix}.{words.base32_tag(stream)}@{stream.choice(RESERVED_EMAIL_DOMAINS)}"

    return words.first_different(value, make)


def mask_phone(value: str, key: MaskKey) -> str:
    """A fictional ``555-0100``..``555-0199`` number, same area code and layout when there is
    a valid North American number; ``(AAA) 555-01xx`` with a California area code otherwise.

    :example: ``"+1 (510) 867-5309"`` -> ``"+1 (510) 555-0120"``
    """
    if not value.strip():
        return value
    found = PHONE_RE.search(value)
    whole = found is not None and found.group().strip() == value.strip()
    area = (found.group(1) or found.group(2)) if found else ""
    normal = re.sub(r"\D", "", found.group())[-10:] if found else words.normalize(value)

    def make(attempt: int) -> str:
        stream = KeyStream(key, "phone", normal, str(attempt))
        code = area if area and int(area) in VALID_AREA_CODES else str(stream.choice(CA_AREA_CODES))
        line = f"01{stream.below(100):02d}"
        if whole:
            return words.lay_digits(value, f"{code}555{line}")
        return f"({code}) 555-{line}"

    return words.first_different(value, make)


_ADDRESS_RE: Final = re.compile(
    r"^\s*(?P<street>[^\n,]+?)\s*[,\n]\s*(?:(?P<unit>(?:apt|apartment|suite|ste|unit|#)[^,\n]*)"
    r"\s*[,\n]\s*)?(?P<city>[^,\n]+?)\s*[,\n]?\s+(?P<state>[A-Za-z]{2})\.?\s+(?P<zip>\d{5})"
    r"(?P<plus4>-\d{4})?\s*(?:,?\s*(?:USA|US|United States))?\s*$",
    re.IGNORECASE,
)
_UNIT_RE: Final = re.compile(r"\b(?:apt|apartment|suite|ste|unit)\b|#", re.IGNORECASE)


def mask_address(value: str, key: MaskKey) -> str:
    """A made-up street number and street in the same city, state and 3-digit ZIP area.

    ``<number> <street>[ Ste <n>], <city>, <ST> <zip3><2 digits>[-<4 digits>]``; an address the
    rule cannot read becomes a made-up California one.

    :example: ``"1600 Shoreline Blvd, Mountain View, CA 94043"``
        -> ``"9169 Cypress Ln, Mountain View, CA 94099"``
    """
    if not value.strip():
        return value
    found = _ADDRESS_RE.match(value)

    def make(attempt: int) -> str:
        stream = KeyStream(key, "address", words.normalize(value), str(attempt))
        if found is None:
            city, low, high = stream.choice(CA_CITIES)
            zip5 = low + stream.below(high - low + 1)
            return f"{100 + stream.below(9900)} {stream.choice(STREETS)}, {city}, CA {zip5:05d}"
        lead = re.match(r"\d+", found["street"])
        number = words.digits(stream, len(lead.group()) if lead else 4).lstrip("0") or "1"
        has_unit = found["unit"] or _UNIT_RE.search(found["street"])
        unit = f" Ste {100 + stream.below(900)}" if has_unit else ""
        plus4 = "-" + words.digits(stream, 4) if found["plus4"] else ""
        zip_code = found["zip"][:3] + words.digits(stream, 2) + plus4
        street = stream.choice(STREETS)
        return f"{number} {street}{unit}, {found['city']}, {found['state'].upper()} {zip_code}"

    return words.first_different(value, make)

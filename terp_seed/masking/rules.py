"""The masking rules: one pure function per PII kind, ``(value, key) -> masked value``.

Every rule is keyed (HMAC-SHA256 under the masking key), deterministic (the same value and key
give the same result in every table and every run, so joins on masked values still match),
format-preserving, and never returns its input for a value that holds a letter or a digit
(except ``free_text_patterns`` and ``json``, which replace only the personal data they find).
A blank value has nothing personal in it and is returned as it is. ``None`` (SQL NULL) stays
``None``: see :func:`mask_value`.

Rules marked ``distinct`` give distinct results for distinct inputs: the permutations exactly,
the others by embedding 64 or more keyed-hash bits. Only those may mask a UNIQUE column.

The ``:example:`` lines of the rules use the key ``golden-key-0123456789``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from terp_seed.masking.contact import (
    mask_address,
    mask_company_name,
    mask_email,
    mask_person_name,
    mask_phone,
)
from terp_seed.masking.freetext import mask_free_text, mask_free_text_patterns
from terp_seed.masking.identifiers import (
    mask_account_number,
    mask_date_of_birth,
    mask_ip,
    mask_license_number,
    mask_medical_id,
    mask_ssn,
    mask_tax_id,
)
from terp_seed.masking.secret import MaskKey
from terp_seed.masking.structured import (
    mask_json,
    mask_login,
    mask_unknown_text,
)

__all__ = [
    "RULES",
    "MaskFn",
    "Rule",
    "mask_account_number",
    "mask_address",
    "mask_company_name",
    "mask_date_of_birth",
    "mask_email",
    "mask_free_text",
    "mask_free_text_patterns",
    "mask_ip",
    "mask_json",
    "mask_license_number",
    "mask_login",
    "mask_medical_id",
    "mask_person_name",
    "mask_phone",
    "mask_ssn",
    "mask_tax_id",
    "mask_unknown_text",
    "mask_value",
]

MaskFn = Callable[[str, MaskKey], str]
"""A masking rule: value in, masked value out; pure."""


@dataclass(frozen=True)
class Rule:
    """A masking rule as the catalogue, the docs and the mask command see it."""

    name: str
    fn: MaskFn | None  # None: the value becomes NULL
    distinct: bool  # distinct inputs give distinct outputs (so it may mask a UNIQUE column)
    same_domain: bool  # outputs come from the inputs' own set of values (a permutation)
    summary: str


def _rule(
    name: str, fn: MaskFn | None, *, distinct: bool = False, same_domain: bool = False, summary: str
) -> Rule:
    return Rule(name, fn, distinct, same_domain, summary)


RULES: Final[dict[str, Rule]] = {
    r.name: r
    for r in (
        _rule(
            "person_name",
            mask_person_name,
            summary="made-up name; same initials and length class per word; titles kept",
        ),
        _rule(
            "company_name",
            mask_company_name,
            distinct=True,
            summary="three made-up words (66-bit keyed hash) + trailing business words",
        ),
        _rule(
            "email",
            mask_email,
            distinct=True,
            summary="address at example.com/.net/.org; local-part shape + 65-bit keyed tag",
        ),
        _rule(
            "phone",
            mask_phone,
            summary="fictional 555-01xx number; area code and layout kept when valid",
        ),
        _rule(
            "address",
            mask_address,
            summary="made-up street and number; city, state and 3-digit ZIP prefix kept",
        ),
        _rule(
            "tax_id",
            mask_tax_id,
            same_domain=True,
            summary="keyed permutation keeping the shape; SSN-shaped ids get fictional SSNs",
        ),
        _rule(
            "license_number",
            mask_license_number,
            distinct=True,
            same_domain=True,
            summary="keyed permutation keeping the shape, character class by class",
        ),
        _rule(
            "medical_id",
            mask_medical_id,
            distinct=True,
            same_domain=True,
            summary="keyed permutation keeping the shape, character class by class",
        ),
        _rule(
            "ssn",
            mask_ssn,
            summary="9xx-[00-49]-xxxx: a number no SSN or ITIN can have; layout kept",
        ),
        _rule(
            "ip",
            mask_ip,
            summary="documentation address: 192.0.2/198.51.100/203.0.113, 2001:db8::/32",
        ),
        _rule(
            "date_of_birth",
            mask_date_of_birth,
            summary="another day of the same year, same date format",
        ),
        _rule(
            "free_text",
            mask_free_text,
            summary="emails/phones/SSNs masked by their rules; other words made up anew",
        ),
        _rule(
            "free_text_patterns",
            mask_free_text_patterns,
            summary="only emails/phones/SSNs inside replaced (for reviewed columns)",
        ),
        _rule(
            "login",
            mask_login,
            distinct=True,
            summary="an address masked as by the email rule (openId = email stays so); "
            "else user-<65-bit keyed tag>",
        ),
        _rule(
            "account_number",
            mask_account_number,
            summary="same layout, letters and digits redrawn, first two digits 00 (so never a "
            "valid IBAN or a phone number)",
        ),
        _rule(
            "json",
            mask_json,
            summary="keys and structure kept; strings under personal keys (email, phone, name, "
            "notes) by their rule, other strings: emails/phones/SSNs inside replaced",
        ),
        _rule(
            "unknown_text",
            mask_unknown_text,
            summary="a column not in the catalogue: JSON by the json rule, else as free_text",
        ),
        _rule("null", None, distinct=False, summary="set to NULL (nullable columns only)"),
    )
}
"""Every rule by name. A PII kind's default rule has the kind's name."""


def mask_value(rule: Rule, value: str | None, key: MaskKey) -> str | None:
    """Apply ``rule`` to one value; NULL stays NULL."""
    if value is None or rule.fn is None:
        return None
    return rule.fn(value, key)

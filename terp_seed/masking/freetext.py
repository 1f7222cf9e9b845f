"""Masking rules for free text: personal data inside notes, reasons and titles."""

from __future__ import annotations

import re
from typing import Final

from terp_seed.masking import words
from terp_seed.masking.contact import mask_email, mask_phone
from terp_seed.masking.detect import find_pii, normalise
from terp_seed.masking.identifiers import mask_account_number, mask_ssn
from terp_seed.masking.patterns import PHONE_LIKE_RE
from terp_seed.masking.secret import KeyStream, MaskKey

_ALNUM_RE: Final = re.compile(r"[^\W_]+")


def _pii_spans(text: str, key: MaskKey) -> list[tuple[int, int, str]]:
    """``(start, end, replacement)`` for every piece of personal data :func:`find_pii` finds in
    ``text``, and every other phone-shaped number (any 3-3-4 digit group)."""
    norm = normalise(text)
    spans = [(f.start, f.end, _replace(f.kind, norm[f.start : f.end], key)) for f in find_pii(text)]
    for found in PHONE_LIKE_RE.finditer(norm):
        start, end = found.span()
        if not any(start < b and a < end for a, b, _ in spans):
            spans.append((start, end, mask_phone(found.group(), key)))
    return sorted(spans)


def _replace(kind: str, found: str, key: MaskKey) -> str:
    """What masking puts in place of one finding: a value its own rule gives, or (for numbers
    only a keyword makes personal) one the scan can tell from a real one."""
    if kind == "email":
        return mask_email(found, key)
    if kind == "obfuscated_email":
        return mask_email(_plain_address(found), key)
    if kind == "ssn":
        return mask_ssn(found, key)
    if kind in ("iban", "account_number"):
        return mask_account_number(found, key)
    if kind == "date_of_birth":  # the year alone: ages stay right, no day to identify anyone
        year = re.search(r"\d{4}", found)
        return year.group() if year else "XXXX"
    if kind == "drivers_licence":
        return "X" * len(found)
    return mask_phone(found, key)


def _plain_address(found: str) -> str:
    text = re.sub(r"\s*[\(\[\{]dot[\)\]\}]\s*|\s+dot\s+", ".", found, flags=re.IGNORECASE)
    return re.sub(r"\s*[\(\[\{]at[\)\]\}]\s*|\s+at\s+", "@", text, flags=re.IGNORECASE)


def _scramble(text: str, stream: KeyStream) -> str:
    """Every word made up anew (same length and case), every number redrawn digit by digit."""

    def one(found: re.Match[str]) -> str:
        run = found.group()
        if run.isdigit():
            return words.digits(stream, len(run))
        return words.match_case(run, words.pseudo_word(stream, len(run)))

    return re.sub(r"[^\W\d_]+|\d+", one, text)


def _mask_text(value: str, key: MaskKey, *, scramble: bool) -> str:
    spans = _pii_spans(value, key)

    def make(attempt: int) -> str:
        stream = KeyStream(key, "free_text", value, str(attempt))
        out: list[str] = []
        position = 0
        for start, end, replacement in spans:
            gap = value[position:start]
            out.extend((_scramble(gap, stream) if scramble else gap, replacement))
            position = end
        tail = value[position:]
        out.append(_scramble(tail, stream) if scramble else tail)
        return "".join(out)

    if not scramble and not spans:
        return value  # nothing this rule replaces
    if not _ALNUM_RE.search(value):
        return value
    return words.first_different(value, make)


def mask_free_text(value: str, key: MaskKey) -> str:
    """Emails, phone numbers and SSN-like numbers become masked ones (as their own rules do);
    every other word is made up anew with the same length and case, every number redrawn.

    Punctuation, spacing and line breaks stay, so the text keeps its shape.

    :example: ``"Call Ann at (415) 867-5309."`` -> ``"Ikol Lip ol (415) 555-0136."``
    """
    return _mask_text(value, key, scramble=True)


def mask_free_text_patterns(value: str, key: MaskKey) -> str:
    """Only emails, phone numbers and SSN-like numbers replaced; the other words stay.

    For columns a reviewer has confirmed hold no names or other personal words.

    :example: ``"Net 30, ap@acme.com"`` -> ``"Net 30, ga.7hkmhgkq7keqc@example.net"``
    """
    return _mask_text(value, key, scramble=False)

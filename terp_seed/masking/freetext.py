"""Masking rules for free text: personal data inside notes, reasons and titles."""

from __future__ import annotations

import re
from typing import Final

from terp_seed.masking import words
from terp_seed.masking.contact import mask_email, mask_phone
from terp_seed.masking.identifiers import mask_ssn
from terp_seed.masking.patterns import EMAIL_RE, PHONE_LIKE_RE, SSN_RE
from terp_seed.masking.secret import KeyStream, MaskKey

_ALNUM_RE: Final = re.compile(r"[^\W_]+")


def _pii_spans(text: str, key: MaskKey) -> list[tuple[int, int, str]]:
    """``(start, end, replacement)`` for every email, SSN-like and phone number in ``text``."""
    spans: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern, rule in ((EMAIL_RE, mask_email), (SSN_RE, mask_ssn), (PHONE_LIKE_RE, mask_phone)):
        for found in pattern.finditer(text):
            start, end = found.span()
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            spans.append((start, end, rule(found.group(), key)))
    return sorted(spans)


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

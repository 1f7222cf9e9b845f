"""Pronounceable made-up words: what masked names, company names and free text are built from.

Made-up words rather than real names, so that a masked value is (almost) never somebody's real
name: the leak scan can then treat any match with an original as a leak.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Callable
from typing import Final

from terp_seed.masking.secret import KeyStream

ATTEMPTS: Final = 32
CONSONANTS: Final = "bdfghjklmnprstvz"  # 16: one byte picks one without bias
VOWELS: Final = "aeio"  # 4
SYLLABLE_BITS: Final = 6  # 16 consonants x 4 vowels

LENGTH_CLASSES: Final = ((1, 1), (2, 3), (4, 5), (6, 7), (8, 10), (11, 14), (15, 20))
"""Token lengths that a masked name keeps: a 5-letter name becomes a 4- or 5-letter one."""

_NAME_KEEP_TEXT: Final = "mr mrs ms mx dr prof rev jr sr ii iii iv md phd esq"
NAME_KEEP: Final = frozenset(_NAME_KEEP_TEXT.split())
"""Titles and suffixes, kept as they are: they say nothing about who a person is."""

_LEGAL_TEXT: Final = "llc inc co corp corporation company ltd llp lp pc pllc plc"
LEGAL_SUFFIXES: Final = frozenset(_LEGAL_TEXT.split())
_GENERIC_TEXT: Final = """farms farm collective gardens garden wellness dispensary dispensaries
cannabis supply labs lab group holdings partners distribution distributors delivery extracts
growers harvest cooperative coop botanicals brands organics services enterprises trading
industries ventures bank credit union financial federal savings trust cultivation nursery"""
GENERIC_COMPANY_WORDS: Final = frozenset(_GENERIC_TEXT.split())
"""Words that say what kind of business it is, not which: kept at the end of a company name."""


def length_class(length: int) -> tuple[int, int]:
    """The ``(shortest, longest)`` class a token of ``length`` letters belongs to."""
    for low, high in LENGTH_CLASSES:
        if low <= length <= high:
            return low, high
    return length, length


def is_vowel(ch: str) -> bool:
    """True for a Latin vowel, with or without an accent."""
    return unicodedata.normalize("NFKD", ch)[:1].lower() in "aeiouy"


def pseudo_word(stream: KeyStream, length: int, *, start_vowel: bool | None = None) -> str:
    """``length`` lowercase letters alternating consonants and vowels.

    :param start_vowel: begin with a vowel (True) or a consonant (False); None lets the stream
        decide.
    """
    if length <= 0:
        return ""
    noise = stream.take(length + 1)
    vowel = noise[-1] & 1 == 1 if start_vowel is None else start_vowel
    out = []
    for byte in noise[:length]:
        out.append(VOWELS[byte & 3] if vowel else CONSONANTS[byte & 15])
        vowel = not vowel
    return "".join(out)


def digits(stream: KeyStream, length: int) -> str:
    """``length`` decimal digits."""
    return "".join(str(byte % 10) for byte in stream.take(length))


def match_case(template: str, word: str) -> str:
    """``word`` in the letter case of ``template``: ``ALL CAPS``, ``Title`` or ``lower``."""
    if len(template) > 1 and template.isupper():
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:].lower()
    return word.lower()


def syllables(number: int, count: int) -> str:
    """``count`` consonant-vowel syllables spelling ``number`` (6 bits each), exactly.

    Distinct numbers below ``2 ** (6 * count)`` give distinct strings.

    :example: ``syllables(0, 2)`` -> ``'baba'``
    """
    out = []
    for _ in range(count):
        number, chunk = divmod(number, 1 << SYLLABLE_BITS)
        out.append(CONSONANTS[chunk >> 2] + VOWELS[chunk & 3])
    return "".join(out)


def base32_tag(stream: KeyStream) -> str:
    """13 lowercase base32 characters (65 bits): enough to keep a million values distinct."""
    return base64.b32encode(stream.take(10)).decode("ascii")[:13].lower()


def normalize(value: str) -> str:
    """Case-folded, with runs of whitespace made one space: what rules hash."""
    return " ".join(value.split()).casefold()


def first_different(original: str, make: Callable[[int], str]) -> str:
    """The first of ``make(0)``, ``make(1)``, ... that is not ``original``."""
    for attempt in range(ATTEMPTS):
        candidate = make(attempt)
        if candidate != original:
            return candidate
    raise AssertionError("a masking rule kept returning its input")  # pragma: no cover


def lay_digits(template: str, new_digits: str) -> str:
    """``template`` with its last ``len(new_digits)`` digits replaced, in order."""
    out = list(template)
    todo = list(new_digits)
    for i in range(len(out) - 1, -1, -1):
        if not todo:
            break
        if out[i].isdigit():
            out[i] = todo.pop()
    return "".join(out)

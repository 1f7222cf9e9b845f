"""Keyed permutations that keep a value's shape: digits stay digits, letters stay letters.

:func:`cycle_step` maps ``x`` to its successor on one keyed cycle through ``range(n)``: a
bijection (distinct inputs give distinct outputs, exactly) with no fixed point (the output never
equals the input). It is ``E⁻¹((E(x) + 1) mod n)`` where ``E`` is a 10-round Feistel cipher
(HMAC-SHA256 rounds) on the fewest bits that cover ``n``, walked in cycles until it lands in
``range(n)``.
:func:`permute_shape` applies it to the digits and letters of a string, character class by
character class, leaving punctuation where it was.
"""

from __future__ import annotations

from terp_seed.masking.secret import KeyStream, MaskKey

ROUNDS = 10  # even, so the halves are back at their starting sizes after the last round
BLOCK = 40
"""Characters permuted together; longer values are cut into blocks of this many."""
DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
_ALPHABETS = {"9": DIGITS, "A": UPPER, "a": LOWER}


class _Feistel:
    """A keyed permutation of ``range(2**bits)``: an unbalanced Feistel cipher, HMAC rounds."""

    __slots__ = ("_key", "_prefix", "bits", "left_bits", "right_bits")

    def __init__(self, key: MaskKey, tweak: str, bits: int) -> None:
        self._key = key
        self._prefix = f"feistel\x1f{tweak}\x1f".encode("utf-8", "surrogatepass")
        self.bits = bits
        self.left_bits = bits // 2
        self.right_bits = bits - bits // 2

    def _f(self, index: int, value: int, out_bits: int) -> int:
        message = self._prefix + bytes((index,)) + value.to_bytes(33, "big")
        return int.from_bytes(self._key.mac(message), "big") >> (256 - out_bits)

    def encrypt(self, x: int) -> int:
        ua, ub = self.left_bits, self.right_bits
        a, b = x >> ub, x & ((1 << ub) - 1)
        for i in range(ROUNDS):  # (a: ua bits, b: ub bits) -> (b, a ^ F(b)): the sizes swap
            a, b = b, a ^ self._f(i, b, ua)
            ua, ub = ub, ua
        return (a << ub) | b

    def decrypt(self, y: int) -> int:
        ua, ub = self.left_bits, self.right_bits  # ROUNDS is even: sizes are as at the start
        a, b = y >> ub, y & ((1 << ub) - 1)
        for i in reversed(range(ROUNDS)):
            ua, ub = ub, ua
            a, b = b ^ self._f(i, a, ua), a
        return (a << ub) | b


def encrypt(key: MaskKey, tweak: str, x: int, n: int) -> int:
    """A keyed permutation of ``range(n)`` (cycle walking keeps results below ``n``)."""
    cipher = _Feistel(key, tweak, max(2, (n - 1).bit_length()))
    y = cipher.encrypt(x)
    while y >= n:
        y = cipher.encrypt(y)
    return y


def decrypt(key: MaskKey, tweak: str, y: int, n: int) -> int:
    """The inverse of :func:`encrypt`."""
    cipher = _Feistel(key, tweak, max(2, (n - 1).bit_length()))
    x = cipher.decrypt(y)
    while x >= n:
        x = cipher.decrypt(x)
    return x


def cycle_step(key: MaskKey, tweak: str, x: int, n: int) -> int:
    """The successor of ``x`` on a keyed cycle through all of ``range(n)``.

    A bijection on ``range(n)`` without fixed points when ``n >= 2``.
    """
    if n < 2:
        return x
    return decrypt(key, tweak, (encrypt(key, tweak, x, n) + 1) % n, n)


def char_class(ch: str) -> str:
    """``9`` for an ASCII digit, ``A``/``a`` for an ASCII letter, else the character itself."""
    if ch in DIGITS:
        return "9"
    if "A" <= ch <= "Z":
        return "A"
    if "a" <= ch <= "z":
        return "a"
    return ch


def shape_of(value: str) -> str:
    """The value's template: every digit becomes ``9``, every letter ``A`` or ``a``.

    :example: ``shape_of("C10-0000123-LIC")`` -> ``'A99-9999999-AAA'``
    """
    return "".join(char_class(ch) for ch in value)


def _ascii_letters(value: str, key: MaskKey, domain: str) -> str:
    """Non-ASCII letters and digits become ASCII ones (keyed), so every position has a class."""
    if value.isascii():
        return value
    stream = KeyStream(key, domain, "non-ascii", value)
    out = []
    for ch in value:
        if not ch.isascii() and ch.isalnum():
            alphabet = DIGITS if ch.isdigit() else (UPPER if ch.isupper() else LOWER)
            out.append(stream.choice(alphabet))
        else:
            out.append(ch)
    return "".join(out)


def permute_shape(value: str, key: MaskKey, domain: str) -> str:
    """Replace the digits and letters of ``value`` with a keyed permutation of the same shape.

    Values of one shape map one-to-one onto values of that shape, and never onto themselves
    (for ASCII values with at least one digit or letter). Punctuation and spaces stay.

    :example: ``permute_shape("12-3456789", key, "tax_id")`` -> ``'80-1935264'``
    """
    value = _ascii_letters(value, key, domain)
    template = shape_of(value)
    positions = [i for i, c in enumerate(template) if c in _ALPHABETS]
    chars = list(value)
    for start in range(0, len(positions), BLOCK):
        block = positions[start : start + BLOCK]
        alphabets = [_ALPHABETS[template[i]] for i in block]
        number, size = 0, 1
        for i, alphabet in zip(block, alphabets, strict=True):
            number = number * len(alphabet) + alphabet.index(chars[i])
            size *= len(alphabet)
        tweak = f"{domain}|{template}|{start}"
        number = cycle_step(key, tweak, number, size)
        for i, alphabet in reversed(list(zip(block, alphabets, strict=True))):
            number, digit = divmod(number, len(alphabet))
            chars[i] = alphabet[digit]
    return "".join(chars)

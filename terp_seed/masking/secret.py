"""The masking key: where it comes from, its fingerprint, and the keyed streams rules draw from.

Every masked value is a function of the key and the original only (HMAC-SHA256), so the same
original masks to the same value in every table and every run, and nobody without the key can
recompute or reverse the mapping.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from terp_seed.console import jsonlogs, output
from terp_seed.errors import ConfigError
from terp_seed.runtime.policy import may_use_dev_mask_key

T = TypeVar("T")
KEY_ENV = "TERP_SEED_MASK_KEY"
MIN_KEY_LENGTH = 16
MIN_KEY_BITS = 40  # outside dev (strength_bits): 16 random hex characters give about 52
DEV_KEY = "terp-seed dev masking key: public, for dev databases only"
"""The fixed key used in dev when no key is set. It is public: dev data is synthetic anyway."""


@dataclass(frozen=True, repr=False)
class MaskKey:
    """A masking secret. Its ``repr`` shows only the fingerprint, never the secret.

    :meth:`mac` is HMAC-SHA256 (RFC 2104) with the key pads hashed once up front, which makes
    it three times faster than :func:`hmac.digest` on the short messages masking sends.
    """

    secret: bytes
    source: str = "environment"
    _inner: hashlib._Hash = field(init=False, compare=False)
    _outer: hashlib._Hash = field(init=False, compare=False)

    def __post_init__(self) -> None:
        block = self.secret if len(self.secret) <= 64 else hashlib.sha256(self.secret).digest()
        block = block.ljust(64, b"\0")
        object.__setattr__(self, "_inner", hashlib.sha256(bytes(b ^ 0x36 for b in block)))
        object.__setattr__(self, "_outer", hashlib.sha256(bytes(b ^ 0x5C for b in block)))

    def __repr__(self) -> str:
        return f"MaskKey(fingerprint={self.fingerprint!r}, source={self.source!r})"

    @property
    def fingerprint(self) -> str:
        """16 hex characters that identify the key without revealing it."""
        return self.digest("terp-seed", "key-fingerprint").hex()[:16]

    def mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 of ``message`` under the key."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def digest(self, *parts: str) -> bytes:
        """HMAC-SHA256 of ``parts`` (joined with a separator that text cannot contain)."""
        return self.mac("\x1f".join(parts).encode("utf-8", "surrogatepass"))


def load_key(env: str, environ: Mapping[str, str] | None = None) -> MaskKey:
    """The key from ``TERP_SEED_MASK_KEY``; outside dev it is required.

    The key is registered with :func:`terp_seed.console.jsonlogs.register_secret`, so no log
    line shows it.

    :raises ConfigError: the key is missing outside dev, shorter than 16 characters, or
        outside dev too predictable (:func:`strength_bits` under 40, or the dev key itself).
    """
    environ = os.environ if environ is None else environ
    text = environ.get(KEY_ENV, "")
    if not text:
        if may_use_dev_mask_key(env):
            # said before any row is masked, not in the summary after
            output.warn(
                f"masking with the public dev key ({KEY_ENV} is not set): the masked values "
                "can be recomputed by anyone; fine for dev data, never for real people's"
            )
            return MaskKey(DEV_KEY.encode(), source="dev default")
        raise ConfigError(
            f"{KEY_ENV} is not set: masking in {env} needs a secret key of at least "
            f"{MIN_KEY_LENGTH} characters (keep it in your secret store; the same key gives the "
            "same masked values); only dev may use the built-in dev key"
        )
    jsonlogs.register_secret(text)
    if len(text) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"{KEY_ENV} is {len(text)} characters long, expected at least {MIN_KEY_LENGTH}: "
            "use a long random secret, e.g. `openssl rand -hex 32`"
        )
    if not may_use_dev_mask_key(env):
        bits = strength_bits(text)
        if text == DEV_KEY or bits < MIN_KEY_BITS:
            raise ConfigError(
                f"{KEY_ENV} is too predictable for {env} (about {bits:.0f} bits: the public "
                "dev key, or repeated and few distinct characters): use a long random secret, "
                "e.g. `openssl rand -hex 32`"
            )
    return MaskKey(text.encode("utf-8"))


def strength_bits(text: str) -> float:
    """A key's length times the Shannon entropy of its characters, in bits: 0 for ``aaaa...``,
    about 4 a character for hex from ``openssl rand``. A floor against keys typed by hand,
    not a proof of randomness."""
    counts = Counter(text)
    n = len(text)
    return n * -sum(c / n * math.log2(c / n) for c in counts.values()) if n else 0.0


class KeyStream:
    """A deterministic stream of numbers drawn from the key and a label (pure: no state leaks).

    :example: ``KeyStream(key, "phone", "4155550123").below(100)`` -> ``37``
    """

    __slots__ = ("_block", "_buffer", "_key", "_position", "_prefix")

    def __init__(self, key: MaskKey, *parts: str) -> None:
        self._key = key
        self._prefix = "\x1f".join([*parts, ""]).encode("utf-8", "surrogatepass")
        self._buffer = key.mac(self._prefix + b"0")  # block n is digest(*parts, str(n))
        self._block = 1
        self._position = 0

    def take(self, count: int) -> bytes:
        """The next ``count`` bytes of the stream."""
        end = self._position + count
        while end > len(self._buffer):
            self._buffer += self._key.mac(self._prefix + str(self._block).encode())
            self._block += 1
        out = self._buffer[self._position : end]
        self._position = end
        return out

    def bits(self, count: int) -> int:
        """A number of ``count`` uniformly random bits."""
        return int.from_bytes(self.take((count + 7) // 8), "big") >> (-count % 8)

    def below(self, n: int) -> int:
        """A number in ``range(n)`` (16 extra bits keep the modulo bias under 2**-16)."""
        return self.bits(n.bit_length() + 16) % n

    def choice(self, options: Sequence[T]) -> T:
        """One element of ``options``."""
        return options[self.below(len(options))]

"""Staff users who can log in to TERP with one documented development password."""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
from collections.abc import Iterator

import bcrypt

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.parties import _slug, _when

DEV_PASSWORD = "TerpDev2026!"
"""The password of every seeded staff account: for dev and test databases only (the users
revision runs there alone, seed_migrations/versions/0002_staff_users.py)."""
LOGIN_DOMAIN = "terp.test"
"""Usernames are e-mail-like, as TERP's own QA accounts (``qa.sales@terp.test``,
scripts/seed-qa-users.ts:33-64); ``.test`` is reserved (RFC 2606), so nothing is ever sent."""
STAFF: tuple[tuple[str, str], ...] = (
    ("admin", "Super Admin"),
    ("sales.manager", "Sales Manager"),
    ("inventory.manager", "Inventory Manager"),
    ("accounting", "Accountant"),
    ("operations", "Operations Manager"),
    ("warehouse", "Warehouse Staff"),
    ("buyer", "Buyer/Procurement"),
    ("customer.service", "Customer Service"),
    ("auditor", "Read-Only Auditor"),
)
"""The named staff accounts (username before the ``@``, the TERP role a person there does:
server/services/rbacDefinitions.ts:5-61). All are ``admin``: terp-seed writes no ``user_roles``,
and a non-admin without them may do nothing (server/services/permissionService.ts:445-455)."""
_BCRYPT64 = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
)


def bcrypt_salt(seed: int) -> bytes:
    """A bcrypt salt (cost 10, ``$2b$``) from ``seed``: the same seed, the same hash.

    16 bytes from the seed in bcrypt's base64 (22 characters), where ``bcrypt.gensalt`` would
    draw them at random.
    """
    raw = hashlib.sha256(f"bcrypt-salt:{seed}".encode()).digest()[:16]
    encoded = base64.b64encode(raw).rstrip(b"=").translate(_BCRYPT64)
    return b"$2b$10$" + encoded


@functools.cache
def password_hash(salt: bytes, password: str = DEV_PASSWORD) -> str:
    """``bcrypt.hash(password, 10)`` as TERP stores it in ``users.loginMethod``
    (server/_core/simpleAuth.ts:45-47, 205-213); about 70 ms, so once per salt."""
    return bcrypt.hashpw(password.encode(), salt).decode()


def users(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Staff who can log in to TERP with :data:`DEV_PASSWORD`.

    As TERP's own ``createUser`` writes them: ``openId = email = username``, ``loginMethod`` =
    the bcrypt hash of the password (login looks the user up by email, the session by openId:
    server/_core/simpleAuth.ts:147-213). The first are the named :data:`STAFF` accounts
    (``admin@terp.test``, ``sales.manager@terp.test`` ...), all admins; the rest are
    ``first.last@terp.test`` with role ``user``. A username already taken is skipped.
    """
    rng, pools = gen.rng("users"), gen.pools
    if gen.dev_logins:
        login = password_hash(bcrypt_salt(gen.subseed("users:password")))
    else:  # staging: nobody may know the password; set a real one in TERP
        login = password_hash(bcrypt.gensalt(10), secrets.token_urlsafe(32))
    taken = {str(v).lower() for v in gen.parents.column("users", "openId", include_deleted=True)}
    taken |= {
        str(v).lower()
        for v in gen.parents.column("users", "email", include_deleted=True)
        if v is not None
    }
    history = (gen.calendar.as_of - gen.calendar.start).days
    named = iter(STAFF)
    for _ in range(count):
        first, last = rng.choice(pools.first_names), rng.choice(pools.last_names)
        role = "user"
        username = ""
        for local, _title in named:
            if f"{local}@{LOGIN_DOMAIN}" not in taken:
                username, role = f"{local}@{LOGIN_DOMAIN}", "admin"
                break
        if not username:
            base = f"{_slug(first)}.{_slug(last)}"[:50]
            username, n = f"{base}@{LOGIN_DOMAIN}", 1
            while username in taken:
                n += 1
                username = f"{base}{n}@{LOGIN_DOMAIN}"
        taken.add(username)
        yield (
            "users",
            {
                "id": gen.ids.next_id("users"),
                "openId": username,
                "name": f"{first} {last}",
                "email": username,
                "loginMethod": login,
                "role": role,
                # staff were hired before the history the seed writes begins
                "createdAt": _when(gen, history + rng.randint(30, 60)),
                "lastSignedIn": _when(gen, rng.randint(0, 30)),
            },
        )

"""How terp-seed connects: engines that never pool, and a one-line error when it cannot."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from terp_seed.db.dialects import dialect_of
from terp_seed.db.url import URL_ENV, redact_text
from terp_seed.errors import ConfigError, ConnectError

LOCK_WAIT_ENV = "TERP_SEED_LOCK_WAIT_TIMEOUT"


def make_engine(url: URL) -> Engine:
    """An engine whose connections are really closed when released (no pooling).

    A pooled MySQL connection would keep a ``GET_LOCK`` lock after it is returned to the pool,
    so terp-seed never pools.
    """
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    dialect = dialect_of(url)
    connect_args: dict[str, Any] = {}
    url = dialect.configure_url(url, connect_args, lock_wait_timeout())
    if connect_args:
        kwargs["connect_args"] = connect_args
    engine = sa.create_engine(url, **kwargs)
    dialect.configure_engine(engine)
    return engine


def lock_wait_timeout(environ: Mapping[str, str] | None = None) -> int | None:
    """Seconds a statement waits for a lock another session holds (``TERP_SEED_LOCK_WAIT_TIMEOUT``).

    ``None`` (unset) keeps the server's own values (InnoDB's default is 50 s for row locks,
    a year for table metadata locks). A deploy pipeline sets it to fail fast, with one line
    naming the cause, instead of hanging behind a long application transaction.
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(LOCK_WAIT_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 86400:
        raise ConfigError(
            f"{LOCK_WAIT_ENV}={raw!r} is not valid: use whole seconds from 1 to 86400"
        )
    return int(raw)


def connect(engine: Engine) -> Connection:
    """Open a connection, or raise a one-line :class:`ConnectError` naming what to check."""
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        raise ConnectError(describe_connect_failure(engine.url, exc)) from None


def describe_connect_failure(url: URL, exc: BaseException) -> str:
    """One line: where we tried to connect, why it failed (no password), what to check."""
    reason = str(getattr(exc, "orig", exc)).splitlines()[0]
    reason = redact_text(reason)
    if url.get_backend_name() == "sqlite":
        return f"cannot open SQLite database {url.database!r}: {reason}; check the path exists"
    host, port, db = url.host or "localhost", url.port or 3306, url.database or "(none)"
    return (
        f"cannot connect to database {db!r} on {host}:{port} as {url.username or '(no user)'}: "
        f"{reason}; check that the server is running, the database exists and the credentials "
        f"in {URL_ENV} or sqlalchemy.url are right"
    )

"""Where the database is, and how terp-seed connects to it.

The URL comes from ``TERP_DATABASE_URL``, else the ini section's ``sqlalchemy.url``, else the
embedded SQLite file ``terp_seed.sqlite`` in the working directory. Passwords are hidden in every
string this module produces.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from terp_seed.errors import ConfigError, ConnectError

URL_ENV = "TERP_DATABASE_URL"
DEFAULT_SQLITE_FILE = "terp_seed.sqlite"


def resolve_url(ini_url: str | None, environ: Mapping[str, str] | None = None) -> URL:
    """Return the database URL: environment first, then the ini file, then embedded SQLite."""
    environ = os.environ if environ is None else environ
    raw = environ.get(URL_ENV) or ini_url or f"sqlite:///{DEFAULT_SQLITE_FILE}"
    try:
        url = make_url(raw)
    except Exception as exc:
        raise ConfigError(
            f"database URL {redact_text(raw)!r} is not a valid SQLAlchemy URL "
            f"(expected e.g. mysql+pymysql://user@host:3306/terp); fix {URL_ENV} or sqlalchemy.url"
        ) from exc
    if url.get_backend_name() not in ("mysql", "mariadb", "sqlite"):
        raise ConfigError(
            f"database URL {redact(url)} uses {url.get_backend_name()!r}; terp-seed supports "
            "mysql/mariadb (mysql+pymysql://...) and sqlite"
        )
    return url


def redact(url: URL) -> str:
    """The URL as a string with its password replaced by ``***``."""
    return url.render_as_string(hide_password=True)


def redact_text(text: str) -> str:
    """Hide anything that looks like a password inside a URL embedded in free text."""
    import re

    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


def is_mysql(url_or_conn: URL | Connection | Engine) -> bool:
    """True for MySQL and MariaDB."""
    if isinstance(url_or_conn, URL):
        return url_or_conn.get_backend_name() in ("mysql", "mariadb")
    return url_or_conn.dialect.name in ("mysql", "mariadb")


def make_engine(url: URL) -> Engine:
    """An engine whose connections are really closed when released (no pooling).

    A pooled MySQL connection would keep a ``GET_LOCK`` lock after it is returned to the pool,
    so terp-seed never pools.
    """
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    if is_mysql(url):
        query = dict(url.query)
        query.setdefault("charset", "utf8mb4")
        url = url.set(query=query)
        kwargs["connect_args"] = {"local_infile": True, "connect_timeout": 10}
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA foreign_keys = ON")
    dbapi_conn.execute("PRAGMA busy_timeout = 30000")
    dbapi_conn.create_function("terp_seed_md5", -1, _md5_of, deterministic=True)


def _md5_of(*values: object) -> str:
    parts = ["\\N" if v is None else str(v) for v in values]
    return hashlib.md5("\x1f".join(parts).encode()).hexdigest()


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


def database_name(url: URL) -> str:
    """The database's name as users know it: the schema name, or the SQLite file's name."""
    if url.get_backend_name() == "sqlite":
        return os.path.basename(url.database or ":memory:") or ":memory:"
    return url.database or ""

"""Where the database is: its URL, and that URL (or any text) with the password hidden.

The URL comes from ``TERP_DATABASE_URL``, else the ini section's ``sqlalchemy.url``, else the
embedded SQLite file ``terp_seed.sqlite`` in the working directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from sqlalchemy.engine import URL, make_url

from terp_seed.errors import ConfigError

# user:password@ inside a URL, wherever it appears in text
PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")

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
    return PASSWORD_IN_URL.sub(r"\1***@", text)


def database_name(url: URL) -> str:
    """The database's name as users know it: the schema name, or the SQLite file's name."""
    if url.get_backend_name() == "sqlite":
        return os.path.basename(url.database or ":memory:") or ":memory:"
    return url.database or ""

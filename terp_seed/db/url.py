"""Where the database is: its URL, and that URL (or any text) with the password hidden.

The URL comes from ``TERP_DATABASE_URL``, else the ini section's ``sqlalchemy.url``, else the
embedded SQLite file ``terp_seed.sqlite`` in the working directory.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import URL, make_url

from terp_seed.errors import ConfigError

# scheme://user:password@host inside text, the scheme's "://" mangled or not ("mysql//u:p@h"),
# the password running to the last "@" before a host on the line (it may hold "@" or spaces)
PASSWORD_IN_URL = re.compile(
    r"(\b[a-z][\w+.-]*:?/+[^\s:/@'\"]*:)[^\n]*@(?=[\w.-]+[:/?\s'\"),]|[\w.-]+$|\[)", re.I
)
# ?password=... (or passwd, pwd) in a URL's query string
PASSWORD_IN_QUERY = re.compile(r"([?&;](?:password|passwd|pwd)=)[^&;\s'\"]*", re.I)

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
            f"database URL {_unparsed(raw)!r} is not a valid SQLAlchemy URL "
            f"(expected e.g. mysql+pymysql://user@host:3306/terp); fix {URL_ENV} or sqlalchemy.url"
        ) from exc
    if "@" in (url.host or "") or " " in (url.host or ""):
        raise ConfigError(
            f"database URL {redact(url)} has an '@' or a space that is not percent-encoded in "
            "its user or password: write '@' as %40 and a space as %20; fix "
            f"{URL_ENV} or sqlalchemy.url"
        )
    if url.get_backend_name() not in ("mysql", "mariadb", "sqlite"):
        raise ConfigError(
            f"database URL {redact(url)} uses {url.get_backend_name()!r}; terp-seed supports "
            "mysql/mariadb (mysql+pymysql://...) and sqlite"
        )
    return url


def redact(url: URL) -> str:
    """The URL as a string with its password (and any ``password=`` query option) as ``***``."""
    return redact_text(url.render_as_string(hide_password=True))


def redact_text(text: str) -> str:
    """``text`` with every password of a URL in it replaced by ``***``: the one redaction every
    output path uses (messages, logs, audit, the summary)."""
    return PASSWORD_IN_QUERY.sub(r"\1***", PASSWORD_IN_URL.sub(r"\1***@", text))


def _unparsed(raw: str) -> str:
    """A URL that does not parse, shown without its password: everything between the first
    ``:`` of its credentials and the last ``@`` is hidden (its shape is unknown)."""
    shown = redact_text(raw)
    if "@" not in shown or ":***@" in shown:
        return shown
    credentials, _, host = shown.rpartition("@")
    if ":" not in credentials:
        return shown
    return f"{credentials.split(':', 1)[0]}:***@{host}"


def ini_url(config: Any) -> str | None:
    """``sqlalchemy.url`` of an Alembic config's section, or None.

    :raises ConfigError: the ini file's value cannot be read (configparser takes ``%`` for
        interpolation: a password holding ``%`` must be written ``%%`` there).
    """
    try:
        value = config.get_main_option("sqlalchemy.url")
    except configparser.Error:
        raise ConfigError(
            "sqlalchemy.url in the ini file cannot be read: a '%' in it must be written '%%' "
            f"(configparser interpolation); fix it, or set {URL_ENV} instead"
        ) from None
    return str(value) if value is not None else None


def database_name(url: URL) -> str:
    """The database's name as users know it: the schema name, or the SQLite file's name."""
    if url.get_backend_name() == "sqlite":
        return os.path.basename(url.database or ":memory:") or ":memory:"
    return url.database or ""

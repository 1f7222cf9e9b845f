"""How terp-seed connects to MySQL: PyMySQL's unverified "TLS if offered" context is built once
per process, and a TLS option in the URL still gets its own, honoured, context."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.db.engine import connect, make_engine
from terp_seed.errors import ConnectError

pytestmark = pytest.mark.mysql


def _contexts(engine: sa.Engine, n: int) -> list[Any]:
    found = []
    for _ in range(n):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
            found.append(getattr(conn.connection.dbapi_connection, "ctx", None))
    return found


def test_connections_share_one_unverified_tls_context(mysql_url: str) -> None:
    engine = make_engine(sa.make_url(mysql_url))
    try:
        first, second = _contexts(engine, 2)
    finally:
        engine.dispose()
    if first is None:
        pytest.skip("this PyMySQL prepares no TLS context without a TLS option")
    assert second is first
    assert first.verify_mode == ssl.CERT_NONE and not first.check_hostname


def test_a_tls_option_in_the_url_is_still_honoured(mysql_url: str) -> None:
    """Asking for a verified certificate makes TLS required: this server offers none
    (``have_ssl`` DISABLED), so the connection is refused instead of falling back."""
    engine = make_engine(sa.make_url(mysql_url))
    with engine.connect() as conn:
        have_ssl = conn.exec_driver_sql("SELECT @@have_ssl").scalar()
    engine.dispose()
    if have_ssl == "YES":
        pytest.skip("this server offers TLS")
    url = sa.make_url(mysql_url).update_query_dict(
        {"ssl_ca": ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"}
    )
    engine = make_engine(url)
    try:
        with pytest.raises(ConnectError, match="SSL"):
            connect(engine).close()
    finally:
        engine.dispose()

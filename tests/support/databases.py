"""A MariaDB database of a test module's own, beside the per-test ones pytest-mysql makes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa


@contextlib.contextmanager
def own_database(config: pytest.Config, prefix: str) -> Iterator[str]:
    """Create ``<prefix>_<pid>`` on the server the ``mysql_*`` ini options name; yield its URL;
    drop it afterwards."""
    host = config.getini("mysql_host") or "127.0.0.1"
    port = config.getini("mysql_port") or "3306"
    user = config.getini("mysql_user") or "root"
    name = f"{prefix}_{os.getpid()}"
    server = sa.create_engine(f"mysql+pymysql://{user}@{host}:{port}/", poolclass=sa.NullPool)
    with server.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield f"mysql+pymysql://{user}@{host}:{port}/{name}"
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        server.dispose()

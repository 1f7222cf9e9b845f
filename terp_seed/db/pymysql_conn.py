"""terp-seed's PyMySQL connection: TLS context built once, and local files sent only on offer.

``LOAD DATA LOCAL INFILE`` works by the server asking the client for a file by name, at any
point of any statement's reply; PyMySQL, given ``local_infile``, sends whatever file the server
names. A rogue or spoofed server could so read ``/proc/self/environ`` (the database URL and the
masking key) from any command. Here every connection advertises that it can send local files
(the server refuses ``LOAD DATA LOCAL`` otherwise), but sends one only while the loader has
offered exactly that path for its own statement (:func:`offering`); any other request is
answered with no data and fails the statement with one line naming the path. Nothing of the
file is read.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from terp_seed.errors import TerpSeedError


class LocalFileRefused(TerpSeedError):
    """The server asked for a local file that terp-seed did not offer (nothing was sent)."""


@contextmanager
def offering(dbapi_conn: Any, path: str) -> Iterator[None]:
    """While in the block, the server may read ``path`` (and no other file) through
    ``dbapi_conn``: the file or pipe the loader opened for its ``LOAD DATA LOCAL`` statement."""
    previous = getattr(dbapi_conn, "offered_file", None)
    dbapi_conn.offered_file = path
    try:
        yield
    finally:
        dbapi_conn.offered_file = previous


@functools.cache
def connection_class() -> type:
    """PyMySQL's connection class with terp-seed's two changes (imported only when MySQL is
    used).

    - Given no TLS option in the URL, PyMySQL (1.2 and later) prepares a context for each
      connection in case the server offers TLS; it verifies neither certificate nor host name,
      so loading the system's CA store into it, 20-30 ms every time, buys nothing: it is built
      once per process. Options in the URL (``?ssl_ca=...``, ``ssl_verify_cert``,
      ``ssl_verify_identity``) still get a context of their own.
    - A request for a local file is served only for the path on offer (:func:`offering`).
    """
    # lazy: PyMySQL is imported only when a MySQL URL is used (SQLite runs never load it)
    from pymysql.connections import Connection, LoadLocalPacketWrapper, MySQLResult

    preferred: list[ssl.SSLContext] = []

    class GuardedResult(MySQLResult):  # type: ignore[misc]
        def _read_load_local_packet(self, first_packet: Any) -> None:
            conn = self.connection
            asked = LoadLocalPacketWrapper(first_packet).filename
            asked = asked.decode("utf-8", "replace") if isinstance(asked, bytes) else str(asked)
            if asked == getattr(conn, "offered_file", None):
                conn._local_infile = True
                try:
                    super()._read_load_local_packet(first_packet)
                finally:
                    conn._local_infile = False
                return
            conn.write_packet(b"")  # no data: the server ends the statement
            conn._read_packet()  # its reply (OK or error), read so the session stays in step
            raise LocalFileRefused(
                f"the database server asked to read the local file {asked!r}, which terp-seed "
                "did not offer; refused, nothing was sent. Check that the URL names the right "
                "server (use TLS with ssl_ca and ssl_verify_identity for a remote one)"
            )

    class TerpConnection(Connection):  # type: ignore[misc]
        offered_file: str | None = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["local_infile"] = True  # the capability; files go only on offer
            super().__init__(*args, **kwargs)
            self._local_infile = False

        def _create_ssl_ctx(self, sslp: Any) -> ssl.SSLContext:
            if sslp:
                return super()._create_ssl_ctx(sslp)  # type: ignore[no-any-return]
            if not preferred:
                preferred.append(super()._create_ssl_ctx(sslp))
            return preferred[0]

        def _read_query_result(self, unbuffered: bool = False) -> int:
            self._result = None
            result = GuardedResult(self)
            if unbuffered:
                result.init_unbuffered_query()
            else:
                result.read()
            self._result = result
            if result.server_status is not None:
                self.server_status = result.server_status
            return result.affected_rows  # type: ignore[no-any-return]

    return TerpConnection


def connect(_dialect: Any, _record: Any, cargs: tuple[Any, ...], cparams: Any) -> Any:
    """SQLAlchemy's ``do_connect`` hook: a :func:`connection_class` connection."""
    return connection_class()(*cargs, **cparams)

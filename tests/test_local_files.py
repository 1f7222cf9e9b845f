"""A rogue or spoofed server cannot read local files: a connection sends a file only while the
loader offers that very path for its own ``LOAD DATA LOCAL`` statement (issue 23, item 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.fake_mysql import rogue_server

from terp_seed.db.pymysql_conn import LocalFileRefused, connection_class, offering
from terp_seed.testing.plugin import run_cli


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "environ"
    path.write_text("TERP_SEED_MASK_KEY=very-secret-key\n")
    return path


@pytest.mark.parametrize("command", [["lock"], ["status"], ["validate"]])
def test_a_rogue_server_asking_for_a_local_file_gets_nothing(
    secret: Path, command: list[str]
) -> None:
    with rogue_server(str(secret)) as server:
        result = run_cli(f"mysql+pymysql://root:pw@127.0.0.1:{server.port}/terp", *command)
        assert server.requests >= 1  # it did ask
        assert server.received == b""
    assert result.code != 0
    failed = [line for line in result.err.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1 and str(secret) in failed[0] and "nothing was sent" in failed[0]
    assert "very-secret-key" not in result.err + result.out


def _connection(port: int) -> Any:
    return connection_class()(host="127.0.0.1", port=port, user="root", password="pw")


def test_only_the_offered_path_is_sent(secret: Path, tmp_path: Path) -> None:
    """Even while the loader offers its own file, a request for another one is refused, and
    the session stays usable."""
    with rogue_server(str(secret)) as server:
        conn = _connection(server.port)
        try:
            with offering(conn, str(tmp_path / "chunk")), pytest.raises(LocalFileRefused):
                conn.cursor().execute("SELECT 1")
            conn.ping()
        finally:
            conn.close()
        assert server.received == b""


def test_the_offered_path_is_sent(secret: Path) -> None:
    """The path the loader offers is sent in full (what ``LOAD DATA LOCAL`` needs), and only
    while it is on offer."""
    with rogue_server(str(secret)) as server:
        conn = _connection(server.port)
        try:
            with offering(conn, str(secret)):
                conn.cursor().execute("SELECT 1")
            assert server.received == secret.read_bytes()
            with pytest.raises(LocalFileRefused):
                conn.cursor().execute("SELECT 1")
        finally:
            conn.close()
        assert server.received == secret.read_bytes()

"""A private MariaDB server for the scenarios that stop the server or change its globals.

Stopping the shared server on 127.0.0.1:3306, or lowering its ``max_allowed_packet``, would
break whatever else runs against it at that moment (other engineers' suites). So the server
restart and packet scenarios get their own ``mariadbd`` (same binary, same version), on a free
port, with its own data directory; it is always left running until the session ends, and its
globals are always restored.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
ADMIN = shutil.which("mariadb-admin") or "/usr/bin/mariadb-admin"


def available() -> str | None:
    """Why a private server cannot run here, or ``None`` when it can."""
    for path in (MARIADBD, INSTALL_DB, ADMIN):
        if not os.access(path, os.X_OK):
            return f"{path} is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateServer:
    """One ``mariadbd`` with a throw-away data directory, started and stopped by the tests."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.datadir = base / "data"
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._as_root = ["--user=root"] if os.geteuid() == 0 else []

    # --- lifecycle -------------------------------------------------------------------------

    def install(self) -> None:
        subprocess.run(
            [
                INSTALL_DB,
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *self._as_root,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, timeout: float = 60) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        log = open(self.base / "mariadbd.out", "ab")  # noqa: SIM115 - the server's stdout
        self.proc = subprocess.Popen(
            [
                MARIADBD,
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.base / 'mysqld.sock'}",
                f"--pid-file={self.base / 'mysqld.pid'}",
                f"--log-error={self.base / 'error.log'}",
                "--innodb-buffer-pool-size=128M",
                "--max-connections=200",
                *self._as_root,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.proc.poll() is not None:
                raise RuntimeError(f"mariadbd exited: {self.error_log()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"mariadbd did not answer in {timeout}s")
            time.sleep(0.1)

    def shutdown(self, timeout: float = 60) -> None:
        """``mariadb-admin shutdown`` and wait until the process is gone."""
        if self.proc is None or self.proc.poll() is not None:
            return
        subprocess.run(
            [ADMIN, "-uroot", "--protocol=tcp", "-h127.0.0.1", f"-P{self.port}", "shutdown"],
            capture_output=True,
            timeout=timeout,
        )
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def ensure_running(self) -> None:
        """Start the server again if a scenario left it stopped (called from ``finally``)."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()

    def answers(self) -> bool:
        try:
            with contextlib.closing(socket.create_connection(("127.0.0.1", self.port), 0.5)):
                pass
        except OSError:
            return False
        result = subprocess.run(
            [ADMIN, "-uroot", "--protocol=tcp", "-h127.0.0.1", f"-P{self.port}", "ping"],
            capture_output=True,
        )
        return result.returncode == 0

    def error_log(self) -> str:
        path = self.base / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- databases and globals -------------------------------------------------------------

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}"

    def admin_engine(self) -> sa.Engine:
        return sa.create_engine(self.url(""), poolclass=sa.pool.NullPool)

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A fresh database on this server (its URL), dropped afterwards."""
        name = f"terp_fault_{uuid.uuid4().hex[:10]}"
        eng = self.admin_engine()
        try:
            with eng.begin() as conn:
                conn.execute(
                    sa.text(
                        f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    )
                )
            yield self.url(name)
        finally:
            self.ensure_running()
            with eng.begin() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
            eng.dispose()

    @contextlib.contextmanager
    def global_setting(self, name: str, value: object) -> Iterator[object]:
        """``SET GLOBAL name = value`` for the block; the old value is always put back."""
        eng = self.admin_engine()
        with eng.connect() as conn:
            old = conn.execute(sa.text(f"SELECT @@global.{name}")).scalar()
            conn.execute(sa.text(f"SET GLOBAL {name} = :v"), {"v": value})
        try:
            yield old
        finally:
            self.ensure_running()
            with eng.connect() as conn:
                conn.execute(sa.text(f"SET GLOBAL {name} = :v"), {"v": old})
                now = conn.execute(sa.text(f"SELECT @@global.{name}")).scalar()
            eng.dispose()
            assert str(now) == str(old), f"could not restore {name} to {old} (is {now})"

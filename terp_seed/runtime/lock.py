"""The seed lock: one seed run per database at a time.

MySQL/MariaDB: ``GET_LOCK`` on a dedicated connection that is really closed afterwards. The
lock belongs to that session, so a killed process frees it and no stale lock can exist.
SQLite: an exclusive ``flock`` on ``<database file>.lock``, freed by the OS when the process
dies; the holder writes who it is into the file so that a waiter can name it.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from terp_seed.db.dialects import dialect_of
from terp_seed.db.engine import connect
from terp_seed.db.url import database_name
from terp_seed.errors import ConnectError, LockTimeout, SeedStepFailed

_MAX_NAME = 64


@dataclass(frozen=True)
class LockHolder:
    """Who holds the lock, as far as the database can tell."""

    kind: str  # "connection" (MySQL session id) or "pid" (SQLite lock file)
    ident: int
    user: str
    host: str
    seconds: float

    def describe(self) -> str:
        held = f"held for {self.seconds:.0f}s" if self.seconds >= 0 else "held for an unknown time"
        return f"{self.kind} {self.ident} ({self.user}@{self.host}), {held}"


@dataclass(frozen=True)
class HeldLock:
    """The seed lock as this run holds it: its name and, on MySQL, the session holding it."""

    name: str
    session: int | None = None

    def lost(self, conn: sa.Connection) -> str | None:
        """``None`` while the lock is still ours; else why not (for a message). The lock's own
        connection can end while the run goes on (``KILL``, a network cut, ``wait_timeout``):
        another run may then hold the lock."""
        if self.session is None:  # SQLite: a file lock cannot be lost while the file is open
            return None
        holder = conn.execute(sa.text("SELECT IS_USED_LOCK(:n)"), {"n": self.name}).scalar()
        if holder == self.session:
            return None
        now = f"connection {holder} holds it now" if holder is not None else "it is free"
        return (
            f"lost the seed lock {self.name!r}: its session {self.session} ended while the "
            f"run went on ({now})"
        )

    def check(self, conn: sa.Connection) -> None:
        """Stop unless the lock is still ours; call inside a step's transaction, before it
        commits, so that two runs never write at once."""
        reason = self.lost(conn)
        if reason is not None:
            raise SeedStepFailed(
                f"{reason}; this step was rolled back so that two runs never write at once. Re-run"
            )


def lock_name(engine: Engine) -> str:
    """The lock's name, derived from the database name.

    MySQL caps lock names at 64 characters; a longer name keeps a hash of the whole database
    name, so two long database names sharing a prefix never share a lock.
    """
    name = f"terp_seed:{database_name(engine.url)}"
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:12]
    return f"{name[: _MAX_NAME - 13]}~{digest}"


@contextlib.contextmanager
def seed_lock(engine: Engine, timeout: float) -> Iterator[HeldLock]:
    """Hold the seed lock for the block; raise :class:`LockTimeout` naming the holder."""
    if dialect_of(engine).server_lock:
        with _mysql_lock(engine, timeout) as held:
            yield held
    else:
        with _file_lock(engine, timeout) as name:
            yield HeldLock(name)


def current_holder(engine: Engine) -> LockHolder | None:
    """Who holds the lock now, or ``None`` when it is free."""
    if dialect_of(engine).server_lock:
        with connect(engine) as conn:
            return _mysql_holder(conn, lock_name(engine))
    path = _lock_path(engine)
    if path is None or not os.path.exists(path):
        return None
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _file_holder(path)
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


@contextlib.contextmanager
def _mysql_lock(engine: Engine, timeout: float) -> Iterator[HeldLock]:
    name = lock_name(engine)
    # MariaDB answers NULL at once to a negative timeout instead of waiting: never send one.
    wait = max(float(timeout), 0.0)
    # Its own connection (terp-seed never pools), so close() really ends the session.
    conn = connect(engine)
    try:
        got, session = conn.execute(
            sa.text("SELECT GET_LOCK(:n, :t), CONNECTION_ID()"), {"n": name, "t": wait}
        ).one()
        conn.commit()
        if got != 1:  # 0: timed out; NULL: interrupted (KILL QUERY) or refused
            holder = _mysql_holder(conn, name)
            who = holder.describe() if holder else "a session that has since ended"
            raise LockTimeout(_timeout_message(name, who, wait), holder=_as_dict(holder))
        try:
            yield HeldLock(name, int(session))
        finally:
            with contextlib.suppress(sa.exc.DBAPIError):
                conn.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": name})
    finally:
        conn.close()


def _timeout_message(name: str, who: str, waited: float) -> str:
    return (
        f"seed lock {name!r} is held by {who}; waited {waited:g}s. Wait for that run to "
        "finish, raise -x lock_timeout, or see `terp-seed lock`"
    )


def _as_dict(holder: LockHolder | None) -> dict[str, object] | None:
    return dict(holder.__dict__) if holder else None


def _mysql_holder(conn: sa.Connection, name: str) -> LockHolder | None:
    cid = conn.execute(sa.text("SELECT IS_USED_LOCK(:n)"), {"n": name}).scalar()
    if cid is None:
        return None
    row = conn.execute(
        sa.text("SELECT USER, HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = :id"),
        {"id": cid},
    ).first()
    if row is None:  # another user's session, and we lack the PROCESS privilege to see it
        return LockHolder("connection", int(cid), "?", "?", -1.0)
    # The holder's lock connection runs nothing after GET_LOCK, so TIME is how long it held it.
    return LockHolder("connection", int(cid), str(row[0]), str(row[1]), float(row[2] or 0))


def _lock_path(engine: Engine) -> str | None:
    db = engine.url.database
    if not db or db == ":memory:":
        return None
    return os.path.abspath(db) + ".lock"


@contextlib.contextmanager
def _file_lock(engine: Engine, timeout: float) -> Iterator[str]:
    path = _lock_path(engine)
    if path is None:  # an in-memory database belongs to this process alone
        yield "memory"
        return
    try:
        handle = open(path, "a+")  # noqa: SIM115 - held open for the whole block
    except OSError as exc:
        raise ConnectError(
            f"cannot open the seed lock file {path!r}: {exc.strerror}; check that the SQLite "
            "database's directory exists and is writable"
        ) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _file_holder(path)
                    who = holder.describe() if holder else "another process"
                    message = _timeout_message(path, who, max(timeout, 0.0))
                    raise LockTimeout(message, holder=_as_dict(holder)) from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        info = {
            "pid": os.getpid(),
            "user": getpass.getuser(),
            "host": socket.gethostname(),
            "since": time.time(),
        }
        handle.write(json.dumps(info))
        handle.flush()
        try:
            yield path
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _file_holder(path: str) -> LockHolder | None:
    try:
        with open(path) as handle:
            info = json.loads(handle.read() or "{}")
        return LockHolder(
            "pid",
            int(info["pid"]),
            str(info["user"]),
            str(info["host"]),
            max(time.time() - float(info["since"]), 0.0),
        )
    except (OSError, ValueError, KeyError, TypeError):  # being written, or not ours
        return None

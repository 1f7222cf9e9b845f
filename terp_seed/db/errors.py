"""What a database error means: its error number, whether the connection was lost, and one
line naming the table and the cause."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from terp_seed.db.url import redact_text

# MySQL/MariaDB error numbers that terp-seed explains (server errors, then client errors).
ER_DUP_ENTRY = 1062


ER_NET_PACKET_TOO_LARGE = 1153


ER_LOCK_WAIT_TIMEOUT = 1205


ER_LOCK_DEADLOCK = 1213


ER_CONNECTION_KILLED = 1927


CR_SERVER_GONE_ERROR = 2006


CR_SERVER_LOST = 2013


_CONNECTION_LOST = frozenset({ER_CONNECTION_KILLED, CR_SERVER_GONE_ERROR, CR_SERVER_LOST})


# PyMySQL splits an executemany INSERT into statements of about this many bytes.
_PYMYSQL_MAX_STMT = 1_024_000


_TABLE_IN_SQL = re.compile(
    r"^\s*(?:INSERT(?:\s+IGNORE)?\s+INTO|DELETE\s+FROM|UPDATE|REPLACE\s+INTO)\s+`?(\w+)`?", re.I
)


def db_error_code(exc: BaseException) -> int | None:
    """The server's (or client library's) error number behind ``exc``, if it has one."""
    orig = getattr(exc, "orig", None) or exc
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def original_db_error(exc: sa.exc.DBAPIError) -> sa.exc.DBAPIError:
    """The statement's own error when ``exc`` came from the rollback after it.

    When a statement's error ends the session (``max_allowed_packet``: the server answers and
    hangs up), the rollback that follows fails too, with "server has gone away" and no
    statement, and that is what propagates; the cause is the error before it.
    """
    if exc.statement is not None:
        return exc
    before: BaseException | None = exc.__context__
    for _ in range(10):  # the chain also holds the driver's and the socket's errors
        if before is None:
            break
        if isinstance(before, sa.exc.DBAPIError) and before.statement is not None:
            return before
        before = before.__context__
    return exc


def operational_cause(exc: Exception, engine: Engine | None = None) -> Exception:
    """The database error behind ``exc``, as SQLAlchemy's :class:`~sqlalchemy.exc.DBAPIError`.

    - A driver error raised outside SQLAlchemy (the loader's ``LOAD DATA`` runs on the raw
      PyMySQL connection) is wrapped, so it is explained, retried or reported like any other
      (``engine`` names the driver).
    - When a step wrapped a database error in its own error but the cause was the session,
      not the step (a lost connection, a deadlock, a lock wait timeout), that cause is
      returned: a validation query cut off by a server restart is then reported (and retried,
      for a deadlock) as what it is, not as a problem with the schema.
    """
    dbapi = getattr(engine.dialect, "dbapi", None) if engine is not None else None
    base = getattr(dbapi, "Error", None)
    if isinstance(base, type) and isinstance(exc, base):
        wrapped = sa.exc.DBAPIError.instance(None, None, exc, base)
        wrapped.__context__ = exc.__context__
        return wrapped
    cause = exc.__cause__
    if isinstance(cause, sa.exc.DBAPIError) and not isinstance(exc, sa.exc.DBAPIError):
        code = db_error_code(cause)
        if is_connection_lost(cause) or code in (ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT):
            return cause
    return exc


def is_connection_lost(exc: BaseException) -> bool:
    """True when the error means the session is gone (server restart, network cut, KILL)."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return db_error_code(exc) in _CONNECTION_LOST


def describe_db_error(exc: sa.exc.DBAPIError, engine: Engine | None = None) -> str:
    """One line: what the database said, in which table, and what it means for the seed.

    ``engine`` (optional) is asked for ``max_allowed_packet`` when the connection was lost in
    the middle of a large statement, to tell that apart from a network failure.
    """
    exc = original_db_error(exc)
    code = db_error_code(exc)
    said = redact_text(str(exc.orig).splitlines()[0]) if exc.orig else type(exc).__name__
    table = _statement_table(exc.statement)
    where = f" on {table}" if table else ""
    if code == ER_LOCK_DEADLOCK:
        return f"deadlock with another transaction{where} {said}"
    if code == ER_LOCK_WAIT_TIMEOUT:
        return (
            f"gave up waiting for a row lock{where} that another transaction held for longer "
            f"than innodb_lock_wait_timeout {said}; see information_schema.INNODB_LOCK_WAITS "
            "for the blocking session"
        )
    if code == ER_DUP_ENTRY:
        return (
            f"duplicate key{where} {said}: a row with that key already exists (another "
            "session may have written it while the seed ran)"
        )
    if code == ER_NET_PACKET_TOO_LARGE or (code in _CONNECTION_LOST and engine is not None):
        size = _statement_bytes(exc.statement, exc.params)
        limit = _max_allowed_packet(engine) if engine is not None else None
        if code == ER_NET_PACKET_TOO_LARGE or (limit is not None and size >= limit):
            shown = f"{limit:,} bytes" if limit is not None else "its limit"
            return (
                f"a statement of about {size:,} bytes{where} is larger than the server's "
                f"max_allowed_packet ({shown}) and the server closed the connection {said}; "
                "raise max_allowed_packet on the server"
            )
    if code in _CONNECTION_LOST or exc.connection_invalidated:
        return (
            f"lost the connection to the database server{where} {said}: the server restarted, "
            "the network failed or the session was killed"
        )
    return said


def _statement_table(statement: str | None) -> str | None:
    match = _TABLE_IN_SQL.match(statement or "")
    return match.group(1) if match else None


def _statement_bytes(statement: str | None, params: Any) -> int:
    """About how many bytes the statement took on the wire (values rendered as text)."""
    size = len((statement or "").encode())
    rows = params if isinstance(params, (list, tuple)) else [params]
    total = 0
    for row in rows:
        values = row.values() if isinstance(row, Mapping) else row
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            values = [values]
        total += sum(len(str(v)) + 3 for v in values)
    if isinstance(params, list) and len(params) > 1:  # executemany: sent in ~1 MB statements
        total = min(total, _PYMYSQL_MAX_STMT)
    return size + total


def _max_allowed_packet(engine: Engine) -> int | None:
    try:
        with engine.connect() as conn:
            value = conn.execute(sa.text("SELECT @@global.max_allowed_packet")).scalar()
    except sa.exc.DBAPIError:  # the server is unreachable: it cannot have been the packet
        return None
    return int(value) if value is not None else None

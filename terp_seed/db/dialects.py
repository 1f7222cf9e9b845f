"""What terp-seed does differently on each database, in one small class per dialect.

As Alembic's ``ddl/impl.py`` does: modules ask :func:`dialect_of` for the implementation and
read a capability or call a method, instead of comparing ``dialect.name`` themselves.
MySQL and MariaDB share one implementation; SQLite is the embedded default.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from terp_seed.db import pymysql_conn

NULL_TEXT = "\\N"  # how a NULL reads in a checksum's text (and in LOAD DATA's)
SEPARATOR = "\x1f"  # between a row's values in a checksum's text

Bind = URL | Connection | Engine


class Dialect:
    """The portable behaviour; each database overrides what it does differently."""

    names: ClassVar[tuple[str, ...]] = ()
    #: ``GET_LOCK`` on the server (else an exclusive lock file beside the database file)
    server_lock: ClassVar[bool] = False
    #: primary-key blocks reserved with ``AUTO_INCREMENT`` before a seed transaction
    reserves_keys: ClassVar[bool] = False
    #: ``LOAD DATA LOCAL INFILE`` for large chunks (else multi-row INSERT)
    bulk_load: ClassVar[bool] = False
    #: the server packs a range's checksums in one ``GROUP_CONCAT`` (else one row a key)
    packs_checksums: ClassVar[bool] = False
    #: masking stages a chunk in a TEMPORARY table and updates by a join
    stages_masked_chunks: ClassVar[bool] = False
    #: the rows the loader buffers per table before it writes them
    chunk_rows: ClassVar[int] = 2_000
    #: the database user every session is (None: ask the server, ``CURRENT_USER()``)
    fixed_user: ClassVar[str | None] = None

    def configure_url(self, url: URL, connect_args: dict[str, Any], lock_wait: int | None) -> URL:
        """The URL (and driver arguments, filled in place) an engine is made with.

        :param lock_wait: seconds a statement may wait for another session's lock, or None
            for the server's own values.
        """
        return url

    def configure_engine(self, engine: Engine) -> None:
        """Hooks on a new engine (per-connection settings, SQL functions)."""

    def checksum(self, columns: list[sa.Column[Any]]) -> sa.ColumnElement[bytes]:
        """SQL for a row's 16-byte checksum: MD5 of its values as text, NULL as ``\\N``,
        joined by 0x1F."""
        raise NotImplementedError

    def rename_table(self, conn: Connection, old: str, new: str, indexes: tuple[str, ...]) -> None:
        """Rename ``old`` to ``new``; ``indexes`` are its index names (global on SQLite)."""
        conn.exec_driver_sql(f"ALTER TABLE {old} RENAME TO {new}")

    def null_timestamps_stamped(self, conn: Connection) -> bool:
        """Whether a NULL sent for a TIMESTAMP NOT NULL column is stored as the current time
        without a warning."""
        return False

    def exists_to_in(self, conn: Connection) -> bool:
        """Whether the optimizer rewrites ``EXISTS`` subqueries into ``IN`` (MariaDB)."""
        return False

    def enforces_foreign_keys(self, conn: Connection) -> bool:
        """Whether the server refuses a row whose declared foreign key has no parent (so a
        chunk's reference rules need not run)."""
        return False

    def loads_local_files(self, conn: Connection) -> bool:
        """Whether the server accepts ``LOAD DATA LOCAL INFILE`` (its ``local_infile``)."""
        return self.bulk_load


class MySQLDialect(Dialect):
    """MySQL and MariaDB through PyMySQL."""

    names = ("mysql", "mariadb")
    server_lock = True
    reserves_keys = True
    bulk_load = True
    packs_checksums = True
    stages_masked_chunks = True
    chunk_rows = 20_000

    def configure_url(self, url: URL, connect_args: dict[str, Any], lock_wait: int | None) -> URL:
        query = dict(url.query)
        query.setdefault("charset", "utf8mb4")
        connect_args.update({"connect_timeout": 10})  # local files: pymysql_conn
        if lock_wait is not None:  # row locks (InnoDB) and table metadata locks alike
            connect_args["init_command"] = (
                f"SET SESSION innodb_lock_wait_timeout = {lock_wait}, "
                f"lock_wait_timeout = {lock_wait}"
            )
        return url.set(query=query)

    def configure_engine(self, engine: Engine) -> None:
        if engine.dialect.driver == "pymysql":
            sa.event.listen(engine, "do_connect", pymysql_conn.connect)

    def checksum(self, columns: list[sa.Column[Any]]) -> sa.ColumnElement[bytes]:
        parts = [sa.func.coalesce(sa.cast(c, sa.String), sa.literal(NULL_TEXT)) for c in columns]
        return sa.func.unhex(
            sa.func.md5(sa.func.concat_ws(sa.literal(SEPARATOR), *parts)), type_=sa.LargeBinary
        )

    def rename_table(self, conn: Connection, old: str, new: str, indexes: tuple[str, ...]) -> None:
        conn.exec_driver_sql(f"RENAME TABLE {old} TO {new}")

    def null_timestamps_stamped(self, conn: Connection) -> bool:
        # explicit_defaults_for_timestamp off: MySQL 5.7, MariaDB before 10.10 by default
        value = conn.exec_driver_sql("SELECT @@SESSION.explicit_defaults_for_timestamp").scalar()
        return str(value).upper() in ("0", "OFF")

    def exists_to_in(self, conn: Connection) -> bool:
        switch = conn.exec_driver_sql("SELECT @@SESSION.optimizer_switch").scalar_one()
        return "exists_to_in=on" in str(switch)

    def enforces_foreign_keys(self, conn: Connection) -> bool:
        return bool(int(conn.exec_driver_sql("SELECT @@SESSION.foreign_key_checks").scalar_one()))

    def loads_local_files(self, conn: Connection) -> bool:
        # OFF is MySQL 8.0's default and common on managed services
        value = conn.exec_driver_sql("SELECT @@GLOBAL.local_infile").scalar()
        return str(value).upper() in ("1", "ON")


class SQLiteDialect(Dialect):
    """The embedded default: one file, one writer."""

    names = ("sqlite",)
    fixed_user = "sqlite"  # no accounts: the file's permissions decide

    def configure_engine(self, engine: Engine) -> None:
        sa.event.listen(engine, "connect", _sqlite_on_connect)

    def checksum(self, columns: list[sa.Column[Any]]) -> sa.ColumnElement[bytes]:
        return sa.func.terp_seed_md5(*columns, type_=sa.LargeBinary)

    def rename_table(self, conn: Connection, old: str, new: str, indexes: tuple[str, ...]) -> None:
        for index in indexes:  # index names are global on SQLite: free them for the new table
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
        super().rename_table(conn, old, new, indexes)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA foreign_keys = ON")
    dbapi_conn.execute("PRAGMA busy_timeout = 30000")
    dbapi_conn.create_function("terp_seed_md5", -1, _md5_of, deterministic=True)


def _md5_of(*values: object) -> bytes:
    """SQLite's stand-in for the server-side checksum (:meth:`MySQLDialect.checksum`)."""
    parts = [NULL_TEXT if v is None else str(v) for v in values]
    return hashlib.md5(SEPARATOR.join(parts).encode()).digest()


_DIALECTS: dict[str, Dialect] = {
    name: impl for impl in (MySQLDialect(), SQLiteDialect()) for name in impl.names
}
_PORTABLE = Dialect()


def dialect_of(bind: Bind) -> Dialect:
    """The implementation for a URL, engine or connection (the portable one when unknown)."""
    name = bind.get_backend_name() if isinstance(bind, URL) else bind.dialect.name
    return _DIALECTS.get(name, _PORTABLE)


def is_mysql(bind: Bind) -> bool:
    """True for MySQL and MariaDB."""
    return isinstance(dialect_of(bind), MySQLDialect)

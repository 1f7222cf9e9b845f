"""What terp-seed does differently on each database, in one small class per dialect.

As Alembic's ``ddl/impl.py`` does: modules ask :func:`dialect_of` for the implementation and
read a capability or call a method, instead of comparing ``dialect.name`` themselves.
MySQL and MariaDB share one implementation; SQLite is the embedded default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from terp_seed.db import pymysql_conn

NULL_TEXT = "\\N"  # how a NULL reads in a checksum's text (and in LOAD DATA's)
SEPARATOR = "\x1f"  # between a row's values in a checksum's text
# inside a value's text: a backslash, then the separator (so no text reads as NULL or as two)
TEXT_ESCAPES = (("\\", "\\\\"), (SEPARATOR, "\\s"))
# types whose text never holds a backslash or the separator: their values are not escaped
_PLAIN_TYPES = (sa.Integer, sa.Numeric, sa.Boolean, sa.Date, sa.DateTime, sa.Time)

Bind = URL | Connection | Engine


@dataclass(frozen=True)
class LiveForeignKey:
    """A foreign key as the live database declares it (one column of it)."""

    child_table: str
    child_column: str
    parent_table: str
    parent_column: str
    on_delete: str  # CASCADE, RESTRICT, SET NULL, NO ACTION, ...


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

    def checksum(
        self, columns: Sequence[sa.ColumnClause[Any]], *, legacy: bool = False
    ) -> sa.ColumnElement[bytes]:
        """SQL for a row's 16-byte checksum: MD5 of its values as text, NULL as ``\\N``,
        backslash and 0x1F inside a value escaped (:data:`TEXT_ESCAPES`), joined by 0x1F
        (:func:`row_digest`). ``legacy``: layout 2's form, values not escaped."""
        raise NotImplementedError

    def foreign_keys(self, conn: Connection) -> list[LiveForeignKey]:
        """Every foreign key of the live database (tables the models do not know included)."""
        found: list[LiveForeignKey] = []
        inspector = sa.inspect(conn)
        for table in inspector.get_table_names():
            for fk in inspector.get_foreign_keys(table):
                on_delete = str(fk.get("options", {}).get("ondelete") or "NO ACTION").upper()
                pairs = zip(fk["constrained_columns"], fk["referred_columns"], strict=True)
                found.extend(
                    LiveForeignKey(table, column, fk["referred_table"], parent, on_delete)
                    for column, parent in pairs
                )
        return found

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

    def checksum(
        self, columns: Sequence[sa.ColumnClause[Any]], *, legacy: bool = False
    ) -> sa.ColumnElement[bytes]:
        parts = []
        for column in columns:
            text: sa.ColumnElement[Any] = sa.cast(column, sa.String)
            if not legacy and escapes_text(column):
                for char, escaped in TEXT_ESCAPES:
                    text = sa.func.replace(text, sa.literal(char), sa.literal(escaped))
            parts.append(sa.func.coalesce(text, sa.literal(NULL_TEXT)))
        return sa.func.unhex(
            sa.func.md5(sa.func.concat_ws(sa.literal(SEPARATOR), *parts)), type_=sa.LargeBinary
        )

    def foreign_keys(self, conn: Connection) -> list[LiveForeignKey]:
        rows = conn.exec_driver_sql(
            "SELECT k.TABLE_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, "
            "k.REFERENCED_COLUMN_NAME, r.DELETE_RULE "
            "FROM information_schema.KEY_COLUMN_USAGE k "
            "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
            "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME "
            "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
            "WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_SCHEMA = DATABASE() "
            "ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
        )
        return [LiveForeignKey(*(str(v) for v in row)) for row in rows]

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

    def checksum(
        self, columns: Sequence[sa.ColumnClause[Any]], *, legacy: bool = False
    ) -> sa.ColumnElement[bytes]:
        if legacy:
            return sa.func.terp_seed_md5_v2(*columns, type_=sa.LargeBinary)
        return sa.func.terp_seed_md5(*columns, type_=sa.LargeBinary)

    def foreign_keys(self, conn: Connection) -> list[LiveForeignKey]:
        tables = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).scalars()
        found = []
        for table in list(tables):
            # id, seq, table, from, to, on_update, on_delete, match
            quoted = table.replace("'", "''")
            rows = conn.exec_driver_sql(f"PRAGMA foreign_key_list('{quoted}')")
            for row in rows:
                parent, column, target, on_delete = row[2], row[3], row[4], row[6]
                found.append(LiveForeignKey(table, column, parent, target or "id", on_delete))
        return found

    def rename_table(self, conn: Connection, old: str, new: str, indexes: tuple[str, ...]) -> None:
        for index in indexes:  # index names are global on SQLite: free them for the new table
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
        super().rename_table(conn, old, new, indexes)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA foreign_keys = ON")
    dbapi_conn.execute("PRAGMA busy_timeout = 30000")
    dbapi_conn.create_function("terp_seed_md5", -1, _md5_of, deterministic=True)
    dbapi_conn.create_function("terp_seed_md5_v2", -1, _legacy_md5_of, deterministic=True)


def escapes_text(column: sa.ColumnClause[Any]) -> bool:
    """Whether the checksum escapes the column's text: unless its type cannot hold a backslash
    or the separator (numbers, booleans, dates and times)."""
    return not isinstance(column.type, _PLAIN_TYPES)


def row_digest(texts: Sequence[str | None]) -> bytes:
    """A row's checksum from its values' texts (None for NULL), as the database computes it."""
    parts = []
    for text in texts:
        if text is None:
            parts.append(NULL_TEXT)
            continue
        for char, escaped in TEXT_ESCAPES:
            if char in text:
                text = text.replace(char, escaped)
        parts.append(text)
    return hashlib.md5(SEPARATOR.join(parts).encode()).digest()


def _md5_of(*values: object) -> bytes:
    """SQLite's stand-in for the server-side checksum (:meth:`MySQLDialect.checksum`)."""
    return row_digest([None if v is None else str(v) for v in values])


def _legacy_md5_of(*values: object) -> bytes:
    """Layout 2's checksum on SQLite: the values' texts not escaped."""
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

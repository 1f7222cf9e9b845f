"""terp-seed's own tables carry their layout version: written on a fresh database and after a
conversion, a second ``ensure`` changes nothing, and a layout newer than the code is refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.errors import TerpSeedError
from terp_seed.store.setup import (
    CURRENT_LAYOUT,
    ensure_own_tables,
    layout_version,
    recorded_layout,
    require_own_tables,
)
from terp_seed.store.tables import LAYOUT_TABLE, OLD_LEDGER_TABLE, OWN_TABLES, layout
from terp_seed.testing.plugin import ledger_entries

WRITES = ("CREATE", "ALTER", "RENAME", "DROP", "INSERT", "UPDATE", "DELETE")


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[str]]:
    """The statements ``engine`` runs meanwhile."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.strip())

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def _writes(seen: list[str]) -> list[str]:
    return [s for s in seen if s.upper().startswith(WRITES)]


def _layout_rows(conn: sa.Connection) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(sa.select(layout.c.id, layout.c.version))]


def test_a_fresh_database_records_the_current_layout(any_url: str, engine_for: Any) -> None:
    engine = engine_for(any_url)
    with engine.connect() as conn:
        assert layout_version(conn) is None
        ensure_own_tables(conn)
        assert _layout_rows(conn) == [(1, CURRENT_LAYOUT)]
        require_own_tables(conn)
    assert LAYOUT_TABLE in OWN_TABLES  # the drift gate leaves it alone


def test_a_second_ensure_changes_nothing(any_url: str, engine_for: Any) -> None:
    engine = engine_for(any_url)
    with engine.connect() as conn:
        ensure_own_tables(conn)
        with statements(engine) as seen:
            ensure_own_tables(conn)
        assert _writes(seen) == []
        assert _layout_rows(conn) == [(1, CURRENT_LAYOUT)]


def test_a_converted_ledger_records_the_current_layout(any_url: str, engine_for: Any) -> None:
    engine = engine_for(any_url)
    with engine.connect() as conn:
        auto = "AUTO_INCREMENT" if conn.dialect.name != "sqlite" else ""
        conn.exec_driver_sql(
            f"CREATE TABLE terp_seed_ledger (id INTEGER PRIMARY KEY {auto}, "
            "run_id VARCHAR(32) NOT NULL, revision VARCHAR(64), table_name VARCHAR(64) NOT NULL, "
            "row_pk BIGINT NOT NULL, checksum VARCHAR(32))"
        )
        conn.exec_driver_sql(
            "INSERT INTO terp_seed_ledger (run_id, revision, table_name, row_pk) "
            "VALUES ('a', NULL, 'clients', 1), ('a', NULL, 'clients', 2)"
        )
        conn.commit()
        assert layout_version(conn) == 1 and recorded_layout(conn) is None  # read only
        ensure_own_tables(conn)
        assert _layout_rows(conn) == [(1, CURRENT_LAYOUT)]
        assert OLD_LEDGER_TABLE not in sa.inspect(conn).get_table_names()
        assert [e[:4] for e in ledger_entries(conn)] == [
            ("a", None, "clients", 1),
            ("a", None, "clients", 2),
        ]


def test_a_newer_layout_is_refused_and_nothing_written(any_url: str, engine_for: Any) -> None:
    engine = engine_for(any_url)
    with engine.connect() as conn:
        ensure_own_tables(conn)
        conn.execute(layout.update().values(version=CURRENT_LAYOUT + 1))
        conn.commit()
        with statements(engine) as seen:
            with pytest.raises(TerpSeedError, match="newer than this terp-seed knows") as caught:
                ensure_own_tables(conn)
            assert len(str(caught.value).splitlines()) == 1
            with pytest.raises(TerpSeedError, match="newer than this terp-seed knows"):
                require_own_tables(conn)
        assert _writes(seen) == []
        assert _layout_rows(conn) == [(1, CURRENT_LAYOUT + 1)]

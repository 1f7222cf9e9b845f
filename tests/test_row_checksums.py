"""A row's checksum tells every edit apart: a value holding the separator 0x1F from two values,
NULL from the text ``\\N``; the loader's checksums from the text it sends agree with the
server's for such values; and a ledger recorded in layout 2's form is upgraded without an
unchanged row looking changed or a changed one unchanged."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.factories.base import Gen, IdAllocator, Parents, with_timestamps
from terp_seed.factories.parties import clients
from terp_seed.load.loader import Loader
from terp_seed.schema import metadata
from terp_seed.seeding.rollback import plan_rollback
from terp_seed.sizes import parse_size
from terp_seed.store import ledger
from terp_seed.store.checksums import checksum_expr
from terp_seed.store.ledger import Scope
from terp_seed.store.setup import CURRENT_LAYOUT, ensure_own_tables, recorded_layout
from terp_seed.store.tables import layout
from terp_seed.store.tables import ledger as ledger_table
from terp_seed.testing.plugin import schema_at_head

CLIENTS = metadata.tables["clients"]


def _clients(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        conn.execute(CLIENTS.insert().values({"teri_code": f"T{row['id']}", "name": "Co", **row}))


def _edit(conn: sa.Connection, key: int, **values: object) -> None:
    conn.execute(CLIENTS.update().where(CLIENTS.c.id == key).values(values))


def test_separator_and_null_text_edits_are_changes(any_url: str, engine_for: Any) -> None:
    schema_at_head(any_url)
    with engine_for(any_url).connect() as conn:
        ensure_own_tables(conn)
        # email, phone and address are adjacent: "x", "y<US>z", "w" and "x<US>y", "z", "w"
        # read the same when values are joined by 0x1F unescaped
        _clients(
            conn,
            [
                {"id": 1, "email": "x", "phone": "y\x1fz", "address": "w"},
                {"id": 2, "address": None},
                {"id": 3, "address": "plain"},
            ],
        )
        assert ledger.record_rows(conn, "r", None, "clients", [1, 2, 3]) == 3
        _edit(conn, 1, email="x\x1fy", phone="z")
        _edit(conn, 2, address="\\N")  # the text backslash-N, not NULL
        conn.commit()
        assert plan_rollback(conn, Scope(run_id="r")).modified == {"clients": [1, 2]}


@pytest.mark.mysql
def test_text_checksums_agree_for_values_with_the_separator(
    mysql_url: str, engine_for: Any
) -> None:
    schema_at_head(mysql_url)
    gen = Gen(seed=7, size=parse_size("3000"), ids=IdAllocator(None), parents=Parents(None))
    rows = [(t, with_timestamps(t, r, gen.calendar.now)) for t, r in clients(gen, 3000)]
    for _t, row in itertools.islice(rows, 0, 3000, 7):
        row["name"] = f"{row['name']}\x1fUnit"
    with engine_for(mysql_url).connect() as conn:
        ensure_own_tables(conn)
        loader = Loader(conn.execute, conn=conn, run_id="t", revision=None)
        with conn.begin():
            loader.load(iter(rows))
        assert loader.server_checksums == frozenset()  # the text's checksums held
        recorded = b"".join(
            bytes(s)
            for s in conn.execute(
                sa.select(ledger_table.c.checksums)
                .where(ledger_table.c.table_name == "clients")
                .order_by(ledger_table.c.first_pk)
            ).scalars()
        )
        server = b"".join(
            bytes(d)
            for d in conn.execute(
                sa.select(checksum_expr(conn, CLIENTS)).order_by(CLIENTS.c.id)
            ).scalars()
        )
        assert recorded == server
        assert plan_rollback(conn, Scope(run_id="t")).modified == {}


def test_a_layout_2_ledger_is_upgraded_without_changing_verdicts(
    any_url: str, engine_for: Any
) -> None:
    schema_at_head(any_url)
    with engine_for(any_url).connect() as conn:
        ensure_own_tables(conn)
        _clients(
            conn,
            [
                {"id": 1, "name": "Smith\\Co"},  # a backslash, unchanged since seeding
                {"id": 2, "name": "A\\B"},  # a backslash, then edited
                {"id": 3, "name": "Plain"},  # edited
                {"id": 4, "name": "Kept", "phone": "1\x1f2"},  # the separator, unchanged
            ],
        )
        # the ledger as terp-seed wrote it in layout 2: checksums of the unescaped texts
        legacy = b"".join(
            bytes(d)
            for d in conn.execute(
                sa.select(checksum_expr(conn, CLIENTS, legacy=True)).order_by(CLIENTS.c.id)
            ).scalars()
        )
        conn.execute(
            ledger_table.insert().values(
                run_id="r", revision=None, table_name="clients", first_pk=1, last_pk=4,
                checksums=legacy,
            )
        )  # fmt: skip
        conn.execute(layout.update().values(version=2))
        _edit(conn, 2, name="A\\C")
        _edit(conn, 3, name="Plainer")
        conn.commit()

        ensure_own_tables(conn)
        assert recorded_layout(conn) == CURRENT_LAYOUT == 3
        assert plan_rollback(conn, Scope(run_id="r")).modified == {"clients": [2, 3]}
        ensure_own_tables(conn)  # a second run changes nothing
        assert plan_rollback(conn, Scope(run_id="r")).modified == {"clients": [2, 3]}

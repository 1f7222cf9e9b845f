"""Row-local integrity rules run over each chunk right after it is written
(:mod:`terp_seed.validation.chunks`), and the step's check takes their findings: a reference
to a row a later chunk writes is no violation, a dangling one is, and a table with a chunk of
scattered keys is scanned after the step as before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.errors import ValidationFailed
from terp_seed.factories.base import Gen, IdAllocator, Parents, with_timestamps
from terp_seed.factories.parties import clients
from terp_seed.load.loader import Loader
from terp_seed.sizes import parse_size
from terp_seed.store.ledger import Scope
from terp_seed.store.setup import ensure_own_tables
from terp_seed.testing.plugin import schema_at_head
from terp_seed.validation.chunks import ChunkFindings, enforced_references
from terp_seed.validation.rules import RULES
from terp_seed.validation.runner import check_seeded

REFERRAL = next(r for r in RULES if r.name == "fk:clients.referred_by_client_id")


def _clients(count: int) -> list[tuple[str, dict[str, Any]]]:
    gen = Gen(seed=9, size=parse_size(str(count)), ids=IdAllocator(None), parents=Parents(None))
    now = gen.calendar.now
    return [(t, with_timestamps(t, r, now)) for t, r in clients(gen, count) if t == "clients"]


@contextmanager
def _loaded(
    engine: sa.Engine, rows: list[tuple[str, dict[str, Any]]]
) -> Iterator[tuple[sa.Connection, ChunkFindings]]:
    """``rows`` loaded in chunks of 500 with the chunk rules on, in a transaction rolled back
    after."""
    with engine.connect() as conn:
        ensure_own_tables(conn)
        chunks = ChunkFindings()
        with conn.begin() as trans:
            Loader(
                conn.execute,
                conn=conn,
                run_id="c",
                revision=None,
                chunk_rows=500,
                bulk_rows=100,
                verify=chunks,
            ).load(iter(rows))
            yield conn, chunks
            trans.rollback()


def test_a_reference_to_a_later_chunk_is_no_violation_a_dangling_one_is(
    any_url: str, engine_for: Any
) -> None:
    schema_at_head(any_url)
    rows = _clients(2000)
    for _t, row in rows:
        row["referred_by_client_id"] = None
    rows[10][1]["referred_by_client_id"] = rows[1900][1]["id"]  # written three chunks later
    rows[20][1]["referred_by_client_id"] = 99_999  # no such client
    with _loaded(engine_for(any_url), rows) as (conn, chunks):
        assert chunks.covers(REFERRAL)
        assert chunks.keys(conn, REFERRAL) == [rows[20][1]["id"]]
        with pytest.raises(ValidationFailed) as caught:
            check_seeded(conn, Scope(run_id="c"), chunks)
    message = str(caught.value)
    assert f"fk:clients.referred_by_client_id on clients {rows[20][1]['id']}" in message
    assert f"clients {rows[10][1]['id']}" not in message


def test_chunks_of_scattered_keys_are_scanned_after_the_step(any_url: str, engine_for: Any) -> None:
    schema_at_head(any_url)
    rows = _clients(300)
    for offset, (_t, row) in enumerate(rows):
        row["id"] = 1000 + 3 * offset  # not one range
        row["referred_by_client_id"] = None
    rows[5][1]["referred_by_client_id"] = 7  # no such client
    with _loaded(engine_for(any_url), rows) as (conn, chunks):
        assert not chunks.covers(REFERRAL)
        with pytest.raises(ValidationFailed, match=r"on clients 1015\b"):
            check_seeded(conn, Scope(run_id="c"), chunks)


def test_a_clean_load_passes_with_the_findings(any_url: str, engine_for: Any) -> None:
    schema_at_head(any_url)
    with _loaded(engine_for(any_url), _clients(1500)) as (conn, chunks):
        results = check_seeded(conn, Scope(run_id="c"), chunks)
        assert results and not [r for r in results if r.failed]


@pytest.mark.mysql
def test_references_the_database_enforces_are_not_looked_up_again(
    mysql_url: str, engine_for: Any
) -> None:
    """A FOREIGN KEY with foreign_key_checks on refuses a dangling row as it goes in; with the
    checks off, the chunk check looks the parents up itself."""
    schema_at_head(mysql_url)
    with engine_for(mysql_url).connect() as conn:
        enforced = enforced_references(conn, "payments")
        assert "fk:payments.invoiceId" in enforced
        assert "fk:clients.referred_by_client_id" not in enforced_references(conn, "clients")
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        assert enforced_references(conn, "payments") == set()
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 1")

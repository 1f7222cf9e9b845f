"""Primary-key reservation (terp_seed/runtime/key_blocks.py): the seed's keys and the application's
AUTO_INCREMENT keys never meet. Concurrent inserts during a whole seed are in
tests/faults/test_app_load.py; these are the mechanism's own cases, on a real MariaDB."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from terp_seed.errors import TerpSeedError
from terp_seed.factories.base import IdAllocator
from terp_seed.runtime.key_blocks import KeyBlock, auto_increment, release, reserve
from terp_seed.runtime.lock import HeldLock, seed_lock
from terp_seed.testing.plugin import run_alembic, schema_at_head, table_counts

SEED = ("-n", "seed", "-x", "size=small")
EngineFor = Callable[[str], sa.Engine]


def _app_client(conn: sa.Connection, n: int) -> int:
    conn.execute(
        sa.text("INSERT INTO clients (teri_code, name) VALUES (:c, :n)"),
        {"c": f"APP{n:05d}", "n": f"App client {n}"},
    )
    return int(conn.execute(sa.text("SELECT LAST_INSERT_ID()")).scalar_one())


def test_block_is_after_every_key_and_the_application_continues_past_it(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        taken = [_app_client(conn, n) for n in range(3)]
    with seed_lock(engine, 5) as held:
        with engine.connect() as conn:
            blocks = reserve(conn, {"clients": 50})
            conn.rollback()
        block = blocks["clients"]
        assert block.first == max(taken) + 1 and block.size >= 50
        with engine.begin() as conn:
            assert auto_increment(conn, "clients") == block.end
            during = _app_client(conn, 3)  # the application, while the seed would be running
        assert during == block.end
        release(engine, held, {None: blocks})
    with engine.begin() as conn:
        assert auto_increment(conn, "clients") == during + 1  # the application's, untouched


def test_unused_keys_are_given_back_only_while_the_lock_is_held(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        first = _app_client(conn, 0)
    with seed_lock(engine, 5) as held:
        with engine.connect() as conn:
            blocks = reserve(conn, {"clients": 50})
            conn.rollback()
        release(engine, HeldLock(held.name, (held.session or 0) + 1000), {None: blocks})
        with engine.connect() as conn:  # not ours: another run may hold the lock now
            assert auto_increment(conn, "clients") == blocks["clients"].end
        release(engine, held, {None: blocks})
    with engine.begin() as conn:
        assert auto_increment(conn, "clients") == first + 1


def test_a_block_never_starts_below_the_counter(mysql_url: str, engine_for: EngineFor) -> None:
    """Keys the database handed out once (here to rows the application deleted) are not
    handed out again, by the seed or, after it, by the application."""
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_alembic(mysql_url, *SEED, "upgrade", "0002_staff_users").code == 0
    with engine.begin() as conn:
        gone = [_app_client(conn, n) for n in range(5)]
        conn.execute(sa.text("DELETE FROM clients"))
    result = run_alembic(mysql_url, *SEED, "upgrade", "0003_clients_suppliers")
    assert result.code == 0, result.err[-2000:]
    with engine.begin() as conn:
        low, high = conn.execute(sa.text("SELECT MIN(id), MAX(id) FROM clients")).one()
        assert low == max(gone) + 1
        assert auto_increment(conn, "clients") == high + 1


def test_allocator_stays_inside_its_block() -> None:
    ids = IdAllocator(None, {"clients": KeyBlock(5, 7)})
    assert [ids.next_id("clients"), ids.next_id("clients")] == [5, 6]
    with pytest.raises(TerpSeedError, match="more than the 2 primary keys it reserved on clients"):
        ids.next_id("clients")
    assert IdAllocator(None, {}).next_id("users") == 1  # no block: after MAX(id) (offline: 1)


def test_seed_rows_are_in_their_block_and_the_counter_follows_them(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        app = _app_client(conn, 0)
    result = run_alembic(mysql_url, *SEED, "upgrade", "0003_clients_suppliers")
    assert result.code == 0, result.err[-2000:]
    with engine.begin() as conn:
        seeded = conn.execute(
            sa.text("SELECT MIN(id), MAX(id), COUNT(*) FROM clients WHERE id <> :a"), {"a": app}
        ).one()
        assert seeded[0] == app + 1 and seeded[1] - seeded[0] + 1 == seeded[2]  # one run of keys
        assert auto_increment(conn, "clients") == seeded[1] + 1  # released after the run
        assert _app_client(conn, 1) == seeded[1] + 1


def test_dry_run_reserves_nothing_and_lowers_no_counter(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_alembic(mysql_url, *SEED, "upgrade", "0002_staff_users").code == 0
    with engine.begin() as conn:
        _app_client(conn, 0)
        conn.execute(sa.text("DELETE FROM clients"))  # the counter is now past MAX(id) + 1
        before = auto_increment(conn, "clients")
    dry = run_alembic(mysql_url, *SEED, "-x", "dry_run=1", "upgrade", "head")
    assert dry.code == 0, dry.err[-2000:]
    assert "reserved primary keys" not in dry.err
    with engine.connect() as conn:
        assert auto_increment(conn, "clients") >= before
        assert conn.execute(sa.text("SELECT COUNT(*) FROM clients")).scalar() == 0


def test_open_application_transaction_past_the_wait_fails_cleanly(
    mysql_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    engine = engine_for(mysql_url)
    assert run_alembic(mysql_url, *SEED, "upgrade", "0002_staff_users").code == 0
    before = table_counts(engine)
    with engine.connect() as app:
        _app_client(app, 0)  # uncommitted: the application's transaction stays open
        result = run_alembic(
            mysql_url, *SEED, "upgrade", "head", env={"TERP_SEED_LOCK_WAIT_TIMEOUT": "1"}
        )
        app.rollback()
    assert result.code != 0
    assert result.failure.startswith(
        "FAILED: could not reserve primary keys on clients: another session kept the table "
        "open longer than lock_wait_timeout"
    ), result.failure
    assert "nothing was written" in result.failure
    after = table_counts(engine)
    after.pop("terp_seed_audit")
    before.pop("terp_seed_audit")
    assert after == before
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalar() == (
            "0002_staff_users"
        )


@pytest.fixture
def no_alter_url(mysql_url: str, engine_for: EngineFor) -> Iterator[str]:
    """``mysql_url`` as a user with every privilege the seed uses on its database but ALTER."""
    engine = engine_for(mysql_url)
    user = f"noalter{uuid.uuid4().hex[:8]}"
    db = mysql_url.rsplit("/", 1)[1]
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'"))
        conn.execute(
            sa.text(
                "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, "
                f"CREATE TEMPORARY TABLES ON `{db}`.* TO '{user}'@'%'"
            )
        )
    try:
        yield mysql_url.replace("root@", f"{user}:pw@")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP USER '{user}'@'%'"))


def test_without_alter_privilege_the_seed_warns_and_keeps_max_plus_one(
    mysql_url: str, no_alter_url: str, engine_for: EngineFor
) -> None:
    schema_at_head(mysql_url)
    assert run_alembic(mysql_url, *SEED, "upgrade", "0002_staff_users").code == 0
    result = run_alembic(no_alter_url, *SEED, "upgrade", "0003_clients_suppliers")
    assert result.code == 0, result.err[-2000:]
    assert "cannot reserve primary keys on clients (no ALTER privilege)" in result.err
    engine = engine_for(mysql_url)
    with engine.connect() as conn:
        first, count = conn.execute(sa.text("SELECT MIN(id), COUNT(*) FROM clients")).one()
    assert first == 1 and count > 0


def test_giving_back_keys_without_a_server_logs_and_returns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = sa.create_engine(
        "mysql+pymysql://root@127.0.0.1:1/terp", connect_args={"connect_timeout": 2}
    )
    release(gone, HeldLock("terp_seed:terp", 1), {None: {"clients": KeyBlock(1, 10)}})
    assert "left AUTO_INCREMENT past the reserved keys" in caplog.text

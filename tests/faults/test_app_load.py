"""Seeding while the application works: a thread inserts and updates clients and orders (and
reads them) the whole time a large seed and then a rollback to base run.

Afterwards every row the application committed is there, exactly as it last wrote it; the
seeded rows match the ledger; and the seed itself completed under load.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.db.errors import db_error_code
from terp_seed.testing.plugin import schema_at_head

from .conftest import attempts
from .harness import (
    Outcome,
    RecordProperty,
    assert_consistent,
    assert_rerun_completes,
    engine,
    finish,
    seed_process,
)

pytestmark = pytest.mark.faults


class App(threading.Thread):
    """The application's workload, and what it committed."""

    def __init__(self, url: str, seed: int, user: int) -> None:
        super().__init__(daemon=True)
        self.url, self.seed, self.user = url, seed, user
        self.clients: dict[int, tuple[str, str]] = {}  # id -> (teri_code, name)
        self.orders: dict[int, tuple[str, int, str]] = {}  # id -> (number, client, total)
        self.transactions = 0
        self.errors: dict[int | None, int] = {}
        self.halt = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        rng = random.Random(self.seed)
        eng = engine(self.url)
        try:
            with eng.connect() as conn:
                n = 0
                while not self.halt.is_set():
                    n += 1
                    try:
                        with conn.begin():
                            done = self._work(conn, rng, n)
                    except sa.exc.DBAPIError as exc:  # deadlock or lock wait: the app retries
                        code = db_error_code(exc)
                        self.errors[code] = self.errors.get(code, 0) + 1
                        if code not in (1205, 1213):
                            raise
                        continue
                    done()  # only what was committed counts
                    self.transactions += 1
                    time.sleep(0.002)
        except BaseException as exc:
            self.failure = exc
        finally:
            eng.dispose()

    def _work(self, conn: sa.Connection, rng: random.Random, n: int) -> Any:
        """One application transaction; returns what to record once it has committed."""
        code, name = f"APP{n:07d}", f"App client {n}"
        conn.execute(
            sa.text("INSERT INTO clients (teri_code, name) VALUES (:c, :n)"), {"c": code, "n": name}
        )
        client = int(conn.execute(sa.text("SELECT LAST_INSERT_ID()")).scalar_one())
        owner = rng.choice([client, *list(self.clients)[-50:]])
        number, total = f"APP-{n:07d}", f"{rng.randint(1, 99999)}.00"
        conn.execute(
            sa.text(
                "INSERT INTO orders (order_number, orderType, client_id, items, subtotal, total, "
                "created_by) VALUES (:o, 'SALE', :c, '[]', :t, :t, :u)"
            ),
            {"o": number, "c": owner, "t": total, "u": self.user},
        )
        order = int(conn.execute(sa.text("SELECT LAST_INSERT_ID()")).scalar_one())
        updates: list[tuple[str, int, Any]] = []
        if self.clients:
            cid = rng.choice(list(self.clients))
            renamed = f"{self.clients[cid][1].split(' v')[0]} v{n}"
            conn.execute(
                sa.text("UPDATE clients SET name = :n WHERE id = :i"), {"n": renamed, "i": cid}
            )
            updates.append(("client", cid, renamed))
        if self.orders:
            oid = rng.choice(list(self.orders))
            new_total = f"{rng.randint(1, 99999)}.00"
            conn.execute(
                sa.text("UPDATE orders SET total = :t WHERE id = :i"), {"t": new_total, "i": oid}
            )
            updates.append(("order", oid, new_total))
        conn.execute(sa.text("SELECT COUNT(*) FROM orders WHERE client_id = :c"), {"c": owner})

        def record() -> None:
            self.clients[client] = (code, name)
            self.orders[order] = (number, owner, total)
            for kind, key, value in updates:
                if kind == "client":
                    self.clients[key] = (self.clients[key][0], value)
                else:
                    no, cl, _ = self.orders[key]
                    self.orders[key] = (no, cl, value)

        return record

    def stop(self) -> None:
        self.halt.set()
        self.join(60)
        assert not self.is_alive(), "the application thread did not stop"
        if self.failure is not None:
            raise AssertionError(f"the application failed: {self.failure!r}")


def _assert_app_rows_intact(eng: sa.Engine, app: App) -> None:
    with eng.connect() as conn:
        clients = {
            int(i): (str(c), str(n))
            for i, c, n in conn.execute(
                sa.text("SELECT id, teri_code, name FROM clients WHERE teri_code LIKE 'APP%'")
            )
        }
        orders = {
            int(i): (str(o), int(c), f"{t:.2f}")
            for i, o, c, t in conn.execute(
                sa.text(
                    "SELECT id, order_number, client_id, total FROM orders "
                    "WHERE order_number LIKE 'APP-%'"
                )
            )
        }
        user = conn.execute(sa.text("SELECT openId FROM users WHERE id = :u"), {"u": app.user})
        assert user.scalar() == "app-user"
    assert clients == app.clients
    assert orders == app.orders


@pytest.mark.parametrize("attempt", attempts())
def test_seed_and_rollback_under_application_load(
    mysql_url: str, attempt: int, record_property: RecordProperty
) -> None:
    schema_at_head(mysql_url)
    eng = engine(mysql_url)
    with eng.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (openId, name) VALUES ('app-user', 'App')"))
        user = int(conn.execute(sa.text("SELECT LAST_INSERT_ID()")).scalar_one())
    app = App(mysql_url, seed=attempt, user=user)
    app.start()
    outcomes: list[Outcome] = []
    try:
        time.sleep(0.5)  # the application is busy before the seed starts
        outcomes.append(finish(seed_process(mysql_url, "-x", "size=large", "upgrade", "head")))
        outcomes.append(finish(seed_process(mysql_url, "downgrade", "base")))
        time.sleep(0.2)
    finally:
        app.stop()
    record_property(
        "detail",
        f"application: {app.transactions} transactions, {len(app.clients)} clients, "
        f"{len(app.orders)} orders, errors {app.errors}; seed: "
        + "; ".join(o.failed_lines[0] if o.failed_lines else "ok" for o in outcomes),
    )
    assert app.transactions > 20, "the application hardly ran"
    for outcome in outcomes:
        assert "Traceback" not in outcome.err, outcome.err[-3000:]
    upgrade, rollback = outcomes
    upgrade.assert_ok()  # the seed's keys were reserved: no collision with AUTO_INCREMENT
    _assert_app_rows_intact(eng, app)
    app_rows = {"clients": set(app.clients), "orders": set(app.orders), "users": {user}}
    assert_consistent(mysql_url, app_rows=app_rows)
    rollback.assert_ok()
    assert_consistent(mysql_url, expect=None, app_rows=app_rows)
    assert_rerun_completes(mysql_url, size="large", app_rows=app_rows)
    _assert_app_rows_intact(eng, app)
    eng.dispose()

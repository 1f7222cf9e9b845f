"""The fault suite's configuration.

The fixtures (``mysql_url``, ``engine_for``, ...) come from ``terp_seed.testing.plugin``, which
``tests/conftest.py`` already loads (pytest allows ``pytest_plugins`` in the top conftest only).

Selection: every scenario is marked ``faults``; ``make faults`` runs them all (``-m faults``).
A plain ``pytest`` (``make test``) runs only the ``faults_fast`` subset, one attempt of each
cheap scenario: the others are deselected unless the ``-m`` expression names ``faults``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .server import PrivateServer, available

ATTEMPTS = int(os.environ.get("TERP_FAULT_ATTEMPTS", "5"))


def attempts() -> list[int]:
    """``attempt`` values for ``pytest.mark.parametrize``: each scenario runs 5 times."""
    return list(range(ATTEMPTS))


def fast_first(argvalues: list[int]) -> list[object]:
    """The first attempt of a cheap scenario is also in the fast subset of ``make test``."""
    return [
        pytest.param(a, marks=pytest.mark.faults_fast) if a == 0 else pytest.param(a)
        for a in argvalues
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "faults" in (config.option.markexpr or ""):
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        slow_fault = item.get_closest_marker("faults") and not item.get_closest_marker(
            "faults_fast"
        )
        (drop if slow_fault else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def private_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateServer]:
    """A MariaDB server of our own (see ``server.py``), running for the whole session."""
    why = available()
    if why:
        pytest.skip(f"no private MariaDB server: {why}")
    server = PrivateServer(Path(tmp_path_factory.mktemp("mariadb")))
    server.install()
    server.start()
    try:
        yield server
    finally:
        server.shutdown()


@pytest.fixture
def private_url(private_server: PrivateServer) -> Iterator[str]:
    """A fresh database on the private server."""
    private_server.ensure_running()
    with private_server.database() as url:
        yield url

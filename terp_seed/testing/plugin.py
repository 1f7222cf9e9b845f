"""pytest fixtures for projects that test against terp-seed (and for terp-seed's own tests).

Enable with ``pytest_plugins = ["terp_seed.testing.plugin"]``. MySQL fixtures use pytest-mysql
against a running server (``mysql_noproc``; host/port/user from the ``mysql_*`` ini options):
every test gets its own freshly created database, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_mysql import factories

from terp_seed.db.engine import make_engine
from terp_seed.db.url import resolve_url
from terp_seed.store.tables import LEDGER_TABLE, ledger

# One database name per pytest process, so parallel test runs on one server never collide.
MYSQL_TEST_DB = f"terp_seed_test_{os.getpid()}"
mysql_db = factories.mysql(
    "mysql_noproc", dbname=MYSQL_TEST_DB, charset="utf8mb4", collation="utf8mb4_unicode_ci"
)


@dataclass
class Result:
    """What a command did: exit code and captured output."""

    code: int
    out: str
    err: str

    @property
    def failure(self) -> str:
        """The ``FAILED: ...`` line, if any."""
        for line in (self.err + self.out).splitlines():
            if line.startswith("FAILED:"):
                return line
        return ""


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def run_alembic(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``alembic -c <project>/alembic.ini ARGS`` in this process against ``url``."""
    from alembic.config import CommandLine, Config

    argv = ["-c", str(project_root() / "alembic.ini"), *args]

    def call() -> None:
        cli = CommandLine(prog="alembic")
        options = cli.parser.parse_args(argv)
        toml, ini = cli._inis_from_config(options)
        cfg = Config(
            file_=ini, toml_file=toml, ini_section=options.name, cmd_opts=options, stdout=sys.stdout
        )
        cli.run_cmd(cfg, options)

    return _in_process(call, url, env)


def run_cli(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``terp-seed ARGS`` in this process against ``url``."""
    # lazy: the plugin loads in every pytest session of a project that installs terp-seed;
    # the whole CLI (factories, Faker, masking) only when a test runs a command
    from terp_seed.cli import main

    argv = ["-c", str(project_root() / "alembic.ini"), *args]
    return _in_process(lambda: main(argv), url, env)


def _in_process(fn: Any, url: str, env: dict[str, str] | None) -> Result:
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ["TERP_DATABASE_URL"] = url
    os.environ.update(env or {})
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = fn()
                code = int(rc or 0)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Result(code, out.getvalue(), err.getvalue())


def spawn(url: str, *argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``argv`` (e.g. ``alembic -n seed upgrade head``) as its own process."""
    bindir = Path(sys.executable).parent
    cmd = [str(bindir / argv[0]), *argv[1:]]
    if argv[0] in ("alembic", "terp-seed"):
        cmd[1:1] = ["-c", str(project_root() / "alembic.ini")]
    full_env = {**os.environ, "TERP_DATABASE_URL": url, **(env or {})}
    return subprocess.Popen(
        cmd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=project_root(),
    )


@pytest.fixture(autouse=True)
def _terp_seed_isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Logs and backups go to the test's temporary directory; no ambient URL or env leaks in."""
    monkeypatch.setenv("TERP_SEED_LOG_FILE", str(tmp_path / "logs" / "terp-seed.log"))
    monkeypatch.setenv("TERP_SEED_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.delenv("TERP_DATABASE_URL", raising=False)
    monkeypatch.delenv("TERP_ENV", raising=False)


@pytest.fixture
def mysql_url(mysql_db: Any, request: pytest.FixtureRequest) -> str:
    """URL of a fresh, empty MariaDB/MySQL database for this test."""
    host = request.config.getini("mysql_host") or "127.0.0.1"
    port = request.config.getini("mysql_port") or "3306"
    user = request.config.getini("mysql_user") or "root"
    return f"mysql+pymysql://{user}@{host}:{port}/{MYSQL_TEST_DB}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a new SQLite file for this test."""
    return f"sqlite:///{tmp_path / 'terp.sqlite'}"


@pytest.fixture(params=["sqlite", "mysql"])
def any_url(request: pytest.FixtureRequest) -> str:
    """Each test runs once on SQLite and once on MariaDB."""
    name = "sqlite_url" if request.param == "sqlite" else "mysql_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine_for() -> Iterator[Any]:
    """``engine_for(url)`` -> an engine, disposed after the test."""
    engines: list[sa.Engine] = []

    def make(url: str) -> sa.Engine:
        engine = make_engine(resolve_url(url, {}))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def schema_at_head(url: str) -> None:
    """Run the schema migrations (``alembic upgrade head``); fail loudly if they fail."""
    result = run_alembic(url, "upgrade", "head")
    assert result.code == 0, result.err[-2000:]


def table_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per table (TERP and bookkeeping tables alike); for the ledger, the rows it records
    as seeded (the sum of its key ranges), not its own rows."""
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {n: _count(conn, n) for n in names}


def _count(conn: sa.Connection, name: str) -> int:
    what = "COUNT(*)"
    if name == LEDGER_TABLE:
        what = "COALESCE(SUM(last_pk - first_pk + 1), 0)"
    return int(conn.execute(sa.text(f"SELECT {what} FROM {_quote(conn, name)}")).scalar_one())


def ledger_entries(
    conn: sa.Connection,
) -> list[tuple[str, str | None, str, int, bytes | None]]:
    """Every row the ledger records, one entry each, sorted:
    ``(run_id, revision, table, key, checksum or None)``."""
    out = []
    for run_id, revision, table, first, last, sums in conn.execute(sa.select(*ledger.c[1:])):
        for at, key in enumerate(range(int(first), int(last) + 1)):
            digest = None if sums is None else bytes(sums[at * 16 : at * 16 + 16])
            out.append((str(run_id), revision, str(table), key, digest))
    return sorted(out, key=lambda e: (e[2], e[3], e[0]))


def table_checksums(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: compare two calls to prove nothing changed."""
    with engine.connect() as conn:
        out = {}
        for name in sorted(sa.inspect(conn).get_table_names()):
            rows = conn.execute(sa.text(f"SELECT * FROM {_quote(conn, name)}")).all()
            out[name] = sorted(tuple(map(repr, r)) for r in rows)
        return out


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)

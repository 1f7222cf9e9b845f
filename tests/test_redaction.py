"""One redaction for every URL shape, in every output path (issue 23, item 2): the FAILED line,
the JSON log file, ``status``'s database line and the audit table never show a password, and a
scrubbed JSON log line stays valid JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.console import jsonlogs
from terp_seed.db.url import redact_text
from terp_seed.testing.plugin import run_cli, spawn

SECRET = "Zq7-Secret"
# (shape, the URL): each password holds SECRET; where the server on 127.0.0.1:1 is refused
SHAPES = [
    ("plain", f"mysql+pymysql://app:{SECRET}@127.0.0.1:1/terp"),
    ("no-scheme-slashes", f"mysql+pymysql//app:{SECRET}@127.0.0.1:1/terp"),
    ("no-scheme", f"app:{SECRET}@127.0.0.1:1/terp"),
    ("unencoded-at", f"mysql+pymysql://app:{SECRET}@x@127.0.0.1:1/terp"),
    ("space", f"mysql+pymysql://app:{SECRET} x@127.0.0.1:1/terp"),
    ("query-password", f"mysql+pymysql://app@127.0.0.1:1/terp?password={SECRET}&charset=utf8mb4"),
    ("encoded", f"mysql+pymysql://app:{SECRET}%40x@127.0.0.1:1/terp"),
]


def _leaks(text: str) -> list[str]:
    """Pieces of the secret in ``text`` (any 4 characters of it in a row)."""
    return [SECRET[i : i + 4] for i in range(len(SECRET) - 3) if SECRET[i : i + 4] in text]


@pytest.mark.parametrize(("shape", "url"), SHAPES, ids=[s for s, _ in SHAPES])
def test_every_url_shape_is_redacted_in_every_output(shape: str, url: str, tmp_path: Path) -> None:
    for argv in (["terp-seed", "status"], ["alembic", "-n", "seed", "upgrade", "head"]):
        proc = spawn(url, *argv)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode != 0, (shape, out, err)
        assert "Traceback" not in err, err[-1500:]
        failed = [line for line in (out + err).splitlines() if "FAILED" in line]
        assert len(failed) == 1, (shape, out + err)
        log = tmp_path / "logs" / "terp-seed.log"
        logged = log.read_text() if log.exists() else ""
        assert _leaks(out + err + logged) == [], (shape, out + err + logged)


@pytest.mark.parametrize(("shape", "url"), SHAPES, ids=[s for s, _ in SHAPES])
def test_redact_text_hides_the_password_of_every_shape(shape: str, url: str) -> None:
    shown = redact_text(f"could not use {url}: refused")
    assert _leaks(shown) == [] or shape in ("no-scheme",), shown  # no scheme: not a URL in text
    assert shown.endswith(": refused")


@pytest.fixture
def password_user(mysql_url: str) -> Iterator[tuple[str, str]]:
    user, password = "terp_redact", f"{SECRET}-9"
    engine = sa.create_engine(mysql_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'%'"))
        conn.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"))
        conn.execute(sa.text(f"GRANT ALL ON *.* TO '{user}'@'%'"))
    yield user, password
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'%'"))
    engine.dispose()


@pytest.mark.mysql
def test_status_prints_the_url_without_a_query_password(
    mysql_url: str, password_user: tuple[str, str]
) -> None:
    user, password = password_user
    url = sa.make_url(mysql_url).set(username=user, password=None)
    with_query = url.render_as_string(hide_password=False) + f"?password={password}"
    result = run_cli(with_query, "status")
    assert result.code == 0, result.err[-1500:]
    assert "password=***" in result.out
    assert _leaks(result.out + result.err) == []


def test_a_percent_in_the_ini_url_is_one_line(tmp_path: Path) -> None:
    ini = tmp_path / "alembic.ini"
    ini.write_text(
        "[seed]\nscript_location = seed_migrations\n"
        f"sqlalchemy.url = mysql+pymysql://app:{SECRET}%w@127.0.0.1:1/terp\n"
    )
    result = run_cli("", "-c", str(ini), "status", env={"TERP_DATABASE_URL": ""})
    assert result.code != 0
    assert "a '%' in it must be written '%%'" in result.err
    assert "Traceback" not in result.err and _leaks(result.out + result.err) == []


@pytest.mark.parametrize(
    "message",
    [
        'connect: password=hunter2", "x": 1',
        "Access denied (using password: YES); check the user",
        "mask_key: k3y, then more",
    ],
)
def test_scrubbed_json_lines_stay_valid_and_keep_the_text_after(message: str) -> None:
    stream = __import__("io").StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(jsonlogs.JsonFormatter())
    logger = logging.getLogger("terp_seed.test_redaction")
    logger.addHandler(handler)
    try:
        logger.warning(message, extra={"detail": {"url": f"mysql://a:{SECRET}@h/db"}})
    finally:
        logger.removeHandler(handler)
    record: dict[str, Any] = json.loads(stream.getvalue())
    assert "hunter2" not in record["message"] and "k3y" not in record["message"]
    assert record["message"].endswith(message[-8:]) or "YES" in record["message"]
    assert _leaks(json.dumps(record)) == []

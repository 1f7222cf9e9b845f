"""Logs: JSON lines with the run's context, to stderr and a rotating file; no secrets, ever."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from terp_seed.console import jsonlogs
from terp_seed.testing.plugin import run_alembic, schema_at_head, spawn

SEED = ("-n", "seed", "-x", "size=small")
REQUIRED = {"timestamp", "level", "logger", "message", "run_id", "revision", "environment"}


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_run_logs_are_json_lines_with_run_context(sqlite_url: str, tmp_path: Path) -> None:
    schema_at_head(sqlite_url)
    result = run_alembic(sqlite_url, *SEED, "-x", "env=test", "upgrade", "head")
    assert result.code == 0, result.err[-2000:]
    lines = result.err.splitlines()
    assert lines and all(line.startswith("{") for line in lines), lines[:5]
    records = json_lines(result.err)
    ours = [r for r in records if r["logger"].startswith("terp_seed")]
    assert ours
    for record in ours:
        assert set(record) >= REQUIRED, record
        assert record["environment"] == "test"
    assert len({r["run_id"] for r in ours}) == 1
    step_logs = [r for r in ours if r["logger"] == "terp_seed.store.audit"]
    assert {r["revision"] for r in step_logs} >= {"0001_reference_data"}
    assert all(r["message"].endswith(": applied") for r in step_logs)
    progress = [r for r in ours if r.get("event") == "progress"]
    assert progress and {"table", "rows", "total", "rate"} <= set(progress[0])
    assert progress[0]["revision"] == "0001_reference_data"
    for record in records:
        assert {"timestamp", "level", "logger", "message"} <= set(record)
    # the rotating file gets the same lines (after the schema run's own)
    file_records = json_lines((tmp_path / "logs" / "terp-seed.log").read_text())
    assert file_records[-len(records) :] == records


def test_connection_failure_is_one_line_without_password_or_traceback(tmp_path: Path) -> None:
    password = "s3cret-Pa55word"
    url = f"mysql+pymysql://terp_app:{password}@127.0.0.1:1/terp_prod"
    proc = spawn(url, "alembic", *SEED, "upgrade", "head")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in err
    failed = [line for line in (out + err).splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1, out + err
    assert "'terp_prod' on 127.0.0.1:1 as terp_app" in failed[0]
    log_file = (tmp_path / "logs" / "terp-seed.log").read_text()
    assert "127.0.0.1:1" in log_file
    for text in (out, err, log_file):
        assert password not in text


def test_terp_seed_cli_connection_failure_is_one_line(tmp_path: Path) -> None:
    password = "an0ther-Secret"
    url = f"mysql+pymysql://terp_app:{password}@127.0.0.1:1/terp_prod"
    proc = spawn(url, "terp-seed", "lock")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in err
    assert "127.0.0.1:1" in out + err and password not in out + err


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("mysql+pymysql://app:hunter2@db:3306/terp", "hunter2"),
        ("connect failed: password=hunter2 host=db", "hunter2"),
        ("PWD: hunter2", "hunter2"),
        ("TERP_SEED_MASK_KEY=k3y-value", "k3y-value"),
    ],
)
def test_scrub_hides_secrets(text: str, hidden: str) -> None:
    assert hidden not in jsonlogs.scrub(text)


def test_registered_secret_is_scrubbed_from_log_lines() -> None:
    jsonlogs.register_secret("masking-key-123")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(jsonlogs.JsonFormatter())
    logger = logging.getLogger("terp_seed.test_logs")
    logger.addHandler(handler)
    try:
        with jsonlogs.bind(run_id="r1", environment="dev", revision=lambda: "0001_x"):
            logger.warning("key is %s", "masking-key-123", extra={"table": "clients"})
    finally:
        logger.removeHandler(handler)
    record = json.loads(stream.getvalue())
    assert "masking-key-123" not in stream.getvalue()
    assert record["run_id"] == "r1" and record["revision"] == "0001_x"
    assert record["table"] == "clients" and record["level"] == "WARNING"


def test_log_file_and_its_new_directory_are_private(sqlite_url: str, tmp_path: Path) -> None:
    """Only the owner may read the log (issue 23, item 3): 0600 in a 0700 directory."""
    log = tmp_path / "private" / "logs" / "terp-seed.log"
    result = run_alembic(sqlite_url, "-n", "seed", "current", env={"TERP_SEED_LOG_FILE": str(log)})
    assert result.code == 0, result.err[-1500:]
    assert log.exists()
    assert log.stat().st_mode & 0o777 == 0o600
    assert log.parent.stat().st_mode & 0o777 == 0o700

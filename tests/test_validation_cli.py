"""``terp-seed validate``: summary per rule, JSON, one table, exit codes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from terp_seed.schema import metadata
from terp_seed.testing.plugin import run_alembic, run_cli, schema_at_head
from terp_seed.validation.rules import RULES
from terp_seed.validation.runner import select_rules


def seed_small(url: str) -> None:
    schema_at_head(url)
    result = run_alembic(url, "-n", "seed", "-x", "size=small", "upgrade", "head")
    assert result.code == 0, result.err[-2000:]


@pytest.mark.mysql
def test_clean_seed_passes_every_rule(mysql_url: str) -> None:
    seed_small(mysql_url)
    result = run_cli(mysql_url, "validate")
    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert [line.split()[1] for line in lines[:-1]] == [r.name for r in RULES]
    assert all(line.startswith("ok ") for line in lines[:-1])
    assert lines[-1] == f"{len(RULES)} rule(s), 0 failed"


@pytest.mark.mysql
def test_violation_fails_with_rule_and_keys(mysql_url: str, engine_for: Any) -> None:
    seed_small(mysql_url)
    batches = metadata.tables["batches"]
    with engine_for(mysql_url).begin() as conn:
        conn.execute(batches.update().where(batches.c.id.in_([2, 5])).values(sampleQty=-3))
    result = run_cli(mysql_url, "validate")
    assert result.code == 1
    fails = [line for line in result.out.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1
    assert " ".join(fails[0].split()) == (
        "FAIL non-negative:batches.sampleQty 2 row(s) of batches: 2, 5"
    )
    assert result.out.splitlines()[-1].startswith(f"{len(RULES)} rule(s), 1 failed (2 row(s))")

    as_json = run_cli(mysql_url, "validate", "--json", "--table", "batches")
    assert as_json.code == 1
    data = json.loads(as_json.out)
    assert data["table"] == "batches" and data["failed"] == 1
    assert [r["rule"] for r in data["results"]] == [r.name for r in select_rules("batches")]
    failed = [r for r in data["results"] if r["violations"]]
    assert failed == [
        {
            "rule": "non-negative:batches.sampleQty",
            "table": "batches",
            "description": "batches.sampleQty is zero or more",
            "violations": 2,
            "sample_keys": [2, 5],
        }
    ]


def test_table_filter_keeps_rules_that_read_the_table(sqlite_url: str) -> None:
    seed_small(sqlite_url)
    result = run_cli(sqlite_url, "validate", "--table", "payments", "--json")
    assert result.code == 0, result.err
    names = {r["rule"] for r in json.loads(result.out)["results"]}
    assert "fk:payments.invoiceId" in names and "payments-within-total:invoices" in names
    assert not any(n.startswith("fk:orders.") for n in names)


def test_unknown_table_is_one_failed_line_and_exit_2(sqlite_url: str) -> None:
    result = run_cli(sqlite_url, "validate", "--table", "nope")
    assert result.code == 2
    assert result.out == ""
    assert result.err.splitlines() == [result.failure]
    assert result.failure.startswith("FAILED: unknown table 'nope': use one of users, clients")


def test_missing_schema_says_run_the_migrations(sqlite_url: str, engine_for: Any) -> None:
    with engine_for(sqlite_url).connect() as conn:  # creates the empty SQLite file
        conn.execute(sa.text("SELECT 1"))
    result = run_cli(sqlite_url, "validate")
    assert result.code == 1
    assert "missing from the database" in result.failure
    assert "alembic upgrade head" in result.failure


def test_validate_is_in_the_parser_help() -> None:
    from terp_seed.cli import build_parser

    assert "validate" in build_parser().format_help()

"""Run the fault suite and rewrite the results table in ``docs/reliability.md``.

    .venv/bin/python tests/faults/report.py            # every scenario, 5 runs each
    .venv/bin/python tests/faults/report.py -k deadlock  # extra arguments go to pytest

The suite runs with a JUnit XML report; each test case is mapped to its scenario below, and
the block between the ``reliability:begin`` / ``reliability:end`` markers of the page is
replaced (the prose around it is kept). Exit status: pytest's.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- reliability:begin -->", "<!-- reliability:end -->"
PYTEST = [sys.executable, "-m", "pytest", "tests/faults", "-m", "faults", "-p", "no:cacheprovider"]


@dataclass(frozen=True)
class Scenario:
    title: str
    test: str  # test function name
    variant: str | None  # a parameter value that picks this row's runs, e.g. "32" or "kill"
    checked: str


# The three checks every scenario ends with (docs/reliability.md explains them).
ABC = "(a) lineage at a known revision, (b) ledger = table rows, (c) re-run completes"
SCENARIOS = [
    Scenario(
        "Concurrent: 8 processes, `upgrade head` / `downgrade -1` interleaved",
        "test_concurrent_upgrades_and_downgrades",
        "8",
        "each exits 0 or names the lock holder (or `downgrade -1` at base); the audit trail "
        f"replays as one run at a time, ending at the version table's revision; {ABC}",
    ),
    Scenario(
        "Concurrent: 32 processes, `upgrade head` / `downgrade -1` interleaved",
        "test_concurrent_upgrades_and_downgrades",
        "32",
        f"as for 8 processes; {ABC}",
    ),
    Scenario(
        "Application load: inserts/updates of clients and orders during a large seed and "
        "`downgrade base`",
        "test_seed_and_rollback_under_application_load",
        None,
        "every committed application row is there exactly as last written; rollback completes "
        f"under load; {ABC}; the seed completes under load",
    ),
    Scenario(
        "Slow network: 50 ms round trips through a proxy, then every connection cut mid-load",
        "test_cut_mid_load_fails_cleanly_then_healthy_rerun",
        None,
        "measured round trip >= 50 ms; one FAILED line, no traceback, exit != 0; lineage below "
        f"the revision named; {ABC} (re-run direct to the server)",
    ),
    Scenario(
        "Server restart: `mariadb-admin shutdown` mid-revision of a large seed, then start",
        "test_server_restart_during_a_large_seed",
        "shutdown",
        f"one FAILED line naming 0006_sales, no traceback; lineage at 0005_inventory; {ABC}",
    ),
    Scenario(
        "Server crash: mariadbd SIGKILLed mid-revision of a large seed, then start (recovery)",
        "test_server_restart_during_a_large_seed",
        "kill",
        f"as for shutdown; {ABC}",
    ),
    Scenario(
        "Lock wait timeout: an application transaction holds row locks on the users the seed's "
        "orders point at",
        "test_lock_wait_timeout_is_one_line",
        None,
        "TERP_SEED_LOCK_WAIT_TIMEOUT=2: one FAILED line naming the table and "
        f"innodb_lock_wait_timeout; audited failed, not retried; {ABC}",
    ),
    Scenario(
        "Deadlock with a competing transaction (holds the seed mid-revision, then locks an "
        "order the seed inserted), retried",
        "test_deadlock_is_retried_and_completes",
        None,
        "exit 0; one log line per retry; audit `retried` then `applied`; summary shows both; "
        f"{ABC}",
    ),
    Scenario(
        "Deadlock on every attempt (retries are bounded)",
        "test_deadlock_retries_are_bounded",
        None,
        "3 attempts, then one FAILED line `(after 3 attempts)`; audit `retried`, `retried`, "
        f"`failed`; {ABC}",
    ),
    Scenario(
        "Deadlock in a `terp-seed` command session (`run_locked`)",
        "test_cli_session_retries_a_deadlock",
        None,
        "body run twice; only the second attempt's rows and ledger rows remain; audit "
        "`retried` then `applied`; one log line",
    ),
    Scenario(
        "Duplicate key: the application commits a payment with an explicit key inside the "
        "seed's reserved block, mid-seed",
        "test_duplicate_key_from_an_application_row",
        None,
        "one FAILED line naming payments and the key; the application's row kept; "
        f"{ABC} (with the application's row)",
    ),
    Scenario(
        "A statement larger than `max_allowed_packet` (server at 64 KiB, large seed)",
        "test_statement_larger_than_max_allowed_packet",
        None,
        "one FAILED line with the statement's size, the table and the server's limit; lineage "
        f"below the failed revision; {ABC} (after the limit is restored)",
    ),
    Scenario(
        "The lock's own session killed while the run goes on (mid-revision)",
        "test_run_that_loses_its_lock_session_commits_nothing_more",
        None,
        "the revision in flight does not commit: one FAILED line `lost the seed lock`; audit "
        f"`failed`; {ABC}",
    ),
    Scenario(
        "Lock holder SIGKILLed mid-revision while 3 others wait",
        "test_next_waiter_proceeds_when_the_holder_is_killed",
        None,
        "a waiter takes the lock at once and runs the unfinished revision; the others find "
        f"nothing to do; all exit 0; {ABC}",
    ),
]


@dataclass
class Case:
    name: str
    params: list[str]
    status: str  # passed, failed, xfailed, skipped
    seconds: float
    detail: str = ""
    message: str = ""


@dataclass
class Row:
    scenario: Scenario
    cases: list[Case] = field(default_factory=list)


def parse(xml_path: Path) -> list[Case]:
    cases = []
    for tc in ET.parse(xml_path).getroot().iter("testcase"):
        name = tc.get("name", "")
        match = re.match(r"(\w+)(?:\[(.*)\])?$", name)
        func, params = (match.group(1), (match.group(2) or "").split("-")) if match else (name, [])
        status, message = "passed", ""
        for tag in ("failure", "error"):
            node = tc.find(tag)
            if node is not None:
                status, message = "failed", node.get("message", "")
        skipped = tc.find("skipped")
        if skipped is not None:
            xfail = skipped.get("type") == "pytest.xfail"
            status, message = ("xfailed" if xfail else "skipped"), skipped.get("message", "")
        detail = ""
        for prop in tc.iter("property"):
            if prop.get("name") == "detail":
                detail = prop.get("value", "")
        cases.append(Case(func, params, status, float(tc.get("time", 0)), detail, message))
    return cases


def rows_for(cases: list[Case]) -> list[Row]:
    rows = [Row(s) for s in SCENARIOS]
    for case in cases:
        for row in rows:
            s = row.scenario
            if case.name == s.test and (s.variant is None or s.variant in case.params):
                row.cases.append(case)
                break
    return rows


def result(row: Row) -> str:
    n = len(row.cases)
    if not n:
        return "not run"
    passed = sum(c.status == "passed" for c in row.cases)
    xfailed = sum(c.status == "xfailed" for c in row.cases)
    failed = sum(c.status == "failed" for c in row.cases)
    skipped = sum(c.status == "skipped" for c in row.cases)
    if passed == n:
        return f"**pass {n}/{n}**"
    parts = []
    if passed:
        parts.append(f"pass {passed}/{n}")
    if xfailed:
        parts.append(f"**known failure {xfailed}/{n}** (see below)")
    if failed:
        parts.append(f"**FAIL {failed}/{n}**")
    if skipped:
        parts.append(f"skipped {skipped}/{n}")
    return ", ".join(parts)


def render(rows: list[Row], command: str, started: dt.datetime, seconds: float) -> str:
    lines = [
        BEGIN,
        f"Generated {started:%Y-%m-%d %H:%M} UTC by `{command}` in {seconds / 60:.1f} min on "
        f"{_machine()}.",
        "",
        "| Scenario | Runs | What was checked | Result | Time per run |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        times = sorted(c.seconds for c in row.cases)
        median = f"{times[len(times) // 2]:.0f} s" if times else "-"
        lines.append(
            f"| {row.scenario.title} | {len(row.cases)} | {row.scenario.checked} | "
            f"{result(row)} | {median} |"
        )
    details = [c for row in rows for c in row.cases if c.detail or c.status != "passed"]
    if details:
        lines += ["", "Run details (what each run measured, and every run that did not pass):", ""]
        for case in details:
            text = case.detail or case.message
            if case.status == "failed" and case.message and case.message not in text:
                text = f"{text} ({case.message})" if text else case.message
            label = f"{case.name}[{'-'.join(case.params)}]"
            lines.append(f"- `{label}` {case.status}: {_one_line(text)}")
    lines.append(END)
    return "\n".join(lines)


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 600 else text[:597] + "..."


def _machine() -> str:
    version = "MariaDB ?"
    try:
        out = subprocess.run(
            ["mariadb", "-uroot", "--protocol=tcp", "-h127.0.0.1", "-N", "-e", "SELECT VERSION()"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0:
            version = f"MariaDB {out.stdout.strip()}"
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {version}"


def rewrite(page: Path, block: str) -> None:
    text = page.read_text() if page.exists() else f"# Reliability\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip() + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    page.write_text(head + block + tail)


def main(argv: list[str]) -> int:
    started = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        xml_path = Path(tmp) / "faults.xml"
        cmd = [*PYTEST, f"--junitxml={xml_path}", "-o", "junit_family=legacy", *argv]
        clock = time.monotonic()
        code = subprocess.call(cmd, cwd=ROOT)
        seconds = time.monotonic() - clock
        if not xml_path.exists():
            print("the fault suite produced no report", file=sys.stderr)
            return code or 1
        cases = parse(xml_path)
    shown = " ".join(["tests/faults/report.py", *argv]).strip()
    rewrite(PAGE, render(rows_for(cases), f".venv/bin/python {shown}", started, seconds))
    print(f"rewrote {PAGE.relative_to(ROOT)} ({len(cases)} runs)")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

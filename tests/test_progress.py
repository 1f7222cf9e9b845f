"""Progress: a bar per table on a terminal, steady progress log events elsewhere."""

from __future__ import annotations

import logging

import pytest

from terp_seed.console.progress import Progress


def test_terminal_draws_a_bar_per_table(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress({"strains": 100, "clients": 10}, tty=True)
    progress("strains", 50)
    progress("strains", 50)
    progress("clients", 10)
    err = capsys.readouterr().err
    assert "\rstrains" in err and "[############............]" in err
    assert "[########################]" in err and "100/100" in err
    assert "rows/s" in err and "ETA" in err
    assert err.count("\n") == 2  # each table's bar ends its line when done
    assert "clients" in err


def test_off_a_terminal_logs_progress_events_at_an_interval(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="terp_seed.console.progress")
    progress = Progress({"strains": 30}, tty=False, interval=3600)
    for _ in range(3):
        progress("strains", 10)
    events = [r for r in caplog.records if getattr(r, "event", None) == "progress"]
    # the first chunk and the last: the interval suppresses the middle one
    assert [getattr(r, "rows", None) for r in events] == [10, 30]
    assert getattr(events[-1], "total", None) == 30 and getattr(events[-1], "table", None)
    assert capsys.readouterr().err == ""


def test_more_rows_than_expected_never_overflows_the_bar(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = Progress({}, tty=True)
    progress("grades", 3)
    err = capsys.readouterr().err
    assert "[########################]" in err and "3/3" in err

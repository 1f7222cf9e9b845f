"""Backups are whole or absent (temporary file, fsync, rename) and land in a folder that does not
depend on the working directory; restore verifies the whole file, the database it came from,
the environment policy, every key and every parent before it writes, and keeps the checksums
the ledger had (issue 22, items 9 and 10)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.databases import own_database

from terp_seed.seeding import backup
from terp_seed.testing.plugin import (
    ledger_entries,
    run_alembic,
    run_cli,
    schema_at_head,
    table_checksums,
    table_counts,
)

SEED = ("-n", "seed", "-x", "size=small", "-x", "env=staging")


def _db(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _seeded(url: str) -> None:
    schema_at_head(url)
    result = run_alembic(url, *SEED, "upgrade", "head")
    assert result.code == 0, result.err[-2000:]


def _rollback(url: str, revision: str, *extra: str) -> Path:
    """Roll back one revision in staging; return the backup file it wrote."""
    folder = Path(os.environ["TERP_SEED_BACKUP_DIR"])
    before = set(folder.glob("*.jsonl")) if folder.exists() else set()
    done = run_cli(
        url, "rollback", "--revision", revision, "--env", "staging", "--confirm", _db(url), *extra
    )
    assert done.code == 0, done.err[-2000:]
    (made,) = set(folder.glob("*.jsonl")) - before
    return made


def _restore(url: str, path: Path, env: str = "staging"):  # type: ignore[no-untyped-def]
    return run_cli(url, "restore", str(path), "--env", env, "--confirm", _db(url))


def _state(engine: sa.Engine) -> dict[str, object]:
    sums = table_checksums(engine)
    with engine.connect() as conn:
        sums["terp_seed_ledger"] = ledger_entries(conn)
    sums.pop("terp_seed_audit")
    return sums


def test_cut_or_edited_backup_is_refused_whole(mysql_url: str, engine_for, tmp_path) -> None:
    _seeded(mysql_url)
    engine = engine_for(mysql_url)
    path = _rollback(mysql_url, "0006_sales")
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) > 300
    after_rollback = _state(engine)
    # cut at a line boundary: the first 100 rows, no trailer
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(lines[:101]))
    refused = _restore(mysql_url, cut)
    assert refused.code != 0 and "cut short" in refused.failure, refused.err[-800:]
    # one row line taken out of the middle, trailer kept
    edited = tmp_path / "edited.jsonl"
    edited.write_bytes(b"".join(lines[:50] + lines[51:]))
    refused = _restore(mysql_url, edited)
    assert refused.code != 0 and "SHA-256" in refused.failure, refused.err[-800:]
    assert _state(engine) == after_rollback
    assert table_counts(engine)["orders"] == 0
    assert _restore(mysql_url, path).code == 0
    assert table_counts(engine)["orders"] > 0


def test_restore_keeps_the_checksums_the_ledger_had(mysql_url: str, engine_for) -> None:
    """A row the application changed before the rollback is still 'changed' once restored."""
    _seeded(mysql_url)
    engine = engine_for(mysql_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE orders SET notes = 'called the client' ORDER BY id LIMIT 1"))
    path = _rollback(mysql_url, "0006_sales", "--include-modified")
    restored = _restore(mysql_url, path)
    assert restored.code == 0, restored.err[-2000:]
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT COUNT(*) FROM orders WHERE notes = 'called the client'")
            ).scalar()
            == 1
        )
    again = run_cli(
        mysql_url, "rollback", "--revision", "0006_sales", "--env", "staging", "--confirm",
        _db(mysql_url),
    )  # fmt: skip
    assert again.code != 0 and "changed since seeding" in again.failure, again.err[-800:]
    assert table_counts(engine)["orders"] > 0


def test_restore_refuses_rows_whose_parents_are_gone(mysql_url: str, engine_for) -> None:
    _seeded(mysql_url)
    engine = engine_for(mysql_url)
    sales = _rollback(mysql_url, "0006_sales")
    _rollback(mysql_url, "0005_inventory")  # the batches the order lines name are gone
    before = _state(engine)
    refused = _restore(mysql_url, sales)
    assert refused.code != 0, refused.err[-800:]
    assert "reference rows that are gone" in refused.failure and "batches.id" in refused.failure
    assert _state(engine) == before


def test_restore_checks_policy_and_database(mysql_url: str, engine_for, request) -> None:
    _seeded(mysql_url)
    engine = engine_for(mysql_url)
    path = _rollback(mysql_url, "0006_sales")
    before = _state(engine)
    prod = _restore(mysql_url, path, env="production")
    assert prod.code != 0 and "refused" in prod.failure and "production" in prod.failure
    assert _state(engine) == before
    with own_database(request.config, "terp_seed_other") as other:
        schema_at_head(other)
        assert run_alembic(other, *SEED, "upgrade", "0005_inventory").code == 0
        elsewhere = _restore(other, path)
        assert elsewhere.code != 0 and f"from database {_db(mysql_url)!r}" in elsewhere.failure
        with sa.create_engine(other, poolclass=sa.NullPool).connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM orders")).scalar() == 0


def test_old_format_backup_is_read_with_its_header_counts(mysql_url: str, engine_for, tmp_path):  # type: ignore[no-untyped-def]
    """A format-1 file (no trailer) is restored when its rows are the header's, else refused."""
    _seeded(mysql_url)
    engine = engine_for(mysql_url)
    path = _rollback(mysql_url, "0006_sales")
    lines = path.read_text().splitlines(keepends=True)
    old = [lines[0].replace(backup.FORMAT, backup.OLD_FORMAT), *lines[1:-1]]
    cut = tmp_path / "old-cut.jsonl"
    cut.write_text("".join(old[:-3]))
    refused = _restore(mysql_url, cut)
    assert refused.code != 0 and "cut short" in refused.failure, refused.err[-800:]
    whole = tmp_path / "old.jsonl"
    whole.write_text("".join(old))
    done = _restore(mysql_url, whole)
    assert done.code == 0, done.err[-800:]
    assert table_counts(engine)["orders"] > 0


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No TERP_SEED_BACKUP_DIR, an XDG state folder, and another working directory."""
    monkeypatch.delenv("TERP_SEED_BACKUP_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


def test_backup_goes_to_the_state_folder_not_the_working_directory(
    mysql_url: str, elsewhere: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seeded(mysql_url)
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    done = run_cli(
        mysql_url, "rollback", "--revision", "0006_sales", "--env", "staging", "--confirm",
        _db(mysql_url),
    )  # fmt: skip
    assert done.code == 0, done.err[-2000:]
    made = list((tmp_path / "state" / "terp-seed" / "backups").glob("*.jsonl"))
    assert len(made) == 1 and not list(elsewhere.rglob("*.jsonl"))
    assert synced  # the file (and its folder) were flushed to disk before the run went on
    assert [p.name for p in made[0].parent.iterdir()] == [made[0].name]  # no temporary left
    # the rows are customers' data: owner only (issue 23, item 3)
    assert made[0].stat().st_mode & 0o777 == 0o600
    assert made[0].parent.stat().st_mode & 0o777 == 0o700


def test_a_backup_that_fails_midway_leaves_no_file(
    mysql_url: str, engine_for, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup cut short (here: an error at the 40th row) is never left as a <run id>.jsonl
    that restore would take for whole; the rollback is rolled back."""
    _seeded(mysql_url)
    engine = engine_for(mysql_url)
    before = _state(engine)
    real, calls = backup._encode, []

    def failing(row):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 40:
            raise OSError(28, "No space left on device")
        return real(row)

    monkeypatch.setattr(backup, "_encode", failing)
    with pytest.raises(OSError):
        run_cli(
            mysql_url, "rollback", "--revision", "0006_sales", "--env", "staging", "--confirm",
            _db(mysql_url),
        )  # fmt: skip
    folder = tmp_path / "backups"
    assert not folder.exists() or list(folder.iterdir()) == []
    assert _state(engine) == before

"""What every fault scenario ends with, and the helpers the scenarios share.

The three checks (:func:`assert_consistent`, then :func:`assert_rerun_completes`):

a. the seed lineage is at a known revision (the one expected, when the scenario knows it);
b. the rows of every TERP table match exactly what the ledger says for the applied revisions:
   the ledger's ids are in the table, the table's other ids are exactly the application's
   rows, each applied revision's ledger counts equal what its audited step inserted (no
   partial revision), no ledger row belongs to an unapplied revision, no row is recorded
   twice, and no row references a missing parent (``terp_seed.schema.relations()``);
c. a plain re-run (``alembic -n seed upgrade head``) completes, and (a) and (b) hold at head.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from terp_seed.db.engine import make_engine
from terp_seed.db.url import resolve_url
from terp_seed.runtime.lock import lock_name
from terp_seed.schema import TERP_TABLES, metadata, relations
from terp_seed.testing.plugin import Result, ledger_entries, project_root, run_alembic, spawn

AppRows = Mapping[str, Collection[int]]
RecordProperty = Callable[[str, object], None]  # pytest's record_property fixture
ANY = object()  # check (a) without a particular revision in mind


@cache
def seed_script() -> ScriptDirectory:
    cfg = Config(str(project_root() / "alembic.ini"), ini_section="seed")
    return ScriptDirectory.from_config(cfg)


@cache
def revisions() -> tuple[str, ...]:
    """The seed lineage, base first."""
    return tuple(r.revision for r in reversed(list(seed_script().walk_revisions())))


def head() -> str:
    return revisions()[-1]


def down_of(revision: str | None) -> str | None:
    """The revision below ``revision`` (``None`` is base)."""
    if revision is None:
        raise AssertionError("nothing is below base")
    i = revisions().index(revision)
    return revisions()[i - 1] if i else None


def applied_revisions(version: str | None) -> list[str]:
    if version is None:
        return []
    return list(revisions()[: revisions().index(version) + 1])


def plan_runs_in(revision: str, env: str) -> bool:
    plan = getattr(seed_script().get_revision(revision).module, "plan", None)
    return plan is None or env in plan.environments


def engine(url: str) -> sa.Engine:
    return make_engine(resolve_url(url, {}))


@dataclass
class State:
    """What check (a) and (b) found."""

    version: str | None
    ledger: dict[str, dict[str, int]] = field(default_factory=dict)  # revision -> table -> n


def current_version(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_seed_version"):
        return None
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_seed_version")).scalars().all()
    assert len(rows) <= 1, f"the seed lineage has several heads: {rows}"
    return rows[0] if rows else None


def assert_consistent(
    url: str,
    *,
    expect: object = ANY,
    app_rows: AppRows | None = None,
    env: str = "dev",
) -> State:
    """Checks (a) and (b); returns the revision found and the ledger per revision."""
    app = {t: set(ids) for t, ids in (app_rows or {}).items()}
    eng = engine(url)
    try:
        with eng.connect() as conn:
            version = current_version(conn)
            # (a) a known revision (and the expected one, when the scenario knows it)
            assert version is None or version in revisions(), f"unknown revision {version}"
            if expect is not ANY:
                assert version == expect, f"seed lineage at {version}, expected {expect}"
            state = State(version)
            applied = applied_revisions(version)
            names = set(sa.inspect(conn).get_table_names())
            ledger: list[tuple[str | None, str, int]] = []
            if "terp_seed_ledger" in names:
                ledger = [(r, t, pk) for _run, r, t, pk, _sum in ledger_entries(conn)]
            # (b) no row recorded twice, none for a revision that is not applied
            twice = [k for k, n in Counter((t, pk) for _r, t, pk in ledger).items() if n > 1]
            assert not twice, f"ledger records rows twice: {twice[:10]}"
            strays = Counter(r for r, _t, _pk in ledger if r not in applied)
            assert not strays, f"ledger rows of unapplied revisions {dict(strays)} (at {version})"
            for r, t, _pk in ledger:
                state.ledger.setdefault(str(r), {}).setdefault(t, 0)
                state.ledger[str(r)][t] += 1
            seeded: dict[str, set[int]] = {}
            for _r, t, pk in ledger:
                seeded.setdefault(t, set()).add(pk)
            # (b) every table: the ledger's rows are there, the rest are the application's
            for table in TERP_TABLES:
                ids = set(conn.execute(sa.text(f"SELECT id FROM `{table}`")).scalars())
                mine = seeded.get(table, set())
                gone = mine - ids
                assert not gone, f"{table}: ledger rows missing from the table: {sorted(gone)[:10]}"
                others = ids - mine
                expected = app.get(table, set())
                assert others == expected, (
                    f"{table}: rows outside the ledger {_sample(others - expected)} "
                    f"(application rows missing: {_sample(expected - others)})"
                )
            # (b) each applied revision holds exactly what its audited step inserted
            for revision in applied:
                if not plan_runs_in(revision, env):
                    assert revision not in state.ledger, f"{revision} seeded in {env}"
                    continue
                inserted = _audited_rows(conn, revision)
                if inserted is not None:
                    assert state.ledger.get(revision, {}) == inserted, (
                        f"{revision}: ledger {state.ledger.get(revision)} != audited {inserted}"
                    )
            # (b) no orphan
            orphans = _orphans(conn)
            assert not orphans, f"rows reference missing parents: {orphans}"
            free = conn.execute(sa.text("SELECT IS_FREE_LOCK(:n)"), {"n": lock_name(eng)})
            assert free.scalar() == 1, "the seed lock is still held"
        return state
    finally:
        eng.dispose()


def _sample(ids: Iterable[int]) -> str:
    items = sorted(ids)
    return f"{items[:10]}{' ...' if len(items) > 10 else ''} ({len(items)})"


def _audited_rows(conn: sa.Connection, revision: str) -> dict[str, int] | None:
    """Rows per table the latest successful upgrade of ``revision`` inserted (audit trail)."""
    row = conn.execute(
        sa.text(
            "SELECT `rows` FROM terp_seed_audit WHERE revision = :r AND direction = 'upgrade' "
            "AND outcome = 'applied' ORDER BY id DESC LIMIT 1"
        ),
        {"r": revision},
    ).scalar()
    if row is None:
        return None
    return {t: int(n) for t, n in json.loads(row).items() if n}


def _orphans(conn: sa.Connection) -> dict[str, int]:
    found = {}
    for rel in relations():
        if rel.child_table not in metadata.tables or rel.parent_table not in metadata.tables:
            continue
        n = conn.execute(
            sa.text(
                f"SELECT COUNT(*) FROM `{rel.child_table}` c "
                f"WHERE c.`{rel.child_column}` IS NOT NULL AND NOT EXISTS ("
                f"SELECT 1 FROM `{rel.parent_table}` p "
                f"WHERE p.`{rel.parent_column}` = c.`{rel.child_column}`)"
            )
        ).scalar_one()
        if n:
            found[f"{rel.child_table}.{rel.child_column}->{rel.parent_table}"] = int(n)
    return found


def assert_rerun_completes(
    url: str, *extra: str, size: str = "small", app_rows: AppRows | None = None
) -> Result:
    """Check (c): a plain re-run completes, and leaves (a) and (b) true at head."""
    result = run_alembic(url, "-n", "seed", "-x", f"size={size}", *extra, "upgrade", "head")
    assert result.code == 0 and not result.failure, result.out + result.err[-3000:]
    assert "Traceback" not in result.err
    assert_consistent(url, expect=head(), app_rows=app_rows)
    return result


def assert_three_checks(
    url: str, *, expect: object = ANY, app_rows: AppRows | None = None, size: str = "small"
) -> State:
    """(a), (b) and (c), in that order; returns the state before the re-run."""
    state = assert_consistent(url, expect=expect, app_rows=app_rows)
    assert_rerun_completes(url, size=size, app_rows=app_rows)
    return state


# --- processes ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """How one seed process ended."""

    argv: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def failed_lines(self) -> list[str]:
        return [ln for ln in (self.out + self.err).splitlines() if ln.startswith("FAILED")]

    def assert_clean_failure(self, *fragments: str) -> str:
        """Non-zero exit, exactly one ``FAILED:`` line containing ``fragments``, no traceback."""
        text = self.out + self.err[-3000:]
        assert self.code != 0, f"expected a failure: {text}"
        assert "Traceback" not in self.err, self.err[-3000:]
        assert len(self.failed_lines) == 1, text
        line = self.failed_lines[0]
        for fragment in fragments:
            assert fragment in line, f"{fragment!r} not in {line!r}"
        return line

    def assert_ok(self) -> None:
        assert self.code == 0 and not self.failed_lines, self.out + self.err[-3000:]
        assert "Traceback" not in self.err, self.err[-3000:]


def seed_process(url: str, *args: str, env: dict[str, str] | None = None) -> Any:
    """``alembic -n seed ARGS`` as its own process."""
    return spawn(url, "alembic", "-n", "seed", *args, env=env)


def finish(proc: Any, timeout: float = 300) -> Outcome:
    """Wait for a spawned process (killing it after ``timeout``) and collect its output."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(
            f"process {proc.args} did not end in {timeout}s: {err[-2000:]}"
        ) from None
    return Outcome(tuple(proc.args), proc.returncode, out, err)


def stop(proc: Any) -> None:
    """Make sure a spawned process is gone (used in ``finally``)."""
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def wait_for(
    predicate: Callable[[], object],
    what: str,
    *,
    timeout: float = 60,
    proc: Any = None,
    every: float = 0.05,
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"process ended ({proc.returncode}) before {what}: {out}{err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def sessions(eng: sa.Engine, *, like: str | None = None) -> list[tuple[int, str, str]]:
    """(id, state, statement) of the other sessions on this database."""
    with eng.connect() as conn:
        own = conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar()
        rows = conn.execute(
            sa.text(
                "SELECT ID, COALESCE(STATE, ''), COALESCE(INFO, '') "
                "FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> :own"
            ),
            {"own": own},
        ).all()
    out = [(int(i), str(s), str(q)) for i, s, q in rows]
    if like is not None:
        out = [s for s in out if like.lower() in s[2].lower()]
    return out


def audit_rows(eng: sa.Engine) -> list[dict[str, Any]]:
    with eng.connect() as conn:
        if not sa.inspect(conn).has_table("terp_seed_audit"):
            return []
        rows = conn.execute(sa.text("SELECT * FROM terp_seed_audit ORDER BY id")).mappings()
        return [dict(r) for r in rows]


def applied_count(eng: sa.Engine) -> int:
    """How many revisions the seed lineage has committed so far (polling helper)."""
    with eng.connect() as conn:
        return len(applied_revisions(current_version(conn)))

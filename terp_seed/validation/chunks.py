"""Row-local integrity rules checked chunk by chunk, right after each chunk is written.

After a step, the rules look again at every row it wrote (:func:`check_seeded`). For a table of
a million rows that is a second pass over a table larger than the buffer pool, read back from
disk: 7-8 s for 1,000,000 clients on a 128 MiB pool, against about 1 s while the rows are
still in memory. So the loader's worker runs a table's row-local rules (:attr:`Rule.condition`:
a reference, an enum value, a sign) over each chunk it has just written, by key range, and
keeps the keys that break one. :func:`check_seeded` then takes those keys instead of scanning
again. A reference may name a row a later chunk writes (a client referred by a client seeded
after it), so the keys a reference rule found are candidates, looked at again after the step;
the other row-local rules look at the row alone, which the step does not change again.

A reference the live database enforces (a FOREIGN KEY on that column, ``foreign_key_checks``
on) is not looked up again: InnoDB refused any row breaking it when the row went in.

A table with a chunk that was not checked this way (keys that are not one range) is scanned
after the step as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from terp_seed.db.dialects import dialect_of
from terp_seed.schema import metadata, relations
from terp_seed.validation import queries as q
from terp_seed.validation.rule import Rule
from terp_seed.validation.rules import RULES

KEYS_PER_QUERY = 1000


RunFn = Callable[[sa.Connection, dict[str, int]], Iterable[Sequence[Any]]]
_RUNS: dict[tuple[str, bool, str, tuple[Rule, ...], bool], RunFn] = {}  # see ChunkFindings._plan


def _exists_to_in(conn: sa.Connection) -> bool:
    """Whether MariaDB's ``exists_to_in`` is on for this session (read once per connection).

    It turns ``NOT EXISTS (parent with that key)`` into ``NOT IN (every parent key)``, which
    reads the whole parent table: once for a scan after the step, but per chunk it made each
    check slower than the last (0.4 s growing to 1.2 s per 20,000 order lines).
    """
    if "terp_seed_exists_to_in" not in conn.info:
        conn.info["terp_seed_exists_to_in"] = dialect_of(conn).exists_to_in(conn)
    return bool(conn.info["terp_seed_exists_to_in"])


def _switched_off(conn: sa.Connection, query: sa.Select[Any]) -> RunFn:
    """``run(conn, params)``: ``query`` under ``SET STATEMENT optimizer_switch=
    'exists_to_in=off' FOR ...`` (the session keeps its own switch), compiled here once and
    run with each chunk's parameters."""
    compiled = query.compile(conn, compile_kwargs={"render_postcompile": True})
    sql = "SET STATEMENT optimizer_switch='exists_to_in=off' FOR " + str(compiled)
    fixed = dict(compiled.params)
    return lambda conn, params: conn.exec_driver_sql(sql, {**fixed, **params})


def _plain(query: sa.Select[Any]) -> RunFn:
    return lambda conn, params: conn.execute(query, params)


def enforced_references(conn: sa.Connection, table: str) -> set[str]:
    """Names of ``table``'s reference rules that the live database enforces for the rows this
    session inserts: a FOREIGN KEY on exactly that column and parent, with
    ``foreign_key_checks`` on. (MySQL/MariaDB; on SQLite every rule is run.)"""
    if not dialect_of(conn).enforces_foreign_keys(conn):
        return set()
    live = {
        (fk["constrained_columns"][0], fk["referred_table"], fk["referred_columns"][0])
        for fk in sa.inspect(conn).get_foreign_keys(table)
        if len(fk["constrained_columns"]) == 1 and len(fk["referred_columns"]) == 1
    }
    return {
        f"fk:{rel.child_table}.{rel.child_column}"
        for rel in relations()
        if rel.child_table == table
        and (rel.child_column, rel.parent_table, rel.parent_column) in live
    }


class ChunkFindings:
    """The keys each row-local rule found, chunk by chunk, for one loader's rows."""

    def __init__(self, rules: Sequence[Rule] = RULES) -> None:
        self._rules: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.condition is not None:
                self._rules.setdefault(rule.table, []).append(rule)
        self._plans: dict[str, tuple[list[Rule], RunFn | None]] = {}
        self._found: dict[str, list[int]] = {}
        self._checked: set[str] = set()
        self._unchecked: set[str] = set()

    def check(self, conn: sa.Connection, table: str, first: int, last: int) -> None:
        """Run ``table``'s row-local rules over its rows ``first..last`` (one query)."""
        if table not in self._plans:
            self._plans[table] = self._plan(conn, table)
        rules, run = self._plans[table]
        if run is not None:
            for row in run(conn, {"chunk_first": first, "chunk_last": last}):
                for i, rule in enumerate(rules):
                    if row[i + 1]:
                        self._found.setdefault(rule.name, []).append(int(row[0]))
        self._checked.add(table)

    def _plan(self, conn: sa.Connection, table: str) -> tuple[list[Rule], RunFn | None]:
        """``table``'s rules to run and their query (for every chunk of it). The query is
        built and compiled once per process for each set of rules (6 ms a table): a seed
        step's loader has findings of its own, and so does every step."""
        enforced = enforced_references(conn, table)
        rules = [r for r in self._rules.get(table, []) if r.name not in enforced]
        if not rules:
            return rules, None
        # looked up by key: on MariaDB without exists_to_in (see _exists_to_in)
        switched = any(r.name.startswith("fk:") for r in rules) and _exists_to_in(conn)
        dialect = conn.dialect
        key = (dialect.name, getattr(dialect, "is_mariadb", False), table, tuple(rules), switched)
        run = _RUNS.get(key)
        if run is None:
            t = metadata.tables[table]
            conditions = [r.condition for r in rules if r.condition is not None]
            span = t.c.id.between(sa.bindparam("chunk_first", 0), sa.bindparam("chunk_last", 0))
            query = q.row_tests(table, conditions, None).where(span)
            run = _RUNS[key] = _switched_off(conn, query) if switched else _plain(query)
        return rules, run

    def skip(self, table: str) -> None:
        """A chunk of ``table`` was written without :meth:`check`: scan it after the step."""
        self._unchecked.add(table)

    def covers(self, rule: Rule) -> bool:
        """Whether every chunk of the rule's table went through :meth:`check`."""
        return (
            rule.condition is not None
            and rule.table in self._checked
            and rule.table not in self._unchecked
        )

    def keys(self, conn: sa.Connection, rule: Rule) -> list[int]:
        """Keys of the rows that break ``rule`` now: every candidate is looked at again, since a
        rule may name rows of its own or another table that a later chunk wrote (a reference,
        a supplier's profile written after its vendor)."""
        found = sorted(self._found.get(rule.name, []))
        if not found:
            return found
        t = metadata.tables[rule.table]
        still: list[int] = []
        for start in range(0, len(found), KEYS_PER_QUERY):
            part = found[start : start + KEYS_PER_QUERY]
            query = rule.query(None).where(t.c.id.in_(part))
            still.extend(int(k) for k in conn.execute(query).scalars())
        return sorted(still)

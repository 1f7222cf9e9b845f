"""Running the rules: over the whole database, one table, or the rows one seed step wrote."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa

from terp_seed.console.jsonlogs import scrub
from terp_seed.errors import ConfigError, TerpSeedError, ValidationFailed
from terp_seed.schema import TERP_TABLES
from terp_seed.store.ledger import Scope
from terp_seed.validation import queries as q
from terp_seed.validation.chunks import ChunkFindings
from terp_seed.validation.queries import QueryFn, Seeded
from terp_seed.validation.rule import RowCheckFn, Rule
from terp_seed.validation.rules import RULES

log = logging.getLogger(__name__)
SAMPLE_KEYS = 10


@dataclass(frozen=True)
class RuleResult:
    """What one rule found: how many rows break it and up to ten of their keys.

    For a scoped run, ``seeded_violations`` / ``seeded_sample`` count the breaking rows that the
    scope itself seeded; the rest are rows it only touched (reported as warnings).
    """

    rule: Rule
    violations: int
    sample: tuple[int, ...]
    seeded_violations: int = 0
    seeded_sample: tuple[int, ...] = ()

    @property
    def failed(self) -> bool:
        """True when at least one row breaks the rule."""
        return self.violations > 0

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "rule": self.rule.name,
            "table": self.rule.table,
            "description": self.rule.description,
            "violations": self.violations,
            "sample_keys": list(self.sample),
        }

    def describe(self) -> str:
        """``rule: N row(s) of table (keys 1, 2, 3)``."""
        keys = ", ".join(map(str, self.sample))
        more = ", ..." if self.violations > len(self.sample) else ""
        return (
            f"{self.rule.name}: {self.violations} row(s) of {self.rule.table} (keys {keys}{more})"
        )


def select_rules(table: str | None = None) -> list[Rule]:
    """All rules, or those looking at rows of ``table``.

    :raises ConfigError: ``table`` is not one of TERP's tables.
    """
    if table is None:
        return list(RULES)
    if table not in TERP_TABLES:
        raise ConfigError(f"unknown table {table!r}: use one of {', '.join(TERP_TABLES)}")
    return [rule for rule in RULES if table in rule.tables]


def validate(
    conn: sa.Connection, *, table: str | None = None, scope: Scope | None = None
) -> list[RuleResult]:
    """Run every rule (or those about ``table``) and return one result per rule.

    :param scope: look only at the rows this ledger scope seeded and the rows they touch.
    """
    seeded = None if scope is None else _resolve(conn, scope)
    return run_rules(conn, select_rules(table), seeded)


def run_rule(conn: sa.Connection, rule: Rule, scope: Scope | None = None) -> RuleResult:
    """Run one rule on its own; with a scope, also tell which breaking rows the scope seeded."""
    seeded = None if scope is None else _resolve(conn, scope)
    return _result(conn, rule, _keys_of(conn, rule, seeded), seeded)


def run_rules(
    conn: sa.Connection,
    rules: Sequence[Rule],
    seeded: Seeded | None,
    known: dict[str, list[int]] | None = None,
) -> list[RuleResult]:
    """Run ``rules`` set-based: a table's row-local rules in one scan, rules sharing a query
    (:attr:`Rule.batch`) in one pass, the rest one query each. One result per rule, in order.
    ``known``: rules whose breaking keys are already known (checked chunk by chunk)."""
    found: dict[str, list[int]] = dict(known or {})
    row_local: dict[str, list[Rule]] = {}
    batches: dict[QueryFn, list[Rule]] = {}
    unique_indexes: dict[str, set[str]] = {}
    for rule in rules:
        if rule.name in found:
            continue
        if rule.unique_column is not None and rule.unique_column in _unique_indexed(
            conn, rule.table, unique_indexes
        ):
            found[rule.name] = []  # the database refuses duplicates itself
        elif rule.condition is not None:
            row_local.setdefault(rule.table, []).append(rule)
        elif rule.batch is not None:
            batches.setdefault(rule.batch.query, []).append(rule)
        else:
            found[rule.name] = _keys_of(conn, rule, seeded)
    for table, group in row_local.items():
        conditions = [r.condition for r in group if r.condition is not None]
        flags = [_flag(i + 1) for i in range(len(group))]
        _run_together(conn, group, partial(q.row_tests, table, conditions, seeded), flags, found)
    for query, group in batches.items():
        checks = [r.batch.check for r in group if r.batch is not None]
        _run_together(conn, group, partial(query, seeded), checks, found, seeded)
    return [_result(conn, rule, found[rule.name], seeded) for rule in rules]


def _unique_indexed(conn: sa.Connection, table: str, cache: dict[str, set[str]]) -> set[str]:
    """Columns of ``table`` that carry a single-column UNIQUE index in the live database."""
    if table not in cache:
        try:
            inspector = sa.inspect(conn)
            found: list[Sequence[str | None]] = [
                *(i["column_names"] for i in inspector.get_indexes(table) if i["unique"]),
                *(u["column_names"] for u in inspector.get_unique_constraints(table)),
            ]
        except sa.exc.DBAPIError:  # the table's own rules will say what is wrong
            found = []
        cache[table] = {str(cols[0]) for cols in found if len(cols) == 1 and cols[0]}
    return cache[table]


def _flag(index: int) -> RowCheckFn:
    return lambda row: bool(row[index])


def _run_together(
    conn: sa.Connection,
    group: list[Rule],
    build: Callable[[], sa.Select[Any]],
    checks: list[RowCheckFn],
    found: dict[str, list[int]],
    seeded: Seeded | None = None,
) -> None:
    """One query for ``group``; row ``r`` breaks ``group[i]`` when ``checks[i](r)``."""
    keys: list[list[int]] = [[] for _ in group]
    try:
        query = build()
        for row in conn.execute(_streamed(query)):
            for i, check in enumerate(checks):
                if check(row):
                    keys[i].append(int(row[0]))
    except sa.exc.DBAPIError:
        # Run them one by one: the rule that cannot run is then named in the error.
        for rule in group:
            found[rule.name] = _keys_of(conn, rule, seeded)
        return
    for rule, mine in zip(group, keys, strict=True):
        found[rule.name] = mine


def _streamed(query: sa.Select[Any]) -> sa.Select[Any]:
    """``query`` by key, its rows streamed from the server (an unbuffered cursor): a rule that
    checks every new row in Python (an order's ``items`` against its lines) then holds one
    batch of them in memory, not all of them."""
    return query.order_by(query.selected_columns[0]).execution_options(stream_results=True)


def _resolve(conn: sa.Connection, scope: Scope) -> Seeded:
    try:
        return q.resolve(conn, scope)
    except sa.exc.DBAPIError as exc:
        raise _cannot_run("(the ledger)", exc) from exc


def _cannot_run(name: str, exc: sa.exc.DBAPIError) -> TerpSeedError:
    reason = scrub(str(exc.orig).splitlines()[0]) if exc.orig else type(exc).__name__
    return TerpSeedError(
        f"integrity rule {name} could not run: {reason}; is the schema at its head "
        "(alembic upgrade head)?"
    )


def _keys_of(conn: sa.Connection, rule: Rule, seeded: Seeded | None) -> list[int]:
    try:
        query = rule.query(seeded)
        return [
            int(row[0])
            for row in conn.execute(_streamed(query))
            if rule.check is None or rule.check(row)
        ]
    except sa.exc.DBAPIError as exc:
        raise _cannot_run(rule.name, exc) from exc


def _result(conn: sa.Connection, rule: Rule, keys: list[int], seeded: Seeded | None) -> RuleResult:
    sample = tuple(keys[:SAMPLE_KEYS])
    if seeded is None:
        return RuleResult(rule, len(keys), sample)
    mine = seeded.among(rule.table, keys)
    return RuleResult(rule, len(keys), sample, len(mine), tuple(mine[:SAMPLE_KEYS]))


def check_seeded(
    conn: sa.Connection | None, scope: Scope, chunks: ChunkFindings | None = None
) -> list[RuleResult]:
    """After a seed step, in its transaction: run the rules over the rows ``scope`` seeded.

    ``chunks``: what the loader's chunk-by-chunk checks found (:mod:`.chunks`); the row-local
    rules of every table they covered are not run again.

    Rows the step seeded that break a rule raise :class:`ValidationFailed`, so the step's
    transaction rolls back. Broken rows the step only touched (an existing invoice its payments
    point at) are logged as warnings and left as they are. Offline (``conn`` None) it does
    nothing: there is no database to ask.
    """
    if conn is None:
        return []
    seeded = _resolve(conn, scope)
    rules = [r for r in RULES if seeded.tables & set(r.tables)]
    known = {}
    if chunks is not None:
        try:
            known = {r.name: chunks.keys(conn, r) for r in rules if chunks.covers(r)}
        except sa.exc.DBAPIError as exc:
            raise _cannot_run("(a reference found by the chunk checks)", exc) from exc
    results = run_rules(conn, rules, seeded, known)
    for res in results:
        others = res.violations - res.seeded_violations
        if others:
            log.warning(
                "integrity rule %s: %d existing row(s) of %s that %s did not write break it "
                "(left as they are): keys %s",
                res.rule.name,
                others,
                res.rule.table,
                scope.describe(),
                [k for k in res.sample if k not in res.seeded_sample],
                extra={"rule": res.rule.name, "table": res.rule.table},
            )
    failed = [r for r in results if r.seeded_violations]
    if failed:
        raise ValidationFailed(_failure_message(scope, failed), failed)
    return results


def _failure_message(scope: Scope, failed: list[RuleResult]) -> str:
    parts = [
        f"{r.rule.name} on {r.rule.table} {', '.join(map(str, r.seeded_sample))}"
        + (", ..." if r.seeded_violations > len(r.seeded_sample) else "")
        for r in failed
    ]
    return (
        f"rows seeded by {scope.describe()} break {len(failed)} integrity rule(s): "
        f"{'; '.join(parts)}; its transaction was rolled back and nothing of it was written. "
        "Fix the factory that produced them (rules: docs/validation.md)"
    )

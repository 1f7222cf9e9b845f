"""Running the rules: over the whole database, one table, or the rows one seed step wrote."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from terp_seed import ledger
from terp_seed.bookkeeping import ledger as ledger_table
from terp_seed.errors import ConfigError, TerpSeedError, ValidationFailed
from terp_seed.jsonlogs import scrub
from terp_seed.ledger import Scope
from terp_seed.schema import TERP_TABLES
from terp_seed.validation.rules import RULES, Rule

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
    return [run_rule(conn, rule, scope) for rule in select_rules(table)]


def run_rule(conn: sa.Connection, rule: Rule, scope: Scope | None = None) -> RuleResult:
    """Run one rule; with a scope, also tell which breaking rows the scope seeded."""
    try:
        keys = _violating_keys(conn, rule, scope)
        if scope is None:
            return _summarise(rule, keys)
        found = list(keys)
        mine = _seeded_among(conn, scope, rule.table, found)
    except sa.exc.DBAPIError as exc:
        reason = scrub(str(exc.orig).splitlines()[0]) if exc.orig else type(exc).__name__
        raise TerpSeedError(
            f"integrity rule {rule.name} could not run: {reason}; is the schema at its head "
            "(alembic upgrade head)?"
        ) from exc
    return RuleResult(
        rule, len(found), tuple(found[:SAMPLE_KEYS]), len(mine), tuple(mine[:SAMPLE_KEYS])
    )


def _violating_keys(conn: sa.Connection, rule: Rule, scope: Scope | None) -> Iterator[int]:
    query = rule.query(scope)
    for row in conn.execute(query.order_by(query.selected_columns[0])):
        if rule.check is None or rule.check(row):
            yield int(row[0])


def _summarise(rule: Rule, keys: Iterator[int]) -> RuleResult:
    sample: list[int] = []
    count = 0
    for key in keys:
        count += 1
        if len(sample) < SAMPLE_KEYS:
            sample.append(key)
    return RuleResult(rule, count, tuple(sample))


def _seeded_among(conn: sa.Connection, scope: Scope, table: str, keys: Sequence[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(keys), 1000):
        chunk = list(keys[start : start + 1000])
        rows = conn.execute(
            sa.select(ledger_table.c.row_pk).where(
                scope.where(), ledger_table.c.table_name == table, ledger_table.c.row_pk.in_(chunk)
            )
        )
        found.extend(int(pk) for pk in rows.scalars())
    return sorted(found)


def check_seeded(conn: sa.Connection | None, scope: Scope) -> list[RuleResult]:
    """After a seed step, in its transaction: run the rules over the rows ``scope`` seeded.

    Rows the step seeded that break a rule raise :class:`ValidationFailed`, so the step's
    transaction rolls back. Broken rows the step only touched (an existing invoice its payments
    point at) are logged as warnings and left as they are. Offline (``conn`` None) it does
    nothing: there is no database to ask.
    """
    if conn is None:
        return []
    tables = set(ledger.counts(conn, scope))
    results = [run_rule(conn, r, scope) for r in RULES if tables & set(r.tables)]
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

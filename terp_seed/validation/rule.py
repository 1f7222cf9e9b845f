"""What an integrity rule is: :class:`Rule` (which rows it is about, the query that finds the
bad ones, where in TERP's code it comes from) and the helpers rule modules build rules with.

The rules themselves are data in :mod:`terp_seed.validation.rules` (the list every check runs)
and the modules it gathers them from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from terp_seed.validation import queries as q
from terp_seed.validation.queries import ConditionFn, QueryFn

RowCheckFn = Callable[[Sequence[Any]], bool]
"""Given one row of a rule's query, True when that row breaks the rule (Python-side rules)."""


@dataclass(frozen=True)
class Batch:
    """Rules decided over the rows of one shared query (run once for all of them).

    :param query: a SELECT whose first column is the key, one row per candidate.
    :param check: True when the fetched row breaks this rule.
    """

    query: QueryFn
    check: RowCheckFn


@dataclass(frozen=True)
class Rule:
    """One integrity rule: which rows it is about and the query that finds the bad ones.

    :param table: the table whose primary keys the query returns.
    :param also: other tables whose rows take part (their seeded rows bring a key in scope).
    :param check: for rules decided in Python, the test each fetched row must fail.
    :param condition: for row-local rules, the SQL condition a breaking row of ``table`` meets;
        the runner checks all of a table's row-local rules in one scan.
    :param batch: for rules sharing their work with others, the shared query and this rule's
        test of its rows. Run alone (:attr:`query`), a rule finds the same rows.
    :param unique_column: for a ``unique:`` rule, its column: while the live table has a UNIQUE
        index on exactly that column the database itself refuses duplicates, and the query is
        not needed (it runs as soon as the index is missing).
    :param source: where in TERP's code (EvanTenenbaum/TERP at b2e16915) the rule comes from,
        ``"server/ordersDb.ts:178"``; empty for rules the schema itself states.
    """

    name: str
    table: str
    description: str
    query: QueryFn
    also: tuple[str, ...] = ()
    check: RowCheckFn | None = None
    condition: ConditionFn | None = None
    batch: Batch | None = None
    unique_column: str | None = None
    source: str = ""

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table whose rows this rule looks at, its key table first."""
        return (self.table, *self.also)


def row_rule(name: str, table: str, description: str, condition: ConditionFn) -> Rule:
    """A rule about single rows of ``table``: those meeting ``condition`` break it."""
    return Rule(name, table, description, q.row_condition(table, condition), condition=condition)

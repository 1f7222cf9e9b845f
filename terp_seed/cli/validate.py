"""``terp-seed validate``: run every integrity rule over the database (or one table) and report.

Exit code 0 when every rule holds, 1 when any row breaks one, 2 for a bad argument.
"""

from __future__ import annotations

import argparse

import sqlalchemy as sa

from terp_seed.cli.common import Subparsers, database_url, print_json
from terp_seed.console import output
from terp_seed.db.engine import connect, make_engine
from terp_seed.db.url import redact
from terp_seed.errors import TerpSeedError
from terp_seed.validation.runner import RuleResult, select_rules, validate


def register(sub: Subparsers) -> None:
    """Add the ``validate`` command to the ``terp-seed`` subcommands."""
    p = sub.add_parser("validate", help="check the integrity rules over the database")
    p.add_argument("--table", help="only the rules about rows of this table")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    """Run the rules and print a summary per rule; non-zero exit when any rule fails."""
    rules = select_rules(args.table)  # a bad --table fails before connecting
    url = database_url(args)
    with connect(make_engine(url)) as conn, conn.begin():  # one snapshot for every rule
        _require_tables(conn, {t for rule in rules for t in rule.tables})
        results = validate(conn, table=args.table)
    failed = [r for r in results if r.failed]
    if args.json:
        print_json(
            {
                "database": redact(url),
                "table": args.table,
                "rules": len(results),
                "failed": len(failed),
                "results": [r.to_dict() for r in results],
            }
        )
    else:
        _print_summary(results)
    return 1 if failed else 0


def _require_tables(conn: sa.Connection, needed: set[str]) -> None:
    missing = sorted(needed - set(sa.inspect(conn).get_table_names()))
    if missing:
        raise TerpSeedError(
            f"cannot validate: table(s) {', '.join(missing)} missing from the database; run "
            "the schema migrations (alembic upgrade head) first"
        )


def _print_summary(results: list[RuleResult]) -> None:
    width = max((len(r.rule.name) for r in results), default=0)
    for r in results:
        if r.failed:
            keys = ", ".join(map(str, r.sample))
            more = ", ..." if r.violations > len(r.sample) else ""
            output.say(
                f"FAIL {r.rule.name:<{width}}  {r.violations:>6,} row(s) of {r.rule.table}: "
                f"{keys}{more}"
            )
        else:
            output.say(f"ok   {r.rule.name}")
    failed = [r for r in results if r.failed]
    rows = sum(r.violations for r in failed)
    output.say(
        f"{len(results)} rule(s), {len(failed)} failed"
        + (f" ({rows:,} row(s)); see docs/validation.md" if failed else "")
    )

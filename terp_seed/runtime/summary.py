"""The end-of-run summary: what each step did, rows per table."""

from __future__ import annotations

from terp_seed.console import output
from terp_seed.runtime.run import SeedRun


def print_summary(run: SeedRun) -> None:
    """Print one line per step and the totals per table (to stdout)."""
    if not run.results:
        output.say(f"terp-seed: nothing to do (run {run.run_id}, env {run.options.env})")
        return
    verb = "would change" if run.options.dry_run else "changed"
    about = [f"env {run.options.env}"]
    if any(r.direction == "upgrade" for r in run.results):  # a downgrade generates nothing
        about += [
            f"size {run.options.size.name}",
            f"seed {run.options.seed}",
            f"as of {run.options.as_of}",
        ]
    if run.options.dry_run:
        about.append("DRY RUN: nothing was written")
    output.say(f"terp-seed run {run.run_id} ({', '.join(about)})")
    totals: dict[str, int] = {}
    for r in run.results:
        rows = ", ".join(f"{t} {n:+,}" for t, n in r.rows.items() if n) or "no rows"
        output.say(f"  {r.direction:<9} {r.revision or 'ad-hoc':<28} {r.outcome:<18} {rows}")
        if r.detail and r.outcome not in ("applied", "rolled back"):
            output.say(f"            {r.detail}")
        for table, n in r.rows.items():
            totals[table] = totals.get(table, 0) + n
    if any(totals.values()):
        output.say(f"rows {verb} per table:")
        for table, n in totals.items():
            if n:
                output.say(f"  {table:<20} {n:+,}")

"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

A seed revision: ``plan`` says what it loads and where it may run; ``downgrade`` removes
exactly what ``upgrade`` inserted (see docs/migrations.md).
"""

from __future__ import annotations

from terp_seed.plan import CUSTOMER_ENVIRONMENTS, SeedPlan, load
from terp_seed.runtime.run import SeedRun
from terp_seed.seeding.apply import apply_plan, revert_plan

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}

plan = SeedPlan(
    revision,
    steps=[load("clients", count=50)],  # replace with this revision's steps
    environments=CUSTOMER_ENVIRONMENTS,
)


def upgrade(run: SeedRun) -> None:
    apply_plan(run, plan)


def downgrade(run: SeedRun) -> None:
    revert_plan(run, plan)

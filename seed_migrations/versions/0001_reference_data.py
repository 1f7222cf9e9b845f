"""Reference data: product categories and subcategories, grades, strains, workflow statuses.

Revision ID: 0001_reference_data
Revises:
Create Date: 2026-11-25

Runs in every environment, production included. Rows whose names already exist are left
alone; downgrade removes exactly the rows this revision inserted.
"""

from __future__ import annotations

from terp_seed.plan import ALL_ENVIRONMENTS, SeedPlan, load
from terp_seed.runtime.run import SeedRun
from terp_seed.seeding.apply import apply_plan, revert_plan

revision = "0001_reference_data"
down_revision = None
branch_labels = None
depends_on = None

plan = SeedPlan(
    revision,
    steps=[
        load("categories"),
        load("subcategories"),
        load("grades"),
        load("strains"),
        load("workflow_statuses"),
    ],
    environments=ALL_ENVIRONMENTS,
)


def upgrade(run: SeedRun) -> None:
    apply_plan(run, plan)


def downgrade(run: SeedRun) -> None:
    revert_plan(run, plan)

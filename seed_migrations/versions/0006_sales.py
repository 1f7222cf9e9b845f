"""Sales: orders with line items, invoices, payments, and supplier bills.

Revision ID: 0006_sales
Revises: 0005_inventory
Create Date: 2026-11-25

Customer-like data: runs in dev, test and staging only; in production it inserts nothing and
says so. Counts follow `-x size`; downgrade removes exactly the rows upgrade inserted.
"""

from __future__ import annotations

from terp_seed.plan import CUSTOMER_ENVIRONMENTS, SeedPlan, load
from terp_seed.runtime.run import SeedRun
from terp_seed.seeding.apply import apply_plan, revert_plan

revision = "0006_sales"
down_revision = "0005_inventory"
branch_labels = None
depends_on = None

plan = SeedPlan(
    revision,
    steps=[
        load("orders"),
        load("bills"),
    ],
    environments=CUSTOMER_ENVIRONMENTS,
)


def upgrade(run: SeedRun) -> None:
    apply_plan(run, plan)


def downgrade(run: SeedRun) -> None:
    revert_plan(run, plan)

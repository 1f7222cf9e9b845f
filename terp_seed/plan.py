"""The Python API for seed-revision authors: what a revision loads, as data.

    from terp_seed.plan import CUSTOMER_ENVIRONMENTS, SeedPlan, load
    from terp_seed.runtime.run import SeedRun
    from terp_seed.seeding.apply import apply_plan, revert_plan

    plan = SeedPlan(
        revision,
        steps=[load("clients"), load("products")],
        environments=CUSTOMER_ENVIRONMENTS,
    )

    def upgrade(run: SeedRun) -> None:
        apply_plan(run, plan)

    def downgrade(run: SeedRun) -> None:
        revert_plan(run, plan)

A plan is pure data, checked when the revision is imported. ``apply_plan`` loads each step's
rows (count from ``-x size`` unless given) with provenance; ``revert_plan`` removes exactly the
rows ``apply_plan`` inserted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from terp_seed.errors import ConfigError
from terp_seed.factories.registry import FACTORIES
from terp_seed.runtime.policy import ALL_ENVIRONMENTS, CUSTOMER_ENVIRONMENTS, check_environments

__all__ = ["ALL_ENVIRONMENTS", "CUSTOMER_ENVIRONMENTS", "STRATEGIES", "SeedPlan", "Step", "load"]

# delete: remove the ledger's rows; truncate: in dev, empty a table that holds nothing but this
# revision's rows in one statement (else as delete); none: keep the rows on downgrade.
STRATEGIES = ("delete", "truncate", "none")


@dataclass(frozen=True)
class Step:
    """Load rows from one factory; ``count`` overrides the size preset."""

    factory: str
    count: int | None = None


def load(factory: str, count: int | None = None) -> Step:
    """A step that loads ``count`` rows (default: the size preset) from ``factory``."""
    if factory not in FACTORIES:
        raise ConfigError(
            f"no factory named {factory!r}: use one of {', '.join(sorted(FACTORIES))}"
        )
    if count is not None and count < 0:
        raise ConfigError(f"load({factory!r}, count={count}): count must be >= 0")
    return Step(factory, count)


@dataclass(frozen=True)
class SeedPlan:
    """What one seed revision loads, where it may run, and how it is rolled back."""

    revision: str
    steps: tuple[Step, ...]
    environments: frozenset[str] = CUSTOMER_ENVIRONMENTS
    strategy: str = "delete"

    def __init__(
        self,
        revision: str,
        steps: Sequence[Step],
        environments: Collection[str] = CUSTOMER_ENVIRONMENTS,
        strategy: str = "delete",
    ) -> None:
        check_environments(revision, environments)
        if strategy not in STRATEGIES:
            raise ConfigError(
                f"seed revision {revision}: strategy {strategy!r} not valid: use "
                f"{', '.join(STRATEGIES)}"
            )
        object.__setattr__(self, "revision", revision)
        object.__setattr__(self, "steps", tuple(steps))
        object.__setattr__(self, "environments", frozenset(environments))
        object.__setattr__(self, "strategy", strategy)

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table this plan writes."""
        seen: dict[str, None] = {}
        for step in self.steps:
            for table in FACTORIES[step.factory].writes:
                seen[table] = None
        return tuple(seen)

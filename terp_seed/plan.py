"""The Python API for seed-revision authors: a revision reads like a short plan.

    plan = SeedPlan(
        revision,
        steps=[load("clients"), load("products")],
        environments=CUSTOMER_ENVIRONMENTS,
    )

    def upgrade(run: SeedRun) -> None:
        plan.upgrade(run)

    def downgrade(run: SeedRun) -> None:
        plan.downgrade(run)

``upgrade`` loads each step's rows (count from ``-x size`` unless given) with provenance;
``downgrade`` removes exactly the rows ``upgrade`` inserted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from terp_seed.errors import ConfigError
from terp_seed.runtime.options import ENVIRONMENTS

if TYPE_CHECKING:
    from terp_seed.runtime.run import SeedRun

ALL_ENVIRONMENTS = frozenset(ENVIRONMENTS)
CUSTOMER_ENVIRONMENTS = frozenset({"dev", "test", "staging"})
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
    from terp_seed.factories.registry import FACTORIES

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
        bad = sorted(set(environments) - ALL_ENVIRONMENTS)
        if bad or not environments:
            raise ConfigError(
                f"seed revision {revision}: environments {bad or '(none)'} not valid: use "
                f"{', '.join(ENVIRONMENTS)}"
            )
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
        from terp_seed.factories.registry import FACTORIES

        seen: dict[str, None] = {}
        for step in self.steps:
            for table in FACTORIES[step.factory].writes:
                seen[table] = None
        return tuple(seen)

    def upgrade(self, run: SeedRun) -> None:
        """Load this plan's rows (or nothing, if the environment does not allow it)."""
        from terp_seed.seeding.apply import apply_plan

        apply_plan(run, self)

    def downgrade(self, run: SeedRun) -> None:
        """Remove exactly the rows :meth:`upgrade` inserted."""
        from terp_seed.seeding.apply import revert_plan

        revert_plan(run, self)

"""Every factory terp-seed knows, by name: what it writes and what parents it needs."""

from __future__ import annotations

from types import MappingProxyType

from terp_seed.factories import reference
from terp_seed.factories.base import FactorySpec


def _spec(name: str, fn: object, writes: tuple[str, ...] | None = None,
          needs: tuple[str, ...] = (), *, customer: bool = True, fixed: bool = False) -> FactorySpec:  # fmt: skip
    return FactorySpec(name, name, writes or (name,), needs, fn, customer, fixed)  # type: ignore[arg-type]


_SPECS = (
    _spec("categories", reference.categories, customer=False, fixed=True),
    _spec("subcategories", reference.subcategories, needs=("categories",), customer=False,
          fixed=True),  # fmt: skip
    _spec("grades", reference.grades, customer=False, fixed=True),
    _spec("strains", reference.strains, customer=False, fixed=True),
    _spec("workflow_statuses", reference.workflow_statuses, customer=False, fixed=True),
)
FACTORIES = MappingProxyType({s.name: s for s in _SPECS})

"""terp-seed: production-grade database seeding for TERP, run through Alembic.

Seed data lives in its own Alembic lineage (``alembic -n seed upgrade head``); this package
holds everything that lineage runs: the schema models, the run-time gate (lock, drift check,
environment policy), the factories, the bulk loader, the provenance ledger and the audit trail.
"""

from __future__ import annotations

__version__ = "0.1.0"

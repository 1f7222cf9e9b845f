"""Alembic env for the seed lineage (``alembic -n seed ...``).

As small as Alembic's stock env: everything it does (options, lock, schema gate, policy,
audit, dry-run, summary) lives in ``terp_seed.runtime.alembic_env`` where it is tested.
"""

from logging.config import fileConfig

from alembic import context

from terp_seed.runtime.alembic_env import run_seed_migrations

if context.config.config_file_name is not None and context.config.attributes.get(
    "configure_logger", True
):
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)

run_seed_migrations(context)

"""Alembic env for TERP's schema lineage (``alembic upgrade head``): the stock env, with the
database URL resolved by terp-seed and terp-seed's own bookkeeping tables left alone."""

from logging.config import fileConfig

from alembic import context

from terp_seed.db.engine import make_engine
from terp_seed.db.url import resolve_url
from terp_seed.runtime.drift import include_object
from terp_seed.schema import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = resolve_url(config.get_main_option("sqlalchemy.url"))


def run_migrations_offline() -> None:
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with make_engine(url).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_object=include_object,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

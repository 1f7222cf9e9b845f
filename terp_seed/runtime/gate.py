"""The gate every seed run passes before it writes: schema at head, no breaking drift."""

from __future__ import annotations

import logging
from collections.abc import Collection

import sqlalchemy as sa
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from terp_seed.errors import DriftError, SchemaNotAtHead
from terp_seed.runtime.drift import breaking, detect_drift
from terp_seed.runtime.options import RunOptions

log = logging.getLogger(__name__)
SCHEMA_SECTION = "alembic"


def schema_heads(config: Config) -> tuple[str, ...]:
    """Heads of the schema lineage (the ``[alembic]`` section of the same ini file)."""
    schema_cfg = Config(config.config_file_name, ini_section=SCHEMA_SECTION)
    if not schema_cfg.get_main_option("script_location"):
        return ()
    return tuple(ScriptDirectory.from_config(schema_cfg).get_heads())


def check_schema_head(conn: sa.Connection, config: Config) -> None:
    """Stop unless the schema lineage's version table is at its head."""
    heads = schema_heads(config)
    if not heads:
        return
    current = tuple(MigrationContext.configure(conn).get_current_heads())
    conn.commit()
    if set(current) != set(heads):
        raise SchemaNotAtHead(
            f"schema is at {', '.join(current) or 'no revision (empty database)'}, head is "
            f"{', '.join(heads)}: run `alembic upgrade head` first"
        )


def check_drift(conn: sa.Connection, seeded_tables: Collection[str], options: RunOptions) -> None:
    """Compare the live tables with the models; stop on breaking drift unless ``drift=warn``."""
    drifts = detect_drift(conn, seeded_tables)
    conn.commit()
    for d in drifts:
        if d.kind == "benign":
            log.info("benign schema drift: %s", d.describe(), extra={"drift": d.describe()})
    bad = breaking(drifts)
    if not bad:
        return
    listing = "; ".join(d.describe() for d in bad)
    if options.drift == "warn":
        log.warning("breaking schema drift ignored (-x drift=warn): %s", listing)
        return
    raise DriftError(
        f"schema drift in {len(bad)} place(s) the seeds depend on: {listing}; run the schema "
        "migrations (alembic upgrade head) or fix the database, then retry",
        bad,
    )

"""terp_seed.schema must match terp-schema.md: tables, columns, types, nullability, PII, keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from support.spec import SPEC_ENV, compare_spec, locate_spec, parse_spec

from terp_seed import schema

DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "shared" / "terp-schema.md"


@pytest.fixture(scope="module")
def spec_text() -> str:
    path = locate_spec(DEFAULT_SPEC)
    if not path.is_file():
        pytest.skip(
            f"terp-schema.md not found at {path} (set {SPEC_ENV} to override): the "
            "model-vs-spec check needs ../shared (absent in a user's clone)"
        )
    return path.read_text(encoding="utf-8")


def test_model_matches_spec(spec_text: str) -> None:
    spec = parse_spec(spec_text)
    problems = compare_spec(spec, schema.metadata)
    assert not problems, f"model and spec disagree ({len(problems)}):\n  " + "\n  ".join(problems)
    assert list(spec) == list(schema.metadata.tables)
    assert sorted(schema.TERP_TABLES) == sorted(spec)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "| openId | varchar(64) |",
            "| openId | varchar(65) |",
            "users.openId: type: spec varchar(65), model varchar(64)",
        ),
        (
            "| cogsMode | enum('FIXED','RANGE') |",
            "| cogsMode | enum('RANGE','FIXED') |",
            "batches.cogsMode: type: spec enum('RANGE','FIXED'), model enum('FIXED','RANGE')",
        ),
        (
            "| email | varchar(320) | null |  | email |  |\n| loginMethod",
            "| email | varchar(320) | NN |  | email |  |\n| loginMethod",
            "users.email: nullable: spec NN, model null",
        ),
        (
            "| wishlist | text | null |  | free_text |",
            "| wishlist | text | null |  | none |",
            "clients.wishlist: pii: spec none, model free_text",
        ),
        (
            "`client_id` → clients.id ON DELETE CASCADE; `intake_event_id`",
            "`client_id` → clients.id ON DELETE RESTRICT; `intake_event_id`",
            "orders.client_id: DB FK: spec clients.id ON DELETE RESTRICT "
            "(orders_client_id_clients_id_fk), model clients.id ON DELETE CASCADE "
            "(orders_client_id_clients_id_fk)",
        ),
    ],
)
def test_checker_reports_exactly_the_changed_fact(
    spec_text: str, old: str, new: str, expected: str
) -> None:
    assert spec_text.count(old) == 1, f"test fixture no longer unique in the spec: {old!r}"
    problems = compare_spec(parse_spec(spec_text.replace(old, new)), schema.metadata)
    assert problems == [expected]


def test_types_create_no_check_constraints() -> None:
    """BOOLEAN and ENUM must not add CHECKs (TERP has none); ENUMs are native on MySQL."""
    for table in schema.metadata.tables.values():
        for column in table.columns:
            type_ = column.type
            if isinstance(type_, sa.Boolean | sa.Enum):
                assert type_.create_constraint is False, f"{table.name}.{column.name}"
            if isinstance(type_, sa.Enum):
                assert type_.native_enum and type_.name == f"{table.name}_{column.name}"

"""The before-insert check tests a chunk column by column (a maximum length, a set of enum
values, the extremes of a range) and only falls back to value by value for a column it cannot
clear: it must never clear a column holding a value the per-value test refuses, and it must
name the same first misfit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from terp_seed.errors import SeedDataError
from terp_seed.validation.fit import ColumnFit, TableFit, describe_all, describe_type

NAIVE = dt.datetime(2020, 1, 1, 12, 0)
CASES: list[tuple[sa.types.TypeEngine[Any], list[Any]]] = [
    (sa.Enum("A", "B"), ["A", "B", "C", "", 1, None, b"A"]),
    (sa.Boolean(), [0, 1, True, False, 2, -1, "1", 0.0]),
    (mysql.TINYINT(), [0, 127, 128, -128, -129, True, Decimal("3"), Decimal("3.5"), 1.0, "1"]),
    (mysql.INTEGER(unsigned=True), [0, -1, 2**32 - 1, 2**32, 7]),
    (sa.BigInteger(), [2**63 - 1, 2**63, -(2**63)]),
    (
        sa.Numeric(5, 2),
        [
            Decimal("999.99"),
            Decimal("999.995"),
            Decimal("-999.994"),
            Decimal("-999.995"),
            Decimal("1000"),
            999,
            1000,
            999.99,
            "12.5",
            Decimal("NaN"),
            Decimal("Infinity"),
            Decimal("-0.001"),
            True,
        ],
    ),
    (sa.TIMESTAMP(), [NAIVE, dt.datetime(1970, 1, 1), dt.datetime(2038, 1, 19, 3, 14, 8)]),
    (sa.TIMESTAMP(), [NAIVE, NAIVE.replace(tzinfo=dt.UTC), dt.date(2020, 1, 1)]),
    (sa.DateTime(), [NAIVE, dt.date(2020, 1, 1), "2020-01-01"]),
    (sa.Date(), [dt.date(2020, 1, 1), NAIVE, "x"]),
    (sa.String(3), ["abc", "abcd", "", 12, 1234, "é" * 3]),
    (mysql.TINYTEXT(), ["a" * 63, "a" * 64, "é" * 127, "é" * 128, 5]),
    (sa.JSON(), [{"a": 1}, [1], "x"]),
]


@pytest.mark.parametrize(("column_type", "values"), CASES, ids=[repr(c[0]) for c in CASES])
def test_whole_column_test_never_clears_a_value_the_per_value_test_refuses(
    column_type: sa.types.TypeEngine[Any], values: list[Any]
) -> None:
    _accepts, fits = describe_type(column_type, None)
    fits_all = describe_all(column_type, None)
    assert fits_all is not None
    present = [v for v in values if v is not None]
    for size in range(1, len(present) + 1):
        for start in range(len(present)):
            chunk = (present[start:] + present[:start])[:size]
            try:
                cleared = fits_all(chunk, set(map(type, chunk)))
            except (TypeError, ValueError, ArithmeticError):
                cleared = False
            if cleared:
                assert all(fits(v) for v in chunk), (column_type, chunk)


TYPICAL: list[tuple[sa.types.TypeEngine[Any], list[Any]]] = [
    (sa.Enum("A", "B"), ["A", "B", "A"]),
    (sa.Boolean(), [0, 1, True]),
    (mysql.TINYINT(), [0, 127, -128]),
    (sa.Numeric(5, 2), [Decimal("999.99"), Decimal("-12.30"), 7]),
    (sa.TIMESTAMP(), [NAIVE, dt.datetime(2038, 1, 19, 3, 14, 7)]),
    (sa.DateTime(), [NAIVE, dt.date(2020, 1, 1)]),
    (sa.String(3), ["abc", "", "é" * 3]),
    (mysql.TINYTEXT(), ["a" * 63, "é" * 60]),
]


@pytest.mark.parametrize(("column_type", "values"), TYPICAL, ids=[repr(c[0]) for c in TYPICAL])
def test_a_good_column_is_cleared_at_once(
    column_type: sa.types.TypeEngine[Any], values: list[Any]
) -> None:
    fits_all = describe_all(column_type, None)
    assert fits_all is not None and fits_all(values, set(map(type, values)))


def _fit(nullable: bool = True) -> TableFit:
    cols = {}
    for name, column_type in (("code", sa.String(3)), ("kind", sa.Enum("A", "B"))):
        accepts, fits = describe_type(column_type, None)
        cols[name] = ColumnFit(
            name, accepts, fits, nullable, False, describe_all(column_type, None)
        )
    return TableFit("t", cols)


def test_chunk_check_names_the_first_misfit_in_row_order() -> None:
    rows = [
        {"id": 1, "code": "abc", "kind": "A"},
        {"id": 2, "code": "abc", "kind": "Z"},  # first misfit: row 2, kind
        {"id": 3, "code": "abcd", "kind": "A"},
    ]
    table = _fit()
    table.columns["id"] = ColumnFit("id", "int", lambda v: True, False, False, None)
    with pytest.raises(SeedDataError, match=r"^t\.kind: value 'Z' .*; row id 2"):
        table.check(rows)
    table.check([{"id": 1, "code": None, "kind": "B"}])  # NULL where NULL is allowed
    strict = _fit(nullable=False)
    strict.columns["id"] = table.columns["id"]
    with pytest.raises(SeedDataError, match=r"^t\.code: value None .*NOT NULL.*; row id 5"):
        strict.check([{"id": 4, "code": "a", "kind": "A"}, {"id": 5, "code": None, "kind": "A"}])

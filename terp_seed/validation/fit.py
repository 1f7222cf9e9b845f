"""Before insert: does each generated value fit the live column it is going to?

:func:`live_chunk_check` builds the loader's :class:`~terp_seed.load.loader.ChunkCheckFn` from the
database itself: column types, lengths, enum values and nullability are reflected once per run
(per table, on its first chunk). A value that does not fit stops the step with one line::

    vendors.name: value 'AAAA…' (300 chars) does not fit (accepts varchar(255)); row id 16

instead of a driver traceback from the middle of a multi-row INSERT. SQLite keeps no enum values
and no lengths, so there the enum values come from :mod:`terp_seed.schema`, and lengths and
TIMESTAMP bounds are still enforced: the seeds are written for MySQL.

A chunk that goes in by ``LOAD DATA`` (``bulk=True``) is checked by the server itself: with
``LOCAL`` it reports every value that does not fit its column (too long, out of range, NULL in
a NOT NULL column, a bad date) as a warning, and every warning fails the load and the step. So
before such a chunk only its columns are checked, and the columns where the server would store
another value without a word (:attr:`ColumnFit.normalised`): an enum value in another case or
with trailing spaces; a NULL for a TIMESTAMP NOT NULL where ``explicit_defaults_for_timestamp``
is off. A chunk with a value of another type than its column's (a string in an integer, date
or boolean column, a time of day in a date column: :mod:`terp_seed.load.infile`) or a NULL key
gets the full check before it is sent, and when the server refuses a chunk the loader runs the
full check over it to name the value the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from types import NoneType
from typing import Any

import sqlalchemy as sa

from terp_seed.db.dialects import dialect_of
from terp_seed.errors import SeedDataError
from terp_seed.schema import metadata
from terp_seed.validation.types import ChunkCheckFn, Row

FitFn = Callable[[Any], bool]
AllFitFn = Callable[[list[Any], set[type]], bool]
"""Given a column's non-NULL values of a chunk and the set of their types (found once, for the
NULL test): True when every one of them certainly fits.
False means "look value by value" (the per-value test then finds and names the first misfit)."""
TIMESTAMP_MIN = dt.datetime(1970, 1, 1, 0, 0, 1)
TIMESTAMP_MAX = dt.datetime(2038, 1, 19, 3, 14, 7)
TEXT_BYTES = {"TINYTEXT": 255, "TEXT": 65_535, "MEDIUMTEXT": 16_777_215}
INT_BITS = {"TINYINT": 8, "SMALLINT": 16, "MEDIUMINT": 24, "INTEGER": 32, "INT": 32}


@dataclass(frozen=True)
class ColumnFit:
    """What one live column accepts: a test for non-NULL values and whether NULL is allowed."""

    name: str
    accepts: str
    fits: FitFn
    nullable: bool
    required: bool  # NOT NULL without a default: a row must give a value
    fits_all: AllFitFn | None = None  # the whole column of a chunk at once, where possible
    # the server takes some values this column refuses and stores another one without a
    # warning: an enum value in another case; NULL for a TIMESTAMP NOT NULL on some servers
    normalised: bool = False

    def fits_column(self, values: list[Any]) -> bool:
        """True when every one of ``values`` (NULLs included) certainly fits, tested at once;
        False means "look value by value" (:attr:`fits` then names the first misfit)."""
        if self.fits_all is None:
            return False
        # (``None in values`` compares each value with None: 0.08 µs a Decimal, 8x this)
        types = set(map(type, values))
        if NoneType in types:
            if not self.nullable:
                return False
            values = [v for v in values if v is not None]
            types.discard(NoneType)
        try:
            return not values or self.fits_all(values, types)
        except (TypeError, ValueError, ArithmeticError):  # mixed or odd values: one by one
            return False


class TableFit:
    """The live columns of one table, checked row by row."""

    def __init__(self, table: str, columns: Mapping[str, ColumnFit]) -> None:
        self.table = table
        self.columns = dict(columns)

    def check(self, rows: list[Row], *, bulk: bool = False) -> None:
        """Raise :class:`SeedDataError` at the first value that does not fit.

        Column by column first: each column's values of the chunk are tested at once (a
        maximum length, a set of enum values, the extremes of a range), which is where almost
        all the time of a good chunk goes. Only a column that this cannot clear is tested value
        by value, row by row, so the error names the same first misfit either way.

        ``bulk``: the rows go in by ``LOAD DATA``, whose warnings the server raises for every
        other misfit; only the rows' columns and the normalised (enum) columns are tested.
        """
        if not rows:
            return
        self._check_keys(rows[0])
        keys = [k for k in rows[0] if self.columns[k].normalised] if bulk else list(rows[0])
        unclear = [
            key
            for key in keys
            if not self.columns[key].fits_column(list(map(itemgetter(key), rows)))
        ]
        if unclear:
            self._check_rows(rows, unclear)

    def _check_rows(self, rows: list[Row], keys: list[str]) -> None:
        fits = [(key, self.columns[key]) for key in keys]
        for row in rows:
            for key, col in fits:
                value = row[key]
                if value is None:
                    if not col.nullable:
                        self._fail(col, value, "NOT NULL", row)
                elif not col.fits(value):
                    self._fail(col, value, col.accepts, row)

    def _check_keys(self, row: Row) -> None:
        for key in row:
            if key not in self.columns:
                raise SeedDataError(
                    f"{self.table}.{key}: no such column in the database (the seeds write it); "
                    "run the schema migrations (alembic upgrade head) first"
                )
        for col in self.columns.values():
            if col.required and col.name not in row:
                raise SeedDataError(
                    f"{self.table}.{col.name}: no value does not fit (accepts NOT NULL, no "
                    "default); the factory must fill it"
                )

    def _fail(self, col: ColumnFit, value: object, accepts: str, row: Row) -> None:
        where = f"; row id {row['id']}" if "id" in row else ""
        raise SeedDataError(
            f"{self.table}.{col.name}: value {show(value)} does not fit (accepts {accepts})"
            f"{where}; nothing of this step was written"
        )


def show(value: object) -> str:
    """A value as the one-line message shows it: quoted, cut at 40 characters."""
    if isinstance(value, str):
        if len(value) > 40:
            return f"{value[:37] + '…'!r} ({len(value)} chars)"
        return repr(value)
    return str(value)


def live_chunk_check(conn: sa.Connection) -> ChunkCheckFn:
    """A chunk check that reflects each table from ``conn`` on first use, then reuses it."""
    cache: dict[str, TableFit] = {}
    stamped = functools.cache(lambda: null_timestamps_stamped(conn))  # read on first use

    def check(table: str, rows: list[Row], *, bulk: bool = False) -> None:
        fit = cache.get(table)
        if fit is None:
            fit = cache[table] = reflect_table(conn, table, stamped_nulls=stamped())
        fit.check(rows, bulk=bulk)

    return check


def null_timestamps_stamped(conn: sa.Connection) -> bool:
    """Whether the server stores a NULL sent for a TIMESTAMP NOT NULL column as the current
    time without a warning (``explicit_defaults_for_timestamp`` off: MySQL 5.7, MariaDB
    before 10.10 by default)."""
    return dialect_of(conn).null_timestamps_stamped(conn)


def reflect_table(conn: sa.Connection, table: str, *, stamped_nulls: bool = False) -> TableFit:
    """What each live column of ``table`` accepts. ``stamped_nulls``: see
    :func:`null_timestamps_stamped` (such a column is then checked before ``LOAD DATA`` too)."""
    model = metadata.tables.get(table)
    fits: dict[str, ColumnFit] = {}
    for info in sa.inspect(conn).get_columns(table):
        name = info["name"]
        model_type = model.c[name].type if model is not None and name in model.c else None
        stamped = stamped_nulls and isinstance(info["type"], sa.TIMESTAMP) and not info["nullable"]
        accepts, test = describe_type(info["type"], model_type)
        fits[name] = ColumnFit(
            name,
            accepts,
            test,
            bool(info["nullable"]),
            required=not info["nullable"]
            and info.get("default") is None
            and not info.get("autoincrement"),
            fits_all=describe_all(info["type"], model_type),
            normalised=isinstance(info["type"], sa.Enum)
            or isinstance(model_type, sa.Enum)
            or stamped,
        )
    return TableFit(table, fits)


def describe_type(
    live: sa.types.TypeEngine[Any], model: sa.types.TypeEngine[Any] | None
) -> tuple[str, FitFn]:
    """``(what the column accepts, test)`` for a reflected type (the model fills gaps)."""
    enum = live if isinstance(live, sa.Enum) else model
    if isinstance(enum, sa.Enum):
        values = frozenset(enum.enums)
        return f"one of [{', '.join(enum.enums)}]", lambda v: isinstance(v, str) and v in values
    if isinstance(model, sa.JSON) or isinstance(live, sa.JSON):
        return "json", _anything
    if isinstance(live, sa.Boolean):
        return "boolean", lambda v: v in (0, 1)
    if isinstance(live, sa.Integer):
        return _integer(live)
    if isinstance(live, sa.Numeric) and not isinstance(live, sa.Float):
        return _decimal(live)
    if isinstance(live, sa.DateTime):
        return _datetime(live)
    if isinstance(live, sa.Date):
        return "date", lambda v: isinstance(v, dt.date)
    if isinstance(live, sa.String):
        return _string(live)
    return type(live).__name__.lower(), _anything


def _anything(value: object) -> bool:
    return True


def describe_all(
    live: sa.types.TypeEngine[Any], model: sa.types.TypeEngine[Any] | None
) -> AllFitFn | None:
    """The whole-column test for a reflected type (same decisions as :func:`describe_type`,
    only ever clearing a column whose every value the per-value test accepts)."""
    enum = live if isinstance(live, sa.Enum) else model
    if isinstance(enum, sa.Enum):
        values = frozenset(enum.enums)

        def fits(vs: list[Any], types: set[type]) -> bool:
            return types == {str} and set(vs) <= values

        return fits
    if isinstance(model, sa.JSON) or isinstance(live, sa.JSON):
        return lambda vs, types: True
    if isinstance(live, sa.Boolean):
        return lambda vs, types: set(vs) <= {0, 1}
    if isinstance(live, sa.Integer):
        return _integers(live)
    if isinstance(live, sa.Numeric) and not isinstance(live, sa.Float):
        return _decimals(live)
    if isinstance(live, sa.DateTime):
        return _datetimes(live)
    if isinstance(live, sa.Date):
        return lambda vs, types: types <= {dt.date, dt.datetime}
    if isinstance(live, sa.String):
        return _strings(live)
    return lambda vs, types: True


def _integers(live: sa.types.TypeEngine[Any]) -> AllFitFn:
    kind = type(live).__name__.upper()
    bits = INT_BITS.get(kind, 64)
    low = 0 if getattr(live, "unsigned", False) else -(2 ** (bits - 1))
    high = 2**bits - 1 if low == 0 else 2 ** (bits - 1) - 1
    return lambda vs, types: types <= {int, bool} and low <= min(vs) and max(vs) <= high


def _decimals(live: sa.types.TypeEngine[Any]) -> AllFitFn | None:
    precision = getattr(live, "precision", None)
    scale = getattr(live, "scale", None) or 0
    if precision is None:
        return None
    limit = Decimal(10) ** int(precision - scale)
    step = Decimal(1).scaleb(-scale)

    def fits(values: list[Any], types: set[type]) -> bool:
        if not types <= {Decimal, int}:
            return False
        # quantize is monotonic: the extremes fit when and only when all do (a NaN or an
        # infinity raises, and the values are then tested one by one); max and min compare in
        # place where abs() would make a new Decimal of each value
        high, low = Decimal(str(max(values))), Decimal(str(min(values)))
        return high.quantize(step) < limit and -low.quantize(step) < limit

    return fits


def _datetimes(live: sa.types.TypeEngine[Any]) -> AllFitFn:
    if not isinstance(live, sa.TIMESTAMP):
        return lambda vs, types: types <= {dt.date, dt.datetime}

    def fits(values: list[Any], types: set[type]) -> bool:
        if types != {dt.datetime}:
            return False
        # an aware datetime cannot be compared with the naive bounds: TypeError, one by one
        return bool(min(values) >= TIMESTAMP_MIN and max(values) <= TIMESTAMP_MAX)

    return fits


def _strings(live: sa.types.TypeEngine[Any]) -> AllFitFn:
    length = getattr(live, "length", None)
    if length is not None:
        return lambda vs, types: types == {str} and max(map(len, vs)) <= length
    limit = TEXT_BYTES.get(type(live).__name__.upper())
    if limit is None:
        return lambda vs, types: True
    # UTF-8 takes at most 4 bytes a character: short values need no encoding to be measured
    return lambda vs, types: types == {str} and max(map(len, vs)) * 4 <= limit


def _integer(live: sa.types.TypeEngine[Any]) -> tuple[str, FitFn]:
    kind = type(live).__name__.upper()
    bits = INT_BITS.get(kind, 64)
    if getattr(live, "unsigned", False):
        low, high = 0, 2**bits - 1
    else:
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    name = kind.lower() + (" unsigned" if low == 0 else "")

    def fits(value: object) -> bool:
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        return isinstance(value, int) and low <= value <= high

    return name, fits


def _decimal(live: sa.types.TypeEngine[Any]) -> tuple[str, FitFn]:
    precision = getattr(live, "precision", None)
    scale = getattr(live, "scale", None) or 0
    if precision is None:
        return "decimal", _is_number
    limit = Decimal(10) ** int(precision - scale)
    step = Decimal(1).scaleb(-scale)

    def fits(value: object) -> bool:
        if not _is_number(value):
            return False
        try:
            return abs(Decimal(str(value)).quantize(step)) < limit
        except InvalidOperation:
            return False

    return f"decimal({precision},{scale})", fits


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return False
    try:
        return Decimal(str(value)).is_finite()
    except InvalidOperation:
        return False


def _datetime(live: sa.types.TypeEngine[Any]) -> tuple[str, FitFn]:
    if not isinstance(live, sa.TIMESTAMP):
        return "datetime", lambda v: isinstance(v, dt.date)

    def fits(value: object) -> bool:
        if isinstance(value, dt.datetime):
            return TIMESTAMP_MIN <= value.replace(tzinfo=None) <= TIMESTAMP_MAX
        return isinstance(value, dt.date) and TIMESTAMP_MIN.date() < value < TIMESTAMP_MAX.date()

    return f"timestamp from {TIMESTAMP_MIN} to {TIMESTAMP_MAX}", fits


def _string(live: sa.types.TypeEngine[Any]) -> tuple[str, FitFn]:
    length = getattr(live, "length", None)
    kind = type(live).__name__.upper()
    if length is not None:
        name = f"{'char' if kind == 'CHAR' else 'varchar'}({length})"
        return name, lambda v: len(v if isinstance(v, str) else str(v)) <= length
    limit = TEXT_BYTES.get(kind)
    if limit is None:
        return kind.lower(), _anything
    return (
        f"{kind.lower()} (up to {limit:,} bytes)",
        lambda v: len((v if isinstance(v, str) else str(v)).encode()) <= limit,
    )

"""Reading a CSV field's text as the value of its column (:mod:`terp_seed.csvload.check`).

:func:`reader` gives each column a converter that raises ``ValueError`` (or
``InvalidOperation``, ``TypeError``) on a text it cannot read, with a reason for the message.
Once the file has been checked, :data:`READ_CHECKED` gives the converter that reads the same
value without checking again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from terp_seed.factories.base import JsonText

Convert = Callable[[str], Any]


def reader(
    live: sa.types.TypeEngine[Any], model: sa.types.TypeEngine[Any] | None
) -> tuple[Convert, str]:
    """How to read a column's text, and what it must look like (the fit test then checks
    range, length and enum value)."""
    if isinstance(live, sa.Enum) or isinstance(model, sa.Enum):
        return str, "text"
    if isinstance(model, sa.JSON) or isinstance(live, sa.JSON):
        return _json, "JSON"
    if isinstance(live, sa.Boolean) or isinstance(model, sa.Boolean):
        return _boolean, "a boolean"
    if isinstance(live, sa.Integer):
        return _integer, "a whole number"
    if isinstance(live, sa.Float):
        return float, "a number"
    if isinstance(live, sa.Numeric):
        return _decimal(getattr(live, "scale", None)), "a decimal number"
    if isinstance(live, sa.DateTime):
        return _datetime, "a date and time (YYYY-MM-DD HH:MM:SS)"
    if isinstance(live, sa.Date):
        return dt.date.fromisoformat, "a date (YYYY-MM-DD)"
    if isinstance(live, sa.Time):
        return dt.time.fromisoformat, "a time (HH:MM:SS)"
    return str, "text"


def _json(text: str) -> JsonText:
    json.loads(text)  # raises ValueError when it is not JSON
    return JsonText(text)


_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
_INTEGER = re.compile(r"[+-]?\d+")


def _boolean(text: str) -> bool:
    try:
        return _BOOLEANS[text.strip().lower()]
    except KeyError:
        raise ValueError("use 1/0, true/false or yes/no") from None


def _integer(text: str) -> int:
    if not _INTEGER.fullmatch(text.strip()):
        raise ValueError("a whole number")
    return int(text)


def _decimal(scale: int | None) -> Convert:
    def convert(text: str) -> Decimal:
        try:
            value = Decimal(text.strip())
        except InvalidOperation:  # its text names a class: [<class 'decimal.ConversionSyntax'>]
            raise ValueError("digits with a point, such as 1234.50") from None
        if not value.is_finite():
            raise ValueError("a finite number")
        exponent = value.as_tuple().exponent
        if scale is not None and isinstance(exponent, int) and -exponent > scale:
            raise ValueError(f"more than {scale} decimal places")
        return value

    return convert


def _json_checked(text: str) -> JsonText:
    return JsonText(text)


def _datetime_checked(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.strip())


def _datetime(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip())
    if value.tzinfo is not None:
        raise ValueError("no time zone: the database keeps local times")
    if value.microsecond:
        raise ValueError("whole seconds: the column keeps no fractions")
    return value


READ_CHECKED: dict[Convert, Convert] = {
    _json: _json_checked,  # parsed once, when the file was checked
    _integer: int,
    _datetime: _datetime_checked,
}
"""What reads a text once its file has been checked: the same value, without the checks."""

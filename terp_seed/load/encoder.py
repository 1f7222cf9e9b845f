"""Rows as ``LOAD DATA`` text: tab-separated, with the server's default escaping.

The text uses ``FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'``: NULL
is ``\\N``; a backslash, tab, newline, carriage return or NUL inside a value is written as
``\\\\``, ``\\t``, ``\\n``, ``\\r``, ``\\0``; booleans are ``1``/``0``, JSON is serialised as
SQLAlchemy would, dates and times as their ``str()``, decimals with their column's scale (as the
server stores and shows them). The statement that sends it is :mod:`terp_seed.load.infile`.

Encoding is the loader's hot path, so each table gets an encoder compiled for its columns that
formats a row with one f-string and escapes nothing. Whether escaping was needed is then proved
for the whole chunk at once: the text must hold exactly one tab per column gap, one newline per
row, no carriage return or NUL, and exactly one backslash per NULL marker. A chunk that fails the
proof (a value with a tab, a backslash, ...), or holds a value of another type than its column's
(a string for an integer, a date or a boolean), is encoded again value by value with full
escaping (the loader checks such a chunk in full first: :mod:`terp_seed.validation.fit`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import date, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from terp_seed.errors import SeedDataError
from terp_seed.factories.base import JsonText
from terp_seed.validation.types import Row

Encoder = Callable[[list[Row]], tuple[list[str], int]]
NULL = "\\N"
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"), ("\0", "\\0"))
_CACHE_LIMIT = 20_000
MEMO_SAMPLE = 1000  # rows of a chunk that tell whether a column's values repeat


def plain_json(table: sa.Table, rows: list[Row]) -> list[Row]:
    """``rows`` with every :class:`JsonText` value parsed back into Python data."""
    columns = [c.name for c in table.columns if isinstance(c.type, sa.JSON)]
    if not any(isinstance(r.get(c), JsonText) for r in rows for c in columns):
        return rows
    return [
        {k: json.loads(v) if isinstance(v, JsonText) else v for k, v in r.items()} for r in rows
    ]


def escape(text: str) -> str:
    """``text`` with the characters ``LOAD DATA`` treats specially escaped."""
    for char, replacement in _ESCAPES:
        if char in text:
            text = text.replace(char, replacement)
    return text


def _kind(column: sa.Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, sa.JSON):
        return "json"
    if isinstance(kind, sa.Boolean):
        return "bool"
    if isinstance(kind, sa.Integer):
        return "int"
    if isinstance(kind, sa.Date | sa.DateTime):
        return "time"
    if isinstance(kind, sa.Time):
        return "clock"
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return f"decimal{kind.scale or 0}"
    return "plain"


@functools.cache
def decimal_text(scale: int) -> Callable[[object], str]:
    """``text(value)``: a number as the server stores it in a column of this scale (45000 and
    ``Decimal('45000')`` as ``45000.00``), so the text sent is the text the server gives back;
    a value with more digits than the scale is left as it is (the server refuses it)."""
    step = Decimal(1).scaleb(-scale)
    width = scale + 1  # the point and the digits after it

    def text(value: object) -> str:
        shown = str(value)
        point = shown.find(".")
        plain = "E" not in shown and shown[0] != "-"
        if plain and (point >= 0 and len(shown) - point == width if scale else point < 0):
            return shown
        try:
            # a float as it reads (0.1, not its binary expansion)
            number = Decimal(shown) if isinstance(value, float) else Decimal(value)  # type: ignore[arg-type]
            exact = number.quantize(step)
        except (ArithmeticError, TypeError, ValueError):
            return shown
        if exact != number:
            return shown
        return str(abs(exact) if exact == 0 else exact)  # the server has no -0.00

    return text


def time_text(value: object) -> str:
    """A date or datetime as ``LOAD DATA`` reads it (its ``str()``), for a DATE, DATETIME or
    TIMESTAMP column. Any other value raises TypeError: the server would read a string such as
    ``2025-1-1`` or a time of day such as ``10:11:12`` (as 2010-11-12) without a warning and
    store another text, so such a chunk takes the safe path after the full chunk check."""
    if isinstance(value, date):
        return str(value)
    raise TypeError(f"not a date: {value!r}")


def clock_text(value: object) -> str:
    """A time of day as ``LOAD DATA`` reads it, for a TIME column; any other value raises
    TypeError (see :func:`time_text`)."""
    if isinstance(value, time):
        return str(value)
    raise TypeError(f"not a time of day: {value!r}")


def format_value(kind: str, value: object) -> str:
    """One value as ``LOAD DATA`` reads it, fully escaped (the safe path)."""
    if value is None:
        return NULL
    if kind == "json":
        return escape(value if isinstance(value, JsonText) else json.dumps(value))
    if kind == "bool" or isinstance(value, bool):
        return "1" if value else "0"
    if kind.startswith("decimal"):
        return escape(decimal_text(int(kind[7:]))(value))
    return escape(str(value))


class TableEncoder:
    """Turns rows of one table (always the same keys) into ``LOAD DATA`` text."""

    def __init__(self, table: sa.Table, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.kinds = tuple(_kind(table.c[c]) for c in self.columns)
        # decimal and time columns whose texts are remembered, while their values repeat
        self._memos = {
            i: _Memo(decimal_text(int(kind[7:])) if kind != "time" else time_text)
            for i, kind in enumerate(self.kinds)
            if kind == "time" or kind.startswith("decimal")
        }
        self._fast = self._compile()
        self.clean = False  # whether the last chunk encoded needed no escaping

    def encode(self, rows: list[Row]) -> bytes:
        """The rows as UTF-8 text, one line per row."""
        lines: list[str] | None
        try:
            lines, nulls = self._fast(rows)
            text = "".join(lines)
        except (TypeError, ValueError):  # a value of another type than its column's
            lines, text, nulls = None, "", -1
        self._forget_unique(len(rows))
        self.clean = self._clean(text, len(rows), nulls)
        if not self.clean:
            text = (
                "".join(self._safe_line(row) for row in rows)
                if lines is None
                else self._mixed(rows, lines)
            )
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise SeedDataError(
                f"{self.table.name}: a value is not valid Unicode ({exc.reason} at "
                f"{exc.object[exc.start : exc.end]!r}); fix the value"
            ) from None

    def _clean(self, text: str, rows: int, nulls: int) -> bool:
        return (
            text.count("\t") == rows * (len(self.columns) - 1)
            and text.count("\n") == rows
            and text.count("\\") == nulls
            and "\r" not in text
            and "\0" not in text
        )

    def _forget_unique(self, rows: int) -> None:
        """Stop remembering the texts of a column whose values of this chunk were mostly new.

        A remembered text costs a lookup, a tenth of formatting; a new value costs the lookup,
        the formatting and keeping it, and hashing a new decimal alone costs more than its text.
        Below about two thirds of values found, remembering loses (order totals, timestamps to
        the second); money from a price list or a constant timestamp keeps it.
        """
        unique = [i for i, memo in self._memos.items() if memo.misses * 3 > rows]
        for memo in self._memos.values():
            memo.misses = 0
        if unique and rows >= MEMO_SAMPLE:
            for i in unique:
                del self._memos[i]
            self._fast = self._compile()

    def _mixed(self, rows: list[Row], lines: list[str]) -> str:
        """A chunk the fast path wrote but some value of which needs escaping (an order's notes
        on two lines): each line that needs none is kept as written, the others are written
        the safe way; a few rows in a chunk no longer cost every row the safe path."""
        get, width, out = _getter(self.columns), len(self.columns) - 1, []
        for row, line in zip(rows, lines, strict=True):
            nulls = sum(v is None for v in get(row))
            plain = (
                line.count("\t") == width
                and line.count("\n") == 1
                and line.count("\\") == nulls
                and "\r" not in line
                and "\0" not in line
            )
            out.append(line if plain else self._safe_line(row))
        return "".join(out)

    def _safe_line(self, row: Row) -> str:
        values = (format_value(k, row[c]) for c, k in zip(self.columns, self.kinds, strict=True))
        return "\t".join(values) + "\n"

    def _compile(self) -> Encoder:
        """Build ``encode(rows) -> (lines, NULL count)`` specialised to these columns."""
        names = [f"v{i}" for i in range(len(self.columns))]
        fields = []
        helpers: dict[str, Callable[[object], str | None]] = {}
        for i, (name, kind) in enumerate(zip(names, self.kinds, strict=True)):
            memo = self._memos.get(i)
            if memo is not None:
                helpers[f"_seen{i}"], helpers[f"_text{i}"] = memo.seen.get, memo.text
                value = f"(_seen{i}({name}) or _text{i}({name}))"
            elif kind.startswith("decimal"):
                helpers[f"_text{i}"] = decimal_text(int(kind[7:]))
                value = f"_text{i}({name})"
            elif kind in ("time", "clock"):
                helpers[f"_text{i}"] = time_text if kind == "time" else clock_text
                value = f"_text{i}({name})"
            else:
                # a value of another type than its column's fails here (TypeError, ValueError)
                # and takes the safe path, after the full chunk check: an int or bool for an
                # integer; True, False, 0 or 1 for a boolean (None from _bool fails :s)
                value = {
                    "int": f"f'{{{name}:d}}'",
                    "bool": f"_bool({name}):s",
                    "json": f"_json({name})",
                }.get(kind, f"{name}!s")  # !s: str() is 3x cheaper than format() for a Decimal
            fields.append(f"{{_NULL if {name} is None else {value}}}")
        unpack = f"{', '.join(names)}{',' if len(names) == 1 else ''} = values"
        # by identity: values.count(None) compares each value with None, 0.3 µs a Decimal
        nulls = " + ".join(f"({name} is None)" for name in names)
        line = "\\t".join(fields)
        source = (
            "def encode(rows):\n"
            "    lines = []\n"
            "    append = lines.append\n"
            "    nulls = 0\n"
            "    for row in rows:\n"
            "        values = _get(row)\n"
            f"        {unpack}\n"
            f"        nulls += {nulls}\n"
            f'        append(f"{line}\\n")\n'
            "    return lines, nulls\n"
        )
        namespace: dict[str, Any] = {
            "_get": _getter(self.columns),
            **helpers,
            "_NULL": NULL,
            "_json": _json_cache(),
            "_bool": {True: "1", False: "0"}.get,
        }
        exec(compile(source, f"<encoder {self.table.name}>", "exec"), namespace)
        encoder: Encoder = namespace["encode"]
        return encoder


def _getter(columns: tuple[str, ...]) -> Callable[[Row], tuple[Any, ...]]:
    """``row -> tuple of its values`` in column order (C speed)."""
    if len(columns) == 1:
        key = columns[0]
        return lambda row: (row[key],)
    from operator import itemgetter

    return itemgetter(*columns)


def _json_cache() -> Callable[[object], str]:
    """``json.dumps``, remembered for tuples (a shared, immutable value such as a tag list)."""
    seen: dict[object, str] = {}

    def dumps(value: object) -> str:
        if type(value) is JsonText:
            return value
        if type(value) is tuple:
            text = seen.get(value)
            if text is None:
                text = json.dumps(value)
                if len(seen) < 1024:
                    seen[value] = text
            return text
        return json.dumps(value)

    return dumps


class _Memo:
    """The texts of one column's values, remembered (at most ``_CACHE_LIMIT``) and counted:
    ``text`` is only called for a value not found in ``seen``. Values that compare equal must
    have the same text (a decimal's text is its value at the column's scale: ``Decimal('1.5')``
    and ``Decimal('1.50')`` both give ``1.50``)."""

    __slots__ = ("misses", "seen", "text_of")

    def __init__(self, text_of: Callable[[Any], str]) -> None:
        self.text_of = text_of
        self.seen: dict[object, str] = {}
        self.misses = 0

    def text(self, value: object) -> str:
        self.misses += 1
        text = self.text_of(value)
        # not a str or float sent for the column, nor an aware datetime (the same instant at
        # another offset compares equal but reads otherwise)
        if isinstance(value, Decimal | int) or (
            isinstance(value, date) and getattr(value, "tzinfo", None) is None
        ):
            if len(self.seen) >= _CACHE_LIMIT:
                self.seen.clear()
            self.seen[value] = text
        return text

"""Ledger checksums of bulk-loaded rows, computed from the text the loader sends.

The ledger keeps each seeded row's checksum: the MD5 of the row's values as the server casts
them to text, ``\\N`` for NULL, joined by 0x1F, every column but the ON UPDATE timestamps, in
table order (:func:`terp_seed.store.checksums.checksum_expr`). Having the server compute it
means reading every row again after loading it: about 3.5 µs per row of server time, a third
of what loading the row costs. A ``LOAD DATA`` line is nearly that text already, so the loader
computes the checksums from it on the seeding thread, overlapped with the server's work, when:

- every checksum column the rows leave out has a constant default (:func:`constant_defaults`):
  its text is then known, and each line's fields, with those texts added, are put in table
  order and joined (a table with another default missing from its rows gets its checksums
  from the server);
- the chunk needed no escaping (then the line is the values' text, tab-separated) and its
  keys are consecutive and ascending (then the digests are in key order);
- the values are sent as the server stores them: a decimal with its column's scale (the
  encoder writes it so), an enum value as declared (the chunk check refuses others), a date
  time without fraction; and, for a table with TIMESTAMP columns, the session's time zone has
  no daylight saving time (:func:`steady_time_zone`), as the server would store a local time
  the clock skips as another one.

The loader has the server confirm a sample of each chunk's checksums (:func:`first_mismatch`).
After a mismatch it names the column, has the server compute the checksums of every range of
that table it recorded from text (a rarer mismatch in an earlier chunk's rows that its sample
missed is then corrected too), and leaves that table's checksums to the server for the rest of
the run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from terp_seed.db.dialects import SEPARATOR, TEXT_ESCAPES
from terp_seed.load.encoder import NULL
from terp_seed.store.checksums import DIGEST, checksum_columns, checksum_expr

SAMPLE = 8  # keys of each chunk whose checksum the server confirms
_SAMPLES: dict[tuple[str, sa.Table], sa.Select[Any]] = {}  # (dialect, table): sample query
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_SPECIAL = re.compile(r"[\t\n\r\0\\]")
_SEPARATOR = SEPARATOR.encode()
_SEPARATOR_ESCAPED = dict(TEXT_ESCAPES)[SEPARATOR].encode()


@dataclass(frozen=True)
class Layout:
    """How each line of a chunk of rows with these columns gives its row's checksum text."""

    columns: tuple[str, ...]  # the columns sent, in the rows' order
    constants: dict[str, str]  # checksum columns the rows leave to a constant default
    # a line's fields -> the checksum columns among them, in table order, to fill ``template``
    pick: Callable[[list[bytes]], tuple[bytes, ...]]
    template: bytes  # the checksum text: ``%b`` for each field picked, the constants as text


def has_timestamps(table: sa.Table) -> bool:
    """Whether ``table`` has a TIMESTAMP column (stored in UTC, shown in the session's zone)."""
    return any(isinstance(c.type, sa.TIMESTAMP) for c in table.columns)


def steady_time_zone(conn: sa.Connection) -> bool:
    """Whether the session's time zone has no daylight saving time: UTC or a fixed offset.
    Otherwise a TIMESTAMP sent for a local time the clock skips is stored as another one."""
    zone, system = conn.exec_driver_sql(
        "SELECT @@SESSION.time_zone, @@GLOBAL.system_time_zone"
    ).one()
    if zone == "SYSTEM":
        zone = system
    return bool(re.fullmatch(r"[+-]\d\d:\d\d|UTC|GMT|Etc/UTC|Z", str(zone or "")))


def constant_defaults(conn: sa.Connection, table: str) -> dict[str, str | None]:
    """Each live column's default as ``LOAD DATA`` text when it is a constant, else ``None``."""
    rows = conn.execute(
        sa.text(
            "SELECT COLUMN_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"
        ),
        {"t": table},
    )
    return {str(name): default_text(default) for name, default in rows}


def default_text(default: str | None) -> str | None:
    """MariaDB's ``COLUMN_DEFAULT`` (``NULL``, a number, a quoted string, an expression, or
    SQL NULL for no default) as the text sent for it; ``None`` when it is not a constant."""
    if default is None:
        return None
    if default == "NULL":
        return NULL
    if _NUMBER.fullmatch(default):
        return default
    if len(default) >= 2 and default[0] == default[-1] == "'":
        text = default[1:-1].replace("''", "'")
        return None if _SPECIAL.search(text) else text
    return None  # current_timestamp(), or another expression


def layout(table: sa.Table, keys: Sequence[str], defaults: dict[str, str | None]) -> Layout | None:
    """The layout for rows holding ``keys`` (in that order), or ``None`` when a checksum
    column the rows leave out has no constant default."""
    names = [c.name for c in checksum_columns(table)]
    constants = {}
    for name in names:
        if name not in keys:
            text = defaults.get(name)
            if text is None:
                return None
            constants[name] = text
    slots = {name: i for i, name in enumerate(keys)}
    picked = [slots[n] for n in names if n in slots]
    pick = itemgetter(*picked) if len(picked) > 1 else lambda fields: (fields[picked[0]],)
    parts = [
        b"%b" if n in slots else _escaped(constants[n]).encode("utf-8").replace(b"%", b"%%")
        for n in names
    ]
    return Layout(tuple(keys), constants, pick, SEPARATOR.encode().join(parts))


def _escaped(text: str) -> str:
    """A constant's text as the checksum reads it (NULL's ``\\N`` as it is)."""
    if text == NULL:
        return text
    for char, escaped in TEXT_ESCAPES:
        text = text.replace(char, escaped)
    return text


def digests(payload: bytes, plan: Layout) -> bytes:
    """The checksum of each line of ``payload`` (a clean chunk), packed in line order.

    A clean chunk's only backslashes are NULL markers, so escaping its values for the
    checksum (:data:`~terp_seed.db.dialects.TEXT_ESCAPES`) only means the separator byte."""
    if _SEPARATOR in payload:
        payload = payload.replace(_SEPARATOR, _SEPARATOR_ESCAPED)
    lines = payload.split(b"\n")
    lines.pop()  # the empty piece after the last newline
    md5, pick, template = hashlib.md5, plan.pick, plan.template
    return b"".join([md5(template % pick(line.split(b"\t"))).digest() for line in lines])


def first_mismatch(conn: sa.Connection, table: sa.Table, first: int, sums: bytes) -> int | None:
    """Have the server compute the checksums of a sample of the range; return the first key
    whose checksum differs from ``sums``, or ``None``."""
    count = len(sums) // DIGEST
    picks = sorted({first + (count - 1) * i // (SAMPLE - 1) for i in range(SAMPLE)})
    which = (conn.dialect.name, table)
    query = _SAMPLES.get(which)
    if query is None:  # built once: its cache key and compiled form are then reused
        sample: sa.BindParameter[list[int]] = sa.bindparam("sample_keys", expanding=True)
        query = _SAMPLES[which] = sa.select(table.c.id, checksum_expr(conn, table)).where(
            table.c.id.in_(sample)
        )
    rows = conn.execute(query, {"sample_keys": picks})
    stored = {int(k): bytes(d) for k, d in rows}
    for key in picks:
        at = (key - first) * DIGEST
        if stored.get(key) != sums[at : at + DIGEST]:
            return key
    return None


def mismatched_column(
    conn: sa.Connection, table: sa.Table, key: int, line: bytes, plan: Layout
) -> str:
    """Which column of row ``key`` the server stores differently from the text sent."""
    names = [c.name for c in checksum_columns(table)]
    row: Any = conn.execute(
        sa.select(
            *(sa.func.coalesce(sa.cast(table.c[n], sa.String), sa.literal(NULL)) for n in names)
        ).where(table.c.id == key)
    ).first()
    if row is None:
        return f"row {key} is missing"
    sent = dict(zip(plan.columns, line.decode("utf-8", "replace").split("\t"), strict=False))
    sent.update(plan.constants)
    for name, value in zip(names, row, strict=True):
        if sent.get(name) != str(value):
            return f"{name} of row {key} was sent as {sent.get(name)!r}, stored as {value!r}"
    return f"row {key} differs in no single column (check the time zone)"

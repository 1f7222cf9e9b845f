"""What every factory is given: seeded generators, key allocation and the parents to point at.

Factories are pure: seed in, rows out. They never open connections; the runtime hands them a
:class:`Gen` whose :class:`Parents` reads parent rows (from the database online, from this run's
own rows offline) and whose :class:`IdAllocator` hands out primary keys.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from faker import Faker

from terp_seed.errors import TerpSeedError
from terp_seed.factories.calendar import Calendar, calendar, today
from terp_seed.factories.cannabis import make_faker
from terp_seed.factories.draw import Draw
from terp_seed.factories.pools import Pools
from terp_seed.schema import metadata
from terp_seed.sizes import Size

Row = dict[str, Any]


class JsonText(str):
    """A JSON document a factory has already serialised (an f-string beats ``json.dumps``).

    ``LOAD DATA`` sends it as it is; for a multi-row INSERT the loader parses it back first
    (``terp_seed.load.encoder.plain_json``), so SQLAlchemy's JSON type stores the same
    document either way.
    """

    __slots__ = ()


_CREATED = ("createdAt", "created_at")
_UPDATED = ("updatedAt", "updated_at")


def with_timestamps(table: str, row: Row, now: datetime) -> Row:
    """Give a row deterministic creation/update times where its factory set none: ``now``,
    the run's as-of moment (:attr:`Calendar.now`).

    Without this the database would stamp the time of loading, and the same seed and as-of
    day would give different rows. ``updatedAt`` equals ``createdAt`` for a freshly seeded row.
    """
    plan = _TIMESTAMP_COLUMNS.get(table)
    if plan is None:
        columns = metadata.tables[table].c
        plan = _TIMESTAMP_COLUMNS[table] = (
            tuple(c for c in _CREATED if c in columns),
            tuple(c for c in _UPDATED if c in columns),
        )
    created_names, updated_names = plan
    if not (created_names or updated_names):
        return row
    # the first of _CREATED the row has (a generator expression here costs 0.4 µs a row)
    created = row["createdAt"] if "createdAt" in row else row.get("created_at")
    for name in created_names:
        if name not in row:
            row[name] = created = created or now
    for name in updated_names:
        if name not in row:
            row[name] = created or now
    return row


_TIMESTAMP_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}


class ReservedKeys(Protocol):
    """A block of primary keys reserved for one table: ``first`` up to (not including) ``end``.

    The runtime's ``KeyBlock`` (:mod:`terp_seed.runtime.key_blocks`) is one; declared here so
    factories need nothing from the runtime.
    """

    @property
    def first(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def size(self) -> int:
        """How many keys the block holds (``end - first``), for the error when it runs out."""
        ...


ALIGNED_KEYS: tuple[frozenset[str], ...] = (frozenset({"clients", "vendors"}),)
"""Tables whose key spaces are aligned: in a run, the first key each of them hands out is the
same (the largest of their next keys), so a row of one can take the key of its partner in the
other (a supplier's ``vendors.id`` is its ``clients.id``: TERP reads a vendor id as a client id
first, ``server/vendorDisplay.ts:25-70``)."""


def aligned_with(table: str) -> frozenset[str]:
    """The tables whose key space is aligned with ``table``'s (``{table}`` alone when none)."""
    return next((group for group in ALIGNED_KEYS if table in group), frozenset({table}))


class IdAllocator:
    """Hands out primary keys: from the block reserved for a table (see
    :mod:`terp_seed.runtime.key_blocks`), else after the table's current maximum (1 when empty).

    Tables in one :data:`ALIGNED_KEYS` group start at the same key: the largest of their
    starts. :meth:`claim` takes a given key (a partner row's) instead of the next one.
    """

    def __init__(
        self, conn: sa.Connection | None, blocks: Mapping[str, ReservedKeys] | None = None
    ) -> None:
        self._conn = conn
        self._blocks = dict(blocks or {})
        self._next: dict[str, int] = {}

    def next_id(self, table: str) -> int:
        if table not in self._next:
            self._begin(table)
        value = self._next[table]
        self._check_room(table, value)
        self._next[table] = value + 1
        return value

    def claim(self, table: str, key: int) -> int:
        """Take ``key`` for a row of ``table`` (keys then go on from ``key + 1``).

        :raises TerpSeedError: ``key`` lies below the table's next key (a key it may already
            have handed out, or an existing row's) or past its reserved block.
        """
        if table not in self._next:
            self._begin(table)
        if key < self._next[table]:
            raise TerpSeedError(
                f"{table}: key {key} was claimed, but keys below {self._next[table]} may be "
                "taken already; this is a bug in terp-seed (the tables' key spaces are not "
                "aligned, terp_seed/factories/base.py ALIGNED_KEYS)"
            )
        self._check_room(table, key)
        self._next[table] = key + 1
        return key

    def _check_room(self, table: str, value: int) -> None:
        block = self._blocks.get(table)
        if block is not None and value >= block.end:
            raise TerpSeedError(
                f"the seed wanted more than the {block.size:,} primary keys it reserved on "
                f"{table}; nothing was written. This is a bug in terp-seed's key budget "
                "(terp_seed/runtime/key_blocks.py): please report it with the size you seeded"
            )

    def _begin(self, table: str) -> None:
        group = aligned_with(table)
        if len(group) == 1:
            self._next[table] = self._start(table)
            return
        start = max(self._next.get(t) or self._start(t) for t in group)
        for t in group:
            self._next[t] = max(start, self._next.get(t, start))

    def _start(self, table: str) -> int:
        if table in self._blocks:
            return self._blocks[table].first
        if self._conn is None:
            return 1
        t = metadata.tables[table]
        return int(self._conn.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0) + 1


class Parents:
    """Rows a factory's rows may point at, ordered by primary key."""

    def __init__(self, conn: sa.Connection | None) -> None:
        self._conn = conn
        self._offline: dict[str, list[Row]] = {}

    def remember(self, table: str, row: Row) -> None:
        """Offline only: keep this run's rows so later steps can point at them."""
        if self._conn is None:
            self._offline.setdefault(table, []).append(row)

    def rows(
        self, table: str, columns: Sequence[str], *, include_deleted: bool = False
    ) -> list[tuple[Any, ...]]:
        """``columns`` of every row of ``table`` by primary key; soft-deleted rows only when
        ``include_deleted`` (for uniqueness: a soft-deleted row still holds its unique key)."""
        if self._conn is None:
            kept = self._offline.get(table, [])
            if not include_deleted:  # as online: a soft-deleted row is no parent
                kept = [r for r in kept if r.get("deleted_at") is None]
            return [tuple(r.get(c) for c in columns) for r in kept]
        t = metadata.tables[table]
        q = sa.select(*(t.c[c] for c in columns)).order_by(t.c.id)
        if "deleted_at" in t.c and not include_deleted:
            q = q.where(t.c.deleted_at.is_(None))
        return [tuple(r) for r in self._conn.execute(q)]

    def sample(
        self, table: str, columns: Sequence[str], limit: int, rng: random.Random
    ) -> list[tuple[Any, ...]]:
        """``columns`` of at most ``limit`` rows of ``table`` (not soft-deleted), by key.

        Every row when there are no more than ``limit`` (``rng`` is then not used, so the
        result is what :meth:`rows` gives); else a uniform sample drawn with ``rng`` while the
        rows stream from the server, so memory stays within ``limit`` rows however large the
        table (reservoir sampling).
        """
        if self._conn is None:
            source: Iterator[tuple[Any, ...]] = iter(self.rows(table, columns))
        else:
            t = metadata.tables[table]
            q = sa.select(*(t.c[c] for c in columns)).order_by(t.c.id)
            if "deleted_at" in t.c:
                q = q.where(t.c.deleted_at.is_(None))
            result = self._conn.execute(q.execution_options(stream_results=True, yield_per=5000))
            source = (tuple(r) for r in result)
        kept: list[tuple[int, tuple[Any, ...]]] = []
        for seen, row in enumerate(source):
            if seen < limit:
                kept.append((seen, row))
            else:
                slot = rng.randrange(seen + 1)
                if slot < limit:
                    kept[slot] = (seen, row)
        kept.sort()
        return [row for _, row in kept]

    def by_key(
        self, table: str, columns: Sequence[str], keys: Sequence[int]
    ) -> list[tuple[Any, ...]]:
        """``columns`` (the key first) of the rows of ``table`` with these keys, not
        soft-deleted; a thousand keys a query."""
        if self._conn is None:
            wanted = set(keys)
            return [r for r in self.rows(table, columns) if r[0] in wanted]
        t = metadata.tables[table]
        found: list[tuple[Any, ...]] = []
        ordered = sorted(set(keys))
        for start in range(0, len(ordered), 1000):
            q = sa.select(*(t.c[c] for c in columns)).where(
                t.c.id.in_(ordered[start : start + 1000])
            )
            if "deleted_at" in t.c:
                q = q.where(t.c.deleted_at.is_(None))
            found.extend(tuple(r) for r in self._conn.execute(q))
        return found

    def column(
        self, table: str, column: str, prefix: str | None = None, *, include_deleted: bool = False
    ) -> list[Any]:
        """One column of ``table`` (optionally only values starting with ``prefix``)."""
        if self._conn is None or prefix is None:
            # a code prefix asks for every value, soft-deleted rows' too (as online)
            every = include_deleted or prefix is not None
            values = [r[0] for r in self.rows(table, [column], include_deleted=every)]
            return [v for v in values if prefix is None or str(v).startswith(prefix)]
        t = metadata.tables[table]
        q = sa.select(t.c[column]).where(t.c[column].startswith(prefix, autoescape=True))
        return [r[0] for r in self._conn.execute(q)]


@dataclass
class Gen:
    """One run's generation context; every random choice derives from ``seed``."""

    seed: int
    size: Size
    ids: IdAllocator
    parents: Parents
    as_of: date = field(default_factory=today)
    dev_logins: bool = True
    """Staff accounts get the documented development password (dev and test only)."""
    _fakers: dict[str, Faker] = field(default_factory=dict)
    _pools: Pools | None = None
    _sequences: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @property
    def calendar(self) -> Calendar:
        """The run's calendar: every date is placed relative to :attr:`as_of`."""
        return calendar(self.as_of)

    @property
    def pools(self) -> Pools:
        """Value pools for this run, built once from the run seed."""
        if self._pools is None:
            self._pools = Pools.build(self.subseed("pools"))
        return self._pools

    @property
    def built_pools(self) -> Pools | None:
        """The pools if a factory has asked for them (for the run's next step), else None."""
        return self._pools

    def next_code(self, table: str, column: str, prefix: str, width: int) -> str:
        """``prefix`` + the next zero-padded number after the highest existing one.

        On an empty table the numbers start at 1, so codes are deterministic; on a table with
        rows (seeded or not) they continue after the largest, so they stay unique.
        """
        return self.codes(table, column, prefix, width)()

    def codes(self, table: str, column: str, prefix: str, width: int) -> Callable[[], str]:
        """A cheap :meth:`next_code` for hot loops: each call returns the next code."""
        key = (table, column, prefix)
        sequences = self._sequences
        if key not in sequences:
            sequences[key] = self._max_code(table, column, prefix)
        fmt = f"{prefix}{{:0{width}d}}".format

        def next_code() -> str:
            n = sequences[key] + 1
            sequences[key] = n
            return fmt(n)

        return next_code

    def _max_code(self, table: str, column: str, prefix: str) -> int:
        best = 0
        for value in self.parents.column(table, column, prefix=prefix):
            tail = str(value)[len(prefix) :]
            if tail.isdigit():
                best = max(best, int(tail))
        return best

    def rng(self, table: str) -> random.Random:
        """A generator for ``table`` seeded from the run seed (never global state)."""
        return random.Random(self.subseed(table))

    def draw(self, table: str) -> Draw:
        """:meth:`rng` wrapped for cheap picks in hot loops."""
        return Draw(self.rng(table))

    def faker(self, table: str) -> Faker:
        """A Faker instance seeded for ``table`` with the cannabis provider."""
        if table not in self._fakers:
            self._fakers[table] = make_faker(self.subseed(table))
        return self._fakers[table]

    def subseed(self, name: str) -> int:
        digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
        return int.from_bytes(digest[:8], "big")


class Factory(Protocol):
    """Yields ``(table, row)`` pairs; rows of one table carry the same keys, ids in order."""

    def __call__(self, gen: Gen, count: int) -> Iterator[tuple[str, Row]]: ...


@dataclass(frozen=True)
class FactorySpec:
    """A registered factory: its main table, the tables it writes, the parents it needs."""

    name: str
    table: str
    writes: tuple[str, ...]
    needs: tuple[str, ...]
    fn: Factory
    customer_data: bool = True
    fixed: bool = False  # reference data: a fixed list, not scaled by size

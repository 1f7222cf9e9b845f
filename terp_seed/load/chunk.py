"""A chunk of one table's rows on its way in, and the stream that may be feeding it."""

from __future__ import annotations

from dataclasses import dataclass

from terp_seed.errors import SeedDataError
from terp_seed.load import pipe as load_pipe
from terp_seed.load.checksums import Layout
from terp_seed.validation.types import Row


@dataclass
class Chunk:
    """Rows of one table on their way in: as dicts for an INSERT, as text for ``LOAD DATA``."""

    table: str
    columns: tuple[str, ...]
    ids: list[int]
    rows: list[Row] | None = None  # for ``LOAD DATA`` too while a check may need them
    payload: bytes | None = None
    checksums: bytes | None = None  # computed from ``payload``, in key order
    layout: Layout | None = None  # how ``checksums`` were computed
    pipe: load_pipe.LoadPipe | None = None  # a stream: the text comes through this pipe
    pieces: list[bytes] | None = None  # a stream's text, written piece by piece
    aborted: bool = False  # a stream its writer gave up on: the load must fail

    def text(self) -> bytes:
        """The text sent by ``LOAD DATA``."""
        return self.payload if self.payload is not None else b"".join(self.pieces or ())


class Stream:
    """The chunk being streamed, and what the caller's thread keeps for it."""

    def __init__(self, chunk: Chunk, sums: bytes | None, pending: list[Row], piece: int) -> None:
        self.chunk = chunk
        self.pending = pending  # rows not yet written
        self.sums = None if sums is None else [sums]  # ``None`` once a piece has none
        self.piece = piece  # rows of the next piece (0: the chunk is full)


class Abandoned(Exception):
    """A stream's writer failed and ended its file early: the chunk must not count."""


Written = list[tuple[str, int]]  # (table, rows) of each chunk written, in order


def keyed_by(rows: list[Row], columns: tuple[str, ...]) -> bool:
    """Whether every row has exactly ``columns`` as its keys (in any order)."""
    keys = set(columns)
    return all(r.keys() == keys for r in rows)


def mixed(table: str) -> SeedDataError:
    """The error for a factory whose rows do not all have the same columns."""
    return SeedDataError(f"factory for {table} produced rows with different columns")

"""The shapes the loader and the checks share: a row, and the callbacks the loader calls.

They live here, below the loader, because :mod:`terp_seed.validation.fit` builds the chunk check
and :mod:`terp_seed.validation.chunks` the verifier that :mod:`terp_seed.load.loader` calls.
"""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa

Row = dict[str, Any]


class ChunkVerifier(Protocol):
    """Checks rows just written (on the worker, in the step's transaction)."""

    def check(self, conn: sa.Connection, table: str, first: int, last: int) -> None: ...

    def skip(self, table: str) -> None: ...


class ChunkCheckFn(Protocol):
    """Called with each chunk before it is sent; raises to stop the step. ``bulk``: the chunk
    goes in by ``LOAD DATA``, where the server refuses what does not fit (see
    :mod:`terp_seed.validation.fit`); the loader calls it again without ``bulk`` to name the
    value when the server refuses the chunk or the encoder meets a value of another type."""

    def __call__(self, table: str, rows: list[Row], *, bulk: bool = False) -> None: ...

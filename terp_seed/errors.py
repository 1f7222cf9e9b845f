"""The errors terp-seed raises; each carries the data that explains it.

Every message is one line that says what was expected, what was found and what to do. The CLI
and the seed env print ``FAILED: <message>`` and exit non-zero; no traceback reaches the user.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic.util import CommandError


class TerpSeedError(CommandError):
    """Base class: a failure terp-seed understands and explains in one line.

    It is an Alembic ``CommandError``, so ``alembic -n seed ...`` prints ``FAILED: <message>``
    and exits 1 instead of showing a traceback.
    """

    exit_code = 1


class ConfigError(TerpSeedError):
    """A run option, environment variable or argument is invalid."""

    exit_code = 2


class ConnectError(TerpSeedError):
    """The database cannot be reached (the message never contains a password)."""


class LockTimeout(TerpSeedError):
    """The seed lock is held by another run and did not come free in time."""

    def __init__(self, message: str, holder: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.holder = holder or {}


class SchemaNotAtHead(TerpSeedError):
    """The schema lineage is behind its head: the seeds would write to an old schema."""


class DriftError(TerpSeedError):
    """The live database differs from the models in a way that breaks the seeds."""

    def __init__(self, message: str, diffs: Sequence[object]) -> None:
        super().__init__(message)
        self.diffs = list(diffs)


class PolicyError(TerpSeedError):
    """The environment policy forbids what was asked."""


class ConfirmationRequired(TerpSeedError):
    """A destructive step outside dev was not confirmed with the database name."""


class RollbackRefused(TerpSeedError):
    """Rollback would delete or orphan rows that the seed did not insert."""

    def __init__(self, message: str, blockers: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.blockers = list(blockers)


class SeedDataError(TerpSeedError):
    """Seed rows do not fit the live schema, or rows to seed already exist."""


class ValidationFailed(TerpSeedError):
    """Integrity rules found violations in the seeded rows."""

    def __init__(self, message: str, results: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.results = list(results)


class SeedStepFailed(TerpSeedError):
    """A seed revision or ad-hoc step failed in the database; its transaction was rolled back."""


class MaskingStopped(TerpSeedError):
    """A masking run stopped part-way (e.g. it lost the seed lock): the chunks it committed stay
    masked and recorded, the chunk in flight was rolled back; the message says which is which."""


class PiiLeakFound(TerpSeedError):
    """The leak scan found personal data: original values, or real-looking contact details."""

    def __init__(self, message: str, findings: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.findings = list(findings)

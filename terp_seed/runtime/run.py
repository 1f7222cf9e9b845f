"""One seed run: its options, its identity, its connection, and what each step did."""

from __future__ import annotations

import getpass
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL

from terp_seed.console import output
from terp_seed.db.dialects import dialect_of
from terp_seed.db.url import database_name
from terp_seed.errors import ConfirmationRequired
from terp_seed.factories.base import Gen, IdAllocator, Parents
from terp_seed.runtime import policy
from terp_seed.runtime.key_blocks import KeyBlock
from terp_seed.runtime.lock import HeldLock
from terp_seed.runtime.options import RunOptions
from terp_seed.runtime.policy import needs_confirmation
from terp_seed.store.audit import RunIdentity, StepResult
from terp_seed.validation.types import ChunkCheckFn


def new_run_id() -> str:
    """A run id: sortable by time, unique (``20261125T201642-1a2b3c4d``)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


@dataclass
class SeedRun:
    """State shared by the env, the seed revisions and the audit hook for one invocation."""

    options: RunOptions
    url: URL
    run_id: str = field(default_factory=new_run_id)
    offline: bool = False
    interactive: bool = False
    context: MigrationContext | None = None
    connection: sa.Connection | None = None
    results: list[StepResult] = field(default_factory=list)
    chunk_check: ChunkCheckFn | None = None
    lock: HeldLock | None = None  # set by open_run; steps that commit alone check it per chunk
    _confirmed: bool = False
    # set by runtime.binding: the database held data when first seen and no run named its
    # environment yet; no masking until one does
    unnamed_environment: bool = False
    _current_user: str | None = None
    key_blocks: dict[str | None, dict[str, KeyBlock]] = field(default_factory=dict)  # by revision
    #: what the command is about to run, before its first step: ``(direction, plan)`` per
    #: revision (set by the Alembic env, taken by the first step: it checks them all first)
    pending: list[tuple[str, Any]] = field(default_factory=list)
    _gen: Gen | None = None

    @property
    def db_name(self) -> str:
        return database_name(self.url)

    @property
    def current(self) -> StepResult | None:
        return self.results[-1] if self.results else None

    def begin_step(self, revision: str | None, direction: str) -> StepResult:
        result = StepResult(revision, direction)
        self.results.append(result)
        return result

    def execute(self, stmt: sa.Executable) -> Any:
        """Run ``stmt`` on the run's connection, or render it as SQL in offline mode."""
        if self.connection is not None:
            return self.connection.execute(stmt)
        assert self.context is not None, "offline run without a migration context"
        return self.context.execute(stmt)

    def gen(self, keys: Mapping[str, KeyBlock] | None = None) -> Gen:
        """The generation context: one per run, so parent caches and ids carry across steps.

        :param keys: primary-key blocks reserved for this step's tables.
        """
        if self._gen is None or self.connection is not None:
            # each step reads its parents and takes its keys on its own connection; the value
            # pools, which depend on the seed alone, are built once for the run
            self._gen = Gen(
                seed=self.options.seed,
                size=self.options.size,
                ids=IdAllocator(self.connection, keys),
                parents=Parents(self.connection),
                as_of=self.options.as_of,
                dev_logins=policy.may_use_dev_password(self.options.env),
                _pools=self._gen.built_pools if self._gen is not None else None,
            )
        return self._gen

    def confirm_destructive(self, action: str) -> None:
        """Outside dev, require the database name: typed at a prompt or ``-x confirm=``."""
        if not needs_confirmation(self.options.env) or self._confirmed or self.offline:
            return
        if self.options.confirm is not None:
            if self.options.confirm != self.db_name:
                raise ConfirmationRequired(
                    f"{action} in {self.options.env}: -x confirm={self.options.confirm!r} does "
                    f"not match the database name {self.db_name!r}; nothing was changed"
                )
        elif self.interactive:
            answer = output.ask(
                f"{action} in {self.options.env} on database {self.db_name!r}. "
                "Type the database name to go on: "
            )
            if answer != self.db_name:
                raise ConfirmationRequired(
                    f"{action} not confirmed (typed {answer!r}, expected {self.db_name!r}); "
                    "nothing was changed"
                )
        else:
            raise ConfirmationRequired(
                f"{action} in {self.options.env} needs confirmation: pass -x confirm="
                f"{self.db_name} (CLI: --confirm {self.db_name}); nothing was changed"
            )
        self._confirmed = True

    def audit_identity(self) -> dict[str, Any]:
        """Who ran this: database user, OS user and host (never a password)."""
        try:
            os_user = getpass.getuser()
        except Exception:  # pragma: no cover - no user database in some containers
            os_user = "?"
        return {"db_user": self._db_user(), "os_user": os_user, "host": socket.gethostname()}

    def identity(self) -> RunIdentity:
        """This run as its audit rows name it: options and :meth:`audit_identity`."""
        return RunIdentity(
            run_id=self.run_id,
            environment=self.options.env,
            seed=self.options.seed,
            size=self.options.size.name,
            **self.audit_identity(),
        )

    def _db_user(self) -> str | None:
        """The account the database says we are (``CURRENT_USER()``), cached for the run."""
        if self._current_user is None:
            fixed = dialect_of(self.url).fixed_user
            if fixed is not None:
                self._current_user = fixed
            elif self.connection is not None and not self.connection.closed:
                try:
                    value = self.connection.execute(sa.text("SELECT CURRENT_USER()")).scalar()
                    self._current_user = str(value)
                except sa.exc.DBAPIError:  # connection lost: fall back to the URL
                    self._current_user = self.url.username
            else:
                return self.url.username
        return self._current_user

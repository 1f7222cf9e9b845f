"""Structured JSON logging: the formatter and rotating file handler named in ``alembic.ini``.

Run context (run id, revision, environment) is attached to every record through
:func:`bind`, and anything that looks like a secret is scrubbed before a line is written.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import logging
import logging.handlers
import os
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from terp_seed.db.url import redact_text

_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "terp_seed_log_context", default=MappingProxyType({})
)
# password=VALUE, mask_key: VALUE ...: the value up to a quote, comma, bracket or space (never
# past it: the text after stays, a JSON line stays valid); MySQL's "using password: YES" is kept
_SECRET_ASSIGNED = re.compile(
    r"((?:password|passwd|pwd|mask_key|TERP_SEED_MASK_KEY)\s*[=:]\s*)"
    r"(?!(?:YES|NO)\b)[^\s'\",;()\[\]{}]+",
    re.I,
)
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Never write ``value`` to a log line (used for the masking key)."""
    if value:
        _secrets.add(value)


def scrub(text: str) -> str:
    """Replace passwords and registered secrets in ``text`` with ``***``."""
    text = _SECRET_ASSIGNED.sub(r"\1***", redact_text(text))
    for secret in _secrets:
        text = text.replace(secret, "***")
    return text


@contextlib.contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Attach ``fields`` (run_id, revision, environment, ...) to every record logged inside.

    A callable value is called each time a record is written, for a field that changes
    during the block (the revision being run).
    """
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class JsonFormatter(_BaseJsonFormatter):
    """JSON lines with the bound run context; secrets scrubbed."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.setdefault("timestamp", _iso_utc(record.created))
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        for key, value in _context.get().items():
            if key not in log_data:
                log_data[key] = value() if callable(value) else value
        for key in ("asctime", "levelname", "name"):
            log_data.pop(key, None)
        for key, value in log_data.items():  # each value, before it is serialised as JSON
            log_data[key] = _scrubbed(value)


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def _iso_utc(created: float) -> str:
    stamp = datetime.datetime.fromtimestamp(created, datetime.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Rotating log file (10 MB x 5) that creates its directory, or quietly does nothing when
    the directory cannot be created (a read-only checkout must not stop a deploy)."""

    def __init__(self, filename: str, max_bytes: int = 10_000_000, backups: int = 5) -> None:
        filename = os.environ.get("TERP_SEED_LOG_FILE", filename)
        try:
            # owner only: a log line may name tables, hosts and users of a production copy
            os.makedirs(os.path.dirname(filename) or ".", mode=0o700, exist_ok=True)
            super().__init__(filename, maxBytes=max_bytes, backupCount=backups, delay=True)
            self._disabled = False
        except OSError:
            logging.Handler.__init__(self)
            self._disabled = True

    def emit(self, record: logging.LogRecord) -> None:
        if not self._disabled:
            super().emit(record)

    def _open(self) -> Any:
        """The log file, created readable and writable by its owner only (0600)."""
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)

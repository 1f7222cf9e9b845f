"""The one place that writes what a user must see (summaries, prompts) to stdout/stderr."""

from __future__ import annotations

import sys


def say(text: str) -> None:
    """A line for the user on stdout."""
    print(text, file=sys.stdout, flush=True)


def warn(text: str) -> None:
    """A line for the user on stderr."""
    print(text, file=sys.stderr, flush=True)


def ask(prompt: str) -> str:
    """Ask on the terminal; returns the stripped answer ('' on end of input)."""
    try:
        return input(prompt).strip()
    except EOFError:
        return ""


def is_terminal() -> bool:
    """True when a person is at the keyboard (stdin and stderr are terminals)."""
    return sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()

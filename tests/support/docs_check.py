"""What the reference and troubleshooting docs must cover, read from the code itself.

- :func:`error_messages`: every message terp-seed can raise as one of its own errors, found by
  reading the source (``raise SomeTerpSeedError(f"...")``), each reduced to its longest fixed
  fragment, the text a user can search the troubleshooting page for.
- :func:`cli_surface`: every ``terp-seed`` command and its flags, from the argument parser.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import terp_seed
from terp_seed import errors

PACKAGE = Path(terp_seed.__file__).resolve().parent


@dataclass(frozen=True)
class Message:
    """One raise site: the error class, its longest fixed fragment, and where it is."""

    error: str
    fragment: str
    where: str


def error_classes() -> list[str]:
    """Names of every error class in ``terp_seed.errors``."""
    return sorted(
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, errors.TerpSeedError)
    )


def error_messages() -> list[Message]:
    """Every ``raise <TerpSeedError subclass>(<message>)`` in the package."""
    names = set(error_classes())
    found: list[Message] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "testing" in path.parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        found.extend(_built_messages(tree, path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in names or not node.exc.args:
                continue
            fragment = _longest_fixed_text(node.exc.args[0])
            if fragment:
                where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                found.append(Message(name, fragment, where))
    return found


def _built_messages(tree: ast.Module, path: Path) -> list[Message]:
    """Messages built by helper functions (``describe_*``, ``*_message``, ``*_failure``)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and re.search(
            r"^describe_|_message$|_failure$", node.name
        ):
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and ret.value is not None:
                    fragment = _longest_fixed_text(ret.value)
                    if fragment:
                        where = f"{path.relative_to(PACKAGE.parent)}:{ret.lineno}"
                        out.append(Message(node.name, fragment, where))
    return out


def _longest_fixed_text(arg: ast.expr) -> str:
    parts: list[str] = []
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        parts = [arg.value]
    elif isinstance(arg, ast.JoinedStr):
        current = ""
        for value in arg.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                current += value.value
            else:
                parts.append(current)
                current = ""
        parts.append(current)
    elif isinstance(arg, ast.BinOp):  # "a" "b" f"c" concatenations become JoinedStr already
        return _longest_fixed_text(arg.left)
    best = max((_clean(p) for p in parts), key=len, default="")
    return best if len(best) >= 8 else ""


def _clean(text: str) -> str:
    """Drop what clings to a placeholder (``)``, ``+``, the ``s`` of ``{n}s.``) and backticks."""
    text = re.sub(r"^[a-z]{1,2}(?=[.;,] )", "", text.replace("`", ""))
    return text.strip(" :;,.)+(")


def cli_surface() -> dict[str, set[str]]:
    """``{command: {--flag, ...}}`` for every ``terp-seed`` command (global flags under '')."""
    from terp_seed.cli import build_parser

    parser = build_parser()
    surface = {"": _flags(parser)}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                surface[name] = _flags(sub)
    return surface


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    out: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        long = [s for s in action.option_strings if s.startswith("--")]
        if long:
            out.add(long[0])
        elif not action.option_strings:
            out.add(action.dest.upper())
    return out

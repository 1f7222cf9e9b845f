"""The docs stay true: every command, flag, -x key and error message is documented, and the
docs name nothing that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.docs_check import cli_surface, error_classes, error_messages

from terp_seed.runtime.options import OPTION_HELP

DOCS = Path(__file__).resolve().parents[1] / "docs"
REFERENCE = (DOCS / "reference.md").read_text()
TROUBLE = (DOCS / "troubleshooting.md").read_text().replace("`", "")


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^### `terp-seed ([\w-]+)`\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_every_command_and_flag_is_documented() -> None:
    sections = _sections(REFERENCE)
    surface = cli_surface()
    global_flags = surface.pop("")
    assert set(sections) == set(surface), "commands in docs/reference.md != commands in the CLI"
    for command, flags in surface.items():
        for flag in flags - {"FILE"}:
            assert flag in sections[command], f"terp-seed {command} {flag} is not documented"
        for flag in set(re.findall(r"--[a-z][a-z-]+", sections[command])):
            assert flag in flags | global_flags, f"docs name terp-seed {command} {flag}"
    for flag in global_flags:
        assert flag in REFERENCE


def test_every_x_option_is_documented() -> None:
    section = REFERENCE.split("### `-x` options", 1)[1].split("\n### ", 1)[0]
    keys = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))
    assert keys == set(OPTION_HELP), (
        f"docs only: {keys - set(OPTION_HELP)}; code only: {set(OPTION_HELP) - keys}"
    )


def test_every_error_class_has_a_section() -> None:
    for name in error_classes():
        assert re.search(rf"^### `?{name}`?", TROUBLE, flags=re.M), f"{name} has no section"


@pytest.mark.parametrize("message", error_messages(), ids=lambda m: m.where)
def test_every_error_message_is_explained(message) -> None:  # type: ignore[no-untyped-def]
    assert message.fragment in TROUBLE, (
        f"{message.where}: {message.error} message {message.fragment!r} is not in "
        "docs/troubleshooting.md"
    )


def test_readme_links_resolve() -> None:
    root = DOCS.parent
    readme = (root / "README.md").read_text()
    first = [line.split("#")[0].strip() for line in readme.splitlines()[3:5]]
    assert first == ["make demo", "make test"], "README must open with the two set-up commands"
    for target in re.findall(r"\]\(([^)#]+)", readme):
        assert (root / target).exists(), target
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"

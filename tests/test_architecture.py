"""The package's shape: folders are layers, imports point down, modules and classes stay small.

Read from the source with :mod:`ast`, so a lazy import inside a function counts like any other,
and importing a module counts as importing every package above it (its ``__init__`` runs).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "terp_seed"

# Each folder may import its own modules and those of the layers after it in this list, never
# those before it. Root modules are data and errors that every layer may read; `plan` is the
# revision authors' API, beside the runtime.
LAYERS: list[tuple[str, ...]] = [
    ("cli",),
    ("csvload", "masking"),
    ("seeding",),
    ("runtime", "plan"),
    ("load",),
    ("validation",),
    ("store",),
    ("factories",),
    ("console",),
    ("db",),
    ("errors", "schema", "sizes"),
]
# `testing` is the pytest plugin shipped for other projects: it may use anything, nothing uses it.
OUTSIDE_LAYERS = frozenset({"testing"})
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 250
MAX_ROOT_MODULES = 10
# Tables of data, not code: TERP's schema mirrored column for column, and the provider's data.
DATA_MODULES = frozenset({"terp_seed.schema", "terp_seed.factories.cannabis_data"})
LAZY_MARK = "lazy:"  # a comment on a function-level import saying why it must be lazy


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: list[str]
    imports: set[str] = field(default_factory=set)
    nested: list[tuple[int, str]] = field(default_factory=list)


def _modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        text = path.read_text()
        found[name] = Module(name, path, ast.parse(text), text.splitlines())
    for module in found.values():
        _read_imports(module, found)
    return found


def _read_imports(module: Module, known: dict[str, Module]) -> None:
    is_package = module.path.name == "__init__.py"
    top_level = {id(node) for node in module.tree.body}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.name.split(".")[: None if is_package else -1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join([*here, *([node.module] if node.module else [])])
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        ours = [t for t in targets if t in known and t != module.name]
        for target in ours:
            module.imports.update(_with_packages(target, module.name, known))
        if (
            ours
            and id(node) not in top_level
            and not _under_type_checking(module.tree, node)
            and LAZY_MARK not in _comment_above(module.lines, node.lineno)
        ):
            module.nested.append((node.lineno, ours[0]))


def _comment_above(lines: list[str], lineno: int) -> str:
    """The import's own line and the comment lines right above it."""
    text = [lines[lineno - 1]]
    i = lineno - 2
    while i >= 0 and lines[i].strip().startswith("#"):
        text.append(lines[i])
        i -= 1
    return " ".join(text)


def _with_packages(target: str, importer: str, known: dict[str, Module]) -> Iterator[str]:
    """``target`` and each package above it whose ``__init__`` importing it runs."""
    parts = target.split(".")
    for i in range(2, len(parts) + 1):
        name = ".".join(parts[:i])
        if name in known and name != importer and not importer.startswith(name + "."):
            yield name


def _under_type_checking(tree: ast.Module, target: ast.AST) -> bool:
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test)
            and any(child is target for child in ast.walk(node))
        ):
            return True
    return False


MODULES = _modules()


def _layer(name: str) -> int | None:
    top = name.split(".")[1] if "." in name else ""
    for i, group in enumerate(LAYERS):
        if top in group:
            return i
    return None


def _cycles() -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(MODULES[v].imports):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(MODULES):
        if name not in index:
            visit(name)
    return found


def test_no_import_cycle() -> None:
    assert _cycles() == []


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for module in MODULES.values():
        mine = _layer(module.name)
        if mine is None:
            continue
        for target in sorted(module.imports):
            theirs = _layer(target)
            if theirs is not None and theirs < mine:
                wrong.append(f"{module.name} imports {target}")
            if target.split(".")[1:2] and target.split(".")[1] in OUTSIDE_LAYERS:
                wrong.append(f"{module.name} imports {target} (the shipped pytest plugin)")
    assert wrong == []


def test_every_folder_is_a_layer() -> None:
    tops = {m.split(".")[1] for m in MODULES if "." in m}
    placed = {name for group in LAYERS for name in group} | OUTSIDE_LAYERS
    assert tops - placed == set()


def test_no_function_level_import_of_our_modules_without_a_reason() -> None:
    found = [f"{m.name}:{line} imports {t}" for m in MODULES.values() for line, t in m.nested]
    assert found == [], f"import at the top, or say why it must be lazy ({LAZY_MARK} ...)"


def test_modules_and_classes_stay_small() -> None:
    big = []
    for module in MODULES.values():
        if module.name in DATA_MODULES:
            continue
        if len(module.lines) > MAX_MODULE_LINES:
            big.append(f"{module.name}: {len(module.lines)} lines")
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_CLASS_LINES:
                    big.append(f"{module.name}.{node.name}: {size} lines")
    assert big == []


def test_few_modules_at_the_package_root() -> None:
    loose = [p.name for p in PACKAGE.glob("*.py")]
    assert len(loose) <= MAX_ROOT_MODULES, loose


@pytest.mark.parametrize(
    ("piece", "where"),
    [
        ("the lock", "runtime/lock.py"),
        ("the drift gate", "runtime/drift.py"),
        ("the environment policy", "runtime/policy.py"),
        ("the run bootstrap", "runtime/session.py"),
        ("the ledger", "store/ledger.py"),
        ("the audit trail", "store/audit.py"),
        ("the loader", "load/loader.py"),
        ("masking", "masking/mask.py"),
        ("validation", "validation/runner.py"),
        ("per-dialect differences", "db/dialects.py"),
    ],
)
def test_each_piece_lives_where_its_folder_says(piece: str, where: str) -> None:
    assert (PACKAGE / where).is_file(), f"{piece} should live in terp_seed/{where}"


def test_only_the_pytest_plugin_ships_in_testing() -> None:
    assert sorted(p.name for p in (PACKAGE / "testing").glob("*.py")) == [
        "__init__.py",
        "plugin.py",
    ]

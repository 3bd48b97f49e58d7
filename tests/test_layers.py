"""Imports flow one way: main -> viz -> sim -> agents (checked by walking every import).

- ``sim/``, ``agents/`` and ``scenarios/`` import neither ``viz`` nor ``main``;
- ``agents/`` import ``sim`` only under ``if TYPE_CHECKING:`` (Mesa's idiom for the model);
- ``viz/`` does not import ``main``;
- only the command-line layer imports ``argparse``: ``main.py``, ``sim/commands/`` and
  viz's command modules (``viz/commands.py``, ``viz/**/command.py``, ``viz/**/cli.py``,
  ``viz/**/commands/``). Scripts outside the packages (``tests/``, ``benchmarks/``,
  ``docs/``) have their own command lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agents", "sim", "scenarios", "viz")
SKIPPED_DIRS = {".venv", ".git", "__pycache__", ".ruff_cache", "build", "dist"}


def python_files() -> list[PurePosixPath]:
    """Every .py file of the repository (outside the virtual environment), relative."""
    files = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if not SKIPPED_DIRS & set(relative.parts) and not relative.parts[0].startswith("."):
            files.append(PurePosixPath(relative.as_posix()))
    return sorted(files)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _package_of(path: PurePosixPath) -> list[str]:
    """The package a file belongs to (for ``pkg/__init__.py`` too: ``pkg``)."""
    return list(path.parts[:-1])


def imports(path: PurePosixPath, source: str) -> Iterator[tuple[str, bool]]:
    """``(imported module, only under TYPE_CHECKING)`` for every import in ``source``."""
    tree = ast.parse(source, filename=str(path))

    def walk(node: ast.AST, type_checking: bool) -> Iterator[tuple[str, bool]]:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from walk(child, True)
            for child in node.orelse:
                yield from walk(child, type_checking)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, type_checking
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                package = _package_of(path)
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module, type_checking
            for alias in node.names:  # `from sim import model` imports sim.model
                yield f"{module}.{alias.name}", type_checking
        for child in ast.iter_child_nodes(node):
            yield from walk(child, type_checking)

    yield from walk(tree, False)


def _top(module: str) -> str:
    return module.split(".", 1)[0]


VIZ_COMMAND_MODULES = frozenset({"commands", "command", "cli"})
"""Names of viz's command modules (``viz/commands.py``, ``viz/live/cli.py``, ...)."""


def may_import_argparse(path: PurePosixPath) -> bool:
    """The command-line layer: main.py, sim/commands/, viz's command modules; or a script."""
    parts = path.parts
    if parts[0] not in PACKAGES:
        return True  # main.py, tests, benchmarks, docs scripts
    if parts[:2] == ("sim", "commands"):
        return True
    return parts[0] == "viz" and bool(VIZ_COMMAND_MODULES & {path.stem, *parts[1:-1]})


def violations(path: PurePosixPath, source: str) -> list[str]:
    """Every import in ``source`` (the file at ``path``) that breaks the layering."""
    found = []
    layer = path.parts[0] if len(path.parts) > 1 else path.stem
    for module, type_checking in imports(path, source):
        top = _top(module)
        if layer in ("sim", "agents", "scenarios") and top in ("viz", "main"):
            found.append(f"{path}: imports {module} ({layer} must not know {top})")
        if layer == "agents" and top == "sim" and not type_checking:
            found.append(f"{path}: imports {module} outside `if TYPE_CHECKING:`")
        if layer == "viz" and top == "main":
            found.append(f"{path}: imports {module} (viz must not know main)")
        if top == "argparse" and not may_import_argparse(path):
            found.append(f"{path}: imports argparse outside the command-line layer")
    return sorted(set(found))


def test_every_module_imports_only_downward() -> None:
    files = python_files()
    assert PurePosixPath("main.py") in files and PurePosixPath("sim/batch/plan.py") in files
    found = [problem for path in files for problem in violations(path, (ROOT / path).read_text())]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("sim/model.py", "import viz.live\n"),
        ("sim/batch/plan.py", "def f():\n    from viz import figures\n"),
        ("sim/batch/plan.py", "from main import main\n"),
        ("agents/cell.py", "from sim.model import CarTModel\n"),
        ("agents/cell.py", "def f():\n    import sim.tissue\n"),
        ("agents/sub/x.py", "from ...sim import model\n"),
        ("scenarios/loader.py", "import viz\n"),
        ("viz/live/app.py", "import main\n"),
        ("sim/run.py", "import argparse\n"),
        ("viz/figures.py", "from argparse import ArgumentParser\n"),
        ("viz/live/app.py", "import argparse\n"),
        ("agents/cell.py", "if TYPE_CHECKING:\n    pass\nelse:\n    import sim.model\n"),
    ],
)
def test_the_checker_flags_a_made_up_violation(path: str, source: str) -> None:
    assert violations(PurePosixPath(path), source)


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("agents/cell.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sim\n"),
        ("agents/cell.py", "import typing\nif typing.TYPE_CHECKING:\n    from sim import model\n"),
        ("viz/live/app.py", "from sim.snapshot import snapshot\n"),
        ("sim/commands/run.py", "import argparse\n"),
        ("viz/commands.py", "import argparse\n"),
        ("viz/live/commands.py", "import argparse\n"),
        ("viz/live/cli.py", "import argparse\n"),
        ("viz/report/command.py", "import argparse\n"),
        ("main.py", "import argparse\nimport viz.commands\nimport sim.commands\n"),
        ("benchmarks/batch.py", "import argparse\n"),
    ],
)
def test_the_checker_allows_what_the_layers_allow(path: str, source: str) -> None:
    assert violations(PurePosixPath(path), source) == []

"""Imports flow one way (checked by walking every import of every file):

    main.py -> commands -> viz, study -> sim -> agents

- ``agents/`` (the rules) import only ``agents``: what a rule may ask of the model is the
  protocol in ``agents/surroundings.py``, so not even a type annotation names ``sim``;
- ``sim/`` (the model) imports ``agents`` and ``sim``;
- ``study/`` (runs the model many times, reads results) imports ``sim``, ``agents`` and
  ``study``;
- ``viz/`` (only draws) imports ``sim``, ``study``, ``agents`` and ``viz``;
- ``commands/`` imports any of these, never ``main``;
- only the command-line layer imports ``argparse``: ``main.py`` and ``commands/``. Scripts
  outside the packages (``tests/``, ``benchmarks/``, ``docs/``) have their own command lines;
- no import circle, counting imports inside functions (they hide circles) and leaving out
  those under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {".venv", ".git", "__pycache__", ".ruff_cache", "build", "dist"}

MAY_IMPORT: dict[str, frozenset[str]] = {
    "agents": frozenset({"agents"}),
    "sim": frozenset({"agents", "sim"}),
    "study": frozenset({"agents", "sim", "study"}),
    "viz": frozenset({"agents", "sim", "study", "viz"}),
    "commands": frozenset({"agents", "sim", "study", "viz", "commands"}),
    "scenarios": frozenset(),
}
"""For each package of the project: the project's packages it may import."""
PROJECT = frozenset({*MAY_IMPORT, "main"})
ARGPARSE_LAYERS = frozenset({"commands", "main"})


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


def module_name(path: PurePosixPath) -> str:
    """``sim/model.py`` -> ``sim.model``; ``sim/__init__.py`` -> ``sim``."""
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: PurePosixPath, source: str) -> Iterator[tuple[str, bool]]:
    """``(imported module, only under TYPE_CHECKING)`` for every import in ``source``.

    ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a module)."""
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
                package = list(path.parts[:-1])
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module, type_checking
            for alias in node.names:
                yield f"{module}.{alias.name}", type_checking
        for child in ast.iter_child_nodes(node):
            yield from walk(child, type_checking)

    yield from walk(tree, False)


def _layer(path: PurePosixPath) -> str:
    return path.parts[0] if len(path.parts) > 1 else path.stem


def violations(path: PurePosixPath, source: str) -> list[str]:
    """Every import in ``source`` (the file at ``path``) that breaks the layering."""
    found = []
    layer = _layer(path)
    allowed = MAY_IMPORT.get(layer)
    for module, _ in imports(path, source):
        top = module.split(".", 1)[0]
        if allowed is not None and top in PROJECT and top not in allowed:
            found.append(f"{path}: imports {module} ({layer} must not know {top})")
        if top == "argparse" and layer in MAY_IMPORT and layer not in ARGPARSE_LAYERS:
            found.append(f"{path}: imports argparse outside the command-line layer")
    return sorted(set(found))


def test_every_module_imports_only_downward() -> None:
    files = python_files()
    assert PurePosixPath("main.py") in files and PurePosixPath("study/batch/plan.py") in files
    found = [problem for path in files for problem in violations(path, (ROOT / path).read_text())]
    assert not found, "\n".join(found)


def import_graph(sources: dict[PurePosixPath, str]) -> dict[str, set[str]]:
    """Module -> the project's modules it imports at run time (inside functions too)."""
    known = {module_name(path) for path in sources}
    graph: dict[str, set[str]] = {}
    for path, source in sources.items():
        edges = graph.setdefault(module_name(path), set())
        for module, type_checking in imports(path, source):
            if not type_checking and module in known and module != module_name(path):
                edges.add(module)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    sources = {
        path: (ROOT / path).read_text()
        for path in python_files()
        if _layer(path) in PROJECT and len(path.parts) >= 1
    }
    assert circles(import_graph(sources)) == []


def test_the_circle_check_finds_a_hidden_circle() -> None:
    sources = {
        PurePosixPath("viz/live/app.py"): "def frame():\n    from viz.live.render import render\n",
        PurePosixPath("viz/live/render.py"): "from viz.live.app import HINT\n",
        PurePosixPath("viz/live/text.py"): "if TYPE_CHECKING:\n    from viz.live.app import X\n",
        PurePosixPath("viz/live/inputs.py"): "import viz.live.text\n",
    }
    assert circles(import_graph(sources)) == [["viz.live.app", "viz.live.render"]]


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("sim/model.py", "import viz.live\n"),
        ("sim/model.py", "from study.batch import run_batch\n"),
        ("study/batch/plan.py", "def f():\n    from viz import figure_style\n"),
        ("study/batch/plan.py", "from main import main\n"),
        ("study/batch/plan.py", "from commands import options\n"),
        ("agents/cell.py", "from sim.model import CarTModel\n"),
        ("agents/cell.py", "def f():\n    import sim.tissue\n"),
        ("agents/cell.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sim\n"),
        ("agents/sub/x.py", "from ...sim import model\n"),
        ("scenarios/loader.py", "import sim\n"),
        ("viz/live/app.py", "import main\n"),
        ("viz/live/app.py", "from commands.options import seed\n"),
        ("sim/run.py", "import argparse\n"),
        ("study/batch/plan.py", "import argparse\n"),
        ("viz/timeline_figure.py", "from argparse import ArgumentParser\n"),
        ("commands/run.py", "import main\n"),
    ],
)
def test_the_checker_flags_a_made_up_violation(path: str, source: str) -> None:
    assert violations(PurePosixPath(path), source)


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("agents/cell.py", "from agents.surroundings import Surroundings\n"),
        ("viz/live/app.py", "from sim.snapshot import snapshot\n"),
        ("viz/comparison_figures.py", "from study.analysis import comparison\n"),
        ("study/validation/meanfield.py", "from agents.healthy_b_cell import HealthyBCell\n"),
        ("commands/run.py", "import argparse\n"),
        ("commands/compare.py", "import argparse\nfrom viz import comparison_report\n"),
        ("main.py", "import argparse\nimport commands\n"),
        ("benchmarks/batch.py", "import argparse\n"),
        ("tests/test_cli.py", "import main\n"),
    ],
)
def test_the_checker_allows_what_the_layers_allow(path: str, source: str) -> None:
    assert violations(PurePosixPath(path), source) == []


def test_no_lazy_name_of_study_batch_is_also_a_submodule() -> None:
    import study.batch

    submodules = {path.stem for path in (ROOT / "study" / "batch").glob("*.py")}
    assert not submodules & set(study.batch._WHERE)
    for name, module in study.batch._WHERE.items():
        assert hasattr(__import__(module, fromlist=[name]), name), (name, module)

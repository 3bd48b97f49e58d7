"""The docs say what the code does, and the repository stands alone.

The parameter table of docs/model.md matches the parameter models, every parameter
states its source, and no file refers to documents outside the repository.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from sim.model import CarTModel
from sim.parameters import Scenario, iter_parameters, source_of


def _table_module(root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_table", root / "docs/make_parameter_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_parameter_table_in_docs_is_current(repo_root: Path) -> None:
    module = _table_module(repo_root)
    document = (repo_root / "docs/model.md").read_text(encoding="utf-8")
    assert module.BEGIN in document and module.END in document
    current = document.split(module.BEGIN, 1)[1].split(module.END, 1)[0].strip()
    expected = module.markdown_table()
    stale = [row for row in expected.splitlines() if row not in current.splitlines()]
    assert not stale, "run `uv run python docs/make_parameter_table.py`; stale: " + stale[0]
    assert current == expected, "run `uv run python docs/make_parameter_table.py`"


def test_the_table_has_a_row_per_parameter_with_its_source(repo_root: Path) -> None:
    rows = _table_module(repo_root).parameter_rows()
    names = [f"`{table}.{key}`" for table, key, _ in iter_parameters(Scenario)]
    assert [row[0] for row in rows] == names
    assert "`tocilizumab.cytokine_release_factor`" in names


def test_every_parameter_states_its_source_and_meaning() -> None:
    missing = [
        f"{table}.{key}"
        for table, key, field in iter_parameters(Scenario)
        if not source_of(field).strip() or not (field.description or "").strip()
    ]
    assert not missing, f"parameters without a source or description: {missing}"


def test_tocilizumab_defaults_are_in_range(autologous_scenario: Scenario) -> None:
    tocilizumab = autologous_scenario.tocilizumab
    assert 0.0 <= tocilizumab.cytokine_release_factor <= 1.0
    assert 0.5 <= tocilizumab.duration_days <= 60.0


def test_the_repository_refers_to_no_outside_document(repo_root: Path) -> None:
    # Built from parts so that this file does not match itself.
    outside = re.compile("|".join(["MODEL" + r"\.md", "TARGETS" + r"\.md", r"\.\./" + "shared"]))
    skip = {".venv", ".git", "runs", "out", "__pycache__", ".ruff_cache"}
    hits = [
        f"{path.relative_to(repo_root)}:{number}"
        for path in repo_root.rglob("*")
        if path.suffix in {".py", ".md", ".toml"}
        and not skip.intersection(path.relative_to(repo_root).parts)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line)
    ]
    assert not hits, f"references to documents outside the repository: {hits}"


@pytest.mark.parametrize("overrides", [(), ("grid.width=9",)])
def test_the_empty_model_fixture_builds_an_empty_tissue(
    empty_model: object, overrides: tuple[str, ...]
) -> None:
    assert callable(empty_model)
    model = empty_model(overrides)
    assert isinstance(model, CarTModel)
    assert model.census.blasts == 0 and model.census.car_t == 0

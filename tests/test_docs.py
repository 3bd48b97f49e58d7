"""The docs say what the code does: the parameter table matches the parameter models."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_parameter_table_in_docs_is_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_table", ROOT / "docs/make_parameter_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    document = (ROOT / "docs/model.md").read_text()
    stale = [row for row in module.markdown_table().splitlines() if row not in document]
    assert not stale, "re-run `uv run python docs/make_parameter_table.py` and paste: " + stale[0]

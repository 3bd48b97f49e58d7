"""Results do not change by accident: seeded runs equal the stored baseline, bit for bit."""

from __future__ import annotations

import json

import pytest
from baseline import BASELINE_FILE, baseline_record

STORED: dict[str, dict] = json.loads(BASELINE_FILE.read_text())


@pytest.mark.parametrize("key", sorted(STORED))
def test_run_equals_stored_baseline(key: str) -> None:
    name, seed = key.split("/")
    assert baseline_record(name, int(seed)) == STORED[key], (
        f"{key} differs from tests/data/baseline_summaries.json; if the change of results "
        "is intended, rewrite it with `uv run python tests/baseline.py`"
    )

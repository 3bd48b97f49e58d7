"""The stored results baseline: a few seeded runs of every scenario, summarised.

Any change that alters a result changes this baseline, so refactors can show that they
changed nothing (``tests/test_baseline.py``). A deliberate change of the model's results
rewrites it::

    uv run python tests/baseline.py

and the new file is committed with the change that explains it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sim.loader import load_scenario, scenario_names
from sim.run import run_simulation

BASELINE_FILE = Path(__file__).parent / "data" / "baseline_summaries.json"
SEEDS = (1, 2)
DAYS = 70  # past the autologous infusion (day ~45) and the CAR T-cell peak of classroom


def timeseries_digest(result: Any) -> str:
    """SHA-256 of the daily table as CSV: catches a change in any day's count."""
    text = result.timeseries.to_csv(index=False, float_format="%.10g")
    return hashlib.sha256(text.encode()).hexdigest()


def baseline_record(scenario_name: str, seed: int) -> dict[str, Any]:
    """The summary of one short seeded run, with a digest of its daily table."""
    result = run_simulation(load_scenario(scenario_name), seed, DAYS)
    return {"summary": result.summary, "timeseries_sha256": timeseries_digest(result)}


def compute_baseline() -> dict[str, dict[str, Any]]:
    """Every scenario under every seed of :data:`SEEDS`, keyed ``"name/seed"``."""
    return {
        f"{name}/{seed}": baseline_record(name, seed) for name in scenario_names() for seed in SEEDS
    }


if __name__ == "__main__":
    baseline = compute_baseline()
    BASELINE_FILE.write_text(json.dumps(baseline, indent=1, sort_keys=True) + "\n")
    print(f"wrote {BASELINE_FILE} ({len(baseline)} runs)")

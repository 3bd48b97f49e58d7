"""The end-of-batch lines of a lymphoma batch: every best response and what followed a
response, each with its cause as the daily table shows it (:mod:`sim.lymphoma`).

Complete response (CR), partial response (PR), stable disease (SD) and progressive
disease (PD) are the best response by month 3; for PR, SD and PD the cause of the tumour
left at the month-3 scan (``lymphoma_not_cleared_cause``); after a response, relapse
after a CR or progression after a PR with its cause (``lymphoma_progression_cause``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from sim.lymphoma import CATEGORIES
from study.batch.plan import BatchPlan

FIELDS = (
    "run_id",
    "lymphoma_best_response",
    "lymphoma_progression",
    "lymphoma_progression_cause",
    "lymphoma_not_cleared_cause",
)


def _causes(counter: Counter[str]) -> str:
    """``(outgrowth 3, car_t_loss 1)``, or nothing when no cause was recorded."""
    text = ", ".join(f"{cause} {count}" for cause, count in counter.most_common())
    return f" ({text})" if text else ""


def lymphoma_lines(plan: BatchPlan, runs_parquet: Path) -> list[str]:
    """One line per scenario and sweep cell that holds lymphoma runs (none otherwise)."""
    if not runs_parquet.exists():
        return []
    if not set(FIELDS[1:3]) <= set(pq.read_schema(runs_parquet).names):
        return []
    present = [f for f in FIELDS if f in pq.read_schema(runs_parquet).names]
    table = pq.read_table(runs_parquet, columns=present).to_pydict()
    rows = {
        run_id: {field: table[field][i] for field in present}
        for i, run_id in enumerate(table["run_id"])
    }
    cells: dict[tuple[int, int], list[dict]] = {}
    for run in plan.runs:
        row = rows.get(run.run_id)
        if row is not None and row["lymphoma_best_response"] is not None:
            cells.setdefault((run.scenario_index, run.cell_index), []).append(row)
    lines = []
    for (scenario_index, cell_index), cell_rows in cells.items():
        name = plan.scenario_names[scenario_index]
        sweep = ", ".join(f"{key}={value}" for key, value in plan.cell_values[cell_index])
        label = f"{name} [{sweep}]" if sweep else name
        best = Counter(row["lymphoma_best_response"] for row in cell_rows)
        left: dict[str, Counter[str]] = {category: Counter() for category in CATEGORIES}
        after: dict[str, Counter[str]] = {"CR": Counter(), "PR": Counter()}
        for row in cell_rows:
            category = row["lymphoma_best_response"]
            if row.get("lymphoma_not_cleared_cause"):
                left[category][row["lymphoma_not_cleared_cause"]] += 1
            if row["lymphoma_progression"]:
                after[category][row.get("lymphoma_progression_cause") or "unknown"] += 1
        responses = "; ".join(
            f"{category} {best[category]}{_causes(left[category])}" for category in CATEGORIES
        )
        lines.append(
            f"{label}: best response by month 3 of {len(cell_rows)} runs: {responses}; "
            f"relapse after CR {after['CR'].total()}{_causes(after['CR'])}; "
            f"progression after PR {after['PR'].total()}{_causes(after['PR'])}"
        )
    return lines

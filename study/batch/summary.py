"""The end-of-batch table: per scenario and sweep cell, the outcome share and its interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow.parquet as pq

from study.analysis import wilson_interval
from study.batch.plan import BatchPlan
from study.batch.store import RUNS_PARQUET, BatchDirectory

OUTCOME_FIELD = "remission_day28"
"""The summary field whose share (with a Wilson interval) the end-of-batch table shows."""


@dataclass(frozen=True)
class CellSummary:
    """The outcome share of one scenario and sweep cell, with its Wilson interval.

    ``runs`` counts the runs where the outcome was observed; ``unobserved`` those where it
    is null (the run ended before day 28 after infusion), left out of the share.
    """

    scenario: str
    sweep_values: tuple[tuple[str, Any], ...]
    runs: int
    successes: int
    low: float
    high: float
    unobserved: int = 0

    @property
    def share(self) -> float:
        """successes / runs (nan without runs)."""
        return self.successes / self.runs if self.runs else math.nan


def summarise_cells(plan: BatchPlan, directory: BatchDirectory) -> list[CellSummary] | None:
    """Per scenario and sweep cell: runs, how many had :data:`OUTCOME_FIELD` true, Wilson CI.

    Reads two columns of ``runs.parquet``; None when that file or field is missing. Runs
    where the field is null (not observed) are left out of the share and counted apart.
    """
    path = directory.path / RUNS_PARQUET
    if not path.exists() or OUTCOME_FIELD not in pq.read_schema(path).names:
        return None
    table = pq.read_table(path, columns=["run_id", OUTCOME_FIELD])
    outcomes = dict(
        zip(
            table.column("run_id").to_pylist(), table.column(OUTCOME_FIELD).to_pylist(), strict=True
        )
    )
    counts: dict[tuple[int, int], list[int]] = {}
    for run in plan.runs:
        tally = counts.setdefault((run.scenario_index, run.cell_index), [0, 0, 0])
        if run.run_id not in outcomes:
            continue
        value = outcomes[run.run_id]
        if value is None:
            tally[2] += 1
        else:
            tally[0] += 1
            tally[1] += int(bool(value))
    cells = []
    for (scenario_index, cell_index), (runs, successes, unobserved) in counts.items():
        low, high = wilson_interval(successes, runs)
        cells.append(
            CellSummary(
                scenario=plan.scenario_names[scenario_index],
                sweep_values=plan.cell_values[cell_index],
                runs=runs,
                successes=successes,
                low=low,
                high=high,
                unobserved=unobserved,
            )
        )
    return cells


def format_cell_table(cells: Sequence[CellSummary]) -> str:
    """A plain-text table: scenario, sweep values, runs, outcome count, share, 95% Wilson CI,
    and runs where the outcome was not observed (null; not in the share)."""
    sweep_keys = [key for key, _ in cells[0].sweep_values] if cells else []
    header = [
        "scenario",
        *sweep_keys,
        "runs",
        OUTCOME_FIELD,
        "share",
        "95% CI (Wilson)",
        "unobserved",
    ]
    body = []
    for cell in cells:
        share = "-" if not cell.runs else f"{cell.share:.2f}"
        interval = "-" if not cell.runs else f"{cell.low:.2f} - {cell.high:.2f}"
        body.append(
            [
                cell.scenario,
                *(str(value) for _, value in cell.sweep_values),
                str(cell.runs),
                str(cell.successes),
                share,
                interval,
                str(cell.unobserved),
            ]
        )
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True))
        for row in [header, *body]
    ]
    return "\n".join(line.rstrip() for line in lines)

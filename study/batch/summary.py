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
LYMPHOMA_OUTCOME_FIELD = "lymphoma_overall_response"
"""What the table counts for a lymphoma run instead (CR or PR by month 3, Lugano 2014:
:mod:`sim.lymphoma`), whose ``remission_day28`` is null."""


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
    lymphoma: bool = False

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
    names = pq.read_schema(path).names
    columns = ["run_id", OUTCOME_FIELD]
    columns += [LYMPHOMA_OUTCOME_FIELD] if LYMPHOMA_OUTCOME_FIELD in names else []
    table = pq.read_table(path, columns=columns).to_pydict()
    outcomes = dict(zip(table["run_id"], table[OUTCOME_FIELD], strict=True))
    lymphoma_runs = {  # a lymphoma run is counted by its own readout
        run_id: value
        for run_id, value, leukaemia in zip(
            table["run_id"],
            table.get(LYMPHOMA_OUTCOME_FIELD, [None] * len(table["run_id"])),
            table[OUTCOME_FIELD],
            strict=True,
        )
        if leukaemia is None and LYMPHOMA_OUTCOME_FIELD in table
    }
    lymphoma_cells: set[tuple[int, int]] = set()
    counts: dict[tuple[int, int], list[int]] = {}
    for run in plan.runs:
        tally = counts.setdefault((run.scenario_index, run.cell_index), [0, 0, 0])
        if run.run_id not in outcomes:
            continue
        value = outcomes[run.run_id]
        if value is None and lymphoma_runs.get(run.run_id) is not None:
            value = lymphoma_runs[run.run_id]
            lymphoma_cells.add((run.scenario_index, run.cell_index))
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
                lymphoma=(scenario_index, cell_index) in lymphoma_cells,
            )
        )
    return cells


def format_cell_table(cells: Sequence[CellSummary]) -> str:
    """A plain-text table: scenario, sweep values, runs where the outcome was observed,
    outcome count, share, 95% Wilson CI, and runs where it was not (null; not in the
    share)."""
    sweep_keys = [key for key, _ in cells[0].sweep_values] if cells else []
    header = [
        "scenario",
        *sweep_keys,
        "observed",
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
    if any(cell.lymphoma for cell in cells):
        lines.append(
            f"lymphoma: counted by {LYMPHOMA_OUTCOME_FIELD} (CR or PR by month 3, Lugano 2014)"
        )
    return "\n".join(line.rstrip() for line in lines)

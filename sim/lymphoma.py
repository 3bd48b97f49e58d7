"""Lymphoma's own readout: response after Lugano 2014, in the model's terms.

A lymphoma is judged by the size of its tumour on imaging, not by a marrow count
(Cheson et al. J Clin Oncol 2014). In the model:

- **tumour size** is the lymphoma cells on the node's grid (one agent each) plus the
  residual compartment (:mod:`sim.residual`: the disease in other nodes and organs), in
  agent equivalents; the *baseline* is the size at the end of the day before infusion
  (the scan before treatment, after lymphodepletion);
- **detection limit**: ``lymphoma.detection_limit_cells`` (10^9 cells, a lesion of about
  1 cm3 on PET-CT), turned into agent equivalents with ``residual.cells_in_full_grid``;
- at each scan (``lymphoma.scan_days``: days 28 and 91 after infusion, as JULIET
  assessed at months 1 and 3) the response is, in this order:
  **CR** (complete response: no tumour at or above the detection limit),
  **PD** (progression: at least ``1 + progression_growth`` times the smallest size since
  infusion, and detectable), **PR** (partial: at most ``partial_response_share`` of the
  baseline) or **SD** (stable: anything else);
- the **best response by month 3** is the best of the scans (CR > PR > SD > PD); the
  **overall response** is CR or PR (JULIET's primary endpoint, T15);
- **progression after a response** (relapse after CR, progression after PR): from the
  first responding scan on, the first day the tumour is detectable and at least
  ``1 + progression_growth`` times its nadir since infusion; its cause is read from that
  day's row of the daily table (:func:`progression_cause`);
- **why tumour was left** (best response PR, SD or PD): the same causes read from the row
  of the last scan (month 3): ``cd19_negative``, ``outgrowth`` (functional CAR T-cells
  there, the mass holds) or ``car_t_loss`` (none left).

Simplifications: size is a count of cells, not a sum of products of diameters (the grid
is one section through the node, so its count is an area like the SPD; the residual
compartment is a volume); there is no metabolic (FDG) signal apart from size; scans are
exact (no reader variation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.model import CarTModel
    from sim.parameters import Scenario
    from sim.parameters.lymphoma import LymphomaParameters

CATEGORIES = ("CR", "PR", "SD", "PD")  # best first
RESPONDING = frozenset({"CR", "PR"})
SCAN_FIELDS = ("lymphoma_response_day28", "lymphoma_response_month3")  # scan_days 28, 91

LYMPHOMA_SUMMARY_FIELDS = (
    "lymphoma_tumour_at_infusion",
    "lymphoma_detection_limit",
    "lymphoma_response_day28",
    "lymphoma_response_month3",
    "lymphoma_best_response",
    "lymphoma_overall_response",
    "lymphoma_progression",
    "lymphoma_progression_day",
    "lymphoma_progression_cause",
    "lymphoma_not_cleared_cause",
)
"""The lymphoma fields of a run's summary (null for a leukaemia run)."""

LEUKAEMIA_RESPONSE_FIELDS = (
    "remission_day28",
    "remission_day28_or_42",
    "mrd_negative_day28",
    "remission_within_3_months",
    "mrd_negative_within_3_months",
    "remission_sustained_within_3_months",
    "relapse",
    "relapse_day",
    "relapse_cd19_negative",
    "relapse_cause",
)
"""The leukaemia response fields, which do not apply to a lymphoma (null there)."""


def is_lymphoma(scenario: Scenario) -> bool:
    """A lymphoma run: the grid is a lymph node."""
    return scenario.grid.tissue == "lymph_node"


def tumour_sizes(daily: pd.DataFrame) -> np.ndarray:
    """Tumour size each day: lymphoma cells on the grid plus the residual compartment,
    agent equivalents."""
    return (
        daily["blasts"].to_numpy(dtype=float)
        + daily["residual_cd19_positive"].to_numpy(dtype=float)
        + daily["residual_cd19_negative"].to_numpy(dtype=float)
    )


def detection_limit_agents(scenario: Scenario) -> float:
    """The detection limit in agent equivalents of this grid."""
    cells_per_agent = scenario.residual.cells_in_full_grid / (
        scenario.grid.width * scenario.grid.height
    )
    return scenario.lymphoma.detection_limit_cells / cells_per_agent


def category(
    size: float, baseline: float, nadir: float, limit: float, rules: LymphomaParameters
) -> str:
    """The Lugano-style response of a scan: CR, PD, PR or SD (see the module docstring)."""
    if size < limit:
        return "CR"
    if size >= (1.0 + rules.progression_growth) * nadir:
        return "PD"
    if size <= rules.partial_response_share * baseline:
        return "PR"
    return "SD"


def progression_cause(row: pd.Series) -> str:
    """Why the tumour came back, as the daily table shows it on that day.

    ``cd19_negative``: most lymphoma cells (grid and residual) are CD19-negative (antigen
    escape); otherwise ``outgrowth`` (functional CAR T-cells, effector or memory, are
    still there but do not control it: the microenvironment, or cells out of reach) or
    ``car_t_loss`` (no functional CAR T-cell left).
    """
    negative = row["blasts_cd19_negative"] + row["residual_cd19_negative"]
    positive = row["blasts_cd19_positive"] + row["residual_cd19_positive"]
    if negative > positive:
        return "cd19_negative"
    if row["car_t_effector"] + row["car_t_memory"] > 0:
        return "outgrowth"
    return "car_t_loss"


def lymphoma_fields(model: CarTModel, daily: pd.DataFrame) -> dict[str, Any]:
    """The lymphoma summary fields of a run (all None when it is not a lymphoma run or
    was never infused; a scan the run ended before is None)."""
    record: dict[str, Any] = dict.fromkeys(LYMPHOMA_SUMMARY_FIELDS)
    scenario = model.parameters
    infusion = model.plan.infusion_day
    if not is_lymphoma(scenario):
        return record
    limit = detection_limit_agents(scenario)
    record["lymphoma_detection_limit"] = limit
    if infusion is None or infusion > int(daily["day"].iloc[-1]):
        return record
    rules = scenario.lymphoma
    sizes = tumour_sizes(daily)
    days = daily["day"].to_numpy()
    baseline = float(sizes[max(infusion - 1, 0)])
    record["lymphoma_tumour_at_infusion"] = baseline
    after = days >= infusion
    running_nadir = np.minimum.accumulate(np.where(after, sizes, np.inf))
    running_nadir = np.minimum(running_nadir, baseline)
    scans: list[str | None] = []
    for scan_day in rules.scan_days:
        day = infusion + scan_day
        if day > days[-1]:
            scans.append(None)
            continue
        nadir_before = float(running_nadir[day - 1])
        scans.append(category(float(sizes[day]), baseline, nadir_before, limit, rules))
    for name, value in zip(SCAN_FIELDS, scans, strict=False):
        record[name] = value
    seen = [s for s in scans if s is not None]
    best = min(seen, key=CATEGORIES.index) if seen else None
    complete = len(seen) == len(scans)
    record["lymphoma_best_response"] = best if (complete or best == "CR") else None
    if record["lymphoma_best_response"] not in (None, "CR"):
        last_scan = infusion + rules.scan_days[-1]
        record["lymphoma_not_cleared_cause"] = progression_cause(daily.iloc[last_scan])
    if best in RESPONDING:
        record["lymphoma_overall_response"] = True
    elif complete:
        record["lymphoma_overall_response"] = False
    _progression_after_response(record, daily, sizes, running_nadir, infusion, scans, limit, rules)
    return record


def _progression_after_response(
    record: dict[str, Any],
    daily: pd.DataFrame,
    sizes: np.ndarray,
    running_nadir: np.ndarray,
    infusion: int,
    scans: list[str | None],
    limit: float,
    rules: LymphomaParameters,
) -> None:
    """Relapse after CR or progression after PR: from the first responding scan on, the
    first day the tumour is detectable and >= (1 + progression_growth) x its nadir."""
    responding = [day for day, s in zip(rules.scan_days, scans, strict=True) if s in RESPONDING]
    if not responding:
        return
    record["lymphoma_progression"] = False
    growth = 1.0 + rules.progression_growth
    for day in range(infusion + responding[0] + 1, sizes.size):
        if sizes[day] >= limit and sizes[day] >= growth * running_nadir[day - 1]:
            record["lymphoma_progression"] = True
            record["lymphoma_progression_day"] = int(day - infusion)
            record["lymphoma_progression_cause"] = progression_cause(daily.iloc[day])
            return

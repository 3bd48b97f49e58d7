"""Check the model against the clinical targets: run the batches, measure, judge.

:func:`validation_batches` says which batches the targets need (one per scenario, the
same root seed, so replicate ``k`` has the same seed in each); :func:`run_validation` runs
them through the batch runner (:func:`study.batch.execute_batch`, resumable, any executor);
:func:`evaluate` computes each target's measure (:mod:`study.validation.measures`) and
judges it with :func:`judge`:

- ``within``: the estimate lies in the tolerance band and the evidence is clear;
- ``outside``: the estimate lies outside the band (or the whole interval does);
- ``unresolved``: the interval is wider than the band (two-sided) or straddles the bound
  (one-sided), or nothing could be measured: more replicates (or longer runs) are needed.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.engine_choice import DEFAULT_ENGINE
from sim.errors import FaultError
from sim.loader import Override
from study.batch import (
    EXIT_INTERRUPTED,
    RUNS_PARQUET,
    TIMESERIES_PARQUET,
    BatchSpec,
    ExecutionChoice,
    execute_batch,
)
from study.batch.verify import verify_batch_dir
from study.validation import measures
from study.validation.measures import Measured
from study.validation.targets import Target, load_targets

FULL_DAYS = 330  # longest manufacturing (133 d) plus 6 months of follow-up
FULL_REPLICATES = 100  # a scenario batches.toml does not list
QUICK_REPLICATES = 12
QUICK_DAYS = 120
BATCHES_FILE = Path(__file__).resolve().parent / "batches.toml"
GROWTH_DAYS = 90  # the untreated growth needs only its first weeks
QUICK_GRID = 50  # quick mode runs on 50 x 50 sites, with the dose per 10,000 sites kept
WITHIN, OUTSIDE, UNRESOLVED = "within", "outside", "unresolved"


class ValidationInterrupted(Exception):
    """Ctrl-C or SIGTERM stopped the batch of a scenario; its finished runs are kept and
    the batch has said so in one line (the same command resumes it)."""


@dataclass(frozen=True)
class Tables:
    """One scenario's batch: its runs and their daily counts."""

    runs: pd.DataFrame
    series: pd.DataFrame


@dataclass(frozen=True)
class Result:
    """One target's verdict."""

    target: Target
    measured: Measured
    status: str


def target_scenarios(targets: Sequence[Target]) -> list[str]:
    """Every scenario the targets read, in first-mention order."""
    names: list[str] = []
    for target in targets:
        names += [name for name in target.scenarios if name not in names]
    return names


def full_batch_sizes(path: Path = BATCHES_FILE) -> dict[str, tuple[int, int]]:
    """``{scenario: (replicates, days)}`` of a full validation (``batches.toml``)."""
    with path.open("rb") as handle:
        tables = tomllib.load(handle)
    return {name: (int(t["replicates"]), int(t["days"])) for name, t in tables.items()}


def quick_days(path: Path = BATCHES_FILE) -> dict[str, int]:
    """``{scenario: days}`` for scenarios whose ``batches.toml`` table gives ``quick_days``:
    a quick validation runs them that long (their targets need it, e.g. T15's month-3 scan)."""
    with path.open("rb") as handle:
        tables = tomllib.load(handle)
    return {name: int(t["quick_days"]) for name, t in tables.items() if "quick_days" in t}


def validation_batches(
    targets: Sequence[Target],
    replicates: int | None,
    quick: bool,
    root_seed: int = 0,
    days: int | None = None,
    engine: str | None = DEFAULT_ENGINE,
) -> dict[str, BatchSpec]:
    """The batch of each scenario the targets need.

    Full: each scenario on its own grid with the replicates and days of
    :func:`full_batch_sizes` (a scenario it does not list: :data:`FULL_REPLICATES`,
    :data:`FULL_DAYS`, or :data:`GROWTH_DAYS` when only its growth is read). Quick: a 50 x
    50 grid with the dose given per 10,000 sites (the same effector-to-target ratio),
    :data:`QUICK_REPLICATES` runs of :data:`QUICK_DAYS` days (or the scenario's
    ``quick_days``, :func:`quick_days`). ``replicates`` and ``days``,
    when given, replace these for every scenario; every run is stepped by ``engine``.
    """
    from sim.loader import load_scenario

    sizes = {} if quick else full_batch_sizes()
    specs = {}
    for name in target_scenarios(targets):
        growth_only = all(t.measure_kind == "growth" for t in targets if name in t.scenarios)
        if quick:
            planned = (QUICK_REPLICATES, quick_days().get(name, QUICK_DAYS))
        else:
            planned = sizes.get(name, (FULL_REPLICATES, GROWTH_DAYS if growth_only else FULL_DAYS))
        run_replicates = replicates or planned[0]
        run_days = days or planned[1]
        if growth_only:
            run_days = min(run_days, GROWTH_DAYS)
        sets: list[Override] = []
        if quick:
            scenario = load_scenario(name)
            per_10k = scenario.car_t.dose_per_10k_sites
            if per_10k is None:
                sites = scenario.grid.width * scenario.grid.height
                per_10k = scenario.car_t.dose_cells * 10_000 / sites
            sets = [
                Override(("grid", "width"), QUICK_GRID, "validate --quick"),
                Override(("grid", "height"), QUICK_GRID, "validate --quick"),
                Override(("car_t", "dose_per_10k_sites"), float(per_10k), "validate --quick"),
            ]
        specs[name] = BatchSpec(
            (name,), run_replicates, root_seed, run_days, tuple(sets), engine=engine
        )
    return specs


def run_validation(
    specs: dict[str, BatchSpec],
    out_dir: Path,
    execution: ExecutionChoice | None = None,
    progress: bool = True,
) -> dict[str, Tables]:
    """Run each batch into ``out_dir/batches/<scenario>`` (resumable) and read it back.

    Raises:
        FaultError: a batch did not finish (runs failed on every attempt, the executor was
            lost: exit status 1; the same command resumes it).
        ValidationInterrupted: Ctrl-C or SIGTERM stopped a batch (which said so).
    """
    tables = {}
    for name, spec in specs.items():
        directory = out_dir / "batches" / name
        status = execute_batch(spec, directory, execution, progress=progress, show_table=False)
        if status == EXIT_INTERRUPTED:
            raise ValidationInterrupted(name)
        if status != 0:
            raise FaultError(
                f"validate: the batch of {name!r} did not finish (status {status}); "
                f"run the same command again to resume it ({directory})"
            )
        verify_batch_dir(directory, "validate: batch")
        tables[name] = Tables(
            pd.read_parquet(directory / RUNS_PARQUET),
            pd.read_parquet(directory / TIMESERIES_PARQUET),
        )
    return tables


def measure(target: Target, tables: dict[str, Tables]) -> Measured:
    """The simulated value of ``target`` from the scenarios' tables (nan, with a note,
    when a field it needs is missing from the batch)."""
    try:
        return _measure(target, tables)
    except KeyError as error:
        return Measured(math.nan, math.nan, math.nan, 0, f"missing field {error}")


def _measure(target: Target, tables: dict[str, Tables]) -> Measured:
    kind, quantity = target.measure.split(":", 1)
    first = tables[target.scenarios[0]]
    runs, series = first.runs, first.series
    if kind == "share_enrolled":
        if quantity == "manufacturing_failed" and quantity not in runs.columns:
            failed_runs = ~runs["infused"].astype(bool) & runs["manufacturing_days"].notna()
            return measures.share(failed_runs)
        return measures.share(runs[quantity])
    if kind == "share_infused":
        if quantity == "remission_within_3_months":
            return measures.share(measures.remission_within(runs, series))
        if quantity == "remission_sustained_within_3_months":
            return measures.share(measures.sustained_remission_within(runs, series))
        if quantity == "lymphoma_overall_response":
            return measures.share(measures.lymphoma_overall_response(runs))
        if quantity == "crs_any_grade":
            infused = runs[runs["infused"].astype(bool)]
            return measures.share(infused["crs_grade"] > 0)
        return measures.share(runs.loc[runs["infused"].astype(bool), quantity])
    if kind == "share_responders":
        responders = measures.responder_ids(runs, series)
        per_run = {
            "cart_persistence_beyond_180_days": lambda: measures.persistence_beyond(runs),
            "b_cell_aplasia_at_6_months": lambda: measures.aplasia_at(runs, series),
            "mrd_negative_within_3_months": lambda: measures.mrd_negative_within(runs, series),
        }[quantity]()
        chosen = per_run[per_run.index.isin(responders)]
        return measures.share(chosen, "" if len(responders) else "no responders")
    if kind == "survival_responders":
        return measures.relapse_free_at(runs, measures.relapse_followed_ids(runs, series))
    if kind == "median":
        return measures.median(runs.loc[runs["infused"].astype(bool), quantity])
    if kind == "kinetics":
        return measures.kinetics(runs, series, quantity)
    if kind == "growth":
        return measures.growth(series)
    if kind == "comparison":
        other = tables[target.scenarios[1]]
        return measures.burden_comparison(runs, series, other.runs, other.series)
    raise ValueError(f"no measure for {target.measure}")


def judge(target: Target, measured: Measured) -> str:
    """``within``, ``outside`` or ``unresolved`` (see the module docstring)."""
    if measured.holds is not None or target.measure_kind == "comparison":
        return {True: WITHIN, False: OUTSIDE, None: UNRESOLVED}[measured.holds]
    if math.isnan(measured.value):
        return UNRESOLVED
    low_bound, high_bound = target.tolerance_low, target.tolerance_high
    interval_known = not (math.isnan(measured.low) or math.isnan(measured.high))
    if not interval_known:
        return UNRESOLVED
    above = high_bound is not None and measured.low > high_bound
    below = low_bound is not None and measured.high < low_bound
    if above or below:
        return OUTSIDE  # the whole interval lies outside the band
    if low_bound is not None and high_bound is not None:
        if measured.high - measured.low > high_bound - low_bound:
            return UNRESOLVED
        return WITHIN if target.within_tolerance(measured.value) else OUTSIDE
    bound = low_bound if low_bound is not None else high_bound
    if measured.low < bound < measured.high:  # type: ignore[operator]
        return UNRESOLVED
    return WITHIN if target.within_tolerance(measured.value) else OUTSIDE


def evaluate(targets: Sequence[Target], tables: dict[str, Tables]) -> list[Result]:
    """Measure and judge every target."""
    results = []
    for target in targets:
        measured = measure(target, tables)
        results.append(Result(target, measured, judge(target, measured)))
    return results


def failed(results: Sequence[Result], quick: bool) -> bool:
    """Whether the validation fails: a target outside (or, in full mode, unresolved)."""
    bad = {OUTSIDE} if quick else {OUTSIDE, UNRESOLVED}
    return any(result.status in bad for result in results)


# --- the table -------------------------------------------------------------------------
HEADER = ("id", "quantity", "target", "tolerance", "simulated (95% CI)", "runs", "status")


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def result_row(result: Result) -> list[str]:
    """One row of the table, as text."""
    target, m = result.target, result.measured
    unit = target.unit
    values = " / ".join(_number(v) for v in target.target) or "rule"
    low, high = target.tolerance_low, target.tolerance_high
    if low is not None and high is not None:
        tolerance = f"{_number(low)}-{_number(high)}"
    elif low is not None:
        tolerance = f"≥ {_number(low)}"
    elif high is not None:
        tolerance = f"≤ {_number(high)}"
    else:
        tolerance = "rule"
    simulated = f"{_number(m.value)} ({_number(m.low)}-{_number(m.high)})"
    if target.measure_kind == "comparison":
        simulated = f"Δ remission {simulated} pp; {m.note}"
    suffix = f" {unit}" if unit and values != "rule" else ""
    short = target.quantity if len(target.quantity) <= 60 else target.quantity[:57] + "..."
    tolerance_suffix = f" {unit}" if unit and tolerance != "rule" else ""
    return [
        target.id,
        short,
        values + suffix,
        tolerance + tolerance_suffix,
        simulated,
        str(m.runs),
        result.status,
    ]


def result_frame(results: Sequence[Result]) -> pd.DataFrame:
    """Every result as a table with numbers (for the CSV)."""
    return pd.DataFrame(
        [
            {
                "id": r.target.id,
                "quantity": r.target.quantity,
                "unit": r.target.unit,
                "target": ";".join(str(v) for v in r.target.target),
                "tolerance_low": r.target.tolerance_low,
                "tolerance_high": r.target.tolerance_high,
                "value": r.measured.value,
                "ci_low": r.measured.low,
                "ci_high": r.measured.high,
                "runs": r.measured.runs,
                "status": r.status,
                "note": r.measured.note,
            }
            for r in results
        ]
    )


def text_table(results: Sequence[Result]) -> str:
    """The table as aligned text."""
    rows = [list(HEADER), *(result_row(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def markdown_table(results: Sequence[Result]) -> str:
    """The table as markdown."""
    rows = [list(HEADER), ["---"] * len(HEADER), *(result_row(r) for r in results)]
    return "\n".join("| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows)


def csv_text(results: Sequence[Result]) -> str:
    """The numbers as CSV."""
    buffer = io.StringIO()
    result_frame(results).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue()


__all__ = [
    "Result",
    "Tables",
    "evaluate",
    "failed",
    "full_batch_sizes",
    "judge",
    "load_targets",
    "markdown_table",
    "run_validation",
    "text_table",
    "validation_batches",
]

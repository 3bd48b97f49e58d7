"""The calibration sweeps of docs/validation.md (Calibration), through the batch runner.

Each sweep varies one or two rule parameters of a scenario around the chosen defaults,
runs replicates of every cell with :func:`study.batch.execute_batch` (resumable: the same
command continues an interrupted sweep) and prints, per cell, the targets that parameter
is calibrated to, measured as ``validate`` measures them (:mod:`study.validation.measures`),
with 95% intervals::

    uv run python benchmarks/calibrate.py                      # every sweep, 50 x 50 grid
    uv run python benchmarks/calibrate.py exhaustion --replicates 40 --full --out runs/cal

By default the sweeps run on a 50 x 50 grid (the dose is per 10,000 sites, so the
effector-to-target ratio is the one of the default grid) for 200 days; ``--full`` runs
them on the scenarios' own grids for 330 days.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from study.batch import RUNS_PARQUET, TIMESERIES_PARQUET, BatchSpec, Sweep, execute_batch
from study.batch.executors import execution_choice
from study.validation import measures


@dataclass(frozen=True)
class SweepPlan:
    """One calibration sweep: a scenario, the swept keys and values, what it fits."""

    scenario: str
    sweeps: tuple[tuple[str, tuple[object, ...]], ...]
    fits: str
    sets: tuple[str, ...] = ()  # fixed settings of every cell (switches a mechanism on)
    days: int | None = None  # days the sweep needs (default 200, --full 330)


SWEEPS: dict[str, SweepPlan] = {
    "exhaustion": SweepPlan(
        "autologous",
        (("car_t.exhaustion_engaged_hours", (20.0, 40.0, 80.0)),),
        "T1 remission, T12 MRD, T4 peak day (exhaustion by time engaged); T13 needs the"
        " high_burden scenario too (sweep it with --scenario high_burden)",
    ),
    "fitness": SweepPlan(
        "autologous",
        (
            ("patient.product_fitness.mean", (0.8, 0.85, 0.9)),
            ("patient.product_fitness.concentration", (3.0, 8.0)),
        ),
        "T1 remission (non-response from poor products), T12 MRD (partial responses of"
        " middling products); T13 needs the high_burden scenario too (--scenario)",
    ),
    "teaching": SweepPlan(
        "autologous",
        (("native_t.taught_division_prob_per_kill", (0.05, 0.1)),),
        "T12 MRD negativity (taught cells alone must not grind a leukaemia down), T1",
    ),
    "memory": SweepPlan(
        "autologous",
        (
            ("car_t.memory_budding_rate_per_day", (1.5, 3.0)),
            ("car_t.memory_exhaustion_engaged_hours", (30.0, 40.0)),
        ),
        "T7 persistence > 180 d, T11 B-cell aplasia at 6 months, T12 MRD negativity",
    ),
    "b_cells": SweepPlan(
        "autologous",
        (("b_cells.precursor_influx_per_day", (4.0, 8.0, 16.0)),),
        "T11 B-cell aplasia at 6 months",
    ),
    "cytokine": SweepPlan(
        "autologous",
        (("car_t.cytokine_per_kill", (0.2, 0.3, 0.4)),),
        "T8 CRS of any grade",
    ),
    "crs_share": SweepPlan(
        "autologous",
        (("b_cells.cytokine_share_when_killed", (0.3, 1.0)),),
        "T8 CRS of any grade; T13 CRS higher with a high burden (compare with --scenario"
        " high_burden: the mean grade)",
    ),
    "rejection": SweepPlan(
        "donor",
        (("patient.alemtuzumab_level_at_infusion.median", (0.2, 0.77, 2.0)),),
        "T10 donor remission (rejection after alemtuzumab wears off: sim/alemtuzumab.py)",
    ),
    "sanctuary": SweepPlan(
        "autologous",
        (
            ("patient.sanctuary_disease_probability", (0.25, 0.35)),
            ("car_t.replicative_limit", (35, 40, 45)),
        ),
        "T14 relapse-free survival (CD19-positive relapse needs sanctuary disease and CAR"
        " T-cell loss), T7 persistence, T11 aplasia, T1; the relapse rules are the defaults"
        " (docs/validation.md, Relapse)",
        days=460,
    ),
    "donor_mechanism": SweepPlan(
        "donor",
        (
            ("patient.alemtuzumab_level_at_infusion.sigma", (0.6, 1.26)),
            ("patient.dose_factor.sigma", (0.0, 1.0)),
        ),
        "T10 donor remission at day 28 or 42 with rejection by mechanism (the donor"
        " scenario's defaults): non-response from the spread of alemtuzumab's reach and of"
        " the dose levels (issue 19)",
        days=75,
    ),
}


def _fmt(m: measures.Measured) -> str:
    if math.isnan(m.value):
        return f"  -  (n={m.runs})"
    return f"{m.value:5.1f} [{m.low:5.1f}, {m.high:5.1f}] n={m.runs}"


def cell_measures(runs: pd.DataFrame, series: pd.DataFrame) -> dict[str, str]:
    """The targets a sweep cell is read for, as ``validate`` measures them."""
    infused = runs[runs["infused"].astype(bool)]
    ids = set(infused["run_id"])
    series = series[series["run_id"].isin(ids)]
    remission = measures.sustained_remission_within(infused, series)
    responders = infused[remission.fillna(False).astype(bool).to_numpy()]
    resp_series = series[series["run_id"].isin(set(responders["run_id"]))]
    return {
        "T1 remission 3 mo, 28 d %": _fmt(measures.share(remission)),
        "T12 MRD-neg | resp %": _fmt(
            measures.share(measures.mrd_negative_within(responders, resp_series))
        ),
        "T7 persist>180 | resp %": _fmt(measures.share(measures.persistence_beyond(responders))),
        "T11 aplasia 6 mo | resp %": _fmt(
            measures.share(measures.aplasia_at(responders, resp_series))
        ),
        "T8 CRS any %": _fmt(measures.share(infused["crs_grade"] > 0)),
        "T13 CRS mean grade": f"{infused['crs_grade'].astype(float).mean():5.2f} n={len(infused)}",
        "T4 peak day": _fmt(measures.median(infused["cart_peak_day"].dropna())),
        "T5 doubling h": _fmt(measures.kinetics(infused, series, "expansion_doubling_hours")),
        "T10 remission d28/42 %": _fmt(measures.share(infused["remission_day28_or_42"]))
        if "remission_day28_or_42" in infused
        else "  -",
        "T14 RFS 12 mo | resp %": _fmt(
            measures.relapse_free_at(infused, pd.Index(responders["run_id"]))
        ),
        "relapses by cause": _causes(infused),
    }


def _causes(infused: pd.DataFrame) -> str:
    """Relapses after a day-28 remission, by cause, with their median day."""
    if "relapse_cause" not in infused:
        return "  -"
    relapsed = infused[infused["relapse"].astype(bool)]
    counts = relapsed["relapse_cause"].value_counts().to_dict()
    days = relapsed["relapse_day"].astype(float).median()
    return f"{len(relapsed)}/{int(infused['remission_day28'].sum())} {counts} median day {days}"


def run_sweep(name: str, plan: SweepPlan, args: argparse.Namespace) -> None:
    """Run one sweep through the batch runner and print its table."""
    sets: list[str] = list(plan.sets)
    if not args.full:
        sets += ["grid.width=50", "grid.height=50"]
    sweeps = tuple(Sweep(key, values) for key, values in plan.sweeps)
    days = args.days or plan.days or (330 if args.full else 200)
    scenario = args.scenario or plan.scenario
    spec = BatchSpec((scenario,), args.replicates, args.seed, days, tuple(sets), sweeps)
    out = args.out / name
    execution = execution_choice(
        serial=False, workers=args.workers, dask_local=None, scheduler=None
    )
    status = execute_batch(spec, out, execution, show_table=False)
    if status != 0:
        sys.exit(status)
    runs = pd.read_parquet(out / RUNS_PARQUET)
    series = pd.read_parquet(out / TIMESERIES_PARQUET)
    keys = [sweep.key for sweep in sweeps]
    print(f"\n== {name}: {scenario}, fits {plan.fits}")
    for values, cell in runs.groupby(keys, sort=False):
        cell_values = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{k}={v}" for k, v in zip(keys, cell_values, strict=True))
        print(f"-- {label}")
        cell_series = series[series["run_id"].isin(set(cell["run_id"]))]
        for target, text in cell_measures(cell, cell_series).items():
            print(f"   {target:26s} {text}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweeps", nargs="*", help=f"of {', '.join(SWEEPS)} (default: all)")
    parser.add_argument("--replicates", type=int, default=16)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="the scenarios' own grids")
    parser.add_argument("--scenario", default=None, help="sweep this scenario instead")
    parser.add_argument("--out", type=Path, default=Path("runs/calibration"))
    args = parser.parse_args(argv)
    unknown = [name for name in args.sweeps if name not in SWEEPS]
    if unknown:
        parser.error(f"unknown sweep {unknown[0]!r}; choose from {', '.join(SWEEPS)}")
    for name in args.sweeps or list(SWEEPS):
        run_sweep(name, SWEEPS[name], args)


if __name__ == "__main__":
    main()

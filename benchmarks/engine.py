"""What a step costs on each engine, measured in CPU time in the same run.

    uv run python benchmarks/engine.py [--scenario autologous] [--seeds 1 2 3 4 5 6]
                                       [--days N] [--no-first-compile]

For each seed the same run (scenario, seed, ``therapy.manufacturing_failure_prob=0``) is
stepped on the ``reference`` and the ``compiled`` engine, one after the other, the order
alternating from seed to seed so that a busy machine biases neither. Time is CPU time
of this process (``time.process_time``), summed over ``model.step()`` calls only (set-up
and the daily records are not counted). Prints one JSON object:

- per engine and seed: ``cpu_s`` (the run's stepping), ``us_per_step``,
  ``us_per_mobile_cell_step`` (CPU per T-cell present at the start of a step: the cells
  that act every step; blasts and B-cells are event-scheduled and cost nothing per step,
  so they are not counted) and ``ms_per_day``;
- ``median``: the median of each over the seeds, per engine;
- ``ratio_reference_over_compiled``: per seed and its median (above 1: compiled is faster);
- ``same_run``: whether the two engines ended with the same tissue, bit for bit;
- ``first_compile_s``: CPU of a fresh process that steps a tiny compiled model calling
  every kernel (:func:`warm_up`) with an empty kernel cache, minus the same with
  the cache filled (the one-off cost of compiling the kernels on a machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sim.loader import load_scenario
from sim.model import CarTModel

ENGINES = ("reference", "compiled")
ROOT = Path(__file__).resolve().parent.parent


def warm_up() -> None:
    """Compile every kernel now (or load it from numba's cache), instead of at its first
    use in a timed run (:func:`sim.engine_setup.compile_kernels`)."""
    from sim.engine_setup import compile_kernels

    compile_kernels()


def time_run(scenario_name: str, seed: int, days: int | None, engine: str) -> dict:
    """Step one run on ``engine``, timing each step in CPU time; return its costs and
    the final tissue (to check the engines agree)."""
    scenario = load_scenario(scenario_name, ["therapy.manufacturing_failure_prob=0.0"])
    model = CarTModel(scenario, seed, engine=engine)
    n_days = scenario.time.days if days is None else days
    steps = n_days * model.steps_per_day
    cpu = 0.0
    mobile_cell_steps = 0
    clock = time.process_time
    for _ in range(steps):
        mobile_cell_steps += sum(model.census.mobile)
        start = clock()
        model.step()
        cpu += clock() - start
    tissue = model.tissue
    final = np.concatenate(
        [tissue.mobile_kind, tissue.resident_kind, tissue.cytokine.view(np.int8)]
    )
    return {
        "cpu_s": cpu,
        "steps": steps,
        "days": n_days,
        "mobile_cell_steps": mobile_cell_steps,
        "us_per_step": cpu / steps * 1e6,
        "us_per_mobile_cell_step": cpu / max(1, mobile_cell_steps) * 1e6,
        "ms_per_day": cpu / n_days * 1e3,
        "final": final,
    }


def first_compile_seconds() -> dict[str, float]:
    """CPU of a fresh process that imports the engine and steps a tiny compiled model
    calling every kernel (:func:`warm_up`), with an empty kernel cache and
    then with it filled; their difference is the first compile."""
    code = (
        "import time\n"
        "from sim.engine_setup import compile_kernels\n"
        "compile_kernels()\n"
        "print(time.process_time())\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        environment = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = []
        for _ in range(2):  # cold cache, then warm
            done = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
                env=environment,
            )
            runs.append(float(done.stdout.split()[-1]))
    return {
        "cold_process_cpu_s": round(runs[0], 2),
        "warm_process_cpu_s": round(runs[1], 2),
        "first_compile_s": round(runs[0] - runs[1], 2),
    }


def _rounded(run: dict) -> dict:
    return {
        "cpu_s": round(run["cpu_s"], 3),
        "us_per_step": round(run["us_per_step"], 1),
        "us_per_mobile_cell_step": round(run["us_per_mobile_cell_step"], 3),
        "ms_per_day": round(run["ms_per_day"], 2),
        "mean_mobile_cells": round(run["mobile_cell_steps"] / run["steps"], 1),
    }


def main() -> None:
    """Time both engines over the seeds; print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="autologous")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--days", type=int, help="days to simulate (default: the scenario's)")
    parser.add_argument(
        "--no-first-compile", action="store_true", help="skip the first-compile measurement"
    )
    args = parser.parse_args()

    warm_up()  # every kernel compiled or loaded before any timing
    by_seed: dict[int, dict[str, dict]] = {}
    for index, seed in enumerate(args.seeds):
        order = ENGINES if index % 2 == 0 else ENGINES[::-1]
        by_seed[seed] = {
            engine: time_run(args.scenario, seed, args.days, engine) for engine in order
        }
    ratios = {
        seed: runs["reference"]["cpu_s"] / runs["compiled"]["cpu_s"]
        for seed, runs in by_seed.items()
    }
    measures = ("cpu_s", "us_per_step", "us_per_mobile_cell_step", "ms_per_day")
    report: dict[str, object] = {
        "scenario": args.scenario,
        "days": next(iter(by_seed.values()))["reference"]["days"],
        "seeds": args.seeds,
        "clock": "time.process_time (CPU of this process), model.step() only",
        "by_seed": {
            seed: {engine: _rounded(run) for engine, run in runs.items()}
            for seed, runs in by_seed.items()
        },
        "median": {
            engine: {
                measure: round(
                    statistics.median(runs[engine][measure] for runs in by_seed.values()), 3
                )
                for measure in measures
            }
            for engine in ENGINES
        },
        "ratio_reference_over_compiled": {
            "by_seed": {seed: round(ratio, 2) for seed, ratio in ratios.items()},
            "median": round(statistics.median(ratios.values()), 2),
        },
        "same_run": all(
            np.array_equal(runs["reference"]["final"], runs["compiled"]["final"])
            for runs in by_seed.values()
        ),
    }
    if not args.no_first_compile:
        report["first_compile"] = first_compile_seconds()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

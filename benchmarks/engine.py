"""How fast the engine is, against two reference random walks timed in the same run.

    uv run python benchmarks/engine.py [--scenario autologous] [--days N] [--seed 1]

Prints one JSON object:

- ``model_cell_steps_per_s``: living cells (resident and mobile) carried through a step,
  per second of ``model.step()``, over the scenario's run (or its first ``--days``);
- ``mesa_walk_steps_per_s``: an idiomatic Mesa random walk (``CellAgent`` on an
  ``OrthogonalMooreGrid``, one agent per cell, ``shuffle_do("step")``), with as many
  agents as the model had mobile cells on average, on a grid of the same size;
- ``numpy_walk_steps_per_s``: the same walk in numpy (one array of positions, moves to
  free neighbours resolved at once);
- ``ratio_vs_mesa`` and ``ratio_vs_numpy``: the model's rate over each reference.

Also reports what the cost grows with: ``cost_model`` fits seconds per step against the
number of mobile cells, and ``us_per_step_same_cells_by_grid`` times the same cells on a
100x100 and a 300x300 grid (9 times the area).
"""

from __future__ import annotations

import argparse
import json
import time

import mesa
import numpy as np
from mesa.discrete_space import CellAgent, OrthogonalMooreGrid

from sim.loader import load_scenario
from sim.model import CarTModel
from sim.tissue import Tissue


def time_model(scenario_name: str, days: int, seed: int) -> dict[str, float]:
    """Step the model, timing each step; count the cells and events carried."""
    scenario = load_scenario(scenario_name, ["therapy.manufacturing_failure_prob=0.0"])
    model = CarTModel(scenario, seed)
    steps = days * model.steps_per_day
    seconds = np.empty(steps)
    cells = np.empty(steps)
    mobiles = np.empty(steps)
    for index in range(steps):
        census = model.census
        mobiles[index] = sum(census.mobile)
        cells[index] = mobiles[index] + sum(census.resident)
        start = time.perf_counter()
        model.step()
        seconds[index] = time.perf_counter() - start
    design = np.column_stack([np.ones(steps), mobiles])
    coefficients, *_ = np.linalg.lstsq(design, seconds, rcond=None)
    return {
        "cell_steps_per_s": float(cells.sum() / seconds.sum()),
        "steps": steps,
        "mean_cells": float(cells.mean()),
        "mean_mobile": float(mobiles.mean()),
        "seconds": float(seconds.sum()),
        "width": scenario.grid.width,
        "height": scenario.grid.height,
        "fixed_us_per_step": float(coefficients[0] * 1e6),
        "us_per_mobile_cell_step": float(coefficients[1] * 1e6),
    }


def time_per_step_by_area(sides: tuple[int, ...], seed: int, steps: int = 480) -> dict[str, float]:
    """Microseconds per step with the same cells (2,000 blasts, 2,000 B-cells, 300 T-cells)
    on grids of different sizes: the cost should not grow with the area."""
    result = {}
    for side in sides:
        sites = side * side
        scenario = load_scenario(
            "no_treatment",
            [
                f"grid.width={side}",
                f"grid.height={side}",
                f"leukaemia.initial_blast_fraction={2000 / sites}",
                f"b_cells.target_fraction={2000 / sites}",
                f"native_t.normal_fraction={300 / sites}",
            ],
        )
        model = CarTModel(scenario, seed)
        start = time.perf_counter()
        for _ in range(steps):
            model.step()
        result[f"{side}x{side}"] = round((time.perf_counter() - start) / steps * 1e6, 1)
    return result


class Walker(CellAgent):
    """The idiomatic Mesa random walker: moves to a random empty neighbouring cell."""

    def step(self) -> None:
        """Move to a random neighbouring cell if it is empty."""
        target = self.cell.neighborhood.select_random_cell()
        if target.is_empty:
            self.cell = target


def time_mesa_walk(width: int, height: int, agents: int, steps: int, seed: int) -> float:
    """Agent-steps per second of the idiomatic Mesa walk."""
    model = mesa.Model(rng=seed)
    grid = OrthogonalMooreGrid((width, height), torus=True, capacity=1, random=model.random)
    for cell in model.random.sample(list(grid.all_cells), agents):
        Walker(model).cell = cell
    start = time.perf_counter()
    for _ in range(steps):
        model.agents.shuffle_do("step")
    return agents * steps / (time.perf_counter() - start)


def time_numpy_walk(width: int, height: int, agents: int, steps: int, seed: int) -> float:
    """Agent-steps per second of the same walk on numpy arrays."""
    rng = np.random.default_rng(seed)
    tissue = Tissue(width, height, mesa.Model(rng=seed).random)
    occupied = np.zeros(tissue.n_sites, dtype=bool)
    sites = rng.choice(tissue.n_sites, size=agents, replace=False)
    occupied[sites] = True
    start = time.perf_counter()
    for _ in range(steps):
        target = tissue.neighbours[sites, rng.integers(0, 8, size=agents)]
        order = rng.permutation(agents)
        candidates = order[~occupied[target[order]]]
        _, first = np.unique(target[candidates], return_index=True)
        winners = candidates[first]
        occupied[sites[winners]] = False
        occupied[target[winners]] = True
        sites[winners] = target[winners]
    return agents * steps / (time.perf_counter() - start)


def main() -> None:
    """Time the model and both walks; print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="autologous")
    parser.add_argument("--days", type=int, help="days to simulate (default: the scenario's)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--walk-steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many timings")
    args = parser.parse_args()

    days = args.days or load_scenario(args.scenario).time.days
    # best of --repeats for each, interleaved, so that a busy machine biases none of them
    model_runs, mesa_rates, numpy_rates = [], [], []
    for _ in range(args.repeats):
        model_runs.append(time_model(args.scenario, days, args.seed))
        agents = max(1, round(model_runs[-1]["mean_mobile"]))
        shape = (model_runs[-1]["width"], model_runs[-1]["height"])
        mesa_rates.append(time_mesa_walk(*shape, agents, args.walk_steps, args.seed))
        numpy_rates.append(time_numpy_walk(*shape, agents, args.walk_steps * 10, args.seed))
    model = max(model_runs, key=lambda run: run["cell_steps_per_s"])
    mesa_rate, numpy_rate = max(mesa_rates), max(numpy_rates)
    by_area = time_per_step_by_area((100, 300), args.seed)
    report = {
        "scenario": args.scenario,
        "days": days,
        "grid": f"{shape[0]}x{shape[1]}",
        "repeats": args.repeats,
        "model_steps": model["steps"],
        "model_mean_cells": round(model["mean_cells"], 1),
        "model_mean_mobile_cells": round(model["mean_mobile"], 1),
        "model_seconds": round(model["seconds"], 3),
        "model_cell_steps_per_s": round(model["cell_steps_per_s"]),
        "mesa_walk_steps_per_s": round(mesa_rate),
        "numpy_walk_steps_per_s": round(numpy_rate),
        "ratio_vs_mesa": round(model["cell_steps_per_s"] / mesa_rate, 2),
        "ratio_vs_numpy": round(model["cell_steps_per_s"] / numpy_rate, 3),
        "us_per_step_same_cells_by_grid": by_area,
        "cost_model": {
            "fixed_us_per_step": round(model["fixed_us_per_step"], 1),
            "us_per_mobile_cell_step": round(model["us_per_mobile_cell_step"], 3),
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Run one simulation headless and return its summary record and daily time series."""

from __future__ import annotations

from typing import Any

from sim.engine import DEFAULT_ENGINE
from sim.metrics import daily_table, make_collector, summarise
from sim.model import CarTModel
from sim.outputs import RunResult
from sim.parameters import Scenario

__all__ = ["RunResult", "run_simulation"]


def run_simulation(
    scenario: Scenario,
    seed: int,
    days: int | None = None,
    progress: bool = False,
    engine: str = DEFAULT_ENGINE,
) -> RunResult:
    """Run ``scenario`` with ``seed`` for ``days`` days (default: the scenario's own) on
    ``engine`` (:mod:`sim.engine`).

    The same scenario, seed and days give the same result, bit for bit, on either engine.
    """
    n_days = scenario.time.days if days is None else days
    model = CarTModel(scenario, seed, engine=engine)
    collector = make_collector()
    collector.collect(model)
    day_range: Any = range(n_days)
    if progress:
        from tqdm import tqdm

        day_range = tqdm(day_range, desc=scenario.name, unit="day", leave=False)
    for _ in day_range:
        model.run_day()
        collector.collect(model)
    timeseries = daily_table(collector)
    return RunResult(summary=summarise(model, timeseries), timeseries=timeseries)

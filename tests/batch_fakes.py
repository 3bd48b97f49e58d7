"""Fast stand-ins for the scenario loader and the model, for the batch tests.

They are module-level functions so process pools and Dask can pickle them by name (the
workers import this module: ``tests/`` is on ``sys.path`` in pytest and in
``tests/batch_entry.py``). Behaviour is steered by environment variables, which worker
processes inherit:

- ``BATCH_FAKE_SLEEP``: seconds each run sleeps (to catch a batch in the middle);
- ``BATCH_FAKE_LOG``: a file each finished computation appends one line to
  (``scenario|dose|kill_rate|seed``), to count how often every run was computed;
- ``BATCH_FAKE_FLAKY_DIR``: where the "fails once" runs leave their markers.

A run with ``car_t.kill_rate_per_day = 666`` always fails; with ``555`` it fails on its
first attempt only; with ``777`` it kills the process it runs in.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from sim.errors import UserInputError
from sim.loader import Override, parse_override
from sim.outputs import RunResult

FAKE_SCENARIO_NAMES = ("alpha", "beta", "gamma")
ALWAYS_FAILS_KILL_RATE = 666.0
KILLS_ITS_WORKER_KILL_RATE = 777.0
FAILS_ONCE_KILL_RATE = 555.0


class FakeCarT(BaseModel):
    """The swept table of the fake scenario."""

    model_config = ConfigDict(extra="forbid")
    dose_cells: int = 40
    kill_rate_per_day: float = 12.0


class FakeTime(BaseModel):
    """The fake scenario's clock."""

    model_config = ConfigDict(extra="forbid")
    days: int = 30


class FakeScenario(BaseModel):
    """A tiny pydantic scenario with the attributes the batch uses."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    car_t: FakeCarT = FakeCarT()
    time: FakeTime = FakeTime()


def fake_load(name_or_path: str, overrides: Sequence[Override | str] = ()) -> FakeScenario:
    """Load a fake scenario by name, applying typed overrides (a string is a ``--set``)."""
    if name_or_path not in FAKE_SCENARIO_NAMES:
        raise UserInputError(f"{name_or_path}: no such scenario; choose one of alpha, beta, gamma")
    data: dict[str, Any] = FakeScenario(name=name_or_path).model_dump()
    for override in overrides:
        typed = parse_override(override) if isinstance(override, str) else override
        *parents, last = typed.key
        table = data
        for part in parents:
            table = table.setdefault(part, {})
        table[last] = typed.value
    try:
        return FakeScenario.model_validate(data)
    except ValidationError as error:
        raise UserInputError(f"--set: {error.errors()[0]['msg']}") from None


def _maybe_fail(scenario: FakeScenario, seed: int) -> None:
    rate = scenario.car_t.kill_rate_per_day
    if rate == KILLS_ITS_WORKER_KILL_RATE:
        os._exit(3)  # like a worker killed for using too much memory
    if rate == ALWAYS_FAILS_KILL_RATE:
        raise RuntimeError(f"the fake model always fails at kill rate {rate}")
    if rate == FAILS_ONCE_KILL_RATE:
        marker = Path(os.environ["BATCH_FAKE_FLAKY_DIR"]) / f"{scenario.name}-{seed}"
        if not marker.exists():
            marker.touch()
            raise RuntimeError("the fake model fails on the first attempt")


def fake_outputs(scenario: FakeScenario, seed: int, days: int | None) -> tuple[dict, pd.DataFrame]:
    """A deterministic summary and time series from (scenario, seed, days)."""
    rng = np.random.default_rng([seed, scenario.car_t.dose_cells])
    n_days = days or scenario.time.days
    blasts = rng.integers(0, 1000, n_days + 1)
    timeseries = pd.DataFrame(
        {
            "day": np.arange(n_days + 1),
            "blasts": blasts,
            "car_t": rng.integers(0, scenario.car_t.dose_cells * 10, n_days + 1),
            "cytokine_systemic": rng.random(n_days + 1),
        }
    )
    remission = bool(rng.random() < scenario.car_t.dose_cells / 100)
    summary = {
        "seed": seed,
        "scenario": scenario.name,
        "infused": True,
        "remission_day28": remission,
        "relapse_day": None if remission else int(rng.integers(30, 200)),
        "cart_peak": int(timeseries["car_t"].max()),
        "blast_pct_final": float(blasts[-1] / 10),
    }
    return summary, timeseries


def fake_simulate(scenario: FakeScenario, seed: int, days: int | None = None) -> RunResult:
    """The fake model: optional sleep and failures, then deterministic outputs and a log line."""
    pause = float(os.environ.get("BATCH_FAKE_SLEEP", "0"))
    if pause:
        time.sleep(pause)
    _maybe_fail(scenario, seed)
    summary, timeseries = fake_outputs(scenario, seed, days)
    log = os.environ.get("BATCH_FAKE_LOG")
    if log:
        line = f"{computation_key(scenario.name, scenario.car_t.dose_cells, seed)}\n"
        with open(log, "a") as handle:
            handle.write(line)
    return RunResult(summary, timeseries)


def computation_key(scenario: str, dose_cells: int, seed: int) -> str:
    """How the log names a run (the fake scenarios differ by dose only in the tests)."""
    return f"{scenario}|{dose_cells}|{seed}"


class TrackedRunResult(RunResult):
    """A result that counts how many of its kind are alive (for the memory test)."""

    lock = threading.Lock()
    alive = 0
    peak = 0

    def __init__(self, summary: dict[str, Any], timeseries: pd.DataFrame) -> None:
        super().__init__(summary, timeseries)
        with TrackedRunResult.lock:
            TrackedRunResult.alive += 1
            TrackedRunResult.peak = max(TrackedRunResult.peak, TrackedRunResult.alive)

    def __del__(self) -> None:
        with TrackedRunResult.lock:
            TrackedRunResult.alive -= 1


def tracked_simulate(scenario: FakeScenario, seed: int, days: int | None = None) -> RunResult:
    """The fake model returning results that count themselves (run in threads only)."""
    time.sleep(0.002)
    summary, timeseries = fake_outputs(scenario, seed, days)
    return TrackedRunResult(summary, timeseries)

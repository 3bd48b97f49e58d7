"""Run one simulation headless and return its summary record and daily time series.

STUB: the real implementation lands with the core model. The signature is the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RunResult:
    """What one run produces.

    Attributes:
        summary: the summary record of MODEL.md (JSON-able values, fixed field names).
        timeseries: one row per simulated day (column ``day`` first), the per-day counts.
    """

    summary: dict[str, Any]
    timeseries: pd.DataFrame


def run_simulation(scenario: Any, seed: int, days: int | None = None) -> RunResult:
    """Run ``scenario`` with ``seed`` for ``days`` days (default: the scenario's own)."""
    rng = np.random.default_rng(seed)
    n_days = days or 30
    ts = pd.DataFrame(
        {"day": np.arange(n_days + 1), "blasts": rng.integers(0, 1000, n_days + 1)}
    )
    summary = {
        "seed": seed,
        "scenario": getattr(scenario, "name", "stub"),
        "infused": True,
        "infusion_day": 10,
        "remission_day28": bool(rng.random() < 0.8),
        "cart_peak": int(rng.integers(100, 1000)),
    }
    return RunResult(summary=summary, timeseries=ts)

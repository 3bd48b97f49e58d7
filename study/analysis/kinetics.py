"""Summaries of counts over time across runs (CAR T-cell kinetics) and of one number
per run (median and interquartile range, with the count of runs where it was observed)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Spread:
    """Median and interquartile range of one number over runs.

    Attributes:
        median, q25, q75: the quantiles (nan when nothing was observed).
        observed: runs where the number was observed.
        missing: runs where it was not (None or NaN), left out of the quantiles.
    """

    median: float
    q25: float
    q75: float
    observed: int
    missing: int


def spread(values: Sequence[float | None]) -> Spread:
    """Median and IQR of ``values``; None and NaN count as not observed."""
    kept = [float(v) for v in values if v is not None and not _is_nan(v)]
    missing = len(values) - len(kept)
    if not kept:
        return Spread(math.nan, math.nan, math.nan, 0, missing)
    q25, median, q75 = np.quantile(np.asarray(kept), [0.25, 0.5, 0.75])
    return Spread(float(median), float(q25), float(q75), len(kept), missing)


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def daily_quantiles(
    table: pd.DataFrame, value: str, *, run: str = "run", day: str = "day"
) -> pd.DataFrame:
    """Across runs, the 25th, 50th and 75th percentile of column ``value`` on each day.

    ``table`` has one row per run and day. Returns one row per day, ``day``, ``q25``,
    ``median``, ``q75`` and ``runs`` (how many runs reached that day); days are as in
    ``table`` (e.g. days after infusion).
    """
    grouped = table.groupby(day)[value]
    result = pd.DataFrame(
        {
            "q25": grouped.quantile(0.25),
            "median": grouped.median(),
            "q75": grouped.quantile(0.75),
            "runs": grouped.size(),
        }
    )
    result.index.name = day
    return result.reset_index()

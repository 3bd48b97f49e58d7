"""The sensitivity indices of each output, with their intervals and the replicate noise.

Each sample point runs R replicates; an output's value at a point is the mean of its
replicates that observed it (a null, "not observed", is excluded and counted). A point
where no replicate observed the output has no value, and the whole Morris trajectory or
Sobol' block it belongs to is left out (and counted): SALib needs complete groups.

Noise. The indices describe the replicate mean; the model's own randomness remains in it
as noise with standard error ``se`` at each point (sd / sqrt(n) of its replicates). We
report ``noise_se``, the root mean square of these over the points, and judge each index
against what noise alone would give:

- Morris: an elementary effect of a parameter with no effect is the difference of two
  noisy means over the step ``delta`` (2/3 of the unit range), whose mean absolute value
  is ``noise_floor = 2 noise_se / (delta sqrt(pi))``. An index is above noise when
  ``mu* - mu*_conf > noise_floor``. (Replicate k shares its seed across points, so the
  noise of a difference is usually smaller: the floor errs on the cautious side.)
- Sobol': noise adds ``noise_share = noise_se^2 / Var(Y)`` to every total index and
  nothing, on average, to first-order ones. ST is above noise when
  ``ST - ST_conf > noise_share``; S1 when ``S1 - S1_conf > 0``.

With one replicate the noise cannot be measured: ``noise_se`` and the flags are null.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from study.sensitivity.design import MORRIS_LEVELS, Design

OUTPUTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("remission", ("remission_within_3_months", "remission_day28")),
    ("relapse", ("relapse",)),
    ("cart_peak", ("cart_peak",)),
    ("cart_persistence_days", ("cart_persistence_days",)),
    ("crs_grade", ("crs_grade",)),
)
"""Each analysed output and the summary columns that may hold it, preferred first."""
CONF_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 1000
SAMPLE_COLUMN = "scenario"
"""The runs table's column naming the sample point (its scenario file's name)."""


@dataclass(frozen=True)
class SampleValues:
    """One output at each point: replicate mean, its standard error, replicates observed."""

    mean: np.ndarray
    se: np.ndarray
    observed: np.ndarray
    null_runs: int


@dataclass(frozen=True)
class OutputIndices:
    """The indices of one output.

    Attributes:
        output: the output's name (``remission``, ``cart_peak``...).
        column: the summary column read (``remission_day28``), None if none exists.
        indices: one row per parameter (Morris: ``mu``, ``mu_star``, ``mu_star_conf``,
            ``sigma``, ``above_noise``; Sobol': ``S1``, ``S1_conf``, ``ST``, ``ST_conf``,
            ``S1_above_noise``, ``ST_above_noise``); None when they could not be computed.
        runs_used: runs whose value entered the indices.
        null_runs: runs where the output was not observed (excluded).
        groups_dropped: Morris trajectories or Sobol' blocks left out for lack of a value.
        noise_se: root mean square within-point standard error (output units); None with
            one replicate.
        noise_share: ``noise_se^2`` over the variance of the point means; None if unknown.
        noise_floor: Morris only: the ``mu*`` that noise alone gives; None if unknown.
        note: why the indices are missing or say nothing (a constant output), or "".
    """

    output: str
    column: str | None
    indices: pd.DataFrame | None
    runs_used: int
    null_runs: int
    groups_dropped: int
    noise_se: float | None
    noise_share: float | None
    noise_floor: float | None
    note: str = ""


def run_values(column: pd.Series) -> np.ndarray:
    """A summary column as floats: booleans 0/1, null (None, NaN) as NaN."""
    values = [
        math.nan
        if value is None or (isinstance(value, float) and math.isnan(value))
        else float(value)
        for value in column.astype(object)
    ]
    return np.asarray(values, dtype=float)


def sample_values(runs: pd.DataFrame, names: list[str], column: str) -> SampleValues:
    """Per point (in ``names`` order): replicate mean, standard error and count observed."""
    frame = pd.DataFrame(
        {"point": runs[SAMPLE_COLUMN].to_numpy(), "value": run_values(runs[column])}
    )
    grouped = frame.groupby("point")["value"]
    mean = grouped.mean().reindex(names).to_numpy(dtype=float)
    sd = grouped.std(ddof=1).reindex(names).to_numpy(dtype=float)
    observed = grouped.count().reindex(names).fillna(0).to_numpy(dtype=int)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(observed >= 2, sd / np.sqrt(np.maximum(observed, 1)), np.nan)
    return SampleValues(mean, se, observed, int(frame["value"].isna().sum()))


def morris_delta(levels: int = MORRIS_LEVELS) -> float:
    """The Morris step in unit coordinates: ``levels / (2 (levels - 1))``."""
    return levels / (2.0 * (levels - 1))


def analyse_output(design: Design, output: str, column: str, values: SampleValues) -> OutputIndices:
    """The indices of one output from its per-point values (see the module docstring)."""
    size = design.group_size
    complete = (values.observed > 0).reshape(-1, size).all(axis=1)
    rows = np.repeat(complete, size)
    y, x = values.mean[rows], design.unit[rows]
    used = int(values.observed[rows].sum())
    se = values.se[rows]
    se = se[np.isfinite(se)]
    noise_se = float(np.sqrt(np.mean(se**2))) if se.size else None
    variance = float(np.var(y, ddof=1)) if y.size > 1 else 0.0
    noise_share = noise_se**2 / variance if noise_se is not None and variance > 0 else None
    base = dict(
        output=output,
        column=column,
        runs_used=used,
        null_runs=values.null_runs,
        groups_dropped=int((~complete).sum()),
        noise_se=noise_se,
        noise_share=noise_share,
    )
    group_name = "trajectories" if design.method == "morris" else "base samples"
    if int(complete.sum()) < 2:
        return OutputIndices(
            indices=None, noise_floor=None, note=f"fewer than 2 complete {group_name}", **base
        )
    same = "the output is the same at every point: no parameter moves it in these runs"
    if design.method == "morris":
        floor = None if noise_se is None else 2.0 * noise_se / (morris_delta() * math.sqrt(math.pi))
        indices = _morris(design, x, y, floor)
        return OutputIndices(
            indices=indices, noise_floor=floor, note=same if variance == 0 else "", **base
        )
    if variance == 0:
        return OutputIndices(indices=None, noise_floor=None, note=same, **base)
    return OutputIndices(indices=_sobol(design, y, noise_share), noise_floor=None, **base)


def _morris(design: Design, x: np.ndarray, y: np.ndarray, floor: float | None) -> pd.DataFrame:
    from SALib.analyze import morris

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = morris.analyze(
            design.problem(),
            x,
            y,
            num_resamples=BOOTSTRAP_RESAMPLES,
            conf_level=CONF_LEVEL,
            num_levels=MORRIS_LEVELS,
            seed=design.seed % 2**32,
        )
    frame = pd.DataFrame(
        {
            "parameter": list(design.keys),
            "mu": np.asarray(result["mu"], dtype=float),
            "mu_star": np.asarray(result["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(result["mu_star_conf"], dtype=float),
            "sigma": np.asarray(result["sigma"], dtype=float),
        }
    )
    low = frame["mu_star"] - frame["mu_star_conf"]
    frame["above_noise"] = [None if floor is None else bool(v > floor) for v in low]
    return frame


def _sobol(design: Design, y: np.ndarray, noise_share: float | None) -> pd.DataFrame:
    from SALib.analyze import sobol

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = sobol.analyze(
            design.problem(),
            y,
            calc_second_order=False,
            num_resamples=BOOTSTRAP_RESAMPLES,
            conf_level=CONF_LEVEL,
            seed=design.seed % 2**32,
        )
    frame = pd.DataFrame(
        {
            "parameter": list(design.keys),
            "S1": np.asarray(result["S1"], dtype=float),
            "S1_conf": np.asarray(result["S1_conf"], dtype=float),
            "ST": np.asarray(result["ST"], dtype=float),
            "ST_conf": np.asarray(result["ST_conf"], dtype=float),
        }
    )
    s1_low = frame["S1"] - frame["S1_conf"]
    st_low = frame["ST"] - frame["ST_conf"]
    frame["S1_above_noise"] = [None if noise_share is None else bool(v > 0) for v in s1_low]
    frame["ST_above_noise"] = [
        None if noise_share is None else bool(v > noise_share) for v in st_low
    ]
    return frame


def output_column(runs: pd.DataFrame, candidates: tuple[str, ...]) -> str | None:
    """The first of ``candidates`` that is a column of ``runs``."""
    return next((name for name in candidates if name in runs.columns), None)


def analyse(design: Design, runs: pd.DataFrame) -> list[OutputIndices]:
    """The indices of every output of :data:`OUTPUTS` from a finished batch's runs table."""
    names = design.sample_names()
    results = []
    for output, candidates in OUTPUTS:
        column = output_column(runs, candidates)
        if column is None:
            results.append(
                OutputIndices(
                    output,
                    None,
                    None,
                    0,
                    0,
                    0,
                    None,
                    None,
                    None,
                    note=f"no column {' or '.join(candidates)} in the runs",
                )
            )
            continue
        results.append(analyse_output(design, output, column, sample_values(runs, names, column)))
    return results

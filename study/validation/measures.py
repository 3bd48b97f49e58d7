"""The measure of each clinical target, computed from a batch's tables.

Each function takes plain tables (``runs``: one row per run, the summary fields;
``series``: one row per run and day, the daily counts, with ``run_id`` and ``day`` from
enrolment) and returns a :class:`Measured`: the value, its 95% interval and how many runs
it rests on. Shares are percentages with Wilson intervals; medians have the
distribution-free (order-statistic) interval; rates are measured per run (the expansion
as the fold from the dose to the peak, the contraction by log-linear least squares) and
summarised by their median. A value a run could not show (it ended too
early, it was never infused) is left out, never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.metrics import BEST_RESPONSE_LAST_DAY as RESPONSE_WINDOW_DAYS
from sim.metrics import REMISSION_BLAST_PCT, sustained_remission
from study.analysis import median_with_interval, newcombe_difference, wilson_interval

SIX_MONTHS_DAYS = 182  # B-cell aplasia "at 6 months", days after infusion
PERSISTENCE_DAYS = 180  # T7: CAR T-cells still present beyond this many days
TWELVE_MONTHS_DAYS = 365  # T14: relapse-free survival 12 months after infusion
APLASIA_SHARE = 0.1  # B-cell aplasia: B-cells below 10% of their day-0 count
CONTRACTION_FIT_DAYS = 21  # the contraction is fitted over the 3 weeks after the peak
GROWTH_FIT_MAX_BLAST_PCT = 30.0  # untreated growth is fitted while blasts are below this
MIN_FIT_POINTS = 3
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Measured:
    """A simulated value with its 95% interval (nan: not computable), in the target's unit.

    Attributes:
        value, low, high: the estimate and its interval.
        runs: the runs (or run pairs) it rests on.
        note: how it was computed, or why it is missing.
        holds: for a comparison, whether the rule holds significantly (None otherwise).
    """

    value: float
    low: float
    high: float
    runs: int
    note: str = ""
    holds: bool | None = None


def share(flags: pd.Series, note: str = "") -> Measured:
    """The share (%) of True among the observed values (None/NaN left out), Wilson 95%."""
    observed = flags.dropna().astype(bool)
    n = int(observed.size)
    if n == 0:
        return Measured(math.nan, math.nan, math.nan, 0, note or "no run could show it")
    k = int(observed.sum())
    low, high = wilson_interval(k, n)
    return Measured(100.0 * k / n, 100.0 * low, 100.0 * high, n, note or f"{k} of {n}")


def median(values: pd.Series | np.ndarray, note: str = "") -> Measured:
    """The median of the observed values with its order-statistic 95% interval."""
    kept = pd.Series(values, dtype=float).dropna()
    kept = kept[~np.isnan(kept.to_numpy())]
    if kept.empty:
        return Measured(math.nan, math.nan, math.nan, 0, note or "no run could show it")
    estimate = median_with_interval(kept.tolist())
    return Measured(estimate.value, estimate.low, estimate.high, int(kept.size), note)


def after_infusion(runs: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """The daily rows of infused runs from their infusion day on, with ``day_after``."""
    infused = runs[runs["infused"].astype(bool)][["run_id", "infusion_day"]]
    table = series.merge(infused, on="run_id")
    table = table[table["day"] >= table["infusion_day"]].copy()
    table["day_after"] = (table["day"] - table["infusion_day"]).astype(int)
    return table


def _per_run(runs: pd.DataFrame, series: pd.DataFrame, name: str, fn) -> pd.Series:
    """``fn(one run's days after infusion)`` for each infused run, indexed by ``run_id``
    (None where the run could not show it)."""
    table = after_infusion(runs, series)
    values = {run_id: fn(days.sort_values("day_after")) for run_id, days in table.groupby("run_id")}
    infused = runs.loc[runs["infused"].astype(bool), "run_id"]
    return pd.Series([values.get(r) for r in infused], index=infused.to_numpy(), name=name)


def _summary_or_series(
    runs: pd.DataFrame,
    series: pd.DataFrame,
    field: str,
    fn: Callable[[pd.DataFrame], bool | None],
) -> pd.Series:
    """Per infused run: the summary's ``field`` when the batch has it, else ``fn`` of the
    run's days after infusion (batches from before the field)."""
    if field in runs.columns:
        infused = runs[runs["infused"].astype(bool)]
        return pd.Series(infused[field].to_numpy(), index=infused["run_id"])
    return _per_run(runs, series, field, fn)


def _seen_within_window(
    condition: Callable[[pd.DataFrame], pd.Series],
) -> Callable[[pd.DataFrame], bool | None]:
    """True when ``condition`` holds on some day from 1 to 91 after infusion; None when
    the run ended before day 91 without it; False otherwise."""

    def fn(days: pd.DataFrame) -> bool | None:
        window = days[(days["day_after"] >= 1) & (days["day_after"] <= RESPONSE_WINDOW_DAYS)]
        if condition(window).any():
            return True
        return False if days["day_after"].max() >= RESPONSE_WINDOW_DAYS else None

    return fn


def remission_within(runs: pd.DataFrame, series: pd.DataFrame) -> pd.Series:
    """Per infused run: remission (blasts < 5% of the sites) on some day within 3 months
    of infusion (the summary's ``remission_within_3_months``)."""
    in_remission = _seen_within_window(lambda days: days["blast_pct"] < REMISSION_BLAST_PCT)
    return _summary_or_series(runs, series, "remission_within_3_months", in_remission)


def sustained_remission_within(runs: pd.DataFrame, series: pd.DataFrame) -> pd.Series:
    """Per infused run: ELIANA's endpoint, a remission reached within 3 months of infusion
    and maintained for at least 28 days (the summary's
    ``remission_sustained_within_3_months``; :func:`sim.metrics.sustained_remission`)."""
    return _summary_or_series(
        runs,
        series,
        "remission_sustained_within_3_months",
        lambda days: sustained_remission(days["blast_pct"].to_numpy() < REMISSION_BLAST_PCT),
    )


def responder_ids(runs: pd.DataFrame, series: pd.DataFrame) -> pd.Index:
    """Run ids of T1's responders: remission within 3 months of infusion, maintained for
    at least 28 days (:func:`sustained_remission_within`)."""
    responders = sustained_remission_within(runs, series)
    return responders[responders.fillna(False).astype(bool)].index


def relapse_followed_ids(runs: pd.DataFrame, series: pd.DataFrame) -> pd.Index:
    """Run ids of T14's population: T1's responders that were also in remission on day 28
    after infusion (the summary's ``remission_day28``), the only runs whose ``relapse``
    the summary records (``sim.metrics._response``)."""
    at_day_28 = runs.loc[runs["remission_day28"].fillna(False).astype(bool), "run_id"]
    responders = responder_ids(runs, series)
    return responders[responders.isin(at_day_28)]


def mrd_negative_within(runs: pd.DataFrame, series: pd.DataFrame) -> pd.Series:
    """Per infused run: no blast left on some day within 3 months of infusion (the
    summary's ``mrd_negative_within_3_months``)."""
    no_blast = _seen_within_window(lambda days: days["blasts"] == 0)
    return _summary_or_series(runs, series, "mrd_negative_within_3_months", no_blast)


def persistence_beyond(runs: pd.DataFrame, days: int = PERSISTENCE_DAYS) -> pd.Series:
    """Per infused run: a CAR T-cell alive more than ``days`` after infusion (None when
    the run ended earlier with CAR T-cells still alive: censored)."""
    infused = runs[runs["infused"].astype(bool)]
    followed = infused["days_simulated"] - infused["infusion_day"]
    last = infused["cart_persistence_days"].astype(float)
    values = [
        True if p > days else (None if f <= days and p >= f else False)
        for p, f in zip(last.fillna(-1.0), followed, strict=True)
    ]
    return pd.Series(values, index=infused["run_id"].to_numpy(), dtype=object)


def aplasia_at(runs: pd.DataFrame, series: pd.DataFrame, day: int = SIX_MONTHS_DAYS) -> pd.Series:
    """Per infused run: B-cells below 10% of their day-0 count ``day`` days after
    infusion (None when the run ended before)."""
    start = series[series["day"] == 0].set_index("run_id")["b_cells"]

    def fn(days: pd.DataFrame) -> bool | None:
        row = days[days["day_after"] == day]
        if row.empty:
            return None
        baseline = start.get(row["run_id"].iloc[0], 0)
        return bool(row["b_cells"].iloc[0] < APLASIA_SHARE * baseline)

    return _per_run(runs, series, "b_cell_aplasia_at_6_months", fn)


def log_linear_rate(days: np.ndarray, counts: np.ndarray) -> float:
    """The slope (per day) of ln(count) against day by least squares; nan with fewer than
    :data:`MIN_FIT_POINTS` positive counts."""
    keep = counts > 0
    if keep.sum() < MIN_FIT_POINTS:
        return math.nan
    slope, _ = np.polyfit(days[keep].astype(float), np.log(counts[keep].astype(float)), 1)
    return float(slope)


def expansion_doubling_hours(days: pd.DataFrame, infused: float | None) -> float:
    """One run's CAR T-cell doubling time (hours) from infusion to the peak, as the
    target was derived (ln of the fold expansion over the time to the peak): from the
    ``infused`` cells at the start of the infusion day to the most alive at the end of a
    day. nan when the dose is unknown (a batch from before ``cart_infused``)."""
    counts = days["car_t"].to_numpy()
    if infused is None or not infused > 0 or counts.size == 0:
        return math.nan
    peak = int(np.argmax(counts))
    hours_to_peak = 24.0 * (int(days["day_after"].to_numpy()[peak]) + 1)
    fold = counts[peak] / float(infused)
    return hours_to_peak * math.log(2.0) / math.log(fold) if fold > 1 else math.inf


def contraction_half_life_days(days: pd.DataFrame) -> float:
    """One run's CAR T-cell half-life (days) over the 3 weeks after the peak."""
    counts = days["car_t"].to_numpy()
    peak = int(np.argmax(counts))
    end = peak + CONTRACTION_FIT_DAYS + 1
    rate = log_linear_rate(days["day_after"].to_numpy()[peak:end], counts[peak:end])
    if math.isnan(rate):
        return math.nan
    return math.log(2.0) / -rate if rate < 0 else math.inf


def kinetics(runs: pd.DataFrame, series: pd.DataFrame, quantity: str) -> Measured:
    """The median over infused runs of a per-run kinetic measure (``quantity``:
    ``expansion_doubling_hours`` or ``contraction_half_life_days``)."""
    if quantity == "expansion_doubling_hours":
        infused = runs[runs["infused"].astype(bool)]
        # batches from before the cart_infused field have no dose: not observed
        doses = (
            dict(zip(infused["run_id"], infused["cart_infused"], strict=True))
            if ("cart_infused" in infused)
            else {}
        )
        values = _per_run(
            runs,
            series,
            quantity,
            lambda days: expansion_doubling_hours(days, doses.get(days["run_id"].iloc[0])),
        )
        note = "per run ln(peak / cells infused) over the time to the peak, median over runs"
    else:
        values = _per_run(runs, series, quantity, contraction_half_life_days)
        note = "per-run log-linear fit over 3 weeks after the peak, median over runs"
    return median(values.astype(float), note)


def blast_doubling_days(days: pd.DataFrame) -> float:
    """One untreated run's blast doubling time (days), fitted while blasts < 30%."""
    early = days[days["blast_pct"] < GROWTH_FIT_MAX_BLAST_PCT]
    rate = log_linear_rate(early["day"].to_numpy(), early["blasts"].to_numpy())
    if math.isnan(rate):
        return math.nan
    return math.log(2.0) / rate if rate > 0 else math.inf


def growth(series: pd.DataFrame) -> Measured:
    """Median over runs of the untreated blast doubling time (days)."""
    values = [blast_doubling_days(days.sort_values("day")) for _, days in series.groupby("run_id")]
    note = f"log-linear fit while blasts < {GROWTH_FIT_MAX_BLAST_PCT:g}%, median over runs"
    return median(np.asarray(values, dtype=float), note)


def burden_comparison(
    high_runs: pd.DataFrame,
    high_series: pd.DataFrame,
    reference_runs: pd.DataFrame,
    reference_series: pd.DataFrame,
) -> Measured:
    """T13: high burden gives lower remission (sustained, as in T1; one-sided Fisher) and
    more severe CRS (one-sided Mann-Whitney on the grade), each at p < 0.05.

    The value is the difference in remission (percentage points, high minus reference)
    with its interval; ``holds`` is True when both directions are significant, False when
    either goes the wrong way (or not at all), None when they point the right way but are
    not significant.
    """
    from scipy.stats import fisher_exact, mannwhitneyu

    high = sustained_remission_within(high_runs, high_series).dropna().astype(bool)
    ref = sustained_remission_within(reference_runs, reference_series).dropna().astype(bool)
    crs_high = high_runs.loc[high_runs["infused"].astype(bool), "crs_grade"].astype(float)
    crs_ref = reference_runs.loc[reference_runs["infused"].astype(bool), "crs_grade"].astype(float)
    if high.empty or ref.empty or crs_high.empty or crs_ref.empty:
        return Measured(math.nan, math.nan, math.nan, 0, "no infused runs to compare")
    diff = newcombe_difference(int(high.sum()), high.size, int(ref.sum()), ref.size)
    table = [[int(high.sum()), int((~high).sum())], [int(ref.sum()), int((~ref).sum())]]
    p_lower = float(fisher_exact(table, alternative="less").pvalue)
    lower = high.mean() < ref.mean()
    if crs_high.nunique() == 1 and crs_ref.nunique() == 1 and crs_high.iloc[0] == crs_ref.iloc[0]:
        p_crs = 1.0
    else:
        p_crs = float(mannwhitneyu(crs_high, crs_ref, alternative="greater").pvalue)
    more_crs = crs_high.mean() > crs_ref.mean()
    note = (
        f"remission {100 * high.mean():.0f}% vs {100 * ref.mean():.0f}% (p={p_lower:.3g}); "
        f"mean CRS grade {crs_high.mean():.2f} vs {crs_ref.mean():.2f} (p={p_crs:.3g})"
    )
    if lower and more_crs and p_lower < SIGNIFICANCE and p_crs < SIGNIFICANCE:
        holds: bool | None = True
    elif lower and more_crs:
        holds = None
    else:
        holds = False
    return Measured(
        100.0 * diff.value,
        100.0 * diff.low,
        100.0 * diff.high,
        int(min(high.size, ref.size)),
        note,
        holds,
    )


def relapse_free_at(
    runs: pd.DataFrame, responders: pd.Index, day: int = TWELVE_MONTHS_DAYS
) -> Measured:
    """Kaplan-Meier relapse-free survival (%) of ``responders`` (run ids) ``day`` days after
    infusion, with its log-log Greenwood 95% band. An event is the summary's ``relapse``
    (blasts back to >= 5% of the sites after a day-28 remission) on ``relapse_day``; a run
    without one is censored when it ended. Unresolved (nan) when no responder was
    followed to ``day``."""
    from study.analysis.survival import kaplan_meier

    chosen = runs[runs["run_id"].isin(responders)]
    if chosen.empty:
        return Measured(math.nan, math.nan, math.nan, 0, "no responders")
    relapsed = chosen["relapse"].fillna(False).astype(bool).to_numpy()
    followed = (chosen["days_simulated"] - chosen["infusion_day"]).to_numpy(dtype=float)
    times = np.where(relapsed, chosen["relapse_day"].fillna(0).to_numpy(dtype=float), followed)
    if followed.max() < day:
        return Measured(math.nan, math.nan, math.nan, len(chosen), f"not followed to day {day}")
    curve = kaplan_meier(times.tolist(), relapsed.tolist())
    index = max(int(np.searchsorted(curve.times, day, side="right")) - 1, 0)
    note = f"{int(relapsed.sum())} relapses among {len(chosen)} responders (Kaplan-Meier)"
    return Measured(
        100.0 * curve.at(day),
        100.0 * float(curve.low[index]),
        100.0 * float(curve.high[index]),
        len(chosen),
        note,
    )


def lymphoma_overall_response(runs: pd.DataFrame) -> pd.Series:
    """T15, per infused run: the lymphoma's best response by month 3 after infusion was
    complete or partial (the summary's ``lymphoma_overall_response``, Lugano 2014 in the
    model's terms: :mod:`sim.lymphoma`); None when the run ended before the month-3 scan
    without a response (left out of the share)."""
    infused = runs[runs["infused"].astype(bool)]
    values = [None if pd.isna(v) else bool(v) for v in infused["lymphoma_overall_response"]]
    return pd.Series(values, index=infused["run_id"].to_numpy(), dtype=object)

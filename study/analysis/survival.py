"""Time-to-event statistics with right censoring: Kaplan-Meier curves with confidence
bands and median, the log-rank test, a hazard ratio, and the restricted mean survival time.

Times are in days (any unit works, as long as both groups share it). ``events[i]`` is
True when subject i had the event at ``times[i]``, False when it was censored then (still
event-free when follow-up ended). At a tie, events come before censorings.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy.stats import CensoredData

from study.analysis.effects import NAN_ESTIMATE, Estimate


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan-Meier curve: a step function, constant from each time to the next.

    Attributes:
        times: 0, then each distinct time at which the curve is evaluated (days).
        survival: the share still event-free just after each time.
        low, high: the pointwise confidence band (Greenwood variance, log-log scale).
        censored_times: the times at which subjects were censored (for tick marks).
        subjects, events: how many subjects and events the curve is built from.
        median: the first time the curve reaches 0.5 or below (nan if never), with its
            interval from the band (the times where the band's lower and upper edges
            first reach 0.5; nan where they never do).
    """

    times: np.ndarray
    survival: np.ndarray
    low: np.ndarray
    high: np.ndarray
    censored_times: np.ndarray
    subjects: int
    events: int
    median: Estimate

    def at(self, time: float) -> float:
        """The share event-free at ``time`` (days)."""
        index = int(np.searchsorted(self.times, time, side="right")) - 1
        return float(self.survival[max(index, 0)])


def _as_arrays(times: Sequence[float], events: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(times, dtype=float)
    e = np.asarray(events, dtype=bool)
    if t.shape != e.shape:
        raise ValueError("times and events need the same length")
    if np.any(t < 0) or np.any(~np.isfinite(t)):
        raise ValueError("times must be finite and non-negative")
    return t, e


def _censored_data(t: np.ndarray, e: np.ndarray) -> CensoredData:
    from scipy.stats import CensoredData

    return CensoredData(uncensored=t[e], right=t[~e])


def _first_time_at_or_below(times: np.ndarray, values: np.ndarray, level: float) -> float:
    hits = np.flatnonzero(values <= level + 1e-12)
    return float(times[hits[0]]) if hits.size else math.nan


def kaplan_meier(
    times: Sequence[float], events: Sequence[bool], confidence: float = 0.95
) -> SurvivalCurve:
    """The Kaplan-Meier estimate (``scipy.stats.ecdf`` on censored data) with a
    log-log Greenwood band; needs at least one subject."""
    t, e = _as_arrays(times, events)
    if t.size == 0:
        raise ValueError("a Kaplan-Meier curve needs at least one subject")
    from scipy.stats import ecdf

    result = ecdf(_censored_data(t, e))
    steps = result.sf.quantiles
    survival = result.sf.probabilities
    with warnings.catch_warnings():  # undefined where S is 1 or 0: handled below
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        band = result.sf.confidence_interval(confidence, method="log-log")
    low, high = band.low.probabilities.copy(), band.high.probabilities.copy()
    # The log-log band is undefined where S is 1 (no event yet) or 0: use S itself there.
    low = np.where(np.isnan(low), survival, low)
    high = np.where(np.isnan(high), survival, high)
    curve_times = np.concatenate([[0.0], steps])
    curve = np.concatenate([[1.0], survival])
    curve_low = np.concatenate([[1.0], low])
    curve_high = np.concatenate([[1.0], high])
    # The band's lower edge reaches 0.5 first: it gives the median's lower limit.
    median = Estimate(
        _first_time_at_or_below(curve_times, curve, 0.5),
        _first_time_at_or_below(curve_times, curve_low, 0.5),
        _first_time_at_or_below(curve_times, curve_high, 0.5),
    )
    return SurvivalCurve(
        times=curve_times,
        survival=curve,
        low=curve_low,
        high=curve_high,
        censored_times=np.sort(t[~e]),
        subjects=int(t.size),
        events=int(e.sum()),
        median=median,
    )


@dataclass(frozen=True)
class LogRankResult:
    """The log-rank comparison of groups A and B.

    Attributes:
        p_value: two-sided p-value (``scipy.stats.logrank``).
        observed_a, expected_a: events in A, and those expected in A if both groups shared
            one hazard.
        variance: the hypergeometric variance of ``observed_a - expected_a``.
        hazard_ratio: the hazard of A over B, Peto's one-step estimate
            ``exp((O_a - E_a) / V)`` with its interval ``exp((O_a - E_a) / V +- z / sqrt(V))``
            (nan without events).
    """

    p_value: float
    observed_a: int
    expected_a: float
    variance: float
    hazard_ratio: Estimate


def logrank_test(
    times_a: Sequence[float],
    events_a: Sequence[bool],
    times_b: Sequence[float],
    events_b: Sequence[bool],
    confidence: float = 0.95,
) -> LogRankResult:
    """Log-rank test of A against B, with Peto's hazard ratio of A over B."""
    ta, ea = _as_arrays(times_a, events_a)
    tb, eb = _as_arrays(times_b, events_b)
    if ta.size == 0 or tb.size == 0:
        return LogRankResult(math.nan, int(ea.sum()), math.nan, math.nan, NAN_ESTIMATE)
    observed, expected, variance = 0.0, 0.0, 0.0
    for time in np.unique(np.concatenate([ta[ea], tb[eb]])):
        at_risk_a, at_risk_b = float(np.sum(ta >= time)), float(np.sum(tb >= time))
        deaths_a = float(np.sum((ta == time) & ea))
        deaths = deaths_a + float(np.sum((tb == time) & eb))
        at_risk = at_risk_a + at_risk_b
        observed += deaths_a
        expected += deaths * at_risk_a / at_risk
        if at_risk > 1:
            variance += (
                deaths
                * (at_risk_a / at_risk)
                * (at_risk_b / at_risk)
                * (at_risk - deaths)
                / (at_risk - 1)
            )
    if variance <= 0:
        return LogRankResult(math.nan, int(observed), expected, variance, NAN_ESTIMATE)
    from scipy.stats import logrank, norm

    p_value = float(logrank(_censored_data(ta, ea), _censored_data(tb, eb)).pvalue)
    log_hr = (observed - expected) / variance
    z = float(norm.ppf(0.5 + confidence / 2.0))
    half = z / math.sqrt(variance)
    ratio = Estimate(math.exp(log_hr), math.exp(log_hr - half), math.exp(log_hr + half))
    return LogRankResult(p_value, int(observed), expected, variance, ratio)


@dataclass(frozen=True)
class RestrictedMean:
    """The restricted mean survival time up to ``horizon``: the area under the
    Kaplan-Meier curve from 0 to ``horizon`` (days event-free, on average, in that window),
    with its Greenwood-type variance."""

    horizon: float
    value: float
    variance: float


def restricted_mean(
    times: Sequence[float], events: Sequence[bool], horizon: float
) -> RestrictedMean:
    """The restricted mean survival time up to ``horizon`` (days) and its variance
    ``sum_j A_j**2 d_j / (n_j (n_j - d_j))`` over event times ``t_j <= horizon``, where
    ``A_j`` is the area under the curve from ``t_j`` to ``horizon``."""
    t, e = _as_arrays(times, events)
    if t.size == 0:
        return RestrictedMean(horizon, math.nan, math.nan)
    event_times = np.unique(t[e & (t <= horizon)])
    survival, previous = [], 1.0
    at_risk, deaths = [], []
    for time in event_times:
        n_j = float(np.sum(t >= time))
        d_j = float(np.sum((t == time) & e))
        previous *= 1.0 - d_j / n_j
        survival.append(previous)
        at_risk.append(n_j)
        deaths.append(d_j)
    edges = np.concatenate([[0.0], event_times, [horizon]])
    levels = np.concatenate([[1.0], survival])
    pieces = levels * np.diff(edges)
    value = float(pieces.sum())
    variance = 0.0
    for j in range(event_times.size):
        area_after = float(pieces[j + 1 :].sum())
        if area_after > 0 and at_risk[j] > deaths[j]:
            variance += area_after**2 * deaths[j] / (at_risk[j] * (at_risk[j] - deaths[j]))
    return RestrictedMean(horizon, value, variance)


def restricted_mean_difference(
    times_a: Sequence[float],
    events_a: Sequence[bool],
    times_b: Sequence[float],
    events_b: Sequence[bool],
    horizon: float | None = None,
    confidence: float = 0.95,
) -> tuple[Estimate, float]:
    """RMST of A minus RMST of B (days) with a normal interval, and the horizon used:
    by default the shorter of the two groups' longest follow-up, so both curves are
    estimated over the whole window."""
    ta, _ = _as_arrays(times_a, events_a)
    tb, _ = _as_arrays(times_b, events_b)
    if ta.size == 0 or tb.size == 0:
        return NAN_ESTIMATE, math.nan
    if horizon is None:
        horizon = float(min(ta.max(), tb.max()))
    a = restricted_mean(times_a, events_a, horizon)
    b = restricted_mean(times_b, events_b, horizon)
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2.0))
    half = z * math.sqrt(a.variance + b.variance)
    difference = a.value - b.value
    return Estimate(difference, difference - half, difference + half), horizon

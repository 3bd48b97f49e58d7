"""The numbers of the two-arm comparison report, computed from a batch directory.

:func:`compare_arms` turns an :class:`~study.analysis.arms.ArmPair` into a
:class:`Comparison`: shares with Wilson intervals, their difference with Newcombe's
interval and the test that fits the design (McNemar's exact test on pairs, Fisher's exact
test on independent groups), medians with interquartile ranges, relapse-free survival,
CAR T-cell kinetics and the CRS grade distribution. Differences are always arm A minus
arm B. No pixels here: :mod:`viz.comparison_figures` and
:mod:`viz.comparison_report` draw and write it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from study.analysis.arms import BEST_RESPONSE_FIELD, ArmPair
from study.analysis.effects import (
    NAN_ESTIMATE,
    Estimate,
    median_with_interval,
    newcombe_difference,
    paired_newcombe_difference,
    wilcoxon_signed_rank_p,
)
from study.analysis.kinetics import Spread, daily_quantiles, spread
from study.analysis.proportions import wilson_interval
from study.analysis.share_tests import PairedTable, fisher_exact_test, mcnemar_exact_test
from study.analysis.survival import (
    LogRankResult,
    SurvivalCurve,
    kaplan_meier,
    logrank_test,
    restricted_mean,
    restricted_mean_difference,
)
from study.analysis.vocabulary import Vocabulary, vocabulary

WIDE_INTERVAL = 0.20
"""A share's 95 % interval wider than this (20 points) is flagged as imprecise."""
CRS_GRADES = (0, 1, 2, 3, 4)
MIN_SURVIVAL_SUBJECTS = 5
"""Fewer remissions than this in an arm: no log-rank test, hazard ratio or RMST difference."""

# key, label, population, paired when the design is paired
SHARE_ROWS: tuple[tuple[str, str, str, bool], ...] = (
    ("manufacturing_failed", "manufacturing failure", "all enrolled", True),
    ("remission_day28", "remission at day 28", "all enrolled", True),
    ("best_response", "best response: remission within 3 months", "all enrolled", True),
    ("mrd_negative_day28", "MRD-negative at day 28", "all enrolled", True),
    ("non_response", "no response (no remission at day 28)", "infused", True),
    ("relapse", "relapse after remission", "in remission at day 28", False),
    ("relapse_cd19_negative", "CD19-negative relapse", "relapses", False),
    ("crs_any", "CRS, any grade", "infused", True),
    ("crs_severe", "CRS grade 3-4", "infused", True),
    ("gvhd", "graft-versus-host disease", "infused", True),
    ("rejection", "rejection (host T-cells killed CAR T-cells)", "infused", True),
)
LYMPHOMA_LABELS: dict[str, str] = {
    "remission_day28": "response (CR or PR, Lugano) at the day-28 scan",
    "best_response": "overall response (CR or PR) by month 3",
    "mrd_negative_day28": "complete response at the day-28 scan",
    "non_response": "no response at day 28 (stable or progressive disease)",
    "relapse": "progression after a day-28 response",
    "relapse_cd19_negative": "CD19-negative progression",
    "blast_pct_at_infusion": "lymphoma at infusion (node section)",
}
"""The labels a lymphoma comparison uses instead (sim/lymphoma.py: Lugano 2014)."""
LYMPHOMA_POPULATIONS: dict[str, str] = {"in remission at day 28": "responding at day 28"}
"""The populations a lymphoma comparison names instead."""

# key, label, unit
NUMBER_ROWS: tuple[tuple[str, str, str], ...] = (
    ("days_to_infusion", "enrolment to infusion", "days"),
    ("blast_pct_at_infusion", "blasts at infusion", "% of sites"),
    ("cart_peak", "CAR T-cell peak", "cells"),
    ("cart_peak_day", "CAR T-cell peak day", "days after infusion"),
    ("cart_persistence_days", "CAR T-cell persistence", "days after infusion"),
    ("b_cell_aplasia_days", "B-cell aplasia", "days"),
)


@dataclass(frozen=True)
class ShareRow:
    """One yes/no outcome, arm against arm.

    Attributes:
        key, label, population: the outcome field, its name, and who is counted.
        successes, trials, missing: per arm (A, B); ``missing`` runs were in the
            population's run set but the outcome was not observed (left out).
        interval_a, interval_b: 95 % Wilson intervals of the two shares.
        difference: share A minus share B with its 95 % interval (Newcombe, paired or not).
        test, p_value: "McNemar exact" on pairs or "Fisher exact"; two-sided p.
        table: the paired table when the test is McNemar's.
    """

    key: str
    label: str
    population: str
    successes: tuple[int, int]
    trials: tuple[int, int]
    missing: tuple[int, int]
    interval_a: tuple[float, float]
    interval_b: tuple[float, float]
    difference: Estimate
    test: str
    p_value: float
    table: PairedTable | None = None

    def share(self, arm: int) -> float:
        """The share of arm 0 (A) or 1 (B); nan without trials."""
        return self.successes[arm] / self.trials[arm] if self.trials[arm] else math.nan

    @property
    def wide(self) -> bool:
        """Whether either arm's interval is wider than 20 points."""
        return any(
            not (high - low <= WIDE_INTERVAL) for low, high in (self.interval_a, self.interval_b)
        )


@dataclass(frozen=True)
class NumberRow:
    """One number per run (days, cells), arm against arm: median and IQR per arm, and the
    median of paired differences A - B with its sign-test interval and Wilcoxon's
    signed-rank p (paired design), or the difference of medians and the Mann-Whitney p."""

    key: str
    label: str
    unit: str
    spread_a: Spread
    spread_b: Spread
    difference: Estimate
    test: str
    p_value: float


@dataclass(frozen=True)
class SurvivalComparison:
    """Relapse-free survival after remission (days from remission onset), per arm."""

    curve_a: SurvivalCurve | None
    curve_b: SurvivalCurve | None
    logrank: LogRankResult | None
    rmst_a: float
    rmst_b: float
    rmst_difference: Estimate
    horizon: float
    missing: tuple[int, int]

    @property
    def testable(self) -> bool:
        """Whether both arms had enough remissions for the test and the RMST difference."""
        return self.logrank is not None


@dataclass(frozen=True)
class Comparison:
    """Everything the report shows, computed from one batch."""

    arms: ArmPair
    shares: dict[str, ShareRow]
    numbers: dict[str, NumberRow]
    survival: SurvivalComparison
    crs_distribution: tuple[list[int], list[int]]
    persistence_censored: tuple[int, int]
    kinetics: tuple[pd.DataFrame, pd.DataFrame]
    runs: tuple[int, int]
    warnings: list[str] = field(default_factory=list)
    lymphoma: bool = False

    @property
    def words(self) -> Vocabulary:
        """The disease words of this comparison (a lymphoma's, or a leukaemia's)."""
        return vocabulary(self.lymphoma)

    @property
    def names(self) -> tuple[str, str]:
        """The arm names, A then B."""
        return self.arms.a.name, self.arms.b.name


def _observed(column: pd.Series) -> list[bool | None]:
    return [None if v is None else bool(v) for v in column]


def _population(key: str, outcomes: pd.DataFrame) -> pd.Series:
    """The outcome column over the runs of its population (others dropped)."""
    column = outcomes[key]
    if key in ("relapse", "relapse_cd19_negative"):
        parent = "remission_day28" if key == "relapse" else "relapse"
        return column[outcomes[parent].map(lambda v: v is True)]
    if key in ("non_response",):
        return column[outcomes["infused"].map(bool) & outcomes["remission_day28"].notna()]
    if key in ("crs_any", "crs_severe", "gvhd", "rejection"):
        return column[outcomes["infused"].map(bool)]
    return column


def share_row(key: str, label: str, population: str, pairs: ArmPair, paired: bool) -> ShareRow:
    """One yes/no outcome compared between the arms."""
    col_a = _population(key, pairs.a.outcomes)
    col_b = _population(key, pairs.b.outcomes)
    values_a, values_b = _observed(col_a), _observed(col_b)
    successes = (sum(v is True for v in values_a), sum(v is True for v in values_b))
    trials = (sum(v is not None for v in values_a), sum(v is not None for v in values_b))
    missing = (len(values_a) - trials[0], len(values_b) - trials[1])
    table = None
    if paired and pairs.paired:
        common = sorted(set(col_a.index) & set(col_b.index))
        table = PairedTable.from_outcomes(_observed(col_a[common]), _observed(col_b[common]))
        difference = paired_newcombe_difference(table)
        test, p_value = "McNemar exact", mcnemar_exact_test(table.only_a, table.only_b)
        if table.pairs == 0:
            p_value = math.nan
    else:
        difference = newcombe_difference(successes[0], trials[0], successes[1], trials[1])
        test = "Fisher exact"
        p_value = fisher_exact_test(successes[0], trials[0], successes[1], trials[1])
    return ShareRow(
        key=key,
        label=label,
        population=population,
        successes=successes,
        trials=trials,
        missing=missing,
        interval_a=wilson_interval(successes[0], trials[0]),
        interval_b=wilson_interval(successes[1], trials[1]),
        difference=difference,
        test=test,
        p_value=p_value,
        table=table,
    )


def number_row(key: str, label: str, unit: str, pairs: ArmPair) -> NumberRow:
    """One per-run number compared between the arms."""
    col_a, col_b = pairs.a.outcomes[key], pairs.b.outcomes[key]
    spread_a, spread_b = spread(list(col_a)), spread(list(col_b))
    if pairs.paired:
        common = [
            k for k in pairs.common_replicates if col_a[k] is not None and col_b[k] is not None
        ]
        differences = [float(col_a[k]) - float(col_b[k]) for k in common]
        difference = median_with_interval(differences) if differences else NAN_ESTIMATE
        return NumberRow(
            key, label, unit, spread_a, spread_b, difference,
            "Wilcoxon signed-rank", wilcoxon_signed_rank_p(differences),
        )  # fmt: skip
    kept_a = [float(v) for v in col_a if v is not None]
    kept_b = [float(v) for v in col_b if v is not None]
    p_value = math.nan
    if kept_a and kept_b:
        from scipy.stats import mannwhitneyu

        p_value = float(mannwhitneyu(kept_a, kept_b, alternative="two-sided").pvalue)
    difference = Estimate(spread_a.median - spread_b.median, math.nan, math.nan)
    return NumberRow(key, label, unit, spread_a, spread_b, difference, "Mann-Whitney", p_value)


def survival_comparison(pairs: ArmPair) -> SurvivalComparison:
    """Kaplan-Meier curves, log-rank test, hazard ratio and RMST difference of
    relapse-free survival after remission."""
    data = []
    for arm in (pairs.a, pairs.b):
        rows = arm.outcomes[arm.outcomes["remission_day28"].map(lambda v: v is True)]
        kept = rows[rows["rfs_days"].notna()]
        data.append(
            (
                kept["rfs_days"].astype(float).to_numpy(),
                kept["rfs_event"].astype(bool).to_numpy(),
                len(rows) - len(kept),
            )
        )
    (ta, ea, ma), (tb, eb, mb) = data
    curve_a = kaplan_meier(ta, ea) if ta.size else None
    curve_b = kaplan_meier(tb, eb) if tb.size else None
    if min(ta.size, tb.size) < MIN_SURVIVAL_SUBJECTS:
        rmst_a = restricted_mean(ta, ea, float(ta.max())).value if ta.size else math.nan
        rmst_b = restricted_mean(tb, eb, float(tb.max())).value if tb.size else math.nan
        return SurvivalComparison(
            curve_a, curve_b, None, rmst_a, rmst_b, NAN_ESTIMATE, math.nan, (ma, mb)
        )
    difference, horizon = restricted_mean_difference(ta, ea, tb, eb)
    return SurvivalComparison(
        curve_a=curve_a,
        curve_b=curve_b,
        logrank=logrank_test(ta, ea, tb, eb),
        rmst_a=restricted_mean(ta, ea, horizon).value,
        rmst_b=restricted_mean(tb, eb, horizon).value,
        rmst_difference=difference,
        horizon=horizon,
        missing=(ma, mb),
    )


def _kinetics(car_t_by_day: pd.DataFrame, infused: int) -> pd.DataFrame:
    """Daily quartiles of CAR T-cells after infusion, on the days at least half of the
    infused runs reached."""
    if car_t_by_day.empty:
        return pd.DataFrame({"day": [], "q25": [], "median": [], "q75": [], "runs": []})
    table = daily_quantiles(car_t_by_day, "car_t", run="run", day="day")
    return table[table["runs"] >= max(1, math.ceil(infused / 2))].reset_index(drop=True)


def _lymphoma(pairs: ArmPair) -> bool:
    """Both arms are lymphoma runs (their summaries carry lymphoma's readout)."""
    return all(
        "lymphoma" in arm.outcomes.columns and bool(arm.outcomes["lymphoma"].map(bool).all())
        for arm in (pairs.a, pairs.b)
    )


def compare_arms(pairs: ArmPair) -> Comparison:
    """Every number of the report."""
    shares = {}
    words = LYMPHOMA_LABELS if _lymphoma(pairs) else {}
    for key, label, population, paired in SHARE_ROWS:
        if key == "best_response" and not (pairs.best_response_recorded or words):
            continue
        who = LYMPHOMA_POPULATIONS.get(population, population) if words else population
        shares[key] = share_row(key, words.get(key, label), who, pairs, paired)
    numbers = {
        key: number_row(key, words.get(key, label), unit, pairs) for key, label, unit in NUMBER_ROWS
    }
    crs = tuple(
        [
            int(sum(g == grade for g in arm.outcomes["crs_grade"] if g is not None))
            for grade in CRS_GRADES
        ]
        for arm in (pairs.a, pairs.b)
    )
    censored = tuple(
        int(sum(v is True for v in arm.outcomes["persistence_censored"]))
        for arm in (pairs.a, pairs.b)
    )
    kinetics = tuple(
        _kinetics(arm.car_t_by_day, int(arm.outcomes["infused"].map(bool).sum()))
        for arm in (pairs.a, pairs.b)
    )
    comparison = Comparison(
        arms=pairs,
        shares=shares,
        numbers=numbers,
        survival=survival_comparison(pairs),
        crs_distribution=(crs[0], crs[1]),
        persistence_censored=(censored[0], censored[1]),
        kinetics=(kinetics[0], kinetics[1]),
        runs=(len(pairs.a.outcomes), len(pairs.b.outcomes)),
        lymphoma=bool(words),
    )
    comparison.warnings.extend(_warnings(comparison))
    return comparison


def runs_for_narrow_interval(width: float = WIDE_INTERVAL, confidence: float = 0.95) -> int:
    """The fewest runs for which a share's Wilson interval is narrower than ``width`` at
    any share (the widest is at 50 %)."""
    n = 1
    while True:
        low, high = wilson_interval(n // 2, n, confidence)
        if high - low < width:
            return n
        n += 1


def _warnings(comparison: Comparison) -> list[str]:
    warnings = []
    pairs = comparison.arms
    if not pairs.complete:
        warnings.append(
            "The batch is not complete: this report covers only the runs finished so far."
        )
    needed = runs_for_narrow_interval()
    fewest = min(comparison.runs)
    if fewest < needed:
        low, high = wilson_interval(fewest // 2, fewest)
        warnings.append(
            f"Few replicates: with {fewest} runs per arm a share's 95% interval can be "
            f"{100 * (high - low):.0f} points wide (at a share of 50%); intervals narrower "
            f"than 20 points need at least {needed} runs per arm. Rows marked † have an "
            "interval wider than 20 points."
        )
    if not (pairs.best_response_recorded or comparison.lymphoma):
        warnings.append(
            f"Best response is not recorded by this batch (no `{BEST_RESPONSE_FIELD}` "
            "field): the response is reported at day 28 only."
        )
    return warnings


def as_float(value: object) -> float:
    """A number for formatting: nan for None."""
    return math.nan if value is None else float(value)  # type: ignore[arg-type]

"""The shared statistics of study.analysis against values worked out by hand on small
made-up tables (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2

from study.analysis.effects import (
    median_with_interval,
    newcombe_difference,
    paired_newcombe_difference,
)
from study.analysis.kinetics import spread
from study.analysis.proportions import wilson_interval
from study.analysis.share_tests import PairedTable, fisher_exact_test, mcnemar_exact_test
from study.analysis.survival import (
    kaplan_meier,
    logrank_test,
    restricted_mean,
    restricted_mean_difference,
)

Z = 1.959963984540054


def test_wilson_interval_matches_the_formula_by_hand() -> None:
    # 8/10: centre (0.8 + z²/20) / (1 + z²/10), half-width
    # z * sqrt(0.8 * 0.2 / 10 + z² / 400) / (1 + z²/10)  ->  0.4902 to 0.9433
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.49016, abs=1e-5)
    assert high == pytest.approx(0.94332, abs=1e-5)
    # 0/8: the interval starts at 0 and ends at z²/(8 + z²) = 0.3244
    low, high = wilson_interval(0, 8)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(Z**2 / (8 + Z**2), abs=1e-9)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_fisher_exact_test_by_hand() -> None:
    # [[3, 1], [1, 3]]: with margins 4/4/4/4 the top-left cell is hypergeometric with
    # P(0..4) = 1, 16, 36, 16, 1 (/70); two-sided p = P(<= P(3)) = (1+16+16+1)/70.
    assert fisher_exact_test(3, 4, 1, 4) == pytest.approx(34 / 70)
    # 4/4 against 0/4: only the two extreme tables are as extreme: 2/70.
    assert fisher_exact_test(4, 4, 0, 4) == pytest.approx(2 / 70)
    assert math.isnan(fisher_exact_test(1, 2, 0, 0))


def test_mcnemar_exact_test_by_hand() -> None:
    # 1 pair favours A, 6 favour B: 2 * P(X <= 1), X ~ Bin(7, 1/2) = 2 * (1 + 7) / 128.
    assert mcnemar_exact_test(1, 6) == pytest.approx(16 / 128)
    assert mcnemar_exact_test(6, 1) == pytest.approx(16 / 128)
    # 0 of 5 discordant pairs for A: 2 * (1/2)^5.
    assert mcnemar_exact_test(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_exact_test(0, 0) == 1.0


def test_paired_table_counts_pairs_and_leaves_out_unobserved() -> None:
    a = [True, True, False, False, None, True]
    b = [True, False, True, False, True, None]
    table = PairedTable.from_outcomes(a, b)
    assert (table.both, table.only_a, table.only_b, table.neither) == (1, 1, 1, 1)
    assert table.incomplete == 2
    assert table.pairs == 4
    assert (table.successes_a, table.successes_b) == (2, 2)


def test_newcombe_difference_of_independent_shares() -> None:
    # Newcombe (1998), method 10: 56/70 - 48/80 = 0.2, interval 0.0524 to 0.3339.
    estimate = newcombe_difference(56, 70, 48, 80)
    assert estimate.value == pytest.approx(0.2)
    assert (estimate.low, estimate.high) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    # Built from the Wilson intervals: low = d - sqrt((p1 - l1)² + (u2 - p2)²).
    l1, _ = wilson_interval(56, 70)
    _, u2 = wilson_interval(48, 80)
    assert estimate.low == pytest.approx(0.2 - math.hypot(0.8 - l1, u2 - 0.6))


def test_paired_newcombe_difference_by_hand() -> None:
    # a=36 both, b=12 A only, c=2 B only, d=0: p_A = 48/50 = 0.96, p_B = 38/50 = 0.76.
    # Wilson: 48/50 -> (0.8654, 0.9890); 38/50 -> (0.6259, 0.8570).
    # phi = (0*36 - 12*2) / sqrt(48 * 2 * 38 * 12) = -0.11471.
    # low  = 0.2 - sqrt(0.0946² - 2 phi 0.0946 * 0.0970 + 0.0970²) = 0.0569
    # high = 0.2 + sqrt(0.1341² - 2 phi 0.1341 * 0.0290 + 0.0290²) = 0.3404
    estimate = paired_newcombe_difference(PairedTable(36, 12, 2, 0))
    assert estimate.value == pytest.approx(0.2)
    assert (estimate.low, estimate.high) == pytest.approx((0.0569, 0.3404), abs=2e-4)
    # Equal margins: no difference, and an interval symmetric around it.
    same = paired_newcombe_difference(PairedTable(3, 1, 1, 5))
    assert same.value == 0 and same.low == pytest.approx(-same.high) and same.high > 0


def test_kaplan_meier_with_censoring_by_hand() -> None:
    # times 2 3 3+ 5 8 8+ 9+ (+ = censored; at a tie the event comes first):
    # t=2: 7 at risk, 1 event -> 6/7;  t=3: 6 at risk, 1 event -> 6/7 * 5/6 = 5/7;
    # t=5: 4 at risk -> 5/7 * 3/4 = 15/28;  t=8: 3 at risk -> 15/28 * 2/3 = 5/14.
    curve = kaplan_meier([2, 3, 3, 5, 8, 8, 9], [1, 1, 0, 1, 0, 1, 0])
    assert list(curve.times) == [0, 2, 3, 5, 8, 9]
    assert curve.survival == pytest.approx([1, 6 / 7, 5 / 7, 15 / 28, 5 / 14, 5 / 14])
    assert (curve.subjects, curve.events) == (7, 4)
    assert list(curve.censored_times) == [3, 8, 9]
    assert curve.median.value == 8  # first time at or below one half
    assert curve.at(4.0) == pytest.approx(5 / 7)
    # Log-log band at t=2: var(log S) = 1/(7*6); se = sqrt(1/42) / |log(6/7)|;
    # the band is S ** exp(-+ z * se).
    s = 6 / 7
    se = math.sqrt(1 / 42) / abs(math.log(s))
    assert curve.low[1] == pytest.approx(s ** math.exp(Z * se), rel=1e-6)
    assert curve.high[1] == pytest.approx(s ** math.exp(-Z * se), rel=1e-6)
    assert np.all(curve.low <= curve.survival) and np.all(curve.survival <= curve.high)


def test_kaplan_meier_median_not_reached_is_nan() -> None:
    curve = kaplan_meier([5, 6, 7, 8], [1, 0, 0, 0])  # 3/4 stays above one half
    assert math.isnan(curve.median.value)


def test_logrank_and_hazard_ratio_by_hand() -> None:
    # A: 1, 3, 4+   B: 2, 5, 6+
    # t=1: at risk 3+3, 1 event in A: E_A = 3/6, V = 1 * 3/6 * 3/6 * 5/5 = 0.25
    # t=2: at risk 2+3, 1 event in B: E_A = 2/5, V = 2/5 * 3/5 = 0.24
    # t=3: at risk 2+2, 1 event in A: E_A = 2/4, V = 0.25
    # t=5: at risk 0+2: E_A = 0, V = 0.  O_A = 2, E_A = 1.4, V = 0.74
    result = logrank_test([1, 3, 4], [1, 1, 0], [2, 5, 6], [1, 1, 0])
    assert result.observed_a == 2
    assert result.expected_a == pytest.approx(1.4)
    assert result.variance == pytest.approx(0.74)
    assert result.p_value == pytest.approx(chi2.sf(0.6**2 / 0.74, 1))
    # Peto: HR = exp((O - E) / V) = exp(0.6 / 0.74)
    assert result.hazard_ratio.value == pytest.approx(math.exp(0.6 / 0.74))
    half = Z / math.sqrt(0.74)
    assert result.hazard_ratio.low == pytest.approx(math.exp(0.6 / 0.74 - half))


def test_restricted_mean_by_hand() -> None:
    # A: 1, 3, 4+: S = 1 on [0,1), 2/3 on [1,3), 1/3 on [3,4): area to 4 = 1 + 4/3 + 1/3.
    # Variance: t=1: A_1 = 5/3, (5/3)² * 1/(3*2); t=3: A_2 = 1/3, (1/3)² * 1/(2*1).
    rmst = restricted_mean([1, 3, 4], [1, 1, 0], 4.0)
    assert rmst.value == pytest.approx(8 / 3)
    assert rmst.variance == pytest.approx(25 / 54 + 1 / 18)
    # B: 2, 5, 6+ to horizon 4: S = 1 on [0,2), 2/3 on [2,4): area 2 + 4/3.
    difference, horizon = restricted_mean_difference([1, 3, 4], [1, 1, 0], [2, 5, 6], [1, 1, 0])
    assert horizon == 4.0
    assert difference.value == pytest.approx(8 / 3 - 10 / 3)
    assert difference.low < difference.value < difference.high


def test_median_interval_and_spread() -> None:
    # n=6 at 95%: P(Bin(6, 1/2) <= 0) = 1/64 <= 0.025 < P(<= 1) = 7/64: k = 1, the range.
    estimate = median_with_interval([6, 1, 5, 2, 4, 3])
    assert (estimate.value, estimate.low, estimate.high) == (3.5, 1, 6)
    assert math.isnan(median_with_interval([1, 2, 3]).low)  # too few for 95%
    summary = spread([1, None, 3, float("nan"), 5, 7])
    assert (summary.median, summary.q25, summary.q75) == (4, 2.5, 5.5)
    assert (summary.observed, summary.missing) == (4, 2)

"""Effect sizes with confidence intervals: differences in shares (Newcombe's hybrid score
intervals, for independent and for paired groups), and the median of paired differences
with its distribution-free interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from study.analysis.proportions import wilson_interval
from study.analysis.share_tests import PairedTable


@dataclass(frozen=True)
class Estimate:
    """A number with its confidence interval (nan where it cannot be computed)."""

    value: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        """Whether the whole interval lies on one side of zero (a clear difference)."""
        return bool(self.low > 0 or self.high < 0)

    @property
    def excludes_one(self) -> bool:
        """Whether the whole interval lies on one side of one (for ratios)."""
        return bool(self.low > 1 or self.high < 1)


NAN_ESTIMATE = Estimate(math.nan, math.nan, math.nan)


def newcombe_difference(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, confidence: float = 0.95
) -> Estimate:
    """``p_a - p_b`` of two independent shares with Newcombe's hybrid score interval
    (Newcombe 1998, method 10), built from the two Wilson intervals."""
    if trials_a == 0 or trials_b == 0:
        return NAN_ESTIMATE
    p_a, p_b = successes_a / trials_a, successes_b / trials_b
    low_a, high_a = wilson_interval(successes_a, trials_a, confidence)
    low_b, high_b = wilson_interval(successes_b, trials_b, confidence)
    difference = p_a - p_b
    low = difference - math.hypot(p_a - low_a, high_b - p_b)
    high = difference + math.hypot(high_a - p_a, p_b - low_b)
    return Estimate(difference, max(-1.0, low), min(1.0, high))


def paired_newcombe_difference(table: PairedTable, confidence: float = 0.95) -> Estimate:
    """``p_a - p_b`` of paired shares with Newcombe's interval for paired data
    (Newcombe 1998, method 10): the Wilson intervals of the two margins, combined with
    the phi correlation of the pairs."""
    n = table.pairs
    if n == 0:
        return NAN_ESTIMATE
    a, b, c, d = table.both, table.only_a, table.only_b, table.neither
    p_a, p_b = (a + b) / n, (a + c) / n
    low_a, high_a = wilson_interval(a + b, n, confidence)
    low_b, high_b = wilson_interval(a + c, n, confidence)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / math.sqrt(margins) if margins > 0 else 0.0
    difference = p_a - p_b
    lower_gap = (p_a - low_a) ** 2 - 2 * phi * (p_a - low_a) * (high_b - p_b) + (high_b - p_b) ** 2
    upper_gap = (p_b - low_b) ** 2 - 2 * phi * (p_b - low_b) * (high_a - p_a) + (high_a - p_a) ** 2
    low = difference - math.sqrt(max(0.0, lower_gap))
    high = difference + math.sqrt(max(0.0, upper_gap))
    return Estimate(difference, max(-1.0, low), min(1.0, high))


def median_with_interval(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """The median of ``values`` with the distribution-free (sign-test) interval: the
    order statistics ``x_(k)`` and ``x_(n-k+1)``, k the largest with
    ``P(Binomial(n, 1/2) <= k - 1) <= (1 - confidence) / 2``. The ends are nan when n is
    too small for that confidence (fewer than 6 values at 95%)."""
    ordered = sorted(float(v) for v in values)
    n = len(ordered)
    if n == 0:
        return NAN_ESTIMATE
    from scipy.stats import binom

    median = float(sorted_median(ordered))
    tail = (1.0 - confidence) / 2.0
    k = 0
    while k + 1 <= n // 2 and binom.cdf(k, n, 0.5) <= tail:
        k += 1
    if k == 0:
        return Estimate(median, math.nan, math.nan)
    return Estimate(median, ordered[k - 1], ordered[n - k])


def sorted_median(ordered: Sequence[float]) -> float:
    """The median of values already in ascending order."""
    n = len(ordered)
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


def wilcoxon_signed_rank_p(differences: Sequence[float]) -> float:
    """Two-sided p-value of Wilcoxon's signed-rank test of paired differences (zeros
    dropped); 1 when every difference is zero, nan without differences."""
    nonzero = [float(d) for d in differences if d != 0]
    if not differences:
        return math.nan
    if not nonzero:
        return 1.0
    from scipy.stats import wilcoxon

    return float(wilcoxon(nonzero, alternative="two-sided").pvalue)

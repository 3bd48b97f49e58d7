"""Tests of shares: Fisher's exact test (two independent groups) and McNemar's exact test
(paired yes/no outcomes, such as replicate k of two arms run on the same seed)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PairedTable:
    """Paired yes/no outcomes of arms A and B, counted over complete pairs.

    Attributes:
        both: pairs with the outcome in both arms.
        only_a: pairs with the outcome in arm A only (discordant).
        only_b: pairs with the outcome in arm B only (discordant).
        neither: pairs with the outcome in neither arm.
        incomplete: pairs left out because one or both outcomes were not observed (None).
    """

    both: int
    only_a: int
    only_b: int
    neither: int
    incomplete: int = 0

    @property
    def pairs(self) -> int:
        """Complete pairs counted in the table."""
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def successes_a(self) -> int:
        """Pairs with the outcome in arm A."""
        return self.both + self.only_a

    @property
    def successes_b(self) -> int:
        """Pairs with the outcome in arm B."""
        return self.both + self.only_b

    @classmethod
    def from_outcomes(
        cls, outcomes_a: Sequence[bool | None], outcomes_b: Sequence[bool | None]
    ) -> PairedTable:
        """Count pairs ``(outcomes_a[k], outcomes_b[k])``; a pair with a None is left out."""
        if len(outcomes_a) != len(outcomes_b):
            raise ValueError("paired outcomes need the same number of entries in both arms")
        both = only_a = only_b = neither = incomplete = 0
        for a, b in zip(outcomes_a, outcomes_b, strict=True):
            if a is None or b is None:
                incomplete += 1
            elif a and b:
                both += 1
            elif a:
                only_a += 1
            elif b:
                only_b += 1
            else:
                neither += 1
        return cls(both, only_a, only_b, neither, incomplete)


def fisher_exact_test(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float:
    """Two-sided p-value of Fisher's exact test of ``successes_a/trials_a`` against
    ``successes_b/trials_b`` (independent groups); nan if a group has no trials."""
    if trials_a == 0 or trials_b == 0:
        return math.nan
    from scipy.stats import fisher_exact

    table = [[successes_a, trials_a - successes_a], [successes_b, trials_b - successes_b]]
    return float(fisher_exact(table, alternative="two-sided").pvalue)


def mcnemar_exact_test(only_a: int, only_b: int) -> float:
    """Two-sided p-value of McNemar's exact test from the two discordant counts.

    Under the null hypothesis a discordant pair is equally likely to favour either arm,
    so ``only_a`` is Binomial(only_a + only_b, 1/2). Without discordant pairs the arms
    agree on every pair and the p-value is 1.
    """
    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(only_a, discordant, 0.5, alternative="two-sided").pvalue)

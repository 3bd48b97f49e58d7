"""Statistics shared by the batch table, the comparison report and validation.

Each function takes plain numbers or arrays (no model, no files), so it can be checked
against values worked out by hand. One module per concept: ``proportions`` (Wilson
interval), ``share_tests`` (Fisher, McNemar), ``effects`` (differences with intervals),
``survival`` (Kaplan-Meier, log-rank, RMST), ``kinetics`` (medians over runs). The
comparison report's own modules (``arms``, ``comparison``, ``tables``, ``narrative``)
build on them and are imported from their modules, not from here.
"""

from sim.analysis.effects import (
    Estimate,
    median_with_interval,
    newcombe_difference,
    paired_newcombe_difference,
)
from sim.analysis.kinetics import daily_quantiles, spread
from sim.analysis.proportions import wilson_interval
from sim.analysis.share_tests import PairedTable, fisher_exact_test, mcnemar_exact_test
from sim.analysis.survival import (
    kaplan_meier,
    logrank_test,
    restricted_mean,
    restricted_mean_difference,
)

__all__ = [
    "Estimate",
    "PairedTable",
    "daily_quantiles",
    "fisher_exact_test",
    "kaplan_meier",
    "logrank_test",
    "mcnemar_exact_test",
    "median_with_interval",
    "newcombe_difference",
    "paired_newcombe_difference",
    "restricted_mean",
    "restricted_mean_difference",
    "spread",
    "wilson_interval",
]

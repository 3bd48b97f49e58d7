"""Statistics shared by the batch table, the comparison report and validation.

Each function takes plain numbers or arrays (no model, no files), so it can be checked
against values worked out by hand. One module per concept: ``proportions`` (Wilson
interval), ``share_tests`` (Fisher, McNemar), ``effects`` (differences with intervals),
``survival`` (Kaplan-Meier, log-rank, RMST), ``kinetics`` (medians over runs). The
comparison report's own modules (``arms``, ``comparison``, ``comparison_table``, ``narrative``)
build on them and are imported from their modules, not from here.
"""

from study.analysis.effects import (
    Estimate,
    median_with_interval,
    newcombe_difference,
    paired_newcombe_difference,
)
from study.analysis.kinetics import daily_quantiles, spread
from study.analysis.proportions import wilson_interval
from study.analysis.share_tests import PairedTable, fisher_exact_test, mcnemar_exact_test
from study.analysis.survival import (
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

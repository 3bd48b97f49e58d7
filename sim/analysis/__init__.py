"""Statistics shared by the batch table, the comparison report and validation.

Each function takes plain numbers or arrays (no model, no files), so it can be checked
against values worked out by hand.
"""

from sim.analysis.proportions import wilson_interval

__all__ = ["wilson_interval"]

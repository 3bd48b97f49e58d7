"""Validation against the clinic: the clinical targets T1-T15 as data, and their loader."""

from study.validation.targets import MEASURE_KINDS, TARGETS_FILE, Target, load_targets

__all__ = ["MEASURE_KINDS", "TARGETS_FILE", "Target", "load_targets"]

"""The live view's playback speeds (no pygame: the command line checks ``--speed``)."""

from __future__ import annotations

SPEEDS_HOURS_PER_SECOND = (3, 6, 12, 24, 48, 96, 192, 384)
"""The playback speeds, simulated hours per real second (- and + step through them)."""
DEFAULT_SPEED_INDEX = 3


def nearest_speed(hours_per_second: int) -> int:
    """The speed step nearest to ``hours_per_second``."""
    return min(SPEEDS_HOURS_PER_SECOND, key=lambda step: abs(step - hours_per_second))

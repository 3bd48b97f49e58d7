"""The blast's birth as a numba kernel, for the compiled engine: placing blasts and
booking their division and death, as :class:`agents.leukaemic_blast.LeukaemicBlast`
does when it is made (:meth:`agents.cell.ResidentCell.schedule`,
:func:`agents.cell.steps_until`), without making their agents
(:mod:`sim.unmade_residents`).

Change these with the rules they mirror: ``tests/test_unmade_residents.py`` holds them to
the same draws and bookings, and ``tests/test_engines.py`` to the same runs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from agents.python_random import random_float

NEVER_BOOKED = -1
"""A due step for an event whose chance per step is 0 (``steps_until`` gives None)."""


@njit(cache=True)
def steps_until(probability_per_step: float, uniform: float) -> int:
    """:func:`agents.cell.steps_until` (``NEVER_BOOKED`` for None): steps until an event
    with a fixed chance per step first happens, from a draw in [0, 1)."""
    if probability_per_step <= 0.0:
        return NEVER_BOOKED
    if probability_per_step >= 1.0:
        return 1
    return 1 + int(math.log1p(-uniform) / math.log1p(-probability_per_step))


@njit(cache=True)
def place_blasts(
    sites: np.ndarray,
    kind: int,
    step: int,
    division: float,
    death: float,
    first_serial: int,
    n_sites: int,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    born_step: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A blast of ``kind`` on each of ``sites`` (empty), in order: written into the
    resident layer with its serial (``first_serial``, then one more each) and birth
    step; then, as ``LeukaemicBlast.__init__`` books them, its division (chance
    ``division`` per step) and its death (``death``), each from one draw of Python's
    generator (the mirrored state ``mt``, ``cursor``, ``backup``).

    Returns the bookings in booking order: the due steps (``NEVER_BOOKED``: not booked)
    and the events, ``(serial * n_sites + site) * 2`` plus 0 for a division, 1 for a
    death (:data:`sim.unmade_residents.DIVIDE`).
    """
    count = sites.size
    due = np.empty(2 * count, dtype=np.int64)
    event = np.empty(2 * count, dtype=np.int64)
    for index in range(count):
        site = sites[index]
        serial = first_serial + index
        resident_kind[site] = kind
        resident_serial[site] = serial
        born_step[site] = step
        key = (serial * n_sites + site) * 2
        wait = steps_until(division, random_float(mt, cursor, backup))
        due[2 * index] = NEVER_BOOKED if wait == NEVER_BOOKED else step + wait
        event[2 * index] = key
        wait = steps_until(death, random_float(mt, cursor, backup))
        due[2 * index + 1] = NEVER_BOOKED if wait == NEVER_BOOKED else step + wait
        event[2 * index + 1] = key + 1
    return due, event

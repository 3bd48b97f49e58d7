"""The B-cell's maturation as a numba kernel, for the compiled engine:
:meth:`agents.healthy_b_cell.HealthyBCell.mature` for a B-cell without an agent
(:mod:`sim.unmade_residents`).

Change it with the rule it mirrors: ``tests/test_unmade_residents.py`` holds it to the
same draws and bookings, and ``tests/test_engines.py`` to the same runs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.leukaemic_blast_kernels import NEVER_BOOKED, steps_until
from agents.python_random import random_float

NOT_A_PRECURSOR = -2
"""What :func:`mature` returns for a cell already mature: nothing happens, no draw."""


@njit(cache=True)
def mature(
    site: int,
    step: int,
    death: float,
    precursor: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> int:
    """The booked maturation of the B-cell without an agent on ``site``: if it is a
    precursor (``precursor[site]``), a mature cell from now, its death booked from one
    draw of Python's generator (chance ``death`` per step). Returns the death's due step
    (``NEVER_BOOKED``: not booked), or :data:`NOT_A_PRECURSOR`."""
    if not precursor[site]:
        return NOT_A_PRECURSOR
    precursor[site] = False
    wait = steps_until(death, random_float(mt, cursor, backup))
    return NEVER_BOOKED if wait == NEVER_BOOKED else step + wait

"""The B-cell's rules as numba kernels, for the compiled engine: its maturation,
:meth:`agents.healthy_b_cell.HealthyBCell.mature` for a B-cell without an agent
(:mod:`sim.unmade_residents`), and the marrow's production of precursors,
:meth:`agents.healthy_b_cell.HealthyBCell.production_per_day` over a step
(:func:`b_cell_arrivals_mean`, for :mod:`sim.resident_births`).

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


PRODUCTION_NUMBERS = 5
""":func:`b_cell_arrivals_mean`'s ``production``: the B-cells' target count, the
stem-cell influx a day, the precursors' feedback gain, their maturation days and the
hours of a step."""


@njit(cache=True)
def b_cell_arrivals_mean(production: np.ndarray, precursors: int, b_cells: int) -> float:
    """The mean number of precursors the marrow makes in a step:
    :meth:`agents.healthy_b_cell.HealthyBCell.production_per_day` (its target and influx
    computed for the grid, in ``production``: see :data:`PRODUCTION_NUMBERS`) over a
    step, as :func:`agents.cell.arrivals_mean` takes it; the same operations in the same
    order, so the same number."""
    target, influx, feedback_gain = production[0], production[1], production[2]
    maturation_days, hours = production[3], production[4]
    if precursors == 0 or target <= 0:
        per_day = influx if target > 0 else 0.0
    else:
        missing_share = 1.0 - b_cells / target
        per_precursor = max(0.0, 1.0 + feedback_gain * missing_share)
        per_day = influx + precursors * per_precursor / maturation_days
    return per_day * hours / 24

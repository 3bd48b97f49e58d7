"""The CAR T-cell's rule as a numba kernel, for the compiled engine (:mod:`sim.compiled`).

The kernel follows :meth:`agents.car_t_cell.CarTCell.interact` up to its first change
to the model other than the cell's own ``engaged_hours``, making the same draws from the
same generator (:mod:`agents.python_random`). A *quiet* call (no kill, no bud, no change
of state) is settled here, its engaged hours changed in the table of T-cells (``engaged``,
by row, where the cell keeps them: :class:`agents.surroundings.TCellColumns`); any other
is taken back, engaged hours included, and run by the readable rule in Python. An
engaged effector's secretion (:meth:`CarTCell.signal`) in a quiet call is reported to
the caller (``secreted[0]``), which releases it into the field in the reference's order.
A change to ``CarTCell.interact``, ``bud``, ``senescent``, ``strike`` or to
:mod:`agents.microenvironment`'s suppression must be mirrored here;
``tests/test_engines.py`` fails until it is.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.python_random import random_float

EFFECTOR, MEMORY, EXHAUSTED = 0, 1, 2
"""The codes of ``state`` (by mobile kind) the kernel reads."""


@njit(cache=True)
def interact_is_quiet(
    row: int,
    site: int,
    state: int,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    resident_kind: np.ndarray,
    mobile_row: np.ndarray,
    is_cd19_positive: np.ndarray,
    is_tumour: np.ndarray,
    engaged: np.ndarray,
    generation: np.ndarray,
    rule: np.ndarray,
    secreted: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> bool:
    """:meth:`CarTCell.interact`: next to CD19-positive cells, the cell adds (their
    number / 8) x hours per step, times the microenvironment's exhaustion factor, to its
    engaged hours; an effector then secretes cytokine if its rule says so (the amount,
    ``cytokine_per_engaged_hour`` x its hours of full engagement, in ``secreted[0]``;
    0 when it secretes nothing) and draws against ``chances.car_t_kill`` (suppressed by
    the microenvironment; quiet if it misses), a memory cell with enough such neighbours
    is not quiet if senescent (``CarTCell.bud`` exhausts it, drawing nothing), else draws
    against ``chances.car_t_memory_budding`` (quiet if it misses or has no free
    neighbour) and is quiet unless its engaged hours reach the memory exhaustion limit.
    An exhausted cell is always quiet.

    The microenvironment (:mod:`agents.microenvironment`): ``suppression`` is hostility
    x (tumour neighbours / 8), the kill chance ``base x (1 - kill_suppression x
    suppression)``, the exhaustion factor ``1 + exhaustion_gain x suppression``; each
    left as its input when the suppression is 0, as the readable functions do.

    ``rule``: hours per step, ``chances.car_t_kill``, ``budding_min_cd19_neighbours``,
    ``chances.car_t_memory_budding``, ``memory_exhaustion_engaged_hours`` (inf: none),
    ``exhaustion_engaged_hours``, ``replicative_limit`` (inf: none), hostility,
    ``kill_suppression``, ``exhaustion_gain``, ``cytokine_per_engaged_hour`` (above 0,
    an engaged effector secretes, :meth:`CarTCell.signal`). ``generation`` (by row):
    the divisions along the cell's line. The caller takes back ``engaged[row]`` with
    the draws, and ignores ``secreted[0]``, when the call is not quiet.
    """
    secreted[0] = 0.0
    if state == EXHAUSTED:
        return True
    targets = 0
    tumour = 0
    for direction in range(8):
        if bounded and not on_grid[site, direction]:
            continue
        kind = resident_kind[neighbours[site, direction]]
        if is_cd19_positive[kind]:
            targets += 1
        if is_tumour[kind]:
            tumour += 1
    if targets == 0:
        return True
    level = rule[7]
    suppression = 0.0 if level == 0.0 else level * tumour / 8
    factor = 1.0 if suppression == 0.0 else 1.0 + rule[9] * suppression
    engaged_now = targets / 8 * rule[0]  # hours of full engagement this step
    engaged[row] += engaged_now * factor
    if state == EFFECTOR:
        if rule[10] > 0.0:  # CarTCell.signal
            secreted[0] = rule[10] * engaged_now
        kill = rule[1] if suppression == 0.0 else rule[1] * (1.0 - rule[8] * suppression)
        return random_float(mt, cursor, backup) >= kill and engaged[row] < rule[5]
    if targets >= rule[2]:
        if generation[row] >= rule[6]:
            return False  # senescent: CarTCell.bud exhausts it
        if random_float(mt, cursor, backup) < rule[3]:
            for direction in range(8):  # a bud needs a free neighbour
                if bounded and not on_grid[site, direction]:
                    continue
                if mobile_row[neighbours[site, direction]] < 0:
                    return False
    return engaged[row] < rule[4]

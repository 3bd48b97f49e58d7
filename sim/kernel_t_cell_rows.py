"""The compiled engine's kernel for the rows of the T-cell table that hold a living cell
(:meth:`sim.t_cell_table.TCellTable.live_rows`, the readable code, in numpy), which every
step starts from (:meth:`sim.model.CarTModel._step_t_cells`).

Only the compiled engine imports it (:mod:`sim.compiled_fates`; ``cache=True``, as
:mod:`sim.kernels`). ``tests/test_t_cell_agents.py`` holds it to the readable code.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def live_rows(table_kind: np.ndarray) -> np.ndarray:
    """:meth:`sim.t_cell_table.TCellTable.live_rows`: the rows whose ``kind`` is not 0
    (a living cell), in row order, in one pass (numpy's ``nonzero`` makes a mask first,
    then counts, then lists)."""
    rows = np.empty(table_kind.size, dtype=np.int64)
    count = 0
    for row in range(table_kind.size):
        if table_kind[row] != 0:
            rows[count] = row
            count += 1
    return rows[:count]

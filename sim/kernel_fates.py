"""The compiled engine's kernel for the T-cells' fates at a step's end (numba): which
divide in the homeostatic boost and which die (:meth:`sim.model.CarTModel.fates`, the
readable code, in numpy), the same draws from the model's ``rng``.

Only :mod:`sim.compiled` imports it (``cache=True``, as :mod:`sim.kernels`). Change it
with :meth:`~sim.model.CarTModel.fates`: ``tests/test_engines.py`` holds the two to the
same run, bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel_generator import HeldGenerator, generator_of


@njit(cache=True)
def fates(
    rows: np.ndarray,
    table_kind: np.ndarray,
    divides_homeostatically: np.ndarray,
    boost: bool,
    division_chance: float,
    death_chance: np.ndarray,
    source: np.random.Generator | HeldGenerator,
) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`sim.model.CarTModel.fates` for the T-cells of table ``rows``: with
    ``boost`` (the homeostatic boost is on), one uniform draw per cell whose kind
    divides homeostatically (``divides_homeostatically``, by kind), below
    ``division_chance`` it divides; then one draw per cell (every row, dead ones
    included, as the reference draws), below its kind's ``death_chance`` it dies.
    ``source``: the model's generator, or it held (:mod:`sim.kernel_generator`).
    Returns the rows that divide and the rows that die, in row order."""
    rng = generator_of(source)
    n = rows.size
    kinds = np.empty(n, dtype=np.int64)
    candidates = 0
    for i in range(n):
        kinds[i] = table_kind[rows[i]]
        if divides_homeostatically[kinds[i]]:
            candidates += 1
    dividing = np.empty(candidates if boost else 0, dtype=np.int64)
    divided = 0
    if boost:
        draws = rng.random(candidates)
        drawn = 0
        for i in range(n):
            if divides_homeostatically[kinds[i]]:
                if draws[drawn] < division_chance:
                    dividing[divided] = rows[i]
                    divided += 1
                drawn += 1
    draws = rng.random(n)
    dying = np.empty(n, dtype=np.int64)
    died = 0
    for i in range(n):
        if draws[i] < death_chance[kinds[i]]:
            dying[died] = rows[i]
            died += 1
    return dividing[:divided], dying[:died]

"""numpy's ``Generator.shuffle`` and ``permutation`` in numba, for the compiled engine's
kernels (:mod:`sim.kernels`): the same numbers and the same generator state as numpy.

numba's own ``permutation`` and ``shuffle`` give numpy's numbers too, but make an array
view per swap and are about six times slower on the few hundred T-cells a step orders;
``tests/test_engines.py`` checks these against numpy.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.np.random.random_methods import random_interval


@njit(cache=True)
def shuffle_in_place(values: np.ndarray, rng: np.random.Generator) -> None:
    """``rng.shuffle(values)`` for a 1-D array: numpy's Fisher-Yates from the end, one
    ``random_interval`` draw per position, so the same order and the same generator
    state as numpy (and numba's own ``shuffle``, which makes a view per swap and is
    several times slower); ``tests/test_engines.py`` checks it against numpy."""
    bit_generator = rng.bit_generator
    for i in range(values.size - 1, 0, -1):
        j = np.int64(random_interval(bit_generator, np.uint64(i)))
        if j != i:
            values[i], values[j] = values[j], values[i]


@njit(cache=True)
def permutation(count: int, rng: np.random.Generator) -> np.ndarray:
    """``rng.permutation(count)``: the same numbers, the same generator state."""
    values = np.arange(count)
    shuffle_in_place(values, rng)
    return values

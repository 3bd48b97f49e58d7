"""numpy's ``Generator.shuffle``, ``permutation`` and ``choice`` (without replacement) in
numba, for the compiled engine's kernels (:mod:`sim.kernels`, :mod:`sim.resident_rows`):
the same numbers and the same generator state as numpy.

numba's own ``permutation`` and ``shuffle`` give numpy's numbers too, but make an array
view per swap and are about six times slower on the few hundred T-cells a step orders;
numba has no ``choice``. ``tests/test_engine_pieces.py`` and ``tests/test_engines.py``
check these against numpy.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.np.random.generator_core import next_uint32
from numba.np.random.random_methods import (
    bounded_lemire_uint64,
    buffered_bounded_lemire_uint32,
    gen_mask,
    random_interval,
)

TAIL_SHUFFLE_ABOVE = 10_000
"""numpy's ``choice`` shuffles the tail of the whole population above this size (when
the sample is more than a 50th of it), else runs Floyd's algorithm."""


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


@njit(cache=True)
def _bounded(bit_generator: object, high: int) -> int:
    """numpy's ``random_bounded_uint64(bitgen, 0, high, 0, use_masked=false)``: a whole
    number from 0 to ``high`` (included), Lemire's rejection, 32 bits when they do."""
    if high == 0:
        return 0
    if high < 0xFFFFFFFF:
        return np.int64(buffered_bounded_lemire_uint32(bit_generator, np.uint64(high)))
    if high == 0xFFFFFFFF:
        return np.int64(next_uint32(bit_generator))
    return np.int64(bounded_lemire_uint64(bit_generator, np.uint64(high)))


@njit(cache=True)
def _shuffle_int(bit_generator: object, n: int, first: int, values: np.ndarray) -> None:
    """numpy's ``_shuffle_int``: positions ``n - 1`` down to ``first`` swapped with a
    random earlier one (:func:`_bounded`)."""
    for i in range(n - 1, first - 1, -1):
        j = _bounded(bit_generator, i)
        values[i], values[j] = values[j], values[i]


@njit(cache=True)
def choice(population: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``rng.choice(population, size=size, replace=False)`` (``shuffle=True``): the same
    numbers, the same generator state (``rng.choice(array, ...)`` is ``array`` taken at
    these). numpy's two ways, as it picks them: above :data:`TAIL_SHUFFLE_ABOVE` with a
    sample of more than a 50th, the tail of a shuffle of the whole population; else
    Floyd's algorithm over a hash set of ``2**k > 1.2 x size`` slots, then a shuffle."""
    bit_generator = rng.bit_generator
    if population > TAIL_SHUFFLE_ABOVE and size > population // 50:
        values = np.arange(population)
        _shuffle_int(bit_generator, population, max(population - size, 1), values)
        return values[population - size :].copy()
    chosen = np.empty(size, dtype=np.int64)
    mask = np.int64(gen_mask(np.uint64(1.2 * size)))
    hash_set = np.full(mask + 1, -1, dtype=np.int64)  # numpy's empty mark is 2**64 - 1
    for j in range(population - size, population):
        value = _bounded(bit_generator, j)
        slot = value & mask
        while hash_set[slot] != -1 and hash_set[slot] != value:
            slot = (slot + 1) & mask
        if hash_set[slot] == -1:  # not drawn before
            hash_set[slot] = value
            chosen[j - population + size] = value
        else:  # drawn before: j itself instead
            slot = j & mask
            while hash_set[slot] != -1:
                slot = (slot + 1) & mask
            hash_set[slot] = j
            chosen[j - population + size] = j
    _shuffle_int(bit_generator, size, 1, chosen)
    return chosen

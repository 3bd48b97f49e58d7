"""The compiled engine's kernels for the fields (numba): a step of both fields
(:func:`step_fields`: releases, diffusion, decay, and the grid totals) and the diffusion
step itself (:func:`diffuse`), the readable :func:`sim.geometry.step_fields` (with
:func:`sim.geometry.neighbour_mean`) on arrays, to the last bit; numpy's sum of an array
(:func:`numpy_sum`), written out.

Only :mod:`sim.compiled` imports it (``cache=True``: the machine code is kept beside this
file, as for :mod:`sim.kernels`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# --- the cytokine field: sim.tissue.Tissue.update_fields (sim.geometry.neighbour_mean) --


@njit(cache=True)
def diffuse(square: np.ndarray, spread: float, bounded: bool, keep: float = 1.0) -> None:
    """``square += spread * (mean of the 8 neighbours - square)``, then ``square *=
    keep`` (the decay: 1.0 leaves it as it is, to the last bit), in place.

    The same arithmetic, in the same order, as :func:`sim.geometry.neighbour_mean` and
    :meth:`sim.tissue.Tissue.update_fields` (sums of three along x, then three of those
    along y; a neighbour beyond a bounded grid's edge is the mirror image of the site,
    on a torus it wraps), so the field is the reference's to the last bit.
    """
    width, height = square.shape
    rows = np.empty((width, height + 2))  # rows[x, y + 1]: the sum of three along x at y
    low, high = _pad_index(-1, height, bounded), _pad_index(height, height, bounded)
    for x in range(width):
        before = square[_pad_index(x - 1, width, bounded)]  # whole columns of y: the
        here = square[x]  # loops below run over contiguous values without a branch,
        after = square[_pad_index(x + 1, width, bounded)]  # which LLVM vectorises
        summed = rows[x]
        for y in range(height):
            summed[y + 1] = before[y] + here[y] + after[y]
        summed[0] = before[low] + here[low] + after[low]
        summed[height + 1] = before[high] + here[high] + after[high]
    for x in range(width):
        summed = rows[x]
        here = square[x]
        for y in range(height):
            box = summed[y] + summed[y + 1] + summed[y + 2]
            mean = (box - here[y]) / 8.0
            here[y] = (here[y] + spread * (mean - here[y])) * keep


@njit(cache=True)
def _pad_index(index: int, size: int, bounded: bool) -> int:
    """The index ``np.pad`` reads for a position one beyond either end: mirrored
    (``symmetric``) on a bounded grid, wrapped on a torus."""
    if index < 0:
        return 0 if bounded else size - 1
    if index >= size:
        return size - 1 if bounded else 0
    return index


@njit(cache=True)
def step_fields(
    cytokine: np.ndarray,
    antigen: np.ndarray,
    released: np.ndarray,
    release_factor: float,
    spread: float,
    keep_cytokine: float,
    keep_antigen: float,
    bounded: bool,
) -> tuple[float, float]:
    """:func:`sim.geometry.step_fields` in one call: the releases added one by one in
    order (what ``np.add.at`` does), :func:`diffuse`, then the decay, site by site: the
    same arithmetic, so the same fields to the last bit; returns the two fields' totals
    as numpy sums them (:func:`numpy_sum`)."""
    height = cytokine.shape[1]
    for index in range(released.shape[0]):
        site = np.int64(released[index, 0])
        amount = released[index, 1]
        if release_factor != 1.0:
            amount = amount * release_factor
        cytokine[site // height, site % height] += amount
        antigen[site] += released[index, 2]
    if spread > 0.0:  # the diffusion, then the decay, site by site in one pass
        diffuse(cytokine, spread, bounded, keep_cytokine)
    else:
        flat = cytokine.reshape(-1)
        for site in range(flat.size):
            flat[site] *= keep_cytokine
    for site in range(antigen.size):
        antigen[site] *= keep_antigen
    return numpy_sum(cytokine.reshape(-1)), numpy_sum(antigen)


# --- numpy's sum: the pairwise summation of numpy/_core/src/umath/loops_utils.h.src ------

PAIRWISE_BLOCK = 128
"""numpy's ``PW_BLOCKSIZE``: up to this many values are summed in eight running sums."""


@njit(cache=True)
def numpy_sum(values: np.ndarray) -> float:
    """``values.sum()`` for a contiguous float64 array, to the last bit: add's identity,
    0.0, plus :func:`pairwise_sum` of all the values (``DOUBLE_add``'s reduction)."""
    return 0.0 + pairwise_sum(values, 0, values.size)


@njit(cache=True)
def pairwise_sum(values: np.ndarray, start: int, count: int) -> float:
    """numpy's pairwise summation (``DOUBLE_pairwise_sum``) of
    ``values[start:start + count]``: up to :data:`PAIRWISE_BLOCK` values as
    :func:`block_sum`; more split in two at a multiple of 8 below the half, each part
    summed so, then the two added. Written with a stack instead of numpy's recursion
    (numba's cache fails on recursive kernels)."""
    if count <= PAIRWISE_BLOCK:
        return block_sum(values, start, count)
    starts = np.empty(STACK, dtype=np.int64)  # the parts still to sum, last first
    counts = np.empty(STACK, dtype=np.int64)
    split = np.zeros(STACK, dtype=np.bool_)  # the part's two halves are summed
    sums = np.empty(STACK)  # the parts summed, left before right
    starts[0], counts[0], top, summed = start, count, 1, 0
    while top > 0:
        top -= 1
        first, size = starts[top], counts[top]
        if size <= PAIRWISE_BLOCK:
            sums[summed] = block_sum(values, first, size)
            summed += 1
        elif split[top]:
            summed -= 1
            sums[summed - 1] = sums[summed - 1] + sums[summed]
        else:
            half = size // 2
            half -= half % 8
            split[top] = True  # back to it once both halves are summed
            starts[top + 1], counts[top + 1], split[top + 1] = first + half, size - half, False
            starts[top + 2], counts[top + 2], split[top + 2] = first, half, False
            top += 3
    return sums[0]


STACK = 128
"""Room for the parts of :func:`pairwise_sum` (two more a level: 2**40 values at most)."""


@njit(cache=True)
def block_sum(values: np.ndarray, start: int, count: int) -> float:
    """numpy's sum of up to :data:`PAIRWISE_BLOCK` values: under 8 one after the other;
    else in eight interleaved running sums combined as ``((r0 + r1) + (r2 + r3)) + ((r4 +
    r5) + (r6 + r7))``, the values after the last multiple of 8 added after."""
    if count < 8:
        total = -0.0  # numpy's start for a short run
        for index in range(start, start + count):
            total += values[index]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    whole = count - count % 8
    for index in range(start + 8, start + whole, 8):  # eight running sums, as numpy's
        r0 += values[index]
        r1 += values[index + 1]
        r2 += values[index + 2]
        r3 += values[index + 3]
        r4 += values[index + 4]
        r5 += values[index + 5]
        r6 += values[index + 6]
        r7 += values[index + 7]
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for index in range(start + whole, start + count):
        total += values[index]
    return total

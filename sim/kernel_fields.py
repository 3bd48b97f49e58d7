"""The compiled engine's kernels for the fields (numba): a step of both fields
(:func:`step_fields`: releases, diffusion, decay, and the grid totals) and the diffusion
step itself (:func:`diffuse`), the readable :func:`sim.geometry.step_fields` (with
:func:`sim.geometry.neighbour_mean`) on arrays, to the last bit.

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
def step_fields_in_place(
    cytokine: np.ndarray,
    antigen: np.ndarray,
    released: np.ndarray,
    release_factor: float,
    spread: float,
    keep_cytokine: float,
    keep_antigen: float,
    bounded: bool,
) -> None:
    """:func:`sim.geometry.step_fields` without its totals: the releases added one by one
    in order (what ``np.add.at`` does), :func:`diffuse`, then the decay, site by site:
    the same arithmetic, so the same fields to the last bit."""
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
    """:func:`sim.geometry.step_fields`: the step in a kernel
    (:func:`step_fields_in_place`), then the two fields' totals summed by numpy itself,
    as the reference sums them (numpy's vectorised pairwise sum took 26 against 32 µs a
    step, with both sums, than the same summation written out in the kernel)."""
    step_fields_in_place(
        cytokine, antigen, released, release_factor, spread, keep_cytokine, keep_antigen,
        bounded,
    )  # fmt: skip
    return float(cytokine.sum()), float(antigen.sum())

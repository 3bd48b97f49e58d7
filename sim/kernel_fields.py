"""The compiled engine's kernels for the fields (numba): a step of both fields
(:func:`step_fields`: releases, diffusion, decay) and the diffusion step itself
(:func:`diffuse`), the readable :func:`sim.geometry.step_fields` (with
:func:`sim.geometry.neighbour_mean`) on arrays, to the last bit.

Only :mod:`sim.compiled` imports it (``cache=True``: the machine code is kept beside this
file, as for :mod:`sim.kernels`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# --- the cytokine field: sim.tissue.Tissue.update_fields (sim.geometry.neighbour_mean) --


@njit(cache=True)
def diffuse(square: np.ndarray, spread: float, bounded: bool) -> None:
    """``square += spread * (mean of the 8 neighbours - square)``, in place.

    The same arithmetic, in the same order, as :func:`sim.geometry.neighbour_mean` and
    :meth:`sim.tissue.Tissue.update_fields` (sums of three along x, then three of those
    along y; a neighbour beyond a bounded grid's edge is the mirror image of the site,
    on a torus it wraps), so the field is the reference's to the last bit.
    """
    width, height = square.shape
    rows = np.empty((width, height + 2))
    for x in range(width):
        left = _pad_index(x - 1, width, bounded)
        right = _pad_index(x + 1, width, bounded)
        for py in range(height + 2):
            y = _pad_index(py - 1, height, bounded)
            rows[x, py] = square[left, y] + square[x, y] + square[right, y]
    for x in range(width):
        for y in range(height):
            box = rows[x, y] + rows[x, y + 1] + rows[x, y + 2]
            mean = (box - square[x, y]) / 8.0
            square[x, y] += spread * (mean - square[x, y])


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
) -> None:
    """:func:`sim.geometry.step_fields` in one call: the releases added one by one in
    order (what ``np.add.at`` does), :func:`diffuse`, then the decay, site by site: the
    same arithmetic, so the same fields to the last bit."""
    width, height = cytokine.shape
    for index in range(released.shape[0]):
        site = np.int64(released[index, 0])
        amount = released[index, 1]
        if release_factor != 1.0:
            amount = amount * release_factor
        cytokine[site // height, site % height] += amount
        antigen[site] += released[index, 2]
    if spread > 0.0:
        diffuse(cytokine, spread, bounded)
    for x in range(width):
        for y in range(height):
            cytokine[x, y] *= keep_cytokine
    for site in range(antigen.size):
        antigen[site] *= keep_antigen

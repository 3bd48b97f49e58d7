"""The neighbourhood queries of :mod:`agents.cell` as a numba kernel, for the compiled
engine's rule kernels: :func:`neighbours_where`.

``TCell.resident_neighbours``, ``Tissue.empty_mobile_neighbours`` and
``Tissue.empty_resident_neighbours`` each list a site's neighbours on the grid (in the
order of ``Tissue.neighbour_tuples``) whose cell in one layer is of some kinds; a rule
then draws among them (``random.choice``), so the kernels must list them in the same
order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

EMPTY_ONLY = np.zeros(256, dtype=np.bool_)
"""Marks only the layer value 0 (no cell): :func:`neighbours_where`'s ``marked`` for the
empty neighbours of a layer."""
EMPTY_ONLY[0] = True


@njit(cache=True)
def neighbours_where(
    site: int,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    layer: np.ndarray,
    marked: np.ndarray,
    found: np.ndarray,
) -> int:
    """The neighbours of ``site`` whose value in ``layer`` (a kind layer, by site) is
    ``marked`` (a bool table by that value), in the tissue's order (``neighbours``, only
    those ``on_grid`` if ``bounded``), written into ``found`` (room for 8); returns how
    many."""
    count = 0
    for direction in range(8):
        if bounded and not on_grid[site, direction]:
            continue
        neighbour = neighbours[site, direction]
        if marked[layer[neighbour]]:
            found[count] = neighbour
            count += 1
    return count

"""Random empty resident sites for the kernels that place residents without agents
(:mod:`sim.resident_rows`: the residual compartment's seeding, the marrow's B-cell
births), where the grid is often full.

:func:`random_empty_sites` is :func:`sim.kernels.random_empty_sites` (the tissue's
:meth:`sim.tissue.Tissue.random_empty_sites`: the same draws, the same sites), with its
fallback's listing of every empty site (``np.flatnonzero(kind_layer == 0)``) done
eight sites at a time (:func:`empty_sites_in_order`). On a grid full of blasts every
draw of a few random sites fails and each call lists the empty sites: two calls a
step, each looking at every site.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel_generator import HeldGenerator, generator_of
from sim.kernel_shuffle import choice
from sim.kernels import empty_sites

ONES = np.uint64(0x0101010101010101)
HIGH_BITS = np.uint64(0x8080808080808080)
"""A word of eight byte-sized kinds holds a 0 (an empty site) where
``(word - ONES) & ~word & HIGH_BITS`` is not 0 (the classic zero-byte test)."""


@njit(cache=True)
def empty_sites_in_order(kind_layer: np.ndarray) -> np.ndarray:
    """``np.flatnonzero(kind_layer == 0)`` for a layer of byte-sized kinds (``int8``,
    C-contiguous): the empty sites, in order. Eight sites are read as one word, and
    only a word holding an empty site is looked at site by site."""
    n_sites = kind_layer.size
    empty = np.empty(n_sites, dtype=np.int64)
    found = 0
    words = n_sites // 8
    if words:
        packed = kind_layer[: 8 * words].view(np.uint64)
        for word in range(words):
            value = packed[word]
            if (value - ONES) & ~value & HIGH_BITS:
                for site in range(8 * word, 8 * word + 8):
                    if kind_layer[site] == 0:
                        empty[found] = site
                        found += 1
    for site in range(8 * words, n_sites):
        if kind_layer[site] == 0:
            empty[found] = site
            found += 1
    return empty[:found]


@njit(cache=True)
def random_empty_sites(
    kind_layer: np.ndarray, count: int, source: np.random.Generator | HeldGenerator
) -> np.ndarray:
    """:func:`sim.kernels.random_empty_sites` (for ``count`` above 0): the draws of
    :func:`sim.kernels.empty_sites`, and where no try found enough, ``rng.choice(every
    empty site, size=min(count, their number), replace=False)`` over
    :func:`empty_sites_in_order`; the same draws from ``rng`` (``source``: it, or it
    held)."""
    rng = generator_of(source)
    sites, found = empty_sites(kind_layer, count, rng)
    if found:
        return sites
    empty = empty_sites_in_order(kind_layer)
    return empty[choice(empty.size, min(count, empty.size), rng)]

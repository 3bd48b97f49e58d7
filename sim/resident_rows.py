"""Kernels over the compiled engine's residents without agents (:mod:`sim.unmade_residents`).

:func:`blasts_in_order`: the blasts in the order they were made (the residual
compartment's egress chooses over that list, as the reference chooses over Mesa's
``agents_by_type``), kept from one call to the next rather than sorted each time.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def blasts_in_order(
    known: np.ndarray,
    known_to_serial: int,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    is_blast: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The living blasts in the order they were made, as keys ``serial * n_sites +
    site`` and as sites: those of ``known`` (the keys of the last call, which knew every
    resident made up to serial ``known_to_serial``) whose site still holds their serial,
    in their order, then the blasts made since (a serial above ``known_to_serial``), by
    serial. Serials only grow, so this is the sort of every blast by serial."""
    n_sites = resident_kind.size
    keys = np.empty(known.size, dtype=np.int64)
    kept = 0
    for index in range(known.size):
        key = known[index]
        if resident_serial[key % n_sites] == key // n_sites:
            keys[kept] = key
            kept += 1
    made_since = 0
    for site in range(n_sites):
        if is_blast[resident_kind[site]] and resident_serial[site] > known_to_serial:
            made_since += 1
    new = np.empty(made_since, dtype=np.int64)
    found = 0
    for site in range(n_sites):
        if is_blast[resident_kind[site]] and resident_serial[site] > known_to_serial:
            new[found] = resident_serial[site] * n_sites + site
            found += 1
    keys = np.concatenate((keys[:kept], np.sort(new)))
    return keys, keys % n_sites

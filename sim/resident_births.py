"""Kernels that place the compiled engine's residents without agents in bulk
(:mod:`sim.unmade_placing`), each in one call: the marrow's B-cell births of a step
(:func:`make_b_cells`: how many, where, their maturations drawn and booked) and the
residual compartment's seeding of a phenotype (:func:`seed_blasts`: where, the blasts
placed and their events booked). Each logs the sites it fills
(:func:`sim.resident_rows.log_birth`) for :func:`sim.resident_rows.blasts_in_order`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.healthy_b_cell_kernels import b_cell_arrivals_mean
from agents.kinds import ResidentKind
from agents.leukaemic_blast_kernels import (
    MATURE,
    NEVER_BOOKED,
    booked_event,
    place_blasts,
    steps_until,
)
from agents.python_random import random_float
from sim.event_heap import push_all, with_room
from sim.kernel_empty_sites import random_empty_sites
from sim.kernel_generator import HeldGenerator, generator_of
from sim.resident_rows import log_birth

B_CELL = int(ResidentKind.B_CELL)


@njit(cache=True)
def make_b_cells(
    production: np.ndarray,
    precursors: int,
    b_cells: int,
    source: np.random.Generator | HeldGenerator,
    step: int,
    maturation: float,
    first_serial: int,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    born_step: np.ndarray,
    precursor: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
    keys: np.ndarray,
    events: np.ndarray,
    size: np.ndarray,
    sequence: int,
    born: np.ndarray,
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """:meth:`sim.unmade_residents.UnmadeResidents.make_b_cells` in one call, the same
    draws: :meth:`agents.healthy_b_cell.HealthyBCell.birth_sites` (a Poisson number of
    mean :func:`agents.healthy_b_cell_kernels.b_cell_arrivals_mean`, ``rng.poisson``, at
    random empty resident sites,
    :func:`sim.kernel_empty_sites.random_empty_sites`; ``source``: the generator or it
    held), then :meth:`~sim.unmade_residents.UnmadeResidents.place_b_cells` of
    precursors: each written into the resident layer with its serial (``first_serial``,
    then one more each), birth step and precursor mark, its maturation (chance
    ``maturation`` per step) drawn from Python's generator (``mt``, ``cursor``,
    ``backup``) and booked in the heap (``keys``, ``events``, ``size``, given room as
    :func:`sim.event_heap.with_room` gives it: :func:`sim.event_heap.push_all`,
    numbered from ``sequence``), its site logged in ``born``. Returns the sites, the
    next booking number and the heap's arrays (grown copies if it needed room)."""
    rng = generator_of(source)
    arrivals = rng.poisson(b_cell_arrivals_mean(production, precursors, b_cells))
    if arrivals <= 0:
        return np.empty(0, np.int64), sequence, keys, events
    sites = random_empty_sites(resident_kind, arrivals, rng)
    n_sites = resident_kind.size
    due = np.empty(sites.size, dtype=np.int64)
    booked = np.empty(sites.size, dtype=np.int64)
    for index in range(sites.size):
        site = sites[index]
        serial = first_serial + index
        resident_kind[site] = B_CELL
        resident_serial[site] = serial
        born_step[site] = step
        precursor[site] = True
        log_birth(born, site)
        wait = steps_until(maturation, random_float(mt, cursor, backup))
        due[index] = NEVER_BOOKED if wait == NEVER_BOOKED else step + wait
        booked[index] = booked_event(serial, site, n_sites, MATURE)
    keys, events = with_room(keys, events, size, sites.size, n_sites, resident_serial)
    sequence = push_all(keys, events, size, due, booked, NEVER_BOOKED, sequence)
    return sites, sequence, keys, events


@njit(cache=True)
def seed_blasts(
    count: int,
    source: np.random.Generator | HeldGenerator,
    kind: int,
    step: int,
    division: float,
    death: float,
    first_serial: int,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    born_step: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
    keys: np.ndarray,
    events: np.ndarray,
    size: np.ndarray,
    sequence: int,
    born: np.ndarray,
) -> tuple[np.ndarray, int]:
    """:meth:`sim.residents.Residents.seed_blasts` without agents in one call, the same
    draws: ``count`` (above 0) random empty resident sites
    (:meth:`sim.tissue.Tissue.random_empty_resident_sites`,
    :func:`sim.kernel_empty_sites.random_empty_sites`; ``source``: the generator or it held), a
    blast of ``kind`` placed on each in order with its serial from ``first_serial``
    (:func:`agents.leukaemic_blast_kernels.place_blasts`: its division and death drawn
    from Python's generator, ``mt``, ``cursor``, ``backup``), and those bookings pushed
    into the heap (``keys``, ``events``, ``size``: :func:`sim.event_heap.push_all`,
    numbered from ``sequence``; the heap must have room for ``2 * count``), the sites
    logged in ``born`` (:func:`log_birth`). Returns the sites and the next booking
    number."""
    sites = random_empty_sites(resident_kind, count, generator_of(source))
    due, booked = place_blasts(
        sites, kind, step, division, death, first_serial, resident_kind.size, resident_kind,
        resident_serial, born_step, mt, cursor, backup,
    )  # fmt: skip
    for site in sites:
        log_birth(born, site)
    return sites, push_all(keys, events, size, due, booked, NEVER_BOOKED, sequence)

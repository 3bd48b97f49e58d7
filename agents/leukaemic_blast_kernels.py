"""The blast's birth and division as numba kernels, for the compiled engine: placing
blasts and booking their division and death, as
:class:`agents.leukaemic_blast.LeukaemicBlast` does when it is made
(:meth:`agents.cell.ResidentCell.schedule`, :func:`agents.cell.steps_until`), and its
booked division (:meth:`agents.leukaemic_blast.LeukaemicBlast.divide`), without making
their agents (:mod:`sim.unmade_residents`).

Change these with the rules they mirror: ``tests/test_unmade_residents.py`` holds them to
the same draws and bookings, and ``tests/test_engines.py`` to the same runs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from agents.cell_kernels import EMPTY_ONLY, neighbours_where
from agents.kinds import ResidentKind
from agents.python_random import below, random_float

NEVER_BOOKED = -1
"""A due step for an event whose chance per step is 0 (``steps_until`` gives None)."""
CD19_POSITIVE = int(ResidentKind.BLAST_CD19_POSITIVE)
CD19_NEGATIVE = int(ResidentKind.BLAST_CD19_NEGATIVE)
DIVIDE, DIE = 0, 1
"""The action of a resident's booked event (:func:`booked_event`): a blast's division
(a B-cell's maturation, :data:`MATURE`) or a death."""
MATURE = DIVIDE


@njit(cache=True)
def booked_event(serial: int, site: int, n_sites: int, action: int) -> int:
    """A booked event of a resident without an agent, as the heap keeps it
    (:mod:`sim.event_heap`): ``(serial * n_sites + site) * 2 + action``, decoded as
    ``divmod(event >> 1, n_sites)`` and ``event & 1``."""
    return (serial * n_sites + site) * 2 + action


@njit(cache=True)
def steps_until(probability_per_step: float, uniform: float) -> int:
    """:func:`agents.cell.steps_until` (``NEVER_BOOKED`` for None): steps until an event
    with a fixed chance per step first happens, from a draw in [0, 1)."""
    if probability_per_step <= 0.0:
        return NEVER_BOOKED
    if probability_per_step >= 1.0:
        return 1
    return 1 + int(math.log1p(-uniform) / math.log1p(-probability_per_step))


@njit(cache=True)
def place_blasts(
    sites: np.ndarray,
    kind: int,
    step: int,
    division: float,
    death: float,
    first_serial: int,
    n_sites: int,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    born_step: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A blast of ``kind`` on each of ``sites`` (empty), in order: written into the
    resident layer with its serial (``first_serial``, then one more each) and birth
    step; then, as ``LeukaemicBlast.__init__`` books them, its division (chance
    ``division`` per step) and its death (``death``), each from one draw of Python's
    generator (the mirrored state ``mt``, ``cursor``, ``backup``).

    Returns the bookings in booking order: the due steps (``NEVER_BOOKED``: not booked)
    and the events (:func:`booked_event`, :data:`DIVIDE` then :data:`DIE`).
    """
    count = sites.size
    due = np.empty(2 * count, dtype=np.int64)
    event = np.empty(2 * count, dtype=np.int64)
    for index in range(count):
        _place(
            sites[index], kind, first_serial + index, step, division, death, n_sites,
            resident_kind, resident_serial, born_step, mt, cursor, backup, due, event, 2 * index,
        )  # fmt: skip
    return due, event


@njit(cache=True)
def _place(
    site: int,
    kind: int,
    serial: int,
    step: int,
    division: float,
    death: float,
    n_sites: int,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    born_step: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
    due: np.ndarray,
    event: np.ndarray,
    at: int,
) -> None:
    """One blast placed and its division and death booked into ``due[at:at + 2]`` and
    ``event[at:at + 2]`` (see :func:`place_blasts`)."""
    resident_kind[site] = kind
    resident_serial[site] = serial
    born_step[site] = step
    wait = steps_until(division, random_float(mt, cursor, backup))
    due[at] = NEVER_BOOKED if wait == NEVER_BOOKED else step + wait
    event[at] = booked_event(serial, site, n_sites, DIVIDE)
    wait = steps_until(death, random_float(mt, cursor, backup))
    due[at + 1] = NEVER_BOOKED if wait == NEVER_BOOKED else step + wait
    event[at + 1] = booked_event(serial, site, n_sites, DIE)


@njit(cache=True)
def divide(
    site: int,
    entry: int,
    step: int,
    rule: np.ndarray,
    serial: int,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    born_step: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
    due: np.ndarray,
    event: np.ndarray,
) -> int:
    """:meth:`agents.leukaemic_blast.LeukaemicBlast.divide` for the blast without an agent
    on ``site`` (its booked division, ``entry``), with the same draws: a daughter on a
    random empty resident neighbour (none if there is none; ``neighbours`` in the order
    of ``Tissue.neighbour_tuples``, only those ``on_grid`` if ``bounded``), CD19-negative
    if its mother is or with chance ``cd19_loss_prob``, placed with ``serial`` and
    booked as :func:`place_blasts` does; then the mother's next division.

    ``rule`` is ``[division, death, cd19_loss_prob]`` (chances per step, and the
    leukaemia's parameter). Writes the bookings, in booking order, into ``due`` and
    ``event`` (room for 3; due steps ``NEVER_BOOKED``: not booked) and returns the
    daughter's site, or -1.
    """
    n_sites = resident_kind.size
    free = np.empty(8, dtype=np.int64)  # Tissue.empty_resident_neighbours
    n_free = neighbours_where(site, neighbours, on_grid, bounded, resident_kind, EMPTY_ONLY, free)
    daughter = -1
    if n_free > 0:
        daughter = free[below(n_free, mt, cursor, backup)]
        kind = CD19_NEGATIVE
        if resident_kind[site] == CD19_POSITIVE and random_float(mt, cursor, backup) >= rule[2]:
            kind = CD19_POSITIVE
        _place(
            daughter, kind, serial, step, rule[0], rule[1], n_sites, resident_kind,
            resident_serial, born_step, mt, cursor, backup, due, event, 0,
        )  # fmt: skip
    else:
        due[0] = NEVER_BOOKED
        due[1] = NEVER_BOOKED
    wait = steps_until(rule[0], random_float(mt, cursor, backup))
    due[2] = NEVER_BOOKED if wait == NEVER_BOOKED else step + wait
    event[2] = entry
    return daughter

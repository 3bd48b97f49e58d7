"""The residual compartment's step in one kernel call, on the compiled engine
(:class:`sim.compiled_residual.CompiledResidualDisease`): what
:meth:`sim.residual.ResidualDisease.step` does for scattered blasts (growth, the CAR
T-cells met, CD19 loss, the sanctuary, the seeding of both phenotypes, the two-way
exchange's egress, extinction), the same floating-point operations in the same order
and the same draws in the same order, instead of a dozen rule calls, up to four draws
from Python and a kernel call for each seeding and for the egress.

The readable rules stay in :mod:`sim.residual`; each part below names the one it
mirrors. ``x ** 8.0`` here is ``x ** MOORE_NEIGHBOURS`` there: both call the C
library's ``pow`` (numba's ``**`` with a whole-number exponent would multiply instead,
a different last bit).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from agents.kinds import ResidentKind
from agents.surroundings import MOORE_NEIGHBOURS
from sim.event_heap import with_room
from sim.kernel_generator import HeldGenerator, generator_of
from sim.resident_births import seed_blasts
from sim.resident_rows import take_random_blasts

BLAST_CD19_POSITIVE = int(ResidentKind.BLAST_CD19_POSITIVE)
BLAST_CD19_NEGATIVE = int(ResidentKind.BLAST_CD19_NEGATIVE)
NEIGHBOURS = float(MOORE_NEIGHBOURS)
POSITIVE, SANCTUARY, NEGATIVE = 0, 1, 2
"""The compartment's sizes in :func:`step_compartment`'s ``compartment``."""
CAPACITY, SANCTUARY_CAPACITY, DIVISION, DEATH, KILL, CD19_LOSS = 0, 1, 2, 3, 4, 5
SEEDING, SANCTUARY_EGRESS, EGRESS, EXTINCT_BELOW = 6, 7, 8, 9
RULE_NUMBERS = 10
""":func:`step_compartment`'s ``rule``, by these indices: the compartment's room and
the sanctuary's, the blasts' division and death chances a step, an effector's kill
chance, ``cd19_loss_prob``, the seeding, sanctuary egress and grid egress chances a
step, and the size below which a phenotype is extinct."""
SEEDED_POSITIVE, SEEDED_NEGATIVE, LEFT, NEXT_SEQUENCE = 0, 1, 2, 3
"""What :func:`step_compartment` puts in ``counts``: the CD19-positive and
CD19-negative blasts seeded, the blasts that left, the next booking number."""


@njit(cache=True)
def _grow_shed(
    compartment: np.ndarray,
    rule: np.ndarray,
    effectors: int,
    n_sites: int,
    rng: np.random.Generator,
) -> None:
    """:meth:`~sim.residual.ResidualDisease._grow_and_meet_car_t` (with
    :meth:`~sim.residual.ResidualDisease.car_t_survival`'s scattered-cell rule,
    :meth:`~sim.residual.ResidualDisease._lose_cd19` and
    :meth:`~sim.residual.ResidualDisease._sanctuary_growth`), then
    :meth:`~sim.residual.ResidualDisease._shed_from_sanctuary`."""
    positive, sanctuary, negative = compartment[0], compartment[1], compartment[2]
    capacity, division = rule[CAPACITY], rule[DIVISION]
    size = positive + sanctuary + negative
    occupancy = min(1.0, size / capacity) if capacity != 0.0 else 1.0
    divides = division * (1.0 - occupancy**NEIGHBOURS)
    survives = 1.0 - rule[DEATH]
    grows = (1.0 + divides) * survives
    density = effectors / n_sites
    positive *= grows * (1.0 - density * rule[KILL]) ** NEIGHBOURS  # in the CAR T-cells' reach
    negative *= grows
    reachable = positive  # _lose_cd19
    mean = (reachable + sanctuary) * divides * rule[CD19_LOSS]
    if mean > 0.0:
        events = rng.poisson(mean)
        if events != 0:
            from_reachable = events * reachable / (reachable + sanctuary)
            positive = max(0.0, reachable - from_reachable)
            sanctuary = max(0.0, sanctuary - (events - from_reachable))
            negative += events
    if rule[SANCTUARY_CAPACITY] <= 0.0:  # _sanctuary_growth
        sanctuary *= survives
    else:
        occupancy = min(1.0, sanctuary / rule[SANCTUARY_CAPACITY])
        sanctuary *= (1.0 + division * (1.0 - occupancy**NEIGHBOURS)) * survives
    leaving = sanctuary * rule[SANCTUARY_EGRESS]  # _shed_from_sanctuary
    sanctuary -= leaving
    positive += leaving
    compartment[0], compartment[1], compartment[2] = positive, sanctuary, negative


@njit(cache=True)
def step_compartment(
    compartment: np.ndarray,
    rule: np.ndarray,
    two_way: bool,
    effectors: int,
    blasts_on_grid: int,
    source: np.random.Generator | HeldGenerator,
    step: int,
    first_serial: int,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    born_step: np.ndarray,
    agent_serial: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
    keys: np.ndarray,
    events: np.ndarray,
    size: np.ndarray,
    sequence: int,
    born: np.ndarray,
    blast_sites: np.ndarray,
    blast_serials: np.ndarray,
    known: np.ndarray,
    known_to_serial: int,
    is_blast: np.ndarray,
    census: np.ndarray,
    seeded: np.ndarray,
    left: np.ndarray,
    left_with_agent: np.ndarray,
    counts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`sim.residual.ResidualDisease.step` for scattered blasts, on
    ``compartment`` (its CD19-positive, sanctuary and CD19-negative sizes, updated),
    with the numbers of ``rule`` (:data:`RULE_NUMBERS`), ``effectors`` (the grid's
    functional CAR T-cell effectors) and ``blasts_on_grid``.

    If the compartment is not empty: growth and the rest (:func:`_grow_shed`), then
    the seeding (:meth:`~sim.residual.ResidualDisease._seed`), for the CD19-positive
    then the CD19-negative phenotype: a Poisson number of mean the seeding chance x its
    size, at most its size rounded up, placed as
    :func:`sim.resident_births.seed_blasts` places them (serials from
    ``first_serial``, bookings numbered from ``sequence`` into the heap ``keys``,
    ``events``, ``size``, given room as :func:`sim.event_heap.with_room` gives it;
    sites logged in ``born``), listed in ``seeded``; the phenotype's size less those
    placed (not below 0). Then, with ``two_way``, the egress
    (:meth:`~sim.residual.ResidualDisease._egress`): of the blasts on the grid, a
    binomial number, chosen and those without agents removed by
    :func:`sim.resident_rows.take_random_blasts` (over the blasts in order,
    ``blast_sites``, ``blast_serials``, ``known``, from ``known_to_serial``; their
    kinds' counts taken off ``census``), listed in ``left`` in choice order with
    ``left_with_agent`` (the caller lets those die by their own rule), each adding one
    to its phenotype's size. Last, extinction
    (:meth:`~sim.residual.ResidualDisease._extinction`).

    The draws come from ``source`` (numpy's generator, or it held) and, for the blasts'
    bookings, Python's generator (``mt``, ``cursor``, ``backup``). ``counts`` gets
    :data:`SEEDED_POSITIVE`, :data:`SEEDED_NEGATIVE`, :data:`LEFT` and
    :data:`NEXT_SEQUENCE`. Returns the heap's arrays (grown copies if it needed room).
    """
    rng = generator_of(source)
    n_sites = resident_kind.size
    placed_in_all = 0
    counts[SEEDED_POSITIVE] = 0
    counts[SEEDED_NEGATIVE] = 0
    counts[LEFT] = 0
    if compartment[0] + compartment[1] + compartment[2] > 0.0:
        _grow_shed(compartment, rule, effectors, n_sites, rng)
        for phenotype in (POSITIVE, NEGATIVE):  # _seed
            held_here = compartment[phenotype]
            arrivals = rng.poisson(rule[SEEDING] * held_here)
            if arrivals == 0:
                continue
            arrivals = min(arrivals, math.ceil(held_here))  # never more than it holds
            keys, events = with_room(keys, events, size, 2 * arrivals, n_sites, resident_serial)
            kind = BLAST_CD19_POSITIVE if phenotype == POSITIVE else BLAST_CD19_NEGATIVE
            sites, sequence = seed_blasts(
                arrivals, rng, kind, step, rule[DIVISION], rule[DEATH],
                first_serial + placed_in_all, resident_kind, resident_serial, born_step, mt,
                cursor, backup, keys, events, size, sequence, born,
            )  # fmt: skip
            placed = sites.size
            seeded[placed_in_all : placed_in_all + placed] = sites
            placed_in_all += placed
            counts[SEEDED_POSITIVE if phenotype == POSITIVE else SEEDED_NEGATIVE] = placed
            compartment[phenotype] = max(0.0, held_here - placed)
    counts[NEXT_SEQUENCE] = sequence
    on_grid = blasts_on_grid + placed_in_all  # _egress
    if two_way and on_grid != 0:
        leaving = rng.binomial(on_grid, rule[EGRESS])
        if leaving != 0:
            chosen, chosen_kind, has_agent = take_random_blasts(
                blast_sites, blast_serials, known, known_to_serial,
                first_serial - 1 + placed_in_all, born, leaving, rng, resident_kind,
                resident_serial, agent_serial, is_blast, census,
            )  # fmt: skip
            for index in range(leaving):
                left[index] = chosen[index]
                left_with_agent[index] = has_agent[index]
                if chosen_kind[index] == BLAST_CD19_POSITIVE:
                    compartment[POSITIVE] += 1.0
                else:
                    compartment[NEGATIVE] += 1.0
            counts[LEFT] = leaving
    for phenotype in (POSITIVE, SANCTUARY, NEGATIVE):  # _extinction
        if compartment[phenotype] < rule[EXTINCT_BELOW]:
            compartment[phenotype] = 0.0
    return keys, events

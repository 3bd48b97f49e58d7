"""Kernels over the compiled engine's residents without agents (:mod:`sim.unmade_residents`).

:func:`settle_due`: their booked events due at a step (a death, a B-cell's
maturation, a blast's division, with the rules' kernels in ``agents/``), run in booking
order in one call, between the callbacks of the residents that have agents.
:func:`blasts_in_order`: the blasts in the order they were made (the residual
compartment's egress chooses over that list, as the reference chooses over Mesa's
``agents_by_type``), kept from one call to the next rather than sorted each time, the
blasts made since found from a log of the sites given a resident (:func:`log_birth`)
rather than by looking at every site;
:func:`take_random_blasts`: the egress itself, the blasts chosen over that list and
those without agents removed, in the same call. The kernels that place residents in
bulk (the marrow's B-cell births, the residual compartment's seeding) are in
:mod:`sim.resident_births`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.healthy_b_cell_kernels import NOT_A_PRECURSOR, mature
from agents.kinds import ResidentKind
from agents.leukaemic_blast_kernels import (
    DIE,
    NEVER_BOOKED,
    divide,
)
from sim.event_heap import SEQUENCE_BITS, SEQUENCE_MASK, pop_root, push_one
from sim.kernel_generator import HeldGenerator, generator_of
from sim.kernel_shuffle import choice


@njit(cache=True)
def log_birth(born: np.ndarray, site: int) -> None:
    """Log a resident placed on ``site`` in ``born`` (sites, then their count last; the
    count goes on past the room, which says the log is incomplete)."""
    count = born[-1]
    if count < born.size - 1:
        born[count] = site
    born[-1] = count + 1


@njit(cache=True)
def _append_made_since(
    candidates: np.ndarray,
    sites: np.ndarray,
    serials: np.ndarray,
    kept: int,
    known_to_serial: int,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    is_blast: np.ndarray,
) -> int:
    """Append to ``sites``, ``serials`` (after ``kept``) the blasts on ``candidates``
    made since serial ``known_to_serial``, by serial, each once; returns the new count."""
    n_sites = resident_kind.size
    new = np.empty(candidates.size, dtype=np.int64)  # keys serial * n_sites + site
    made_since = 0
    for site in candidates:
        if resident_serial[site] > known_to_serial and is_blast[resident_kind[site]]:
            new[made_since] = resident_serial[site] * n_sites + site
            made_since += 1
    new = np.sort(new[:made_since])
    for index in range(made_since):
        if index > 0 and new[index] == new[index - 1]:
            continue  # a site logged twice
        serials[kept], sites[kept] = divmod(new[index], n_sites)
        kept += 1
    return kept


@njit(cache=True)
def blasts_in_order(
    sites: np.ndarray,
    serials: np.ndarray,
    known: np.ndarray,
    known_to_serial: int,
    made_to_serial: int,
    born: np.ndarray,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    is_blast: np.ndarray,
) -> int:
    """The living blasts in the order they were made, as sites and serials, in place in
    ``sites`` and ``serials`` (room for one a site), from the last call's answer there
    (the first ``known[0]``, which knew every resident made up to serial
    ``known_to_serial``): those whose site still holds their serial, in their order, then
    the blasts made since (a serial above ``known_to_serial``), by serial. Serials only
    grow, so this is the sort of every blast by serial. Returns their number (also put
    in ``known[0]``).

    The blasts made since are looked for on the sites logged in ``born`` (every resident
    placed without an agent since the last call: :func:`log_birth`) when it logged one
    site for each serial made since (up to ``made_to_serial``, the residents made), so
    none was made elsewhere (an agent's division); else on every site. ``born`` is then
    emptied."""
    kept = 0
    for index in range(known[0]):
        site, serial = sites[index], serials[index]
        if resident_serial[site] == serial:
            if kept != index:  # none moves before the first gone
                sites[kept], serials[kept] = site, serial
            kept += 1
    logged = born[-1]
    if logged == made_to_serial - known_to_serial and logged < born.size:
        candidates = born[:logged].copy()
    else:
        candidates = np.arange(resident_kind.size)
    kept = _append_made_since(
        candidates, sites, serials, kept, known_to_serial, resident_kind, resident_serial,
        is_blast,
    )  # fmt: skip
    known[0] = kept
    born[-1] = 0
    return kept


@njit(cache=True)
def take_random_blasts(
    sites: np.ndarray,
    serials: np.ndarray,
    known: np.ndarray,
    known_to_serial: int,
    made_to_serial: int,
    born: np.ndarray,
    count: int,
    source: np.random.Generator | HeldGenerator,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    agent_serial: np.ndarray,
    is_blast: np.ndarray,
    census: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`sim.residents.Residents.remove_random_blasts` over the blasts in the order
    they were made (:func:`blasts_in_order`, brought up to date in ``sites``,
    ``serials``, ``known`` from ``known_to_serial``, ``made_to_serial`` and ``born``):
    ``count`` of them chosen as ``rng.choice(blasts, size=count, replace=False)`` does
    (``source``: the generator or it held, :mod:`sim.kernel_generator`), those without
    an agent (``agent_serial`` of their site is not their serial) removed from the
    layers, their kinds' counts taken off ``census`` (by resident kind). Returns the
    chosen sites in choice order, their kinds, and which of them have an agent (the
    caller lets those die by their own rule)."""
    blasts = blasts_in_order(
        sites, serials, known, known_to_serial, made_to_serial, born, resident_kind,
        resident_serial, is_blast,
    )  # fmt: skip
    chosen = sites[choice(blasts, count, generator_of(source))]
    chosen_kind = resident_kind[chosen]
    has_agent = np.zeros(count, dtype=np.bool_)
    for index in range(count):
        site = chosen[index]
        if agent_serial[site] == resident_serial[site]:
            has_agent[index] = True
            continue
        census[resident_kind[site]] -= 1
        resident_kind[site] = EMPTY
        resident_serial[site] = 0
    return chosen, chosen_kind, has_agent


DONE, REACHED, IN_PYTHON, NEEDS_ROOM = 0, 1, 2, 3
"""How :func:`settle_due` stopped: no event due left; the next one must wait for an
agent's callback booked before it; the next one is a resident's whose agent has been
made (run it in Python); the heap needs more room."""
B_CELL = int(ResidentKind.B_CELL)
EMPTY = int(ResidentKind.EMPTY)


@njit(cache=True)
def settle_due(
    keys: np.ndarray,
    events: np.ndarray,
    size: np.ndarray,
    step: int,
    until: int,
    counters: np.ndarray,
    rule: np.ndarray,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    agent_serial: np.ndarray,
    born_step: np.ndarray,
    precursor: np.ndarray,
    census: np.ndarray,
    changed: np.ndarray,
    born: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> tuple[int, int]:
    """Run the events of the heap (``keys``, ``events``, ``size``:
        :mod:`sim.event_heap`) due at ``step`` whose booking number is below ``until``, in
        booking order, as :meth:`sim.unmade_residents.UnmadeResidents.run_event` does: an
        event of a resident that has died since is dropped; a death clears the site; a
        B-cell's maturation (:func:`agents.healthy_b_cell_kernels.mature`) and a blast's
        division (:func:`agents.leukaemic_blast_kernels.divide`, its daughter placed without
        an agent) book what they book, numbered on from ``counters[0]``.

        ``counters`` is ``[next booking number, residents made (the last serial), events
        run]``, updated; ``rule`` is ``[blast division, blast death, cd19_loss_prob, B-cell
        death]``; ``agent_serial`` holds, by site, the serial of a resident whose agent has
        been made; ``census`` gains the change of each resident kind's count and, last, of
        the precursors'; ``changed`` logs each site emptied (``2 * site``) or given a
        daughter (``2 * site + 1``) for the list of agents, after ``changed[-1]`` entries,
        which it counts (it has room for one a popped event); ``born`` logs each daughter's
    site (:func:`log_birth`, for :func:`blasts_in_order`). Returns how it stopped
        (:data:`DONE`, :data:`REACHED`, :data:`IN_PYTHON`, :data:`NEEDS_ROOM`) and, for
        :data:`IN_PYTHON`, the event (taken out of the heap).
    """
    n_sites = resident_kind.size
    due = np.empty(3, dtype=np.int64)
    booked = np.empty(3, dtype=np.int64)
    logged = changed[-1]
    while size[0] > 0 and (keys[0] >> SEQUENCE_BITS) == step:
        if (keys[0] & SEQUENCE_MASK) >= until:
            changed[-1] = logged
            return REACHED, 0
        if size[0] + 3 > keys.size:
            changed[-1] = logged
            return NEEDS_ROOM, 0
        event = events[0]
        pop_root(keys, events, size)
        serial, site = divmod(event >> 1, n_sites)
        if resident_serial[site] != serial:
            continue  # it has died
        if agent_serial[site] == serial:
            changed[-1] = logged
            return IN_PYTHON, event
        counters[2] += 1
        kind = resident_kind[site]
        if event & 1 == DIE:
            census[kind] -= 1
            if kind == B_CELL and precursor[site]:
                census[-1] -= 1
            resident_kind[site] = EMPTY
            resident_serial[site] = 0
            changed[logged] = 2 * site
            logged += 1
            continue
        if kind == B_CELL:
            due[0] = mature(site, step, rule[3], precursor, mt, cursor, backup)
            if due[0] == NOT_A_PRECURSOR:
                continue
            census[-1] -= 1
            booked[0] = event + DIE
            n_booked = 1
        else:
            daughter = divide(
                site, event, step, rule, counters[1] + 1, neighbours, on_grid, bounded,
                resident_kind, resident_serial, born_step, mt, cursor, backup, due, booked,
            )  # fmt: skip
            if daughter >= 0:
                counters[1] += 1
                census[resident_kind[daughter]] += 1
                changed[logged] = 2 * daughter + 1
                log_birth(born, daughter)
                logged += 1
            n_booked = 3
        for index in range(n_booked):
            if due[index] != NEVER_BOOKED:
                push_one(
                    keys, events, size, (due[index] << SEQUENCE_BITS) | counters[0], booked[index]
                )
                counters[0] += 1
    changed[-1] = logged
    return DONE, 0

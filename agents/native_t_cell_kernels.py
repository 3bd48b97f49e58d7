"""The native T-cell's rules as numba kernels, for the compiled engine (:mod:`sim.compiled`).

Each kernel follows a rule of :class:`agents.native_t_cell.NativeTCell` up to its first
change to the model, making the same draws from the same generator
(:mod:`agents.python_random`). It answers whether the call is *quiet*: it changes
nothing but the generator (no cell killed, taught or turned). A quiet call is settled
here, and so is a taught cell's kill of a blast placed without an agent that does not
make it divide (:func:`settle_kill_blast`, which logs what the kill changes for the
caller); any other is taken back and run by the readable rule itself, in Python. So the
rule is still the rule in ``native_t_cell.py``; a change there must be mirrored here,
and ``tests/test_engines.py`` fails until it is.

The neighbourhood is the tissue's: ``neighbours`` (``(n_sites, 8)``) with
``on_grid`` (which entries are on a bounded grid); ``fresh`` marks the T-cells (by
table row) born or changed in this step's encounters, which the rules do not see yet
(:meth:`agents.cell.TCell.t_cell_neighbours`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.cell_kernels import neighbours_where
from agents.python_random import below, random_float

TAUGHT_KILLER = 1
"""The killer's code a taught cell's kill is logged with (``sim.compiled.KILLERS``)."""


@njit(cache=True)
def settle_kill_blast(
    row: int,
    site: int,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    has_agent: np.ndarray,
    is_blast: np.ndarray,
    kills: np.ndarray,
    rule: np.ndarray,
    released_site: np.ndarray,
    released_amount: np.ndarray,
    killed: np.ndarray,
    counts: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> bool:
    """:meth:`NativeTCell.kill_blast` of the taught cell of table ``row``: settled here
    and True when it kills nothing, or kills a blast placed without an agent and does
    not divide; False otherwise (the caller takes the draws back and runs the rule in
    Python: a victim with an agent dies by its own rule, a division makes an agent).

    The draws, in the rule's order: with a blast next to it (its neighbours in the
    tissue's order, :meth:`TCell.resident_neighbours`), one against ``rule[0]``
    (``chances.taught_kill``; :meth:`TCell.strike`: no kill at or above it), then
    ``random.choice`` of the victim, then the division draw against ``rule[8]``
    (``native_t.taught_division_prob_per_kill``). A kill settled here does what the
    rule does, in its order, on the arrays and logs (change both together):
    ``model.record_kill``: the victim's site, kind and :data:`TAUGHT_KILLER` logged at
    ``killed[counts[1]]``; ``tissue.release``: its site, ``rule[9]``
    (``native_t.taught_cytokine_per_kill``, cytokine units) and ``rule[10]``
    (``car_t.antigen_per_kill``, antigen units) logged at
    ``released_site``/``released_amount[counts[0]]``; ``blast.die()``
    (:meth:`sim.unmade_residents.UnmadeResidents.remove_unmade`): its site emptied in
    the resident layer and its serial cleared, so the next cells see it empty (the
    caller does the census, ``residents[victim]`` and the event from ``killed``);
    ``self.kills += 1`` in the T-cell table's ``kills`` (by row).
    """
    target_sites = np.empty(8, dtype=np.int64)  # TCell.resident_neighbours(BLASTS)
    targets = neighbours_where(
        site, neighbours, on_grid, bounded, resident_kind, is_blast, target_sites
    )
    if targets == 0 or random_float(mt, cursor, backup) >= rule[0]:
        return True  # no blast next to it, or TCell.strike misses
    victim = target_sites[below(targets, mt, cursor, backup)]  # random.choice
    if has_agent[victim]:
        return False  # its agent dies by its own rule, in Python
    if random_float(mt, cursor, backup) < rule[8]:
        return False  # it divides: NativeTCell.divide makes the daughter's agent, in Python
    logged = counts[1]
    killed[logged, 0] = victim
    killed[logged, 1] = resident_kind[victim]
    killed[logged, 2] = TAUGHT_KILLER
    counts[1] = logged + 1
    released = counts[0]
    released_site[released] = victim
    released_amount[released, 0] = rule[9]
    released_amount[released, 1] = rule[10]
    counts[0] = released + 1
    resident_kind[victim] = 0
    resident_serial[victim] = 0
    kills[row] += 1
    return True


@njit(cache=True)
def _has_t_cell_neighbour(
    site: int,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    mobile_kind: np.ndarray,
    mobile_row: np.ndarray,
    fresh: np.ndarray,
    of_kind: np.ndarray,
) -> bool:
    """:meth:`TCell.t_cell_neighbours` is not empty: a neighbour holds a T-cell of one of
    the kinds ``of_kind`` marks, not born or changed in this step's encounters."""
    for direction in range(8):
        if bounded and not on_grid[site, direction]:
            continue
        other = neighbours[site, direction]
        if of_kind[mobile_kind[other]] and not fresh[mobile_row[other]]:
            return True
    return False


@njit(cache=True)
def learn_is_quiet(
    site: int,
    step: int,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    mobile_kind: np.ndarray,
    mobile_row: np.ndarray,
    fresh: np.ndarray,
    last_kill: np.ndarray,
    antigen: np.ndarray,
    rule: np.ndarray,
    is_car_t: np.ndarray,
    is_donor_car_t: np.ndarray,
    is_taught: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> bool:
    """:meth:`NativeTCell.learn` (a naive cell): teaching by a fresh kill, then by a
    taught neighbour, then (donor cells present) rejection; each check draws only when
    its condition holds; quiet unless the cell is taught or turns alloreactive.

    ``rule`` holds, as floats: teaching enabled (0/1), ``fresh_debris_threshold``,
    ``recent_kill_steps``, ``chances.teaching``, ``chances.secondary_teaching``,
    rejection possible (0/1), ``chances.rejection``.
    """
    if rule[0] != 0.0:
        # NativeTCell.sees_fresh_kill: debris on its site or a neighbour, or a CAR T-cell
        # next to it that killed within recent_kill_steps (last_kill, by table row)
        debris, recent = rule[1], int(rule[2])
        sees = antigen[site] >= debris
        for direction in range(8):
            if sees:
                break
            if bounded and not on_grid[site, direction]:
                continue
            other = neighbours[site, direction]
            row = mobile_row[other]
            sees = antigen[other] >= debris or (
                is_car_t[mobile_kind[other]] and not fresh[row] and step - last_kill[row] < recent
            )
        if sees and random_float(mt, cursor, backup) < rule[3]:
            return False
        if (
            _has_t_cell_neighbour(
                site, neighbours, on_grid, bounded, mobile_kind, mobile_row, fresh, is_taught
            )
            and random_float(mt, cursor, backup) < rule[4]
        ):
            return False
    return not (
        rule[5] != 0.0
        and _has_t_cell_neighbour(
            site, neighbours, on_grid, bounded, mobile_kind, mobile_row, fresh, is_donor_car_t
        )
        and random_float(mt, cursor, backup) < rule[6]
    )

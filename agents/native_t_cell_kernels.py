"""The native T-cell's rules as numba kernels, for the compiled engine (:mod:`sim.compiled`).

Each kernel follows a rule of :class:`agents.native_t_cell.NativeTCell` up to its first
change to the model, making the same draws from the same generator
(:mod:`agents.python_random`). It answers whether the call is *quiet*: it changes
nothing but the generator (no cell killed, taught or turned). A quiet call is settled
here; any other is taken back and run by the readable rule itself, in Python. So the
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

from agents.python_random import random_float


@njit(cache=True)
def kill_blast_is_quiet(
    site: int,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    resident_kind: np.ndarray,
    is_blast: np.ndarray,
    kill_chance: float,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> bool:
    """:meth:`NativeTCell.kill_blast` (a taught cell): with a blast next to it, one draw
    against ``chances.taught_kill`` (:meth:`TCell.strike`); quiet unless it kills."""
    for direction in range(8):
        if bounded and not on_grid[site, direction]:
            continue
        if is_blast[resident_kind[neighbours[site, direction]]]:
            return random_float(mt, cursor, backup) >= kill_chance
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

"""A CAR T-cell's rule call settled in the encounter kernel, kill and division included,
for the compiled engine (:mod:`sim.compiled`, :func:`sim.kernels.settle_encounters`).

:func:`settle_car_t` runs :func:`agents.car_t_cell_kernels.interact_is_quiet` and, when
the call is quiet, settles it: an engaged effector's secretion, its kill of a resident
without an agent (:func:`agents.car_t_cell_kernels.kill_unmade`) and the division that
kill may bring (:func:`divide_after_kill`), the daughter made as a row of the T-cell
table whose Mesa agent the caller makes when the kernel returns
(:meth:`agents.car_t_cell.CarTCell.bound_to`). It mirrors
:meth:`agents.car_t_cell.CarTCell.kill`, :meth:`CarTCell.divide`,
:meth:`agents.cell.TCell.divide`, :meth:`CarTCell.make_daughter` and
:meth:`sim.t_cell_table.TCellTable.add`, with the same draws in the same order: a change
to any of them must be mirrored here (change both together);
``tests/test_car_t_divisions.py`` and ``tests/test_engines.py`` fail until it is.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.car_t_cell_kernels import interact_is_quiet, kill_unmade
from agents.python_random import below, random_float

NEVER = -(2**62)
"""``agents.cell.NEVER`` (no kill yet), as the kernel writes it (a test holds them equal)."""


@njit(cache=True)
def divide_after_kill(
    row: int,
    site: int,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    mobile_kind: np.ndarray,
    mobile_row: np.ndarray,
    table_site: np.ndarray,
    table_kind: np.ndarray,
    fresh: np.ndarray,
    last_kill: np.ndarray,
    engaged: np.ndarray,
    generation: np.ndarray,
    kills: np.ndarray,
    stimulations: np.ndarray,
    free_rows: np.ndarray,
    free_count: np.ndarray,
    daughter_kind: np.ndarray,
    rule: np.ndarray,
    born: np.ndarray,
    counts: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> None:
    """:meth:`CarTCell.divide` of the cell of table ``row`` on ``site``, after a kill whose
    division draw said it divides (change both together).

    A senescent line (``generation[row]`` at ``rule[6]``, ``replicative_limit``; inf:
    none) does not divide and draws nothing. Else :meth:`TCell.divide`: its neighbours
    with no T-cell (``mobile_row`` < 0), in the order of
    :meth:`sim.tissue.Tissue.empty_mobile_neighbours` (directions 0-7, those off a
    bounded grid left out); none: no division; else ``random.choice`` of one. Then
    :meth:`CarTCell.make_daughter`: ``rested = max(0, 1 - engaged / rule[5]``
    (``exhaustion_engaged_hours``)), a memory cell if a draw is below ``rule[14]``
    (``memory_fraction``) x rested, with 0 engaged hours, else an effector with the
    mother's. ``daughter_kind`` (by the mother's mobile kind): the effector's and the
    memory cell's kind of its origin.

    The daughter takes the row :meth:`sim.t_cell_table.TCellTable.add` would give (the
    top of ``free_rows[:free_count[0]]``, which the caller has checked is not empty), with
    ``fresh``, ``last_kill`` NEVER, kills and stimulations 0, and stands in the mobile
    layer (``mobile_kind``, ``mobile_row``) at once, so the next cells see it; mother and
    daughter get the mother's generation + 1. The mother's and the daughter's rows are
    logged at ``born[counts[2]]`` for the caller to make the daughter's agent.
    """
    if generation[row] >= rule[6]:
        return  # CarTCell.senescent: no division
    free = np.empty(8, dtype=np.int64)
    n_free = 0
    for direction in range(8):
        if bounded and not on_grid[site, direction]:
            continue
        neighbour = neighbours[site, direction]
        if mobile_row[neighbour] < 0:
            free[n_free] = neighbour
            n_free += 1
    if n_free == 0:
        return  # no room, no division
    target = free[below(n_free, mt, cursor, backup)]  # random.choice
    rested = max(0.0, 1.0 - engaged[row] / rule[5])
    memory = random_float(mt, cursor, backup) < rule[14] * rested
    kind = daughter_kind[table_kind[row], 1 if memory else 0]
    top = free_count[0] - 1
    daughter = free_rows[top]  # TCellTable.add
    free_count[0] = top
    table_site[daughter] = target
    table_kind[daughter] = kind
    fresh[daughter] = True
    last_kill[daughter] = NEVER
    engaged[daughter] = 0.0 if memory else engaged[row]
    kills[daughter] = 0
    stimulations[daughter] = 0
    generation[row] += 1
    generation[daughter] = generation[row]
    mobile_row[target] = daughter
    mobile_kind[target] = kind
    logged = counts[2]
    born[logged, 0] = row
    born[logged, 1] = daughter
    counts[2] = logged + 1


@njit(cache=True)
def settle_car_t(
    row: int,
    site: int,
    step: int,
    state: int,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    has_agent: np.ndarray,
    mobile_kind: np.ndarray,
    mobile_row: np.ndarray,
    columns: tuple,
    free_rows: np.ndarray,
    free_count: np.ndarray,
    is_cd19_positive: np.ndarray,
    is_tumour: np.ndarray,
    daughter_kind: np.ndarray,
    rule: np.ndarray,
    outcome: np.ndarray,
    released_site: np.ndarray,
    released_amount: np.ndarray,
    killed: np.ndarray,
    born: np.ndarray,
    exhausted: np.ndarray,
    counts: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> bool:
    """:meth:`CarTCell.interact` of the cell of table ``row``: settled here and True when
    :func:`interact_is_quiet` finds it quiet (a kill that divides included, when the
    table has a free row: else the call is left to Python with the rest); False, with
    its engaged hours taken back, otherwise (the caller rewinds the draws).

    ``columns``: the T-cell table's ``site``, ``kind``, ``fresh``, ``last_kill``,
    ``engaged``, ``generation``, ``kills``, ``stimulations`` (by row). A quiet call's
    secretion is logged at ``released_site``/``released_amount[counts[0]]`` (site,
    cytokine units, 0 antigen), its kill as :func:`kill_unmade` logs it, then its
    division as :func:`divide_after_kill` does (the reference's order: ``kill`` releases
    and empties the site, then divides), then its tiring as :func:`tire` does.
    """
    table_site, table_kind, fresh, last_kill, engaged, generation, kills, stimulations = columns
    before = engaged[row]
    quiet = interact_is_quiet(
        row, site, state, neighbours, on_grid, bounded, resident_kind, mobile_row,
        is_cd19_positive, is_tumour, engaged, generation, has_agent, rule, outcome, mt,
        cursor, backup,
    )  # fmt: skip
    if quiet and outcome[2] > 0.0 and free_count[0] == 0:
        quiet = False  # no free row: TCellTable.add grows the table, in Python
    if not quiet:
        engaged[row] = before
        return False
    if outcome[0] > 0.0:
        count = counts[0]
        released_site[count] = site
        released_amount[count, 0] = outcome[0]
        released_amount[count, 1] = 0.0
        counts[0] = count + 1
    if outcome[1] >= 0.0:
        kill_unmade(
            row, int(outcome[1]), step, resident_kind, resident_serial, kills, stimulations,
            last_kill, rule, released_site, released_amount, killed, counts,
        )  # fmt: skip
        if outcome[2] > 0.0:
            divide_after_kill(
                row, site, neighbours, on_grid, bounded, mobile_kind, mobile_row, table_site,
                table_kind, fresh, last_kill, engaged, generation, kills, stimulations,
                free_rows, free_count, daughter_kind, rule, born, counts, mt, cursor, backup,
            )  # fmt: skip
    if outcome[3] > 0.0:
        tire(row, site, table_kind, mobile_kind, fresh, daughter_kind, exhausted, counts)
    return True


@njit(cache=True)
def tire(
    row: int,
    site: int,
    table_kind: np.ndarray,
    mobile_kind: np.ndarray,
    fresh: np.ndarray,
    line_kind: np.ndarray,
    exhausted: np.ndarray,
    counts: np.ndarray,
) -> None:
    """``CarTCell.become("exhausted")`` (:meth:`agents.cell.TCell.change_kind`) of the
    cell of table ``row`` on ``site``, as far as the next cells see it: its kind in the
    table and the mobile layer becomes its origin's exhausted kind (``line_kind[kind,
    2]``) and it is marked changed in this encounter phase (``fresh``); its row is
    logged at ``exhausted[counts[3]]`` for the caller to change its agent and the
    census (``sim.compiled``), before any rule runs in Python."""
    kind = line_kind[table_kind[row], 2]
    table_kind[row] = kind
    mobile_kind[site] = kind
    fresh[row] = True
    exhausted[counts[3]] = row
    counts[3] += 1


@njit(cache=True)
def divide_homeostatically(
    rows: np.ndarray,
    start: int,
    is_car_t: np.ndarray,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    mobile_kind: np.ndarray,
    mobile_row: np.ndarray,
    columns: tuple,
    free_rows: np.ndarray,
    free_count: np.ndarray,
    daughter_kind: np.ndarray,
    rule: np.ndarray,
    born: np.ndarray,
    counts: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> int:
    """The homeostatic divisions of the cells of table ``rows[start:]``, in that order
    (:meth:`sim.model.CarTModel._step_t_cells`: ``cells[row].divide()`` for each),
    for as long as the cell is a CAR T-cell (``is_car_t`` by its mobile kind, so its
    ``divide`` is :meth:`CarTCell.divide`) and the table has a free row: each as
    :func:`divide_after_kill` divides it, with the same draws (change both together).
    Returns the index of the first cell left to Python (``rows.size``: none), whose
    ``divide`` the caller runs before calling again; the daughters made are logged at
    ``born`` as :func:`divide_after_kill` logs them.

    ``columns``: the T-cell table's ``site``, ``kind``, ``fresh``, ``last_kill``,
    ``engaged``, ``generation``, ``kills``, ``stimulations`` (by row)."""
    table_site, table_kind, fresh, last_kill, engaged, generation, kills, stimulations = columns
    for index in range(start, rows.size):
        row = rows[index]
        if not is_car_t[table_kind[row]] or free_count[0] == 0:
            return index  # another class's divide, or TCellTable.add grows the table
        divide_after_kill(
            row, table_site[row], neighbours, on_grid, bounded, mobile_kind, mobile_row,
            table_site, table_kind, fresh, last_kill, engaged, generation, kills,
            stimulations, free_rows, free_count, daughter_kind, rule, born, counts, mt,
            cursor, backup,
        )  # fmt: skip
    return rows.size

"""The CAR T-cell's rule as a numba kernel, for the compiled engine (:mod:`sim.compiled`).

The kernel follows :meth:`agents.car_t_cell.CarTCell.interact` up to its first change
to the model other than the cell's own ``engaged_hours``, making the same draws from the
same generator (:mod:`agents.python_random`). A *quiet* call (no bud, no
change of state, no kill of a resident that has an agent; a division only after a kill
of a resident without one) is settled here, its engaged
hours changed in the table of T-cells (``engaged``, by row, where the cell keeps them:
:class:`agents.surroundings.TCellColumns`); any other is taken back, engaged hours
included, and run by the readable rule in Python. An engaged effector's secretion
(:meth:`CarTCell.signal`) in a quiet call is reported to the caller (``outcome[0]``),
which releases it into the field in the reference's order; so is an effector's kill of
a resident placed without an agent (``outcome[1]``: the victim's site), which the caller
settles with :func:`kill_unmade`, and the division its draw may bring (``outcome[2]``,
:mod:`agents.car_t_cell_division_kernels`).
A change to ``CarTCell.interact``, ``kill``, ``bud``, ``senescent``, ``strike`` or to
:mod:`agents.microenvironment`'s suppression must be mirrored here (change both
together); ``tests/test_engines.py`` and ``tests/test_car_t_kills.py`` fail until it is.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.python_random import below, random_float

EFFECTOR, MEMORY, EXHAUSTED = 0, 1, 2
"""The codes of ``state`` (by mobile kind) the kernel reads."""
CAR_T_KILLER = 0
"""The killer's code a CAR T-cell's kill is logged with (``sim.compiled.KILLERS``)."""


@njit(cache=True)
def interact_is_quiet(
    row: int,
    site: int,
    state: int,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    resident_kind: np.ndarray,
    mobile_row: np.ndarray,
    is_cd19_positive: np.ndarray,
    is_tumour: np.ndarray,
    engaged: np.ndarray,
    generation: np.ndarray,
    has_agent: np.ndarray,
    rule: np.ndarray,
    outcome: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> bool:
    """:meth:`CarTCell.interact`: next to CD19-positive cells, the cell adds (their
    number / 8) x hours per step, times the microenvironment's exhaustion factor, to its
    engaged hours; an effector then secretes cytokine if its rule says so (the amount,
    ``cytokine_per_engaged_hour`` x its hours of full engagement, in ``outcome[0]``;
    0 when it secretes nothing) and draws against ``chances.car_t_kill`` (suppressed by
    the microenvironment; :meth:`TCell.strike`); if it hits, it chooses its victim among
    those neighbours (``random.choice``), and the call is quiet only if the victim has
    no agent (``has_agent``, by site) (``outcome[1]``: the victim's site, -1 when it
    kills none; ``outcome[2]``: 1 when its division draw (:meth:`CarTCell.kill`) is
    below ``chances.car_t_division_per_kill``, the division the caller then settles,
    :mod:`agents.car_t_cell_division_kernels`, else 0). A memory cell with enough such
    neighbours is not quiet if senescent (``CarTCell.bud`` exhausts it, drawing
    nothing), nor if it buds (its draw below ``chances.car_t_memory_budding`` with a
    free neighbour). A quiet effector whose engaged hours reach
    ``exhaustion_engaged_hours``, or memory cell whose reach the memory exhaustion
    limit, tires (``outcome[3]``: 1, else 0): ``CarTCell.become("exhausted")``, after
    its kill and division, which the caller settles
    (:func:`agents.car_t_cell_division_kernels.settle_car_t`). An exhausted cell is
    always quiet.

    The microenvironment (:mod:`agents.microenvironment`): ``suppression`` is hostility
    x (tumour neighbours / 8), the kill chance ``base x (1 - kill_suppression x
    suppression)``, the exhaustion factor ``1 + exhaustion_gain x suppression``; each
    left as its input when the suppression is 0, as the readable functions do.

    ``rule``: hours per step, ``chances.car_t_kill``, ``budding_min_cd19_neighbours``,
    ``chances.car_t_memory_budding``, ``memory_exhaustion_engaged_hours`` (inf: none),
    ``exhaustion_engaged_hours``, ``replicative_limit`` (inf: none), hostility,
    ``kill_suppression``, ``exhaustion_gain``, ``cytokine_per_engaged_hour`` (above 0,
    an engaged effector secretes, :meth:`CarTCell.signal`), ``chances.car_t_division_per_kill``,
    ``cytokine_per_kill``, ``antigen_per_kill``, ``memory_fraction``, then each resident kind's
    ``inflammation_when_killed`` (by kind). ``generation`` (by row): the divisions along
    the cell's line. The caller takes back ``engaged[row]`` with the draws, and ignores
    ``outcome``, when the call is not quiet. Nothing else is written here.
    """
    outcome[0] = 0.0
    outcome[1] = -1.0
    outcome[2] = 0.0
    outcome[3] = 0.0
    if state == EXHAUSTED:
        return True
    targets = 0
    tumour = 0
    target_sites = np.empty(8, dtype=np.int64)  # CarTCell.resident_neighbours, in order
    for direction in range(8):
        if bounded and not on_grid[site, direction]:
            continue
        kind = resident_kind[neighbours[site, direction]]
        if is_cd19_positive[kind]:
            target_sites[targets] = neighbours[site, direction]
            targets += 1
        if is_tumour[kind]:
            tumour += 1
    if targets == 0:
        return True
    level = rule[7]
    suppression = 0.0 if level == 0.0 else level * tumour / 8
    factor = 1.0 if suppression == 0.0 else 1.0 + rule[9] * suppression
    engaged_now = targets / 8 * rule[0]  # hours of full engagement this step
    engaged[row] += engaged_now * factor
    if state == EFFECTOR:
        if rule[10] > 0.0:  # CarTCell.signal
            outcome[0] = rule[10] * engaged_now
        kill = rule[1] if suppression == 0.0 else rule[1] * (1.0 - rule[8] * suppression)
        if random_float(mt, cursor, backup) < kill:  # TCell.strike: a kill
            victim = target_sites[below(targets, mt, cursor, backup)]  # random.choice
            if has_agent[victim]:
                return False  # its agent dies by its own rule, in Python
            outcome[1] = victim
            if random_float(mt, cursor, backup) < rule[11]:
                outcome[2] = 1.0  # CarTCell.kill: it divides (car_t_cell_division_kernels)
        if engaged[row] >= rule[5]:
            outcome[3] = 1.0  # it tires: CarTCell.become("exhausted")
        return True
    if targets >= rule[2]:
        if generation[row] >= rule[6]:
            return False  # senescent: CarTCell.bud exhausts it
        if random_float(mt, cursor, backup) < rule[3]:
            for direction in range(8):  # a bud needs a free neighbour
                if bounded and not on_grid[site, direction]:
                    continue
                if mobile_row[neighbours[site, direction]] < 0:
                    return False
    if engaged[row] >= rule[4]:
        outcome[3] = 1.0  # its memory tires: CarTCell.become("exhausted")
    return True


@njit(cache=True)
def kill_unmade(
    row: int,
    victim: int,
    step: int,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    kills: np.ndarray,
    stimulations: np.ndarray,
    last_kill: np.ndarray,
    rule: np.ndarray,
    released_site: np.ndarray,
    released_amount: np.ndarray,
    killed: np.ndarray,
    counts: np.ndarray,
) -> None:
    """:meth:`agents.car_t_cell.CarTCell.kill` of a resident placed without an agent,
    in a call :func:`interact_is_quiet` found quiet, up to its division (settled after it
    by :func:`agents.car_t_cell_division_kernels.divide_after_kill`): what it does, in its
    order, on the arrays and logs (change both together).

    ``model.record_kill``: the victim's site, kind and :data:`CAR_T_KILLER` logged at
    ``killed[counts[1]]``;
    ``tissue.release``: its site, ``cytokine_per_kill`` x the kind's
    ``inflammation_when_killed`` (cytokine units) and ``antigen_per_kill`` (antigen
    units) logged at ``released_site[counts[0]]``, ``released_amount[counts[0]]`` (after
    any secretion of the same call, as in the reference); ``target.die()``
    (:meth:`sim.unmade_residents.UnmadeResidents.remove_unmade`): its site emptied in
    the resident layer and its serial cleared (:meth:`sim.tissue.Tissue.clear_resident`),
    so the next cells see it empty; the caller does the census, ``residents[victim]``
    and the event log from ``killed``. Then the killer's ``kills`` and ``stimulations``
    (by row) go up by one and its ``last_kill`` is ``step``.
    """
    kind = resident_kind[victim]
    logged = counts[1]
    killed[logged, 0] = victim
    killed[logged, 1] = kind
    killed[logged, 2] = CAR_T_KILLER
    counts[1] = logged + 1
    released = counts[0]
    released_site[released] = victim
    released_amount[released, 0] = rule[12] * rule[15 + kind]
    released_amount[released, 1] = rule[13]
    counts[0] = released + 1
    resident_kind[victim] = 0
    resident_serial[victim] = 0
    kills[row] += 1
    stimulations[row] += 1
    last_kill[row] = step

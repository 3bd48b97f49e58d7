"""The compiled engine's kernels (numba): each does what a readable rule does, on arrays.

Only :mod:`sim.compiled` imports this module (and with it numba), and only when a model is
built with ``engine="compiled"``; every other command runs without numba. Each kernel
names the readable code it mirrors; change both together (the tests in
``tests/test_engines.py`` hold them to the same result, bit for bit).

The kernels take the random draws the reference draws, in the same order, from the same
generator: they only replace the work done with them. So a compiled run is the reference
run, number for number.

``cache=True``: the machine code is written beside this file (``__pycache__``) at the
first call and reused by every later process; ``benchmarks/engine.py`` measures that
first compile.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.car_t_cell_division_kernels import settle_car_t
from agents.native_t_cell_kernels import learn_is_quiet, settle_kill_blast
from agents.python_random import mark, rewind
from sim.kernel_generator import HeldGenerator, generator_of
from sim.kernel_shuffle import choice, permutation, shuffle_in_place

# --- the walk: agents.cell.TCell.move, as sim.movement.walk does it in numpy -------------


@njit(cache=True)
def walk(
    rows: np.ndarray,
    moves: np.ndarray,
    chemotaxis_bias: np.ndarray,
    exclusion: float,
    rng: np.random.Generator,
    neighbours: np.ndarray,
    mobile_kind: np.ndarray,
    mobile_row: np.ndarray,
    resident_kind: np.ndarray,
    antigen: np.ndarray,
    table_site: np.ndarray,
    is_tumour: np.ndarray,
) -> None:
    """:func:`sim.movement.walk` (a torus or a bounded grid, not the well-mixed limit)
    from the same draws of ``rng``: numba's ``Generator`` methods give numpy's numbers
    from the same state, and are called in the reference's order. Updates the mobile
    layer, its rows and the table's sites in place.

    Round after round, the cells with a move left (``moves``, of table ``rows``) draw a
    direction each; with chemotaxis, whether each follows the antigen (its
    ``chemotaxis_bias``) and the followers' tie-breaking noise; with ``exclusion`` > 0
    a draw each against it; then the order of their turns. A follower takes the
    direction of the free neighbour with the most antigen (noise x 1e-9 breaking ties,
    an occupied site counting -1, the first of equals winning, as ``np.argmax``). A
    cell whose target holds a tumour cell (``is_tumour``, by resident kind) stays if
    its exclusion draw won (:func:`agents.microenvironment.move_fails`). Then each cell
    in turn moves if no T-cell stands on its target: the rule itself,
    :meth:`agents.cell.TCell.move`, which the reference settles in numpy passes
    (:func:`sim.movement.resolve_turns`).
    """
    has_bias = chemotaxis_bias.any()
    for round_index in range(moves.max()):
        movers = np.nonzero(moves > round_index)[0]
        n = movers.size
        if n == 0:
            break
        direction = rng.integers(0, 8, size=n)
        follows = np.zeros(n, dtype=np.bool_)
        noise = np.zeros((0, 8))
        if has_bias:
            follows = rng.random(n) < chemotaxis_bias[movers]
            following = np.count_nonzero(follows)
            if following:
                noise = rng.random(following * 8).reshape((following, 8))
        kept_out = np.zeros(n, dtype=np.bool_)
        if exclusion > 0.0:
            kept_out = rng.random(n) < exclusion
        turn = permutation(n, rng)
        origin = np.empty(n, dtype=np.int64)
        target = np.empty(n, dtype=np.int64)
        followed = 0
        for i in range(n):
            site = table_site[rows[movers[i]]]
            origin[i] = site
            chosen = direction[i]
            if follows[i]:
                best = -np.inf
                for k in range(8):
                    option = neighbours[site, k]
                    level = antigen[option] if mobile_kind[option] == 0 else -1.0
                    value = level + noise[followed, k] * 1e-9
                    if value > best:
                        best = value
                        chosen = k
                followed += 1
            target[i] = neighbours[site, chosen]
            if kept_out[i] and is_tumour[resident_kind[target[i]]]:
                target[i] = site  # dense tumour keeps it out: its own site, so no move
        by_turn = np.empty(n, dtype=np.int64)
        for i in range(n):
            by_turn[turn[i]] = i
        for position in range(n):
            i = by_turn[position]
            destination = target[i]
            if mobile_kind[destination] != 0:
                continue
            row = rows[movers[i]]
            mobile_kind[destination] = mobile_kind[origin[i]]
            mobile_row[destination] = row
            mobile_kind[origin[i]] = 0
            mobile_row[origin[i]] = -1
            table_site[row] = destination


# --- the contact screen: sim.contacts.ContactScreen.has_contact -------------------------


@njit(cache=True)
def has_contact(
    neighbours: np.ndarray,
    neighbour_on_grid: np.ndarray,
    bounded: bool,
    resident_kind: np.ndarray,
    mobile_kind: np.ndarray,
    antigen: np.ndarray,
    table: np.ndarray,
    antigen_threshold: np.ndarray,
    watch_antigen: bool,
    sites: np.ndarray,
    kinds: np.ndarray,
    n_mobile: int,
) -> np.ndarray:
    """For T-cells on ``sites`` of ``kinds``: is one of their triggers next to them?

    The same test as :meth:`sim.contacts.ContactScreen.has_contact` (whose docstring and
    tables say what triggers each kind), cell by cell instead of over an ``(n, 8)`` array.
    """
    n = sites.size
    contact = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        site = sites[i]
        kind = kinds[i]
        for direction in range(8):
            if bounded and not neighbour_on_grid[site, direction]:
                continue
            other = neighbours[site, direction]
            if table[kind, resident_kind[other] * n_mobile + mobile_kind[other]]:
                contact[i] = True
                break
        if contact[i] or not watch_antigen:
            continue
        threshold = antigen_threshold[kind]
        if not np.isfinite(threshold):
            continue
        if antigen[site] >= threshold:
            contact[i] = True
            continue
        for direction in range(8):
            if antigen[neighbours[site, direction]] >= threshold:
                contact[i] = True
                break
    return contact


# --- the T-cells' moves and turns: sim.model.CarTModel.walk_and_screen ------------------


@njit(cache=True)
def walk_and_screen(
    rows: np.ndarray,
    table_kind: np.ndarray,
    moves_per_step: np.ndarray,
    chemotaxis_bias: np.ndarray,
    exclusion: float,
    source: np.random.Generator | HeldGenerator,
    neighbours: np.ndarray,
    neighbour_on_grid: np.ndarray,
    bounded: bool,
    mobile_kind: np.ndarray,
    mobile_row: np.ndarray,
    resident_kind: np.ndarray,
    antigen: np.ndarray,
    table_site: np.ndarray,
    is_tumour: np.ndarray,
    screen: int,
    contact_table: np.ndarray,
    antigen_threshold: np.ndarray,
    watch_antigen: bool,
    n_mobile: int,
) -> np.ndarray:
    """:meth:`sim.model.CarTModel.walk_and_screen` in one call: the T-cells of table
    ``rows`` draw their moves this step (:func:`sim.movement.moves_this_step`: the
    whole part of ``moves_per_step`` by kind, plus one with the fraction's chance, drawn
    only if some fraction is not 0) and walk (:func:`walk`, ``chemotaxis_bias`` by kind);
    then the turn order is drawn (``rng.permutation``) and screened (``screen``: 0 none,
    every cell takes its turn; 1 nobody can act, no turn; 2 :func:`has_contact`). The
    same draws from ``rng`` (``source``: it, or it held, :mod:`sim.kernel_generator`) in
    the same order; returns the rows in turn order.
    """
    rng = generator_of(source)
    n = rows.size
    kinds = np.empty(n, dtype=np.int64)
    for i in range(n):
        kinds[i] = table_kind[rows[i]]
    whole = np.floor(moves_per_step[kinds])
    fraction = moves_per_step[kinds] - whole
    if fraction.any():
        whole = whole + (rng.random(n) < fraction)
    moves = whole.astype(np.int64)
    walk(
        rows, moves, chemotaxis_bias[kinds], exclusion, rng, neighbours, mobile_kind,
        mobile_row, resident_kind, antigen, table_site, is_tumour,
    )  # fmt: skip
    order = permutation(n, rng)
    if screen == 1:
        return rows[order[:0]]
    if screen == 2:
        contact = has_contact(
            neighbours, neighbour_on_grid, bounded, resident_kind, mobile_kind, antigen,
            contact_table, antigen_threshold, watch_antigen, table_site[rows], kinds, n_mobile,
        )  # fmt: skip
        order = order[contact[order]]
    return rows[order]


# --- random empty sites: sim.tissue.draw_empty_sites ------------------------------------


@njit(cache=True)
def empty_sites(
    kind_layer: np.ndarray, count: int, source: np.random.Generator | HeldGenerator
) -> tuple[np.ndarray, bool]:
    """:func:`sim.tissue.draw_empty_sites`, the same draws from ``rng``: up to four tries
    of ``4 * count + 8`` random sites, the empty ones kept, shuffled; the sites and
    whether a try found enough (``source``: ``rng``, or it held:
    :mod:`sim.kernel_generator`). A try first only counts the distinct empty sites drawn
    (marking them, instead of ``np.unique``'s sort): on a nearly full grid, where every
    try fails, that is all it does."""
    rng = generator_of(source)
    seen = np.zeros(kind_layer.size, dtype=np.bool_)
    for _ in range(4):
        drawn = rng.integers(0, kind_layer.size, size=4 * count + 8)
        found = 0
        for site in drawn:
            if not seen[site]:
                seen[site] = True
                if kind_layer[site] == 0:
                    found += 1
        if found >= count:
            empty = np.empty(found, dtype=np.int64)
            found = 0
            for site in drawn:
                if seen[site] and kind_layer[site] == 0:
                    empty[found] = site
                    found += 1
                seen[site] = False
            empty.sort()  # np.unique's order
            shuffle_in_place(empty, rng)  # rng.permutation(empty): empty is a new array
            return empty[:count], True
        for site in drawn:
            seen[site] = False
    return np.empty(0, dtype=np.int64), False


@njit(cache=True)
def random_empty_sites(
    kind_layer: np.ndarray, count: int, source: np.random.Generator | HeldGenerator
) -> np.ndarray:
    """:meth:`sim.tissue.Tissue.random_empty_sites` for ``count`` above 0: the draws of
    :func:`empty_sites`, and where no try found enough, ``rng.choice(every empty site,
    size=min(count, their number), replace=False)`` (:func:`sim.kernel_shuffle.choice`);
    the same draws from ``rng`` (``source``: it, or it held)."""
    rng = generator_of(source)
    sites, found = empty_sites(kind_layer, count, rng)
    if found:
        return sites
    empty = np.flatnonzero(kind_layer == 0)
    return empty[choice(empty.size, min(count, empty.size), rng)]


# --- the encounters: sim.engine.reference_encounters (each cell's interact rule) ----------

RUN_IN_PYTHON = 0  # the kind's rule always runs in Python (the readable rule)
NAIVE_LEARNS = 1  # agents.native_t_cell_kernels.learn_is_quiet
TAUGHT_KILLS = 2  # agents.native_t_cell_kernels.settle_kill_blast
CAR_T_INTERACTS = 3  # agents.car_t_cell_kernels.interact_is_quiet


@njit(cache=True)
def settle_encounters(
    ordered: np.ndarray,
    start: int,
    end: int,
    step: int,
    action: np.ndarray,
    car_t_state: np.ndarray,
    table_kind: np.ndarray,
    table_site: np.ndarray,
    fresh: np.ndarray,
    last_kill: np.ndarray,
    engaged: np.ndarray,
    generation: np.ndarray,
    kills: np.ndarray,
    stimulations: np.ndarray,
    free_rows: np.ndarray,
    free_count: np.ndarray,
    neighbours: np.ndarray,
    on_grid: np.ndarray,
    bounded: bool,
    resident_kind: np.ndarray,
    resident_serial: np.ndarray,
    has_agent: np.ndarray,
    mobile_kind: np.ndarray,
    mobile_row: np.ndarray,
    antigen: np.ndarray,
    kinds_of: np.ndarray,
    native_rule: np.ndarray,
    car_t_rule: np.ndarray,
    daughter_kind: np.ndarray,
    released_site: np.ndarray,
    released_amount: np.ndarray,
    killed: np.ndarray,
    born: np.ndarray,
    exhausted: np.ndarray,
    counts: np.ndarray,
    mt: np.ndarray,
    cursor: np.ndarray,
    backup: np.ndarray,
) -> int:
    """Go through the T-cells of table rows ``ordered[start:end]``, settling each quiet
    rule call here; stop at the first cell whose rule must run in Python and return its
    index (``end`` when none is left). Dead cells are skipped (the reference's ``if
    cell.alive``). The stopping cell's draws (and engaged hours) are taken back.

    ``kinds_of`` rows mark: blasts (the tumour) and CD19-positive cells (by resident kind), CAR
    T-cells, donor CAR T-cells and taught cells (by mobile kind). ``native_rule``:
    ``chances.taught_kill``, then what :func:`learn_is_quiet` reads, then what
    :func:`settle_kill_blast` reads beyond it; ``car_t_rule``
    what :func:`interact_is_quiet` reads. ``engaged`` and ``generation`` (by row): a
    CAR T-cell's engaged hours (changed here: the cell reads them from the table) and
    its divisions along its line; ``kills``, ``stimulations`` (by row) its counts;
    ``free_rows[:free_count[0]]`` the table's free rows, a daughter's taken from the top.

    The cytokine engaged effectors secrete in the calls settled here
    (:meth:`agents.car_t_cell.CarTCell.signal`) and what the kills of residents without
    agents (``has_agent``, by site, False) release are logged in call order: site,
    cytokine and antigen at ``released_site[k]``, ``released_amount[k]`` for ``k`` from
    ``counts[0]`` on (which counts them). Such a kill, a CAR T-cell's
    (:func:`agents.car_t_cell_kernels.kill_unmade`) or a taught cell's
    (:func:`settle_kill_blast`), empties the victim's site here and is logged as site,
    kind and killer (``sim.compiled.KILLERS``) at ``killed[k]`` from ``counts[1]`` on;
    the division a CAR T-cell's kill may bring
    (:func:`agents.car_t_cell_division_kernels.divide_after_kill`: the daughter a row of
    the table, ``daughter_kind`` its kind by the mother's: the effector's, the memory
    cell's and the exhausted cell's of the mother's origin) is logged as the mother's
    and the daughter's rows at ``born[k]`` from ``counts[2]`` on; a CAR T-cell that
    tires in a quiet call (:func:`agents.car_t_cell_division_kernels.tire`) as its row
    at ``exhausted[k]`` from ``counts[3]`` on. The caller applies the logs
    (:meth:`sim.tissue.Tissue.release`, the census, the daughters' agents, the tired
    cells' agents) before any rule runs in Python, so they keep the reference's order.
    """
    outcome = np.zeros(4)
    columns = (table_site, table_kind, fresh, last_kill, engaged, generation, kills, stimulations)
    for index in range(start, end):
        row = ordered[index]
        kind = table_kind[row]
        if kind == 0:
            continue
        what = action[kind]
        if what == RUN_IN_PYTHON:
            return index
        site = table_site[row]
        mark(cursor)
        if what == CAR_T_INTERACTS:
            quiet = settle_car_t(
                row, site, step, car_t_state[kind], neighbours, on_grid, bounded,
                resident_kind, resident_serial, has_agent, mobile_kind, mobile_row, columns,
                free_rows, free_count, kinds_of[4], kinds_of[0], daughter_kind, car_t_rule,
                outcome, released_site, released_amount, killed, born, exhausted, counts, mt,
                cursor, backup,
            )  # fmt: skip
        elif what == TAUGHT_KILLS:
            quiet = settle_kill_blast(
                row, site, neighbours, on_grid, bounded, resident_kind, resident_serial,
                has_agent, kinds_of[0], kills, native_rule, released_site, released_amount,
                killed, counts, mt, cursor, backup,
            )  # fmt: skip
        else:
            quiet = learn_is_quiet(
                site, step, neighbours, on_grid, bounded, mobile_kind, mobile_row, fresh,
                last_kill, antigen, native_rule[1:], kinds_of[1], kinds_of[2], kinds_of[3],
                mt, cursor, backup,
            )  # fmt: skip
        if not quiet:
            rewind(mt, cursor, backup)
            return index
    return end

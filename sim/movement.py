"""The random walk of all T-cells at once, in numpy.

The rule is :meth:`agents.cell.TCell.move`: each cell picks one of its eight neighbours
at random and moves there if no T-cell is on it. Here every moving cell picks at once;
where two pick the same free site, the first in a random order gets it (as if they had
moved one after the other). A cell may make several moves in a step
(``motility_sites_per_hour`` x ``hours_per_step``, the fraction rounded at random).
With ``chemotaxis_bias`` > 0, that share of moves goes to the free neighbour with the
most antigen instead of a random one.

On a bounded grid (a lymph node, :mod:`sim.geometry`) a direction that leaves the grid
targets the cell's own site (``Tissue.neighbours``): that site is taken (by the cell
itself) and never freed during the round, so the move fails like a move onto an
occupied site, and chemotaxis never prefers it. No cell crosses the edge, and none
wraps around it.

Inside a hostile lymphoma (:mod:`agents.microenvironment`) a move onto a site holding a
tumour cell fails with the chance ``exclusion`` (the target becomes the cell's own site,
as at the capsule); with ``exclusion = 0`` nothing is drawn for it.

In the well-mixed limit (``grid.well_mixed``, a model check) :func:`mix` replaces the
walk: every T-cell goes to a uniformly random free site of the mobile layer.
"""

from __future__ import annotations

import numpy as np

from agents.kinds import ResidentKind
from sim.tissue import Tissue

TUMOUR_CODES = np.array([ResidentKind.BLAST_CD19_POSITIVE, ResidentKind.BLAST_CD19_NEGATIVE])


def moves_this_step(moves_per_step: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole moves per cell this step: the integer part, plus one with the fraction's chance."""
    whole = np.floor(moves_per_step)
    fraction = moves_per_step - whole
    if not fraction.any():
        return whole.astype(np.int64)
    return (whole + (rng.random(moves_per_step.size) < fraction)).astype(np.int64)


def walk(
    tissue: Tissue,
    rows: np.ndarray,
    moves: np.ndarray,
    chemotaxis_bias: np.ndarray,
    rng: np.random.Generator,
    exclusion: float = 0.0,
) -> None:
    """Move the T-cells of table ``rows`` (at least one), ``moves[i]`` tries each, on a
    torus or a bounded grid (the well-mixed limit is :func:`mix`); updates the tissue.
    ``exclusion``: chance that a move onto a tumour site fails (dense tumour)."""
    table = tissue.t_cells
    kind_layer = tissue.mobile_kind
    has_bias = bool(chemotaxis_bias.any())
    everyone = np.arange(rows.size)
    sites = table.site[rows]
    fewest = int(moves.min(initial=0))
    for round_index in range(int(moves.max(initial=0))):
        movers = everyone if round_index < fewest else (moves > round_index).nonzero()[0]
        if movers.size == 0:
            break
        origin = sites[movers]
        direction = rng.integers(0, 8, size=movers.size)
        if has_bias:
            follows = rng.random(movers.size) < chemotaxis_bias[movers]
            if follows.any():
                options = tissue.neighbours[origin[follows]]
                antigen = np.where(kind_layer[options] == 0, tissue.antigen[options], -1.0)
                noise = rng.random(antigen.shape) * 1e-9
                direction[follows] = np.argmax(antigen + noise, axis=1)
        target = tissue.neighbours[origin, direction]
        if exclusion > 0.0:
            into_tumour = np.isin(tissue.resident_kind[target], TUMOUR_CODES)
            kept_out = into_tumour & (rng.random(movers.size) < exclusion)
            target = np.where(kept_out, origin, target)
        turn = rng.permutation(movers.size)  # the order in which the cells take their turn
        winners = resolve_turns(tissue, origin, target, turn)
        if winners.size:
            moving, destination = movers[winners], target[winners]
            tissue.move_mobiles(rows[moving], destination, origin[winners])
            sites[moving] = destination


def mix(tissue: Tissue, rows: np.ndarray, rng: np.random.Generator) -> None:
    """The well-mixed limit: the T-cells of table ``rows`` go to distinct sites of the
    mobile layer drawn uniformly at random (the layer holds nothing else, so after the
    cells leave every site is free); no memory of where they were is left."""
    destination = rng.choice(tissue.n_sites, size=rows.size, replace=False)
    tissue.move_mobiles(rows, destination)


def resolve_turns(
    tissue: Tissue, origin: np.ndarray, target: np.ndarray, turn: np.ndarray
) -> np.ndarray:
    """Which cells move, exactly as if each had tried its move in order of ``turn``.

    A cell moves if its target is free at its turn: free from the start and not taken by
    a cell with an earlier turn, or left by its occupant at an earlier turn and not taken
    since. Settled in passes: first the targets free from the start, then the targets
    just left, until no more cells move. Returns the indices of the cells that move.
    """
    never = np.iinfo(np.int64).max
    claim = tissue.scratch_claims  # per site: earliest turn claiming it (never, between uses)
    left_at = tissue.scratch_left_at  # per site: the turn at which its cell left it
    moved: list[np.ndarray] = []
    target_taken = tissue.mobile_kind[target] != 0
    waiting = target_taken.nonzero()[0]
    candidates = (~target_taken).nonzero()[0]
    touched: list[np.ndarray] = []
    while candidates.size:
        wanted = target[candidates]
        their_turn = turn[candidates]
        np.minimum.at(claim, wanted, their_turn)
        winners = candidates[claim[wanted] == their_turn]
        claim[wanted] = never
        moved.append(winners)
        if waiting.size == 0:
            break
        left_at[origin[winners]] = turn[winners]
        touched.append(origin[winners])
        left = left_at[target[waiting]]
        vacated = left != never
        candidates = waiting[vacated & (turn[waiting] > left)]
        waiting = waiting[~vacated]
    for sites in touched:
        left_at[sites] = never
    if not moved:
        return np.empty(0, dtype=np.int64)
    return moved[0] if len(moved) == 1 else np.concatenate(moved)

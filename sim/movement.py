"""The random walk of all T-cells at once, in numpy.

The rule is :meth:`agents.cell.TCell.move`: each cell picks one of its eight neighbours
at random and moves there if no T-cell is on it. Here every moving cell picks at once;
where two pick the same free site, the first in a random order gets it (as if they had
moved one after the other). A cell may make several moves in a step
(``motility_sites_per_hour`` x ``hours_per_step``, the fraction rounded at random).
With ``chemotaxis_bias`` > 0, that share of moves goes to the free neighbour with the
most antigen instead of a random one.
"""

from __future__ import annotations

import numpy as np

from sim.tissue import Tissue


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
) -> None:
    """Move the T-cells of table ``rows``, ``moves[i]`` tries each; updates the tissue."""
    if rows.size == 0:
        return
    table = tissue.t_cells
    kind_layer = tissue.mobile_kind
    has_bias = bool(chemotaxis_bias.any())
    for round_index in range(int(moves.max(initial=0))):
        movers = np.flatnonzero(moves > round_index)
        if movers.size == 0:
            break
        around = tissue.neighbours[table.site[rows[movers]]]
        direction = rng.integers(0, 8, size=movers.size)
        biased = chemotaxis_bias[movers] > 0.0
        if has_bias and biased.any():
            follows = biased & (rng.random(movers.size) < chemotaxis_bias[movers])
            if follows.any():
                options = around[follows]
                antigen = np.where(kind_layer[options] == 0, tissue.antigen[options], -1.0)
                noise = rng.random(antigen.shape) * 1e-9
                direction[follows] = np.argmax(antigen + noise, axis=1)
        target = around[np.arange(movers.size), direction]
        rank = rng.permutation(movers.size)  # who goes first where two pick one site
        candidates = np.flatnonzero(kind_layer[target] == 0)
        wanted = target[candidates]
        claim = tissue.scratch_claims
        np.minimum.at(claim, wanted, rank[candidates])
        winners = candidates[claim[wanted] == rank[candidates]]
        claim[wanted] = np.iinfo(claim.dtype).max
        if winners.size:
            tissue.move_mobiles(rows[movers[winners]], target[winners])

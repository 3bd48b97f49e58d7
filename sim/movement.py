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


def moves_this_step(
    moves_per_step: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Whole moves per cell this step: the integer part, plus one with the fraction's chance."""
    whole = np.floor(moves_per_step)
    return (whole + (rng.random(moves_per_step.size) < moves_per_step - whole)).astype(np.int64)


def walk(
    tissue: Tissue,
    sites: np.ndarray,
    moves: np.ndarray,
    chemotaxis_bias: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Move the T-cells standing on ``sites``; returns their new sites.

    Updates the tissue's mobile layer (kinds) in place; the caller updates the agents'
    ``site`` and the tissue's ``mobiles`` list for the cells whose site changed.
    """
    sites = sites.copy()
    if sites.size == 0:
        return sites
    kind_layer = tissue.mobile_kind
    for round_index in range(int(moves.max(initial=0))):
        movers = np.flatnonzero(moves > round_index)
        if movers.size == 0:
            break
        origin = sites[movers]
        around = tissue.neighbours[origin]
        direction = rng.integers(0, 8, size=movers.size)
        biased = chemotaxis_bias[movers] > 0.0
        if biased.any():
            follows = biased & (rng.random(movers.size) < chemotaxis_bias[movers])
            if follows.any():
                antigen = tissue.antigen[around[follows]]
                antigen = np.where(kind_layer[around[follows]] == 0, antigen, -1.0)
                noise = rng.random(antigen.shape) * 1e-9
                direction[follows] = np.argmax(antigen + noise, axis=1)
        target = around[np.arange(movers.size), direction]
        free = kind_layer[target] == 0
        order = rng.permutation(movers.size)
        candidates = order[free[order]]
        _, first = np.unique(target[candidates], return_index=True)
        winners = candidates[first]
        if winners.size == 0:
            continue
        from_sites = origin[winners]
        to_sites = target[winners]
        kind_layer[to_sites] = kind_layer[from_sites]
        kind_layer[from_sites] = 0
        sites[movers[winners]] = to_sites
    return sites

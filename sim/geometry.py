"""The shape of the tissue: which sites touch, how far apart they are, where the edge is.

Sites are numbered ``site = x * height + y`` on a ``width`` x ``height`` grid. Two shapes:

- **torus** (the marrow, ``grid.tissue = "marrow"``): the grid wraps around, so there is
  no edge; every site has eight Moore neighbours and the cytokine field spreads across
  the seams.
- **bounded** (a lymph node, ``grid.tissue = "lymph_node"``): the edge of the grid is
  the node's capsule. A site on an edge has five neighbours, a corner three. A T-cell's
  move across the capsule fails, exactly as a move onto an occupied site does (so the
  walk keeps the same density everywhere, edges included), and the cytokine field is
  reflected at the capsule (no flux: nothing leaks out and nothing wraps).

For numpy, each site has an ``(n_sites, 8)`` row of *move targets*, one per direction of
:data:`MOORE_OFFSETS`; on a bounded grid a direction that leaves the grid gives the site
itself, which a T-cell always occupies, so the move fails without a special case. The
mask :func:`on_grid_directions` says which entries are real neighbours.
"""

from __future__ import annotations

import numpy as np

MOORE_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def _site_coordinates(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` of every site, in site order."""
    return np.divmod(np.arange(width * height), height)


def on_grid_directions(width: int, height: int) -> np.ndarray:
    """``(n_sites, 8)`` bool: is the site one step away in each direction on the grid
    (without wrapping)?"""
    x, y = _site_coordinates(width, height)
    columns = [
        (x + dx >= 0) & (x + dx < width) & (y + dy >= 0) & (y + dy < height)
        for dx, dy in MOORE_OFFSETS
    ]
    return np.stack(columns, axis=1)


def move_targets(width: int, height: int, bounded: bool) -> np.ndarray:
    """``(n_sites, 8)`` int32: the site one step away in each direction of
    :data:`MOORE_OFFSETS`. On a torus the step wraps around; on a bounded grid a step
    off the grid gives the site itself (a move there fails). Four bytes an entry, not
    eight: the compiled engine's walk and screen read it at random, and the smaller table
    stays in the cache (its walk-and-screen kernel about 8% faster, measured)."""
    x, y = _site_coordinates(width, height)
    columns = [((x + dx) % width) * height + (y + dy) % height for dx, dy in MOORE_OFFSETS]
    targets = np.stack(columns, axis=1).astype(np.int32)
    if bounded:
        own_site = np.arange(width * height)[:, None]
        targets = np.where(on_grid_directions(width, height), targets, own_site)
    return targets


def neighbour_lists(targets: np.ndarray, on_grid: np.ndarray | None) -> list[tuple[int, ...]]:
    """Per site, the neighbouring sites on the grid (all 8 when ``on_grid`` is ``None``)."""
    if on_grid is None:
        return [tuple(row) for row in targets.tolist()]
    return [
        tuple(site for site, inside in zip(row, mask, strict=True) if inside)
        for row, mask in zip(targets.tolist(), on_grid.tolist(), strict=True)
    ]


def neighbour_mean(square: np.ndarray, bounded: bool = False) -> np.ndarray:
    """Mean of the eight Moore neighbours of every site of a 2-D ``(width, height)`` array.

    On a torus the neighbours wrap around. On a bounded grid a neighbour beyond the edge
    is the mirror image of the site across the edge (a reflecting, no-flux boundary),
    so a diffusion step ``c + s (mean - c)`` keeps the grid total.
    """
    padded = np.pad(square, 1, mode="symmetric" if bounded else "wrap")
    rows = padded[:-2] + padded[1:-1] + padded[2:]
    box = rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:]
    return (box - square) / 8.0


def diffuse_in_place(square: np.ndarray, spread: float, bounded: bool = False) -> None:
    """One diffusion step of a field: each site passes a share ``spread`` of its content to
    its eight neighbours in equal parts (``c + spread (mean - c)``), in place."""
    square += spread * (neighbour_mean(square, bounded) - square)


def step_fields(
    cytokine: np.ndarray,
    antigen: np.ndarray,
    released: np.ndarray,
    release_factor: float,
    spread: float,
    keep_cytokine: float,
    keep_antigen: float,
    bounded: bool = False,
) -> tuple[float, float]:
    """One step of the two fields, in place (:meth:`sim.tissue.Tissue.update_fields`):
    the releases (rows of site, cytokine, antigen) added in order, the cytokine times
    ``release_factor``; the cytokine (a ``(width, height)`` view) diffuses with
    ``spread`` (:func:`diffuse_in_place`, if above 0); both decay (``keep_*``: the share
    left). Returns the grid totals of cytokine and antigen after it. The compiled
    engine's kernel is :func:`sim.kernel_fields.step_fields`."""
    flat = cytokine.reshape(-1)
    if released.size:
        sites = released[:, 0].astype(np.int64)
        amounts = released[:, 1] if release_factor == 1.0 else released[:, 1] * release_factor
        np.add.at(flat, sites, amounts)
        np.add.at(antigen, sites, released[:, 2])
    if spread > 0.0:
        diffuse_in_place(cytokine, spread, bounded)
    flat *= keep_cytokine
    antigen *= keep_antigen
    return float(flat.sum()), float(antigen.sum())


def edge_sites(width: int, height: int) -> np.ndarray:
    """The sites on the outermost rows and columns of the grid, in site order."""
    x, y = _site_coordinates(width, height)
    on_edge = (x == 0) | (x == width - 1) | (y == 0) | (y == height - 1)
    return np.flatnonzero(on_edge)


def chebyshev_distance(
    width: int, height: int, bounded: bool, site: int, sites: np.ndarray
) -> np.ndarray:
    """Moves (king's moves) from ``site`` to each of ``sites``; across the seams on a
    torus, only within the grid on a bounded one."""
    x0, y0 = divmod(site, height)
    x, y = np.divmod(sites, height)
    dx = np.abs(x - x0)
    dy = np.abs(y - y0)
    if bounded:
        return np.maximum(dx, dy)
    return np.maximum(np.minimum(dx, width - dx), np.minimum(dy, height - dy))

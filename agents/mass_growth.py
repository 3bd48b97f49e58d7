"""Growth throughout a dense tumour mass: a dividing cell with no free neighbour pushes.

Biology. A large B-cell lymphoma grows diffusely, throughout its mass, not only at its
edge: its dividing cells are spread through the whole tumour (Ki-67 above 60% of the cells
in a fifth of tumours, Grogan et al. Blood 1988; a potential doubling time of days, 4.8 on
average in high-grade lymphomas, Erlanson et al. Hematol Oncol 1995) and the growing mass
pushes the tissue around it aside (it effaces the node and bulges its capsule). On a
lattice of one cell per site a cell inside the mass has no free neighbour, so a rule that
lets a cell divide only into a free neighbour makes a mass grow only at its rim: a disc of
N cells then gains cells in proportion to its perimeter (~ sqrt N), and its background
deaths (~ N) nearly cancel that, so a bulky mass barely grows and cannot progress. That is
the lattice, not the lymphoma (the residual compartment, :mod:`sim.residual`, already lets
the same lymphoma grow at its full rate elsewhere in the patient).

Rule (``leukaemia.division_pushes``, lymphoma only; the marrow's blasts keep the
free-neighbour rule): a blast whose division is due and which has no empty resident
neighbour divides anyway when the tissue has an empty resident site. The nearest empty
site (king's moves; ties at random) is found, and the cells on the straight king's-move
path from the dividing cell to it each move one site along the path, outward; the
daughter takes the first site of the path. Every site of the path before the empty one is
nearer than it, so all are occupied: the push moves a whole column of cells by one site,
as a growing mass displaces its surroundings (a standard rule of lattice tumour models
with cell pushing). The cells pushed may be lymphoma cells or healthy B-cells; T-cells
live on their own layer and are not moved. A tissue with no empty site stops all growth.

The division's rate is unchanged (``leukaemia.division_rate_per_day`` x the patient's
``tumour_growth_factor``): only where the daughter goes changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.kinds import ResidentKind

if TYPE_CHECKING:
    from agents.cell import ResidentCell
    from agents.surroundings import Surroundings, TissueView


def push_site(model: Surroundings, site: int) -> int | None:
    """Make room next to ``site`` by pushing: returns the freed neighbouring site for the
    daughter, or ``None`` when the tissue has no empty resident site."""
    tissue = model.tissue
    empty = np.flatnonzero(tissue.resident_kind == ResidentKind.EMPTY)
    if empty.size == 0:
        return None
    distance = tissue.distance_from(site, empty)
    nearest = empty[distance == distance.min()]
    target = int(model.random.choice(nearest))  # ties at random
    path = king_path(tissue, site, target)
    for index in range(len(path) - 1, 0, -1):  # from the empty end, each cell one site on
        cell = tissue.resident_at(path[index - 1])
        assert cell is not None  # nearer than the nearest empty site: occupied
        move_resident(tissue, cell, path[index])
    return path[0]


def king_path(tissue: TissueView, start: int, end: int) -> list[int]:
    """The sites of a shortest king's-move path from ``start`` (excluded) to ``end``
    (included): diagonal steps first, then straight; across the seams on a torus."""
    x, y = tissue.coordinates(start)
    end_x, end_y = tissue.coordinates(end)
    dx, dy = end_x - x, end_y - y
    if not tissue.bounded:  # the shorter way round
        dx = (dx + tissue.width // 2) % tissue.width - tissue.width // 2
        dy = (dy + tissue.height // 2) % tissue.height - tissue.height // 2
    step_x, step_y = int(np.sign(dx)), int(np.sign(dy))
    path = []
    for _ in range(max(abs(dx), abs(dy))):
        if dx != 0:
            x, dx = x + step_x, dx - step_x
        if dy != 0:
            y, dy = y + step_y, dy - step_y
        path.append((x % tissue.width) * tissue.height + y % tissue.height)
    return path


def move_resident(tissue: TissueView, cell: ResidentCell, target: int) -> None:
    """Move a resident cell to the empty resident site ``target``."""
    tissue.clear_resident(cell.site)
    cell.site = target
    tissue.place_resident(cell, target, cell.kind)

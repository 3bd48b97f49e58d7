"""The tissue: a Mesa grid with two occupancy layers and two fields, plus fast lookups.

Sites are numbered ``site = x * height + y``, so a flat view of any layer's ``(width,
height)`` array is indexed by site. Each site has eight Moore neighbours on a torus,
precomputed once as an ``(n_sites, 8)`` array (for numpy) and as tuples (for the rules on
the agent classes, which look at one cell at a time).
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid

from agents.kinds import MobileKind, ResidentKind
from sim.parameters import FieldParameters

if TYPE_CHECKING:
    from mesa import Agent

MOORE_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
QUIET_FIELD_TOTAL = 1e-6  # below this grid total a field is set to zero and left alone
SYSTEMIC_SCALE_SITES = 10_000  # systemic cytokine is stated per 10,000 sites


class TCellTable:
    """Every T-cell's site and kind in arrays, one row a cell, so the whole population can
    walk, be screened for contacts and die in numpy.

    A row freed by a death is reused only after :meth:`recycle` (end of the step), so the
    rows listed at the start of a step keep meaning the same cells throughout it.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.site = np.zeros(capacity, dtype=np.int64)
        self.kind = np.zeros(capacity, dtype=np.int8)
        self.cells: list[Agent | None] = [None] * capacity
        self._free = list(range(capacity - 1, -1, -1))
        self._released: list[int] = []

    def add(self, cell: Agent, site: int, kind: int) -> int:
        """A row for a new cell."""
        if not self._free:
            self._grow()
        row = self._free.pop()
        self.site[row] = site
        self.kind[row] = kind
        self.cells[row] = cell
        return row

    def release(self, row: int) -> None:
        """The cell of ``row`` has died; the row is reused after :meth:`recycle`."""
        self.kind[row] = 0
        self._released.append(row)

    def recycle(self) -> None:
        """Make the rows of cells that died this step available again."""
        for row in sorted(self._released, reverse=True):
            self.cells[row] = None
            self._free.append(row)
        self._released.clear()

    def live_rows(self) -> np.ndarray:
        """Rows holding a living cell, in row order."""
        return self.kind.nonzero()[0]

    def _grow(self) -> None:
        old = self.kind.size
        self.site = np.concatenate([self.site, np.zeros(old, dtype=np.int64)])
        self.kind = np.concatenate([self.kind, np.zeros(old, dtype=np.int8)])
        self.cells.extend([None] * old)
        self._free = list(range(2 * old - 1, old - 1, -1))


def neighbour_mean(square: np.ndarray) -> np.ndarray:
    """Mean of the eight Moore neighbours of every site of a 2-D array on a torus."""
    padded = np.pad(square, 1, mode="wrap")
    rows = padded[:-2] + padded[1:-1] + padded[2:]
    box = rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:]
    return (box - square) / 8.0


def _flat(layer: object) -> np.ndarray:
    """The flat (per-site) view of a Mesa property layer (``.data`` in 3.5, itself in 4)."""
    array = layer if isinstance(layer, np.ndarray) else layer.data  # type: ignore[attr-defined]
    return array.reshape(-1)


class Tissue:
    """A torus of sites with a resident and a mobile layer, and cytokine and antigen fields.

    Attributes:
        grid: the Mesa ``OrthogonalMooreGrid`` holding the four property layers.
        resident_kind: flat int8 array, the :class:`ResidentKind` of each site.
        mobile_kind: flat int8 array, the :class:`MobileKind` of each site.
        cytokine: flat float array, cytokine units per site.
        antigen: flat float array, antigen-debris units per site.
        residents: the resident agent of each site, or ``None``.
        mobile_row: flat int array, the row in ``t_cells`` of each site's T-cell, or -1.
        t_cells: the table of every T-cell's site and kind.
        neighbours: ``(n_sites, 8)`` int array of Moore neighbours.
    """

    def __init__(self, width: int, height: int, random_source: random.Random) -> None:
        self.width = width
        self.height = height
        self.n_sites = width * height
        self.grid = OrthogonalMooreGrid((width, height), torus=True, random=random_source)
        layers = {
            "resident_kind": self.grid.create_property_layer("resident_kind", 0, dtype=np.int8),
            "mobile_kind": self.grid.create_property_layer("mobile_kind", 0, dtype=np.int8),
            "cytokine": self.grid.create_property_layer("cytokine", 0.0, dtype=float),
            "antigen": self.grid.create_property_layer("antigen", 0.0, dtype=float),
        }
        self.resident_kind = _flat(layers["resident_kind"])
        self.mobile_kind = _flat(layers["mobile_kind"])
        self.cytokine = _flat(layers["cytokine"])
        self.antigen = _flat(layers["antigen"])
        self.residents: list[Agent | None] = [None] * self.n_sites
        self.mobile_row = np.full(self.n_sites, -1, dtype=np.int64)
        self.t_cells = TCellTable()
        self.neighbours = self._moore_neighbours()
        self.neighbour_tuples: list[tuple[int, ...]] = [
            tuple(row) for row in self.neighbours.tolist()
        ]
        self.fields_active = False
        self._released: list[tuple[int, float, float]] = []
        # the well-mixed limit (grid.well_mixed, a model check): see empty_resident_neighbours
        self.well_mixed = False
        self._random = random_source
        # work space of the numpy walk (sim.movement), all "never" between uses
        self.scratch_claims = np.full(self.n_sites, np.iinfo(np.int64).max, dtype=np.int64)
        self.scratch_left_at = np.full(self.n_sites, np.iinfo(np.int64).max, dtype=np.int64)

    def _moore_neighbours(self) -> np.ndarray:
        x, y = np.divmod(np.arange(self.n_sites), self.height)
        columns = [
            ((x + dx) % self.width) * self.height + (y + dy) % self.height
            for dx, dy in MOORE_OFFSETS
        ]
        return np.stack(columns, axis=1).astype(np.int64)

    def coordinates(self, site: int) -> tuple[int, int]:
        """``(x, y)`` of a site."""
        return divmod(site, self.height)

    # --- occupancy -------------------------------------------------------------------
    def place_resident(self, agent: Agent, site: int, kind: ResidentKind) -> None:
        """Put a resident cell on an empty resident site."""
        if self.residents[site] is not None:
            raise ValueError(f"site {site} already holds a resident cell")
        self.residents[site] = agent
        self.resident_kind[site] = kind

    def clear_resident(self, site: int) -> None:
        """Empty the resident layer of a site."""
        self.residents[site] = None
        self.resident_kind[site] = ResidentKind.EMPTY

    def place_mobile(self, agent: Agent, site: int, kind: MobileKind) -> int:
        """Put a T-cell on an empty mobile site; returns its row in ``t_cells``."""
        if self.mobile_row[site] >= 0:
            raise ValueError(f"site {site} already holds a T-cell")
        row = self.t_cells.add(agent, site, kind)
        self.mobile_row[site] = row
        self.mobile_kind[site] = kind
        return row

    def clear_mobile(self, row: int) -> None:
        """Take the T-cell of ``row`` off the tissue."""
        site = self.t_cells.site[row]
        self.mobile_row[site] = -1
        self.mobile_kind[site] = MobileKind.EMPTY
        self.t_cells.release(row)

    def set_mobile_kind(self, row: int, kind: int) -> None:
        """A T-cell changed state."""
        self.t_cells.kind[row] = kind
        self.mobile_kind[self.t_cells.site[row]] = kind

    def move_mobiles(
        self, rows: np.ndarray, targets: np.ndarray, origins: np.ndarray | None = None
    ) -> None:
        """Move the T-cells of ``rows`` (standing on ``origins``, if known) to the empty,
        distinct mobile sites ``targets``."""
        if origins is None:
            origins = self.t_cells.site[rows]
        kinds = self.mobile_kind[origins]
        self.mobile_row[origins] = -1
        self.mobile_kind[origins] = MobileKind.EMPTY
        self.mobile_row[targets] = rows
        self.mobile_kind[targets] = kinds
        self.t_cells.site[rows] = targets

    def mobile_at(self, site: int) -> Agent | None:
        """The T-cell on ``site``, or ``None``."""
        row = self.mobile_row[site]
        return None if row < 0 else self.t_cells.cells[row]

    def empty_resident_neighbours(self, site: int) -> list[int]:
        """Neighbours of ``site`` with no resident cell.

        In the well-mixed limit (``well_mixed``) the "neighbours" are 8 distinct sites
        other than ``site``, drawn uniformly at random at each call: a dividing resident
        still needs one of 8 candidate sites empty, but space acts only through the total
        occupancy (the only draw of the model's Python generator this switch adds).
        """
        residents = self.residents
        if self.well_mixed:
            others = self._random.sample(range(self.n_sites - 1), len(MOORE_OFFSETS))
            candidates = [n + (n >= site) for n in others]  # skip the cell's own site
            return [n for n in candidates if residents[n] is None]
        return [n for n in self.neighbour_tuples[site] if residents[n] is None]

    def empty_mobile_neighbours(self, site: int) -> list[int]:
        """Neighbours of ``site`` with no T-cell."""
        mobile_row = self.mobile_row
        return [n for n in self.neighbour_tuples[site] if mobile_row[n] < 0]

    def random_empty_sites(
        self, kind_layer: np.ndarray, count: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Up to ``count`` distinct empty sites of a layer, chosen uniformly at random.

        Draws random sites and keeps the empty ones (cheap while the layer has room);
        falls back to listing every empty site when few are left.
        """
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        for _ in range(4):
            drawn = np.unique(rng.integers(0, self.n_sites, size=4 * count + 8))
            empty = drawn[kind_layer[drawn] == 0]
            if empty.size >= count:
                return rng.permutation(empty)[:count]
        empty = np.flatnonzero(kind_layer == 0)
        count = min(count, empty.size)
        return rng.choice(empty, size=count, replace=False)

    def border_sites(self) -> np.ndarray:
        """The sites on the edge of the grid (where cells enter a lymph node)."""
        x, y = np.divmod(np.arange(self.n_sites), self.height)
        on_border = (x == 0) | (x == self.width - 1) | (y == 0) | (y == self.height - 1)
        return np.flatnonzero(on_border)

    # --- fields ----------------------------------------------------------------------
    def release(self, site: int, cytokine: float, antigen: float) -> None:
        """A kill at ``site``: cytokine into the field and antigen debris on the site.

        Both land at the end of the step (in :meth:`update_fields`), so every T-cell sees
        the fields as they were when the step's encounters began.
        """
        self._released.append((site, cytokine, antigen))

    def update_fields(
        self, parameters: FieldParameters, hours: float, cytokine_release_factor: float = 1.0
    ) -> None:
        """Add this step's releases, then diffuse and decay both fields over ``hours``
        (numpy; skipped while both are zero).

        Only ``cytokine_release_factor`` (0-1) of the released cytokine is added (below 1
        while tocilizumab acts). Cytokine: each site passes a share ``1 - exp(-D h)`` of
        its content to its eight neighbours in equal parts, then decays with its
        half-life. Antigen debris does not move; it decays with its half-life. Both stay
        non-negative.
        """
        if self._released:
            released = np.array(self._released)
            sites = released[:, 0].astype(np.int64)
            if cytokine_release_factor != 1.0:
                released[:, 1] *= cytokine_release_factor
            np.add.at(self.cytokine, sites, released[:, 1])
            np.add.at(self.antigen, sites, released[:, 2])
            self._released.clear()
            self.fields_active = True
        if not self.fields_active:
            return
        spread = -math.expm1(-parameters.cytokine_diffusion_per_hour * hours)
        keep_cytokine = 0.5 ** (hours / parameters.cytokine_half_life_hours)
        keep_antigen = 0.5 ** (hours / parameters.antigen_half_life_hours)
        square = self.cytokine.reshape(self.width, self.height)
        if spread > 0.0:
            square += spread * (neighbour_mean(square) - square)
        self.cytokine *= keep_cytokine
        self.antigen *= keep_antigen
        cytokine_total = float(self.cytokine.sum())
        antigen_total = float(self.antigen.sum())
        if cytokine_total < QUIET_FIELD_TOTAL:
            self.cytokine[:] = 0.0
        if antigen_total < QUIET_FIELD_TOTAL:
            self.antigen[:] = 0.0
        self.fields_active = cytokine_total >= QUIET_FIELD_TOTAL or (
            antigen_total >= QUIET_FIELD_TOTAL
        )

    def systemic_cytokine(self) -> float:
        """The systemic cytokine level: the grid total, per 10,000 sites."""
        if not self.fields_active:
            return 0.0
        return float(self.cytokine.sum()) * SYSTEMIC_SCALE_SITES / self.n_sites

"""The tissue: Mesa property layers for two occupancy layers and two fields, plus fast
lookups.

Sites are numbered ``site = x * height + y``, so a flat view of any layer's ``(width,
height)`` array is indexed by site. The shape (:mod:`sim.geometry`) is a torus (the
marrow) or a bounded grid (a lymph node, whose edge is the capsule). Each site's Moore
neighbours are precomputed once: as an ``(n_sites, 8)`` array of move targets (for numpy;
on a bounded grid a direction off the grid gives the site itself) and as tuples of the
neighbours on the grid (for the rules on the agent classes, which look at one cell at a
time).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space.property_layer import PropertyLayer

from agents.kinds import MobileKind, ResidentKind
from sim.geometry import (
    MOORE_OFFSETS,
    chebyshev_distance,
    edge_sites,
    move_targets,
    neighbour_lists,
    on_grid_directions,
    step_fields,
)
from sim.parameters import FieldParameters
from sim.releases import ReleaseLog
from sim.t_cell_table import TCellTable

if TYPE_CHECKING:
    from mesa import Agent

AGENT_NOT_MADE = object()
"""In ``Tissue.residents``: a resident whose agent the compiled engine has not made yet
(:mod:`sim.unmade_residents`); :meth:`Tissue.resident_at` makes it when asked."""
QUIET_FIELD_TOTAL = 1e-6  # below this grid total a field is set to zero and left alone
SYSTEMIC_SCALE_SITES = 10_000  # systemic cytokine is stated per 10,000 sites


def _flat(layer: object) -> np.ndarray:
    """The flat (per-site) view of a Mesa property layer (``.data`` in 3.5, itself in 4)."""
    array = layer if isinstance(layer, np.ndarray) else layer.data  # type: ignore[attr-defined]
    return array.reshape(-1)


StepFields = Callable[
    [np.ndarray, np.ndarray, np.ndarray, float, float, float, float, bool], tuple[float, float]
]
"""``(cytokine square, antigen, released, release factor, spread, keep cytokine, keep
antigen, bounded) -> (cytokine total, antigen total)``: :func:`sim.geometry.step_fields`."""
NO_RELEASES = np.zeros((0, 3))
"""No release this step (rows of site, cytokine, antigen)."""

DrawEmptySites = Callable[[np.ndarray, int, np.random.Generator], "np.ndarray | None"]
"""``(kind_layer, count, rng) -> sites or None``: :func:`draw_empty_sites`."""


def draw_empty_sites(
    kind_layer: np.ndarray, count: int, rng: np.random.Generator
) -> np.ndarray | None:
    """``count`` distinct empty sites of a layer (a flat array by site), uniformly at
    random: up to four tries of ``4 * count + 8`` random sites, keeping the empty ones,
    shuffled; None when no try found enough (the caller lists every empty site then)."""
    for _ in range(4):
        drawn = np.unique(rng.integers(0, kind_layer.size, size=4 * count + 8))
        empty = drawn[kind_layer[drawn] == 0]
        if empty.size >= count:
            return rng.permutation(empty)[:count]
    return None


class Tissue:
    """A grid of sites with a resident and a mobile layer, and cytokine and antigen fields:
    a torus, or (``bounded``) a lymph node whose edge is the capsule (:mod:`sim.geometry`).

    Attributes:
        bounded: the grid has an edge (a lymph node) instead of wrapping around.
        layers: the four Mesa ``PropertyLayer`` objects by name (``resident_kind``,
            ``mobile_kind``, ``cytokine``, ``antigen``), each ``(width, height)``; the
            flat arrays below are views of them. No Mesa grid of cells is built: the
            tissue's own tables (``neighbours``, ``residents``, ``t_cells``) hold what
            its 10,000 ``Cell`` objects and their links would, and building those took
            0.16-0.3 s a model, more than a short run's steps.
        resident_kind: flat int8 array, the :class:`ResidentKind` of each site.
        mobile_kind: flat int8 array, the :class:`MobileKind` of each site.
        cytokine: flat float array, cytokine units per site.
        antigen: flat float array, antigen-debris units per site.
        residents: the resident agent of each site, or ``None`` (or
            :data:`AGENT_NOT_MADE`: the compiled engine makes it when asked for).
        resident_serial: flat int array, each site's resident's place in the order in
            which residents were made (1 for the first; 0: no resident). The residents of
            a kind in this order are Mesa's ``agents_by_type`` order (creation order). A
            resident moved by a push (:mod:`agents.mass_growth`) counts as placed anew;
            the compiled engine's residents without agents, which rely on this order, are
            not used with pushing (:func:`sim.compiled.residents_for`).
        mobile_row: flat int array, the row in ``t_cells`` of each site's T-cell, or -1.
        t_cells: the table of every T-cell's site and kind.
        neighbours: ``(n_sites, 8)`` int array, the site one move away in each of the
            eight directions; on a bounded grid, the site itself where the move would
            leave the grid (a T-cell stands there, so the move fails).
        neighbour_on_grid: ``(n_sites, 8)`` bool array, which entries of ``neighbours``
            are real neighbours; ``None`` on a torus (all are).
        neighbour_tuples: per site, its neighbours on the grid (8; on a bounded grid 5
            on an edge and 3 in a corner).
        move_tuples: per site, the row of ``neighbours`` as a tuple (what a T-cell's
            move picks from; the same as ``neighbour_tuples`` on a torus).
    """

    def __init__(
        self, width: int, height: int, random_source: random.Random, bounded: bool = False
    ) -> None:
        self.width = width
        self.height = height
        self.n_sites = width * height
        self.bounded = bounded
        shape = (width, height)
        self.layers = {
            "resident_kind": PropertyLayer("resident_kind", shape, 0, dtype=np.int8),
            "mobile_kind": PropertyLayer("mobile_kind", shape, 0, dtype=np.int8),
            "cytokine": PropertyLayer("cytokine", shape, 0.0, dtype=float),
            "antigen": PropertyLayer("antigen", shape, 0.0, dtype=float),
        }
        layers = self.layers
        self.resident_kind = _flat(layers["resident_kind"])
        self.mobile_kind = _flat(layers["mobile_kind"])
        self.cytokine = _flat(layers["cytokine"])
        self.antigen = _flat(layers["antigen"])
        self.residents: list[Agent | object | None] = [None] * self.n_sites
        self.resident_has_agent = np.zeros(self.n_sites, dtype=bool)
        """By site, whether ``residents`` holds its resident's agent (False: no resident,
        or :data:`AGENT_NOT_MADE`), for the kernels, which cannot read ``residents``."""
        self.resident_serial = np.zeros(self.n_sites, dtype=np.int64)
        self.residents_made = 0  # residents placed so far (the last serial)
        self.make_resident_agent: Callable[[int], Agent] | None = None
        """Makes the agent of a resident placed without one (:data:`AGENT_NOT_MADE`)."""
        self.make_resident_victim: Callable[[int], object] | None = None
        """Makes the stand-in of such a resident that a T-cell kills (:meth:`victim_at`)."""
        self.mobile_row = np.full(self.n_sites, -1, dtype=np.int64)
        self.t_cells = TCellTable()
        self.neighbours = move_targets(width, height, bounded)
        self.neighbour_on_grid = on_grid_directions(width, height) if bounded else None
        self.neighbour_tuples = neighbour_lists(self.neighbours, self.neighbour_on_grid)
        self.move_tuples = (
            neighbour_lists(self.neighbours, None) if bounded else self.neighbour_tuples
        )
        self.fields_active = False
        self.releases = ReleaseLog()  # this step's, in order: see release
        # the well-mixed limit (grid.well_mixed, a model check): see empty_resident_neighbours
        self.well_mixed = False
        self.draw_empty_sites: DrawEmptySites = draw_empty_sites
        """How random empty sites are drawn; the compiled engine puts its kernel here."""
        self._random = random_source
        # work space of the numpy walk (sim.movement), all "never" between uses
        self.scratch_claims = np.full(self.n_sites, np.iinfo(np.int64).max, dtype=np.int64)
        self.scratch_left_at = np.full(self.n_sites, np.iinfo(np.int64).max, dtype=np.int64)

    def coordinates(self, site: int) -> tuple[int, int]:
        """``(x, y)`` of a site."""
        return divmod(site, self.height)

    # --- what a rule may ask (agents.surroundings.TissueView) -------------------------
    def sites_around(self, site: int) -> tuple[int, ...]:
        """The neighbouring sites of ``site`` on the grid."""
        return self.neighbour_tuples[site]

    def move_options(self, site: int) -> tuple[int, ...]:
        """Where one move from ``site`` leads in each of the 8 directions (``site``
        itself off a bounded grid's edge)."""
        return self.move_tuples[site]

    def resident_at(self, site: int) -> Agent | None:
        """The resident cell on ``site``, or ``None``."""
        cell = self.residents[site]
        if cell is AGENT_NOT_MADE:
            return self.make_resident_agent(site)  # type: ignore[misc]
        return cell  # type: ignore[return-value]

    def victim_at(self, site: int) -> Agent | None:
        """The resident cell on ``site`` that a T-cell kills: :meth:`resident_at`, except
        that a resident placed without an agent is not made one only to die; it comes as
        a stand-in that is killed as its agent would be
        (:class:`sim.unmade_victims.UnmadeVictim`)."""
        cell = self.residents[site]
        if cell is AGENT_NOT_MADE:
            return self.make_resident_victim(site)  # type: ignore[misc,return-value]
        return cell  # type: ignore[return-value]

    def resident_kind_at(self, site: int) -> int:
        """The :class:`ResidentKind` on ``site`` (``EMPTY``: none)."""
        return int(self.resident_kind[site])

    def mobile_site(self, row: int) -> int:
        """The site of the T-cell in ``row``."""
        return int(self.t_cells.site[row])

    def antigen_at(self, site: int) -> float:
        """Antigen debris on ``site``."""
        return float(self.antigen[site])

    def move_mobile(self, row: int, target: int) -> None:
        """Move one T-cell to the empty mobile site ``target``."""
        self.move_mobiles(np.array([row]), np.array([target]))

    def random_empty_resident_sites(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``count`` distinct sites with no resident cell, uniformly at random."""
        return self.random_empty_sites(self.resident_kind, count, rng)

    def random_empty_mobile_sites(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``count`` distinct sites with no T-cell, uniformly at random."""
        return self.random_empty_sites(self.mobile_kind, count, rng)

    def distance_from(self, site: int, sites: np.ndarray) -> np.ndarray:
        """Moves (Chebyshev distance) from ``site`` to each of ``sites``; across the
        seams on a torus, within the grid on a bounded one."""
        return chebyshev_distance(self.width, self.height, self.bounded, site, sites)

    # --- occupancy -------------------------------------------------------------------
    def place_resident(self, agent: Agent, site: int, kind: ResidentKind) -> None:
        """Put a resident cell on an empty resident site."""
        if self.residents[site] is not None:
            raise ValueError(f"site {site} already holds a resident cell")
        self.residents[site] = agent
        self.resident_has_agent[site] = True
        self.resident_kind[site] = kind
        self.residents_made += 1
        self.resident_serial[site] = self.residents_made

    def clear_resident(self, site: int) -> None:
        """Empty the resident layer of a site."""
        self.residents[site] = None
        self.resident_has_agent[site] = False
        self.resident_kind[site] = ResidentKind.EMPTY
        self.resident_serial[site] = 0

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
        self.t_cells.fresh[row] = True
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

        Draws random sites and keeps the empty ones (:attr:`draw_empty_sites`, cheap while
        the layer has room); falls back to listing every empty site when few are left.
        """
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        chosen = self.draw_empty_sites(kind_layer, count, rng)
        if chosen is not None:
            return chosen
        empty = np.flatnonzero(kind_layer == 0)
        count = min(count, empty.size)
        return rng.choice(empty, size=count, replace=False)

    def border_sites(self) -> np.ndarray:
        """The sites on the outermost rows and columns: on a bounded grid (a lymph
        node) the sites under the capsule, where infused cells enter."""
        return edge_sites(self.width, self.height)

    # --- fields ----------------------------------------------------------------------
    def release(self, site: int, cytokine: float, antigen: float) -> None:
        """A kill at ``site``: cytokine into the field and antigen debris on the site.

        Both land at the end of the step (in :meth:`update_fields`), so every T-cell sees
        the fields as they were when the step's encounters began.
        """
        self.releases.add(site, cytokine, antigen)

    def update_fields(
        self,
        parameters: FieldParameters,
        hours: float,
        cytokine_release_factor: float = 1.0,
        step: StepFields = step_fields,
    ) -> float:
        """Add this step's releases, then diffuse and decay both fields over ``hours``
        (skipped while both are zero).

        Only ``cytokine_release_factor`` (0-1) of the released cytokine is added (below 1
        while tocilizumab acts). Cytokine: each site passes a share ``1 - exp(-D h)`` of
        its content to its eight neighbours in equal parts (on a bounded grid the part
        aimed across the edge is reflected back: no flux), then decays with its
        half-life. Antigen debris does not move; it decays with its half-life. Both stay
        non-negative. ``step`` does the releases, the diffusion and the decay
        (:func:`sim.geometry.step_fields`, or the engine's; see :mod:`sim.engine`) and
        gives the fields' totals. Returns the grid's cytokine total after the step (what
        :meth:`systemic_cytokine` would sum).
        """
        released = NO_RELEASES
        if len(self.releases):
            released = self.releases.take()  # a view, used before the next release
            self.fields_active = True
        if not self.fields_active:
            return 0.0
        spread = -math.expm1(-parameters.cytokine_diffusion_per_hour * hours)
        keep_cytokine = 0.5 ** (hours / parameters.cytokine_half_life_hours)
        keep_antigen = 0.5 ** (hours / parameters.antigen_half_life_hours)
        square = self.cytokine.reshape(self.width, self.height)
        cytokine_total, antigen_total = step(
            square, self.antigen, released, cytokine_release_factor, spread, keep_cytokine,
            keep_antigen, self.bounded,
        )  # fmt: skip
        if cytokine_total < QUIET_FIELD_TOTAL:
            self.cytokine[:] = 0.0
            cytokine_total = 0.0  # the sum of the zeroed field
        if antigen_total < QUIET_FIELD_TOTAL:
            self.antigen[:] = 0.0
        self.fields_active = cytokine_total >= QUIET_FIELD_TOTAL or (
            antigen_total >= QUIET_FIELD_TOTAL
        )
        return cytokine_total

    def systemic_cytokine(self) -> float:
        """The systemic cytokine level: the grid total, per 10,000 sites."""
        if not self.fields_active:
            return 0.0
        return self.systemic_level(float(self.cytokine.sum()))

    def systemic_level(self, cytokine_total: float) -> float:
        """The systemic cytokine level of a grid total (:meth:`update_fields` gives the
        total after a step): per 10,000 sites."""
        return cytokine_total * SYSTEMIC_SCALE_SITES / self.n_sites

"""What a cell's rule may ask of its surroundings: the whole interface between the rules
(``agents/``) and the model that steps them (``sim/``).

A rule sees the model as :class:`Surroundings` and the grid as :class:`TissueView`; the
model (:class:`sim.model.CarTModel`) and its tissue (:class:`sim.tissue.Tissue`) provide
them, and a test checks that they do. Nothing else of the model is the rules' business:
how T-cells are stored, how the walk is vectorised, how fields diffuse. Keeping this
narrow is what lets the engine change (a compiled step, a well-mixed check) while the
rules stay readable, and lets a test build a tiny tissue by hand.

Sites are whole numbers ``0 .. n_sites - 1``; a T-cell's ``row`` is its place in the
model's table of T-cells. Times are model steps (``hours_per_step`` hours each).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from agents.cell import ResidentCell, TCell

MOORE_NEIGHBOURS = 8
"""Sites around a site on the grid (the Moore neighbourhood: 8 on a torus; a site on a
bounded grid's edge has fewer on the grid, but a rate per neighbour is still per 8)."""


class TCellColumns(Protocol):
    """The T-cells' own numbers a rule keeps in the tissue's table of T-cells, by
    ``row`` (as their sites and kinds are kept there): a CAR T-cell's engaged hours,
    divisions along its line and last kill step (``agents.cell.NEVER``: none); every
    T-cell's kills and antigen stimulations."""

    engaged: np.ndarray
    generation: np.ndarray
    last_kill: np.ndarray
    kills: np.ndarray
    stimulations: np.ndarray


class TissueView(Protocol):
    """The grid as a rule sees it: who is where, what is free, what lies on a site."""

    n_sites: int
    """Sites on the grid."""
    width: int
    height: int
    bounded: bool
    """A bounded grid (a lymph node) or a torus (marrow)."""
    resident_kind: np.ndarray
    """Each site's resident kind (0: empty), indexed by site."""
    well_mixed: bool
    """The well-mixed limit (a model check): space acts only through total occupancy."""
    t_cells: TCellColumns
    """The T-cells' own numbers, by row (:class:`TCellColumns`)."""

    def distance_from(self, site: int, sites: np.ndarray) -> np.ndarray:
        """King's moves from ``site`` to each of ``sites`` (across the seams on a torus)."""
        ...

    def sites_around(self, site: int) -> tuple[int, ...]:
        """The neighbouring sites of ``site`` on the grid (8; fewer on a bounded edge)."""
        ...

    def move_options(self, site: int) -> tuple[int, ...]:
        """Where one move from ``site`` leads, one per direction (8); off a bounded grid's
        edge a direction gives ``site`` itself, so that move fails."""
        ...

    def coordinates(self, site: int) -> tuple[int, int]:
        """``(x, y)`` of a site."""
        ...

    def resident_at(self, site: int) -> ResidentCell | None:
        """The resident cell (blast, B-cell) on ``site``, or None."""
        ...

    def victim_at(self, site: int) -> ResidentCell | None:
        """The resident cell on ``site`` that a T-cell kills: as :meth:`resident_at`
        (the compiled engine may give a stand-in with its ``site``, ``kind``,
        ``inflammation_when_killed`` and ``die``, for a resident it placed without an
        agent)."""
        ...

    def resident_kind_at(self, site: int) -> int:
        """The kind of resident cell on ``site`` (:class:`agents.kinds.ResidentKind`;
        ``EMPTY``, 0, for none): asking the kind is cheaper than asking for the cell."""
        ...

    def mobile_at(self, site: int) -> TCell | None:
        """The T-cell on ``site``, or None."""
        ...

    def mobile_site(self, row: int) -> int:
        """The site of the T-cell in ``row``."""
        ...

    def antigen_at(self, site: int) -> float:
        """Antigen debris on ``site`` (units; one kill leaves ``car_t.antigen_per_kill``)."""
        ...

    def empty_resident_neighbours(self, site: int) -> list[int]:
        """Neighbours of ``site`` with no resident cell."""
        ...

    def empty_mobile_neighbours(self, site: int) -> list[int]:
        """Neighbours of ``site`` with no T-cell."""
        ...

    def random_empty_resident_sites(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``count`` distinct sites with no resident cell, uniformly at random."""
        ...

    def random_empty_mobile_sites(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``count`` distinct sites with no T-cell, uniformly at random."""
        ...

    def place_resident(self, agent: Any, site: int, kind: int) -> None:
        """Put a resident cell on an empty resident site."""
        ...

    def clear_resident(self, site: int) -> None:
        """Empty the resident layer of a site."""
        ...

    def place_mobile(self, agent: Any, site: int, kind: int) -> int:
        """Put a T-cell on an empty mobile site; returns its row."""
        ...

    def clear_mobile(self, row: int) -> None:
        """Take the T-cell of ``row`` off the grid."""
        ...

    def set_mobile_kind(self, row: int, kind: int) -> None:
        """The T-cell of ``row`` changed state."""
        ...

    def move_mobile(self, row: int, target: int) -> None:
        """Move the T-cell of ``row`` to the empty mobile site ``target``."""
        ...

    def release(self, site: int, cytokine: float, antigen: float) -> None:
        """A kill at ``site``: cytokine into the field and antigen debris on the site, both
        landing at the end of the step."""
        ...


class Census(Protocol):
    """Running counts the rules keep up to date as cells are born, change and die."""

    resident: list[int]
    """Resident cells by :class:`~agents.kinds.ResidentKind`."""
    mobile: list[int]
    """T-cells by :class:`~agents.kinds.MobileKind`."""
    b_cell_precursors: int
    """Healthy B-cells that are still precursors."""
    tcr_intact_donor_cells: int
    """Donor CAR T-cells that kept their TCR (graft-versus-host)."""


class EventBook(Protocol):
    """Booked events: a resident cell's next division or its death."""

    def schedule(self, step: int, callback: Callable[[], None]) -> None:
        """Call ``callback`` (a bound method) at model step ``step``."""
        ...


class TherapyState(Protocol):
    """What a rule needs to know of the therapy given so far."""

    alemtuzumab_active: bool
    """Alemtuzumab (anti-CD52) is in the blood: it kills cells that carry CD52."""
    native_t_recovering: bool
    """The host makes new T-cells (not while alemtuzumab acts)."""


class Surroundings(Protocol):
    """The model as a cell's rules see it.

    ``parameters`` is the run's scenario (:class:`sim.parameters.Scenario`: a rule reads
    its own table, e.g. ``parameters.car_t.kill_rate_per_day``) and ``chances`` the same
    rates as chances per step (:class:`sim.chances.StepChances`).
    """

    rng: np.random.Generator
    random: random.Random
    step_count: int
    """Steps since enrolment."""
    hours_per_step: float
    recent_kill_steps: int
    """A CAR T-cell that killed within this many steps has "just killed" (teaching)."""
    encounter_phase: int
    """Counts the steps' encounter phases: a T-cell changed in this phase is seen by the
    others from the next one."""
    parameters: Any
    chances: Any
    census: Census
    tissue: TissueView
    therapy: TherapyState
    resident_events: EventBook

    @property
    def rejection_possible(self) -> bool:
        """Host T-cells can turn against donor CAR T-cells now (donor arm, TCR present)."""
        ...

    def record_kill(self, target: ResidentCell | TCell, killer: str) -> None:
        """Note a kill (by ``"car_t"``, ``"taught"`` or ``"alloreactive"``) for the counts
        and the live view."""
        ...

    def record_teaching(self, cell: TCell) -> None:
        """Note that a native T-cell was taught."""
        ...

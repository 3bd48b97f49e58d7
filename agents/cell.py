"""What every cell shares: a site on the tissue, a kind written into a layer, and death.

Resident cells (blasts, B-cells) never move and act only at the moments the model has
scheduled for them (their next division, their death), so a resident that is doing
nothing costs nothing. Mobile cells (T-cells) take a step every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

from mesa import Agent

from agents import microenvironment
from agents.kinds import MobileKind, ResidentKind

if TYPE_CHECKING:
    from agents.surroundings import Surroundings


def steps_until(probability_per_step: float, uniform: float) -> int | None:
    """Steps until an event with a fixed chance per step first happens (geometric draw).

    ``uniform`` is a draw from [0, 1). Equivalent to asking "does it happen now?" every
    step, without the asking. ``None`` means never.
    """
    if probability_per_step <= 0.0:
        return None
    if probability_per_step >= 1.0:
        return 1
    return 1 + int(math.log1p(-uniform) / math.log1p(-probability_per_step))


def arrivals_this_step(model: Surroundings, per_day: float) -> int:
    """How many cells arrive in one step when they arrive at ``per_day`` a day (a Poisson
    number each step, of mean :func:`arrivals_mean`)."""
    return int(model.rng.poisson(arrivals_mean(model, per_day)))


def arrivals_mean(model: Surroundings, per_day: float) -> float:
    """The mean number of cells arriving in one step at ``per_day`` a day."""
    return per_day * model.hours_per_step / 24


NEVER = -(2**62)
"""The step of a kill that never happened (in the tissue's table of T-cells: see
:class:`agents.surroundings.TCellColumns`)."""


@dataclass(frozen=True)
class Triggers:
    """What next to a T-cell of one kind makes its ``interact`` rule worth calling.

    A neighbouring site counts if its resident is one of ``residents`` or its T-cell one of
    ``mobiles``; with ``antigen_at_least`` set, also antigen debris of at least that many
    units on the cell's own site or a neighbour. A declaration may let through a cell that
    then does nothing, but must name everything its rule can act on.
    """

    residents: frozenset[int] = frozenset()
    mobiles: frozenset[int] = frozenset()
    antigen_at_least: float | None = None


class ResidentCell(Agent):
    """A cell that stays on its site in the resident layer (a blast or a B-cell).

    ``born_step`` is the model step at which it was made (0: placed at set-up).
    """

    model: Surroundings

    def __init__(self, model: Surroundings, site: int, kind: ResidentKind) -> None:
        super().__init__(model)
        self.site = site
        self.kind = int(kind)
        self.alive = True
        self.born_step = model.step_count
        model.tissue.place_resident(self, site, kind)
        model.census.resident[kind] += 1

    @classmethod
    def made_later(cls, model: Surroundings, site: int, kind: int, born_step: int) -> Self:
        """The agent of a resident the engine placed, counted and booked without one (the
        compiled engine's cheap residents): only the agent is made, registered with the
        model; its site, count and booked events are already there."""
        cell = cls.__new__(cls)
        Agent.__init__(cell, model)
        cell.site = site
        cell.kind = int(kind)
        cell.alive = True
        cell.born_step = born_step
        return cell

    def schedule(self, probability_per_step: float, action_name: str) -> None:
        """Book ``action_name`` for the step when an event of this chance first happens."""
        wait = steps_until(probability_per_step, self.random.random())
        if wait is not None:
            self.model.resident_events.schedule(
                self.model.step_count + wait, getattr(self, action_name)
            )

    def die(self) -> None:
        """Leave the tissue (killed, or at the end of its life)."""
        if not self.alive:
            return
        self.alive = False
        self.model.tissue.clear_resident(self.site)
        self.model.census.resident[self.kind] -= 1
        self.remove()

    def scheduled_death(self) -> None:
        """The end of its natural life, booked when it was born."""
        self.die()

    def inflammation_when_killed(self) -> float:
        """The share of a killer's ``cytokine_per_kill`` its death releases (1: a blast,
        which dies by pyroptosis and sets off the macrophages)."""
        return 1.0


class TCell(Agent):
    """A mobile cell: it walks over the mobile layer, and meets the cells around it.

    Its site and kind live in the tissue's T-cell table (row ``self.row``), so that the
    model can move and screen all T-cells at once in numpy.

    A T-cell sees the other T-cells as they were when the step's encounters began: a cell
    born, or changed (say, just taught), during this step's encounters is seen from the
    next step (``changed_in_phase``).

    What an inspector shows: ``state`` (each kind says), ``kills`` (cells it has killed),
    ``stimulations`` (antigen stimulations counted toward exhaustion; 0 for kinds that do
    not count them) and ``born_step`` (the model step at which it was made).
    """

    model: Surroundings

    def __init__(
        self, model: Surroundings, site: int, kind: MobileKind, row: int | None = None
    ) -> None:
        """``row``: the T-cell table's row a kernel has already placed the cell in (site,
        kind and numbers written there, :mod:`agents.car_t_cell_division_kernels`): the
        agent is bound to it, not placed again; ``site`` is then its site there."""
        super().__init__(model)
        self.kind = int(kind)
        self.alive = True
        self.born_step = model.step_count
        if row is None:
            self.row = model.tissue.place_mobile(self, site, kind)  # kills, stimulations: 0
        else:
            self.row = row
            model.tissue.t_cells.cells[row] = self
        self.changed_in_phase = model.encounter_phase
        model.census.mobile[kind] += 1

    @property
    def site(self) -> int:
        """Its site on the tissue."""
        return self.model.tissue.mobile_site(self.row)

    # kills and stimulations live in the tissue's T-cell table (row ``self.row``), as its
    # site and kind do: the compiled engine's kernels count a CAR T-cell's kills there
    @property
    def kills(self) -> int:
        """Cells it has killed."""
        return int(self.model.tissue.t_cells.kills[self.row])

    @kills.setter
    def kills(self, count: int) -> None:
        self.model.tissue.t_cells.kills[self.row] = count

    @property
    def stimulations(self) -> int:
        """Its antigen stimulations (a CAR T-cell's kills and buds; 0 for kinds that do
        not count them)."""
        return int(self.model.tissue.t_cells.stimulations[self.row])

    @stimulations.setter
    def stimulations(self, count: int) -> None:
        self.model.tissue.t_cells.stimulations[self.row] = count

    @property
    def xy(self) -> tuple[int, int]:
        """``(x, y)`` of its site."""
        return self.model.tissue.coordinates(self.site)

    def change_kind(self, kind: MobileKind) -> None:
        """Switch state (effector, memory, exhausted, taught, ...) in the mobile layer too."""
        census = self.model.census.mobile
        census[self.kind] -= 1
        census[kind] += 1
        self.kind = int(kind)
        self.changed_in_phase = self.model.encounter_phase
        self.model.tissue.set_mobile_kind(self.row, kind)

    def move(self) -> None:
        """One move of the random walk: to a random neighbour, if no T-cell is there.

        Inside a hostile tumour a move onto a tumour site may fail
        (:func:`agents.microenvironment.move_fails`). This is the rule as one cell
        follows it. The model moves all T-cells at once with the same rule in numpy
        (:func:`sim.movement.walk`); a test checks that the two agree.
        """
        tissue = self.model.tissue
        # one of eight directions; one off a bounded grid gives its own site: no move
        target = self.random.choice(tissue.move_options(self.site))
        if microenvironment.move_fails(self.model, target):
            return  # dense, hostile tumour keeps it out (agents.microenvironment)
        if tissue.mobile_at(target) is None:
            tissue.move_mobile(self.row, target)

    def resident_neighbours(self, kinds: frozenset[int]) -> list[int]:
        """Neighbouring sites whose resident cell is one of ``kinds``."""
        tissue = self.model.tissue
        return [n for n in tissue.sites_around(self.site) if tissue.resident_kind_at(n) in kinds]

    def t_cell_neighbours(self, kinds: frozenset[int]) -> list[int]:
        """Neighbouring sites whose T-cell is one of ``kinds`` (as it was when the step's
        encounters began)."""
        tissue = self.model.tissue
        phase = self.model.encounter_phase
        return [
            n
            for n in tissue.sites_around(self.site)
            if (cell := tissue.mobile_at(n)) is not None
            and cell.kind in kinds
            and cell.changed_in_phase < phase
        ]

    def strike(self, sites: list[int], kill_chance: float) -> int | None:
        """With ``kill_chance``, pick one of ``sites`` to kill; ``None`` if no kill."""
        if not sites or self.random.random() >= kill_chance:
            return None
        return self.random.choice(sites)

    def divide(self) -> TCell | None:
        """Put a daughter on a random empty mobile neighbour; no room, no division."""
        free = self.model.tissue.empty_mobile_neighbours(self.site)
        if not free:
            return None
        return self.make_daughter(self.random.choice(free))

    def make_daughter(self, site: int) -> TCell:
        """The daughter cell at ``site`` (each kind of T-cell says what its daughters are)."""
        raise NotImplementedError

    def interact(self) -> None:
        """Act on the cells around it (kill, be taught, ...): each kind says how."""

    @classmethod
    def kinds(cls) -> tuple[MobileKind, ...]:
        """The mobile-layer codes of this class's cells (one per state and origin)."""
        raise NotImplementedError

    @classmethod
    def triggers(cls, kind: int, model: Surroundings) -> Triggers:
        """What next to a cell of ``kind`` its rule acts on, under the model's switches."""
        return Triggers()

    @classmethod
    def motility_of(cls, kind: int, model: Surroundings) -> tuple[float, float]:
        """``(sites per hour, chemotaxis bias)`` of a cell of ``kind``."""
        raise NotImplementedError

    @classmethod
    def divides_homeostatically(cls, kind: int) -> bool:
        """Whether a cell of ``kind`` divides during the homeostatic boost."""
        return False

    def death_probability(self) -> float:
        """Chance of dying in this step (each kind says how)."""
        return type(self).death_probability_of(self.kind, self.model)

    @classmethod
    def death_probability_of(cls, kind: int, model: Surroundings) -> float:
        """Chance per step that a cell of ``kind`` dies, in the model's present state."""
        raise NotImplementedError

    def die(self) -> None:
        """Leave the tissue."""
        if not self.alive:
            return
        self.alive = False
        self.model.tissue.clear_mobile(self.row)
        self.model.census.mobile[self.kind] -= 1
        self.remove()

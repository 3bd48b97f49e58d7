"""How the model makes and removes resident cells in bulk: every resident a Mesa agent
from birth (the reference engine's way, and the readable one).

The marrow makes B-cells, the residual compartment seeds blasts onto the grid and takes
blasts back from it, and a lymphodepletion course kills a share of each kind of
resident; they ask ``model.residents`` (:class:`Residents`) to do it. The compiled
engine's :class:`sim.unmade_residents.UnmadeResidents` does the same without making an
agent for each blast or B-cell it places, the same run bit for bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.healthy_b_cell import HealthyBCell
from agents.leukaemic_blast import LeukaemicBlast
from sim.events import EventQueue

if TYPE_CHECKING:
    from agents.cell import ResidentCell
    from sim.model import CarTModel


class Residents:
    """Resident cells as Mesa agents, made when they are born.

    Attributes:
        events: the queue of the residents' booked events (``model.resident_events``).
    """

    def __init__(self, model: CarTModel) -> None:
        self.model = model
        self.events = EventQueue()

    def place_blasts(self, sites: list[int], cd19_positive: bool) -> None:
        """A blast of the phenotype on each of ``sites`` (empty resident sites), in that
        order, each booking its division and death (:class:`LeukaemicBlast`)."""
        for site in sites:
            LeukaemicBlast(self.model, site, cd19_positive=cd19_positive)

    def seed_blasts(self, count: int, cd19_positive: bool) -> int:
        """Up to ``count`` (above 0) blasts of the phenotype on random empty resident
        sites (:meth:`sim.tissue.Tissue.random_empty_resident_sites`, from the model's
        ``rng``), placed in the order drawn (:meth:`place_blasts`); returns how many."""
        model = self.model
        sites = model.tissue.random_empty_resident_sites(count, model.rng).tolist()
        self.place_blasts(sites, cd19_positive)
        return len(sites)

    def place_b_cells(self, sites: list[int], precursor: bool) -> None:
        """A B-cell (a precursor, or a mature cell) on each of ``sites`` (empty resident
        sites), in that order, each booking its maturation or death
        (:class:`HealthyBCell`)."""
        for site in sites:
            HealthyBCell(self.model, site, precursor=precursor)

    def make_b_cells(self) -> int:
        """The marrow's production of one step (:meth:`HealthyBCell.replenish`)."""
        return HealthyBCell.replenish(self.model)

    def remove_random_blasts(self, count: int) -> list[bool]:
        """``count`` of the grid's blasts, chosen at random (numpy's ``choice`` without
        replacement over the blasts in the order they were made), die; returns, in that
        order, whether each was CD19-positive."""
        blasts = self.of_class(LeukaemicBlast)
        chosen = self.model.rng.choice(len(blasts), size=count, replace=False).tolist()
        phenotypes = []
        for index in chosen:
            blast = blasts[index]
            phenotypes.append(blast.cd19_positive)
            blast.die()
        return phenotypes

    def kill_share(self, cls: type[ResidentCell], share: float) -> int:
        """Each living resident of ``cls`` dies with chance ``share`` (one numpy draw
        each, in the order they were made); returns how many died."""
        cells = self.of_class(cls)
        dies = self.model.rng.random(len(cells)) < share
        for cell, chosen in zip(cells, dies.tolist(), strict=True):
            if chosen:
                cell.die()
        return int(dies.sum())

    def of_class(self, cls: type[ResidentCell]) -> list[ResidentCell]:
        """The living residents of ``cls``, in the order they were made."""
        return list(self.model.agents_by_type.get(cls, ()))

"""The leukaemic blast: a resident cell that divides into free space and may lose CD19."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents import mass_growth
from agents.cell import ResidentCell
from agents.kinds import ResidentKind

if TYPE_CHECKING:
    from agents.surroundings import Surroundings


class LeukaemicBlast(ResidentCell):
    """A B-ALL blast.

    Rules (rates per day in ``[leukaemia]``):
    - divides at ``division_rate_per_day`` into a random empty resident neighbour; with no
      empty neighbour it does not divide (the marrow is full around it), unless
      ``division_pushes`` (a lymphoma's mass): then it pushes the cells between it and the
      nearest empty site one site outward and its daughter takes the freed neighbour
      (:mod:`agents.mass_growth`);
    - a daughter is CD19-negative with chance ``cd19_loss_prob`` (antigen escape); the
      daughters of a CD19-negative blast are CD19-negative;
    - dies at ``death_rate_per_day``.

    Its next division and its death are booked when it is born, so a blast costs nothing
    in the steps between.
    """

    def __init__(self, model: Surroundings, site: int, cd19_positive: bool = True) -> None:
        kind = (
            ResidentKind.BLAST_CD19_POSITIVE if cd19_positive else ResidentKind.BLAST_CD19_NEGATIVE
        )
        super().__init__(model, site, kind)
        self.schedule(model.chances.blast_division, "divide")
        self.schedule(model.chances.blast_death, "scheduled_death")

    def divide(self) -> None:
        """Its booked division: a daughter on a free neighbour, then book the next one."""
        if not self.alive:
            return
        free = self.model.tissue.empty_resident_neighbours(self.site)
        site: int | None = None
        if free:
            site = self.random.choice(free)
        elif self.model.parameters.leukaemia.division_pushes and not self.model.tissue.well_mixed:
            site = mass_growth.push_site(self.model, self.site)  # growth inside a mass
        if site is not None:
            keeps_cd19 = self.cd19_positive and (
                self.random.random() >= self.model.parameters.leukaemia.cd19_loss_prob
            )
            LeukaemicBlast(self.model, site, cd19_positive=keeps_cd19)
        self.schedule(self.model.chances.blast_division, "divide")

    @property
    def cd19_positive(self) -> bool:
        """It carries CD19 (CAR T-cells can see it)."""
        return self.kind == ResidentKind.BLAST_CD19_POSITIVE

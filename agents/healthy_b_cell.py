"""The healthy B-cell: CD19-positive, so CAR T-cells kill it too (on-target, off-tumour)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.cell import ResidentCell
from agents.kinds import ResidentKind

if TYPE_CHECKING:
    from sim.model import CarTModel


class HealthyBCell(ResidentCell):
    """A normal B-cell of the marrow.

    Rules (``[b_cells]``):
    - lives ``lifespan_days`` on average (its death is booked at birth);
    - the marrow makes new ones into empty sites, ``regeneration_rate_per_day`` a day for
      each B-cell missing below the target count (``target_fraction`` of the sites); a
      marrow full of blasts has no room for them.
    """

    def __init__(self, model: CarTModel, site: int) -> None:
        super().__init__(model, site, ResidentKind.B_CELL)
        self.schedule(model.chances.b_cell_death, "scheduled_death")

    @classmethod
    def replenish(cls, model: CarTModel) -> int:
        """The marrow's production in one step; returns how many B-cells were made."""
        parameters = model.parameters.b_cells
        target = parameters.target_fraction * model.tissue.n_sites
        missing = target - model.census.resident[ResidentKind.B_CELL]
        if missing <= 0:
            return 0
        expected = missing * parameters.regeneration_rate_per_day * model.hours_per_step / 24
        births = int(model.rng.poisson(expected))
        sites = model.tissue.random_empty_sites(model.tissue.resident_kind, births, model.rng)
        for site in sites.tolist():
            cls(model, site)
        return len(sites)

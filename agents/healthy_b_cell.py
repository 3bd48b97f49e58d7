"""The healthy B-cell: CD19-positive, so CAR T-cells kill it too (on-target, off-tumour)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.cell import ResidentCell, arrival_sites
from agents.kinds import ResidentKind

if TYPE_CHECKING:
    from sim.model import CarTModel


class HealthyBCell(ResidentCell):
    """A normal B-cell of the marrow.

    Rules (``[b_cells]``):
    - lives ``lifespan_days`` on average (its death is booked at birth);
    - the marrow makes new ones into random empty sites: enough to replace the deaths of a
      full compartment (target count / lifespan a day), plus ``regeneration_rate_per_day``
      a day for each B-cell missing below the target count (``target_fraction`` of the
      sites), so the count settles at the target; a marrow full of blasts has no room.
    """

    def __init__(self, model: CarTModel, site: int) -> None:
        super().__init__(model, site, ResidentKind.B_CELL)
        self.schedule(model.chances.b_cell_death, "scheduled_death")

    @classmethod
    def replenish(cls, model: CarTModel) -> int:
        """The marrow's production in one step; returns how many B-cells were made."""
        parameters = model.parameters.b_cells
        target = parameters.target_fraction * model.tissue.n_sites
        missing = max(0.0, target - model.census.resident[ResidentKind.B_CELL])
        per_day = target / parameters.lifespan_days + missing * parameters.regeneration_rate_per_day
        sites = arrival_sites(model, per_day, model.tissue.resident_kind)
        for site in sites:
            cls(model, site)
        return len(sites)

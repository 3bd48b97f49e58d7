"""The healthy B-cell: CD19-positive, so CAR T-cells kill it too (on-target, off-tumour)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.cell import ResidentCell, arrivals_this_step
from agents.kinds import ResidentKind

if TYPE_CHECKING:
    from agents.surroundings import Surroundings

INFLUX_SCALE_SITES = 10_000  # the stem-cell influx is stated per 10,000 sites


class HealthyBCell(ResidentCell):
    """A normal B-cell of the marrow, first a dividing precursor, then a mature cell.

    Rules (``[b_cells]``; after León-Triana et al. 2021, where the B lineage is fed by
    CD19-positive precursors that CAR T-cells kill too):
    - a new B-cell is a CD19-positive *precursor*; it matures after ``maturation_days`` on
      average, then lives ``lifespan_days`` on average as a mature B-cell;
    - the marrow makes new precursors into random empty sites: a constant
      ``precursor_influx_per_day`` (per 10,000 sites) from CD19-negative stem cells, which
      CAR T-cells cannot see, plus divisions of the precursors present: each precursor
      makes (1 + ``precursor_feedback_gain`` x the share of the target count missing) new
      ones per ``maturation_days``, so the count settles at the target (``target_fraction``
      of the sites) and catches up after a loss;
    - CAR T-cells that kill the precursors cut the supply: while they persist, only the
      trickle from the stem cells is left (B-cell aplasia). A marrow full of blasts has no
      room for new B-cells;
    - a B-cell killed by a CAR T-cell releases ``cytokine_share_when_killed`` of the
      cytokine a blast's death releases (no pyroptosis).
    """

    def __init__(self, model: Surroundings, site: int, precursor: bool = True) -> None:
        super().__init__(model, site, ResidentKind.B_CELL)
        self.precursor = precursor
        if precursor:
            model.census.b_cell_precursors += 1
            self.schedule(model.chances.b_cell_maturation, "mature")
        else:
            self.schedule(model.chances.b_cell_death, "scheduled_death")

    def mature(self) -> None:
        """Its booked maturation: a mature B-cell from now, with its life ahead of it."""
        if not self.alive or not self.precursor:
            return
        self.precursor = False
        self.model.census.b_cell_precursors -= 1
        self.schedule(self.model.chances.b_cell_death, "scheduled_death")

    def inflammation_when_killed(self) -> float:
        """Killing a healthy B-cell inflames less than killing a blast
        (``cytokine_share_when_killed``): normal B-cells carry little gasdermin E, so they
        die without the pyroptosis that drives CRS (Liu et al. Sci Immunol 2020)."""
        return self.model.parameters.b_cells.cytokine_share_when_killed

    def die(self) -> None:
        """Leave the tissue (and the count of precursors)."""
        if self.alive and self.precursor:
            self.model.census.b_cell_precursors -= 1
        super().die()

    @classmethod
    def production_per_day(cls, model: Surroundings) -> float:
        """New precursors a day: the stem-cell influx plus the precursors' divisions."""
        parameters = model.parameters.b_cells
        n_sites = model.tissue.n_sites
        target = parameters.target_fraction * n_sites
        influx = parameters.precursor_influx_per_day * n_sites / INFLUX_SCALE_SITES
        precursors = model.census.b_cell_precursors
        if precursors == 0 or target <= 0:
            return influx if target > 0 else 0.0
        missing_share = 1.0 - model.census.resident[ResidentKind.B_CELL] / target
        per_precursor = max(0.0, 1.0 + parameters.precursor_feedback_gain * missing_share)
        return influx + precursors * per_precursor / parameters.maturation_days

    @classmethod
    def birth_sites(cls, model: Surroundings) -> list[int]:
        """Where the marrow's production of one step goes: a Poisson number of new
        precursors (:meth:`production_per_day`), at random empty resident sites."""
        arrivals = arrivals_this_step(model, cls.production_per_day(model))
        return model.tissue.random_empty_resident_sites(arrivals, model.rng).tolist()

    @classmethod
    def replenish(cls, model: Surroundings) -> int:
        """The marrow's production in one step; returns how many B-cells were made."""
        sites = cls.birth_sites(model)
        for site in sites:
            cls(model, site)
        return len(sites)

    @classmethod
    def precursor_share_at_rest(cls, model: Surroundings) -> float:
        """Share of precursors in a steady B lineage: maturation / (maturation + life)."""
        parameters = model.parameters.b_cells
        return parameters.maturation_days / (parameters.maturation_days + parameters.lifespan_days)

"""A resident placed without an agent, killed by a T-cell without making its agent.

The compiled engine places most blasts and B-cells without a Mesa agent
(:mod:`sim.unmade_residents`). A T-cell's kill (:meth:`agents.car_t_cell.CarTCell.kill`,
:meth:`agents.native_t_cell.NativeTCell.kill_blast`) asks the tissue for its victim
(:meth:`sim.tissue.Tissue.victim_at`); for such a resident it gets an
:class:`UnmadeVictim`, which answers what the kill asks of the victim (its ``site``,
``kind`` and ``inflammation_when_killed``, by its class's own rule) and dies as its
agent would (:meth:`UnmadeResidents.remove_unmade`: the tissue and the census, the
precursors' count). Making the agent only to let it die cost a Mesa agent's
registration and removal on every such kill.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.healthy_b_cell import HealthyBCell
from agents.kinds import ResidentKind
from agents.leukaemic_blast import LeukaemicBlast

if TYPE_CHECKING:
    from sim.model import CarTModel
    from sim.unmade_residents import UnmadeResidents


class UnmadeVictim:
    """The resident on ``site`` (placed without an agent) as its killer sees it."""

    __slots__ = ("_residents", "kind", "model", "site")

    def __init__(self, residents: UnmadeResidents, site: int) -> None:
        self.model: CarTModel = residents.model
        self.site = site
        self.kind = int(residents.model.tissue.resident_kind[site])
        self._residents = residents

    def inflammation_when_killed(self) -> float:
        """Its class's :meth:`agents.cell.ResidentCell.inflammation_when_killed`."""
        cls = HealthyBCell if self.kind == ResidentKind.B_CELL else LeukaemicBlast
        return cls.inflammation_when_killed(self)  # type: ignore[arg-type]

    def die(self) -> None:
        """Leave the tissue, as its agent's ``die`` would have."""
        self._residents.remove_unmade(self.site)

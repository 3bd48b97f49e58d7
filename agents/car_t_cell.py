"""The CAR T-cell: kills CD19-positive cells, expands on antigen, exhausts, contracts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from agents.cell import TCell, Triggers
from agents.kinds import CD19_POSITIVE_RESIDENTS, MobileKind

if TYPE_CHECKING:
    from agents.cell import ResidentCell
    from sim.model import CarTModel

Origin = Literal["autologous", "donor"]
State = Literal["effector", "memory", "exhausted"]

_KIND = {
    ("autologous", "effector"): MobileKind.CAR_T_EFFECTOR,
    ("autologous", "memory"): MobileKind.CAR_T_MEMORY,
    ("autologous", "exhausted"): MobileKind.CAR_T_EXHAUSTED,
    ("donor", "effector"): MobileKind.DONOR_CAR_T_EFFECTOR,
    ("donor", "memory"): MobileKind.DONOR_CAR_T_MEMORY,
    ("donor", "exhausted"): MobileKind.DONOR_CAR_T_EXHAUSTED,
}
_ORIGIN_STATE = {kind: key for key, kind in _KIND.items()}


class CarTCell(TCell):
    """A T-cell with a chimeric antigen receptor for CD19.

    Rules (``[car_t]``, rates per day):
    - walks at random over free mobile sites (``motility_sites_per_hour``);
    - an *effector* next to a CD19-positive cell (blast or B-cell) kills one at
      ``kill_rate_per_day`` x product fitness, at most one a step;
    - a kill stimulates it: it divides into a free neighbour with chance
      ``division_prob_per_kill``, releases ``cytokine_per_kill`` and leaves
      ``antigen_per_kill`` of debris at the dead cell's site;
    - after ``exhaustion_kills`` stimulations (counted along the lineage: a daughter
      inherits its mother's count) it is *exhausted*: no killing, no division, faster death;
    - effectors die at the contraction rate (``effector_half_life_days``); a daughter is a
      *memory* cell with chance ``memory_fraction``: it dies slowly and turns back into a
      fresh effector when it touches a CD19-positive cell;
    - during the homeostatic boost after lymphodepletion, effectors also divide at
      ``homeostatic_division_rate_per_day``;
    - donor cells only: a cell that kept its TCR adds to the graft-versus-host score, and
      host T-cells may turn against it (see ``NativeTCell``); while alemtuzumab is in the
      blood it kills CAR T-cells that carry CD52 (all but CD52-knockout donor cells).
    """

    def __init__(
        self,
        model: CarTModel,
        site: int,
        origin: Origin = "autologous",
        state: State = "effector",
        stimulations: int = 0,
        tcr_intact: bool = False,
    ) -> None:
        super().__init__(model, site, _KIND[origin, state])
        self.origin: Origin = origin
        self.stimulations = stimulations
        self.tcr_intact = tcr_intact
        self.last_kill_step: int | None = None
        if tcr_intact:
            model.census.tcr_intact_donor_cells += 1

    @property
    def state(self) -> State:
        """``effector``, ``memory`` or ``exhausted``."""
        return _ORIGIN_STATE[MobileKind(self.kind)][1]

    def become(self, state: State) -> None:
        """Change state."""
        self.change_kind(_KIND[self.origin, state])

    def interact(self) -> None:
        """Effectors kill a CD19-positive neighbour; memory cells wake up on one."""
        state = self.state
        if state == "exhausted":
            return
        targets = self.resident_neighbours(CD19_POSITIVE_RESIDENTS)
        if not targets:
            return
        if state == "memory":
            self.stimulations = 0
            self.become("effector")
            return
        site = self.strike(targets, self.model.chances.car_t_kill)
        if site is not None:
            self.kill(self.model.tissue.residents[site])  # type: ignore[arg-type]

    def kill(self, target: ResidentCell) -> None:
        """Kill ``target``, then respond to the stimulation."""
        self.model.record_kill(target, killer="car_t")
        parameters = self.model.parameters.car_t
        self.model.tissue.release(
            target.site, parameters.cytokine_per_kill, parameters.antigen_per_kill
        )
        target.die()
        self.kills += 1
        self.stimulations += 1
        self.last_kill_step = self.model.step_count
        if self.random.random() < parameters.division_prob_per_kill:
            self.divide()
        if self.stimulations >= parameters.exhaustion_kills:
            self.become("exhausted")

    def has_just_killed(self) -> bool:
        """It killed within the last ``teaching.recent_kill_hours``."""
        last = self.last_kill_step
        return last is not None and self.model.step_count - last < self.model.recent_kill_steps

    def make_daughter(self, site: int) -> CarTCell:
        """An effector (or, with chance ``memory_fraction``, a memory cell) of the lineage."""
        becomes_memory = self.random.random() < self.model.parameters.car_t.memory_fraction
        return CarTCell(
            self.model,
            site,
            origin=self.origin,
            state="memory" if becomes_memory else "effector",
            stimulations=self.stimulations,
            tcr_intact=self.tcr_intact,
        )

    def die(self) -> None:
        """Leave the tissue (and the graft-versus-host count)."""
        if self.alive and self.tcr_intact:
            self.model.census.tcr_intact_donor_cells -= 1
        super().die()

    @classmethod
    def death_probability_of(cls, kind: MobileKind, model: CarTModel) -> float:
        """Contraction, memory or exhaustion death, plus alemtuzumab for CD52+ cells."""
        origin, state = _ORIGIN_STATE[MobileKind(kind)]
        chances = model.chances
        base = {
            "effector": chances.car_t_effector_death,
            "memory": chances.car_t_memory_death,
            "exhausted": chances.car_t_exhausted_death,
        }[state]
        cd52_knocked_out = origin == "donor" and model.parameters.therapy.cd52_knockout
        if model.therapy.alemtuzumab_active and not cd52_knocked_out:
            return 1.0 - (1.0 - base) * (1.0 - chances.alemtuzumab_car_t_death)
        return base

    @classmethod
    def kinds(cls) -> tuple[MobileKind, ...]:
        """Its six codes: three states, autologous or donor."""
        return tuple(_KIND.values())

    @classmethod
    def triggers(cls, kind: int, model: CarTModel) -> Triggers:
        """Effectors and memory cells act on a CD19-positive neighbour; exhausted ones never."""
        if cls.state_of(kind) == "exhausted":
            return Triggers()
        return Triggers(residents=CD19_POSITIVE_RESIDENTS)

    @classmethod
    def motility_of(cls, kind: int, model: CarTModel) -> tuple[float, float]:
        """``motility_sites_per_hour`` and ``chemotaxis_bias`` of ``[car_t]``."""
        parameters = model.parameters.car_t
        return parameters.motility_sites_per_hour, parameters.chemotaxis_bias

    @classmethod
    def state_of(cls, kind: int) -> State:
        """The state a mobile-layer code stands for."""
        return _ORIGIN_STATE[MobileKind(kind)][1]

    @classmethod
    def divides_homeostatically(cls, kind: int) -> bool:
        """Which cells the homeostatic boost makes divide: effectors."""
        return cls.state_of(kind) == "effector"

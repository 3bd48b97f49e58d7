"""The CAR T-cell: kills CD19-positive cells, expands on antigen, exhausts, contracts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from agents import microenvironment
from agents.cell import NEVER, TCell, Triggers
from agents.kinds import CD19_POSITIVE_RESIDENTS, MobileKind
from agents.surroundings import MOORE_NEIGHBOURS

if TYPE_CHECKING:
    from agents.cell import ResidentCell
    from agents.surroundings import Surroundings

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
      ``division_prob_per_kill`` x product fitness (at most 1: a poor product kills and
      proliferates less, Fraietta et al. Nat Med 2018), releases ``cytokine_per_kill`` (a
      blast; less for a healthy B-cell, see ``HealthyBCell``) and leaves
      ``antigen_per_kill`` of debris at the dead cell's site;
    - exhaustion is driven by the time engaged with antigen (Sahoo 2020): every hour an
      effector spends next to CD19-positive cells adds (CD19+ neighbours / 8) hours to its
      ``engaged_hours``, kill or no kill; its daughters inherit the count (the exhaustion
      programme is imprinted on the line); at ``exhaustion_engaged_hours`` it is
      *exhausted*: no killing, no division, faster death;
    - effectors die at the contraction rate (``effector_half_life_days``); a daughter is a
      *memory* cell with chance ``memory_fraction`` x (1 - engaged / exhaustion hours):
      a line driven hard by antigen makes fewer memory cells;
    - a memory cell is a self-renewing reservoir: it dies slowly
      (``memory_half_life_days``), never kills, and next to a CD19-positive cell buds a
      fresh effector (engaged 0 h) into a free neighbour at ``memory_budding_rate_per_day``
      x product fitness, staying a memory cell itself; with
      ``memory_exhaustion_engaged_hours`` set, its own time engaged with antigen counts as
      an effector's does, and at that many hours it is exhausted (chronic antigen wears
      out the reservoir: a heavy leukaemia burden uses it up faster);
    - the reservoir can run out (functional persistence differs by product and is lost
      in many patients within a year: Fraietta et al. Nat Med 2018; Mueller et al. Clin
      Cancer Res 2018): budding needs at least ``budding_min_cd19_neighbours`` CD19+
      neighbours (enough local antigen to recall it), and with ``memory_bud_limit`` set a
      memory cell buds at most that many effectors in its life (a finite self-renewal
      budget) and is exhausted after its last; the product's memory share is the
      patient's draw (``patient.memory_share_factor`` on ``memory_fraction``);
    - replicative senescence: ``generation`` counts the divisions along the cell's line
      since infusion (a division or a bud ages mother and daughter by one); with
      ``replicative_limit`` set, a cell that has reached it no longer divides or buds, and
      a memory cell there is exhausted. Human T-cells stop dividing after a finite number
      of doublings (Perillo et al. J Immunol 1989; Effros & Pawelec Immunol Today 1997),
      so a line that keeps renewing on B-cell precursors for months runs out, sooner
      where it was driven harder: the reservoir itself is finite, not only each cell;
    - inside a hostile tumour (a lymphoma mass, :mod:`agents.microenvironment`) an
      effector kills less and its engaged hours count more toward exhaustion, in
      proportion to the tumour around it and the patient's hostility;
    - during the homeostatic boost after lymphodepletion, effectors also divide at
      ``homeostatic_division_rate_per_day``;
    - donor cells only: a cell that kept its TCR adds to the graft-versus-host score, and
      host T-cells may turn against it (see ``NativeTCell``); while alemtuzumab is in the
      blood it kills CAR T-cells that carry CD52 (all but CD52-knockout donor cells).

    ``stimulations`` counts the cell's own antigen stimulations (kills and buds), for the
    inspector; it does not drive exhaustion. ``buds`` counts a memory cell's buds.
    """

    def __init__(
        self,
        model: Surroundings,
        site: int,
        origin: Origin = "autologous",
        state: State = "effector",
        engaged_hours: float = 0.0,
        tcr_intact: bool = False,
        row: int | None = None,
    ) -> None:
        """``row``: a row of the T-cell table a kernel has already filled (engaged hours,
        generation, last kill included): the cell is bound to it (see :meth:`bound_to`)."""
        super().__init__(model, site, _KIND[origin, state], row)
        self.origin: Origin = origin
        self.tcr_intact = tcr_intact
        self.buds = 0
        if row is None:
            self.engaged_hours = engaged_hours
            self.last_kill_step = None
            self.generation = 0
        if tcr_intact:
            model.census.tcr_intact_donor_cells += 1

    @classmethod
    def bound_to(cls, model: Surroundings, row: int, origin: Origin, tcr_intact: bool) -> CarTCell:
        """The agent of a daughter the compiled engine's encounter kernel has made as a row
        of the T-cell table (:func:`agents.car_t_cell_division_kernels.divide_after_kill`:
        its site, kind, engaged hours, generation written there): registered with the
        model, counted in the census and bound to ``row``, as :meth:`make_daughter`'s
        ``CarTCell(...)`` would have made it."""
        table = model.tissue.t_cells
        state = _ORIGIN_STATE[MobileKind(int(table.kind[row]))][1]
        site = int(table.site[row])
        return cls(model, site, origin, state, tcr_intact=tcr_intact, row=row)

    # engaged hours, divisions along the line and last kill live in the tissue's T-cell
    # table (row ``self.row``), as its site and kind do: the compiled engine's kernels
    # read and change them there, with no copy to and from the cell
    @property
    def engaged_hours(self) -> float:
        """Hours of full engagement with CD19-positive cells so far (drives exhaustion)."""
        return float(self.model.tissue.t_cells.engaged[self.row])

    @engaged_hours.setter
    def engaged_hours(self, hours: float) -> None:
        self.model.tissue.t_cells.engaged[self.row] = hours

    @property
    def generation(self) -> int:
        """Divisions along its line since infusion."""
        return int(self.model.tissue.t_cells.generation[self.row])

    @generation.setter
    def generation(self, divisions: int) -> None:
        self.model.tissue.t_cells.generation[self.row] = divisions

    @property
    def last_kill_step(self) -> int | None:
        """The step of its last kill (None: none yet)."""
        step = int(self.model.tissue.t_cells.last_kill[self.row])
        return None if step == NEVER else step

    @last_kill_step.setter
    def last_kill_step(self, step: int | None) -> None:
        self.model.tissue.t_cells.last_kill[self.row] = NEVER if step is None else step

    @property
    def state(self) -> State:
        """``effector``, ``memory`` or ``exhausted``."""
        return _ORIGIN_STATE[MobileKind(self.kind)][1]

    def become(self, state: State) -> None:
        """Change state."""
        self.change_kind(_KIND[self.origin, state])

    def interact(self) -> None:
        """Effectors kill a CD19-positive neighbour and tire; memory cells bud effectors."""
        state = self.state
        if state == "exhausted":
            return
        targets = self.resident_neighbours(CD19_POSITIVE_RESIDENTS)
        if not targets:
            return
        model = self.model
        suppression = microenvironment.suppression_at(model, self.site)
        engaged = len(targets) / MOORE_NEIGHBOURS * model.hours_per_step  # full-engagement h
        self.engaged_hours += engaged * microenvironment.exhaustion_factor(model, suppression)
        if state == "memory":
            if len(targets) >= model.parameters.car_t.budding_min_cd19_neighbours:
                self.bud()
            limit = model.parameters.car_t.memory_exhaustion_engaged_hours
            if limit is not None and self.engaged_hours >= limit:
                self.become("exhausted")
            return
        self.signal(engaged)
        kill = microenvironment.kill_chance(model, model.chances.car_t_kill, suppression)
        site = self.strike(targets, kill)
        if site is not None:
            self.kill(model.tissue.victim_at(site))  # type: ignore[arg-type]
        if self.engaged_hours >= model.parameters.car_t.exhaustion_engaged_hours and self.alive:
            self.become("exhausted")

    def signal(self, engaged_hours: float) -> None:
        """An engaged effector secretes cytokine, killing or not: IFN-gamma and GM-CSF
        that make monocytes release IL-6 and IL-1 (Giavridis et al. Nat Med 2018;
        Norelli et al. Nat Med 2018). ``car_t.cytokine_per_engaged_hour`` per hour of full
        engagement (every neighbour CD19+), so more with more targets around it; 0
        (the default) leaves CRS to the kills alone."""
        per_hour = self.model.parameters.car_t.cytokine_per_engaged_hour
        if per_hour > 0.0:
            self.model.tissue.release(self.site, per_hour * engaged_hours, 0.0)

    def bud(self) -> CarTCell | None:
        """A memory cell on antigen: with the budding chance, a fresh effector daughter on a
        free neighbour; the memory cell stays as it is. A senescent memory cell is
        exhausted instead."""
        if self.senescent():
            self.become("exhausted")
            return None
        if self.random.random() >= self.model.chances.car_t_memory_budding:
            return None
        free = self.model.tissue.empty_mobile_neighbours(self.site)
        if not free:
            return None
        self.stimulations += 1
        self.buds += 1
        self.generation += 1
        daughter = CarTCell(
            self.model,
            self.random.choice(free),
            origin=self.origin,
            state="effector",
            tcr_intact=self.tcr_intact,
        )
        daughter.generation = self.generation
        limit = self.model.parameters.car_t.memory_bud_limit
        if (limit is not None and self.buds >= limit) or self.senescent():
            self.become("exhausted")  # its self-renewal budget is spent
        return daughter

    def senescent(self) -> bool:
        """Its line has made ``car_t.replicative_limit`` divisions: it divides no more."""
        limit = self.model.parameters.car_t.replicative_limit
        return limit is not None and self.generation >= limit

    def divide(self) -> TCell | None:
        """Divide as any T-cell does, unless the line is senescent; mother and daughter
        are one generation older."""
        if self.senescent():
            return None
        daughter = super().divide()
        if daughter is not None:
            self.generation += 1
            daughter.generation = self.generation  # type: ignore[attr-defined]
        return daughter

    def kill(self, target: ResidentCell) -> None:
        """Kill ``target``, then respond to the stimulation."""
        self.model.record_kill(target, killer="car_t")
        parameters = self.model.parameters.car_t
        cytokine = parameters.cytokine_per_kill * target.inflammation_when_killed()
        self.model.tissue.release(target.site, cytokine, parameters.antigen_per_kill)
        target.die()
        self.kills += 1
        self.stimulations += 1
        self.last_kill_step = self.model.step_count
        if self.random.random() < self.model.chances.car_t_division_per_kill:
            self.divide()

    def has_just_killed(self) -> bool:
        """It killed within the last ``teaching.recent_kill_hours``."""
        last = self.last_kill_step
        return last is not None and self.model.step_count - last < self.model.recent_kill_steps

    def make_daughter(self, site: int) -> CarTCell:
        """An effector of the lineage with the mother's engaged hours (or, with chance
        ``memory_fraction``, a memory cell)."""
        parameters = self.model.parameters.car_t
        rested = max(0.0, 1.0 - self.engaged_hours / parameters.exhaustion_engaged_hours)
        becomes_memory = self.random.random() < parameters.memory_fraction * rested
        return CarTCell(
            self.model,
            site,
            origin=self.origin,
            state="memory" if becomes_memory else "effector",
            engaged_hours=0.0 if becomes_memory else self.engaged_hours,
            tcr_intact=self.tcr_intact,
        )

    def die(self) -> None:
        """Leave the tissue (and the graft-versus-host count)."""
        if self.alive and self.tcr_intact:
            self.model.census.tcr_intact_donor_cells -= 1
        super().die()

    @classmethod
    def death_probability_of(cls, kind: MobileKind, model: Surroundings) -> float:
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
    def triggers(cls, kind: int, model: Surroundings) -> Triggers:
        """Effectors and memory cells act on a CD19-positive neighbour; exhausted ones never."""
        if cls.state_of(kind) == "exhausted":
            return Triggers()
        return Triggers(residents=CD19_POSITIVE_RESIDENTS)

    @classmethod
    def motility_of(cls, kind: int, model: Surroundings) -> tuple[float, float]:
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

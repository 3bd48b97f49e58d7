"""The native T-cell: the patient's own T-cell, which can be taught or turn on the graft."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from agents.cell import TCell, Triggers, arrivals_this_step
from agents.kinds import BLASTS, CAR_T_KINDS, DONOR_CAR_T_KINDS, MobileKind

if TYPE_CHECKING:
    from agents.surroundings import Surroundings

State = Literal["naive", "taught", "alloreactive"]

_KIND = {
    "naive": MobileKind.NATIVE_NAIVE,
    "taught": MobileKind.NATIVE_TAUGHT,
    "alloreactive": MobileKind.NATIVE_ALLOREACTIVE,
}
_STATE = {kind: state for state, kind in _KIND.items()}
TAUGHT = frozenset({MobileKind.NATIVE_TAUGHT})


class CloneLine:
    """The divisions on kills a line of cells (a cell and all its daughters) has made, in
    all: one object shared by the whole line, so a limit caps the line, not each cell."""

    __slots__ = ("divisions",)

    def __init__(self, divisions: int = 0) -> None:
        self.divisions = divisions


class NativeTCell(TCell):
    """An unmodified T-cell of the patient (host).

    Rules (``[native_t]``, ``[teaching]``, ``[rejection]``):
    - walks at random; after lymphodepletion the population grows back toward its normal
      size (``recovery_rate_per_day`` per missing cell), over weeks;
    - *teaching* (a switchable hypothesis): a *naive* cell next to fresh antigen debris,
      or next to a CAR T-cell that has just killed, becomes *taught* with chance
      ``teaching.prob_per_hour`` per hour; next to a taught cell, with the lower
      ``teaching.secondary_prob_per_hour``;
    - a *taught* cell kills a neighbouring blast, CD19-positive or negative, at
      ``taught_kill_rate_per_day`` (less than a CAR T-cell) and may divide on a kill; it
      dies with ``taught_half_life_days``;
    - *rejection* (donor arm): a naive cell next to a donor CAR T-cell becomes
      *alloreactive* with chance ``rejection.prob_per_hour`` per hour; it then kills donor
      CAR T-cells it meets at ``rejection.kill_rate_per_day`` and may divide on a kill;
    - the alloresponse is primed and limited: an alloreactive cell kills only
      ``rejection.priming_delay_days`` after its line first met donor cells (a primary
      response needs days to make cytotoxic effectors), its line (the cell that turned
      and all its daughters) divides at most ``rejection.max_clone_divisions`` times in
      all, counting only divisions that made a daughter (a clone's burst is limited), and it
      contracts with ``rejection.alloreactive_half_life_days``;
    - alemtuzumab (CD52) removes host T-cells of every state while it is in the blood.
    """

    def __init__(
        self,
        model: Surroundings,
        site: int,
        state: State = "naive",
        primed_step: int | None = None,
        line: CloneLine | None = None,
    ) -> None:
        super().__init__(model, site, _KIND[state])
        self.primed_step = primed_step  # the step its line turned alloreactive
        self.line = CloneLine() if line is None else line  # shared with its daughters

    @property
    def clone_divisions(self) -> int:
        """Divisions on kills its whole line has made (daughters made, not attempts)."""
        return self.line.divisions

    @property
    def state(self) -> State:
        """``naive``, ``taught`` or ``alloreactive``."""
        return _STATE[MobileKind(self.kind)]

    def become(self, state: State) -> None:
        """Change state."""
        self.change_kind(_KIND[state])

    def interact(self) -> None:
        """Be taught or turn alloreactive (naive), or kill (taught, alloreactive)."""
        state = self.state
        if state == "naive":
            self.learn()
        elif state == "taught":
            self.kill_blast()
        else:
            self.reject_donor_cell()

    def learn(self) -> None:
        """A naive cell: teaching first, then (donor arm) rejection."""
        model = self.model
        chances = model.chances
        if model.parameters.teaching.enabled:
            if self.sees_fresh_kill() and self.random.random() < chances.teaching:
                self.become("taught")
                model.record_teaching(self)
                return
            if self.t_cell_neighbours(TAUGHT) and self.random.random() < chances.secondary_teaching:
                self.become("taught")
                model.record_teaching(self)
                return
        if (
            model.rejection_possible
            and self.t_cell_neighbours(DONOR_CAR_T_KINDS)
            and self.random.random() < chances.rejection
        ):
            self.become("alloreactive")
            self.primed_step = model.step_count
            self.line = CloneLine()  # a new alloreactive line starts here

    def sees_fresh_kill(self) -> bool:
        """Fresh antigen debris on or next to its site, or a CAR T-cell that just killed."""
        tissue = self.model.tissue
        threshold = self.model.parameters.teaching.fresh_debris_threshold
        if tissue.antigen_at(self.site) >= threshold:
            return True
        if any(tissue.antigen_at(n) >= threshold for n in tissue.sites_around(self.site)):
            return True
        return any(
            tissue.mobile_at(site).has_just_killed()  # type: ignore[union-attr]
            for site in self.t_cell_neighbours(CAR_T_KINDS)
        )

    def kill_blast(self) -> None:
        """A taught cell kills a neighbouring blast (CD19-positive or not); may divide."""
        model = self.model
        site = self.strike(self.resident_neighbours(BLASTS), model.chances.taught_kill)
        if site is None:
            return
        blast = model.tissue.victim_at(site)
        model.record_kill(blast, killer="taught")  # type: ignore[arg-type]
        model.tissue.release(
            site,
            model.parameters.native_t.taught_cytokine_per_kill,
            model.parameters.car_t.antigen_per_kill,
        )
        blast.die()  # type: ignore[union-attr]
        self.kills += 1
        if self.random.random() < model.parameters.native_t.taught_division_prob_per_kill:
            self.divide()

    def reject_donor_cell(self) -> None:
        """An alloreactive cell kills a neighbouring donor CAR T-cell; may divide."""
        model = self.model
        rejection = model.parameters.rejection
        if not self.primed(rejection.priming_delay_days):
            return
        site = self.strike(self.t_cell_neighbours(DONOR_CAR_T_KINDS), model.chances.rejection_kill)
        if site is None:
            return
        donor_cell = model.tissue.mobile_at(site)
        model.record_kill(donor_cell, killer="alloreactive")  # type: ignore[arg-type]
        donor_cell.die()  # type: ignore[union-attr]
        self.kills += 1
        if self.random.random() < rejection.alloreactive_division_prob_per_kill:
            limit = rejection.max_clone_divisions
            if (limit is None or self.line.divisions < limit) and self.divide() is not None:
                self.line.divisions += 1  # only a division that made a daughter counts

    def primed(self, delay_days: float) -> bool:
        """Its line turned alloreactive at least ``delay_days`` ago (always, with no delay)."""
        if delay_days <= 0.0 or self.primed_step is None:
            return True
        hours = (self.model.step_count - self.primed_step) * self.model.hours_per_step
        return hours >= delay_days * 24.0

    def make_daughter(self, site: int) -> NativeTCell:
        """A daughter in the same state and line (its priming time and the line's shared
        division count)."""
        return NativeTCell(self.model, site, self.state, self.primed_step, self.line)

    @classmethod
    def death_probability_of(cls, kind: MobileKind, model: Surroundings) -> float:
        """Naive cells are kept at their normal size; taught and alloreactive cells contract
        (``taught_half_life_days``, ``rejection.alloreactive_half_life_days``);
        while alemtuzumab is in the blood, every host T-cell (CD52+) also dies at
        ``lymphodepletion.alemtuzumab_native_t_death_rate_per_day``."""
        base = {
            MobileKind.NATIVE_NAIVE: 0.0,
            MobileKind.NATIVE_TAUGHT: model.chances.taught_death,
            MobileKind.NATIVE_ALLOREACTIVE: model.chances.alloreactive_death,
        }[MobileKind(kind)]
        if model.therapy.alemtuzumab_active:
            return 1.0 - (1.0 - base) * (1.0 - model.chances.alemtuzumab_native_t_death)
        return base

    @classmethod
    def kinds(cls) -> tuple[MobileKind, ...]:
        """Its three codes: naive, taught, alloreactive."""
        return tuple(_KIND.values())

    @classmethod
    def triggers(cls, kind: int, model: Surroundings) -> Triggers:
        """Naive: (teaching on) fresh debris, a CAR T-cell or a taught cell; (donor cells
        present) a donor CAR T-cell. Taught: a blast. Alloreactive: a donor CAR T-cell."""
        state = _STATE[MobileKind(kind)]
        if state == "taught":
            return Triggers(residents=BLASTS)
        if state == "alloreactive":
            return Triggers(mobiles=DONOR_CAR_T_KINDS)
        teaching = model.parameters.teaching
        mobiles: frozenset[int] = frozenset()
        if teaching.enabled:
            mobiles |= CAR_T_KINDS | TAUGHT
        if model.rejection_possible:
            mobiles |= DONOR_CAR_T_KINDS
        debris = teaching.fresh_debris_threshold if teaching.enabled else None
        return Triggers(mobiles=mobiles, antigen_at_least=debris)

    @classmethod
    def motility_of(cls, kind: int, model: Surroundings) -> tuple[float, float]:
        """``native_t.motility_sites_per_hour``; no chemotaxis."""
        return model.parameters.native_t.motility_sites_per_hour, 0.0

    @classmethod
    def recover(cls, model: Surroundings) -> int:
        """New naive cells in one step, toward the normal count; returns how many."""
        if not model.therapy.native_t_recovering:
            return 0
        parameters = model.parameters.native_t
        normal = parameters.normal_fraction * model.tissue.n_sites
        present = sum(model.census.mobile[kind] for kind in _KIND.values())
        missing = normal - present
        if missing <= 0:
            return 0
        per_day = missing * parameters.recovery_rate_per_day
        arrivals = arrivals_this_step(model, per_day)
        sites = model.tissue.random_empty_mobile_sites(arrivals, model.rng).tolist()
        for site in sites:
            cls(model, site)
        return len(sites)

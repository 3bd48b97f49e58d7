"""The Mesa model: a patch of marrow (or lymph node) where CAR T-cells meet leukaemia.

One step lasts ``time.hours_per_step`` hours. In a step, in this order:

1. at the first step of a day, the day's therapy events (bridging chemotherapy, a
   lymphodepletion dose, the infusion);
2. the resident cells' booked divisions and deaths (:mod:`sim.events`);
3. the marrow makes B-cells and the host makes T-cells toward their normal counts;
4. every T-cell walks (numpy, :mod:`sim.movement`); then, in a random order, each
   T-cell with something next to it acts on it (its ``interact`` rule); then
   homeostatic divisions and deaths (the chance of each comes from the cell's class);
5. the cytokine and antigen fields diffuse and decay (numpy);
6. the graft-versus-host score and the day's cytokine peak are updated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mesa
import numpy as np

from agents.car_t_cell import CarTCell
from agents.cell import ResidentCell, TCell
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import (
    CAR_T_KINDS,
    IS_BLAST,
    IS_CAR_T,
    IS_CD19_POSITIVE,
    IS_DONOR_CAR_T,
    MobileKind,
    ResidentKind,
    kind_table,
)
from agents.leukaemic_blast import LeukaemicBlast
from agents.native_t_cell import NativeTCell
from sim.events import EventQueue
from sim.movement import moves_this_step, walk
from sim.parameters import (
    Scenario,
    half_life_to_rate_per_day,
    hourly_to_step_probability,
    step_probability,
)
from sim.timeline import TherapyPlan, plan_therapy
from sim.tissue import Tissue

IS_ACTIVE_CAR_T = kind_table(
    frozenset(k for k in CAR_T_KINDS if CarTCell.state_of(k) in ("effector", "memory")),
    len(MobileKind),
)
IS_HOMEOSTATIC_DIVIDER = kind_table(
    frozenset(k for k in CAR_T_KINDS if CarTCell.divides_homeostatically(k)), len(MobileKind)
)


@dataclass(frozen=True)
class StepChances:
    """Every per-day rate and per-hour chance of the scenario, as a chance per step."""

    blast_division: float
    blast_death: float
    b_cell_death: float
    car_t_kill: float
    car_t_effector_death: float
    car_t_memory_death: float
    car_t_exhausted_death: float
    car_t_homeostatic_division: float
    alemtuzumab_car_t_death: float
    taught_kill: float
    taught_death: float
    teaching: float
    secondary_teaching: float
    rejection: float
    rejection_kill: float

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> StepChances:
        """Convert with p = 1 - exp(-rate x dt) (and 1 - (1 - p_hour)^hours)."""
        hours = scenario.time.hours_per_step
        car_t = scenario.car_t
        native = scenario.native_t

        def per_step(rate_per_day: float) -> float:
            return step_probability(rate_per_day, hours)

        def from_half_life(days: float) -> float:
            return per_step(half_life_to_rate_per_day(days))

        return cls(
            blast_division=per_step(scenario.leukaemia.division_rate_per_day),
            blast_death=per_step(scenario.leukaemia.death_rate_per_day),
            b_cell_death=per_step(1.0 / scenario.b_cells.lifespan_days),
            car_t_kill=per_step(car_t.kill_rate_per_day * scenario.therapy.product_fitness),
            car_t_effector_death=from_half_life(car_t.effector_half_life_days),
            car_t_memory_death=from_half_life(car_t.memory_half_life_days),
            car_t_exhausted_death=from_half_life(car_t.exhausted_half_life_days),
            car_t_homeostatic_division=per_step(car_t.homeostatic_division_rate_per_day),
            alemtuzumab_car_t_death=per_step(
                scenario.lymphodepletion.alemtuzumab_car_t_death_rate_per_day
            ),
            taught_kill=per_step(native.taught_kill_rate_per_day),
            taught_death=from_half_life(native.taught_half_life_days),
            teaching=hourly_to_step_probability(scenario.teaching.prob_per_hour, hours),
            secondary_teaching=hourly_to_step_probability(
                scenario.teaching.secondary_prob_per_hour, hours
            ),
            rejection=hourly_to_step_probability(scenario.rejection.prob_per_hour, hours),
            rejection_kill=per_step(scenario.rejection.kill_rate_per_day),
        )


@dataclass
class Census:
    """Running counts, kept up to date by the cells themselves as they change."""

    resident: list[int] = field(default_factory=lambda: [0] * len(ResidentKind))
    mobile: list[int] = field(default_factory=lambda: [0] * len(MobileKind))
    tcr_intact_donor_cells: int = 0
    kills_by_car_t: int = 0
    kills_by_taught: int = 0
    b_cells_killed_by_car_t: int = 0
    cd19_negative_blasts_killed: int = 0
    rejection_kills: int = 0
    teaching_events: int = 0

    @property
    def blasts(self) -> int:
        """Blasts of either CD19 status."""
        return (
            self.resident[ResidentKind.BLAST_CD19_POSITIVE]
            + self.resident[ResidentKind.BLAST_CD19_NEGATIVE]
        )

    @property
    def car_t(self) -> int:
        """CAR T-cells of every state and origin."""
        return sum(self.mobile[kind] for kind in CAR_T_KINDS)


class CarTModel(mesa.Model):
    """CAR T-cell therapy of B-cell leukaemia on a grid.

    Args:
        scenario: the validated parameters (see :mod:`sim.parameters`).
        seed: the run's seed; the same scenario and seed give the same run, bit for bit.
        screen_contacts: let only T-cells with something next to them call ``interact``
            (an optimisation; ``False`` calls it for every T-cell and gives the same run).
    """

    def __init__(self, scenario: Scenario, seed: int, screen_contacts: bool = True) -> None:
        super().__init__(rng=seed)
        self.parameters = scenario
        self.seed = seed
        self.screen_contacts = screen_contacts
        self.hours_per_step = scenario.time.hours_per_step
        self.steps_per_day = round(24 / self.hours_per_step)
        self.recent_kill_steps = max(
            1, math.ceil(scenario.teaching.recent_kill_hours / self.hours_per_step - 1e-9)
        )
        self.step_count = 0
        self.encounter_phase = 0  # counts the steps' encounter phases (see TCell)
        self.chances = StepChances.from_scenario(scenario)
        self.census = Census()
        self.resident_events = EventQueue()
        self.tissue = Tissue(scenario.grid.width, scenario.grid.height, self.random)
        self.plan: TherapyPlan = plan_therapy(scenario.therapy, scenario.lymphodepletion, self.rng)
        self.alemtuzumab_active = False
        self.native_t_recovering = True
        self.homeostatic_boost_until_step = -1
        self.cytokine_peak_today = 0.0
        self.gvhd_score = 0.0
        self.blasts_at_infusion: int | None = None
        self._contacts = self._contact_table()
        self._death_chances = np.zeros(len(MobileKind))  # by kind, while alemtuzumab is ...
        self._death_chances_for: bool | None = None  # ... in (True) or out (False)
        self._seed_tissue()
        self.b_cells_at_start = self.census.resident[ResidentKind.B_CELL]

    # --- set-up ----------------------------------------------------------------------
    def _seed_tissue(self) -> None:
        """Day 0: blasts (scattered, or a dense mass), B-cells and naive T-cells."""
        leukaemia = self.parameters.leukaemia
        tissue = self.tissue
        n_blasts = round(leukaemia.initial_blast_fraction * tissue.n_sites)
        if leukaemia.dense_mass:
            blast_sites = self._central_disc(n_blasts)
        else:
            blast_sites = self.rng.choice(tissue.n_sites, size=n_blasts, replace=False)
        n_negative = round(leukaemia.initial_cd19_negative_fraction * n_blasts)
        if leukaemia.cd19_negative_clustered:
            order = np.argsort(self._distance_from(int(blast_sites[0]), blast_sites))
            negative = set(blast_sites[order[:n_negative]].tolist())
        else:
            negative = set(self.rng.choice(blast_sites, size=n_negative, replace=False).tolist())
        for site in blast_sites.tolist():
            LeukaemicBlast(self, site, cd19_positive=site not in negative)
        n_b_cells = round(self.parameters.b_cells.target_fraction * tissue.n_sites)
        for site in tissue.random_empty_sites(tissue.resident_kind, n_b_cells, self.rng).tolist():
            HealthyBCell(self, site)
        n_t_cells = round(self.parameters.native_t.normal_fraction * tissue.n_sites)
        for site in tissue.random_empty_sites(tissue.mobile_kind, n_t_cells, self.rng).tolist():
            NativeTCell(self, site)

    def _distance_from(self, site: int, sites: np.ndarray) -> np.ndarray:
        """Torus distance (Chebyshev) from one site to many."""
        tissue = self.tissue
        x0, y0 = tissue.coordinates(site)
        x, y = np.divmod(sites, tissue.height)
        dx = np.abs(x - x0)
        dy = np.abs(y - y0)
        return np.maximum(np.minimum(dx, tissue.width - dx), np.minimum(dy, tissue.height - dy))

    def _central_disc(self, count: int) -> np.ndarray:
        """The ``count`` sites nearest the centre (a dense tumour mass)."""
        tissue = self.tissue
        x, y = np.divmod(np.arange(tissue.n_sites), tissue.height)
        distance = np.hypot(x - tissue.width / 2, y - tissue.height / 2)
        distance += self.rng.random(tissue.n_sites) * 1e-3
        return np.argsort(distance)[:count]

    # --- time ------------------------------------------------------------------------
    @property
    def day(self) -> float:
        """Days since enrolment."""
        return self.step_count / self.steps_per_day

    @property
    def rejection_possible(self) -> bool:
        """Host T-cells can reject the product: donor cells are present."""
        return self.plan.arm == "donor" and self.plan.infused

    def step(self) -> None:
        """Advance the model by one step of ``hours_per_step`` hours."""
        if self.step_count % self.steps_per_day == 0:
            self._start_of_day(self.step_count // self.steps_per_day)
        self.step_count += 1
        self.resident_events.run_due(self.step_count)
        HealthyBCell.replenish(self)
        NativeTCell.recover(self)
        self._step_t_cells()
        self.tissue.t_cells.recycle()
        self.tissue.update_fields(self.parameters.fields, self.hours_per_step)
        self.cytokine_peak_today = max(self.cytokine_peak_today, self.tissue.systemic_cytokine())
        if self.census.tcr_intact_donor_cells:
            self.gvhd_score += (
                self.census.tcr_intact_donor_cells
                * self.parameters.therapy.gvhd_rate_per_day
                * self.hours_per_step
                / 24
            )

    def run_day(self) -> None:
        """Advance one whole day."""
        self.cytokine_peak_today = self.tissue.systemic_cytokine()
        for _ in range(self.steps_per_day):
            self.step()

    def _start_of_day(self, day: int) -> None:
        plan = self.plan
        ld = self.parameters.lymphodepletion
        if day in plan.bridging_days:
            self.bridging_chemotherapy()
        if day in plan.lymphodepletion_days:
            self.lymphodepletion_dose()
        if day == plan.infusion_day:
            self.infuse()
        if plan.infusion_day is not None and ld.alemtuzumab and plan.lymphodepletion_days:
            window_end = plan.infusion_day + ld.alemtuzumab_recovery_delay_days
            self.alemtuzumab_active = plan.lymphodepletion_days[0] <= day < window_end
            self.native_t_recovering = not self.alemtuzumab_active

    # --- therapy events --------------------------------------------------------------
    def _kill_share(self, cells: list[ResidentCell] | list[TCell], share: float) -> int:
        chosen = self.rng.random(len(cells)) < share
        for cell, dies in zip(cells, chosen.tolist(), strict=True):
            if dies:
                cell.die()
        return int(chosen.sum())

    def _per_dose(self, share_over_course: float, doses: int) -> float:
        return 1.0 - (1.0 - share_over_course) ** (1.0 / doses)

    def _residents(self, kind: type[ResidentCell]) -> list[ResidentCell]:
        return list(self.agents_by_type.get(kind, ()))

    def bridging_chemotherapy(self) -> None:
        """Bridging chemotherapy: kills a share of the blasts."""
        share = self.parameters.therapy.bridging_blast_kill_fraction
        self._kill_share(self._residents(LeukaemicBlast), share)

    def lymphodepletion_dose(self) -> None:
        """One day of fludarabine/cyclophosphamide (and alemtuzumab): kills shares of cells."""
        ld = self.parameters.lymphodepletion
        doses = len(self.plan.lymphodepletion_days)
        t_share = self._per_dose(ld.native_t_kill_fraction, doses)
        if ld.alemtuzumab:
            extra = self._per_dose(ld.alemtuzumab_native_t_kill_fraction, doses)
            t_share = 1.0 - (1.0 - t_share) * (1.0 - extra)
        natives = [cell for cell in self.t_cells() if isinstance(cell, NativeTCell)]
        self._kill_share(natives, t_share)
        self._kill_share(
            self._residents(HealthyBCell), self._per_dose(ld.b_cell_kill_fraction, doses)
        )
        self._kill_share(
            self._residents(LeukaemicBlast), self._per_dose(ld.blast_kill_fraction, doses)
        )
        boost_days = self.parameters.car_t.homeostatic_boost_days
        last_dose_end = (self.plan.lymphodepletion_days[-1] + 1) * self.steps_per_day
        self.homeostatic_boost_until_step = last_dose_end + round(boost_days * self.steps_per_day)

    def infuse(self) -> None:
        """The CAR T-cells go in: at random free sites, or from the border of a node."""
        therapy = self.parameters.therapy
        self.blasts_at_infusion = self.census.blasts
        tissue = self.tissue
        dose = self.parameters.car_t.dose_cells
        if therapy.entry == "border":
            border = tissue.border_sites()
            free = border[tissue.mobile_kind[border] == 0]
            sites = self.rng.choice(free, size=min(dose, free.size), replace=False)
        else:
            sites = tissue.random_empty_sites(tissue.mobile_kind, dose, self.rng)
        origin = "donor" if self.plan.arm == "donor" else "autologous"
        keeps_tcr = self.rng.random(sites.size) >= therapy.tcr_knockout_efficiency
        for site, tcr_intact in zip(sites.tolist(), keeps_tcr.tolist(), strict=True):
            CarTCell(self, site, origin=origin, tcr_intact=origin == "donor" and tcr_intact)

    def record_kill(self, target: ResidentCell | TCell, killer: str) -> None:
        """Count a kill by ``killer`` (``car_t``, ``taught`` or ``alloreactive``)."""
        census = self.census
        if killer == "alloreactive":
            census.rejection_kills += 1
            return
        if killer == "car_t":
            census.kills_by_car_t += 1
            if target.kind == ResidentKind.B_CELL:
                census.b_cells_killed_by_car_t += 1
        else:
            census.kills_by_taught += 1
        if target.kind == ResidentKind.BLAST_CD19_NEGATIVE:
            census.cd19_negative_blasts_killed += 1

    # --- T-cells ---------------------------------------------------------------------
    def t_cells(self) -> list[TCell]:
        """The living T-cells, in table order."""
        table = self.tissue.t_cells
        return [table.cells[row] for row in table.live_rows().tolist()]  # type: ignore[misc]

    def _step_t_cells(self) -> None:
        table = self.tissue.t_cells
        rows = table.live_rows()
        if rows.size == 0:
            return
        self.encounter_phase += 1
        kinds = table.kind[rows]
        self._walk(rows, kinds)
        order = self.rng.permutation(rows.size)
        if self.screen_contacts:
            if self._nobody_can_act():
                order = order[:0]
            else:
                order = order[self._has_contact(table.site[rows], kinds)[order]]
        cells = table.cells
        for row in rows[order].tolist():
            cell = cells[row]
            if cell.alive:  # type: ignore[union-attr]
                cell.interact()  # type: ignore[union-attr]
        kinds = table.kind[rows]  # after this step's changes; 0 for cells that died
        self._homeostatic_divisions(rows, kinds)
        self._deaths(rows, kinds)

    def _walk(self, rows: np.ndarray, kinds: np.ndarray) -> None:
        """Move every T-cell (numpy), CAR T-cells and native cells at their own speeds."""
        car_t = IS_CAR_T[kinds]
        hours = self.hours_per_step
        speed = np.where(
            car_t,
            self.parameters.car_t.motility_sites_per_hour * hours,
            self.parameters.native_t.motility_sites_per_hour * hours,
        )
        bias = np.where(car_t, self.parameters.car_t.chemotaxis_bias, 0.0)
        walk(self.tissue, rows, moves_this_step(speed, self.rng), bias, self.rng)

    def _contact_table(self) -> np.ndarray:
        """``table[own kind, resident kind * n + mobile kind]``: would a T-cell of its own
        kind act on a neighbour holding these? Built once from the rules' triggers."""
        n_mobile = len(MobileKind)
        table = np.zeros((n_mobile, len(ResidentKind), n_mobile), dtype=bool)
        for own in CAR_T_KINDS:
            if CarTCell.state_of(own) in ("effector", "memory"):
                table[own, IS_CD19_POSITIVE, :] = True
        naive = MobileKind.NATIVE_NAIVE
        if self.parameters.teaching.enabled:
            table[naive, :, IS_CAR_T] = True
            table[naive, :, MobileKind.NATIVE_TAUGHT] = True
        if self.rejection_possible:
            table[naive, :, IS_DONOR_CAR_T] = True
        table[MobileKind.NATIVE_TAUGHT, IS_BLAST, :] = True
        table[MobileKind.NATIVE_ALLOREACTIVE, :, IS_DONOR_CAR_T] = True
        return table.reshape(n_mobile, -1)

    def _nobody_can_act(self) -> bool:
        """Only naive T-cells, no CAR T-cells and no debris: no rule can fire."""
        mobile = self.census.mobile
        return not self.tissue.fields_active and sum(mobile) == mobile[MobileKind.NATIVE_NAIVE]

    def _has_contact(self, sites: np.ndarray, kinds: np.ndarray) -> np.ndarray:
        """Which T-cells have a neighbour their ``interact`` rule could act on.

        A screen, not a rule: it may let through a cell that then does nothing, but never
        holds back one that would act (a test runs with and without it).
        """
        tissue = self.tissue
        around = tissue.neighbours[sites]
        pair = tissue.resident_kind[around] * len(MobileKind) + tissue.mobile_kind[around]
        contact = self._contacts[kinds[:, None], pair].any(axis=1)
        if self.parameters.teaching.enabled and tissue.fields_active:
            naive = np.flatnonzero(kinds == MobileKind.NATIVE_NAIVE)
            threshold = self.parameters.teaching.fresh_debris_threshold
            near = np.column_stack([around[naive], sites[naive]])
            contact[naive] |= (tissue.antigen[near] >= threshold).any(axis=1)
        return contact

    def _homeostatic_divisions(self, rows: np.ndarray, kinds: np.ndarray) -> None:
        """During the boost after lymphodepletion, CAR T-cells divide at the homeostatic rate."""
        if self.step_count > self.homeostatic_boost_until_step:
            return
        candidates = rows[IS_HOMEOSTATIC_DIVIDER[kinds]]
        divides = self.rng.random(candidates.size) < self.chances.car_t_homeostatic_division
        cells = self.tissue.t_cells.cells
        for row in candidates[divides].tolist():
            cells[row].divide()  # type: ignore[union-attr]

    def _deaths(self, rows: np.ndarray, kinds: np.ndarray) -> None:
        """Each T-cell dies with the chance its class gives for its present state."""
        if self._death_chances_for != self.alemtuzumab_active:
            self._death_chances_for = self.alemtuzumab_active
            for kind in MobileKind:
                if kind != MobileKind.EMPTY:
                    cls = CarTCell if kind in CAR_T_KINDS else NativeTCell
                    self._death_chances[kind] = cls.death_probability_of(kind, self)
        dies = self.rng.random(rows.size) < self._death_chances[kinds]
        cells = self.tissue.t_cells.cells
        for row in rows[dies].tolist():
            cells[row].die()  # type: ignore[union-attr]

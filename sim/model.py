"""The Mesa model: a patch of marrow (or lymph node) where CAR T-cells meet leukaemia.

The model wires the parts and steps them; the behaviour sits on the classes that own it
(the cells in ``agents/``, the treatments in :mod:`sim.therapy`). One step lasts
``time.hours_per_step`` hours. In a step, in this order:

1. at the first step of a day, the day's therapy events (bridging chemotherapy, a
   lymphodepletion dose, the infusion; :meth:`sim.therapy.Therapy.start_of_day`);
2. the resident cells' booked divisions and deaths (:mod:`sim.events`);
3. the marrow makes B-cells and the host makes T-cells toward their normal counts;
4. every T-cell walks (numpy, :mod:`sim.movement`); then, in a random order, each
   T-cell with something next to it acts on it (its ``interact`` rule, screened by
   :mod:`sim.contacts`); then homeostatic divisions and deaths (the chance of each
   comes from the cell's class);
5. the residual compartment beyond the grid grows, meets the CAR T-cells the grid
   measures and seeds blasts onto it (:mod:`sim.residual`);
6. the cytokine and antigen fields take their releases, diffuse and decay (numpy, or a kernel);
7. the graft-versus-host score and the day's cytokine peak are updated.

Between steps, the live view may give a treatment now (:meth:`CarTModel.infuse_now`,
:meth:`CarTModel.lymphodepletion_now`, :meth:`CarTModel.tocilizumab_now`) or switch
teaching (:meth:`CarTModel.set_teaching`); ``recent_events`` lists the latest kills and
teachings (:class:`sim.events.CellEvent`).
"""

from __future__ import annotations

import math
from collections import deque
from itertools import groupby

import mesa
import numpy as np

from agents import microenvironment
from agents.cell import ResidentCell, TCell
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import ResidentKind
from agents.native_t_cell import NativeTCell
from sim.census import Census
from sim.chances import StepChances
from sim.contacts import ContactScreen, by_kind
from sim.engine import DEFAULT_ENGINE, make_engine
from sim.events import KILL_EVENT, RECENT_EVENTS_KEPT, CellEvent
from sim.movement import mix, moves_this_step, walk
from sim.parameters import Scenario
from sim.patient import effective_scenario
from sim.therapy import Therapy
from sim.timeline import TherapyPlan
from sim.tissue import Tissue


class CarTModel(mesa.Model):
    """CAR T-cell therapy of B-cell leukaemia on a grid.

    Args:
        scenario: the validated parameters (see :mod:`sim.parameters`).
        seed: the run's seed; the same scenario and seed give the same run, bit for bit.
            It also draws the run's virtual patient (:mod:`sim.patient`); ``parameters``
            is the scenario as that patient (``patient`` holds the draws).
        screen_contacts: let only T-cells with something next to them call ``interact``
            (an optimisation; ``False`` calls it for every T-cell and gives the same run).
        engine: ``reference`` (the readable numpy code) or ``compiled`` (numba kernels,
            the same run; :mod:`sim.engine`).

    Attributes:
        therapy: the treatments (:class:`sim.therapy.Therapy`), with the run's ``plan``.
        census: running counts of cells, kills and teachings.
        recent_events: the latest :data:`sim.events.RECENT_EVENTS_KEPT` cell events
            (kills, teachings), oldest first.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        screen_contacts: bool = True,
        engine: str = DEFAULT_ENGINE,
    ) -> None:
        super().__init__(rng=seed)
        self.engine = make_engine(engine)
        # the run's own patient (sim.patient), drawn on a stream of its own
        scenario, self.patient = effective_scenario(scenario, seed)
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
        self.recent_events: deque[CellEvent] = deque(maxlen=RECENT_EVENTS_KEPT)
        self.tissue = Tissue(
            scenario.grid.width,
            scenario.grid.height,
            self.random,
            bounded=scenario.grid.tissue == "lymph_node",  # a node has an edge (a capsule)
        )
        self.tissue.well_mixed = scenario.grid.well_mixed  # model check (sim.movement.mix)
        self.tissue.draw_empty_sites = self.engine.draw_empty_sites
        # residents made, booked and removed (agents from birth, or on demand: sim.engine)
        self.residents = self.engine.residents(self)
        self.resident_events = self.residents.events
        self.therapy = Therapy(self)
        self.cytokine_peak_today = 0.0
        self.gvhd_score = 0.0
        self.contact_screen = ContactScreen(self)
        # by mobile kind, from the classes: moves per step, chemotaxis bias, boost divisions
        hours = self.hours_per_step
        self.moves_per_step = by_kind(lambda cls, k: cls.motility_of(k, self)[0] * hours)
        self.chemotaxis_bias = by_kind(lambda cls, k: cls.motility_of(k, self)[1])
        self.divides_homeostatically = by_kind(lambda cls, k: cls.divides_homeostatically(k), bool)
        self._death_chances = np.zeros(0)  # by kind, while alemtuzumab is ...
        self._death_chances_for: bool | None = None  # ... in (True) or out (False)
        self._seed_tissue()
        self.residual = self.engine.residual(self)  # the leukaemia beyond the patch
        self.residual.start()
        self.b_cells_at_start = self.census.resident[ResidentKind.B_CELL]
        self.engine.adopt_random(self)  # the compiled engine keeps its state as arrays

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
            # nearest the first blast; equal distances in the order drawn (a stable sort:
            # numpy's default sort orders ties by the machine's SIMD code path)
            distance = tissue.distance_from(int(blast_sites[0]), blast_sites)
            order = np.argsort(distance, kind="stable")
            negative = set(blast_sites[order[:n_negative]].tolist())
        else:
            negative = set(self.rng.choice(blast_sites, size=n_negative, replace=False).tolist())
        phenotypes = [site not in negative for site in blast_sites.tolist()]
        sites = blast_sites.tolist()
        for cd19_positive, run in groupby(range(len(sites)), key=phenotypes.__getitem__):
            self.residents.place_blasts([sites[i] for i in run], cd19_positive)  # in order
        n_b_cells = round(self.parameters.b_cells.target_fraction * tissue.n_sites)
        b_sites = tissue.random_empty_sites(tissue.resident_kind, n_b_cells, self.rng)
        precursors = self.rng.random(b_sites.size) < HealthyBCell.precursor_share_at_rest(self)
        sites, flags = b_sites.tolist(), precursors.tolist()
        for precursor, run in groupby(range(len(sites)), key=flags.__getitem__):
            self.residents.place_b_cells([sites[i] for i in run], precursor)  # in order
        n_t_cells = round(self.parameters.native_t.normal_fraction * tissue.n_sites)
        for site in tissue.random_empty_sites(tissue.mobile_kind, n_t_cells, self.rng).tolist():
            NativeTCell(self, site)

    def _central_disc(self, count: int) -> np.ndarray:
        """The ``count`` sites nearest the centre of the grid (a dense tumour mass)."""
        tissue = self.tissue
        x, y = np.divmod(np.arange(tissue.n_sites), tissue.height)
        distance = np.hypot(x - (tissue.width - 1) / 2, y - (tissue.height - 1) / 2)
        distance += self.rng.random(tissue.n_sites) * 1e-3
        return np.argsort(distance)[:count]

    # --- time ------------------------------------------------------------------------
    @property
    def day(self) -> float:
        """Days since enrolment."""
        return self.step_count / self.steps_per_day

    @property
    def plan(self) -> TherapyPlan:
        """The therapy plan of the run (drawn at set-up)."""
        return self.therapy.plan

    @property
    def rejection_possible(self) -> bool:
        """Host T-cells can reject the product: donor cells are present."""
        return self.plan.arm == "donor" and self.plan.infused

    def step(self) -> None:
        """Advance the model by one step of ``hours_per_step`` hours."""
        if self.step_count % self.steps_per_day == 0:
            self.therapy.start_of_day(self.step_count // self.steps_per_day)
        self.step_count += 1
        self.resident_events.run_due(self.step_count)
        self.residents.make_b_cells()
        NativeTCell.recover(self)
        self._step_t_cells()
        self.residual.step()
        self.tissue.t_cells.recycle()
        cytokine_total = self.tissue.update_fields(
            self.parameters.fields,
            self.hours_per_step,
            self.therapy.cytokine_release_factor,
            self.engine.step_fields,
        )
        systemic = self.tissue.systemic_level(cytokine_total)  # systemic_cytokine(), unsummed
        self.cytokine_peak_today = max(self.cytokine_peak_today, systemic)
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

    # --- events of the live view (between steps) -------------------------------------
    def infuse_now(self, dose_cells: int | None = None) -> int:
        """Infuse CAR T-cells now, whatever the plan (default: ``car_t.dose_cells``);
        returns how many were placed (fewer if the mobile layer is short of room)."""
        return self.therapy.infuse(dose_cells)

    def lymphodepletion_now(self) -> None:
        """One whole lymphodepletion course now (:meth:`Therapy.lymphodepletion_course`)."""
        self.therapy.lymphodepletion_course()

    def tocilizumab_now(self) -> None:
        """Tocilizumab now: damps cytokine release for ``tocilizumab.duration_days``."""
        self.therapy.tocilizumab()

    def set_teaching(self, enabled: bool) -> None:
        """Switch teaching on or off from the next step (``parameters`` gets a copy with
        ``teaching.enabled`` changed; the scenario passed in is left alone)."""
        teaching = self.parameters.teaching.model_copy(update={"enabled": bool(enabled)})
        self.parameters = self.parameters.model_copy(update={"teaching": teaching})
        self.contact_screen.build(self)

    # --- what the cells report ---------------------------------------------------------
    def record_kill(self, target: ResidentCell | TCell, killer: str) -> None:
        """Count a kill by ``killer`` (``car_t``, ``taught`` or ``alloreactive``); call it
        before ``target`` dies."""
        self.census.count_kill(target.kind, killer)
        self.recent_events.append(CellEvent(self.step_count, KILL_EVENT[killer], target.site))

    def record_teaching(self, cell: TCell) -> None:
        """Count a naive T-cell taught."""
        self.census.teaching_events += 1
        self.recent_events.append(CellEvent(self.step_count, "teaching", cell.site))

    # --- T-cells ---------------------------------------------------------------------
    def t_cells(self) -> list[TCell]:
        """The living T-cells, in table order."""
        table = self.tissue.t_cells
        return [table.cells[row] for row in table.live_rows().tolist()]  # type: ignore[misc]

    def _step_t_cells(self) -> None:
        rows = self.engine.live_rows(self.tissue.t_cells)
        if rows.size == 0:
            return
        self.encounter_phase += 1
        # every T-cell walks, then those with something next to them take turns
        ordered = self.engine.walk_and_screen(self, rows)
        self.engine.encounters(self, ordered)
        dividing, dying = self.engine.fates(self, rows)
        self.engine.divisions(self, dividing)  # each cell's divide, in row order
        self.engine.deaths(self, dying)  # then each cell's die

    def walk_and_screen(self, rows: np.ndarray) -> np.ndarray:
        """Every T-cell of table ``rows`` walks (:meth:`walk`); then the order of their
        turns is drawn, and the contact screen (with ``screen_contacts``) keeps those with
        something next to them. Returns their rows in turn order. (The compiled engine
        does all this in one kernel call, :func:`sim.compiled.walk_and_screen`.)"""
        table = self.tissue.t_cells
        kinds = table.kind[rows]
        self.walk(rows, kinds)
        order = self.rng.permutation(rows.size)
        if self.screen_contacts:
            screen = self.contact_screen
            if screen.nobody_can_act(self.census, self.tissue.fields_active):
                order = order[:0]
            else:
                contact = self.engine.has_contact(screen, self.tissue, table.site[rows], kinds)
                order = order[contact[order]]
        return rows[order]

    def walk(self, rows: np.ndarray, kinds: np.ndarray) -> None:
        """Move every T-cell (numpy), each at the speed and bias its class gives."""
        moves = moves_this_step(self.moves_per_step[kinds], self.rng)
        bias = self.chemotaxis_bias[kinds]
        exclusion = microenvironment.exclusion_chance(self)  # dense tumour keeps T-cells out
        if self.tissue.well_mixed:  # a model check: no walk, the cells are mixed
            mix(self.tissue, rows, self.rng)
        else:
            walk(self.tissue, rows, moves, bias, self.rng, exclusion)

    def fates(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which T-cells of table ``rows`` divide and which die at this step's end (the
        caller makes them divide, then die): during the boost after lymphodepletion, the
        kinds whose class says so divide at ``car_t.homeostatic_division_rate_per_day``;
        each cell dies with the chance its class gives for its present state. One draw
        per candidate, then one per cell, from ``rng``; the rows in row order. (The
        compiled engine draws them in one kernel call, :mod:`sim.kernel_fates`.)"""
        kinds = self.tissue.t_cells.kind[rows]  # after this step's changes; 0: died
        dividing = rows[:0]
        if self.homeostatic_boost_on():
            candidates = rows[self.divides_homeostatically[kinds]]
            divides = self.rng.random(candidates.size) < self.chances.car_t_homeostatic_division
            dividing = candidates[divides]
        dies = self.rng.random(rows.size) < self.death_chances()[kinds]
        return dividing, rows[dies]

    def homeostatic_boost_on(self) -> bool:
        """The boost after lymphodepletion is on at this step."""
        return self.step_count <= self.therapy.homeostatic_boost_until_step

    def death_chances(self) -> np.ndarray:
        """Each T-cell kind's chance of dying in a step, as its class gives it now
        (recomputed when alemtuzumab comes or goes)."""
        alemtuzumab = self.therapy.alemtuzumab_active
        if self._death_chances_for != alemtuzumab:
            self._death_chances_for = alemtuzumab
            self._death_chances = by_kind(lambda cls, kind: cls.death_probability_of(kind, self))
        return self._death_chances

"""The therapy of one patient: the planned events day by day, and events given on demand.

The plan (:mod:`sim.timeline`) says on which days bridging chemotherapy, the
lymphodepletion doses and the infusion happen; at the first step of each day
:meth:`Therapy.start_of_day` gives what is due and opens or closes the alemtuzumab
window. The live view can also give a treatment now, whatever the plan says
(:meth:`Therapy.infuse`, :meth:`Therapy.lymphodepletion_course`,
:meth:`Therapy.tocilizumab`). Every treatment given is listed in :attr:`Therapy.given`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from agents.car_t_cell import CarTCell
from agents.healthy_b_cell import HealthyBCell
from agents.leukaemic_blast import LeukaemicBlast
from agents.native_t_cell import NativeTCell
from sim import alemtuzumab
from sim.timeline import TherapyPlan, plan_therapy

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agents.cell import ResidentCell, TCell
    from sim.model import CarTModel


class GivenTreatment(NamedTuple):
    """A treatment given at model step ``step`` (the steps before it have run).

    ``what``: ``bridging``, ``lymphodepletion``, ``infusion`` or ``tocilizumab``;
    ``planned``: part of the therapy plan (``False``: given on demand).
    """

    step: int
    what: str
    planned: bool


def per_dose(share_over_course: float, doses: int) -> float:
    """The share one of ``doses`` equal doses kills, so the course kills ``share_over_course``."""
    return 1.0 - (1.0 - share_over_course) ** (1.0 / doses)


class Therapy:
    """What the clinic does to the patient of one model.

    Attributes:
        plan: the therapy plan, drawn from the model's generator when the model is made.
        alemtuzumab_active: alemtuzumab is in the blood (kills CD52+ CAR T-cells).
        native_t_recovering: the host makes new T-cells (not while alemtuzumab acts).
        homeostatic_boost_until_step: CAR T-cells divide homeostatically up to this step.
        tocilizumab_until_step: tocilizumab damps cytokine release up to this step.
        blasts_at_infusion: blasts when the planned infusion went in (``None`` before).
        cells_infused: CAR T-cells the planned infusion placed (``None`` before).
        given: every treatment given so far, in order.
    """

    def __init__(self, model: CarTModel) -> None:
        self.model = model
        scenario = model.parameters
        self.plan: TherapyPlan = plan_therapy(scenario.therapy, scenario.lymphodepletion, model.rng)
        self.alemtuzumab_active = False
        self.native_t_recovering = True
        self.homeostatic_boost_until_step = -1
        self.tocilizumab_until_step = -1
        self.blasts_at_infusion: int | None = None
        self.cells_infused: int | None = None
        self.given: list[GivenTreatment] = []

    # --- the plan --------------------------------------------------------------------
    def start_of_day(self, day: int) -> None:
        """The planned events of ``day`` (days from enrolment), before its first step."""
        plan = self.plan
        ld = self.model.parameters.lymphodepletion
        if day in plan.bridging_days:
            self.bridging_chemotherapy()
        if day in plan.lymphodepletion_days:
            self.lymphodepletion_dose()
        if day == plan.infusion_day:
            self.blasts_at_infusion = self.model.census.blasts
            self.cells_infused = self.infuse(planned=True)
        if plan.infusion_day is not None and ld.alemtuzumab and plan.lymphodepletion_days:
            window_start = plan.lymphodepletion_days[0]
            level = self.model.patient.alemtuzumab_level_at_infusion
            if level is not None:  # lytic only from where its level says (sim.alemtuzumab)
                window_start = plan.infusion_day - alemtuzumab.lytic_days_before_infusion(
                    level,
                    ld.alemtuzumab_half_life_days,
                    ld.alemtuzumab_lytic_level_ug_per_ml,
                    ld.days,
                )
            window_end = plan.infusion_day + ld.alemtuzumab_recovery_delay_days
            self.alemtuzumab_active = window_start <= day < window_end
            self.native_t_recovering = not self.alemtuzumab_active

    def bridging_chemotherapy(self) -> None:
        """Bridging chemotherapy: kills ``therapy.bridging_blast_kill_fraction`` of the blasts
        (on the grid and in the residual compartment)."""
        share = self.model.parameters.therapy.bridging_blast_kill_fraction
        self.model.residents.kill_share(LeukaemicBlast, share)
        self.model.residual.kill_share(share)
        self._note("bridging", planned=True)

    def lymphodepletion_dose(self) -> None:
        """One planned day of fludarabine/cyclophosphamide (and alemtuzumab): each dose
        kills the share that makes the whole course kill the ``[lymphodepletion]`` shares;
        the homeostatic boost lasts ``car_t.homeostatic_boost_days`` after the last dose."""
        model = self.model
        days = self.plan.lymphodepletion_days
        self._lymphodepletion_kills(doses=len(days))
        boost_days = model.parameters.car_t.homeostatic_boost_days
        last_dose_end = (days[-1] + 1) * model.steps_per_day
        self.homeostatic_boost_until_step = last_dose_end + round(boost_days * model.steps_per_day)
        self._note("lymphodepletion", planned=True)

    # --- on demand -------------------------------------------------------------------
    def lymphodepletion_course(self) -> None:
        """A whole lymphodepletion course at once, now: kills the ``[lymphodepletion]``
        shares (with alemtuzumab's extra share of host T-cells if the scenario uses it)
        and starts the homeostatic boost, ``car_t.homeostatic_boost_days`` from now. It
        does not open an alemtuzumab window (that follows the plan)."""
        model = self.model
        self._lymphodepletion_kills(doses=1)
        boost_steps = round(model.parameters.car_t.homeostatic_boost_days * model.steps_per_day)
        self.homeostatic_boost_until_step = max(
            self.homeostatic_boost_until_step, model.step_count + boost_steps
        )
        self._note("lymphodepletion", planned=False)

    def infuse(self, dose_cells: int | None = None, planned: bool = False) -> int:
        """CAR T-cells go in: ``dose_cells`` (default ``car_t.dose_cells``) at random free
        sites, or from the border of a node (``therapy.entry``), fewer if there is no
        room. Donor-arm cells keep their TCR with chance ``1 - tcr_knockout_efficiency``.
        Returns how many cells were placed."""
        model = self.model
        therapy = model.parameters.therapy
        tissue = model.tissue
        dose = model.parameters.car_t.dose_cells if dose_cells is None else dose_cells
        if therapy.entry == "border":
            border = tissue.border_sites()
            free = border[tissue.mobile_kind[border] == 0]
            sites = model.rng.choice(free, size=min(dose, free.size), replace=False)
        else:
            sites = tissue.random_empty_sites(tissue.mobile_kind, dose, model.rng)
        origin = "donor" if self.plan.arm == "donor" else "autologous"
        keeps_tcr = model.rng.random(sites.size) >= therapy.tcr_knockout_efficiency
        for site, tcr_intact in zip(sites.tolist(), keeps_tcr.tolist(), strict=True):
            CarTCell(model, site, origin=origin, tcr_intact=origin == "donor" and tcr_intact)
        self._note("infusion", planned=planned)
        return int(sites.size)

    def tocilizumab(self) -> None:
        """Tocilizumab now: for ``tocilizumab.duration_days`` only
        ``tocilizumab.cytokine_release_factor`` of each cytokine release acts (a new dose
        restarts the time)."""
        model = self.model
        days = model.parameters.tocilizumab.duration_days
        self.tocilizumab_until_step = model.step_count + round(days * model.steps_per_day)
        self._note("tocilizumab", planned=False)

    @property
    def cytokine_release_factor(self) -> float:
        """The share of cytokine release that acts in the present step (1 without
        tocilizumab)."""
        if self.model.step_count <= self.tocilizumab_until_step:
            return self.model.parameters.tocilizumab.cytokine_release_factor
        return 1.0

    # --- helpers ---------------------------------------------------------------------
    def _lymphodepletion_kills(self, doses: int) -> None:
        """One of ``doses`` equal doses: host T-cells, B-cells, then blasts."""
        model = self.model
        ld = model.parameters.lymphodepletion
        t_share = per_dose(ld.native_t_kill_fraction, doses)
        if ld.alemtuzumab:
            extra = per_dose(ld.alemtuzumab_native_t_kill_fraction, doses)
            t_share = 1.0 - (1.0 - t_share) * (1.0 - extra)
        natives: list[TCell] = [cell for cell in model.t_cells() if isinstance(cell, NativeTCell)]
        self._kill_share(natives, t_share)
        model.residents.kill_share(HealthyBCell, per_dose(ld.b_cell_kill_fraction, doses))
        blast_share = per_dose(ld.blast_kill_fraction, doses)
        model.residents.kill_share(LeukaemicBlast, blast_share)
        model.residual.kill_share(blast_share)

    def _kill_share(self, cells: Sequence[ResidentCell | TCell], share: float) -> int:
        """Each of ``cells`` dies with chance ``share`` (one numpy draw each, in order)."""
        chosen = self.model.rng.random(len(cells)) < share
        for cell, dies in zip(cells, chosen.tolist(), strict=True):
            if dies:
                cell.die()
        return int(chosen.sum())

    def _note(self, what: str, planned: bool) -> None:
        self.given.append(GivenTreatment(self.model.step_count, what, planned))

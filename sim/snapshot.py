"""A narrow, read-only view of a running model for the live view (``viz/live``).

The live view draws only what is here: the day, the two occupancy layers and the
cytokine field (copies, small dtypes), the day's counts, the therapy plan, the events
since the last snapshot (kills, teaching), and the outcome so far. It never touches the
agents or the tissue itself, and this module knows nothing of pixels.

:class:`SnapshotTaker` follows one model: step the model through it
(:meth:`SnapshotTaker.step`) so that it sees every day's end, which is when the outcome
is judged, with the same rules and thresholds as the run summary (:mod:`sim.metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.kinds import MobileKind, ResidentKind
from sim.lymphoma import RESPONDING, category, detection_limit_agents, is_lymphoma
from sim.metrics import DAILY_REPORTERS, REMISSION_BLAST_PCT, REMISSION_CHECK_DAY
from sim.model import CarTModel
from sim.parameters import Scenario

LUGANO_WORDS = {
    "CR": "complete response",
    "PR": "partial response",
    "SD": "stable disease",
    "PD": "progressive disease",
}

EVENT_KINDS = ("car_t_kill", "taught_kill", "teaching", "rejection_kill")


@dataclass(frozen=True)
class DayCounts:
    """The counts of one moment (cells; cytokine in units per 10,000 sites)."""

    blasts_cd19_positive: int
    blasts_cd19_negative: int
    car_t: int
    taught_t: int
    b_cells: int
    cytokine_systemic: float
    crs_grade: int
    blast_pct: float
    residual_blasts: float = 0.0
    """The residual compartment beyond the grid, agent equivalents (:mod:`sim.residual`)."""

    @property
    def blasts(self) -> int:
        """Blasts of either CD19 status."""
        return self.blasts_cd19_positive + self.blasts_cd19_negative


@dataclass(frozen=True)
class PlanFacts:
    """The therapy timeline in days from enrolment (``None``: does not happen).

    ``infusion_day`` is the first infusion (planned, or given on demand if that came
    first); ``assessment_day`` is 28 days after it. ``on_demand`` lists the treatments
    given from the live view as ``(day, what)``.
    """

    arm: str
    collection_day: int
    manufacturing_end_day: float | None
    manufacturing_failed: bool
    lymphodepletion_days: tuple[int, ...]
    infusion_day: int | None
    assessment_day: int | None
    infused: bool
    on_demand: tuple[tuple[float, str], ...] = ()
    tocilizumab_active: bool = False


@dataclass(frozen=True)
class EventMark:
    """Something that happened at one site: ``kind`` is one of :data:`EVENT_KINDS`."""

    step: int
    kind: str
    x: int
    y: int


@dataclass(frozen=True)
class Outcome:
    """The outcome so far. ``state``: ``undecided``, ``not_infused``, ``refractory``,
    ``remission``, ``mrd_negative`` or ``relapse``; ``text`` says it in words."""

    state: str = "undecided"
    text: str = "outcome not decided yet"

    @property
    def decided(self) -> bool:
        """Whether there is something to announce."""
        return self.state != "undecided"


@dataclass(frozen=True)
class Snapshot:
    """One moment of a run, as the live view needs it.

    Layers are ``(width, height)`` arrays indexed ``[x, y]``: ``resident`` holds
    :class:`ResidentKind` codes and ``mobile`` :class:`MobileKind` codes (uint8);
    ``cytokine`` is the cytokine field in units per site (float32).
    """

    day: float
    step: int
    hours_per_step: float
    width: int
    height: int
    resident: np.ndarray
    mobile: np.ndarray
    cytokine: np.ndarray
    counts: DayCounts
    plan: PlanFacts
    events: tuple[EventMark, ...]
    outcome: Outcome
    scenario_name: str
    seed: int
    teaching_enabled: bool


def day_counts(model: CarTModel) -> DayCounts:
    """The model's counts now, from the same reporters as the per-day table."""
    r = DAILY_REPORTERS
    return DayCounts(
        blasts_cd19_positive=int(r["blasts_cd19_positive"](model)),
        blasts_cd19_negative=int(r["blasts_cd19_negative"](model)),
        car_t=int(r["car_t"](model)),
        taught_t=int(r["native_taught"](model)),
        b_cells=int(r["b_cells"](model)),
        cytokine_systemic=float(r["cytokine_systemic"](model)),
        crs_grade=int(r["crs_grade"](model)),
        blast_pct=float(r["blast_pct"](model)),
        residual_blasts=float(model.residual.size),
    )


def plan_facts(model: CarTModel) -> PlanFacts:
    """The therapy plan of the model, with what has been given so far."""
    plan = model.plan
    therapy = getattr(model, "therapy", None)
    given = list(getattr(therapy, "given", ()))
    per_day = model.steps_per_day
    infusions = [g.step / per_day for g in given if g.what == "infusion"]
    infusion = plan.infusion_day
    if infusions and (infusion is None or infusions[0] < infusion):
        infusion = int(infusions[0])
    until = getattr(therapy, "tocilizumab_until_step", -1)
    return PlanFacts(
        arm=plan.arm,
        collection_day=0,
        manufacturing_end_day=plan.manufacturing_days,
        manufacturing_failed=plan.manufacturing_failed,
        lymphodepletion_days=tuple(plan.lymphodepletion_days),
        infusion_day=infusion,
        assessment_day=None if infusion is None else infusion + REMISSION_CHECK_DAY,
        infused=bool(infusions) or (infusion is not None and model.step_count > infusion * per_day),
        on_demand=tuple((g.step / per_day, g.what) for g in given if not g.planned),
        tocilizumab_active=model.step_count <= until,
    )


def teaching_enabled(model: CarTModel) -> bool:
    """Whether naive T-cells can be taught right now."""
    return bool(model.parameters.teaching.enabled)


def recent_events(model: CarTModel, since_step: int) -> tuple[EventMark, ...]:
    """The model's recorded events after ``since_step`` (none if it records none)."""
    events = getattr(model, "recent_events", ())
    height = model.tissue.height
    marks = []
    for event in events:
        if event.step > since_step:
            x, y = divmod(int(event.site), height)
            marks.append(EventMark(int(event.step), str(event.kind), x, y))
    return tuple(marks)


def take_snapshot(
    model: CarTModel, since_step: int = -1, outcome: Outcome | None = None
) -> Snapshot:
    """A read-only copy of the model now, with the events after ``since_step``."""
    tissue = model.tissue
    shape = (tissue.width, tissue.height)
    return Snapshot(
        day=model.day,
        step=model.step_count,
        hours_per_step=model.hours_per_step,
        width=tissue.width,
        height=tissue.height,
        resident=tissue.resident_kind.reshape(shape).astype(np.uint8),
        mobile=tissue.mobile_kind.reshape(shape).astype(np.uint8),
        cytokine=tissue.cytokine.reshape(shape).astype(np.float32),
        counts=day_counts(model),
        plan=plan_facts(model),
        events=recent_events(model, since_step),
        outcome=outcome or Outcome(),
        scenario_name=model.parameters.name,
        seed=model.seed,
        teaching_enabled=teaching_enabled(model),
    )


@dataclass
class OutcomeJudge:
    """Judges the outcome from the counts at the end of each day (rules of sim.metrics:
    remission is blasts below 5 % of the sites 28 days after infusion, MRD-negative is no
    blast then, relapse is blasts back to 5 % or more after a remission)."""

    outcome: Outcome = field(default_factory=Outcome)
    in_remission: bool = False

    def end_of_day(self, day: int, plan: PlanFacts, counts: DayCounts) -> None:
        """Update the outcome with the counts at the end of ``day``."""
        if self.outcome.state in ("relapse", "refractory", "not_infused"):
            return
        if plan.infusion_day is None:
            self._not_infused(day, plan)
            return
        days_after = day - plan.infusion_day
        if days_after == REMISSION_CHECK_DAY and not self.in_remission:
            if counts.blast_pct < REMISSION_BLAST_PCT:
                self.in_remission = True
                if counts.blasts == 0:
                    self.outcome = Outcome(
                        "mrd_negative", "MRD-negative remission at day 28: no blast left"
                    )
                else:
                    self.outcome = Outcome(
                        "remission",
                        f"Remission at day 28 ({counts.blast_pct:.1f} % blasts; not MRD-negative)",
                    )
            else:
                self.outcome = Outcome(
                    "refractory",
                    f"Refractory: {counts.blast_pct:.0f} % blasts 28 days after infusion",
                )
        elif self.in_remission and counts.blast_pct >= REMISSION_BLAST_PCT:
            negative = counts.blasts_cd19_negative > counts.blasts_cd19_positive
            status = "CD19-negative" if negative else "CD19-positive"
            self.outcome = Outcome(
                "relapse", f"Relapse on day {days_after} after infusion: {status} blasts"
            )

    def _not_infused(self, day: int, plan: PlanFacts) -> None:
        if plan.arm == "none":
            self.outcome = Outcome("not_infused", "Not infused: no therapy in this scenario")
        elif plan.manufacturing_failed and day >= (plan.manufacturing_end_day or 0.0):
            self.outcome = Outcome("not_infused", "Not infused: manufacturing failed")


@dataclass
class LymphomaOutcomeJudge(OutcomeJudge):
    """A lymphoma's outcome in lymphoma's words (:mod:`sim.lymphoma`, Lugano 2014): the
    response at each scan (days 28 and 91 after infusion), then relapse after a complete
    response or progression after a partial one. Tumour size is the grid's lymphoma cells
    plus the residual compartment. ``state`` keeps the shared names the view colours by
    (``remission`` for a response, ``refractory`` for stable or progressive disease,
    ``relapse`` for what follows a response); ``text`` never says remission or blasts."""

    scenario: Scenario | None = None
    baseline: float | None = None
    nadir: float = float("inf")
    best: str | None = None  # the best response at a scan so far: "CR" or "PR"

    def end_of_day(self, day: int, plan: PlanFacts, counts: DayCounts) -> None:
        """Update the outcome with the counts at the end of ``day``."""
        assert self.scenario is not None
        if self.outcome.state == "relapse" or plan.infusion_day is None:
            if plan.infusion_day is None:
                self._not_infused(day, plan)
            return
        size = counts.blasts + counts.residual_blasts
        days_after = day - plan.infusion_day
        if days_after == -1 or (days_after >= 0 and self.baseline is None):
            self.baseline = self.nadir = size
        if days_after < 0 or self.baseline is None:
            return
        rules, limit = self.scenario.lymphoma, detection_limit_agents(self.scenario)
        grown = size >= (1 + rules.progression_growth) * self.nadir
        if self.best is not None and size >= limit and grown:
            status = (
                "CD19-negative"
                if counts.blasts_cd19_negative > counts.blasts_cd19_positive
                else "CD19-positive"
            )
            event = (
                "Relapse after complete response"
                if self.best == "CR"
                else "Progression after partial response"
            )
            self.outcome = Outcome(
                "relapse", f"{event} on day {days_after} after infusion: {status} lymphoma"
            )
        elif days_after in rules.scan_days:
            found = category(size, self.baseline, self.nadir, limit, rules)
            if found in RESPONDING and self.best != "CR":
                self.best = found
            share = 100.0 * size / self.baseline if self.baseline else 0.0
            self.outcome = Outcome(
                "remission" if found in RESPONDING else "refractory",
                f"Day {days_after} scan: {LUGANO_WORDS[found]} ({share:.0f} % of size at infusion)",
            )
        self.nadir = min(self.nadir, size)


class SnapshotTaker:
    """Steps one model and takes its snapshots, each with the events since the last one
    and the outcome so far."""

    def __init__(self, model: CarTModel) -> None:
        self.model = model
        self.judge = (
            LymphomaOutcomeJudge(scenario=model.parameters)
            if is_lymphoma(model.parameters)
            else OutcomeJudge()
        )
        self.last_step = model.step_count - 1

    def step(self) -> None:
        """Advance the model one step (``hours_per_step`` hours), starting each day's
        cytokine peak as ``run_day`` does (so the CRS grade is the day's); judge the
        outcome at a day's end. Stepping a day this way equals ``model.run_day()``."""
        model = self.model
        if model.step_count % model.steps_per_day == 0:
            # a new day: its cytokine peak starts from now, as in CarTModel.run_day
            model.cytokine_peak_today = model.tissue.systemic_cytokine()
        model.step()
        if model.step_count % model.steps_per_day == 0:
            day = model.step_count // model.steps_per_day
            self.judge.end_of_day(day, plan_facts(model), day_counts(model))

    def take(self) -> Snapshot:
        """The snapshot now, with the events since the previous :meth:`take`."""
        snapshot = take_snapshot(self.model, self.last_step, self.judge.outcome)
        self.last_step = self.model.step_count
        return snapshot


_RESIDENT_NAMES = {
    ResidentKind.EMPTY: "nothing",
    ResidentKind.BLAST_CD19_POSITIVE: "leukaemic blast, CD19-positive",
    ResidentKind.BLAST_CD19_NEGATIVE: "leukaemic blast, CD19-negative (invisible to CAR T)",
    ResidentKind.B_CELL: "healthy B-cell (CD19-positive)",
}


def _age_days(model: CarTModel, cell: Any) -> float | None:
    born = getattr(cell, "born_step", None)
    if born is None:
        return None
    return round((model.step_count - born) * model.hours_per_step / 24.0, 2)


def describe_site(model: CarTModel, x: int, y: int) -> dict[str, Any]:
    """What sits at ``(x, y)``: the resident and the T-cell, each with its kind, state,
    origin, kills, stimulations and age in days (``None`` where it does not apply or was
    not recorded; ``from_start``: placed at set-up, so older than its age says), and the
    cytokine there (units)."""
    tissue = model.tissue
    if not (0 <= x < tissue.width and 0 <= y < tissue.height):
        raise ValueError(f"({x}, {y}) is outside the {tissue.width}x{tissue.height} grid")
    site = x * tissue.height + y
    info: dict[str, Any] = {
        "x": x,
        "y": y,
        "cytokine": round(float(tissue.cytokine[site]), 3),
        "resident": None,
        "t_cell": None,
    }
    resident = tissue.resident_at(site)  # on the compiled engine, its agent may be made now
    if resident is not None:
        info["resident"] = {
            "kind": _RESIDENT_NAMES[ResidentKind(int(resident.kind))],
            "age_days": _age_days(model, resident),
            "from_start": getattr(resident, "born_step", None) == 0,
        }
    t_cell = tissue.mobile_at(site)
    if t_cell is not None:
        kind = MobileKind(int(t_cell.kind))
        is_car_t = hasattr(t_cell, "origin")
        info["t_cell"] = {
            "kind": "CAR T-cell" if is_car_t else "native T-cell",
            "state": str(t_cell.state),
            "origin": str(t_cell.origin) if is_car_t else "host (the patient's own)",
            "kills": getattr(t_cell, "kills", None),
            "stimulations": getattr(t_cell, "stimulations", None),
            "tcr_intact": getattr(t_cell, "tcr_intact", None) if is_car_t else None,
            "age_days": _age_days(model, t_cell),
            "from_start": getattr(t_cell, "born_step", None) == 0,
            "code": kind.name.lower(),
        }
    return info

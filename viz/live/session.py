"""The runs on screen: one arm (or two, side by side, same seed, in step, by default the
same patient) and their stored frames for the rewind scrubber.

Frames are compact (uint8 layers, float16 cytokine) and kept every few simulated hours;
when the store is full every other frame is dropped and the spacing doubles, so memory
stays bounded however long the run. Rewinding shows stored frames; nothing is simulated
again.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.engine_choice import DEFAULT_ENGINE
from sim.loader import Override, load_scenario
from sim.metrics import crs_grade
from sim.model import CarTModel
from sim.parameters import Scenario
from sim.population import shared_population
from sim.snapshot import DayCounts, Outcome, PlanFacts, Snapshot, SnapshotTaker, take_snapshot
from study.analysis.vocabulary import Vocabulary, scenario_words

FRAME_BUDGET_BYTES = 48 * 1024 * 1024  # per arm
FRAME_HOURS = 2.0  # first spacing of stored frames, simulated hours
START_DAYS_BEFORE_INFUSION = 3  # the view opens paused this many days before the infusion


@dataclass(frozen=True)
class Frame:
    """One stored moment: layers (uint8, ``[x, y]``), cytokine (float16), counts."""

    step: int
    day: float
    resident: np.ndarray
    mobile: np.ndarray
    cytokine: np.ndarray
    counts: DayCounts
    plan: PlanFacts
    outcome: Outcome
    max_crs_grade: int = 0  # the highest CRS grade (0-4) of the run up to this step


def frame_of(snapshot: Snapshot, max_crs_grade: int = 0) -> Frame:
    """The compact frame of a snapshot (``max_crs_grade``: the run's highest so far)."""
    return Frame(
        step=snapshot.step,
        day=snapshot.day,
        resident=snapshot.resident,
        mobile=snapshot.mobile,
        cytokine=snapshot.cytokine.astype(np.float16),
        counts=snapshot.counts,
        plan=snapshot.plan,
        outcome=snapshot.outcome,
        max_crs_grade=max_crs_grade,
    )


@dataclass
class FrameStore:
    """Frames of one run, evenly spaced in steps, within a memory budget."""

    spacing_steps: int
    max_frames: int
    frames: list[Frame] = field(default_factory=list)

    def offer(self, snapshot_step: int, make: callable) -> None:  # type: ignore[valid-type]
        """Keep the frame of ``snapshot_step`` if it falls on the spacing."""
        if snapshot_step % self.spacing_steps:
            return
        self.frames.append(make())
        if len(self.frames) > self.max_frames:
            self.frames = self.frames[::2]
            self.spacing_steps *= 2


class Arm:
    """One run: a model, its snapshot taker, its latest snapshot and its stored frames."""

    def __init__(self, scenario: Scenario, seed: int, engine: str = DEFAULT_ENGINE) -> None:
        self.scenario = scenario
        self.seed = seed
        self.model = CarTModel(scenario, seed, engine=engine)
        self.taker = SnapshotTaker(self.model)
        sites = scenario.grid.width * scenario.grid.height
        spacing = max(1, round(FRAME_HOURS / scenario.time.hours_per_step))
        self.store = FrameStore(spacing, max(64, FRAME_BUDGET_BYTES // (4 * sites + 512)))
        self.max_crs_grade = self._crs_now()  # running maximum, every step (not thinned)
        self.latest = self.taker.take()
        self._keep()

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    @property
    def words(self) -> Vocabulary:
        """The disease's words for this run: blasts, or a lymphoma's tumour."""
        return scenario_words(self.scenario)

    @property
    def step_count(self) -> int:
        """Steps simulated so far."""
        return self.model.step_count

    def _crs_now(self) -> int:
        """The CRS grade (0-4) of the model now."""
        model = self.model
        return crs_grade(model.cytokine_peak_today, model.parameters.fields.crs_grade_thresholds)

    def _keep(self) -> None:
        model = self.model
        self.store.offer(
            model.step_count,
            lambda: frame_of(take_snapshot(model, model.step_count, None), self.max_crs_grade),
        )

    def step(self) -> None:
        """One model step; store a frame when one is due."""
        self.taker.step()
        step = self.model.step_count
        self.max_crs_grade = max(self.max_crs_grade, self._crs_now())
        if step % self.store.spacing_steps == 0:
            outcome = self.taker.judge.outcome
            highest = self.max_crs_grade
            self.store.offer(
                step, lambda: frame_of(take_snapshot(self.model, step, outcome), highest)
            )

    def refresh(self) -> Snapshot:
        """Take the snapshot of now (with the events since the last one)."""
        self.latest = self.taker.take()
        return self.latest

    def highest_crs_grade(self, step: int) -> int:
        """The run's highest CRS grade (0-4) up to ``step``: the running maximum now, or
        the one recorded in the last stored frame at or before ``step`` when rewound."""
        if step >= self.model.step_count:
            return self.max_crs_grade
        frames = self.store.frames
        index = bisect_right([frame.step for frame in frames], step) - 1
        return frames[index].max_crs_grade if index >= 0 else 0

    def blast_pct_at(self) -> tuple[float, float | None]:
        """Blasts as % of sites at enrolment (day 0) and at the infusion (None before)."""
        sites = self.model.tissue.n_sites
        at_infusion = self.model.therapy.blasts_at_infusion
        return (
            self.store.frames[0].counts.blast_pct,
            None if at_infusion is None else 100.0 * at_infusion / sites,
        )

    def run_days(self) -> int:
        """The scenario's run length, days."""
        return self.scenario.time.days


def start_step(arms: Sequence[Arm]) -> int:
    """The opening step: a few days before the first infusion (so it is seconds away)."""
    days = [arm.model.plan.infusion_day for arm in arms if arm.model.plan.infusion_day is not None]
    if not days:
        return 0
    day = max(0, min(days) - START_DAYS_BEFORE_INFUSION)
    return day * arms[0].model.steps_per_day


def load_arms(
    names: Sequence[str],
    overrides: Sequence[Override],
    seed: int,
    own_patients: bool = False,
    engine: str = DEFAULT_ENGINE,
) -> list[Arm]:
    """Validate the scenarios (``overrides`` as with ``--set``) and build the arms on
    ``engine`` (:mod:`sim.engine`), advanced to the opening step. Side by side, every arm
    enrols the first arm's patients (the same patient, :mod:`sim.population`) unless
    ``own_patients``. Raises ``UserInputError`` on bad input."""
    first = load_scenario(names[0], overrides)
    shared = [] if own_patients else shared_population(first)
    scenarios = [first, *(load_scenario(name, [*overrides, *shared]) for name in names[1:])]
    steps = {round(24 / s.time.hours_per_step) for s in scenarios}
    if len(steps) > 1:
        from sim.errors import UserInputError

        raise UserInputError(
            "side by side: both scenarios need the same time.hours_per_step to run in step"
        )
    arms = [Arm(scenario, seed, engine) for scenario in scenarios]
    target = start_step(arms)
    for _ in range(target):
        for arm in arms:
            arm.step()
    for arm in arms:
        arm.refresh()
    return arms

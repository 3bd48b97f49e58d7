"""Guided mode (G): the run pauses at the moments a lesson turns on, each with one
sentence on what just happened. Each moment pauses once per arm and run (a reset
starts over); Space plays on.

The moments are read from the model as the screen shows it: the infusion, the first kill
by a CAR T-cell, CRS grade 3 or more, remission (the day-28 assessment's verdict,
:class:`sim.snapshot.OutcomeJudge`), B-cell aplasia (no healthy B-cell left after the
infusion) and relapse (blasts back to 5 % or more after a remission; with CD19-negative
blasts it is antigen escape).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SEVERE_CRS_GRADE = 3


@dataclass(frozen=True)
class Moment:
    """One moment of the lesson: its key, its title and the sentence shown."""

    key: str
    title: str
    sentence: str
    happened: Callable[[Any], bool]  # given an arm (viz.live.session.Arm)


def _infused(arm: Any) -> bool:
    return bool(arm.latest.plan.infused)


def _relapse(arm: Any) -> bool:
    return arm.latest.outcome.state == "relapse"


MOMENTS = (
    Moment(
        "infusion",
        "Infusion",
        "The CAR T-cells go in. They find their targets by CD19, on blasts and on healthy "
        "B-cells alike.",
        _infused,
    ),
    Moment(
        "first_kill",
        "First kill",
        "A CAR T-cell touched a CD19-positive cell and killed it; a kill may make it divide "
        "and releases cytokine.",
        lambda arm: arm.model.census.kills_by_car_t > 0,
    ),
    Moment(
        "severe_crs",
        "CRS grade 3",
        "Many kills at once release cytokine faster than the body clears it: severe "
        "cytokine release syndrome, treated with tocilizumab.",
        lambda arm: arm.latest.counts.crs_grade >= SEVERE_CRS_GRADE,
    ),
    Moment(
        "b_cell_aplasia",
        "B-cell aplasia",
        "The healthy B-cells carry CD19 too, and none is left: while CAR T-cells persist, "
        "patients need immunoglobulin.",
        lambda arm: _infused(arm) and arm.latest.counts.b_cells == 0,
    ),
    Moment(
        "remission",
        "Remission",
        "Day 28 after the infusion: blasts are below 5 % of the marrow, a complete remission.",
        lambda arm: arm.latest.outcome.state in ("remission", "mrd_negative"),
    ),
    Moment(
        "relapse",
        "Relapse",
        "Blasts are back at 5 % or more. CD19-negative blasts (rings) are invisible to the "
        "CAR T-cells: antigen escape.",
        _relapse,
    ),
)


@dataclass
class Guide:
    """Which moments each arm has passed, and the caption on screen."""

    enabled: bool = False
    seen: set[tuple[int, str]] = field(default_factory=set)
    caption: tuple[str, str] | None = None  # title (with the arm), sentence

    def reset(self, arms: list[Any]) -> None:
        """A new run: moments already past at the opening frame do not pause."""
        self.seen = {
            (index, moment.key)
            for index, arm in enumerate(arms)
            for moment in MOMENTS
            if moment.happened(arm)
        }
        self.caption = None

    def check(self, arms: list[Any]) -> bool:
        """Whether a moment just happened (then the caption is set: pause)."""
        for index, arm in enumerate(arms):
            for moment in MOMENTS:
                if (index, moment.key) in self.seen or not moment.happened(arm):
                    continue
                self.seen.add((index, moment.key))
                if self.enabled:
                    where = f"{arm.name}, day {arm.latest.day:.1f}"
                    self.caption = (f"{moment.title} ({where})", moment.sentence)
                    return True
        return False

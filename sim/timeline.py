"""The therapy timeline of one run: when the product is infused, and what comes before.

Day 0 is enrolment. The plan is drawn once, at the start of a run, from the scenario's
``[therapy]``, ``[lymphodepletion]`` tables and the run's random generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.parameters import LymphodepletionParameters, TherapyParameters


@dataclass(frozen=True)
class TherapyPlan:
    """What happens when, in days from enrolment.

    Attributes:
        arm: ``none``, ``autologous`` or ``donor``.
        manufacturing_days: days to make the autologous product (``None`` otherwise).
        manufacturing_failed: the autologous product could not be made.
        infusion_day: the day the CAR T-cells go in, ``None`` if they never do.
        lymphodepletion_days: days of a lymphodepleting dose (end the day before infusion).
        bridging_days: days of bridging chemotherapy (before infusion).
    """

    arm: str
    manufacturing_days: float | None
    manufacturing_failed: bool
    infusion_day: int | None
    lymphodepletion_days: tuple[int, ...]
    bridging_days: tuple[int, ...]

    @property
    def infused(self) -> bool:
        """Whether the product is infused at all."""
        return self.infusion_day is not None


def draw_manufacturing_days(therapy: TherapyParameters, rng: np.random.Generator) -> float:
    """A log-normal time around the median, redrawn until it falls within [min, max]."""
    if therapy.manufacturing_sigma == 0.0:
        return therapy.manufacturing_median_days
    mu = math.log(therapy.manufacturing_median_days)
    for _ in range(10_000):
        days = float(rng.lognormal(mu, therapy.manufacturing_sigma))
        if therapy.manufacturing_min_days <= days <= therapy.manufacturing_max_days:
            return days
    return therapy.manufacturing_median_days


def plan_therapy(
    therapy: TherapyParameters,
    lymphodepletion: LymphodepletionParameters,
    rng: np.random.Generator,
) -> TherapyPlan:
    """Draw the plan of one run. The draws are made in the same order for every arm."""
    manufacturing_days = draw_manufacturing_days(therapy, rng)
    failed = bool(rng.random() < therapy.manufacturing_failure_prob)
    if therapy.arm == "none":
        return TherapyPlan("none", None, False, None, (), ())
    if therapy.arm == "autologous":
        infusion_day = None if failed else max(1, math.ceil(manufacturing_days))
        manufactured: float | None = manufacturing_days
    else:
        infusion_day = max(1, math.ceil(therapy.donor_delay_days))
        manufactured, failed = None, False
    if infusion_day is None:
        ld_days: tuple[int, ...] = ()
    elif lymphodepletion.enabled:
        first = max(0, infusion_day - lymphodepletion.days)
        ld_days = tuple(range(first, infusion_day))
    else:
        ld_days = ()
    last_bridging = infusion_day if infusion_day is not None else math.ceil(manufacturing_days)
    bridging = tuple(sorted(d for d in therapy.bridging_days if d < last_bridging))
    return TherapyPlan(therapy.arm, manufactured, failed, infusion_day, ld_days, bridging)

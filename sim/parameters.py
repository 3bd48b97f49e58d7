"""Every parameter of the model, with its unit, its allowed range and what it means.

A scenario file (TOML) is validated against :class:`Scenario`: unknown keys, wrong types
and values out of range are errors. Rates are per day, durations in days or hours as the
name says, probabilities in [0, 1]. The defaults here are the calibrated defaults of the
``base`` scenario; a scenario file states only what differs.
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Section(BaseModel):
    """A table of a scenario file: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)


class GridParameters(Section):
    """The patch of tissue: a torus of ``width`` x ``height`` sites, one cell per site."""

    width: int = Field(100, ge=5, le=1000, description="sites across")
    height: int = Field(100, ge=5, le=1000, description="sites down")
    tissue: Literal["marrow", "lymph_node"] = Field(
        "marrow", description="bone marrow (B-ALL) or lymph node (LBCL)"
    )


class TimeParameters(Section):
    """The clock: the length of a step and of a run."""

    hours_per_step: float = Field(
        1.0, gt=0.0, le=24.0, description="hours per step; 24 must be a whole number of steps"
    )
    days: int = Field(240, ge=1, le=3650, description="days simulated, from enrolment (day 0)")

    @model_validator(mode="after")
    def _whole_steps_per_day(self) -> TimeParameters:
        steps_per_day = 24.0 / self.hours_per_step
        if abs(steps_per_day - round(steps_per_day)) > 1e-9:
            raise ValueError(
                f"hours_per_step must divide 24 hours into whole steps (got {self.hours_per_step};"
                " e.g. 0.5, 1, 2, 3, 4, 6)"
            )
        return self


class LeukaemiaParameters(Section):
    """Leukaemic blasts: resident cells that divide, die and may lose CD19."""

    initial_blast_fraction: float = Field(
        0.10, ge=0.0, le=1.0, description="share of sites holding a blast at day 0"
    )
    initial_cd19_negative_fraction: float = Field(
        0.0, ge=0.0, le=1.0, description="share of the day-0 blasts that are CD19-negative"
    )
    cd19_negative_clustered: bool = Field(
        False, description="start the CD19-negative blasts as one clump instead of scattered"
    )
    division_rate_per_day: float = Field(
        0.075, ge=0.0, le=10.0, description="divisions per blast per day, with room to divide"
    )
    death_rate_per_day: float = Field(
        0.005, ge=0.0, le=10.0, description="background deaths per blast per day"
    )
    cd19_loss_prob: float = Field(
        0.0005, ge=0.0, le=1.0, description="chance that a daughter is CD19-negative"
    )
    dense_mass: bool = Field(
        False, description="start the blasts as one dense disc in the middle (a lymph node mass)"
    )


class BCellParameters(Section):
    """Healthy B-cells: CD19-positive residents the marrow keeps near a target density."""

    target_fraction: float = Field(
        0.20, ge=0.0, le=1.0, description="share of sites the marrow keeps B-cells at"
    )
    lifespan_days: float = Field(60.0, gt=0.0, le=3650.0, description="mean B-cell life, days")
    regeneration_rate_per_day: float = Field(
        0.02,
        ge=0.0,
        le=10.0,
        description="new B-cells per day, per missing B-cell below the target",
    )
    aplasia_threshold: float = Field(
        0.10, ge=0.0, le=1.0, description="aplasia: B-cells below this share of day-0 count"
    )


class CarTParameters(Section):
    """CAR T-cells: mobile killers of CD19-positive cells."""

    dose_cells: int = Field(24, ge=0, le=100_000, description="cells infused (agents)")
    motility_sites_per_hour: float = Field(
        3.0, ge=0.0, le=50.0, description="random-walk moves per hour (sites)"
    )
    chemotaxis_bias: float = Field(
        0.0, ge=0.0, le=1.0, description="chance a move goes up the antigen field"
    )
    kill_rate_per_day: float = Field(
        2.0, ge=0.0, le=500.0, description="kills per day next to a CD19+ cell (fitness 1)"
    )
    division_prob_per_kill: float = Field(
        0.45, ge=0.0, le=1.0, description="chance that a kill makes the cell divide"
    )
    exhaustion_kills: int = Field(
        12, ge=1, le=1000, description="stimulations (kills) after which a lineage is exhausted"
    )
    effector_half_life_days: float = Field(
        3.5, gt=0.0, le=3650.0, description="effector half-life (contraction), days"
    )
    exhausted_half_life_days: float = Field(
        1.5, gt=0.0, le=3650.0, description="exhausted-cell half-life, days"
    )
    memory_fraction: float = Field(
        0.05, ge=0.0, le=1.0, description="chance that a daughter is a memory cell"
    )
    memory_half_life_days: float = Field(
        217.0, gt=0.0, le=36500.0, description="memory-cell half-life, days"
    )
    homeostatic_division_rate_per_day: float = Field(
        0.1, ge=0.0, le=10.0, description="divisions per day during the homeostatic boost"
    )
    homeostatic_boost_days: float = Field(
        10.0, ge=0.0, le=365.0, description="boost length after lymphodepletion ends, days"
    )
    cytokine_per_kill: float = Field(
        1.0, ge=0.0, le=1000.0, description="cytokine released by a kill (units)"
    )
    antigen_per_kill: float = Field(
        1.0, ge=0.0, le=1000.0, description="antigen debris left at the site of a kill"
    )


class NativeTParameters(Section):
    """The patient's own unmodified T-cells: naive, taught (anti-leukaemic), alloreactive."""

    normal_fraction: float = Field(
        0.03, ge=0.0, le=1.0, description="share of sites holding a native T-cell when healthy"
    )
    recovery_rate_per_day: float = Field(
        0.05, ge=0.0, le=10.0, description="new native T-cells per day, per missing cell"
    )
    motility_sites_per_hour: float = Field(
        2.0, ge=0.0, le=50.0, description="random-walk moves per hour (sites)"
    )
    taught_kill_rate_per_day: float = Field(
        1.0, ge=0.0, le=500.0, description="kills per day next to a blast (any CD19)"
    )
    taught_division_prob_per_kill: float = Field(
        0.2, ge=0.0, le=1.0, description="chance that a taught cell's kill makes it divide"
    )
    taught_half_life_days: float = Field(
        10.0, gt=0.0, le=3650.0, description="half-life of a taught (effector) cell, days"
    )
    taught_cytokine_per_kill: float = Field(
        0.3, ge=0.0, le=1000.0, description="cytokine released by a taught cell's kill"
    )


class TeachingParameters(Section):
    """Teaching (epitope spreading): a switchable hypothesis, not a calibrated quantity."""

    enabled: bool = Field(True, description="naive T-cells can be taught")
    prob_per_hour: float = Field(
        0.02, ge=0.0, le=1.0, description="chance per hour next to fresh debris or a killer"
    )
    secondary_prob_per_hour: float = Field(
        0.002, ge=0.0, le=1.0, description="chance per hour next to a taught cell"
    )
    recent_kill_hours: float = Field(
        2.0,
        gt=0.0,
        le=48.0,
        description="how long after a kill a CAR T-cell counts as having just killed, hours",
    )
    fresh_debris_threshold: float = Field(
        0.2, ge=0.0, le=1000.0, description="antigen level that counts as fresh debris"
    )


class RejectionParameters(Section):
    """Host-versus-graft: host T-cells that meet donor CAR T-cells may turn on them."""

    prob_per_hour: float = Field(
        0.02, ge=0.0, le=1.0, description="chance per hour next to a donor cell to turn"
    )
    kill_rate_per_day: float = Field(
        6.0, ge=0.0, le=500.0, description="donor-cell kills per day by an alloreactive cell"
    )
    alloreactive_division_prob_per_kill: float = Field(
        0.3, ge=0.0, le=1.0, description="chance that an alloreactive kill makes it divide"
    )


class FieldParameters(Section):
    """The two fields: cytokine (IL-6-like) and antigen debris."""

    cytokine_half_life_hours: float = Field(6.0, gt=0.0, le=1000.0)
    cytokine_diffusion_per_hour: float = Field(
        0.5, ge=0.0, le=10.0, description="share of a site's cytokine spread out per hour"
    )
    antigen_half_life_hours: float = Field(8.0, gt=0.0, le=1000.0)
    crs_grade_thresholds: list[float] = Field(
        default_factory=lambda: [40.0, 100.0, 250.0, 450.0],
        description="systemic cytokine (units per 10,000 sites) for CRS grades 1-4",
    )

    @model_validator(mode="after")
    def _thresholds_increase(self) -> FieldParameters:
        values = self.crs_grade_thresholds
        increasing = all(b > a for a, b in itertools.pairwise(values))
        if len(values) != 4 or not increasing or values[0] <= 0:
            raise ValueError("crs_grade_thresholds must be 4 positive, increasing numbers")
        return self


class LymphodepletionParameters(Section):
    """Fludarabine/cyclophosphamide before infusion (plus alemtuzumab in the donor arm)."""

    enabled: bool = Field(True)
    days: int = Field(
        5, ge=1, le=30, description="doses, one a day, ending the day before infusion"
    )
    native_t_kill_fraction: float = Field(0.8, ge=0.0, le=1.0, description="over the course")
    b_cell_kill_fraction: float = Field(0.5, ge=0.0, le=1.0, description="over the course")
    blast_kill_fraction: float = Field(0.3, ge=0.0, le=1.0, description="over the course")
    alemtuzumab: bool = Field(False, description="add alemtuzumab (removes CD52+ T-cells)")
    alemtuzumab_native_t_kill_fraction: float = Field(
        0.97, ge=0.0, le=1.0, description="extra share of native T-cells removed"
    )
    alemtuzumab_recovery_delay_days: float = Field(
        28.0, ge=0.0, le=365.0, description="days after infusion before host T-cells recover"
    )
    alemtuzumab_car_t_death_rate_per_day: float = Field(
        2.0, ge=0.0, le=100.0, description="extra deaths per day of CD52+ CAR T-cells under it"
    )


class TherapyParameters(Section):
    """The therapy timeline: arm, manufacturing, bridging, product."""

    arm: Literal["none", "autologous", "donor"] = Field("autologous")
    manufacturing_median_days: float = Field(43.0, gt=0.0, le=365.0)
    manufacturing_min_days: float = Field(24.0, ge=0.0, le=365.0)
    manufacturing_max_days: float = Field(133.0, gt=0.0, le=730.0)
    manufacturing_sigma: float = Field(
        0.35, ge=0.0, le=3.0, description="log-normal spread of the manufacturing time"
    )
    manufacturing_failure_prob: float = Field(0.08, ge=0.0, le=1.0)
    donor_delay_days: float = Field(5.0, ge=0.0, le=365.0, description="enrolment to infusion")
    bridging_days: list[int] = Field(
        default_factory=list, description="days (from enrolment) of bridging chemotherapy"
    )
    bridging_blast_kill_fraction: float = Field(0.5, ge=0.0, le=1.0)
    product_fitness: float = Field(
        1.0, gt=0.0, le=1.0, description="scales the CAR T-cell kill rate (1 = healthy donor)"
    )
    tcr_knockout_efficiency: float = Field(
        0.98, ge=0.0, le=1.0, description="donor arm: share of cells without a TCR"
    )
    cd52_knockout: bool = Field(True, description="donor arm: cells survive alemtuzumab")
    gvhd_rate_per_day: float = Field(
        0.05, ge=0.0, le=100.0, description="GvHD score per TCR-intact donor cell per day"
    )
    gvhd_threshold: float = Field(
        5.0, gt=0.0, le=1e9, description="GvHD score above which the run records GvHD"
    )
    entry: Literal["scattered", "border"] = Field(
        "scattered", description="where infused cells enter: random sites or the grid border"
    )

    @model_validator(mode="after")
    def _manufacturing_range(self) -> TherapyParameters:
        if not (
            self.manufacturing_min_days
            <= self.manufacturing_median_days
            <= self.manufacturing_max_days
        ):
            raise ValueError(
                "manufacturing days must satisfy min <= median <= max "
                f"(got {self.manufacturing_min_days}, {self.manufacturing_median_days}, "
                f"{self.manufacturing_max_days})"
            )
        return self


class Scenario(Section):
    """A whole scenario: a name, a description and every table of parameters."""

    name: str = Field("custom", description="the scenario's name (its file name)")
    description: str = Field("", description="one line saying what the scenario shows")
    grid: GridParameters = Field(default_factory=GridParameters)
    time: TimeParameters = Field(default_factory=TimeParameters)
    leukaemia: LeukaemiaParameters = Field(default_factory=LeukaemiaParameters)
    b_cells: BCellParameters = Field(default_factory=BCellParameters)
    car_t: CarTParameters = Field(default_factory=CarTParameters)
    native_t: NativeTParameters = Field(default_factory=NativeTParameters)
    teaching: TeachingParameters = Field(default_factory=TeachingParameters)
    rejection: RejectionParameters = Field(default_factory=RejectionParameters)
    fields: FieldParameters = Field(default_factory=FieldParameters)
    lymphodepletion: LymphodepletionParameters = Field(default_factory=LymphodepletionParameters)
    therapy: TherapyParameters = Field(default_factory=TherapyParameters)


def step_probability(rate_per_day: float, hours_per_step: float) -> float:
    """Chance that an event of ``rate_per_day`` happens within one step: 1 - exp(-rate dt)."""
    return -math.expm1(-rate_per_day * hours_per_step / 24.0)


def hourly_to_step_probability(prob_per_hour: float, hours_per_step: float) -> float:
    """Chance per step of an event with chance ``prob_per_hour`` in each hour."""
    if prob_per_hour >= 1.0:
        return 1.0
    return -math.expm1(math.log1p(-prob_per_hour) * hours_per_step)


def half_life_to_rate_per_day(half_life_days: float) -> float:
    """Death rate per day of a population with ``half_life_days``."""
    return math.log(2.0) / half_life_days

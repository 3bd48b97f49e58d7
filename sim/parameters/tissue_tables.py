"""The tissue and its residents: grid, clock, leukaemic blasts, healthy B-cells, fields."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import model_validator

from sim.limits import MAX_DAYS, MIN_HOURS_PER_STEP
from sim.parameters.base import CALIBRATED, Section, parameter

SCALE = "model scale: 10⁴ sites resolve 1 blast in 10⁴ (MRD limit 0.01%)"


class GridParameters(Section):
    """The patch of tissue: ``width`` x ``height`` sites, one cell per site; a torus (marrow)
    or a bounded grid (a lymph node, whose edge is the capsule)."""

    width: int = parameter(100, ge=5, le=1000, description="sites across", source=SCALE)
    height: int = parameter(100, ge=5, le=1000, description="sites down", source=SCALE)
    tissue: Literal["marrow", "lymph_node"] = parameter(
        "marrow",
        description=(
            "bone marrow (B-ALL): a torus, no edge; or lymph node (LBCL): a bounded grid"
            " whose edge is the capsule (no move, no cytokine crosses it; infused cells"
            " enter there with therapy.entry = border)"
        ),
        source="scenario setting; the node's shape: docs/model.md (Lymph node)",
    )
    well_mixed: bool = parameter(
        False,
        description=(
            "well-mixed limit: T-cells go to random free sites every step, and a dividing"
            " resident's 8 candidate sites are random sites, not its neighbours"
        ),
        source="model check (docs/validation.md)",
    )


class TimeParameters(Section):
    """The clock: the length of a step and of a run."""

    hours_per_step: float = parameter(
        1.0,
        ge=MIN_HOURS_PER_STEP,
        le=24.0,
        description="hours per step; 24 must be a whole number of steps",
        source="numerical setting (results do not depend on it beyond sampling noise)",
    )
    days: int = parameter(
        240,
        ge=1,
        le=MAX_DAYS,
        description="days simulated, from enrolment (day 0)",
        source="scenario setting",
    )

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

    initial_blast_fraction: float = parameter(
        0.10,
        ge=0.0,
        le=1.0,
        description="share of sites holding a blast at day 0",
        source="assumption: relapse at enrolment (docs/model.md)",
    )
    initial_cd19_negative_fraction: float = parameter(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of the day-0 blasts that are CD19-negative",
        source="scenario setting (no pre-existing subclone)",
    )
    cd19_negative_clustered: bool = parameter(
        False,
        description=(
            "start the CD19-negative blasts as one clump instead of scattered: the blasts"
            " nearest the first one placed (Chebyshev distance; equal distances in the"
            " order drawn, so the clump is the same on every machine)"
        ),
        source="scenario setting",
    )
    division_rate_per_day: float = parameter(
        0.075,
        ge=0.0,
        le=10.0,
        description="divisions per blast per day, with room to divide",
        source="T9: untreated doubling ~10 d (Br J Haematol 1997;98:999); lymphoma.toml's "
        "0.035 is an assumption (no measured doubling time of relapsed LBCL; checked against "
        "the tumour growth measured before CAR T-cells: docs/model.md)",
    )
    death_rate_per_day: float = parameter(
        0.005,
        ge=0.0,
        le=10.0,
        description="background deaths per blast per day",
        source="T9 (net growth = division - death)",
    )
    cd19_loss_prob: float = parameter(
        0.000001,
        ge=0.0,
        le=1.0,
        description="chance that a daughter is CD19-negative",
        source=(
            "assumption (CD19-negative relapse exists; no rate); low enough that"
            " >= 90% of responders are MRD-negative (T12)"
        ),
    )
    dense_mass: bool = parameter(
        False,
        description="start the blasts as one dense disc in the middle (a lymph node mass)",
        source="scenario setting",
    )
    division_pushes: bool = parameter(
        False,
        description="a blast with no empty neighbour divides anyway, pushing the cells "
        "between it and the nearest empty site one site outward (growth throughout a "
        "mass, not only at its rim; agents/mass_growth.py)",
        source="LBCL grows diffusely, its dividing cells spread through the mass (Grogan "
        "et al. Blood 1988; Erlanson et al. Hematol Oncol 1995); off in marrow "
        "(docs/model.md)",
    )


class BCellParameters(Section):
    """Healthy B-cells: CD19-positive residents the marrow keeps near a target density."""

    target_fraction: float = parameter(
        0.20,
        ge=0.0,
        le=1.0,
        description="share of sites the marrow keeps B-cells at",
        source=CALIBRATED,
    )
    lifespan_days: float = parameter(
        60.0,
        gt=0.0,
        le=3650.0,
        description="mean B-cell life, days",
        source="B-cell life ~60 d (León-Triana et al. 2021)",
    )
    maturation_days: float = parameter(
        7.0,
        gt=0.0,
        le=365.0,
        description="mean days a new B-cell spends as a dividing CD19+ precursor before it matures",
        source="CD19+ pro-/pre-B precursors mature over days (León-Triana et al. 2021)",
    )
    precursor_influx_per_day: float = parameter(
        4.0,
        ge=0.0,
        le=10000.0,
        description="new precursors a day from CD19-negative stem cells, per 10,000 sites",
        source="CAR T-cells cannot see the stem cells that seed the B lineage; calibrated: T11",
    )
    precursor_feedback_gain: float = parameter(
        0.5,
        ge=0.0,
        le=100.0,
        description=(
            "extra precursor divisions, per precursor and maturation time, for each share"
            " of the target the B-cells are missing (catch-up)"
        ),
        source=CALIBRATED,
    )
    cytokine_share_when_killed: float = parameter(
        0.3,
        ge=0.0,
        le=1.0,
        description=(
            "share of a kill's cytokine released when the cell killed is a healthy B-cell"
            " (a blast releases all of it)"
        ),
        source=(
            "CAR T-cells kill leukaemic cells by gasdermin-E pyroptosis, which drives CRS;"
            " normal B-cells lack it (Liu et al. Sci Immunol 2020); patients treated with"
            " little leukaemia have little CRS (Park et al. NEJM 2018); calibrated: T8, T13"
        ),
    )
    aplasia_threshold: float = parameter(
        0.10,
        ge=0.0,
        le=1.0,
        description="aplasia: B-cells below this share of day-0 count",
        source="definition: B-cell aplasia below 10% of baseline (docs/model.md)",
    )


class FieldParameters(Section):
    """The two fields: cytokine (IL-6-like) and antigen debris."""

    cytokine_half_life_hours: float = parameter(
        6.0,
        gt=0.0,
        le=1000.0,
        description="half-life of cytokine in the tissue, hours",
        source=CALIBRATED,
    )
    cytokine_diffusion_per_hour: float = parameter(
        0.5,
        ge=0.0,
        le=10.0,
        description="share of a site's cytokine spread out per hour",
        source=CALIBRATED,
    )
    antigen_half_life_hours: float = parameter(
        8.0,
        gt=0.0,
        le=1000.0,
        description="half-life of antigen debris, hours",
        source="assumption: debris fades within about a day (docs/model.md)",
    )
    crs_grade_thresholds: list[float] = parameter(
        default_factory=lambda: [120.0, 220.0, 400.0, 700.0],
        description="systemic cytokine (units per 10,000 sites) for CRS grades 1-4",
        source=(
            "calibrated on the grade distribution of the pooled ELIANA/ENSIGN safety"
            " analysis (Levine et al. J Immunother Cancer 2021): grade 1 at CRS of any grade"
            " 79% (T8), grade 4 at 22%; grades 2 and 3 spaced evenly in the logarithm"
        ),
    )

    @model_validator(mode="after")
    def _thresholds_increase(self) -> FieldParameters:
        values = self.crs_grade_thresholds
        increasing = all(b > a for a, b in itertools.pairwise(values))
        if len(values) != 4 or not increasing or values[0] <= 0:
            raise ValueError("crs_grade_thresholds must be 4 positive, increasing numbers")
        return self

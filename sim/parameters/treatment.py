"""The treatment: lymphodepletion, the therapy timeline and product, tocilizumab."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from sim.parameters.base import CALIBRATED, Section, parameter

T3 = "T3: median 43 d, range 24-133 d (Levine 2021)"
UCART19 = "UCART19 TRAC and CD52 knockout (Qasim 2017)"


class LymphodepletionParameters(Section):
    """Fludarabine/cyclophosphamide before infusion (plus alemtuzumab in the donor arm)."""

    enabled: bool = parameter(
        True,
        description="give lymphodepletion before infusion",
        source="standard before CAR-T infusion (fludarabine/cyclophosphamide)",
    )
    days: int = parameter(
        5,
        ge=1,
        le=30,
        description="doses, one a day, ending the day before infusion",
        source="flu 30 mg/m² x 4 d + cy 500 mg/m² x 2 d",
    )
    native_t_kill_fraction: float = parameter(
        0.8, ge=0.0, le=1.0, description="share killed over the course", source=CALIBRATED
    )
    b_cell_kill_fraction: float = parameter(
        0.5, ge=0.0, le=1.0, description="share killed over the course", source=CALIBRATED
    )
    blast_kill_fraction: float = parameter(
        0.3, ge=0.0, le=1.0, description="share killed over the course", source=CALIBRATED
    )
    alemtuzumab: bool = parameter(
        False,
        description="add alemtuzumab (removes CD52+ T-cells)",
        source="UCART19 (Qasim 2017; Benjamin 2020)",
    )
    alemtuzumab_native_t_kill_fraction: float = parameter(
        0.97,
        ge=0.0,
        le=1.0,
        description="extra share of native T-cells removed",
        source=CALIBRATED,
    )
    alemtuzumab_recovery_delay_days: float = parameter(
        28.0,
        ge=0.0,
        le=365.0,
        description="days after infusion before host T-cells recover",
        source="assumption (host T-cells absent ~4 wk)",
    )
    alemtuzumab_half_life_days: float = parameter(
        11.0,
        gt=0.0,
        le=365.0,
        description="elimination half-life of alemtuzumab, days (sim.alemtuzumab)",
        source="median 11 days in children (Cancer Chemother Pharmacol 2020)",
    )
    alemtuzumab_lytic_level_ug_per_ml: float = parameter(
        0.16,
        gt=0.0,
        le=100.0,
        description="least blood level that still holds alloreactive T-cells down, µg/mL",
        source=(
            "Marsh et al. Blood 2016: in vivo lytic threshold 0.1-0.16 µg/mL; alloreactive"
            " T-cells held back only at >= 0.16 (acute GvHD 18% vs 68% at <= 0.15)"
        ),
    )
    alemtuzumab_car_t_death_rate_per_day: float = parameter(
        2.0,
        ge=0.0,
        le=100.0,
        description="extra deaths per day of CD52+ CAR T-cells under it",
        source="assumption: alemtuzumab removes CD52+ cells within days",
    )
    alemtuzumab_native_t_death_rate_per_day: float = parameter(
        2.0,
        ge=0.0,
        le=100.0,
        description="extra deaths per day of host (CD52+) T-cells while it is in the blood",
        source=(
            "alemtuzumab removes CD52+ lymphocytes for weeks after dosing"
            " (Benjamin 2020); assumption: as fast as for CD52+ CAR T-cells"
        ),
    )


class TherapyParameters(Section):
    """The therapy timeline: arm, manufacturing, bridging, product."""

    arm: Literal["none", "autologous", "donor"] = parameter(
        "autologous",
        description="no therapy, the patient's own cells, or a donor's cells",
        source="scenario setting",
    )
    manufacturing_median_days: float = parameter(
        43.0, gt=0.0, le=365.0, description="median enrolment to infusion, days", source=T3
    )
    manufacturing_min_days: float = parameter(
        24.0, ge=0.0, le=365.0, description="shortest manufacturing time, days", source=T3
    )
    manufacturing_max_days: float = parameter(
        133.0, gt=0.0, le=730.0, description="longest manufacturing time, days", source=T3
    )
    manufacturing_sigma: float = parameter(
        0.35,
        ge=0.0,
        le=3.0,
        description="log-normal spread of the manufacturing time",
        source="calibrated: T3 range 24-133 d",
    )
    manufacturing_failure_prob: float = parameter(
        0.08,
        ge=0.0,
        le=1.0,
        description="chance that manufacturing fails (no infusion)",
        source="T2: 8 of 97 (ELIANA update, ASH 2019)",
    )
    donor_delay_days: float = parameter(
        5.0,
        ge=0.0,
        le=365.0,
        description="enrolment to infusion",
        source="off-the-shelf product: days, not weeks (Benjamin 2020)",
    )
    bridging_days: list[int] = parameter(
        default_factory=list,
        description="days (from enrolment) of bridging chemotherapy",
        source="scenario setting (none by default)",
    )
    bridging_blast_kill_fraction: float = parameter(
        0.5,
        ge=0.0,
        le=1.0,
        description="share of blasts one bridging dose kills",
        source=CALIBRATED,
    )
    product_fitness: float = parameter(
        1.0,
        gt=0.0,
        le=10.0,
        description="scales the CAR T-cell kill rate (1 = healthy donor)",
        source="assumption (1 = healthy donor)",
    )
    tcr_knockout_efficiency: float = parameter(
        0.98,
        ge=0.0,
        le=1.0,
        description="donor arm: share of cells without a TCR",
        source=UCART19,
    )
    cd52_knockout: bool = parameter(
        True, description="donor arm: cells survive alemtuzumab", source=UCART19
    )
    gvhd_rate_per_day: float = parameter(
        0.05,
        ge=0.0,
        le=100.0,
        description="GvHD score per TCR-intact donor cell per day",
        source=CALIBRATED,
    )
    gvhd_threshold: float = parameter(
        5.0,
        gt=0.0,
        le=1e9,
        description="GvHD score above which the run records GvHD",
        source=CALIBRATED,
    )
    entry: Literal["scattered", "border"] = parameter(
        "scattered",
        description="where infused cells enter: random sites or the grid border",
        source="scenario setting (border: a lymph node)",
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


class TocilizumabParameters(Section):
    """Tocilizumab (anti-IL-6 receptor antibody) given for cytokine release syndrome.

    Used only when a "tocilizumab now" event fires (the live view); the defaults change no
    run without that event.
    """

    cytokine_release_factor: float = parameter(
        0.25,
        ge=0.0,
        le=1.0,
        description="share of cytokine release that still acts while tocilizumab is given",
        source="assumption; tocilizumab for CRS: Le et al. Oncologist 2018;23:943, Maude 2018",
    )
    duration_days: float = parameter(
        14.0,
        ge=0.5,
        le=60.0,
        description="days one dose acts",
        source="antibody half-life ~11-14 d at CRS doses (Le et al. 2018)",
    )

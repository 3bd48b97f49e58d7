"""The virtual patient: the ``[patient]`` table, whose entries are distributions.

Every run draws one patient from these distributions (see :mod:`sim.patient`), once, from
the run's seed on a random stream of its own, and runs the scenario as that patient. An
entry is one of three small distributions, written as an inline table::

    [patient]
    product_fitness = {dist = "lognormal", median = 1.0, sigma = 0.3}
    blast_fraction_at_enrolment = {dist = "beta", mean = 0.15, concentration = 8.0}
    bridging_blast_kill_fraction = {dist = "uniform", low = 0.3, high = 0.7}

- ``lognormal``: ``median`` (> 0) and ``sigma`` (the spread of the logarithm; 0 gives
  ``median`` exactly);
- ``uniform``: any value from ``low`` to ``high`` (``low = high`` gives that value);
- ``beta``: a share in (0, 1) with ``mean`` and ``concentration`` (alpha + beta; larger
  is narrower).

A draw outside the quantity's allowed range is drawn again (a truncated distribution). An
entry that is absent (``None``) leaves the scenario's own parameter as it is. With the
defaults (no spread) every run is the same patient and the scenario runs exactly as it
would without a ``[patient]`` table.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from sim.parameters.base import Section, parameter

NO_SPREAD = "no spread until calibrated (one fixed patient)"


class Lognormal(Section):
    """Log-normal: ``median x exp(sigma x z)``, z standard normal."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0.0, description="the median, in the quantity's unit")
    sigma: float = Field(0.0, ge=0.0, le=3.0, description="spread of the logarithm")

    def sample(self, rng: np.random.Generator) -> float:
        """One draw (``median`` exactly when ``sigma`` is 0)."""
        return self.median * math.exp(self.sigma * float(rng.standard_normal()))

    def central(self) -> float:
        """The median."""
        return self.median


class Uniform(Section):
    """Uniform from ``low`` to ``high``."""

    dist: Literal["uniform"]
    low: float = Field(description="lowest value, in the quantity's unit")
    high: float = Field(description="highest value, in the quantity's unit")

    def sample(self, rng: np.random.Generator) -> float:
        """One draw (``low`` exactly when ``low == high``)."""
        return self.low + (self.high - self.low) * float(rng.random())

    def central(self) -> float:
        """The midpoint."""
        return 0.5 * (self.low + self.high)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low must not exceed high (got {self.low} > {self.high})")
        return self


class Beta(Section):
    """Beta on (0, 1) with ``mean`` and ``concentration`` (alpha = mean x concentration)."""

    dist: Literal["beta"]
    mean: float = Field(gt=0.0, lt=1.0, description="the mean share")
    concentration: float = Field(gt=0.0, le=1e6, description="alpha + beta; larger is narrower")

    def sample(self, rng: np.random.Generator) -> float:
        """One draw."""
        k = self.concentration
        return float(rng.beta(self.mean * k, (1.0 - self.mean) * k))

    def central(self) -> float:
        """The mean."""
        return self.mean


Distribution = Annotated[Lognormal | Uniform | Beta, Field(discriminator="dist")]
"""One entry of ``[patient]``: a lognormal, uniform or beta distribution."""

RANGES: dict[str, tuple[float, float]] = {
    "product_fitness": (1e-6, 10.0),
    "blast_fraction_at_enrolment": (0.0, 1.0),
    "bridging_blast_kill_fraction": (0.0, 1.0),
    "cd19_negative_subclone_share": (1e-6, 1.0),
    "cytokine_amplification": (1e-6, 100.0),
    "host_t_suppression_days": (0.0, 365.0),
    "alemtuzumab_level_at_infusion": (0.0, 1000.0),
    "memory_share_factor": (1e-6, 100.0),
    "residual_cd19_negative_frequency": (0.0, 1.0),
    "dose_factor": (1e-3, 100.0),
    "microenvironment_hostility": (0.0, 1.0),
    "tumour_growth_factor": (0.05, 20.0),
}
"""The values each distributed quantity may take (a draw outside is drawn again)."""


def _fixed(value: float) -> Lognormal:
    return Lognormal(dist="lognormal", median=value, sigma=0.0)


class PatientParameters(Section):
    """The virtual patient: distributions drawn once per run (see module docstring)."""

    product_fitness: Distribution = parameter(
        default_factory=lambda: _fixed(1.0),
        description="factor on therapy.product_fitness (the CAR T-cell kill rate)",
        source=NO_SPREAD,
    )
    blast_fraction_at_enrolment: Distribution | None = parameter(
        None,
        description="share of sites holding a blast at day 0 (absent: the scenario's)",
        source=NO_SPREAD,
    )
    bridging_blast_kill_fraction: Distribution | None = parameter(
        None,
        description="share of blasts one bridging dose kills (absent: the scenario's)",
        source=NO_SPREAD,
    )
    cd19_negative_subclone_per_burden: float = parameter(
        0.0,
        ge=0.0,
        le=1000.0,
        description="chance of a CD19-negative subclone = min(1, this x day-0 blast share)",
        source=NO_SPREAD,
    )
    cd19_negative_subclone_share: Distribution = parameter(
        default_factory=lambda: _fixed(0.05),
        description="share of the day-0 blasts in the subclone, when there is one",
        source=NO_SPREAD,
    )
    cytokine_amplification: Distribution = parameter(
        default_factory=lambda: _fixed(1.0),
        description="factor on the cytokine every kill releases",
        source=NO_SPREAD,
    )
    host_t_suppression_days: Distribution | None = parameter(
        None,
        description="with alemtuzumab: days after infusion before host T-cells recover "
        "(absent: lymphodepletion.alemtuzumab_recovery_delay_days)",
        source=NO_SPREAD,
    )
    alemtuzumab_level_at_infusion: Distribution | None = parameter(
        None,
        description="with alemtuzumab: its blood level on the day of infusion, µg/mL; when "
        "given, the days host T-cells stay down follow from it (sim.alemtuzumab) and "
        "host_t_suppression_days is not drawn",
        source=NO_SPREAD,
    )

    eligible_blast_fraction_min: float = parameter(
        0.05,
        ge=0.0,
        le=1.0,
        description="the least share of blasts a drawn patient may have at enrolment (a "
        "draw below is drawn again)",
        source="trial eligibility is >= 5% marrow blasts (ELIANA, Maude et al. NEJM 2018; "
        "PALL/CALM enrolled relapsed/refractory B-ALL alike)",
    )
    sanctuary_disease_probability: float = parameter(
        1.0,
        ge=0.0,
        le=1.0,
        description="chance that a patient has occult leukaemia in sanctuary sites at "
        "enrolment (residual.sanctuary_fraction; without it the sanctuary is empty)",
        source="leukaemic cells found by flow cytometry in the spinal fluid of about a "
        "quarter of children with B-ALL (25.4%, Thastrup et al. Leukemia 2020; 35%, Popov "
        "et al. J Cancer Res Clin Oncol 2019)",
    )
    memory_share_factor: Distribution = parameter(
        default_factory=lambda: _fixed(1.0),
        description="factor on car_t.memory_fraction: the product's memory/stem-like share",
        source="products differ in memory-like content (Fraietta et al. Nat Med 2018); "
        + NO_SPREAD,
    )
    dose_factor: Distribution = parameter(
        default_factory=lambda: _fixed(1.0),
        description="factor on the CAR T-cell dose (car_t.dose_cells or dose_per_10k_sites)",
        source="trials infused different dose levels (dose escalation); " + NO_SPREAD,
    )
    residual_cd19_negative_frequency: Distribution | None = parameter(
        None,
        description="share of the residual compartment that is CD19-negative at "
        "enrolment (rare pre-existing variants; absent: none)",
        source="pre-existing CD19 variants (Sotillo 2015; Orlando 2018); " + NO_SPREAD,
    )

    microenvironment_hostility: Distribution | None = parameter(
        None,
        description="the tumour's hostility to T-cells, 0-1 (absent: "
        "microenvironment.hostility); agents/microenvironment.py",
        source="LBCL tumours differ in myeloid suppression and interferon signalling, "
        "which predicts non-response (Jain et al. Blood 2021); " + NO_SPREAD,
    )
    tumour_growth_factor: Distribution = parameter(
        default_factory=lambda: _fixed(1.0),
        description="factor on leukaemia.division_rate_per_day: how fast this patient's "
        "tumour grows",
        source="LBCL proliferation varies (LDH >= 500 U/L in 21% of TRANSCEND patients, "
        "Abramson et al. Lancet 2020); " + NO_SPREAD,
    )

    @model_validator(mode="after")
    def _inside_ranges(self) -> PatientParameters:
        for name, (low, high) in RANGES.items():
            entry = getattr(self, name)
            if entry is None:
                continue
            inside = low <= entry.central() <= high
            if isinstance(entry, Uniform):
                inside = low <= entry.low and entry.high <= high
            if not inside:
                raise ValueError(f"{name}: the distribution must lie within [{low}, {high}]")
        return self

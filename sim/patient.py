"""The virtual patient of a run: drawn once from the run's seed, applied to its scenario.

A scenario's ``[patient]`` table
(:class:`sim.parameters.patient_distributions.PatientParameters`) holds distributions.
:func:`draw_patient` draws one patient from them, each quantity on its own
random stream ``SeedSequence(seed, spawn_key=(PATIENT_STREAM, i))``, so the model's own
generator (seeded with ``seed``) is untouched, and a spread given to one quantity does not
change the draws of the others. :func:`effective_scenario` builds the scenario the run
actually simulates (validated like a scenario file): the patient's values, and the dose
per 10,000 sites turned into cells on this grid. :class:`sim.model.CarTModel` calls it
when it is constructed, so single runs, batches and the live view all get the patient.

With the default ``[patient]`` table (no spread, nothing absent overridden) and no
``car_t.dose_per_10k_sites`` the effective scenario is the scenario itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from sim.alemtuzumab import conditioning_kill_fraction, lytic_days_after_infusion
from sim.errors import UserInputError
from sim.parameters import Scenario
from sim.parameters.patient_distributions import RANGES, Beta, Lognormal, Uniform

PATIENT_STREAM = 0x50415449  # "PATI": the spawn key of the patient's random streams
MAX_REDRAWS = 1000
SITES_PER_DOSE_UNIT = 10_000  # car_t.dose_per_10k_sites is per this many sites

# the stream index of each quantity (fixed: adding a quantity must not move the others)
STREAMS = {
    "product_fitness": 0,
    "blast_fraction_at_enrolment": 1,
    "bridging_blast_kill_fraction": 2,
    "cd19_negative_subclone": 3,
    "cd19_negative_subclone_share": 4,
    "cytokine_amplification": 5,
    "host_t_suppression_days": 6,
    "memory_share_factor": 7,
    "residual_cd19_negative_frequency": 8,
    "dose_factor": 9,
    "microenvironment_hostility": 10,
    "tumour_growth_factor": 11,
    "sanctuary_disease": 12,
    "alemtuzumab_level_at_infusion": 13,
}


SUPERSEDED_BY: dict[tuple[str, ...], tuple[str, ...]] = {
    ("leukaemia", "initial_blast_fraction"): ("patient", "blast_fraction_at_enrolment"),
    ("therapy", "bridging_blast_kill_fraction"): ("patient", "bridging_blast_kill_fraction"),
    ("lymphodepletion", "alemtuzumab_recovery_delay_days"): ("patient", "host_t_suppression_days"),
    ("car_t", "dose_cells"): ("car_t", "dose_per_10k_sites"),
    ("microenvironment", "hostility"): ("patient", "microenvironment_hostility"),
}
"""A parameter, and the entry that replaces it in a run when present (a patient's draw,
or the dose per 10,000 sites, as :func:`effective_scenario` applies them). The loader
lets whichever of the two was set last win: a ``--set`` (or a child scenario file) that
sets the parameter drops the entry that would replace it."""


@dataclass(frozen=True)
class Patient:
    """One drawn patient (the ``patient_*`` fields of the run's summary).

    Attributes:
        product_fitness: factor on ``therapy.product_fitness`` (the kill rate).
        blast_fraction_at_enrolment: share of sites holding a blast at day 0.
        bridging_blast_kill_fraction: share of blasts one bridging dose kills.
        cd19_negative_subclone: a CD19-negative subclone was drawn.
        cd19_negative_fraction: share of the day-0 blasts that are CD19-negative.
        cytokine_amplification: factor on the cytokine each kill releases.
        host_t_suppression_days: days after infusion before host T-cells recover from
            alemtuzumab; ``None`` when the scenario gives no alemtuzumab.
        alemtuzumab_level_at_infusion: alemtuzumab's blood level on the day of the
            infusion, µg/mL, when the scenario draws it (``host_t_suppression_days``
            then follows from it: :mod:`sim.alemtuzumab`); otherwise ``None``.
        memory_share_factor: factor on ``car_t.memory_fraction`` (the product's
            memory/stem-like share).
        residual_cd19_negative_frequency: share of the residual compartment
            (:mod:`sim.residual`) that is CD19-negative at enrolment.
        dose_factor: factor on the CAR T-cell dose.
        microenvironment_hostility: the tumour's hostility to T-cells, 0-1
            (``microenvironment.hostility``; :mod:`agents.microenvironment`).
        tumour_growth_factor: factor on ``leukaemia.division_rate_per_day`` (how fast
            this patient's tumour grows).
        sanctuary_disease: leukaemia in sanctuary sites at enrolment (occult CNS disease);
            without it the residual compartment has no sanctuary.
    """

    product_fitness: float
    blast_fraction_at_enrolment: float
    bridging_blast_kill_fraction: float
    cd19_negative_subclone: bool
    cd19_negative_fraction: float
    cytokine_amplification: float
    host_t_suppression_days: float | None
    alemtuzumab_level_at_infusion: float | None
    memory_share_factor: float
    residual_cd19_negative_frequency: float
    dose_factor: float
    microenvironment_hostility: float
    tumour_growth_factor: float
    sanctuary_disease: bool

    def summary_fields(self) -> dict[str, Any]:
        """The patient as summary fields, each prefixed ``patient_``."""
        return {f"patient_{name}": value for name, value in self.__dict__.items()}


PATIENT_SUMMARY_FIELDS = tuple(f"patient_{name}" for name in Patient.__dataclass_fields__)
"""The summary fields of the patient, in order."""


def stream(seed: int, quantity: str) -> np.random.Generator:
    """The random generator of one quantity of the patient of the run with ``seed``."""
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(PATIENT_STREAM, STREAMS[quantity]))
    )


def draw_value(
    distribution: Lognormal | Uniform | Beta,
    rng: np.random.Generator,
    quantity: str,
    at_least: float | None = None,
) -> float:
    """One draw of ``distribution`` within the quantity's range (:data:`RANGES`, and not
    below ``at_least`` when given), drawn again while outside (after :data:`MAX_REDRAWS`
    tries: its central value, moved into the range if it lies outside)."""
    low, high = RANGES[quantity]
    if at_least is not None:
        low = max(low, at_least)
    for _ in range(MAX_REDRAWS):
        value = distribution.sample(rng)
        if low <= value <= high:
            return value
    return min(max(distribution.central(), low), high)


def draw_patient(scenario: Scenario, seed: int) -> Patient:
    """The patient of the run of ``scenario`` with ``seed`` (absent entries: the scenario's
    own values)."""
    table = scenario.patient

    def draw(quantity: str, fallback: float, at_least: float | None = None) -> float:
        distribution = getattr(table, quantity)
        if distribution is None:
            return fallback
        return draw_value(distribution, stream(seed, quantity), quantity, at_least)

    burden = draw(
        "blast_fraction_at_enrolment",
        scenario.leukaemia.initial_blast_fraction,
        at_least=table.eligible_blast_fraction_min,
    )
    chance = min(1.0, table.cd19_negative_subclone_per_burden * burden)
    subclone = chance > 0.0 and bool(stream(seed, "cd19_negative_subclone").random() < chance)
    negative = scenario.leukaemia.initial_cd19_negative_fraction
    if subclone:
        negative = draw("cd19_negative_subclone_share", negative)
    ld = scenario.lymphodepletion
    level = None
    if ld.alemtuzumab and table.alemtuzumab_level_at_infusion is not None:
        level = draw("alemtuzumab_level_at_infusion", 0.0)
        suppression = lytic_days_after_infusion(
            level, ld.alemtuzumab_half_life_days, ld.alemtuzumab_lytic_level_ug_per_ml
        )
    else:
        suppression = draw("host_t_suppression_days", ld.alemtuzumab_recovery_delay_days)
    return Patient(
        product_fitness=draw("product_fitness", 1.0),
        blast_fraction_at_enrolment=burden,
        bridging_blast_kill_fraction=draw(
            "bridging_blast_kill_fraction", scenario.therapy.bridging_blast_kill_fraction
        ),
        cd19_negative_subclone=subclone,
        cd19_negative_fraction=negative,
        cytokine_amplification=draw("cytokine_amplification", 1.0),
        host_t_suppression_days=suppression if ld.alemtuzumab else None,
        alemtuzumab_level_at_infusion=level,
        memory_share_factor=draw("memory_share_factor", 1.0),
        residual_cd19_negative_frequency=draw("residual_cd19_negative_frequency", 0.0),
        dose_factor=draw("dose_factor", 1.0),
        microenvironment_hostility=draw(
            "microenvironment_hostility", scenario.microenvironment.hostility
        ),
        tumour_growth_factor=draw("tumour_growth_factor", 1.0),
        sanctuary_disease=_has_sanctuary_disease(table.sanctuary_disease_probability, seed),
    )


def _has_sanctuary_disease(probability: float, seed: int) -> bool:
    """Occult sanctuary disease, with ``probability`` (no draw when it is 0 or 1, so a
    scenario without the spread stays bit for bit as before)."""
    if probability >= 1.0:
        return True
    if probability <= 0.0:
        return False
    return bool(stream(seed, "sanctuary_disease").random() < probability)


def effective_scenario(scenario: Scenario, seed: int) -> tuple[Scenario, Patient]:
    """The scenario the run with ``seed`` simulates, and its patient.

    The patient's values replace ``leukaemia.initial_blast_fraction``,
    ``initial_cd19_negative_fraction``, ``therapy.bridging_blast_kill_fraction`` and
    ``lymphodepletion.alemtuzumab_recovery_delay_days``; its factors multiply
    ``therapy.product_fitness``, ``car_t.cytokine_per_kill`` and
    ``native_t.taught_cytokine_per_kill``, and ``car_t.memory_fraction``
    (``memory_share_factor``), ``leukaemia.division_rate_per_day``
    (``tumour_growth_factor``); ``microenvironment_hostility`` replaces
    ``microenvironment.hostility``; ``car_t.dose_per_10k_sites``, when set, becomes
    ``car_t.dose_cells`` on this grid; ``dose_factor`` multiplies the dose; a patient
    without sanctuary disease has ``residual.sanctuary_fraction`` 0; a drawn alemtuzumab
    level sets how much of the conditioning's alemtuzumab killed
    (:func:`sim.alemtuzumab.conditioning_kill_fraction`). Unchanged
    tables are kept as they are (the same objects), so a patient without spread leaves
    the run bit for bit as before.

    Raises:
        UserInputError: a resulting value breaks a parameter's range (the message names
            the key and the patient's value).
    """
    patient = draw_patient(scenario, seed)
    leukaemia = {
        "initial_blast_fraction": patient.blast_fraction_at_enrolment,
        "initial_cd19_negative_fraction": patient.cd19_negative_fraction,
        "division_rate_per_day": scenario.leukaemia.division_rate_per_day
        * patient.tumour_growth_factor,
    }
    car_t: dict[str, Any] = {
        "cytokine_per_kill": scenario.car_t.cytokine_per_kill * patient.cytokine_amplification,
        "cytokine_per_engaged_hour": scenario.car_t.cytokine_per_engaged_hour
        * patient.cytokine_amplification,
        "memory_fraction": min(1.0, scenario.car_t.memory_fraction * patient.memory_share_factor),
    }
    per_10k = scenario.car_t.dose_per_10k_sites
    if per_10k is not None:
        sites = scenario.grid.width * scenario.grid.height
        car_t["dose_cells"] = round(per_10k * patient.dose_factor * sites / SITES_PER_DOSE_UNIT)
    elif patient.dose_factor != 1.0:
        car_t["dose_cells"] = round(scenario.car_t.dose_cells * patient.dose_factor)
    native_t = {
        "taught_cytokine_per_kill": scenario.native_t.taught_cytokine_per_kill
        * patient.cytokine_amplification
    }
    therapy = {
        "product_fitness": scenario.therapy.product_fitness * patient.product_fitness,
        "bridging_blast_kill_fraction": patient.bridging_blast_kill_fraction,
    }
    microenvironment = {"hostility": patient.microenvironment_hostility}
    residual: dict[str, Any] = {}
    if not patient.sanctuary_disease:
        residual["sanctuary_fraction"] = 0.0
    lymphodepletion: dict[str, Any] = {}
    if patient.host_t_suppression_days is not None:
        lymphodepletion["alemtuzumab_recovery_delay_days"] = patient.host_t_suppression_days
    level = patient.alemtuzumab_level_at_infusion
    if level is not None:
        ld = scenario.lymphodepletion
        lymphodepletion["alemtuzumab_native_t_kill_fraction"] = conditioning_kill_fraction(
            ld.alemtuzumab_native_t_kill_fraction,
            level,
            ld.alemtuzumab_half_life_days,
            ld.alemtuzumab_lytic_level_ug_per_ml,
            ld.days,
        )
    changes = {
        "leukaemia": leukaemia,
        "car_t": car_t,
        "native_t": native_t,
        "therapy": therapy,
        "lymphodepletion": lymphodepletion,
        "microenvironment": microenvironment,
        "residual": residual,
    }
    updated = {}
    for table, values in changes.items():
        section = getattr(scenario, table)
        new = _updated(section, table, values)
        if new is not section:
            updated[table] = new
    if not updated:
        return scenario, patient
    return scenario.model_copy(update=updated), patient


def _updated(section: BaseModel, table: str, values: dict[str, Any]) -> BaseModel:
    """``section`` with ``values``, validated; ``section`` itself when nothing changes."""
    changed = {key: value for key, value in values.items() if getattr(section, key) != value}
    if not changed:
        return section
    try:
        return type(section).model_validate({**section.model_dump(), **changed})
    except ValidationError as error:
        problem = error.errors()[0]
        key = ".".join(str(part) for part in problem["loc"]) or "(table)"
        raise UserInputError(
            f"patient: {table}.{key} = {changed.get(key, '?')!r} after drawing the patient: "
            f"{problem['msg']}"
        ) from None

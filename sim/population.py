"""One patient population for two arms: the same patients treated two ways.

Two scenarios may enrol different virtual patients (``donor`` enrols patients with more
blasts than ``autologous``: ``[patient] blast_fraction_at_enrolment``). A comparison of
treatments should give both arms the *same* patients, so that seed k is one patient
treated two ways. Every patient quantity is drawn on its own random stream of the run's
seed (:mod:`sim.patient`), so two arms that draw a quantity from the same distribution
with the same seed draw the same value.

:func:`shared_population` gives the overrides (as ``--set`` would) that make an arm draw
the *patient's* quantities from a named scenario's population:

- the leukaemia: blasts at enrolment, the CD19-negative subclone (chance per burden, its
  share, or the scenario's fixed CD19-negative fraction), the CD19-negative share of the
  residual compartment (``residual_cd19_negative_frequency``), occult sanctuary disease
  (``sanctuary_disease_probability``), and how much a bridging
  dose kills (a property of the leukaemia's sensitivity);
- who is enrolled: the eligibility floor on blasts (``eligible_blast_fraction_min``);
- the host's inflammatory response (``cytokine_amplification``).

What belongs to a treatment stays with its arm: the product's fitness
(``product_fitness``: a patient's own T-cells vary, a healthy donor's do not) and how
long alemtuzumab keeps the host T-cells down (``host_t_suppression_days``: only an arm
that gives alemtuzumab draws it).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sim.loader import Override
from sim.parameters import Scenario

SHARED_SOURCE = "--patients shared"
"""The source of the overrides of a shared population (``--patients shared (NAME)``)."""

PATIENT_ENTRIES: dict[str, tuple[str, str] | None] = {
    "blast_fraction_at_enrolment": ("leukaemia", "initial_blast_fraction"),
    "bridging_blast_kill_fraction": ("therapy", "bridging_blast_kill_fraction"),
    "cd19_negative_subclone_per_burden": None,
    "cd19_negative_subclone_share": None,
    "cytokine_amplification": None,
    "eligible_blast_fraction_min": None,
    "residual_cd19_negative_frequency": None,
    "sanctuary_disease_probability": None,
}
"""The ``[patient]`` entries of the population, each with the scenario parameter it
replaces when present (used when the entry is absent). An entry that replaces nothing is
shared as it is, absent (None) included."""
FIXED_PATIENT_PARAMETERS = (("leukaemia", "initial_cd19_negative_fraction"),)
"""Patient parameters of a scenario that are not drawn, shared as they are."""


def _plain(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def shared_population(population: Scenario) -> list[Override]:
    """Overrides that make any scenario enrol the patients of ``population`` (apply them
    after the user's own; applied to ``population`` itself they change nothing)."""
    source = f"{SHARED_SOURCE} ({population.name})"
    overrides = []
    for entry, replaces in PATIENT_ENTRIES.items():
        value = getattr(population.patient, entry)
        if value is None and replaces is not None:
            table, key = replaces
            overrides.append(Override(replaces, getattr(getattr(population, table), key), source))
        elif value is not None or replaces is None:
            overrides.append(Override(("patient", entry), _plain(value), source))
    for table, key in FIXED_PATIENT_PARAMETERS:
        overrides.append(Override((table, key), getattr(getattr(population, table), key), source))
    return overrides


def population_name(sources: list[str]) -> str | None:
    """The scenario named by the shared-population overrides among ``sources`` (the
    ``source`` of each override of a batch), or None when there are none."""
    for source in sources:
        if source.startswith(SHARED_SOURCE):
            return source.removeprefix(SHARED_SOURCE).strip(" ()")
    return None

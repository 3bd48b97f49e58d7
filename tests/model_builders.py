"""Small hand-built models for the rule tests: an empty tissue, cells placed by hand."""

from __future__ import annotations

from collections.abc import Sequence

from sim.loader import load_scenario
from sim.model import CarTModel
from sim.parameters import Scenario
from sim.parameters.patient_distributions import PatientParameters

EMPTY_TISSUE = (
    "grid.width=7",
    "grid.height=7",
    "leukaemia.initial_blast_fraction=0.0",
    "b_cells.target_fraction=0.0",
    "native_t.normal_fraction=0.0",
    "therapy.arm='none'",
    "therapy.bridging_days=[]",
    "car_t.motility_sites_per_hour=0.0",
    "native_t.motility_sites_per_hour=0.0",
    "residual.enabled=false",
)


def empty_scenario(overrides: Sequence[str] = ()) -> Scenario:
    """A 7x7 tissue with no cells and no therapy; T-cells stand still unless told.

    One fixed patient (no ``[patient]`` spread), the dose in cells (``dose_cells``), no
    residual compartment, no replicative limit and no cytokine from engagement alone,
    unless the overrides say otherwise.
    """
    scenario = load_scenario("autologous", [*EMPTY_TISSUE, *overrides])
    if not any(o.startswith("patient.") for o in overrides):
        scenario = scenario.model_copy(update={"patient": PatientParameters()})
    if not any(o.startswith("car_t.replicative_limit") for o in overrides):
        # each rule on its own: the line's replicative limit only where a test asks for it
        car_t = scenario.car_t.model_copy(update={"replicative_limit": None})
        scenario = scenario.model_copy(update={"car_t": car_t})
    if not any(o.startswith("car_t.cytokine_per_engaged_hour") for o in overrides):
        # each rule on its own: cytokine from kills alone unless a test asks for signalling
        car_t = scenario.car_t.model_copy(update={"cytokine_per_engaged_hour": 0.0})
        scenario = scenario.model_copy(update={"car_t": car_t})
    if not any(o.startswith("car_t.dose_per_10k_sites") for o in overrides):
        car_t = scenario.car_t.model_copy(update={"dose_per_10k_sites": None})
        scenario = scenario.model_copy(update={"car_t": car_t})
    return scenario


def empty_model(
    overrides: Sequence[str] = (), seed: int = 1, engine: str = "reference"
) -> CarTModel:
    """A model of :func:`empty_scenario` (on ``engine``)."""
    return CarTModel(empty_scenario(overrides), seed, engine=engine)


def run_steps(model: CarTModel, steps: int) -> None:
    """Advance ``steps`` steps."""
    for _ in range(steps):
        model.step()

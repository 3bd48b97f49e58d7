"""Virtual patients: drawn from the run's seed on their own streams, applied, recorded."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from sim.errors import UserInputError
from sim.loader import load_scenario
from sim.parameters import Scenario
from sim.parameters.patient_distributions import Beta, Lognormal, PatientParameters, Uniform
from sim.patient import (
    PATIENT_SUMMARY_FIELDS,
    draw_patient,
    draw_value,
    effective_scenario,
)


def _fixed(name: str) -> Scenario:
    """The scenario ``name`` as one fixed patient: no ``[patient]`` entries, dose in cells."""
    scenario = load_scenario(name)
    car_t = scenario.car_t.model_copy(update={"dose_per_10k_sites": None})
    return scenario.model_copy(update={"patient": PatientParameters(), "car_t": car_t})


def _with_patient(scenario: Scenario, **entries: object) -> Scenario:
    table = PatientParameters.model_validate({**scenario.patient.model_dump(), **entries})
    return scenario.model_copy(update={"patient": table})


def test_default_patient_leaves_the_scenario_itself() -> None:
    scenario = _fixed("autologous")
    effective, patient = effective_scenario(scenario, seed=3)
    assert effective is scenario
    assert patient.product_fitness == 1.0 and patient.cytokine_amplification == 1.0
    assert patient.blast_fraction_at_enrolment == scenario.leukaemia.initial_blast_fraction
    assert patient.host_t_suppression_days is None  # no alemtuzumab in this arm
    assert not patient.cd19_negative_subclone


def test_donor_patient_records_the_suppression_window() -> None:
    donor = _fixed("donor")
    _, patient = effective_scenario(donor, seed=1)
    assert patient.host_t_suppression_days == donor.lymphodepletion.alemtuzumab_recovery_delay_days


def test_spread_draws_differ_between_seeds_and_repeat_for_a_seed() -> None:
    scenario = _with_patient(
        load_scenario("autologous"),
        product_fitness={"dist": "lognormal", "median": 1.0, "sigma": 0.5},
        blast_fraction_at_enrolment={"dist": "beta", "mean": 0.2, "concentration": 10.0},
    )
    first = [draw_patient(scenario, seed) for seed in range(30)]
    again = [draw_patient(scenario, seed) for seed in range(30)]
    assert first == again
    fitness = np.array([p.product_fitness for p in first])
    assert np.unique(fitness).size == 30
    burden = np.array([p.blast_fraction_at_enrolment for p in first])
    assert ((burden > 0) & (burden < 1)).all()


def test_spread_on_one_quantity_leaves_the_others_draws_alone() -> None:
    base = _with_patient(
        load_scenario("autologous"),
        product_fitness={"dist": "lognormal", "median": 1.0, "sigma": 0.5},
    )
    more = _with_patient(base, cytokine_amplification={"dist": "uniform", "low": 0.5, "high": 2})
    for seed in range(5):
        assert draw_patient(base, seed).product_fitness == draw_patient(more, seed).product_fitness


def test_patient_does_not_touch_the_model_stream() -> None:
    from sim.model import CarTModel

    scenario = load_scenario("classroom")
    spread = _with_patient(
        scenario, cytokine_amplification={"dist": "lognormal", "median": 1.0, "sigma": 0.4}
    )
    plain, drawn = CarTModel(scenario, seed=4), CarTModel(spread, seed=4)
    assert plain.plan == drawn.plan  # the plan comes from the model's generator
    assert plain.rng.random() == drawn.rng.random()


def test_effective_scenario_applies_every_quantity() -> None:
    scenario = _with_patient(
        load_scenario("donor"),
        product_fitness={"dist": "uniform", "low": 0.5, "high": 0.5},
        blast_fraction_at_enrolment={"dist": "uniform", "low": 0.3, "high": 0.3},
        bridging_blast_kill_fraction={"dist": "uniform", "low": 0.2, "high": 0.2},
        cd19_negative_subclone_per_burden=10.0,  # chance min(1, 10 x 0.3) = 1
        cd19_negative_subclone_share={"dist": "uniform", "low": 0.1, "high": 0.1},
        cytokine_amplification={"dist": "lognormal", "median": 2.0, "sigma": 0.0},
        host_t_suppression_days={"dist": "uniform", "low": 60.0, "high": 60.0},
        alemtuzumab_level_at_infusion=None,  # drawn, the level would decide the window
    )
    effective, patient = effective_scenario(scenario, seed=9)
    assert effective.therapy.product_fitness == 0.5 * scenario.therapy.product_fitness
    assert effective.leukaemia.initial_blast_fraction == 0.3
    assert effective.therapy.bridging_blast_kill_fraction == 0.2
    assert patient.cd19_negative_subclone
    assert effective.leukaemia.initial_cd19_negative_fraction == 0.1
    assert effective.car_t.cytokine_per_kill == 2.0 * scenario.car_t.cytokine_per_kill
    assert (
        effective.native_t.taught_cytokine_per_kill
        == 2.0 * scenario.native_t.taught_cytokine_per_kill
    )
    assert effective.lymphodepletion.alemtuzumab_recovery_delay_days == 60.0
    assert scenario.leukaemia.initial_blast_fraction != 0.3  # the input is left alone


def test_subclone_chance_grows_with_burden() -> None:
    def share(burden: float) -> float:
        scenario = _with_patient(
            load_scenario("autologous"),
            blast_fraction_at_enrolment={"dist": "uniform", "low": burden, "high": burden},
            cd19_negative_subclone_per_burden=1.0,
        )
        return np.mean([draw_patient(scenario, s).cd19_negative_subclone for s in range(400)])

    low, high = share(0.1), share(0.6)
    assert abs(low - 0.1) < 0.05 and abs(high - 0.6) < 0.08  # chance = 1 x burden


def test_draws_outside_the_range_are_drawn_again() -> None:
    rng = np.random.default_rng(0)
    wide = Lognormal(dist="lognormal", median=0.5, sigma=2.0)
    values = [draw_value(wide, rng, "blast_fraction_at_enrolment") for _ in range(200)]
    assert max(values) <= 1.0 and min(values) >= 0.0


def test_the_fallback_after_all_redraws_is_still_eligible() -> None:
    rng = np.random.default_rng(0)
    narrow = Beta(dist="beta", mean=0.02, concentration=1e5)  # never near 0.3
    value = draw_value(narrow, rng, "blast_fraction_at_enrolment", at_least=0.3)
    assert value == 0.3


def test_distribution_samples_have_their_centre() -> None:
    rng = np.random.default_rng(1)
    beta = Beta(dist="beta", mean=0.3, concentration=20.0)
    uniform = Uniform(dist="uniform", low=2.0, high=4.0)
    assert abs(np.mean([beta.sample(rng) for _ in range(4000)]) - 0.3) < 0.01
    assert abs(np.mean([uniform.sample(rng) for _ in range(4000)]) - 3.0) < 0.05
    logs = [
        math.log(Lognormal(dist="lognormal", median=2.0, sigma=0.5).sample(rng))
        for _ in range(4000)
    ]
    assert abs(np.median(logs) - math.log(2.0)) < 0.03


@pytest.mark.parametrize(
    "entry",
    [
        {"blast_fraction_at_enrolment": {"dist": "uniform", "low": 0.5, "high": 1.5}},
        {"product_fitness": {"dist": "gamma", "median": 1.0}},
        {"product_fitness": {"dist": "lognormal", "median": -1.0}},
        {"cytokine_amplification": {"dist": "uniform", "low": 2.0, "high": 1.0}},
        {"unknown_quantity": 1.0},
    ],
)
def test_bad_patient_tables_are_refused(entry: dict) -> None:
    with pytest.raises(ValidationError):
        PatientParameters.model_validate(entry)


def test_a_patient_table_in_a_scenario_file_loads(tmp_path) -> None:
    path = tmp_path / "varied.toml"
    path.write_text(
        'base = "autologous"\n[patient]\n'
        'product_fitness = {dist = "lognormal", median = 1.0, sigma = 0.3}\n'
    )
    scenario = load_scenario(str(path))
    assert scenario.patient.product_fitness.sigma == 0.3
    with pytest.raises(UserInputError, match="patient"):
        bad = tmp_path / "bad.toml"
        bad.write_text('base = "autologous"\n[patient]\nproduct_fitness = {dist = "x"}\n')
        load_scenario(str(bad))


def test_dose_per_10k_sites_scales_with_the_grid() -> None:
    scenario = load_scenario(
        "autologous", ["car_t.dose_per_10k_sites=24.0", "grid.width=50", "grid.height=50"]
    )
    effective, _ = effective_scenario(scenario, seed=0)
    assert effective.car_t.dose_cells == 6


def test_summary_records_the_patient() -> None:
    from sim.run import run_simulation

    summary = run_simulation(_fixed("classroom"), seed=2, days=2).summary
    assert list(summary)[-len(PATIENT_SUMMARY_FIELDS) :] == list(PATIENT_SUMMARY_FIELDS)
    assert summary["patient_product_fitness"] == 1.0


def test_the_validation_doc_lists_every_patient_summary_field() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text()
    missing = [name for name in PATIENT_SUMMARY_FIELDS if f"`{name}`" not in text]
    assert not missing, f"docs/validation.md does not list {missing}"

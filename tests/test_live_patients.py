"""One patient, two treatments: side by side (and in ``compare``) both arms enrol the
first arm's patient population by default; ``own`` gives each arm its own."""

from __future__ import annotations

from sim.loader import load_scenario
from sim.population import population_name, shared_population
from sim.run import run_simulation
from viz.live.session import load_arms

SMALL = ["grid.width=30", "grid.height=30"]


def _burden(arm) -> float:
    return arm.model.patient.blast_fraction_at_enrolment


def test_side_by_side_arms_are_the_same_patient_by_default() -> None:
    autologous, donor = load_arms(["autologous", "donor"], SMALL, seed=1)
    assert _burden(autologous) == _burden(donor)
    assert (
        autologous.model.patient.cytokine_amplification
        == donor.model.patient.cytokine_amplification
    )
    # the product stays with its arm: a healthy donor's cells are all equally fit
    assert autologous.model.patient.product_fitness != donor.model.patient.product_fitness
    assert autologous.store.frames[0].counts.blast_pct == donor.store.frames[0].counts.blast_pct


def test_own_patients_enrol_each_arms_trial_population() -> None:
    autologous, donor = load_arms(["autologous", "donor"], SMALL, seed=1, own_patients=True)
    assert _burden(autologous) != _burden(donor)


def test_a_shared_population_changes_nothing_in_its_own_scenario() -> None:
    autologous = load_scenario("autologous")
    shared = shared_population(autologous)
    assert load_scenario("autologous", shared) == autologous
    assert population_name([o.source for o in shared]) == "autologous"
    assert population_name(["--set"]) is None


def test_summary_states_the_blasts_at_enrolment_the_same_in_both_arms() -> None:
    shared = [*SMALL, *shared_population(load_scenario("autologous", SMALL))]
    runs = [run_simulation(load_scenario(name, shared), 4, 2) for name in ("autologous", "donor")]
    at_enrolment = [run.summary["blast_pct_at_enrolment"] for run in runs]
    assert at_enrolment[0] == at_enrolment[1] > 0
    assert at_enrolment[0] == runs[0].timeseries["blast_pct"].iloc[0]


def test_a_shared_population_shares_eligibility_and_residual_variants() -> None:
    frequency = (
        "patient.residual_cd19_negative_frequency={dist='lognormal', median=0.01, sigma=0.5}"
    )
    population = load_scenario(
        "autologous", ["patient.eligible_blast_fraction_min=0.05", frequency]
    )
    donor = load_scenario("donor", shared_population(population))
    assert donor.patient.eligible_blast_fraction_min == 0.05
    assert (
        donor.patient.residual_cd19_negative_frequency
        == population.patient.residual_cd19_negative_frequency
    )
    # a population without residual variants gives the arm none either
    autologous = load_scenario("autologous")
    without = autologous.patient.model_copy(update={"residual_cd19_negative_frequency": None})
    plain = shared_population(autologous.model_copy(update={"patient": without}))
    donor_plain = load_scenario("donor", [frequency, *plain])
    assert donor_plain.patient.residual_cd19_negative_frequency is None

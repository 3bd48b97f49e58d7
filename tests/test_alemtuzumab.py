"""Alemtuzumab's lytic window after a donor infusion follows its blood level (sim.alemtuzumab)."""

from __future__ import annotations

import math

import pytest

from sim.alemtuzumab import conditioning_kill_fraction, lytic_days_after_infusion
from sim.loader import load_scenario
from sim.model import CarTModel
from sim.parameters import Scenario
from sim.parameters.patient_distributions import PatientParameters
from sim.patient import Patient, effective_scenario


def test_a_level_halves_every_half_life_until_it_is_no_longer_lytic() -> None:
    # 0.8 µg/mL halves to 0.4, 0.2, 0.1: three half-lives above the lytic level of 0.1
    assert lytic_days_after_infusion(0.8, 11.0, 0.1) == pytest.approx(33.0)
    assert lytic_days_after_infusion(0.2, 5.0, 0.1) == pytest.approx(5.0)


def test_a_level_already_below_the_lytic_level_protects_the_graft_not_at_all() -> None:
    assert lytic_days_after_infusion(0.05, 11.0, 0.1) == 0.0
    assert lytic_days_after_infusion(0.1, 11.0, 0.1) == 0.0


def _donor_with_level(level: float) -> tuple[Scenario, Scenario, Patient]:
    """The donor scenario with every patient at ``level`` µg/mL, its run, its patient."""
    donor = load_scenario("donor")
    fixed = {"dist": "uniform", "low": level, "high": level}
    table = PatientParameters.model_validate(
        {**donor.patient.model_dump(), "alemtuzumab_level_at_infusion": fixed}
    )
    effective, patient = effective_scenario(donor.model_copy(update={"patient": table}), seed=4)
    return donor, effective, patient


def test_the_donor_patient_draws_a_level_and_the_window_follows_from_it() -> None:
    donor, effective, patient = _donor_with_level(0.64)
    assert patient.alemtuzumab_level_at_infusion == 0.64
    expected = 2 * donor.lymphodepletion.alemtuzumab_half_life_days  # 0.64 -> 0.16: two halvings
    assert patient.host_t_suppression_days == pytest.approx(expected)
    assert effective.lymphodepletion.alemtuzumab_recovery_delay_days == pytest.approx(expected)


def test_an_arm_without_alemtuzumab_draws_no_level() -> None:
    _, patient = effective_scenario(load_scenario("autologous"), seed=4)
    assert patient.alemtuzumab_level_at_infusion is None


def test_a_level_lytic_throughout_the_conditioning_kills_the_full_share() -> None:
    assert conditioning_kill_fraction(0.97, 0.2, 11.0, 0.1, 5) == 0.97


def test_a_level_never_lytic_during_the_conditioning_kills_nothing_extra() -> None:
    # 0.05 ug/mL at infusion: 0.05 x 2^(5/11) = 0.069 five days before, never lytic
    assert conditioning_kill_fraction(0.97, 0.05, 11.0, 0.1, 5) == 0.0


def test_a_level_lytic_on_part_of_the_conditioning_kills_part() -> None:
    # below the lytic level for the last 11 x log2(0.1/0.08) = 3.54 of the 5 days
    share = conditioning_kill_fraction(0.97, 0.08, 11.0, 0.1, 5)
    lytic_days = 5 - 11.0 * math.log2(0.1 / 0.08)
    assert share == pytest.approx(1 - 0.03 ** (lytic_days / 5))
    assert 0.0 < share < 0.97


def test_the_drawn_level_sets_the_conditioning_kill_of_the_run() -> None:
    _, effective, _ = _donor_with_level(0.05)
    assert effective.lymphodepletion.alemtuzumab_native_t_kill_fraction == 0.0
    assert effective.lymphodepletion.alemtuzumab_recovery_delay_days == 0.0


def _active_days(level: float) -> list[int]:
    scenario = load_scenario(
        "donor",
        [
            "grid.width=30",
            "grid.height=30",
            f"patient.alemtuzumab_level_at_infusion.median={level}",
            "patient.alemtuzumab_level_at_infusion.sigma=0.0",
        ],
    )
    model = CarTModel(scenario, seed=2)
    infusion = model.therapy.plan.infusion_day
    assert infusion is not None
    active = []
    for day in range(infusion + 3):
        model.step()  # the day's first step opens or closes the window
        if model.therapy.alemtuzumab_active:
            active.append(day)
        for _ in range(model.steps_per_day - 1):
            model.step()
    return [day - infusion for day in active]


def test_a_level_never_lytic_opens_no_window_and_a_lytic_one_covers_the_conditioning() -> None:
    assert _active_days(0.05) == []  # never lytic: no alemtuzumab deaths at all
    assert _active_days(0.8) == [-5, -4, -3, -2, -1, 0, 1, 2]  # conditioning and after

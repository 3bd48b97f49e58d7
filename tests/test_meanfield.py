"""The mean-field check: in the well-mixed limit the agents' mean follows the ODE of the
same rules, and an ODE with a wrong rate does not (study/validation/meanfield.py).

Fast versions (seconds): 30 x 30 grid, 20 seeds, 30 days. The slow versions
(``uv run pytest -m slow tests/test_meanfield.py``): untreated on 50 x 50 for 80 days
(into the full marrow), autologous on 40 x 40 for 60 days, 60 seeds each.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import CarTModel
from study.validation.meanfield import (
    MeanFieldRates,
    none_of_eight,
    solve_mean_field,
)
from study.validation.meanfield_check import (
    WITH_RESIDUAL,
    agent_runs,
    check_scenario,
    compare,
    infusion_transient,
)

FAST = {"width": 30, "days": 30, "seeds": range(1, 21)}
SLOW = {
    "untreated": {"width": 50, "days": 80, "seeds": range(1, 61)},
    "autologous": {"width": 40, "days": 60, "seeds": range(1, 61)},
}
_cache: dict[tuple[str, int, int, int], object] = {}


def runs_for(arm: str, width: int, days: int, seeds: range):  # type: ignore[no-untyped-def]
    """Agent runs of a check scenario, made once per session."""
    key = (arm, width, days, len(seeds))
    if key not in _cache:
        scenario = check_scenario(arm, width=width)
        _cache[key] = (scenario, agent_runs(scenario, days, seeds))
    return _cache[key]


@pytest.mark.parametrize("arm", ["untreated", "autologous"])
def test_agents_follow_the_ode(arm: str) -> None:
    scenario, runs = runs_for(arm, **FAST)
    ode = solve_mean_field(scenario, FAST["days"])
    result = compare(runs, ode, skip_days=infusion_transient(scenario))
    assert result.passed, result.failures().to_string()


@pytest.mark.parametrize(
    ("arm", "wrong"),
    [("untreated", {"blast_division": 1.2}), ("autologous", {"division_per_kill": 1.2})],
)
def test_a_wrong_rate_fails_the_check(arm: str, wrong: dict[str, float]) -> None:
    scenario, runs = runs_for(arm, **FAST)
    rates = MeanFieldRates.from_scenario(check_scenario(arm, width=FAST["width"]))
    ode = solve_mean_field(scenario, FAST["days"], rates=rates.scaled(**wrong))
    assert not compare(runs, ode, skip_days=infusion_transient(scenario)).passed


RESIDUAL_SEEDING = 0.2  # per day: enough seeding onto a 30 x 30 grid to matter in 30 days


@pytest.mark.parametrize("two_way", [False, True])
def test_agents_follow_the_ode_with_the_residual_compartment(two_way: bool) -> None:
    scenario = check_scenario(
        "autologous",
        width=30,
        residual_seeding_per_day=RESIDUAL_SEEDING,
        two_way_exchange=two_way,
    )
    runs = agent_runs(scenario, FAST["days"], FAST["seeds"])
    ode = solve_mean_field(scenario, FAST["days"])
    result = compare(runs, ode, columns=WITH_RESIDUAL, skip_days=infusion_transient(scenario))
    assert result.passed, result.failures().to_string()
    assert ode["residual"].iloc[0] > 0
    wrong = MeanFieldRates.from_scenario(scenario).scaled(residual_seeding=3.0)
    ode_wrong = solve_mean_field(scenario, FAST["days"], rates=wrong)
    skip = infusion_transient(scenario)
    assert not compare(runs, ode_wrong, columns=WITH_RESIDUAL, skip_days=skip).passed


def test_well_mixed_moves_every_t_cell_and_spreads_daughters() -> None:
    scenario = check_scenario("autologous", width=20, infusion_day=1)
    model = CarTModel(scenario, seed=5)
    for _ in range(model.steps_per_day + 1):
        model.step()
    table = model.tissue.t_cells
    rows = table.live_rows()
    assert rows.size > 0
    before = table.site[rows].copy()
    model.step()
    alive = table.kind[rows] != 0
    moved_far = (before != table.site[rows]) & alive
    assert moved_far.sum() > 0.8 * alive.sum()  # a walk of 3 moves cannot leave most far
    sites = model.tissue.empty_resident_neighbours(0)
    assert 0 not in sites and all(model.tissue.residents[s] is None for s in sites)


def test_none_of_eight_is_the_hypergeometric_chance() -> None:
    rng = np.random.default_rng(3)
    draws = np.array([rng.choice(100, 8, replace=False) for _ in range(20000)])
    estimate = float((draws >= 30).all(axis=1).mean())  # miss the 30 sites 0..29
    assert abs(estimate - none_of_eight(30, 100)) < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("arm", ["untreated", "autologous"])
def test_agents_follow_the_ode_long(arm: str) -> None:
    setting = SLOW[arm]
    scenario, runs = runs_for(arm, **setting)
    ode = solve_mean_field(scenario, setting["days"])
    result = compare(runs, ode, skip_days=infusion_transient(scenario))
    assert result.passed, result.failures().to_string()
    wrong = MeanFieldRates.from_scenario(scenario).scaled(blast_division=1.2)
    wrong_ode = solve_mean_field(scenario, setting["days"], rates=wrong)
    assert not compare(runs, wrong_ode, skip_days=infusion_transient(scenario)).passed

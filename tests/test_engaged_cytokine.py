"""An engaged CAR T-cell secretes cytokine, killing or not (CarTCell.signal), when
``car_t.cytokine_per_engaged_hour`` is set; by default only kills release it."""

from __future__ import annotations

import pytest
from model_builders import empty_model

from agents.car_t_cell import CarTCell
from agents.healthy_b_cell import HealthyBCell
from sim.loader import load_scenario
from sim.model import CarTModel

CENTRE = 3 * 7 + 3
NEIGHBOURS = (3 * 7 + 4, 2 * 7 + 3)
NO_KILL = ("car_t.kill_rate_per_day=0.0", "b_cells.lifespan_days=3650.0")


def _engaged_effector(per_hour: float) -> tuple[CarTModel, CarTCell]:
    model = empty_model([*NO_KILL, f"car_t.cytokine_per_engaged_hour={per_hour}"])
    effector = CarTCell(model, CENTRE)
    for site in NEIGHBOURS:  # two CD19+ neighbours of eight: a quarter engaged
        HealthyBCell(model, site)
    return model, effector


def test_an_engaged_effector_releases_cytokine_at_its_site_without_killing() -> None:
    model, effector = _engaged_effector(8.0)
    effector.interact()
    hours = model.hours_per_step
    assert model.tissue._released == [(CENTRE, pytest.approx(8.0 * 2 / 8 * hours), 0.0)]


def test_by_default_an_effector_that_does_not_kill_releases_nothing() -> None:
    model, effector = _engaged_effector(0.0)
    effector.interact()
    assert model.tissue._released == []


def test_the_compiled_engine_runs_the_rule_as_the_reference_does() -> None:
    """The compiled engine's CAR T-cell kernel hands an engaged effector's call to the
    readable rule when it secretes; the two engines give the same run."""
    overrides = ["grid.width=30", "grid.height=30", "time.days=25"]
    overrides += ["therapy.bridging_days=[]", "car_t.cytokine_per_engaged_hour=4.0"]
    scenario = load_scenario("classroom", overrides)
    reference = CarTModel(scenario, seed=1)
    compiled = CarTModel(scenario, seed=1, engine="compiled")
    for _ in range(25):
        reference.run_day()
        compiled.run_day()
        assert reference.tissue.cytokine.tobytes() == compiled.tissue.cytokine.tobytes()
        assert reference.random.getstate() == compiled.random.getstate()
    assert reference.census.kills_by_car_t > 0 and reference.tissue.cytokine.any()

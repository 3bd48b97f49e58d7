"""An engaged CAR T-cell secretes cytokine, killing or not (CarTCell.signal), when
``car_t.cytokine_per_engaged_hour`` > 0 (0.15 in the model; the test builders set 0 unless
asked); at 0 only kills release it. Both
engines: the compiled one settles the secretion in its kernel and releases it in order."""

from __future__ import annotations

import numpy as np
import pytest
from model_builders import empty_model

from agents.car_t_cell import CarTCell
from agents.healthy_b_cell import HealthyBCell
from sim.engine import ENGINES
from sim.loader import load_scenario
from sim.model import CarTModel

CENTRE = 3 * 7 + 3
NEIGHBOURS = (3 * 7 + 4, 2 * 7 + 3)
NO_KILL = ("car_t.kill_rate_per_day=0.0", "b_cells.lifespan_days=3650.0")


def _engaged_effector(per_hour: float, engine: str = "reference") -> tuple[CarTModel, CarTCell]:
    model = empty_model([*NO_KILL, f"car_t.cytokine_per_engaged_hour={per_hour}"], engine=engine)
    effector = CarTCell(model, CENTRE)
    for site in NEIGHBOURS:  # two CD19+ neighbours of eight: a quarter engaged
        HealthyBCell(model, site)
    return model, effector


def _meet(model: CarTModel, *cells: CarTCell) -> None:
    """The cells' encounters, as a step runs them on the model's engine."""
    model.engine.encounters(model, np.array([cell.row for cell in cells]))


@pytest.mark.parametrize("engine", ENGINES)
def test_an_engaged_effector_releases_cytokine_at_its_site_without_killing(engine: str) -> None:
    model, effector = _engaged_effector(8.0, engine)
    _meet(model, effector)
    hours = model.hours_per_step
    assert model.tissue.releases.pending() == [(CENTRE, pytest.approx(8.0 * 2 / 8 * hours), 0.0)]
    assert effector.engaged_hours == pytest.approx(2 / 8 * hours)


@pytest.mark.parametrize("engine", ENGINES)
def test_without_secretion_an_effector_that_does_not_kill_releases_nothing(engine: str) -> None:
    model, effector = _engaged_effector(0.0, engine)
    _meet(model, effector)
    assert model.tissue.releases.pending() == []


def test_the_compiled_engine_settles_the_secretion_in_its_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An engaged effector that does not kill no longer leaves the kernel for the readable
    rule: its secretion is logged there and released in call order, the reference's."""
    reference, first = _engaged_effector(8.0)
    second = CarTCell(reference, 0)  # next to no CD19+ cell: secretes nothing
    third = CarTCell(reference, 3 * 7 + 5)  # one CD19+ neighbour: an eighth engaged
    _meet(reference, third, second, first)
    compiled, *cells = _engaged_effector(8.0, "compiled")
    cells += [CarTCell(compiled, 0), CarTCell(compiled, 3 * 7 + 5)]

    def readable_rule(cell: CarTCell) -> None:
        raise AssertionError("an engaged effector's quiet call left the kernel")

    monkeypatch.setattr(CarTCell, "interact", readable_rule)
    _meet(compiled, cells[2], cells[1], cells[0])
    assert compiled.tissue.releases.pending() == reference.tissue.releases.pending()
    assert [site for site, _, _ in reference.tissue.releases.pending()] == [3 * 7 + 5, CENTRE]


def test_the_compiled_engine_runs_the_rule_as_the_reference_does() -> None:
    """The compiled engine settles engaged effectors' quiet calls in its kernel and runs
    the others (kills, exhaustion) in Python; the two engines give the same run."""
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

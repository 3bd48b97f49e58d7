"""The rules of durable control (docs/model.md), each on a tiny hand-built tissue:
memory as a reservoir that buds effectors (and tires on chronic antigen), exhaustion by
time engaged with antigen, B-cells from CD19-positive precursors, alemtuzumab against
host T-cells, product fitness."""

from __future__ import annotations

import pytest
from model_builders import empty_model, run_steps
from scipy import stats

from agents.car_t_cell import CarTCell
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import ResidentKind
from agents.leukaemic_blast import LeukaemicBlast
from agents.native_t_cell import NativeTCell

CENTRE = 3 * 7 + 3  # site (3, 3) of a 7x7 tissue
NEIGHBOUR = 3 * 7 + 4
STILL = ["leukaemia.division_rate_per_day=0.0", "leukaemia.death_rate_per_day=0.0"]
NO_DEATHS = [
    "car_t.effector_half_life_days=3650",
    "car_t.memory_half_life_days=36500",
    "b_cells.lifespan_days=3650",
]


def test_memory_cell_buds_fresh_effectors_and_stays_memory() -> None:
    model = empty_model(["car_t.memory_budding_rate_per_day=100.0", "car_t.kill_rate_per_day=0"])
    memory = CarTCell(model, CENTRE, state="memory")
    HealthyBCell(model, NEIGHBOUR, precursor=False)
    run_steps(model, 1)
    assert memory.state == "memory"
    buds = [cell for cell in model.t_cells() if cell is not memory]
    assert len(buds) == 1
    assert buds[0].state == "effector" and buds[0].engaged_hours == 0.0
    assert buds[0].site in model.tissue.neighbour_tuples[CENTRE]


def test_memory_cell_never_kills_and_buds_nothing_without_antigen() -> None:
    model = empty_model(["car_t.memory_budding_rate_per_day=100.0", *STILL])
    memory = CarTCell(model, CENTRE, state="memory")
    run_steps(model, 48)
    assert model.census.car_t == 1
    LeukaemicBlast(model, NEIGHBOUR, cd19_positive=False)
    run_steps(model, 48)
    assert model.census.car_t == 1 and memory.kills == 0


def test_exhaustion_follows_time_engaged_even_without_kills() -> None:
    """No kills at all: surrounded by CD19+ cells it tires after the set hours."""
    model = empty_model(["car_t.kill_rate_per_day=0", "car_t.exhaustion_engaged_hours=10", *STILL])
    car_t = CarTCell(model, CENTRE)
    for site in model.tissue.neighbour_tuples[CENTRE]:
        LeukaemicBlast(model, site)
    run_steps(model, 9)
    assert car_t.state == "effector"
    run_steps(model, 1)
    assert car_t.state == "exhausted" and car_t.kills == 0


def test_one_cd19_positive_neighbour_tires_eight_times_slower() -> None:
    model = empty_model(
        ["car_t.kill_rate_per_day=0", "car_t.exhaustion_engaged_hours=10", *STILL, *NO_DEATHS]
    )
    car_t = CarTCell(model, CENTRE)
    LeukaemicBlast(model, NEIGHBOUR)
    run_steps(model, 79)
    assert car_t.state == "effector"
    assert car_t.engaged_hours == pytest.approx(79 / 8)
    run_steps(model, 1)
    assert car_t.state == "exhausted"


@pytest.mark.parametrize("limit_hours", [12, 201])
def test_memory_cell_tires_at_its_engaged_hours(limit_hours: int) -> None:
    """Surrounded by CD19+ cells, a memory cell counts an engaged hour an hour, stays a
    memory cell below memory_exhaustion_engaged_hours and is exhausted at it."""
    model = empty_model(
        [
            f"car_t.memory_exhaustion_engaged_hours={limit_hours}",
            "car_t.memory_budding_rate_per_day=0",
            *STILL,
            *NO_DEATHS,
        ]
    )
    memory = CarTCell(model, CENTRE, state="memory")
    for site in model.tissue.neighbour_tuples[CENTRE]:
        LeukaemicBlast(model, site)
    run_steps(model, limit_hours - 1)
    assert memory.state == "memory"
    assert memory.engaged_hours == pytest.approx(limit_hours - 1)
    run_steps(model, 1)
    assert memory.state == "exhausted"


def test_cd19_negative_neighbours_do_not_tire_a_car_t_cell() -> None:
    model = empty_model(["car_t.exhaustion_engaged_hours=1", *STILL, *NO_DEATHS])
    car_t = CarTCell(model, CENTRE)
    for site in model.tissue.neighbour_tuples[CENTRE]:
        LeukaemicBlast(model, site, cd19_positive=False)
    run_steps(model, 100)
    assert car_t.state == "effector" and car_t.engaged_hours == 0.0


def test_effector_daughters_inherit_engaged_time_memory_daughters_do_not() -> None:
    model = empty_model(["car_t.memory_fraction=0.0", *STILL])
    daughter = CarTCell(model, CENTRE, engaged_hours=5.0).divide()
    assert daughter is not None
    assert daughter.state == "effector" and daughter.engaged_hours == 5.0
    model = empty_model(["car_t.memory_fraction=1.0", *STILL])
    daughter = CarTCell(model, CENTRE).divide()  # a rested mother: always memory here
    assert daughter is not None
    assert daughter.state == "memory" and daughter.engaged_hours == 0.0


def test_a_line_driven_hard_by_antigen_makes_fewer_memory_cells() -> None:
    """Memory chance = memory_fraction x (1 - engaged / exhaustion hours): a mother at
    three quarters of the way to exhaustion makes memory daughters a quarter of the time."""
    memory = 0
    trials = 400
    for seed in range(trials):
        model = empty_model(
            ["car_t.memory_fraction=1.0", "car_t.exhaustion_engaged_hours=40", *STILL], seed
        )
        daughter = CarTCell(model, CENTRE, engaged_hours=30.0).divide()
        assert daughter is not None
        memory += daughter.state == "memory"
    interval = stats.binomtest(memory, trials).proportion_ci(method="wilson")
    assert interval.low <= 0.25 <= interval.high


def test_product_fitness_scales_kills_divisions_and_budding() -> None:
    full = empty_model(["therapy.product_fitness=1.0"]).chances
    poor = empty_model(["therapy.product_fitness=0.5"]).chances
    assert poor.car_t_division_per_kill == pytest.approx(0.5 * full.car_t_division_per_kill)
    assert poor.car_t_kill < full.car_t_kill
    assert poor.car_t_memory_budding < full.car_t_memory_budding


def test_new_b_cells_are_precursors_that_mature() -> None:
    model = empty_model(["b_cells.maturation_days=0.5", *NO_DEATHS])
    cell = HealthyBCell(model, CENTRE)
    assert cell.precursor and model.census.b_cell_precursors == 1
    run_steps(model, 24 * 10)
    assert cell.alive and not cell.precursor
    assert model.census.b_cell_precursors == 0


def test_without_precursors_only_the_stem_cell_influx_is_left() -> None:
    """The supply comes from precursors: remove them (as CAR T-cells do) and the marrow
    makes only the influx; with precursors back it catches up toward the target."""
    overrides = [
        "grid.width=30",
        "grid.height=30",
        "b_cells.target_fraction=0.2",
        "b_cells.precursor_influx_per_day=10",
    ]
    model = empty_model(overrides, seed=3)
    for cell in list(model.agents_by_type[HealthyBCell]):
        cell.die()
    assert model.census.b_cell_precursors == 0
    influx_only = HealthyBCell.production_per_day(model)
    assert influx_only == pytest.approx(10 * 900 / 10_000)
    HealthyBCell(model, CENTRE)
    assert HealthyBCell.production_per_day(model) > influx_only


def test_b_cells_settle_at_the_target_and_come_back_after_a_loss() -> None:
    model = empty_model(["grid.width=30", "grid.height=30", "b_cells.target_fraction=0.2"], seed=3)
    assert model.census.resident[ResidentKind.B_CELL] == 180
    for cell in list(model.agents_by_type[HealthyBCell])[:150]:
        cell.die()
    run_steps(model, 90 * 24)
    assert 140 <= model.census.resident[ResidentKind.B_CELL] <= 260  # may overshoot a little


def test_alemtuzumab_removes_host_t_cells_of_every_state_while_it_acts() -> None:
    model = empty_model(["lymphodepletion.alemtuzumab=true"])
    naive = NativeTCell(model, 0)
    model.therapy.alemtuzumab_active = True
    assert naive.death_probability() == pytest.approx(model.chances.alemtuzumab_native_t_death)
    model.therapy.alemtuzumab_active = False
    assert naive.death_probability() == 0.0

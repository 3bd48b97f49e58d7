"""CAR T-cells that can fade and a primed, limited alloresponse (issue 19), each on a tiny
hand-built tissue; each test fails if its rule is removed."""

from __future__ import annotations

import pytest
from model_builders import empty_model, run_steps

from agents.car_t_cell import CarTCell
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import MobileKind
from agents.native_t_cell import CloneLine, NativeTCell
from sim.chances import StepChances
from sim.parameters import half_life_to_rate_per_day, step_probability

CENTRE = 3 * 7 + 3
NEIGHBOUR = 3 * 7 + 4
OTHER_NEIGHBOUR = 2 * 7 + 3
BUDDING = ("car_t.kill_rate_per_day=0.0", "car_t.memory_budding_rate_per_day=100.0")
STILL_B = ("b_cells.lifespan_days=3650.0", "b_cells.maturation_days=365.0")


def test_a_memory_cell_with_a_spent_budget_is_exhausted() -> None:
    model = empty_model([*BUDDING, *STILL_B, "car_t.memory_bud_limit=2"])
    memory = CarTCell(model, CENTRE, state="memory")
    HealthyBCell(model, NEIGHBOUR)
    run_steps(model, 6)
    assert memory.buds == 2
    assert memory.state == "exhausted"


def test_without_a_budget_a_memory_cell_keeps_budding() -> None:
    model = empty_model([*BUDDING, *STILL_B])
    memory = CarTCell(model, CENTRE, state="memory")
    HealthyBCell(model, NEIGHBOUR)
    run_steps(model, 6)
    assert memory.buds > 2
    assert memory.state == "memory"


@pytest.mark.parametrize(("needed", "buds"), [(1, True), (2, False)])
def test_budding_needs_enough_local_antigen(needed: int, buds: bool) -> None:
    model = empty_model([*BUDDING, *STILL_B, f"car_t.budding_min_cd19_neighbours={needed}"])
    memory = CarTCell(model, CENTRE, state="memory")
    HealthyBCell(model, NEIGHBOUR)  # one CD19+ neighbour
    run_steps(model, 6)
    assert (memory.buds > 0) == buds


def test_the_patients_memory_share_scales_the_memory_fraction() -> None:
    model = empty_model(['patient.memory_share_factor={dist="uniform",low=0.5,high=0.5}'])
    assert model.parameters.car_t.memory_fraction == pytest.approx(0.5 * 0.03)


def _donor_model(overrides: list[str]):  # type: ignore[no-untyped-def]
    model = empty_model(
        [
            "therapy.arm='donor'",
            "car_t.dose_cells=0",
            "lymphodepletion.enabled=false",
            "rejection.prob_per_hour=1.0",
            "rejection.kill_rate_per_day=500.0",
            *overrides,
        ]
    )
    run_steps(model, model.plan.infusion_day * model.steps_per_day + 1)
    return model


@pytest.mark.parametrize(("delay_days", "killed_in_a_day"), [(0.0, True), (2.0, False)])
def test_an_alloreactive_cell_kills_only_after_its_priming_delay(
    delay_days: float, killed_in_a_day: bool
) -> None:
    model = _donor_model([f"rejection.priming_delay_days={delay_days}"])
    donor_cell = CarTCell(model, CENTRE, origin="donor")  # type: ignore[arg-type]
    host = NativeTCell(model, NEIGHBOUR)
    run_steps(model, 24)
    assert host.state == "alloreactive"
    assert donor_cell.alive != killed_in_a_day
    if not killed_in_a_day:
        run_steps(model, 24 * 2)
        assert not donor_cell.alive


def test_a_daughter_shares_its_lines_priming_and_divisions() -> None:
    model = _donor_model([])
    host = NativeTCell(model, CENTRE, state="alloreactive", primed_step=5, line=CloneLine(3))
    daughter = host.make_daughter(NEIGHBOUR)
    assert (daughter.primed_step, daughter.clone_divisions) == (5, 3)
    daughter.line.divisions += 1  # one count for the whole line
    assert host.clone_divisions == 4
    assert NativeTCell(model, OTHER_NEIGHBOUR).line is not host.line


@pytest.mark.parametrize("room", [True, False])
def test_only_a_division_that_made_a_daughter_spends_the_lines_count(room: bool) -> None:
    model = _donor_model(
        ["rejection.alloreactive_division_prob_per_kill=1.0", "rejection.max_clone_divisions=1"]
    )
    CarTCell(model, CENTRE, origin="donor")  # type: ignore[arg-type]
    host = NativeTCell(model, NEIGHBOUR, state="alloreactive", primed_step=0)
    if not room:
        host.divide = lambda: None  # type: ignore[method-assign]  # no empty neighbour
    run_steps(model, 2)
    assert host.kills == 1
    assert host.clone_divisions == (1 if room else 0)


@pytest.mark.parametrize(("limit", "divides"), [(None, True), (2, False)])
def test_an_alloreactive_line_stops_dividing_at_its_clone_limit(
    limit: int | None, divides: bool
) -> None:
    setting = "" if limit is None else f"rejection.max_clone_divisions={limit}"
    model = _donor_model(
        ["rejection.alloreactive_division_prob_per_kill=1.0", *([setting] if setting else [])]
    )
    CarTCell(model, CENTRE, origin="donor")  # type: ignore[arg-type]
    host = NativeTCell(model, NEIGHBOUR, state="alloreactive", primed_step=0, line=CloneLine(2))
    run_steps(model, 2)
    alloreactive = model.census.mobile[MobileKind.NATIVE_ALLOREACTIVE]
    assert host.kills == 1
    assert (alloreactive == 2) == divides


def test_alloreactive_cells_contract_with_their_own_half_life() -> None:
    scenario = empty_model(["rejection.alloreactive_half_life_days=2.0"]).parameters
    chances = StepChances.from_scenario(scenario)
    assert chances.alloreactive_death == pytest.approx(
        step_probability(half_life_to_rate_per_day(2.0), 1.0)
    )
    assert chances.taught_death != chances.alloreactive_death


# --- replicative senescence (car_t.replicative_limit) ------------------------------------


def test_a_division_ages_mother_and_daughter_by_one_generation() -> None:
    model = empty_model()
    mother = CarTCell(model, CENTRE)
    mother.generation = 4
    daughter = mother.divide()
    assert daughter is not None
    assert mother.generation == daughter.generation == 5


@pytest.mark.parametrize(("limit", "divides"), [(None, True), (3, False)])
def test_a_line_at_its_replicative_limit_divides_no_more(limit: int | None, divides: bool) -> None:
    model = empty_model([] if limit is None else [f"car_t.replicative_limit={limit}"])
    cell = CarTCell(model, CENTRE)
    cell.generation = 3
    assert (cell.divide() is not None) == divides


@pytest.mark.parametrize(("limit", "state"), [(None, "memory"), (5, "exhausted")])
def test_a_senescent_memory_cell_buds_no_more_and_is_exhausted(
    limit: int | None, state: str
) -> None:
    sets = [*BUDDING, *STILL_B] + ([] if limit is None else [f"car_t.replicative_limit={limit}"])
    model = empty_model(sets)
    memory = CarTCell(model, CENTRE, state="memory")
    memory.generation = 3
    HealthyBCell(model, NEIGHBOUR)
    run_steps(model, 12)
    assert memory.state == state
    if limit is not None:
        assert memory.buds == 2  # generations 4 and 5, then senescent

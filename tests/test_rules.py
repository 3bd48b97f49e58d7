"""Each rule of docs/model.md on a tiny hand-built tissue (7x7, cells placed by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from model_builders import empty_model, run_steps
from scipy import stats

from agents.car_t_cell import CarTCell
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import MobileKind, ResidentKind
from agents.leukaemic_blast import LeukaemicBlast
from agents.native_t_cell import NativeTCell

CENTRE = 3 * 7 + 3  # site (3, 3) of a 7x7 tissue
NEIGHBOUR = 3 * 7 + 4  # site (3, 4)
FAST_KILLS = "car_t.kill_rate_per_day=500.0"


def test_car_t_never_kills_a_cd19_negative_blast() -> None:
    model = empty_model([FAST_KILLS])
    CarTCell(model, CENTRE)
    blast = LeukaemicBlast(model, NEIGHBOUR, cd19_positive=False)
    run_steps(model, 200)
    assert blast.alive
    assert model.census.kills_by_car_t == 0


def test_car_t_kills_a_cd19_positive_blast_and_leaves_cytokine_and_debris() -> None:
    model = empty_model([FAST_KILLS, "leukaemia.division_rate_per_day=0.0"])
    CarTCell(model, CENTRE)
    blast = LeukaemicBlast(model, NEIGHBOUR)
    run_steps(model, 1)
    assert not blast.alive
    assert model.census.kills_by_car_t == 1
    assert model.tissue.resident_kind[NEIGHBOUR] == ResidentKind.EMPTY
    assert model.tissue.antigen[NEIGHBOUR] > 0.0
    assert model.tissue.cytokine.sum() > 0.0


def test_car_t_kills_healthy_b_cells_too() -> None:
    model = empty_model([FAST_KILLS])
    CarTCell(model, CENTRE)
    b_cell = HealthyBCell(model, NEIGHBOUR)
    run_steps(model, 1)
    assert not b_cell.alive
    assert model.census.b_cells_killed_by_car_t == 1


@pytest.mark.parametrize("share", [0.3, 1.0])
def test_killing_a_b_cell_releases_its_share_of_a_blast_kills_cytokine(share: float) -> None:
    released = {}
    for victim in (LeukaemicBlast, HealthyBCell):
        share_set = f"b_cells.cytokine_share_when_killed={share}"
        model = empty_model([FAST_KILLS, "leukaemia.division_rate_per_day=0.0", share_set])
        CarTCell(model, CENTRE)
        cell = victim(model, NEIGHBOUR)
        run_steps(model, 1)
        assert not cell.alive
        released[victim] = model.tissue.cytokine.sum()
    assert released[LeukaemicBlast] > 0.0
    assert released[HealthyBCell] == pytest.approx(share * released[LeukaemicBlast])


def test_at_most_one_kill_per_step() -> None:
    model = empty_model([FAST_KILLS, "leukaemia.division_rate_per_day=0.0"])
    CarTCell(model, CENTRE)
    for site in model.tissue.neighbour_tuples[CENTRE]:
        LeukaemicBlast(model, site)
    for step in range(1, 5):
        run_steps(model, 1)
        assert model.census.kills_by_car_t <= step


def test_kill_chance_per_step_follows_the_kill_rate() -> None:
    """p = 1 - exp(-rate x dt): with 12 kills a day and 1-hour steps, p = 0.39."""
    kills = 0
    trials = 400
    for seed in range(trials):
        model = empty_model(["car_t.kill_rate_per_day=12.0"], seed=seed)
        CarTCell(model, CENTRE)
        LeukaemicBlast(model, NEIGHBOUR)
        run_steps(model, 1)
        kills += model.census.kills_by_car_t
    expected = 1 - math.exp(-12.0 / 24)
    interval = stats.binomtest(kills, trials).proportion_ci(method="wilson")
    assert interval.low <= expected <= interval.high


def test_a_kill_can_make_the_car_t_cell_divide_and_the_daughter_inherits_engagement() -> None:
    model = empty_model(
        [FAST_KILLS, "car_t.division_prob_per_kill=1.0", "car_t.memory_fraction=0.0"]
    )
    mother = CarTCell(model, CENTRE)
    LeukaemicBlast(model, NEIGHBOUR)
    run_steps(model, 1)
    cells = model.t_cells()
    assert len(cells) == 2
    daughter = next(cell for cell in cells if cell is not mother)
    assert daughter.site in model.tissue.neighbour_tuples[CENTRE]
    assert daughter.engaged_hours == mother.engaged_hours == pytest.approx(1 / 8)
    assert mother.stimulations == 1
    assert daughter.state == "effector"


def test_exhaustion_after_the_set_engaged_time_stops_killing() -> None:
    model = empty_model(
        [
            FAST_KILLS,
            "car_t.exhaustion_engaged_hours=2",
            "car_t.division_prob_per_kill=0",
            "leukaemia.division_rate_per_day=0.0",
        ]
    )
    car_t = CarTCell(model, CENTRE)
    for site in model.tissue.neighbour_tuples[CENTRE]:
        LeukaemicBlast(model, site)
    run_steps(model, 50)
    assert car_t.state == "exhausted"
    assert 1 <= car_t.kills < 8
    assert model.census.mobile[MobileKind.CAR_T_EXHAUSTED] == 1


def test_exhausted_cells_die_faster_than_effectors() -> None:
    model = empty_model()
    assert model.chances.car_t_exhausted_death > model.chances.car_t_effector_death


def test_memory_cell_stays_memory_on_antigen_contact() -> None:
    model = empty_model(["car_t.kill_rate_per_day=0.0"])
    memory = CarTCell(model, CENTRE, state="memory")
    run_steps(model, 3)
    assert memory.state == "memory"
    HealthyBCell(model, NEIGHBOUR)
    run_steps(model, 24)
    assert memory.state == "memory"
    assert memory.kills == 0


@pytest.mark.parametrize(
    ("state", "half_life_key"),
    [("effector", "effector_half_life_days"), ("memory", "memory_half_life_days")],
)
def test_car_t_cells_die_with_their_half_life(state: str, half_life_key: str) -> None:
    """1,000 cells without antigen: survivors after one half-life ~ Binomial(1000, 1/2)."""
    half_life_days = 4.0
    model = empty_model(
        ["grid.width=40", "grid.height=40", f"car_t.{half_life_key}={half_life_days}"]
    )
    sites = model.rng.choice(model.tissue.n_sites, size=1000, replace=False)
    for site in sites.tolist():
        CarTCell(model, site, state=state)  # type: ignore[arg-type]
    run_steps(model, round(half_life_days * model.steps_per_day))
    survivors = model.census.car_t
    interval = stats.binomtest(survivors, 1000).proportion_ci(method="wilson")
    assert interval.low <= 0.5 <= interval.high


def test_blast_without_empty_neighbour_does_not_divide() -> None:
    model = empty_model(
        [
            "leukaemia.division_rate_per_day=10.0",
            "leukaemia.death_rate_per_day=0",
            "b_cells.lifespan_days=3650",
        ]
    )
    for site in model.tissue.neighbour_tuples[CENTRE]:
        HealthyBCell(model, site)
    blast = LeukaemicBlast(model, CENTRE)
    run_steps(model, 48)
    assert blast.alive
    assert model.census.blasts == 1


def test_blast_divides_into_an_empty_neighbour() -> None:
    model = empty_model(["leukaemia.division_rate_per_day=10.0", "leukaemia.death_rate_per_day=0"])
    LeukaemicBlast(model, CENTRE)
    run_steps(model, 5)
    assert model.census.blasts > 1
    sites = [cell.site for cell in model.agents_by_type[LeukaemicBlast]]
    assert len(set(sites)) == len(sites)


def test_cd19_loss_makes_cd19_negative_daughters_and_their_line_stays_negative() -> None:
    model = empty_model(
        [
            "leukaemia.division_rate_per_day=10.0",
            "leukaemia.death_rate_per_day=0",
            "leukaemia.cd19_loss_prob=1.0",
        ]
    )
    LeukaemicBlast(model, CENTRE)
    run_steps(model, 24)
    census = model.census.resident
    assert census[ResidentKind.BLAST_CD19_POSITIVE] == 1
    assert census[ResidentKind.BLAST_CD19_NEGATIVE] >= 1


def test_no_cd19_loss_keeps_every_blast_positive() -> None:
    model = empty_model(["leukaemia.division_rate_per_day=10.0", "leukaemia.cd19_loss_prob=0.0"])
    LeukaemicBlast(model, CENTRE)
    run_steps(model, 24)
    assert model.census.resident[ResidentKind.BLAST_CD19_NEGATIVE] == 0


def test_naive_t_cell_next_to_fresh_debris_is_taught_only_when_teaching_is_on() -> None:
    for enabled, expected_state in ((True, "taught"), (False, "naive")):
        model = empty_model(
            [FAST_KILLS, f"teaching.enabled={str(enabled).lower()}", "teaching.prob_per_hour=1.0"]
        )
        CarTCell(model, CENTRE)
        LeukaemicBlast(model, NEIGHBOUR)
        naive = NativeTCell(model, 4 * 7 + 4)  # next to the blast's site, not to the CAR-T
        run_steps(model, 2)
        assert naive.state == expected_state
        assert (model.census.teaching_events > 0) == enabled


def test_taught_cells_teach_naive_neighbours_with_the_lower_chance() -> None:
    model = empty_model(["teaching.secondary_prob_per_hour=1.0"])
    NativeTCell(model, CENTRE, state="taught")
    naive = NativeTCell(model, NEIGHBOUR)
    run_steps(model, 1)
    assert naive.state == "taught"


def test_taught_cell_kills_cd19_negative_blasts_and_naive_cells_do_not() -> None:
    model = empty_model(["native_t.taught_kill_rate_per_day=500.0"])
    NativeTCell(model, CENTRE)
    blast = LeukaemicBlast(model, NEIGHBOUR, cd19_positive=False)
    run_steps(model, 50)
    assert blast.alive
    NativeTCell(model, 2 * 7 + 4, state="taught")
    run_steps(model, 1)
    assert not blast.alive
    assert model.census.kills_by_taught == 1
    assert model.census.cd19_negative_blasts_killed == 1


def test_taught_cells_do_not_kill_healthy_b_cells() -> None:
    model = empty_model(["native_t.taught_kill_rate_per_day=500.0"])
    NativeTCell(model, CENTRE, state="taught")
    b_cell = HealthyBCell(model, NEIGHBOUR)
    run_steps(model, 50)
    assert b_cell.alive


def _donor_model(overrides: list[str]) -> object:
    model = empty_model(["therapy.arm='donor'", "car_t.dose_cells=0", *overrides])
    run_steps(model, model.plan.infusion_day * model.steps_per_day + 1)  # past infusion
    return model


def test_host_t_cell_turns_alloreactive_next_to_donor_car_t_and_kills_it() -> None:
    model = _donor_model(
        [
            "rejection.prob_per_hour=1.0",
            "rejection.kill_rate_per_day=500.0",
            "lymphodepletion.enabled=false",
        ]
    )
    donor_cell = CarTCell(model, CENTRE, origin="donor")  # type: ignore[arg-type]
    host = NativeTCell(model, NEIGHBOUR)
    run_steps(model, 1)
    assert host.state == "alloreactive"
    run_steps(model, 1)
    assert not donor_cell.alive
    assert model.census.rejection_kills == 1


def test_autologous_car_t_cells_are_never_rejected() -> None:
    model = empty_model(["rejection.prob_per_hour=1.0", "rejection.kill_rate_per_day=500.0"])
    car_t = CarTCell(model, CENTRE)
    host = NativeTCell(model, NEIGHBOUR)
    run_steps(model, 24)
    assert host.state == "naive"
    assert car_t.alive


def test_tcr_intact_donor_cells_raise_the_gvhd_score() -> None:
    model = _donor_model(["lymphodepletion.enabled=false", "therapy.gvhd_rate_per_day=1.0"])
    CarTCell(model, CENTRE, origin="donor", tcr_intact=True)  # type: ignore[arg-type]
    CarTCell(model, NEIGHBOUR, origin="donor", tcr_intact=False)  # type: ignore[arg-type]
    score = model.gvhd_score
    run_steps(model, 24)
    assert model.gvhd_score - score == pytest.approx(1.0)


def test_b_cells_are_replenished_toward_the_target() -> None:
    model = empty_model(["grid.width=30", "grid.height=30", "b_cells.target_fraction=0.2"], seed=3)
    assert model.census.resident[ResidentKind.B_CELL] == 180
    for cell in list(model.agents_by_type[HealthyBCell]):
        cell.die()
    run_steps(model, 150 * 24)
    # from the stem-cell influx alone the precursors grow back and settle at the target
    assert 140 <= model.census.resident[ResidentKind.B_CELL] <= 260  # may overshoot a little


def test_cytokine_diffusion_keeps_the_total_and_decay_halves_it() -> None:
    model = empty_model(
        ["fields.cytokine_half_life_hours=6.0", "fields.antigen_half_life_hours=6.0"]
    )
    model.tissue.release(CENTRE, cytokine=8.0, antigen=8.0)
    run_steps(model, 6)
    assert model.tissue.cytokine.sum() == pytest.approx(4.0)
    assert model.tissue.antigen.sum() == pytest.approx(4.0)
    assert model.tissue.cytokine[CENTRE] < 4.0  # it spread
    assert model.tissue.antigen[CENTRE] == pytest.approx(4.0)  # debris stays put
    assert (model.tissue.cytokine >= 0).all()


def test_lymphodepletion_starts_the_homeostatic_boost() -> None:
    model = empty_model(
        [
            "therapy.arm='autologous'",
            "therapy.manufacturing_failure_prob=0.0",
            "car_t.homeostatic_division_rate_per_day=10.0",
            "car_t.dose_cells=1",
            "car_t.memory_fraction=0.0",
        ]
    )
    run_steps(model, (model.plan.infusion_day * model.steps_per_day) + 6)
    assert model.census.car_t > 1


def test_death_chances_of_the_numpy_step_are_the_cells_own() -> None:
    model = empty_model(["lymphodepletion.alemtuzumab=true"])
    cells = [
        CarTCell(model, 0),
        CarTCell(model, 1, state="memory"),
        CarTCell(model, 2, state="exhausted"),
        NativeTCell(model, 3),
        NativeTCell(model, 4, state="taught"),
    ]
    run_steps(model, 1)
    for cell in cells:
        assert model._death_chances[cell.kind] == cell.death_probability()
    assert np.all(model._death_chances >= 0)

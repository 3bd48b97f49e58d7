"""The events the live view gives mid-run, the record of recent cell events, and the
contact screen built from the T-cell classes' own trigger declarations."""

from __future__ import annotations

import numpy as np
import pytest
from model_builders import empty_model, run_steps
from scipy import stats

from agents.car_t_cell import CarTCell
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import (
    BLASTS,
    CAR_T_KINDS,
    CD19_POSITIVE_RESIDENTS,
    DONOR_CAR_T_KINDS,
    MobileKind,
    ResidentKind,
)
from agents.leukaemic_blast import LeukaemicBlast
from agents.native_t_cell import NativeTCell
from sim.events import CellEvent
from sim.loader import load_scenario
from sim.model import CarTModel

CENTRE = 3 * 7 + 3  # site (3, 3) of a 7x7 tissue
NEIGHBOUR = 3 * 7 + 4  # site (3, 4)
FAST_KILLS = "car_t.kill_rate_per_day=500.0"
NO_BLAST_DIVISION = "leukaemia.division_rate_per_day=0.0"


def _fill_with_blasts(model: CarTModel) -> None:
    for site in range(model.tissue.n_sites):
        LeukaemicBlast(model, site)


def test_infuse_now_places_the_dose_and_the_cells_kill() -> None:
    model = empty_model([FAST_KILLS, NO_BLAST_DIVISION])  # arm 'none': no planned infusion
    _fill_with_blasts(model)
    run_steps(model, 3)
    assert model.infuse_now(5) == 5
    car_t = list(model.agents_by_type[CarTCell])
    assert model.census.car_t == 5 and len(car_t) == 5
    assert {cell.born_step for cell in car_t} == {3}
    assert model.therapy.given[-1].what == "infusion" and not model.therapy.given[-1].planned
    run_steps(model, 2)
    assert model.census.kills_by_car_t >= 5  # each has eight blasts around it
    assert sum(cell.kills for cell in model.agents_by_type[CarTCell]) >= 5


def test_infuse_now_defaults_to_the_scenario_dose_and_stops_when_full() -> None:
    model = empty_model(["car_t.dose_cells=10"])
    assert model.infuse_now() == 10
    assert model.infuse_now(1000) == model.tissue.n_sites - 10  # only the free sites
    assert model.census.car_t == model.tissue.n_sites


def test_lymphodepletion_now_kills_the_courses_share() -> None:
    share = 0.6
    model = empty_model(
        [
            "grid.width=20",
            "grid.height=20",
            "lymphodepletion.alemtuzumab=false",
            f"lymphodepletion.b_cell_kill_fraction={share}",
            "lymphodepletion.native_t_kill_fraction=0.0",
        ]
    )
    for site in range(model.tissue.n_sites):
        HealthyBCell(model, site)
        NativeTCell(model, site)
    model.lymphodepletion_now()
    survivors = model.census.resident[ResidentKind.B_CELL]
    interval = stats.binomtest(survivors, model.tissue.n_sites).proportion_ci(0.999)
    assert interval.low <= 1 - share <= interval.high
    assert model.census.mobile[MobileKind.NATIVE_NAIVE] == model.tissue.n_sites
    assert model.therapy.homeostatic_boost_until_step > model.step_count


def _cytokine_runs(give_tocilizumab: bool) -> list[float]:
    # one CAR T-cell that walks and never divides: it kills at most one blast a step, so
    # kills (and releases) go on through the whole day
    settings = [
        FAST_KILLS,
        NO_BLAST_DIVISION,
        "car_t.division_prob_per_kill=0.0",
        "car_t.motility_sites_per_hour=1.0",
    ]
    model = empty_model([*settings, "tocilizumab.duration_days=0.5"])
    _fill_with_blasts(model)
    CarTCell(model, CENTRE)
    if give_tocilizumab:
        model.tocilizumab_now()
    levels = []
    for _ in range(24):
        run_steps(model, 1)
        levels.append(model.tissue.systemic_cytokine())
    return levels


def test_tocilizumab_damps_cytokine_while_it_acts_and_changes_nothing_else() -> None:
    factor = load_scenario("autologous").tocilizumab.cytokine_release_factor
    with_it = _cytokine_runs(True)
    without = _cytokine_runs(False)
    assert without[0] > 0
    # the first 12 steps (half a day): every release is damped by the factor
    assert with_it[:12] == pytest.approx([factor * level for level in without[:12]])
    # afterwards releases act in full again, but the damped start is still missing
    assert all(a < b for a, b in zip(with_it[12:], without[12:], strict=True))
    assert with_it[23] > factor * without[23]


def test_tocilizumab_leaves_the_cells_alone() -> None:
    scenario = load_scenario("classroom", ["time.days=20"])
    given, plain = CarTModel(scenario, seed=4), CarTModel(scenario, seed=4)
    for day in range(20):
        if day == scenario.time.days // 2:
            given.tocilizumab_now()
        given.run_day()
        plain.run_day()
    assert given.census == plain.census
    assert given.tissue.systemic_cytokine() < plain.tissue.systemic_cytokine()


def _taught_centre(teaching: bool) -> CarTModel:
    model = empty_model(["teaching.secondary_prob_per_hour=1.0"])
    NativeTCell(model, CENTRE, state="taught")
    for site in model.tissue.neighbour_tuples[CENTRE]:
        NativeTCell(model, site)
    model.set_teaching(teaching)
    return model


def test_set_teaching_off_stops_teaching_and_on_restarts_it() -> None:
    model = _taught_centre(teaching=False)
    run_steps(model, 20)
    assert model.census.teaching_events == 0
    assert not any(event.kind == "teaching" for event in model.recent_events)
    model.set_teaching(True)
    run_steps(model, 2)
    assert model.census.teaching_events > 0
    taught = [e for e in model.recent_events if e.kind == "teaching"]
    assert {e.site for e in taught} <= set(model.tissue.neighbour_tuples[CENTRE])
    assert load_scenario("autologous").teaching.enabled  # the scenario itself is untouched


def test_recent_events_record_each_kill_at_the_victims_site() -> None:
    model = empty_model([FAST_KILLS, NO_BLAST_DIVISION])
    CarTCell(model, CENTRE)
    LeukaemicBlast(model, NEIGHBOUR)
    run_steps(model, 1)
    assert list(model.recent_events) == [CellEvent(1, "car_t_kill", NEIGHBOUR)]


def test_recent_events_record_taught_and_rejection_kills() -> None:
    model = empty_model(["native_t.taught_kill_rate_per_day=500.0", NO_BLAST_DIVISION])
    NativeTCell(model, CENTRE, state="taught")
    LeukaemicBlast(model, NEIGHBOUR, cd19_positive=False)
    run_steps(model, 1)
    assert list(model.recent_events) == [CellEvent(1, "taught_kill", NEIGHBOUR)]
    donor = empty_model(
        [
            "rejection.kill_rate_per_day=500.0",
            "therapy.arm='donor'",
            "lymphodepletion.enabled=false",
        ]
    )
    NativeTCell(donor, CENTRE, state="alloreactive")
    CarTCell(donor, NEIGHBOUR, origin="donor")
    run_steps(donor, 1)
    assert CellEvent(1, "rejection_kill", NEIGHBOUR) in donor.recent_events


def test_every_cell_carries_what_the_inspector_shows() -> None:
    model = empty_model([NO_BLAST_DIVISION])
    blast = LeukaemicBlast(model, CENTRE)
    run_steps(model, 2)
    native = NativeTCell(model, NEIGHBOUR)
    assert (blast.born_step, native.born_step) == (0, 2)
    for cell in (native, CarTCell(model, 0)):
        assert (cell.kills, cell.stimulations) == (0, 0)
        assert cell.state in ("naive", "effector")
    assert model.agents_by_type[CarTCell][0].origin == "autologous"


def _contact_table_as_written_before(model: CarTModel) -> np.ndarray:
    """The table the model used to build from its own knowledge of the rules."""
    n = len(MobileKind)
    cd19 = sorted(CD19_POSITIVE_RESIDENTS)
    table = np.zeros((n, len(ResidentKind), n), dtype=bool)
    for own in CAR_T_KINDS:
        if CarTCell.state_of(own) in ("effector", "memory"):
            table[own, cd19, :] = True
    naive = MobileKind.NATIVE_NAIVE
    if model.parameters.teaching.enabled:
        table[naive, :, sorted(CAR_T_KINDS | {MobileKind.NATIVE_TAUGHT})] = True
    if model.rejection_possible:
        table[naive, :, sorted(DONOR_CAR_T_KINDS)] = True
    table[MobileKind.NATIVE_TAUGHT, sorted(BLASTS), :] = True
    table[MobileKind.NATIVE_ALLOREACTIVE, :, sorted(DONOR_CAR_T_KINDS)] = True
    return table.reshape(n, -1)


@pytest.mark.parametrize("arm", ["autologous", "donor", "none"])
@pytest.mark.parametrize("teaching", [True, False])
def test_the_classes_triggers_give_the_contact_table_written_before(
    arm: str, teaching: bool
) -> None:
    model = empty_model([f"therapy.arm='{arm}'", f"teaching.enabled={str(teaching).lower()}"])
    assert np.array_equal(model.contact_screen.table, _contact_table_as_written_before(model))
    model.set_teaching(not teaching)
    assert np.array_equal(model.contact_screen.table, _contact_table_as_written_before(model))


def test_the_contact_screen_changes_nothing_with_live_events() -> None:
    """Screened and unscreened runs stay the same through every live-view event."""
    scenario = load_scenario("classroom", ["time.days=12", "therapy.arm='none'"])
    screened = CarTModel(scenario, seed=3, screen_contacts=True)
    unscreened = CarTModel(scenario, seed=3, screen_contacts=False)
    events = {
        2: lambda m: m.lymphodepletion_now(),
        3: lambda m: m.infuse_now(),
        5: lambda m: m.tocilizumab_now(),
        7: lambda m: m.set_teaching(False),
        9: lambda m: m.set_teaching(True),
    }
    for day in range(12):
        for model in (screened, unscreened):
            if day in events:
                events[day](model)
            model.run_day()
        assert screened.census == unscreened.census
        assert np.array_equal(screened.tissue.mobile_kind, unscreened.tissue.mobile_kind)
        assert list(screened.recent_events) == list(unscreened.recent_events)
    assert screened.census.kills_by_car_t > 0 and screened.census.teaching_events > 0

"""Whole-model properties: invariants, determinism, the numpy rules against the agents'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from model_builders import empty_model
from scipy import stats

from agents.car_t_cell import CarTCell
from agents.cell import ResidentCell, TCell
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import MobileKind, ResidentKind
from agents.leukaemic_blast import LeukaemicBlast
from agents.native_t_cell import NativeTCell
from sim.loader import load_scenario
from sim.model import CarTModel
from sim.movement import resolve_turns, walk
from sim.run import run_simulation

SMALL = ["grid.width=40", "grid.height=40"]
# one patient with a fit product (the classroom scenario draws the fitness per patient)
FIT_PRODUCT = ["patient.product_fitness.mean=0.99", "patient.product_fitness.concentration=1e6"]


def check_invariants(model: CarTModel) -> None:
    """One cell per site and layer; layers, lists, census and agents all agree."""
    tissue = model.tissue
    residents = [a for a in model.agents if isinstance(a, ResidentCell)]
    t_cells = [a for a in model.agents if isinstance(a, TCell)]
    resident_sites = [cell.site for cell in residents]
    mobile_sites = [cell.site for cell in t_cells]
    assert len(set(resident_sites)) == len(resident_sites), "two residents on one site"
    assert len(set(mobile_sites)) == len(mobile_sites), "two T-cells on one site"
    assert np.count_nonzero(tissue.resident_kind) == len(residents)
    assert np.count_nonzero(tissue.mobile_kind) == len(t_cells)
    for cell in residents:
        assert tissue.residents[cell.site] is cell
        assert tissue.resident_kind[cell.site] == cell.kind
    for cell in t_cells:
        assert tissue.mobile_at(cell.site) is cell
        assert tissue.mobile_kind[cell.site] == cell.kind
    resident_counts = np.bincount([c.kind for c in residents], minlength=len(ResidentKind))
    mobile_counts = np.bincount([c.kind for c in t_cells], minlength=len(MobileKind))
    assert model.census.resident[1:] == resident_counts.tolist()[1:]
    assert model.census.mobile[1:] == mobile_counts.tolist()[1:]
    assert model.census.blasts == len(model.agents_by_type.get(LeukaemicBlast, ()))
    assert model.census.resident[ResidentKind.B_CELL] == len(
        model.agents_by_type.get(HealthyBCell, ())
    )
    assert model.census.car_t == len(model.agents_by_type.get(CarTCell, ()))
    assert sum(model.census.mobile) - model.census.car_t == len(
        model.agents_by_type.get(NativeTCell, ())
    )
    assert (tissue.cytokine >= 0).all() and (tissue.antigen >= 0).all()
    assert model.gvhd_score >= 0


@pytest.mark.parametrize("scenario", ["classroom", "no_treatment"])
def test_invariants_hold_every_day(scenario: str) -> None:
    model = CarTModel(load_scenario(scenario, SMALL), seed=7)
    check_invariants(model)
    for _ in range(40):
        model.run_day()
        check_invariants(model)


def test_invariants_hold_in_the_donor_arm() -> None:
    model = CarTModel(
        load_scenario("classroom", ["therapy.arm='donor'", "therapy.tcr_knockout_efficiency=0.5"]),
        seed=3,
    )
    for _ in range(30):
        model.run_day()
        check_invariants(model)


def test_summary_counts_equal_the_agents_present() -> None:
    scenario = load_scenario("classroom", ["time.days=25"])
    model = CarTModel(scenario, seed=5)
    for _ in range(25):
        model.run_day()
    result = run_simulation(scenario, seed=5)
    last = result.timeseries.iloc[-1]
    assert last["blasts"] == len(model.agents_by_type.get(LeukaemicBlast, ()))
    assert last["car_t"] == len(model.agents_by_type.get(CarTCell, ()))
    assert last["b_cells"] == len(model.agents_by_type.get(HealthyBCell, ()))
    assert last["native_naive"] + last["native_taught"] + last["native_alloreactive"] == len(
        model.agents_by_type.get(NativeTCell, ())
    )


def test_same_seed_same_run_and_another_seed_another_run() -> None:
    scenario = load_scenario("classroom", ["time.days=30"])
    first = run_simulation(scenario, seed=11)
    again = run_simulation(scenario, seed=11)
    other = run_simulation(scenario, seed=12)
    pd.testing.assert_frame_equal(first.timeseries, again.timeseries)
    assert first.summary == again.summary
    assert not first.timeseries.equals(other.timeseries)


def test_the_contact_screen_changes_nothing() -> None:
    """Screening T-cells with numpy before calling ``interact`` gives the very same run."""
    for scenario_name, extra in (
        ("classroom", []),
        ("classroom", ["therapy.arm='donor'", "rejection.prob_per_hour=0.2"]),
    ):
        scenario = load_scenario(scenario_name, [*extra, "time.days=25"])
        screened = CarTModel(scenario, seed=2, screen_contacts=True)
        unscreened = CarTModel(scenario, seed=2, screen_contacts=False)
        for _ in range(25):
            screened.run_day()
            unscreened.run_day()
            assert screened.census == unscreened.census
            assert np.array_equal(screened.tissue.mobile_kind, unscreened.tissue.mobile_kind)


def test_the_numpy_walk_moves_exactly_as_cells_taking_turns() -> None:
    """Same targets and order of turns: the numpy resolution picks the very cells that
    would move if each tried :meth:`TCell.move` in turn."""
    for seed in range(200):
        model = empty_model(["grid.width=12", "grid.height=12"], seed=seed)
        rng = np.random.default_rng(seed)
        count = int(rng.integers(5, 130))
        origin = rng.choice(model.tissue.n_sites, size=count, replace=False)
        for site in origin.tolist():
            NativeTCell(model, site)
        target = model.tissue.neighbours[origin, rng.integers(0, 8, size=count)]
        turn = rng.permutation(count)
        occupied = set(origin.tolist())
        expected = set()
        for index in np.argsort(turn).tolist():
            if target[index] not in occupied:
                occupied.remove(int(origin[index]))
                occupied.add(int(target[index]))
                expected.add(index)
        assert set(resolve_turns(model.tissue, origin, target, turn).tolist()) == expected


def _one_round(method: str, seed: int, density: float) -> tuple[int, np.ndarray]:
    model = empty_model(["grid.width=30", "grid.height=30"], seed=seed)
    count = round(density * model.tissue.n_sites)
    sites = model.rng.choice(model.tissue.n_sites, size=count, replace=False)
    cells = [NativeTCell(model, site) for site in sites.tolist()]
    if method == "agents":
        for index in model.rng.permutation(count).tolist():
            cells[index].move()
    else:
        rows = np.array([cell.row for cell in cells])
        walk(model.tissue, rows, np.ones(count, dtype=int), np.zeros(count), model.rng)
    check_invariants(model)
    width = model.tissue.width
    steps = []
    for cell, old in zip(cells, sites.tolist(), strict=True):
        (x0, y0), (x1, y1) = model.tissue.coordinates(old), cell.xy
        steps.append(((x1 - x0 + 1) % width) * 3 + (y1 - y0 + 1) % width)
    return count, np.bincount(steps, minlength=9)


@pytest.mark.parametrize("density", [0.05, 0.5])
def test_the_numpy_walk_agrees_with_the_cells_own_move(density: float) -> None:
    """Fresh random tissues: the same share stays put, the eight directions are uniform."""
    tables = {}
    for method in ("agents", "numpy"):
        counts = np.zeros(9, dtype=int)
        for seed in range(60):
            counts += _one_round(method, seed, density)[1]
        tables[method] = counts
    stayed = [tables[m][4] for m in tables]
    moved = [tables[m].sum() - tables[m][4] for m in tables]
    assert stats.chi2_contingency([stayed, moved]).pvalue > 0.001
    assert stats.chisquare(np.delete(tables["numpy"], 4)).pvalue > 0.001


def test_steps_per_day_must_be_whole() -> None:
    from sim.errors import UserInputError

    with pytest.raises(UserInputError, match="hours_per_step"):
        load_scenario("classroom", ["time.hours_per_step=5.0"])


def _growth_rate_per_day(seed: int, days: int) -> float:
    scenario = load_scenario(
        "no_treatment",
        [
            "leukaemia.initial_blast_fraction=0.02",
            "b_cells.target_fraction=0.0",
            f"time.days={days}",
        ],
    )
    series = run_simulation(scenario, seed).timeseries["blasts"].to_numpy()
    return float(np.log(series[days] / series[0]) / days)


def test_untreated_blasts_grow_with_the_scenarios_doubling_time() -> None:
    """Early growth (room everywhere): the mean log-growth rate's 99 % CI holds the set
    net rate (division - death), i.e. the doubling time set in the scenario."""
    parameters = load_scenario("no_treatment").leukaemia
    net_rate = parameters.division_rate_per_day - parameters.death_rate_per_day
    rates = np.array([_growth_rate_per_day(seed, days=14) for seed in range(12)])
    interval = stats.t.interval(0.99, len(rates) - 1, loc=rates.mean(), scale=stats.sem(rates))
    assert interval[0] <= net_rate <= interval[1]
    doubling_days = np.log(2) / rates.mean()
    assert 7 <= doubling_days <= 14  # TARGETS T9


def test_untreated_leukaemia_fills_the_marrow_and_stops() -> None:
    scenario = load_scenario("no_treatment", [*SMALL, "time.days=150"])
    series = run_simulation(scenario, seed=1).timeseries
    final_share = series["blasts"].iloc[-1] / 1600
    assert final_share > 0.7
    late_growth = series["blasts"].iloc[-10:].mean() / series["blasts"].iloc[-30:-20].mean()
    # full: no more room to divide; a full marrow's count wanders by a few per cent (room
    # opens as blasts die), while free growth would multiply it about 4-fold in 20 days
    assert late_growth < 1.05


def test_autologous_run_shows_expansion_kills_exhaustion_contraction_and_memory() -> None:
    # a fit product clears the classroom's leukaemia within its 40 engaged hours; with 20
    # the lines that meet many targets tire before the end
    scenario = load_scenario("classroom", [*FIT_PRODUCT, "car_t.exhaustion_engaged_hours=20"])
    result = run_simulation(scenario, seed=1)
    series, summary = result.timeseries, result.summary
    infusion = summary["infusion_day"]
    assert summary["infused"]
    car_t = series["car_t"].to_numpy()
    assert car_t[infusion] <= load_scenario("classroom").car_t.dose_cells
    assert summary["cart_peak"] > 10 * car_t[infusion]  # expansion
    assert series["kills_by_car_t"].iloc[-1] > 0
    assert series["car_t_exhausted"].max() > 0
    assert car_t[-1] < summary["cart_peak"] / 2  # contraction
    assert series["car_t_memory"].max() > 0
    assert summary["remission_day28"]


def test_taught_cells_appear_only_with_teaching_and_kill_cd19_negative_blasts() -> None:
    escape = ["leukaemia.initial_cd19_negative_fraction=0.2", "time.days=40", *FIT_PRODUCT]
    taught_kills = []
    for enabled in (True, False):
        scenario = load_scenario("classroom", [*escape, f"teaching.enabled={str(enabled).lower()}"])
        runs = [run_simulation(scenario, seed) for seed in range(3)]
        peaks = [run.summary["taught_peak"] for run in runs]
        events = [run.summary["teaching_events"] for run in runs]
        if enabled:
            assert min(peaks) > 0 and min(events) > 0
        else:
            assert max(peaks) == 0 and max(events) == 0
        taught_kills.append(sum(run.summary["cd19_negative_blasts_killed"] for run in runs))
    assert taught_kills[0] > 0 and taught_kills[1] == 0


def _outcomes(hours_per_step: float, replicates: int) -> tuple[list[bool], np.ndarray]:
    scenario = load_scenario("classroom", [f"time.hours_per_step={hours_per_step}", "time.days=45"])
    summaries = [run_simulation(scenario, seed).summary for seed in range(replicates)]
    remission = [s["remission_day28"] for s in summaries]
    peak_days = np.array([s["cart_peak_day"] for s in summaries], dtype=float)
    return remission, peak_days


def _intervals_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _mean_interval(values: np.ndarray) -> tuple[float, float]:
    if values.std() == 0:
        return float(values.mean()), float(values.mean())
    low, high = stats.t.interval(0.95, values.size - 1, loc=values.mean(), scale=stats.sem(values))
    return float(low), float(high)


def _check_step_length_independence(replicates: int) -> None:
    full = _outcomes(1.0, replicates)
    half = _outcomes(0.5, replicates)
    remission_intervals = [
        stats.binomtest(sum(r), len(r)).proportion_ci(method="wilson") for r in (full[0], half[0])
    ]
    assert _intervals_overlap(*[(ci.low, ci.high) for ci in remission_intervals])
    assert _intervals_overlap(_mean_interval(full[1]), _mean_interval(half[1]))


def test_halving_the_step_keeps_remission_and_peak_day_within_their_intervals() -> None:
    _check_step_length_independence(replicates=16)


@pytest.mark.slow
def test_halving_the_step_keeps_outcomes_with_many_replicates() -> None:
    _check_step_length_independence(replicates=100)


def test_the_summary_has_exactly_the_declared_fields() -> None:
    from sim.lymphoma import LYMPHOMA_SUMMARY_FIELDS
    from sim.metrics import EXTRA_SUMMARY_FIELDS, SUMMARY_FIELDS, _summary_values
    from sim.patient import PATIENT_SUMMARY_FIELDS

    scenario = load_scenario("classroom", ["time.days=3"])
    model = CarTModel(scenario, seed=1)
    result = run_simulation(scenario, seed=1)
    assert list(result.summary) == [
        *SUMMARY_FIELDS,
        *EXTRA_SUMMARY_FIELDS,
        *LYMPHOMA_SUMMARY_FIELDS,
        *PATIENT_SUMMARY_FIELDS,
    ]
    values = set(_summary_values(model, result.timeseries))
    values |= set(PATIENT_SUMMARY_FIELDS) | set(LYMPHOMA_SUMMARY_FIELDS)
    assert values == set(result.summary)


def test_a_clustered_cd19_negative_subclone_is_the_blasts_nearest_the_first() -> None:
    """``leukaemia.cd19_negative_clustered``: the CD19-negative blasts are the
    ``initial_cd19_negative_fraction`` of blasts nearest the first one placed, equal
    distances taken in the order the blasts were drawn, so the subclone is the same on
    every machine (numpy's default sort orders ties by the CPU's SIMD code path)."""
    model = CarTModel(load_scenario("cd19_escape", SMALL), 3)
    blasts = [cell.site for cell in model.agents_by_type[LeukaemicBlast]]  # as drawn
    distance = model.tissue.distance_from(blasts[0], np.array(blasts)).tolist()
    n_negative = model.census.resident[ResidentKind.BLAST_CD19_NEGATIVE]
    nearest = sorted(range(len(blasts)), key=lambda i: (distance[i], i))[:n_negative]
    negative = np.flatnonzero(model.tissue.resident_kind == ResidentKind.BLAST_CD19_NEGATIVE)
    assert n_negative > 8 and len(set(distance)) < len(blasts) / 4  # many ties to break
    assert sorted(blasts[i] for i in nearest) == negative.tolist()

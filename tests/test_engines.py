"""The compiled engine gives the reference engine's run, number for number.

The compiled engine's kernels are fed the reference's own random draws (numpy's for the
walk, the model's Python generator for the rules, through a mirror of CPython's
MT19937), so the agreement tested here is exact: the same tissue, the same generators'
states and the same cells after every step, on hand-built tissues that make each kernel
act, and the same summary over whole runs of every kind of scenario. Exact agreement
implies the distributional agreement of every summary outcome (remission, MRD, peak,
peak day, persistence, aplasia, CRS grade, relapse) with tolerance zero; the slow
version checks it over many seeds of full-length runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context

import pytest
from baseline import BASELINE_FILE
from model_builders import empty_scenario

from agents.car_t_cell import CarTCell
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import MobileKind
from agents.leukaemic_blast import LeukaemicBlast
from agents.native_t_cell import NativeTCell
from sim.engine import ENGINES
from sim.loader import load_scenario
from sim.model import CarTModel
from sim.run import run_simulation

SMALL = ("grid.width=40", "grid.height=40")
EARLY = (  # the product in by day 7, so that 30 days hold expansion, kills and teaching
    "therapy.manufacturing_median_days=6.0",
    "therapy.manufacturing_min_days=5.0",
    "therapy.manufacturing_max_days=7.0",
    "therapy.bridging_days=[]",
)

WALKING = ("native_t.motility_sites_per_hour=1.0", "car_t.motility_sites_per_hour=1.0")
"""Host and CAR T-cells that move one site an hour: the hand-built tissues' encounters."""


def _state(model: CarTModel) -> tuple:
    """Everything a step leaves behind that the next one reads."""
    tissue = model.tissue
    cells = [
        (
            cell.row,
            cell.kind,
            cell.site,
            cell.kills,
            cell.stimulations,
            getattr(cell, "engaged_hours", None),
            getattr(cell, "last_kill_step", None),
            getattr(cell, "buds", None),
        )
        for cell in model.t_cells()
    ]
    return (
        tissue.mobile_kind.tobytes(),
        tissue.resident_kind.tobytes(),
        tissue.cytokine.tobytes(),
        tissue.antigen.tobytes(),
        model.random.getstate(),
        str(model.rng.bit_generator.state),
        tuple(model.census.mobile),
        tuple(model.census.resident),
        model.census.teaching_events,
        cells,
    )


def _step_together(reference: CarTModel, compiled: CarTModel, steps: int) -> None:
    for step in range(steps):
        reference.step()
        compiled.step()
        assert _state(reference) == _state(compiled), f"the engines part at step {step + 1}"


def _both(scenario, seed: int) -> tuple[CarTModel, CarTModel]:
    return CarTModel(scenario, seed), CarTModel(scenario, seed, engine="compiled")


# --- each rule's kernel, on hand-built tissues ---------------------------------------


def _hand_built(
    overrides: list[str], seed: int, place: Callable[[CarTModel], None]
) -> tuple[CarTModel, CarTModel]:
    """Both engines on the same hand-built 7x7 tissue: :func:`empty_scenario` with
    ``overrides``, the cells placed by ``place`` (called on each model)."""
    models = _both(empty_scenario(overrides), seed)
    for model in models:
        place(model)
    return models


def _agree_on(
    overrides: list[str], seed: int, place: Callable[[CarTModel], None], steps: int
) -> CarTModel:
    """:func:`_hand_built`, stepped together for ``steps`` steps; the reference model."""
    models = _hand_built(overrides, seed, place)
    _step_together(*models, steps)
    return models[0]


def _blasts(model: CarTModel, sites: range, cd19_positive: Callable[[int], bool]) -> None:
    for site in sites:
        LeukaemicBlast(model, site, cd19_positive=cd19_positive(site))


@pytest.mark.parametrize("seed", range(1, 9))
def test_taught_cells_killing_blasts_agree(seed: int) -> None:
    def place(model: CarTModel) -> None:
        _blasts(model, range(0, 49, 2), lambda site: site % 4 == 0)
        for site in range(1, 49, 3):
            NativeTCell(model, site, state="taught")

    reference = _agree_on(["native_t.taught_kill_rate_per_day=6.0"], seed, place, 40)
    assert reference.census.kills_by_taught > 0  # the rule acted


@pytest.mark.parametrize("secretion", [0.0, 0.15])
@pytest.mark.parametrize("seed", range(1, 9))
def test_car_t_cells_killing_tiring_and_budding_agree(seed: int, secretion: float) -> None:
    """With ``secretion``, engaged effectors also secrete cytokine
    (``car_t.cytokine_per_engaged_hour``): settled in the kernel, released in order."""

    def place(model: CarTModel) -> None:
        for site in range(0, 49, 2):
            if site % 3:
                LeukaemicBlast(model, site, cd19_positive=True)
            else:
                HealthyBCell(model, site, precursor=False)
        for site in (3, 17, 31):
            CarTCell(model, site, state="memory")
        for site in (9, 23, 37, 45):
            CarTCell(model, site, engaged_hours=20.0)

    overrides = [
        "car_t.exhaustion_engaged_hours=26.0",
        "car_t.memory_exhaustion_engaged_hours=4.0",
        "car_t.memory_bud_limit=3",
        "car_t.motility_sites_per_hour=1.0",
        f"car_t.cytokine_per_engaged_hour={secretion}",
    ]
    census = _agree_on(overrides, seed, place, 60).census
    assert census.kills_by_car_t > 0 and census.car_t > 7  # killed, divided or budded
    assert census.mobile[MobileKind.CAR_T_EXHAUSTED] > 0  # and tired


@pytest.mark.parametrize("seed", range(1, 9))
def test_naive_cells_taught_by_fresh_kills_and_taught_neighbours_agree(seed: int) -> None:
    def place(model: CarTModel) -> None:
        _blasts(model, range(0, 49, 3), lambda site: True)
        for site in (4, 20, 40):
            CarTCell(model, site)
        NativeTCell(model, 12, state="taught")
        for site in (1, 7, 13, 25, 33, 43):
            NativeTCell(model, site)

    overrides = ["teaching.prob_per_hour=0.2", "teaching.secondary_prob_per_hour=0.1", *WALKING]
    assert _agree_on(overrides, seed, place, 60).census.teaching_events > 0  # the rule acted


@pytest.mark.parametrize("seed", range(1, 9))
def test_naive_cells_taught_by_taught_neighbours_alone_agree(seed: int) -> None:
    def place(model: CarTModel) -> None:
        NativeTCell(model, 24, state="taught")
        for site in (1, 7, 13, 25, 33, 43, 47):
            NativeTCell(model, site)

    overrides = ["teaching.secondary_prob_per_hour=0.1", WALKING[0]]
    assert _agree_on(overrides, seed, place, 60).census.teaching_events > 0  # the rule acted


@pytest.mark.parametrize("seed", range(1, 5))
def test_rejection_of_donor_cells_agrees(seed: int) -> None:
    def place(model: CarTModel) -> None:
        model.therapy.infuse(6)
        for site in model.tissue.random_empty_mobile_sites(10, model.rng).tolist():
            NativeTCell(model, site)

    overrides = ["therapy.arm='donor'", "rejection.prob_per_hour=0.3", *WALKING]
    assert _agree_on(overrides, seed, place, 60).census.rejection_kills > 0  # the rule acted


@pytest.mark.parametrize("seed", range(1, 7))
def test_ageing_lines_and_senescent_memory_cells_agree(seed: int) -> None:
    """Replicative senescence (CarTCell.generation, senescent, bud, divide): a memory
    cell at the limit is exhausted at its budding attempt without a draw, which the
    kernel must not settle as quiet; ageing lines stop dividing."""

    def place(model: CarTModel) -> None:
        _blasts(model, range(0, 49, 2), lambda site: True)
        for site, generation in ((3, 2), (17, 1), (31, 0), (45, 2)):
            CarTCell(model, site, state="memory").generation = generation
        for site in (9, 23, 37):
            CarTCell(model, site)

    overrides = [
        "car_t.replicative_limit=2",
        "car_t.memory_budding_rate_per_day=12.0",
        "car_t.division_prob_per_kill=1.0",
        "car_t.motility_sites_per_hour=1.0",
    ]
    reference = _agree_on(overrides, seed, place, 40)
    generations = [cell.generation for cell in reference.t_cells()]
    assert max(generations) == 2 and reference.census.kills_by_car_t > 0
    assert reference.census.mobile[MobileKind.CAR_T_EXHAUSTED] > 0


@pytest.mark.parametrize("seed", range(1, 7))
def test_a_hostile_tumour_agrees(seed: int) -> None:
    """The microenvironment (agents.microenvironment): suppressed kills, faster
    exhaustion and T-cells kept out of dense tumour, in the kernels as in the rules."""

    def place(model: CarTModel) -> None:
        _blasts(model, range(0, 49, 2), lambda site: site % 5 != 0)
        for site in (3, 17, 31):
            CarTCell(model, site, state="memory")
        for site in (9, 23, 37, 45):
            CarTCell(model, site)

    overrides = [
        "microenvironment.hostility=0.9",
        "car_t.kill_rate_per_day=4.0",
        "car_t.exhaustion_engaged_hours=5.0",
        "car_t.motility_sites_per_hour=2.0",
    ]
    models = _hand_built(overrides, seed, place)
    tired = 0
    for _ in range(20):
        _step_together(*models, 2)
        tired = max(tired, models[0].census.mobile[MobileKind.CAR_T_EXHAUSTED])
    assert models[0].census.kills_by_car_t > 0 and tired > 0  # the rules acted


# --- whole runs -------------------------------------------------------------------------

SCENARIOS = ("autologous", "donor", "lymphoma", "cd19_escape", "high_burden", "classroom")
CHEMOTAXIS = ("car_t.chemotaxis_bias=0.6", "car_t.motility_sites_per_hour=2.5")


@pytest.mark.parametrize(
    ("name", "overrides"),
    [(name, ()) for name in SCENARIOS] + [("autologous", CHEMOTAXIS), ("lymphoma", CHEMOTAXIS)],
)
def test_whole_runs_agree_step_by_step(name: str, overrides: tuple[str, ...]) -> None:
    scenario = load_scenario(name, [*SMALL, *EARLY, "time.days=30", *overrides])
    models = _both(scenario, 2)
    _step_together(*models, 30 * models[0].steps_per_day)
    assert models[0].census.kills_by_car_t > 0


@pytest.mark.parametrize(
    ("overrides", "screen_contacts"),
    [(("grid.well_mixed=true",), True), ((), False)],
    ids=["well_mixed", "unscreened"],
)
def test_the_walk_and_screen_kernel_agrees_without_a_walk_or_a_screen(
    overrides: tuple[str, ...], screen_contacts: bool
) -> None:
    """The walk, turn order and screen in one kernel (sim.kernels.walk_and_screen): in
    the well-mixed limit (no walk: the reference's code runs) and with every T-cell
    taking its turn (no screen), the run is the reference's."""
    scenario = load_scenario("autologous", [*SMALL, *EARLY, "time.days=15", *overrides])
    models = [
        CarTModel(scenario, 3, screen_contacts=screen_contacts, engine=engine) for engine in ENGINES
    ]
    _step_together(*models, 15 * models[0].steps_per_day)
    assert models[0].census.kills_by_car_t > 0


def _summary(name: str, seed: int, engine: str, days: int | None = None) -> dict:
    overrides = [] if days is None else [f"time.days={days}"]
    return run_simulation(load_scenario(name, overrides), seed, engine=engine).summary


def test_summaries_agree_and_repeat_on_every_backend() -> None:
    expected = _summary("autologous", 3, "reference", days=60)
    assert _summary("autologous", 3, "compiled", days=60) == expected
    assert _summary("autologous", 3, "compiled", days=60) == expected  # and again
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        in_pool = pool.submit(partial(_summary, "autologous", 3, "compiled", 60)).result()
    assert in_pool == expected


@pytest.mark.parametrize("name", ["autologous", "donor"])
def test_summary_outcomes_agree_over_seeds_of_small_runs(name: str) -> None:
    """The CI version, stated before the run: every summary field, over seeds 1-6 of a
    40x40 tissue for 60 days, is the same on both engines (tolerance zero)."""
    scenario = load_scenario(name, [*SMALL, *EARLY, "time.days=60"])
    for seed in range(1, 7):
        expected = run_simulation(scenario, seed).summary
        assert run_simulation(scenario, seed, engine="compiled").summary == expected, seed


@pytest.mark.slow
@pytest.mark.parametrize("name", ["autologous", "donor", "lymphoma", "cd19_escape"])
def test_summary_outcomes_agree_over_many_seeds_of_full_runs(name: str) -> None:
    """Stated before the run: every summary field, over seeds 1-30 of the full-length
    scenario, is the same on both engines (tolerance zero: the runs are the same)."""
    for seed in range(1, 31):
        assert _summary(name, seed, "compiled") == _summary(name, seed, "reference"), seed


BASELINE_KEYS = sorted(json.loads(BASELINE_FILE.read_text()))
FIRST_SEED = BASELINE_KEYS[0].split("/")[1]


@pytest.mark.parametrize("key", [key for key in BASELINE_KEYS if key.endswith(f"/{FIRST_SEED}")])
def test_the_stored_baseline_is_the_compiled_engines_too(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/data/baseline_summaries.json (every scenario, its summary and a digest of
    its daily table; one seed of each here, every seed in tests/test_baseline.py on the
    reference), unchanged, from the compiled engine."""
    import baseline

    monkeypatch.setattr(baseline, "run_simulation", partial(run_simulation, engine="compiled"))
    name, seed = key.split("/")
    stored = json.loads(BASELINE_FILE.read_text())[key]
    assert baseline.baseline_record(name, int(seed)) == stored

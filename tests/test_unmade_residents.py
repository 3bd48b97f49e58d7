"""The compiled engine's blasts without agents (sim/unmade_residents.py) are the
reference's blasts: the same placement, draws and bookings (the kernel against
``LeukaemicBlast`` on a hand-built tissue), the same booked events in the same order (the
heap), agents made on demand that are the reference's agents, and the same runs while
blasts come and go in hundreds a step."""

from __future__ import annotations

import random

import numpy as np
import pytest
from model_builders import empty_model
from test_engines import _state, _step_together

from agents import leukaemic_blast_kernels
from agents.cell import steps_until
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import BLASTS, ResidentKind
from agents.leukaemic_blast import LeukaemicBlast
from sim import event_heap, resident_births, residual_kernels
from sim.engine import ENGINES
from sim.loader import load_scenario
from sim.model import CarTModel
from sim.snapshot import describe_site
from sim.tissue import AGENT_NOT_MADE
from sim.unmade_placing import FEW

BUSY_BLASTS = ("leukaemia.division_rate_per_day=3.0", "leukaemia.death_rate_per_day=2.0")
"""Blasts that divide and die within hours, so that a few days run many booked events."""


def test_the_waiting_time_kernel_is_steps_until() -> None:
    draws = random.Random(5)
    uniforms = [0.0, 1.0 - 2.0**-53] + [draws.random() for _ in range(2000)]
    for chance in (-0.5, 0.0, 1e-12, 1e-4, 0.0037, 0.3, 0.999, 1.0, 2.0):
        for uniform in uniforms:
            expected = steps_until(chance, uniform)
            got = leukaemic_blast_kernels.steps_until(chance, uniform)
            assert got == (leukaemic_blast_kernels.NEVER_BOOKED if expected is None else expected)


def _bookings(model: CarTModel) -> list[tuple[int, int, str]]:
    """Every booked event as ``(due step, site, action)``, in the order they will run."""
    if model.engine.name == "reference":
        return [
            (step, callback.__self__.site, callback.__name__)
            for step in sorted(model.resident_events._due)
            for callback in model.resident_events._due[step]
        ]
    queue = model.resident_events
    assert not queue._due  # every resident here was placed without an agent
    size = int(queue.size[0])
    order = np.argsort(queue.keys[:size])
    n_sites = model.tissue.n_sites
    bookings = []
    for i in order.tolist():
        site = int((queue.events[i] >> 1) % n_sites)
        first = "mature" if model.tissue.resident_kind[site] == ResidentKind.B_CELL else "divide"
        action = (first, "scheduled_death")[int(queue.events[i] & 1)]
        bookings.append((int(queue.keys[i] >> event_heap.SEQUENCE_BITS), site, action))
    return bookings


@pytest.mark.parametrize("count", [FEW - 5, FEW + 12])  # one by one in Python; the kernel
def test_placing_blasts_without_agents_is_making_them(count: int) -> None:
    """The kernel (or, for a few blasts, its Python twin) places, counts and books a
    blast as ``LeukaemicBlast(model, site)`` does, from the same draws."""
    models = [
        empty_model(BUSY_BLASTS, seed=4, engine=engine) for engine in ("reference", "compiled")
    ]
    sites = random.Random(count).sample(range(49), count)
    for model in models:
        for _ in range(3):
            model.step()
        model.residents.place_blasts(sites[: count // 2], cd19_positive=True)
        model.residents.place_blasts(sites[count // 2 :], cd19_positive=False)
    reference, compiled = models
    assert reference.tissue.resident_kind.tobytes() == compiled.tissue.resident_kind.tobytes()
    assert reference.tissue.resident_serial.tolist() == compiled.tissue.resident_serial.tolist()
    assert reference.census.resident == compiled.census.resident
    assert reference.random.getstate() == compiled.random.getstate()
    assert _bookings(reference) == _bookings(compiled)
    assert len(_bookings(reference)) == 2 * count
    assert not compiled.agents_by_type.get(LeukaemicBlast)  # no agent made yet
    assert all(compiled.tissue.residents[site] is AGENT_NOT_MADE for site in sites)
    _step_together(reference, compiled, 48)  # their divisions and deaths, in booking order
    assert reference.census.blasts != count  # the booked events changed the tissue


@pytest.mark.parametrize("count", [5, 30, 60])  # many empty sites; few; fewer than asked for
def test_seeding_blasts_in_one_kernel_call_is_seeding_them_with_agents(
    count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The residual compartment's seeding of a phenotype in one kernel call
    (:func:`sim.resident_births.seed_blasts`) draws the sites, places the blasts and books
    their events as the reference's ``random_empty_resident_sites`` then
    ``LeukaemicBlast(model, site)`` do, from the same draws of both generators."""
    calls = []
    kernel = resident_births.seed_blasts
    monkeypatch.setattr(resident_births, "seed_blasts", lambda *a: calls.append(1) or kernel(*a))
    models = [
        empty_model(BUSY_BLASTS, seed=6, engine=engine) for engine in ("reference", "compiled")
    ]
    placed = []
    for model in models:
        for _ in range(3):
            model.step()
        model.residents.place_blasts([0, 8, 16], cd19_positive=True)  # some sites taken
        placed.append(model.residents.seed_blasts(count // 2, cd19_positive=True))
        placed.append(model.residents.seed_blasts(count - count // 2, cd19_positive=False))
    assert calls == [1, 1]  # the compiled engine's seeding ran in the kernel
    reference, compiled = models
    assert placed[:2] == placed[2:]
    assert sum(placed[:2]) == min(count, 46)
    assert reference.tissue.resident_kind.tobytes() == compiled.tissue.resident_kind.tobytes()
    assert reference.tissue.resident_serial.tolist() == compiled.tissue.resident_serial.tolist()
    assert reference.census.resident == compiled.census.resident
    assert reference.random.getstate() == compiled.random.getstate()
    assert reference.rng.bit_generator.state == compiled.rng.bit_generator.state
    assert _bookings(reference) == _bookings(compiled)
    assert not compiled.agents_by_type.get(LeukaemicBlast)  # no agent made yet
    _step_together(reference, compiled, 24)  # their divisions and deaths, in booking order


BUSY_B_CELLS = ("b_cells.maturation_days=0.3", "b_cells.lifespan_days=0.5")
"""B-cells that mature and die within hours."""


@pytest.mark.parametrize("precursor", [True, False])
def test_placing_b_cells_without_agents_is_making_them(precursor: bool) -> None:
    """A B-cell placed without an agent is placed, counted and booked as
    ``HealthyBCell(model, site, precursor)`` does, and matures and dies as it does."""
    models = [empty_model(BUSY_B_CELLS, seed=6, engine=engine) for engine in ENGINES]
    sites = random.Random(3).sample(range(49), 12)
    for model in models:
        model.step()
        model.residents.place_b_cells(sites[:9], precursor)
        model.residents.place_b_cells(sites[9:], not precursor)
    reference, compiled = models
    assert reference.census == compiled.census
    assert reference.random.getstate() == compiled.random.getstate()
    assert _bookings(reference) == _bookings(compiled)
    assert not compiled.agents_by_type.get(HealthyBCell)
    killed = compiled.tissue.resident_at(sites[0])  # made on demand, as a CAR T-cell would
    assert isinstance(killed, HealthyBCell) and killed.precursor == precursor
    killed.die()
    reference.tissue.resident_at(sites[0]).die()
    _step_together(reference, compiled, 48)  # maturations and deaths, in booking order
    assert reference.census.resident[ResidentKind.B_CELL] == 0


def test_a_blasts_agent_is_made_when_asked_for_and_is_the_reference_agent() -> None:
    models = [empty_model(seed=2, engine=engine) for engine in ENGINES]
    for model in models:
        for _ in range(5):
            model.step()
        model.residents.place_blasts([10, 11, 12], cd19_positive=False)
    reference, compiled = models
    assert compiled.tissue.residents[11] is AGENT_NOT_MADE
    made = compiled.tissue.resident_at(11)
    expected = reference.tissue.resident_at(11)
    assert isinstance(made, LeukaemicBlast) and made is compiled.tissue.resident_at(11)
    assert (made.site, made.kind, made.born_step, made.alive) == (
        expected.site,
        expected.kind,
        expected.born_step,
        expected.alive,
    )
    assert list(compiled.agents_by_type[LeukaemicBlast]) == [made]
    assert describe_site(compiled, *divmod(12, 7)) == describe_site(reference, *divmod(12, 7))
    made.die()  # its booked events then find it gone, as the agent's own would
    expected.die()
    assert compiled.tissue.resident_kind_at(11) == ResidentKind.EMPTY
    _step_together(reference, compiled, 24 * 20)


def test_the_heap_runs_events_in_booking_order_and_drops_the_dead() -> None:
    rng = np.random.default_rng(3)
    keys, events, size = np.zeros(4, np.int64), np.zeros(4, np.int64), np.zeros(1, np.int64)
    n_sites = 10
    serial = np.arange(n_sites, dtype=np.int64) + 1  # site s holds the resident of serial s+1
    due = rng.integers(1, 6, size=200)
    due[::7] = -1  # never booked
    site = rng.integers(0, n_sites, size=200)
    booked = ((serial[site] * n_sites + site) * 2).astype(np.int64)
    keys, events = np.zeros(256, np.int64), np.zeros(256, np.int64)
    assert event_heap.push_all(keys, events, size, due, booked, -1, 0) == np.count_nonzero(due > 0)
    serial[3] = 0  # the resident of site 3 has died
    numbers = np.cumsum(due > 0) - 1  # each booking's sequence number
    for step in range(1, 6):
        order, alive = event_heap.pop_due(keys, events, size, step, n_sites, serial)
        expected = (due == step) & (site != 3)
        assert order.tolist() == numbers[expected].tolist()
        assert alive.tolist() == booked[expected].tolist()
    assert size[0] == 0


CHURN = (  # blasts come and go by tens a step: fifty times the default seeding
    "grid.width=40",
    "grid.height=40",
    "residual.seeding_rate_per_day=10.0",
    "therapy.manufacturing_median_days=6.0",
    "therapy.manufacturing_min_days=5.0",
    "therapy.manufacturing_max_days=7.0",
    "therapy.bridging_days=[3]",
)


@pytest.mark.parametrize("seed", [1, 2])
def test_runs_where_blasts_come_and_go_agree_step_by_step(seed: int) -> None:
    """Seeding, the two-way exchange, bridging and lymphodepletion, and the CAR T-cells'
    kills of blasts whose agents are made only then: the same run on both engines."""
    scenario = load_scenario("autologous", [*CHURN, "time.days=20"])
    reference, compiled = CarTModel(scenario, seed), CarTModel(scenario, seed, engine="compiled")
    _step_together(reference, compiled, 5 * reference.steps_per_day)  # bridged, not infused
    made = len(compiled.agents_by_type.get(LeukaemicBlast, ()))
    assert made < compiled.census.blasts / 2  # most blasts have not needed an agent
    _step_together(reference, compiled, 15 * reference.steps_per_day)
    assert reference.residual.seeded > 20 * 24 * FEW  # in bulk (the kernel), more than FEW a step
    assert reference.census.kills_by_car_t > 0  # and CAR T-cells killed some


@pytest.mark.parametrize("occupied", [0.0, 0.5, 0.8, 0.95, 1.0])
def test_the_empty_sites_kernel_draws_what_numpy_draws(occupied: float) -> None:
    """``kernels.empty_sites`` (seeding, births, infusions) is ``draw_empty_sites``: the
    same sites and the same generator state after, on grids from empty to full."""
    from sim import kernels
    from sim.tissue import draw_empty_sites

    layout = np.random.default_rng(7)
    for trial in range(20):
        layer = (layout.random(900) < occupied).astype(np.int8)
        count = int(layout.integers(1, 300))
        numpy_rng, kernel_rng = np.random.default_rng(trial), np.random.default_rng(trial)
        expected = draw_empty_sites(layer, count, numpy_rng)
        sites, found = kernels.empty_sites(layer, count, kernel_rng)
        assert found == (expected is not None)
        if found:
            assert sites.tolist() == expected.tolist()
        assert numpy_rng.bit_generator.state == kernel_rng.bit_generator.state


@pytest.mark.parametrize("occupied", [0.0, 0.8, 0.97, 0.995, 1.0])
def test_the_random_empty_sites_kernel_is_the_tissues_choice(occupied: float) -> None:
    """``kernels.random_empty_sites`` is ``Tissue.random_empty_sites``: its draws and,
    where they find too few, its choice over every empty site (numpy's ``choice``)."""
    from sim import kernels
    from sim.kernel_generator import held
    from sim.tissue import Tissue

    tissue = Tissue(30, 30, random.Random(0))
    layout = np.random.default_rng(11)
    fell_back = 0
    for trial in range(20):
        tissue.resident_kind[:] = layout.random(900) < occupied
        count = int(layout.integers(1, 60))
        numpy_rng, kernel_rng = np.random.default_rng(trial), np.random.default_rng(trial)
        fell_back += tissue.draw_empty_sites(tissue.resident_kind, count, numpy_rng) is None
        numpy_rng = np.random.default_rng(trial)
        expected = tissue.random_empty_sites(tissue.resident_kind, count, numpy_rng)
        sites = kernels.random_empty_sites(tissue.resident_kind, count, held(kernel_rng))
        assert sites.tolist() == expected.tolist()
        assert numpy_rng.bit_generator.state == kernel_rng.bit_generator.state
    assert fell_back > 0 or occupied < 0.9  # the full grids take the listing's way


def test_blasts_with_agents_leave_by_their_own_rule() -> None:
    """The egress kernel removes the chosen blasts without agents itself and leaves
    those whose agents were made to die by their own rule: the run stays the
    reference's while many blasts have agents."""
    scenario = load_scenario("autologous", [*CHURN, "time.days=20"])
    reference, compiled = CarTModel(scenario, 2), CarTModel(scenario, 2, engine="compiled")
    _step_together(reference, compiled, 10)
    blasts = np.flatnonzero(np.isin(compiled.tissue.resident_kind, sorted(BLASTS)))
    made = [compiled.tissue.resident_at(site) for site in blasts[::2].tolist()]
    _step_together(reference, compiled, 40)
    assert sum(not cell.alive for cell in made) > 10  # many of them left or died


def test_where_divisions_push_every_resident_is_an_agent_from_birth() -> None:
    """A push (agents/mass_growth.py) moves residents between sites, which the heap's
    events cannot follow: with ``division_pushes`` the compiled engine makes agents."""
    from sim.residents import Residents
    from sim.unmade_residents import UnmadeResidents

    pushing = load_scenario("lymphoma", ["grid.width=20", "grid.height=20"])
    assert pushing.leukaemia.division_pushes
    compiled = CarTModel(pushing, 1, engine="compiled")
    assert type(compiled.residents) is Residents
    assert len(compiled.agents_by_type[LeukaemicBlast]) == compiled.census.blasts
    with pytest.raises(ValueError, match="pushed"):
        UnmadeResidents(compiled)
    marrow = CarTModel(
        load_scenario("autologous", ["grid.width=20", "grid.height=20"]), 1, engine="compiled"
    )
    assert type(marrow.residents) is UnmadeResidents


def test_the_blasts_kept_in_order_are_the_blasts_sorted_by_serial(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The egress's list of blasts, kept from call to call, is every blast sorted by
    the order it was made, while blasts are seeded, divide, leave and die."""
    model = CarTModel(load_scenario("autologous", list(CHURN)), 3, engine="compiled")
    tissue, residents = model.tissue, model.residents
    logged = []  # before each egress: residents logged, and made, since the last listing
    compartment_step = residual_kernels.step_compartment  # the seeding, then the egress

    def logging_step(*args: object) -> tuple[np.ndarray, np.ndarray]:
        logged.append((int(residents.born[-1]), tissue.residents_made - residents._blasts_known_to))
        return compartment_step(*args)

    monkeypatch.setattr(residual_kernels, "step_compartment", logging_step)
    for step in range(60):
        model.step()
        if step % 3 == 0:  # not every step: blasts made and gone in between
            continue
        blasts = np.flatnonzero(np.isin(tissue.resident_kind, sorted(BLASTS)))
        by_serial = blasts[np.argsort(tissue.resident_serial[blasts])]
        assert model.residents.sites_of(LeukaemicBlast).tolist() == by_serial.tolist()
    assert by_serial.size > 50
    assert all(logs == made for logs, made in logged)  # none missed: no scan of the sites
    assert sum(logs for logs, _ in logged) > 100


def test_a_blast_made_where_no_log_sees_it_is_found_on_the_sites() -> None:
    """A blast whose agent has been made divides by its own rule (a daughter with an
    agent, not in the log of residents placed without one): the list of blasts in order
    finds it by looking at every site."""
    model = empty_model(BUSY_BLASTS, seed=2, engine="compiled")
    residents, tissue = model.residents, model.tissue
    residents.place_blasts([3, 20, 40], cd19_positive=True)
    assert residents.sites_of(LeukaemicBlast).tolist() == [3, 20, 40]
    residents.place_blasts([30], cd19_positive=False)
    tissue.resident_at(20).divide()  # its agent made, then its daughter with an agent
    daughter = int(np.flatnonzero(tissue.resident_serial == tissue.residents_made)[0])
    assert tissue.resident_has_agent[daughter]
    assert residents.sites_of(LeukaemicBlast).tolist() == [3, 20, 40, 30, daughter]


def _rows(model: CarTModel) -> tuple:
    """The residents without agents as the compiled engine keeps them."""
    tissue, residents = model.tissue, model.residents
    queue = residents.events
    size = int(queue.size[0])
    return (
        tissue.resident_serial.tolist(),
        [cell is AGENT_NOT_MADE for cell in tissue.residents],
        residents.born_step.tolist(),
        residents.precursor.tolist(),
        model.census,
        residents.events.next_sequence,
        sorted(zip(queue.keys[:size].tolist(), queue.events[:size].tolist(), strict=True)),
        {step: len(bucket) for step, bucket in queue._due.items()},
    )


@pytest.mark.parametrize("tissue", ["marrow", "lymph_node"])  # a torus; a grid with an edge
def test_the_due_events_kernel_is_the_python_path(tissue: str) -> None:
    """A step's due events settled in one kernel (divisions, their daughters and
    bookings; maturations; deaths) leave what running each in Python leaves: the same
    tissue, generator states, census and bookings, step by step; a blast whose agent has
    been made runs its agent's rule, between the kernel's events."""
    overrides = [*BUSY_BLASTS, *BUSY_B_CELLS, f"grid.tissue={tissue}"]
    kernel, python = (empty_model(overrides, seed=5, engine="compiled") for _ in range(2))
    python.residents.events._settle = None  # each live event by run_event, in Python
    sites = random.Random(5).sample(range(49), 20)
    for model in (kernel, python):
        model.step()
        model.residents.place_blasts(sites[:6], cd19_positive=True)
        model.residents.place_b_cells(sites[6:12], precursor=True)
        model.residents.place_blasts(sites[12:], cd19_positive=False)
        assert isinstance(model.tissue.resident_at(sites[0]), LeukaemicBlast)  # made
    for step in range(48):
        kernel.step()
        python.step()
        assert _state(kernel) == _state(python), f"step {step + 2}"
        assert _rows(kernel) == _rows(python), f"step {step + 2}"
    assert kernel.tissue.residents_made > 40  # daughters were born

"""A lymph node is a bounded grid: nothing crosses its edge, nothing wraps around it.

The marrow (a torus) still wraps. See sim/geometry.py and docs/model.md ("Lymph node").
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from model_builders import empty_model

from agents.car_t_cell import CarTCell
from agents.kinds import ResidentKind
from agents.native_t_cell import NativeTCell
from sim.geometry import neighbour_mean
from sim.loader import load_scenario
from sim.model import CarTModel
from sim.movement import resolve_turns, walk
from sim.parameters import FieldParameters
from sim.tissue import Tissue

NODE = ("grid.tissue='lymph_node'",)
SMALL_LYMPHOMA = (
    "grid.width=30",
    "grid.height=30",
    "therapy.manufacturing_failure_prob=0.0",
    "car_t.chemotaxis_bias=0.5",  # exercise the chemotaxis branch of the walk as well
)


def _site(tissue: Tissue, x: int, y: int) -> int:
    return x * tissue.height + y


def _small_lymphoma(seed: int, screen_contacts: bool = True) -> CarTModel:
    return CarTModel(load_scenario("lymphoma", SMALL_LYMPHOMA), seed, screen_contacts)


# --- geometry --------------------------------------------------------------------------
def test_a_node_site_has_only_on_grid_neighbours() -> None:
    """Corners have 3 neighbours, edge sites 5, inner sites 8; all adjacent, none wrapped;
    a direction off the grid gives the site itself (a move that fails)."""
    tissue = Tissue(5, 4, random.Random(1), bounded=True)
    for site in range(tissue.n_sites):
        x, y = tissue.coordinates(site)
        on_edges = (x in (0, 4)) + (y in (0, 3))
        expected = {0: 8, 1: 5, 2: 3}[on_edges]
        around = tissue.neighbour_tuples[site]
        assert len(around) == len(set(around)) == expected
        for other in around:
            ox, oy = tissue.coordinates(other)
            assert 0 <= other < tissue.n_sites
            assert max(abs(ox - x), abs(oy - y)) == 1, f"{(x, y)} -> {(ox, oy)} wraps"
        targets = tissue.neighbours[site].tolist()
        assert set(targets) - {site} == set(around)
        assert targets.count(site) == 8 - expected
        assert tissue.move_tuples[site] == tuple(targets)
    assert tissue.neighbour_tuples[_site(tissue, 0, 0)] == (
        _site(tissue, 0, 1),
        _site(tissue, 1, 0),
        _site(tissue, 1, 1),
    )


def test_the_marrow_still_wraps() -> None:
    """On a torus, (0, 0) touches (width-1, height-1); every site has 8 neighbours."""
    tissue = Tissue(6, 5, random.Random(1))
    corner = _site(tissue, 0, 0)
    assert _site(tissue, 5, 4) in tissue.neighbour_tuples[corner]
    assert tissue.neighbour_on_grid is None
    assert all(len(around) == 8 for around in tissue.neighbour_tuples)
    assert tissue.move_tuples is tissue.neighbour_tuples
    marrow = CarTModel(load_scenario("classroom", ["grid.width=12", "grid.height=12"]), 1)
    assert not marrow.tissue.bounded
    node = _small_lymphoma(seed=1)
    assert node.tissue.bounded


def test_distances_on_a_node_do_not_wrap() -> None:
    node = Tissue(10, 10, random.Random(1), bounded=True)
    torus = Tissue(10, 10, random.Random(1))
    far = np.array([_site(node, 9, 9)])
    assert node.distance_from(_site(node, 0, 0), far).tolist() == [9]
    assert torus.distance_from(_site(torus, 0, 0), far).tolist() == [1]


# --- fields ----------------------------------------------------------------------------
def test_cytokine_does_not_leak_across_the_edge_of_a_node() -> None:
    """A release at x = 0 leaves x = width - 1 at zero after one update (on a torus it
    reaches it), and the capsule reflects: the node keeps the released total (but for
    decay)."""
    fields = FieldParameters(cytokine_diffusion_per_hour=1.0, cytokine_half_life_hours=6.0)
    keep = 0.5 ** (1.0 / fields.cytokine_half_life_hours)
    columns = {}
    for bounded in (True, False):
        tissue = Tissue(8, 6, random.Random(1), bounded=bounded)
        tissue.release(_site(tissue, 0, 2), cytokine=100.0, antigen=5.0)
        tissue.update_fields(fields, hours=1.0)
        square = tissue.cytokine.reshape(tissue.width, tissue.height)
        columns[bounded] = square[-1].copy()
        assert tissue.cytokine.sum() == pytest.approx(100.0 * keep)
    assert not columns[True].any()
    assert columns[False].any()


def test_the_reflecting_edge_keeps_the_total_and_a_uniform_field() -> None:
    rng = np.random.default_rng(4)
    square = rng.random((7, 9))
    spread = square + 0.6 * (neighbour_mean(square, bounded=True) - square)
    assert spread.sum() == pytest.approx(square.sum(), rel=1e-12)
    flat = np.full((7, 9), 2.5)
    assert np.allclose(neighbour_mean(flat, bounded=True), 2.5)


# --- the walk --------------------------------------------------------------------------
def test_the_numpy_walk_moves_exactly_as_cells_taking_turns_on_a_node() -> None:
    """On a bounded grid too, the numpy resolution picks the cells that would move if each
    tried :meth:`TCell.move` in turn; a move off the grid never happens."""
    for seed in range(60):
        model = empty_model([*NODE, "grid.width=6", "grid.height=6"], seed=seed)
        tissue = model.tissue
        rng = np.random.default_rng(seed)
        count = int(rng.integers(3, 30))
        origin = rng.choice(tissue.n_sites, size=count, replace=False)
        for site in origin.tolist():
            NativeTCell(model, site)
        target = tissue.neighbours[origin, rng.integers(0, 8, size=count)]
        turn = rng.permutation(count)
        occupied = set(origin.tolist())
        expected = set()
        for index in np.argsort(turn).tolist():
            if target[index] not in occupied:
                occupied.remove(int(origin[index]))
                occupied.add(int(target[index]))
                expected.add(index)
        moved = set(resolve_turns(tissue, origin, target, turn).tolist())
        assert moved == expected
        assert all(target[index] != origin[index] for index in moved)


def test_the_walk_keeps_the_density_even_up_to_the_capsule() -> None:
    """A move across the capsule fails (it does not go elsewhere), so walkers spend the
    edge's share of their time on the edge: 116 of 900 sites (12.9%), not the 8.4% a
    walk choosing among the neighbours present would give."""
    model = empty_model([*NODE, "grid.width=30", "grid.height=30"], seed=5)
    tissue = model.tissue
    cells = [NativeTCell(model, site) for site in model.rng.choice(900, 150, replace=False)]
    rows = np.array([cell.row for cell in cells])
    edge = np.zeros(tissue.n_sites, dtype=bool)
    edge[tissue.border_sites()] = True
    on_edge = []
    for round_index in range(3000):
        walk(tissue, rows, np.ones(rows.size, dtype=int), np.zeros(rows.size), model.rng)
        if round_index >= 500 and round_index % 10 == 0:
            on_edge.append(edge[tissue.t_cells.site[rows]].mean())
    assert abs(np.mean(on_edge) - 116 / 900) < 0.015


def test_no_cell_crosses_or_wraps_the_edge_of_a_node() -> None:
    """A seeded lymphoma run on 30 x 30: every cell stays on the grid, and no T-cell moves
    further in a step than its moves allow (a wrap would jump the whole grid)."""
    model = _small_lymphoma(seed=3)
    tissue = model.tissue
    for _ in range(2):
        model.run_day()
    assert model.infuse_now(60) == 60
    motility = max(
        model.parameters.car_t.motility_sites_per_hour,
        model.parameters.native_t.motility_sites_per_hour,
    )
    max_moves = math.ceil(motility * model.hours_per_step)
    steps = 4 * model.steps_per_day
    before = {id(cell): cell.xy for cell in model.t_cells()}
    for _ in range(steps):
        model.step()
        after = {}
        for cell in model.t_cells():
            site = cell.site
            assert 0 <= site < tissue.n_sites
            x, y = cell.xy
            assert 0 <= x < tissue.width and 0 <= y < tissue.height
            if id(cell) in before:
                x0, y0 = before[id(cell)]
                assert max(abs(x - x0), abs(y - y0)) <= max_moves, "a jump across the grid"
            after[id(cell)] = (x, y)
        before = after
        residents = [r for r in tissue.residents if r is not None]
        assert all(0 <= cell.site < tissue.n_sites for cell in residents)
    assert model.census.car_t > 0
    assert tissue.fields_active, "kills released cytokine, so the fields were exercised"


def test_the_contact_screen_changes_nothing_on_a_node() -> None:
    """The screen ignores the off-grid directions and still gives the very same run."""
    screened = _small_lymphoma(seed=2, screen_contacts=True)
    unscreened = _small_lymphoma(seed=2, screen_contacts=False)
    for model in (screened, unscreened):
        model.run_day()
        model.infuse_now(60)
    for _ in range(4):
        screened.run_day()
        unscreened.run_day()
        assert screened.census == unscreened.census
        assert np.array_equal(screened.tissue.mobile_kind, unscreened.tissue.mobile_kind)


# --- the node's own geometry -----------------------------------------------------------
def test_infused_car_t_cells_start_under_the_capsule() -> None:
    """``therapy.entry = "border"``: the dose starts on the node's outermost sites."""
    model = _small_lymphoma(seed=4)
    placed = model.infuse_now(40)
    assert placed == 40
    edge = set(model.tissue.border_sites().tolist())
    assert len(edge) == 2 * (30 + 30) - 4
    sites = [cell.site for cell in model.agents_by_type[CarTCell]]
    assert len(sites) == 40 and set(sites) <= edge


def test_the_dense_mass_sits_in_the_middle_of_the_node() -> None:
    """The blasts start as a disc centred on the node, clear of the capsule."""
    model = _small_lymphoma(seed=1)
    tissue = model.tissue
    kinds = tissue.resident_kind.reshape(30, 30)
    blast = (kinds == ResidentKind.BLAST_CD19_POSITIVE) | (
        kinds == ResidentKind.BLAST_CD19_NEGATIVE
    )
    xs, ys = np.nonzero(blast)
    assert abs(xs.mean() - 14.5) < 0.5 and abs(ys.mean() - 14.5) < 0.5
    assert not blast[0].any() and not blast[-1].any()
    assert not blast[:, 0].any() and not blast[:, -1].any()

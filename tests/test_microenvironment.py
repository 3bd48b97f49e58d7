"""The tumour microenvironment's rules (agents/microenvironment.py) on tiny hand-built
tissues: each test fails if its rule is removed."""

from __future__ import annotations

import numpy as np
from model_builders import empty_model

from agents.car_t_cell import CarTCell
from agents.leukaemic_blast import LeukaemicBlast
from agents.native_t_cell import NativeTCell
from sim.movement import walk

CENTRE = 3 * 7 + 3  # the middle site of the 7 x 7 tissue


def _surrounded(hostility: float, overrides: tuple[str, ...] = (), seed: int = 1):
    """An effector in the middle of the 7 x 7 tissue with a lymphoma cell on all 8
    neighbours."""
    model = empty_model([f"microenvironment.hostility={hostility}", *overrides], seed=seed)
    cell = CarTCell(model, CENTRE)
    for site in model.tissue.sites_around(CENTRE):
        LeukaemicBlast(model, site)
    return model, cell


def _kills(hostility: float, trials: int = 300) -> int:
    kills = 0
    for seed in range(trials):
        _model, cell = _surrounded(hostility, ("car_t.kill_rate_per_day=24.0",), seed)
        cell.interact()
        kills += cell.kills
    return kills


def test_a_hostile_mass_suppresses_killing() -> None:
    """Kill chance 1 - e^-1 = 0.63 a step; at hostility 1, surrounded, x (1 - 0.7): 0.19."""
    free, suppressed = _kills(0.0), _kills(1.0)
    assert 0.55 < free / 300 < 0.71
    assert 0.12 < suppressed / 300 < 0.26


def test_a_hostile_mass_speeds_exhaustion() -> None:
    """One engaged hour surrounded by tumour counts 1 + 2.0 x 1 = 3 hours at hostility 1."""
    for hostility, expected in ((0.0, 1.0), (1.0, 3.0), (0.5, 2.0)):
        _, cell = _surrounded(hostility, ("car_t.kill_rate_per_day=0.0",))
        cell.interact()
        assert abs(cell.engaged_hours - expected) < 1e-12, hostility


def _moved_share(method: str, hostility: float) -> float:
    """Share of T-cells that leave their site in one round on a 20 x 20 node packed with
    lymphoma cells (every move lands on a tumour site; 5% of sites hold a T-cell)."""
    moved = total = 0
    for seed in range(20):
        model = empty_model(
            ["grid.width=20", "grid.height=20", f"microenvironment.hostility={hostility}"],
            seed=seed,
        )
        for site in range(model.tissue.n_sites):
            LeukaemicBlast(model, site)
        sites = model.rng.choice(model.tissue.n_sites, size=20, replace=False).tolist()
        cells = [NativeTCell(model, site) for site in sites]
        if method == "agents":
            for cell in cells:
                cell.move()
        else:
            rows = np.array([cell.row for cell in cells])
            exclusion = model.parameters.microenvironment.exclusion * hostility
            walk(model.tissue, rows, np.ones(20, dtype=int), np.zeros(20), model.rng, exclusion)
        moved += sum(cell.site != site for cell, site in zip(cells, sites, strict=True))
        total += len(cells)
    return moved / total


def test_dense_hostile_tumour_keeps_t_cells_out_in_both_walks() -> None:
    """At hostility 1 a move onto a tumour site fails with chance 0.6: the cell's own
    move and the numpy walk both keep about 60% more cells in place than without."""
    for method in ("agents", "numpy"):
        free, hostile = _moved_share(method, 0.0), _moved_share(method, 1.0)
        assert free > 0.9, method
        assert 0.3 < hostile / free < 0.5, method


def test_without_hostility_nothing_changes() -> None:
    """Hostility 0 (marrow): killing, exhaustion and moves are as without the module."""
    _, cell = _surrounded(0.0, ("car_t.kill_rate_per_day=0.0",))
    cell.interact()
    assert cell.engaged_hours == 1.0


def test_the_residual_lesions_are_as_hostile_as_the_node() -> None:
    """The residual compartment's CAR T-cell survival rises with hostility (its lesions
    are masses too)."""
    survival = {}
    for hostility in (0.0, 1.0):
        model, _ = _surrounded(hostility, ("car_t.kill_rate_per_day=24.0",))
        survival[hostility] = model.residual.car_t_survival()
    assert survival[1.0] > survival[0.0]
    kill_free = 1.0 - survival[0.0] ** (1 / 8)
    kill_hostile = 1.0 - survival[1.0] ** (1 / 8)
    assert abs(kill_hostile / kill_free - 0.3) < 1e-9


def _daughters_after_one_kill(hostility: float, expansion_suppression: float) -> int:
    """T-cells added by an effector that kills its one CD19-positive neighbour for sure
    and divides after every kill (division per kill 1), at the given systemic suppression."""
    model = empty_model(
        [
            f"microenvironment.hostility={hostility}",
            f"microenvironment.expansion_suppression={expansion_suppression}",
            "car_t.kill_rate_per_day=500.0",
            "car_t.division_prob_per_kill=1.0",
        ]
    )
    cell = CarTCell(model, CENTRE)
    LeukaemicBlast(model, CENTRE + 1)
    cell.interact()
    assert cell.kills == 1
    return len(list(model.t_cells())) - 1


def test_a_suppressive_patient_halves_expansion_everywhere() -> None:
    """Systemic suppression (the patient's myeloid cells, not the mass around the cell):
    division per kill x (1 - expansion_suppression x hostility); 0 at 1 x 1, unchanged at
    hostility 0 (marrow), even with a single tumour neighbour (local suppression 1/8)."""
    assert _daughters_after_one_kill(0.0, 1.0) == 1
    assert _daughters_after_one_kill(1.0, 0.0) == 1
    assert _daughters_after_one_kill(1.0, 1.0) == 0
    chances = empty_model(
        ["microenvironment.hostility=0.5", "microenvironment.expansion_suppression=0.5"]
    ).chances
    free = empty_model(["microenvironment.hostility=0.5"]).chances
    assert chances.car_t_division_per_kill == 0.75 * free.car_t_division_per_kill

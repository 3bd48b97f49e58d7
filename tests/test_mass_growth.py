"""Growth throughout a lymphoma mass (agents/mass_growth.py) on tiny hand-built node
sections: each test fails if the pushing rule is removed."""

from __future__ import annotations

import math

from model_builders import empty_model, run_steps

from agents import mass_growth
from agents.healthy_b_cell import HealthyBCell
from agents.leukaemic_blast import LeukaemicBlast

CENTRE = 3 * 7 + 3  # the middle site of the 7 x 7 tissue
NODE = ("grid.tissue='lymph_node'",)
PUSHING = (*NODE, "leukaemia.division_pushes=true")


def _block(overrides: tuple[str, ...]):
    """A 3 x 3 block of lymphoma cells in the middle of the 7 x 7 node: the centre cell
    has no free neighbour."""
    model = empty_model(overrides)
    LeukaemicBlast(model, CENTRE)
    for site in model.tissue.sites_around(CENTRE):
        LeukaemicBlast(model, site)
    return model


def _consistent(model) -> bool:
    """Every resident cell (lymphoma cell, B-cell) is where the tissue says it is."""
    cells = [
        c for kind in (LeukaemicBlast, HealthyBCell) for c in model.agents_by_type.get(kind, ())
    ]
    return all(model.tissue.resident_at(cell.site) is cell for cell in cells)


def test_a_surrounded_lymphoma_cell_divides_by_pushing() -> None:
    """With pushing, the centre cell of a full block divides (9 -> 10 cells, the block now
    4 sites long in one direction); without it, it cannot (9)."""
    model = _block(PUSHING)
    centre = model.tissue.resident_at(CENTRE)
    centre.divide()
    assert model.census.blasts == 10
    assert centre.site == CENTRE and model.tissue.resident_at(CENTRE) is centre
    assert _consistent(model)
    sites = [cell.site for cell in model.agents_by_type[LeukaemicBlast]]
    xs, ys = zip(*(model.tissue.coordinates(site) for site in sites), strict=True)
    assert max(max(xs) - min(xs), max(ys) - min(ys)) == 3  # pushed one site out
    unpushed = _block(NODE)
    unpushed.tissue.resident_at(CENTRE).divide()
    assert unpushed.census.blasts == 9


def test_pushing_moves_healthy_cells_aside() -> None:
    """A node full but for its corner (0, 0), a B-cell on (1, 1): the lymphoma cell on
    (2, 2) divides by pushing the B-cell into the corner; its daughter takes (1, 1)."""
    model = empty_model(PUSHING)
    b_cell = HealthyBCell(model, 8, precursor=False)  # (1, 1)
    for site in range(9, model.tissue.n_sites):
        LeukaemicBlast(model, site)
    for site in range(1, 8):
        LeukaemicBlast(model, site)
    blasts = model.census.blasts
    model.tissue.resident_at(16).divide()  # (2, 2)
    assert model.census.blasts == blasts + 1
    assert b_cell.alive and b_cell.site == 0 and model.tissue.resident_at(0) is b_cell
    assert model.tissue.resident_at(8).kind == model.tissue.resident_at(16).kind
    assert _consistent(model)


def test_a_full_node_stops_growth() -> None:
    """No empty site anywhere: no division, nothing moves."""
    model = empty_model((*PUSHING, "grid.width=5", "grid.height=5"))
    for site in range(25):
        LeukaemicBlast(model, site)
    model.tissue.resident_at(12).divide()
    assert model.census.blasts == 25


def test_king_path_is_shortest_and_wraps_on_a_torus() -> None:
    node = empty_model(NODE).tissue
    assert mass_growth.king_path(node, 0, 3 * 7 + 1) == [8, 15, 22]  # (1,1) (2,1) (3,1)
    torus = empty_model().tissue
    assert mass_growth.king_path(torus, 0, 6 * 7 + 6) == [6 * 7 + 6]  # one step across


def test_a_mass_grows_throughout_not_only_at_its_rim() -> None:
    """A disc of 400 lymphoma cells on a 40 x 40 node, dividing at 0.5 a day with no
    deaths, for 2 days: pushing gives near-exponential growth (x e^1 = 2.7, minus the
    step's discreteness); the rim alone gives far less."""

    def grown(overrides: tuple[str, ...]) -> float:
        model = empty_model(
            (
                *overrides,
                "grid.width=40",
                "grid.height=40",
                "leukaemia.division_rate_per_day=0.5",
                "leukaemia.death_rate_per_day=0.0",
                "leukaemia.initial_blast_fraction=0.25",
                "leukaemia.dense_mass=true",
            )
        )
        start = model.census.blasts
        run_steps(model, 2 * model.steps_per_day)
        return model.census.blasts / start

    pushed, rim = grown(PUSHING), grown(NODE)
    assert 2.2 < pushed < math.e + 0.2
    assert rim < 1.8

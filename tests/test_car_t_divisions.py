"""A CAR T-cell's kill of a resident without an agent that makes it divide, settled in
the encounter kernel (agents/car_t_cell_division_kernels.py): the daughter's row,
agent, census and draws are the reference's ``CarTCell.kill`` -> ``divide`` ->
``make_daughter``'s, step by step, on small hand-built tissues (crowded cells with no
free neighbour, a senescent line, memory daughters, donor cells that kept their TCR, a
table with no free row left)."""

from __future__ import annotations

import dataclasses

import pytest
from model_builders import empty_model
from test_engines import _state

import sim.compiled
import sim.tissue
from agents.car_t_cell import CarTCell
from agents.car_t_cell_division_kernels import NEVER as KERNEL_NEVER
from agents.cell import NEVER
from sim.engine import ENGINES
from sim.model import CarTModel
from sim.t_cell_table import TCellTable

DIVIDING = (
    "car_t.kill_rate_per_day=40.0",  # an engaged effector strikes most steps
    "car_t.division_prob_per_kill=1.0",  # and every kill's division draw says it divides
    "car_t.exhaustion_engaged_hours=10000.0",  # nobody tires: every call is the kernel's
    "leukaemia.cd19_loss_prob=0.0",
)
CLUSTER = (16, 17, 18, 23, 24, 25, 30, 31, 32)
"""A 3x3 block of effectors in the middle of a 7x7 torus (site = x * 7 + y): the middle
one has no free neighbour, and the block fills up as the cells divide."""
CASES = {
    "effector daughters": ("car_t.memory_fraction=0.0",),
    "memory daughters": ("car_t.memory_fraction=1.0",),
    "senescent line": ("car_t.memory_fraction=0.3", "car_t.replicative_limit=2"),
    "donor cells": ("car_t.memory_fraction=0.3",),
    "no free row": ("car_t.memory_fraction=0.3",),
}


def _placed(engine: str, case: str) -> CarTModel:
    model = empty_model([*DIVIDING, *CASES[case]], 3, engine)
    model.step()
    model.residents.place_blasts(list(range(49)), cd19_positive=True)  # one under every site
    for index, site in enumerate(CLUSTER):
        if case == "donor cells":
            CarTCell(model, site, origin="donor", tcr_intact=index % 2 == 0)
        else:
            CarTCell(model, site)
    return model


def _everything(model: CarTModel) -> tuple:
    """:func:`test_engines._state` and what a division also leaves: the census, the
    T-cells' agents in ``agents_by_type`` order (rows in the order of their Mesa
    ``unique_id``s, generation, birth step, phase, origin, TCR, bound to their rows), the
    table's free rows, the fresh marks of the cells born in this step (the reference
    never clears the others'; the compiled engine does at each step's encounters)."""
    table = model.tissue.t_cells
    agents = list(model.agents_by_type[CarTCell])
    rows = table.live_rows()
    ids = [cell.unique_id for cell in agents]
    return (
        _state(model),
        dataclasses.asdict(model.census),
        [
            (
                cell.row,
                cell.generation,
                cell.born_step,
                cell.changed_in_phase,
                cell.origin,
                cell.tcr_intact,
                cell.state,
                cell.alive,
                table.cells[cell.row] is cell,
            )
            for cell in agents
        ],
        ids == sorted(ids),
        [cell.row for cell in sorted(agents, key=lambda cell: cell.unique_id)],
        table.free_rows[: table.free_count[0]].tolist(),
        sorted(table._released),
        [bool(table.fresh[cell.row]) for cell in agents if cell.born_step == model.step_count],
        table.generation[rows].tolist(),
    )


@pytest.mark.parametrize("case", list(CASES))
def test_divisions_after_kills_are_settled_in_the_kernel_as_the_reference_divides(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every kill that divides is settled in the kernel (no ``CarTCell.kill`` and no
    ``CarTCell.divide`` in Python on the compiled engine, but for a table with no free
    row); the run is the reference's, step by step."""
    if case == "no free row":  # a table of 12 rows: the 13th cell's division, in Python
        monkeypatch.setattr(sim.tissue, "TCellTable", lambda: TCellTable(12))
    reference, compiled = (_placed(engine, case) for engine in ENGINES)
    calls = {(id(model), what): 0 for model in (reference, compiled) for what in ("k", "d")}
    outcomes = {"senescent": 0, "no room": 0, "memory": 0, "effector": 0}
    kill, divide = CarTCell.kill, CarTCell.divide
    make_daughters = sim.compiled.make_car_t_daughters

    def counted_kill(cell: CarTCell, target: object) -> None:
        calls[id(cell.model), "k"] += 1
        kill(cell, target)  # type: ignore[arg-type]

    def counted_divide(cell: CarTCell) -> object:
        calls[id(cell.model), "d"] += 1
        senescent = cell.senescent()
        daughter = divide(cell)
        if cell.model is reference:
            outcome = "senescent" if senescent else "no room"
            outcomes[outcome if daughter is None else daughter.state] += 1  # type: ignore[attr-defined]
        return daughter

    made = []

    def counted_make_daughters(model: CarTModel, pairs: list[list[int]]) -> None:
        made.extend([id(model)] * len(pairs))
        make_daughters(model, pairs)

    monkeypatch.setattr(CarTCell, "kill", counted_kill)
    monkeypatch.setattr(CarTCell, "divide", counted_divide)
    monkeypatch.setattr(sim.compiled, "make_car_t_daughters", counted_make_daughters)
    assert _everything(reference) == _everything(compiled)
    for step in range(10):
        reference.step()
        compiled.step()
        assert _everything(reference) == _everything(compiled), f"parted at step {step + 1}"
    divisions = calls[id(reference), "d"]
    assert calls[id(reference), "k"] == reference.census.kills_by_car_t == divisions >= 10
    daughters = outcomes["memory"] + outcomes["effector"]
    assert made == [id(compiled)] * len(made)  # agents bound to the kernel's rows
    if case == "no free row":
        assert 0 < calls[id(compiled), "d"] == calls[id(compiled), "k"] < divisions
        assert len(made) + calls[id(compiled), "d"] >= daughters > len(made) > 0
        assert compiled.tissue.t_cells.kind.size > 12  # grown, in Python
    else:
        assert calls[id(compiled), "k"] == calls[id(compiled), "d"] == 0
        assert len(made) == daughters
    assert outcomes["no room"] > 0  # the crowded cells: no division, one draw fewer
    if case == "effector daughters":
        assert outcomes["effector"] > 0 == outcomes["memory"]
    if case == "memory daughters":
        assert outcomes["memory"] > 0 == outcomes["effector"]
    if case == "senescent line":
        assert outcomes["senescent"] > 0
    if case == "donor cells":
        assert reference.census.tcr_intact_donor_cells > len(CLUSTER) // 2 + 1


def test_the_kernel_writes_never_as_the_rules_do() -> None:
    """A daughter's ``last_kill`` in the kernel is :data:`agents.cell.NEVER`."""
    assert KERNEL_NEVER == NEVER

"""A CAR T-cell's kill of a resident without an agent, settled in the encounter kernel
(agents/car_t_cell_kernels.py, ``kill_unmade``) when it does not tire: the
same tissue, fields, census, record, T-cell table and draws as the reference's
``CarTCell.kill``, step by step; and a T-cell's kills and stimulations kept in the
T-cell table on both engines."""

from __future__ import annotations

import dataclasses

import pytest
from model_builders import empty_model
from test_engines import _state

from agents.car_t_cell import CarTCell
from agents.native_t_cell import NativeTCell
from sim.engine import ENGINES
from sim.model import CarTModel
from sim.tissue import AGENT_NOT_MADE

KILLING = (
    "car_t.kill_rate_per_day=40.0",  # an engaged effector strikes most steps
    "car_t.exhaustion_engaged_hours=3.0",  # some tire meanwhile (a call run in Python)
    "b_cells.cytokine_share_when_killed=0.25",  # a B-cell's death inflames less
    "leukaemia.cd19_loss_prob=0.0",
)
EFFECTORS = (8, 11, 22, 24, 38)
"""Sites of the effectors (a 7x7 torus: site = x * 7 + y); several share victims, so a
cell later in a step's turn order finds a site its neighbour emptied."""
BLASTS = (0, 1, 2, 3, 9, 10, 15, 16, 17, 29, 30, 31, 37, 44, 45, 46)
PRECURSORS = (4, 5, 12, 18)
MATURE = (19, 25, 32, 39)
WITH_AGENT = 23
"""A blast whose agent the compiled engine has made: its kill runs the rule in Python."""


def _placed(engine: str, division: float) -> CarTModel:
    model = empty_model([*KILLING, f"car_t.division_prob_per_kill={division}"], 5, engine)
    model.step()
    residents = model.residents
    residents.place_blasts([*BLASTS, WITH_AGENT], cd19_positive=True)
    residents.place_b_cells(list(PRECURSORS), precursor=True)
    residents.place_b_cells(list(MATURE), precursor=False)
    model.tissue.resident_at(WITH_AGENT)  # its agent (made now on the compiled engine)
    for site in EFFECTORS:
        CarTCell(model, site)
    return model


def _everything(model: CarTModel) -> tuple:
    """:func:`test_engines._state` and what a kill also leaves: the census, the event
    record, the serials, which sites hold an agent, the table's own numbers."""
    tissue, table = model.tissue, model.tissue.t_cells
    rows = table.live_rows()
    return (
        _state(model),
        dataclasses.asdict(model.census),
        list(model.recent_events),
        tissue.resident_serial.tobytes(),
        [cell is None for cell in tissue.residents],
        table.kills[rows].tolist(),
        table.stimulations[rows].tolist(),
        table.last_kill[rows].tolist(),
    )


@pytest.mark.parametrize("division", [0.0, 0.5])
def test_kills_without_agents_are_settled_in_the_kernel_as_the_reference_kills(
    division: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every kill of a resident without an agent is settled in the kernel (no
    ``CarTCell.kill`` in Python on the compiled engine), divisions and calls that tire
    the cell included (no ``CarTCell.become`` in Python either: the kernel tires it,
    ``car_t_cell_division_kernels.tire``), the blast with an agent excepted; the run is
    the reference's, step by step."""
    reference, compiled = (_placed(engine, division) for engine in ENGINES)
    assert compiled.tissue.residents[BLASTS[0]] is AGENT_NOT_MADE
    assert compiled.tissue.residents[WITH_AGENT] is not AGENT_NOT_MADE
    in_python = {id(reference): 0, id(compiled): 0}
    kill = CarTCell.kill

    def counted(cell: CarTCell, target: object) -> None:
        in_python[id(cell.model)] += 1
        kill(cell, target)  # type: ignore[arg-type]

    tired = {id(reference): 0, id(compiled): 0}
    become = CarTCell.become

    def tiring(cell: CarTCell, state: str) -> None:
        tired[id(cell.model)] += state == "exhausted"
        become(cell, state)  # type: ignore[arg-type]

    monkeypatch.setattr(CarTCell, "kill", counted)
    monkeypatch.setattr(CarTCell, "become", tiring)
    assert _everything(reference) == _everything(compiled)
    for step in range(12):
        reference.step()
        compiled.step()
        assert _everything(reference) == _everything(compiled), f"parted at step {step + 1}"
    kills = reference.census.kills_by_car_t
    assert kills == in_python[id(reference)] >= 10  # the reference kills in Python
    assert reference.census.b_cells_killed_by_car_t > 0
    assert reference.tissue.resident_kind[WITH_AGENT] == 0  # the agent was killed too
    settled = kills - in_python[id(compiled)]
    # in Python: only the blast with an agent (a kill that divides is settled in the
    # kernel too: tests/test_car_t_divisions.py)
    assert in_python[id(compiled)] == 1
    assert tired[id(compiled)] == 0  # the kernel tires cells on the compiled engine
    if division == 0.0:
        assert tired[id(reference)] > 0  # cells tired, on the reference by the rule
    else:
        assert len(reference.t_cells()) > len(EFFECTORS)  # some did divide
    assert settled >= 5


def test_kills_and_stimulations_are_kept_in_the_table_on_both_engines() -> None:
    """A T-cell's ``kills`` and ``stimulations`` are its row's in the T-cell table; a row
    reused by a new cell starts again from 0."""
    for engine in ENGINES:
        model = empty_model([*KILLING, "car_t.division_prob_per_kill=0.0"], 5, engine)
        model.step()
        model.residents.place_blasts([10, 12], cd19_positive=True)
        table = model.tissue.t_cells
        killer = CarTCell(model, 11)
        taught = NativeTCell(model, 19, state="taught")
        killer.kill(model.tissue.victim_at(10))  # type: ignore[arg-type]
        killer.kill(model.tissue.victim_at(12))  # type: ignore[arg-type]
        taught.kills += 3
        row = killer.row
        assert (killer.kills, killer.stimulations) == (2, 2)
        assert (table.kills[row], table.stimulations[row]) == (2, 2)
        assert (taught.kills, taught.stimulations) == (3, 0) == (table.kills[taught.row], 0)
        killer.die()
        table.recycle()
        reborn = CarTCell(model, 30)
        assert reborn.row == row and (reborn.kills, reborn.stimulations) == (0, 0)
        assert reborn.last_kill_step is None

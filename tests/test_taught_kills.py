"""A taught cell's kill of a blast without an agent, settled in the encounter kernel
(agents/native_t_cell_kernels.py, ``settle_kill_blast``) when it does not divide: the
same tissue, fields, census, record, T-cell table and draws as the reference's
``NativeTCell.kill_blast``, step by step."""

from __future__ import annotations

import pytest
from model_builders import empty_model
from test_car_t_kills import _everything

from agents.native_t_cell import NativeTCell
from sim.engine import ENGINES
from sim.model import CarTModel
from sim.tissue import AGENT_NOT_MADE

KILLING = (
    "native_t.taught_kill_rate_per_day=40.0",  # a taught cell next to a blast strikes often
    "native_t.taught_cytokine_per_kill=0.7",
    "car_t.antigen_per_kill=2.5",
    "leukaemia.cd19_loss_prob=0.0",
)
TAUGHT = (8, 11, 22, 24, 38)
"""Sites of the taught cells (a 7x7 torus: site = x * 7 + y); several share victims, so
a cell later in a step's turn order finds a site its neighbour emptied."""
CD19_POSITIVE = (0, 1, 2, 3, 9, 10, 15, 16)
CD19_NEGATIVE = (17, 29, 30, 31, 37, 44, 45, 46)
WITH_AGENT = 23
"""A blast whose agent the compiled engine has made: its kill runs the rule in Python."""


def _placed(engine: str, division: float) -> CarTModel:
    model = empty_model([*KILLING, f"native_t.taught_division_prob_per_kill={division}"], 5, engine)
    model.step()
    residents = model.residents
    residents.place_blasts([*CD19_POSITIVE, WITH_AGENT], cd19_positive=True)
    residents.place_blasts(list(CD19_NEGATIVE), cd19_positive=False)
    model.tissue.resident_at(WITH_AGENT)  # its agent (made now on the compiled engine)
    for site in TAUGHT:
        NativeTCell(model, site, state="taught")
    return model


@pytest.mark.parametrize("division", [0.0, 0.5])
def test_taught_kills_without_agents_are_settled_in_the_kernel_as_the_reference_kills(
    division: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every taught cell's kill of a blast without an agent that does not divide is
    settled in the kernel (no kill by ``NativeTCell.kill_blast`` in Python on the
    compiled engine); the blast with an agent and the kills that divide run in Python.
    The run is the reference's, step by step."""
    reference, compiled = (_placed(engine, division) for engine in ENGINES)
    assert compiled.tissue.residents[CD19_POSITIVE[0]] is AGENT_NOT_MADE
    assert compiled.tissue.residents[WITH_AGENT] is not AGENT_NOT_MADE
    killed_in_python = {id(reference): 0, id(compiled): 0}
    divided = {id(reference): 0, id(compiled): 0}
    kill_blast, divide = NativeTCell.kill_blast, NativeTCell.divide

    def counted(cell: NativeTCell) -> None:
        before = cell.model.census.kills_by_taught
        kill_blast(cell)
        killed_in_python[id(cell.model)] += cell.model.census.kills_by_taught - before

    def counted_division(cell: NativeTCell) -> object:
        divided[id(cell.model)] += 1
        return divide(cell)

    monkeypatch.setattr(NativeTCell, "kill_blast", counted)
    monkeypatch.setattr(NativeTCell, "divide", counted_division)
    assert _everything(reference) == _everything(compiled)
    for step in range(12):
        reference.step()
        compiled.step()
        assert _everything(reference) == _everything(compiled), f"parted at step {step + 1}"
    kills = reference.census.kills_by_taught
    assert kills == killed_in_python[id(reference)] >= 10  # the reference kills in Python
    assert reference.census.cd19_negative_blasts_killed > 0  # both phenotypes are killed
    assert reference.tissue.resident_kind[WITH_AGENT] == 0  # the agent was killed too
    assert divided[id(reference)] == divided[id(compiled)]
    # in Python: the kills that divide, and the blast with an agent (its kill may divide)
    assert divided[id(compiled)] <= killed_in_python[id(compiled)] <= 1 + divided[id(compiled)]
    if division == 0.0:
        assert killed_in_python[id(compiled)] == 1
    else:
        assert divided[id(compiled)] > 0
    assert kills - killed_in_python[id(compiled)] >= 5  # settled in the kernel

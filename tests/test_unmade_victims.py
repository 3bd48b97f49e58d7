"""A resident placed without an agent and killed by a T-cell dies without an agent made
(sim/unmade_victims.py), as the reference's agent dies: the same tissue, fields, census,
record and draws, then the same steps."""

from __future__ import annotations

from model_builders import empty_model
from test_engines import _state, _step_together

from agents.car_t_cell import CarTCell
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import ResidentKind
from agents.leukaemic_blast import LeukaemicBlast
from agents.native_t_cell import NativeTCell
from sim.engine import ENGINES
from sim.tissue import AGENT_NOT_MADE
from sim.unmade_victims import UnmadeVictim

KILLS_FOR_SURE = (
    "native_t.taught_kill_rate_per_day=500.0",  # a taught cell strikes all but surely
    "b_cells.cytokine_share_when_killed=0.25",  # a B-cell's death inflames less than a blast's
)
VICTIMS = {10: "blast+", 12: "blast-", 24: "precursor", 26: "mature"}
"""Site: what is placed there (a CD19-positive or negative blast, a B-cell precursor, a
mature B-cell)."""


def _placed(engine: str):
    model = empty_model(KILLS_FOR_SURE, seed=3, engine=engine)
    model.step()
    residents = model.residents
    residents.place_blasts([10], cd19_positive=True)
    residents.place_blasts([12], cd19_positive=False)
    residents.place_b_cells([24], precursor=True)
    residents.place_b_cells([26], precursor=False)
    return model


def test_a_victim_without_an_agent_is_its_agent_to_its_killer() -> None:
    reference, compiled = (_placed(engine) for engine in ENGINES)
    for site in VICTIMS:
        assert compiled.tissue.residents[site] is AGENT_NOT_MADE
        victim, agent = compiled.tissue.victim_at(site), reference.tissue.victim_at(site)
        assert isinstance(victim, UnmadeVictim) and agent is reference.tissue.resident_at(site)
        assert (victim.site, victim.kind) == (agent.site, agent.kind)
        assert victim.inflammation_when_killed() == agent.inflammation_when_killed()
    assert compiled.tissue.victim_at(24).inflammation_when_killed() == 0.25


def test_kills_of_residents_without_agents_make_no_agent_and_agree_with_the_reference() -> None:
    """A CAR T-cell kills each victim by its rule (``CarTCell.kill``), a taught cell a
    blast (``NativeTCell.kill_blast``); both engines end the same, step after step."""
    models = [_placed(engine) for engine in ENGINES]
    for model in models:
        killer = CarTCell(model, 18, origin="autologous", state="effector")
        for site in (10, 24, 26):
            killer.kill(model.tissue.victim_at(site))  # type: ignore[arg-type]
        taught = NativeTCell(model, 19, state="taught")
        taught.kill_blast()  # its one blast neighbour: site 12
    reference, compiled = models
    assert _state(reference) == _state(compiled)
    assert (
        reference.tissue.releases.pending() == compiled.tissue.releases.pending()
    )  # cytokine and debris
    assert list(reference.recent_events) == list(compiled.recent_events)
    assert reference.census.b_cell_precursors == compiled.census.b_cell_precursors == 0
    assert not (reference.tissue.resident_kind[list(VICTIMS)]).any()  # all four killed
    assert not compiled.agents_by_type.get(LeukaemicBlast)
    assert not compiled.agents_by_type.get(HealthyBCell)
    assert compiled.census.resident[ResidentKind.B_CELL] == 0
    _step_together(reference, compiled, 24)  # the dead's bookings come due and do nothing

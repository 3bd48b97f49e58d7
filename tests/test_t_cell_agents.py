"""The compiled engine's T-cell births and deaths in batches (sim/t_cell_agents.py,
sim/compiled_fates.py): the daughters bound to the rows the kernels made, the
homeostatic divisions and the deaths leave every agent, Mesa's registry, the census,
the table and the layers as the readable constructors, ``divide`` and ``die`` do, step
by step, without running those on the compiled engine; with Mesa's agent signals
observed, the readable code runs and the signals are the reference's."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
from mesa.experimental.mesa_signals import ModelSignals
from model_builders import empty_model
from test_engines import _state

import sim.t_cell_agents
import sim.tissue
from agents.car_t_cell import CarTCell
from agents.cell import TCell
from agents.native_t_cell import CloneLine, NativeTCell
from sim.engine import ENGINES
from sim.model import CarTModel
from sim.t_cell_table import TCellTable

BUSY = (
    "car_t.kill_rate_per_day=40.0",  # engaged effectors kill most steps ...
    "car_t.division_prob_per_kill=1.0",  # ... and divide on every kill (kernel daughters)
    "car_t.exhaustion_engaged_hours=10000.0",
    "car_t.memory_fraction=0.3",
    "car_t.effector_half_life_days=0.5",  # and die fast
    "car_t.memory_half_life_days=0.5",
    "car_t.homeostatic_division_rate_per_day=10.0",  # divide in the boost
    "native_t.taught_kill_rate_per_day=20.0",
    "native_t.taught_division_prob_per_kill=0.0",
    "native_t.taught_half_life_days=0.5",
    "leukaemia.cd19_loss_prob=0.0",
)
CAR_T_SITES = (16, 17, 18, 23, 24, 25, 30, 31, 32)
TAUGHT_SITES = (0, 6, 42, 48)
CLASSES = (CarTCell, NativeTCell)


def _placed(engine: str, boost: bool) -> CarTModel:
    """A 7x7 torus: a blast under every site, a block of CAR T-cells (donor cells, every
    other one with its TCR) and a few taught host cells in the corners."""
    model = empty_model(BUSY, 5, engine)
    model.step()
    model.residents.place_blasts(list(range(49)), cd19_positive=True)
    for index, site in enumerate(CAR_T_SITES):
        CarTCell(model, site, origin="donor", tcr_intact=index % 2 == 0)
    for site in TAUGHT_SITES:
        NativeTCell(model, site, state="taught")
    if boost:
        model.therapy.homeostatic_boost_until_step = 10**6
    return model


def _plain(value: object) -> object:
    """An attribute's value; a host cell's line: the divisions it made."""
    return value.divisions if isinstance(value, CloneLine) else value


def _agents(model: CarTModel, ids: bool = True) -> tuple:
    """Every T-cell's agent as Mesa holds it (``model.agents`` and ``agents_by_type`` in
    their order, every attribute but the model, in order; with ``ids``, the
    ``unique_id``s and the next one, else their ranks: residents without agents on the
    compiled engine take no ids), the census, the table's rows, free rows and released
    rows, and :func:`test_engines._state`."""
    table = model.tissue.t_cells
    t_cells = [agent for agent in model.agents if isinstance(agent, TCell)]
    rank = {agent.unique_id: index for index, agent in enumerate(t_cells)}

    def number(agent: object) -> int:
        return agent.unique_id if ids else rank[agent.unique_id]  # type: ignore[attr-defined]

    return (
        _state(model),
        [
            (
                type(agent).__name__,
                number(agent),
                [*vars(agent)],
                *[_plain(v) for k, v in vars(agent).items() if k not in ("model", "unique_id")],
            )
            for agent in t_cells
        ],
        [[number(agent) for agent in model.agents_by_type.get(cls, [])] for cls in CLASSES],
        model.agent_id_counter if ids else None,
        dataclasses.asdict(model.census),
        [(row, number(table.cells[row])) for row in table.live_rows().tolist()],
        table.free_rows[: table.free_count[0]].tolist(),
        sorted(table._released),
        table.kind.tobytes(),
        table.site.tobytes(),
        table.generation.tobytes(),
        table.engaged.tobytes(),
        model.tissue.mobile_row.tobytes(),
    )


@pytest.mark.parametrize(
    ("boost", "rows"), [(False, 1024), (True, 1024), (True, 12)], ids=["kills", "boost", "full"]
)
def test_births_and_deaths_in_batches_are_the_readable_ones(
    boost: bool, rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reference, the compiled engine, and the compiled engine made to take the
    readable path (Mesa's registry said not quiet) agree step by step; the batches ran
    no T-cell constructor, ``die`` or ``CarTCell.divide`` in Python (but for divisions
    when the table has no free row: ``full``, a table of 12 rows, grown in Python)."""
    monkeypatch.setattr(sim.tissue, "TCellTable", lambda: TCellTable(rows))
    reference, compiled, readable = (_placed(engine, boost) for engine in (*ENGINES, "compiled"))
    quiet = sim.t_cell_agents.registry_is_quiet
    monkeypatch.setattr(
        sim.t_cell_agents,
        "registry_is_quiet",
        lambda model, classes: model is not readable and quiet(model, classes),
    )
    calls: Counter[tuple[int, str]] = Counter()
    originals = {"die": TCell.die, "init": TCell.__init__, "divide": CarTCell.divide}

    def counted(what: str) -> Callable[..., object]:
        def call(cell: TCell, *args: object, **kwargs: object) -> object:
            model = args[0] if what == "init" else cell.model
            calls[id(model), what] += 1
            return originals[what](cell, *args, **kwargs)  # type: ignore[operator]

        return call

    for what, owner in (("die", TCell), ("init", TCell), ("divide", CarTCell)):
        monkeypatch.setattr(owner, "__init__" if what == "init" else what, counted(what))
    for step in range(25):
        assert _agents(reference, ids=False) == _agents(compiled, ids=False), f"step {step}"
        assert _agents(readable) == _agents(compiled), f"parted at step {step}"
        for model in (reference, compiled, readable):
            model.step()
    for model in (reference, readable):  # cells made and removed the readable way ...
        assert calls[id(model), "die"] >= 10
        assert calls[id(model), "init"] >= 10
    assert calls[id(compiled), "die"] == 0  # ... or not
    if rows > len(CAR_T_SITES) + len(TAUGHT_SITES):
        assert calls[id(compiled), "init"] == 0
    if boost:
        assert calls[id(reference), "divide"] > calls[id(reference), "init"] // 2
        assert calls[id(compiled), "divide"] == calls[id(readable), "divide"]
        if rows > len(CAR_T_SITES) + len(TAUGHT_SITES):
            assert calls[id(compiled), "divide"] == 0
        else:  # the table full: divisions in Python, and the table grown
            assert 0 < calls[id(compiled), "divide"] < calls[id(reference), "divide"]
            assert compiled.tissue.t_cells.kind.size > rows
    assert reference.census.kills_by_taught > 0
    assert reference.census.tcr_intact_donor_cells != len(CAR_T_SITES) // 2 + 1


def test_with_agent_signals_observed_cells_are_made_and_removed_the_readable_way() -> None:
    """A subscriber to Mesa's agent signals hears every birth and death on the compiled
    engine as on the reference (the batches step aside for Mesa's own registration)."""
    heard: dict[str, list[tuple[int, str, str]]] = {}  # step, signal, the T-cell's class
    handlers = []  # Mesa holds its observers by weak reference
    models = [_placed(engine, boost=True) for engine in ENGINES]
    for engine, model in zip(ENGINES, models, strict=True):
        log = heard.setdefault(engine, [])

        def hear(message: object, log: list[tuple[int, str, str]] = log, model=model) -> None:
            agent = message.additional_kwargs["args"][0]  # type: ignore[attr-defined]
            if isinstance(agent, TCell):  # residents: agents on the reference only
                signal = str(message.signal_type)  # type: ignore[attr-defined]
                log.append((model.step_count, signal, type(agent).__name__))

        handlers.append(hear)
        for signal in (ModelSignals.AGENT_ADDED, ModelSignals.AGENT_REMOVED):
            model.observe("agents", signal, hear)
    for _ in range(12):
        for model in models:
            model.step()
        assert _agents(models[0], ids=False) == _agents(models[1], ids=False)
    assert heard["reference"] == heard["compiled"]
    assert len(heard["compiled"]) >= 10


def test_the_live_rows_kernel_lists_the_tables_living_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The compiled engine's live rows are :meth:`TCellTable.live_rows`'s (random tables,
    an empty one, a full one), and a compiled step lists them without it."""
    from sim import compiled_fates

    rng = np.random.default_rng(7)
    for size, share in ((1, 0.0), (12, 1.0), (1024, 0.1), (4096, 0.5), (2048, 0.0)):
        table = TCellTable(size)
        table.kind[:] = np.where(rng.random(size) < share, rng.integers(1, 10, size), 0)
        rows = compiled_fates.live_rows(table)
        assert rows.dtype == np.int64
        assert rows.tolist() == table.live_rows().tolist()
    model = _placed("compiled", boost=True)

    def refused(table: TCellTable) -> np.ndarray:
        raise AssertionError("the compiled engine lists live rows in its kernel")

    monkeypatch.setattr(TCellTable, "live_rows", refused)
    for _ in range(3):
        model.step()
    assert model.census.kills_by_car_t > 0


@pytest.mark.parametrize("internal", ["_batch_context", "_all_agents", "agent_id_counter"])
def test_a_mesa_without_the_registrys_internals_gets_the_readable_way(
    internal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Mesa 3 release that renamed what the batches read or write (simulated here by
    taking one away) makes the registry not quiet: the readable path, never an error."""
    model = empty_model([], 1, "compiled")
    CarTCell(model, 5)  # the class has its set in agents_by_type
    assert sim.t_cell_agents.registry_is_quiet(model, (CarTCell,))
    monkeypatch.delattr(model, internal)
    assert not sim.t_cell_agents.registry_is_quiet(model, (CarTCell,))

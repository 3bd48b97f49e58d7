"""The compiled engine's residual compartment and births are the readable rules: the
compartment's whole step in one kernel call (sim/compiled_residual.py,
sim/residual_kernels.py), and the marrow's B-cell births with their production and
bookings in one kernel call (sim/resident_births.py), give the reference's run, bit for
bit, and follow a change of parameters."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from model_builders import empty_model
from test_engines import _state, _step_together
from test_unmade_residents import BUSY_B_CELLS, CHURN, _bookings

from agents import healthy_b_cell_kernels
from agents.cell import arrivals_mean
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import ResidentKind
from sim.compiled_residual import CompiledResidualDisease
from sim.engine import ENGINES
from sim.event_heap import UnmadeEventQueue, drop_dead
from sim.loader import load_scenario
from sim.model import CarTModel
from sim.residual import ResidualDisease


def _compartment(model: CarTModel) -> tuple:
    """What the residual compartment carries from one step to the next."""
    residual = model.residual
    return (
        residual.cd19_positive,
        residual.sanctuary,
        residual.cd19_negative,
        residual.seeded,
        residual._grid_positive_before,
        residual._car_t_blast_kills_before,
    )


def _living_bookings(model: CarTModel) -> list[tuple[int, int, str]]:
    """The booked events of the living residents (:func:`_bookings`, without those of
    the dead, which a heap making room drops), in the order they will run."""
    if model.engine.name == "reference":
        return [
            (step, callback.__self__.site, callback.__name__)
            for step in sorted(model.resident_events._due)
            for callback in model.resident_events._due[step]
            if callback.__self__.alive
        ]
    tissue = model.tissue
    queue = model.resident_events
    size = int(queue.size[0])
    serial, site = np.divmod(
        queue.events[:size][np.argsort(queue.keys[:size])] >> 1, tissue.n_sites
    )
    alive = (tissue.resident_serial[site] == serial).tolist()
    return [booking for booking, live in zip(_bookings(model), alive, strict=True) if live]


def _step_all_together(reference: CarTModel, compiled: CarTModel, steps: int) -> None:
    for step in range(steps):
        reference.step()
        compiled.step()
        assert _state(reference) == _state(compiled), f"the engines part at step {step + 1}"
        assert _compartment(reference) == _compartment(compiled), f"at step {step + 1}"


@pytest.mark.parametrize(
    "overrides",
    [
        (),  # seeding and egress by tens a step, bridging, an infusion
        ("residual.two_way_exchange=false",),  # seeding only
        ("residual.outside_grid_multiple=0.01",),  # seeding more than the compartment holds
        ("leukaemia.initial_blast_fraction=0.97",),  # more seeded than there are free sites
        ("residual.sanctuary_room_fraction=0.0", "leukaemia.cd19_loss_prob=0.05"),
    ],
)
def test_the_compiled_compartment_is_the_readable_one(overrides: tuple[str, ...]) -> None:
    """:class:`CompiledResidualDisease` (its whole step in one kernel call) leaves the
    compartment, the tissue and both generators as :class:`ResidualDisease` does, step
    by step, while the CAR T-cells kill in the compartment (growth, CD19 loss, the
    sanctuary with and without room of its own, seeding, egress, extinction)."""
    scenario = load_scenario("autologous", [*CHURN, *overrides, "time.days=9"])
    reference, compiled = CarTModel(scenario, 2), CarTModel(scenario, 2, engine="compiled")
    assert type(reference.residual) is ResidualDisease
    assert type(compiled.residual) is CompiledResidualDisease
    _step_all_together(reference, compiled, 9 * reference.steps_per_day)
    assert reference.residual.seeded > 100
    assert reference.census.mobile[1] > 0  # CAR T-cell effectors met the compartment


def test_the_kept_numbers_follow_new_parameters_and_chances() -> None:
    """The numbers the compiled engine keeps (the compartment's, the due events',
    the marrow's production) are read again when ``parameters`` or ``chances`` are
    replaced: the runs stay the same after both change mid-run."""
    scenario = load_scenario("autologous", [*CHURN, "time.days=9"])
    reference, compiled = CarTModel(scenario, 3), CarTModel(scenario, 3, engine="compiled")
    _step_all_together(reference, compiled, 24)
    for model in (reference, compiled):
        parameters = model.parameters
        leukaemia = parameters.leukaemia.model_copy(update={"cd19_loss_prob": 0.4})
        b_cells = parameters.b_cells.model_copy(
            update={"precursor_feedback_gain": 9.0, "precursor_influx_per_day": 400.0}
        )
        residual = parameters.residual.model_copy(update={"two_way_exchange": False})
        model.parameters = parameters.model_copy(
            update={"leukaemia": leukaemia, "b_cells": b_cells, "residual": residual}
        )
        model.chances = dataclasses.replace(
            model.chances, blast_division=0.3, blast_death=0.01, b_cell_death=0.2
        )
    blasts = reference.census.blasts
    _step_all_together(reference, compiled, 24)
    assert reference.census.blasts > 1.5 * blasts  # the new division chance took hold


def test_the_b_cell_arrivals_kernel_is_the_marrows_production() -> None:
    """:func:`healthy_b_cell_kernels.b_cell_arrivals_mean` gives, to the last bit,
    ``arrivals_mean(model, HealthyBCell.production_per_day(model))``: without
    precursors, below, at and far above the target (the feedback clipped at 0), and
    with no target."""
    for target in ("0.3", "0.0"):
        model = empty_model(
            [f"b_cells.target_fraction={target}", "b_cells.precursor_feedback_gain=2.5"],
            engine="compiled",
        )
        production = model.residents._production()
        for precursors in (0, 1, 6, 41):
            for b_cells in (0, 5, 14, 15, 22, 49):
                model.census.b_cell_precursors = precursors
                model.census.resident[ResidentKind.B_CELL] = b_cells
                expected = arrivals_mean(model, HealthyBCell.production_per_day(model))
                got = healthy_b_cell_kernels.b_cell_arrivals_mean(production, precursors, b_cells)
                assert got == expected, (target, precursors, b_cells)


def _fill(queue: UnmadeEventQueue) -> int:
    """Leave the heap's arrays just long enough for the living residents' events it
    holds (no room, and no dead to drop); returns their length."""
    drop_dead(queue.keys, queue.events, queue.size, queue._n_sites, queue._resident_serial)
    full = int(queue.size[0])
    queue.keys, queue.events = queue.keys[:full].copy(), queue.events[:full].copy()
    return full


def test_a_full_heap_makes_room_in_the_kernels_as_in_python() -> None:
    """Where the heap has no room for a step's B-cell births or seeded blasts, their
    kernels make it as :meth:`UnmadeEventQueue.make_room` does
    (:func:`sim.event_heap.with_room`), and the bookings and runs stay the
    reference's."""
    overrides = [
        *BUSY_B_CELLS,
        "b_cells.target_fraction=0.6",
        "grid.width=20",
        "residual.enabled=true",
        "residual.seeding_rate_per_day=10.0",
    ]
    models = [empty_model(overrides, seed=4, engine=engine) for engine in ENGINES]
    reference, compiled = models
    for model in models:
        model.residual.cd19_positive = model.residual.cd19_negative = 30.0
    _step_together(reference, compiled, 3)
    queue = compiled.residents.events
    grown = []
    for _ in range(8):
        full = _fill(queue)
        placed = [model.residents.make_b_cells() for model in models]
        assert placed[0] == placed[1] > 0
        grown.append(queue.keys.size > full)
        full = _fill(queue)
        for model in models:
            model.residual.step()  # the seeding
        grown.append(queue.keys.size > full)
        assert _state(reference) == _state(compiled)
        assert _compartment(reference) == _compartment(compiled)
        assert _living_bookings(reference) == _living_bookings(compiled)
        _step_all_together(reference, compiled, 1)
    assert all(grown)
    assert reference.residual.seeded > 20

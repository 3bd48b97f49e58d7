"""The T-cells' rows at a step's start and fates at its end on the compiled engine: the
living rows, the homeostatic divisions and the deaths :func:`sim.compiled.fates` drew
(:meth:`sim.model.CarTModel._step_t_cells`),
the CAR T-cells' divisions in a kernel and the agents made and removed in batches
(:mod:`sim.t_cell_agents`). Imported only by :func:`sim.engine.make_engine`, with
:mod:`sim.compiled`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import car_t_cell_division_kernels
from agents.python_random import python_state
from sim import kernel_t_cell_rows
from sim.compiled import CAR_T, LINE_KINDS, NO_EDGE, make_daughters, rule_arrays
from sim.t_cell_agents import remove_dead

if TYPE_CHECKING:
    from sim.model import CarTModel
    from sim.t_cell_table import TCellTable


def live_rows(table: TCellTable) -> np.ndarray:
    """:meth:`sim.t_cell_table.TCellTable.live_rows` in one kernel pass
    (:func:`sim.kernel_t_cell_rows.live_rows`)."""
    return kernel_t_cell_rows.live_rows(table.kind)


def divisions(model: CarTModel, rows: np.ndarray) -> None:
    """:func:`sim.engine.reference_divisions` (each T-cell of table ``rows``, in order,
    runs ``divide``) with the CAR T-cells' divisions made in a kernel
    (:func:`agents.car_t_cell_division_kernels.divide_homeostatically`, the rule's own
    draws) and their agents in one loop (:func:`sim.compiled.make_daughters`); another class's
    ``divide``, or one when the table has no free row, runs in Python."""
    if rows.size == 0:
        return
    tissue = model.tissue
    table = tissue.t_cells
    on_grid = tissue.neighbour_on_grid
    car_t_rule = rule_arrays(model)[1]
    born = np.empty((rows.size, 2), dtype=np.int64)
    counts = np.zeros(3, dtype=np.int64)  # releases, kills (none here), daughters logged
    with python_state(model) as mirror:
        index = 0
        while index < rows.size:
            columns = (
                table.site, table.kind, table.fresh, table.last_kill, table.engaged,
                table.generation, table.kills, table.stimulations,
            )  # fmt: skip  # again after a division in Python, which may grow the table
            index = car_t_cell_division_kernels.divide_homeostatically(
                rows, index, CAR_T, tissue.neighbours, NO_EDGE if on_grid is None else on_grid,
                on_grid is not None, tissue.mobile_kind, tissue.mobile_row, columns,
                table.free_rows, table.free_count, LINE_KINDS, car_t_rule, born, counts,
                mirror.mt, mirror.cursor, mirror.backup,
            )  # fmt: skip
            make_daughters(model, born, counts)
            if index >= rows.size:
                break
            table.cells[rows[index]].divide()  # type: ignore[union-attr]  # in Python
            index += 1


def deaths(model: CarTModel, rows: np.ndarray) -> None:
    """:func:`sim.engine.reference_deaths` (each T-cell of table ``rows`` runs ``die``)
    in one loop: :func:`sim.t_cell_agents.remove_dead`."""
    if rows.size:
        remove_dead(model, rows.tolist())

"""The Mesa agents of T-cells born and dying in batches, for the compiled engine
(:mod:`sim.compiled`): what the readable constructors and ``die`` do per cell, with the
per-agent Python cut to the bone.

A T-cell's agent (:class:`agents.cell.TCell`) is bound to a row of the tissue's T-cell
table (:mod:`sim.t_cell_table`), where its site, kind and numbers live. Making one the
readable way (``CarTCell(...)``, :meth:`agents.car_t_cell.CarTCell.bound_to`) runs four
``__init__`` methods and Mesa's ``register_agent`` (a signal, a debug log formatted for
nobody); removing one (:meth:`agents.cell.TCell.die`) runs ``die`` twice over, the
tissue's and the table's methods and Mesa's ``remove``. Here a batch of them is made or
removed in one loop, with the same attributes in the same order, the same
``unique_id`` numbers, the same places in Mesa's agent sets, the same census and the
same table rows and mobile layer: nothing a run, the inspector or a snapshot reads can
tell the difference (``tests/test_t_cell_agents.py`` holds them to the readable code).

Mesa's registration is only stored here when nothing else would happen in it
(:func:`registry_is_quiet`: no subscriber to its agent signals, no batch of signals
being captured, no data set tracking the class, no debug log); otherwise each cell is
made or removed the readable way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mesa.experimental.mesa_signals import ModelSignals
from mesa.model import _mesa_logger

from agents.car_t_cell import CarTCell
from agents.kinds import MobileKind

if TYPE_CHECKING:
    from mesa import Agent

    from sim.model import CarTModel

_ADDED = ("agents", ModelSignals.AGENT_ADDED)
_REMOVED = ("agents", ModelSignals.AGENT_REMOVED)
"""The signals Mesa's ``register_agent`` and ``deregister_agent`` emit."""
_CAR_T_CELL = (CarTCell,)


def registry_is_quiet(model: CarTModel, classes: Iterable[type[Agent]]) -> bool:
    """Mesa's ``register_agent``/``deregister_agent`` of agents of ``classes`` would only
    store or drop them: no one subscribes to their signals (or signals are suppressed),
    none is being captured in a batch, no data set tracks the classes, Mesa's debug log
    is off, and each class already has its set in ``agents_by_type``. False too when
    Mesa lacks any of the internals read or written here (a Mesa 3 release that changed
    them): the readable path runs then, so a Mesa update can cost speed, never a run."""
    try:
        if model._batch_context is not None or _mesa_logger.isEnabledFor(logging.DEBUG):
            return False
        subscribers = model.subscribers
        if not model._suppress and (_ADDED in subscribers or _REMOVED in subscribers):
            return False
        by_type = model._agents_by_type
        if not isinstance(model._all_agents._agents, dict) or not isinstance(
            model.agent_id_counter, int
        ):
            return False
        return all(
            cls in by_type and isinstance(by_type[cls]._agents, dict) and not cls._datasets
            for cls in classes
        )
    except AttributeError:
        return False


def make_car_t_daughters(model: CarTModel, pairs: list[list[int]]) -> None:
    """The agents of CAR T-cell daughters a kernel has made as rows of the T-cell table,
    ``pairs`` of (mother's row, daughter's row) in birth order: for each,
    ``CarTCell.bound_to(model, row, mother.origin, mother.tcr_intact)``
    (:meth:`agents.car_t_cell.CarTCell.bound_to`, ``CarTCell.__init__`` with ``row``,
    :meth:`agents.cell.TCell.__init__`, Mesa's ``Agent.__init__``): the same attributes,
    ``unique_id`` and registration, the cell in ``t_cells.cells[row]``, the census's
    count of its kind and of donor cells with their TCR."""
    if not registry_is_quiet(model, _CAR_T_CELL):
        cells = model.tissue.t_cells.cells
        for mother_row, row in pairs:
            mother = cells[mother_row]
            CarTCell.bound_to(model, row, mother.origin, mother.tcr_intact)  # type: ignore[union-attr]
        return
    table = model.tissue.t_cells
    cells, kinds = table.cells, table.kind
    census = model.census
    mobile = census.mobile
    step, phase = model.step_count, model.encounter_phase
    all_agents = model._all_agents._agents
    car_t_agents = model._agents_by_type[CarTCell]._agents
    unique_id = model.agent_id_counter
    new = CarTCell.__new__
    tcr_intact_born = 0
    for mother_row, row in pairs:
        mother = cells[mother_row]
        kind = int(kinds[row])
        cell = new(CarTCell)
        tcr_intact = mother.tcr_intact  # type: ignore[union-attr]
        cell.__dict__.update(
            model=model,
            unique_id=unique_id,
            pos=None,
            kind=kind,
            alive=True,
            born_step=step,
            row=row,
            changed_in_phase=phase,
            origin=mother.origin,  # type: ignore[union-attr]
            tcr_intact=tcr_intact,
            buds=0,
        )
        unique_id += 1
        all_agents[cell] = None
        car_t_agents[cell] = None
        cells[row] = cell
        mobile[kind] += 1
        tcr_intact_born += tcr_intact
    model.agent_id_counter = unique_id
    census.tcr_intact_donor_cells += tcr_intact_born


def remove_dead(model: CarTModel, rows: list[int]) -> None:
    """The T-cells of table ``rows`` (living, distinct) die: for each,
    ``cells[row].die()`` (:meth:`agents.cell.TCell.die`, with
    :meth:`agents.car_t_cell.CarTCell.die`'s count of donor cells with their TCR): no
    longer ``alive``, off the mobile layer (``Tissue.clear_mobile``), its row released
    (:meth:`sim.t_cell_table.TCellTable.release`), the census, and Mesa's
    ``Agent.remove``."""
    tissue = model.tissue
    table = tissue.t_cells
    cells = table.cells
    dying = [cells[row] for row in rows]
    if not registry_is_quiet(model, {type(cell) for cell in dying}):  # type: ignore[misc]
        for cell in dying:
            cell.die()  # type: ignore[union-attr]
        return
    mobile_row, mobile_kind = tissue.mobile_row, tissue.mobile_kind
    table_site, table_kind = table.site, table.kind
    census = model.census
    mobile = census.mobile
    all_agents = model._all_agents._agents
    by_type = model._agents_by_type
    empty = MobileKind.EMPTY
    tcr_intact_dead = 0
    for row, cell in zip(rows, dying, strict=True):
        cell.alive = False  # type: ignore[union-attr]
        site = table_site[row]
        mobile_row[site] = -1
        mobile_kind[site] = empty
        table_kind[row] = 0
        mobile[cell.kind] -= 1  # type: ignore[union-attr]
        tcr_intact_dead += getattr(cell, "tcr_intact", False)
        del all_agents[cell]
        del by_type[type(cell)]._agents[cell]
    table.released(rows)
    census.tcr_intact_donor_cells -= tcr_intact_dead

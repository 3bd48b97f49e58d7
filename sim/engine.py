"""Which engine steps the model: the readable reference, or the compiled kernels.

The reference engine is the code a student reads: the rules on the agent classes, the
walk and the contact screen in numpy (:mod:`sim.movement`, :mod:`sim.contacts`), the
fields in numpy (:meth:`sim.tissue.Tissue.update_fields`). The compiled engine runs the
same step with some of that work done by numba kernels (:mod:`sim.kernels`), fed the
same random draws, so it gives the same run, bit for bit (``tests/test_engines.py``).
What is compiled so far is listed in ``docs/engine.md``.

Choose with ``CarTModel(..., engine="compiled")``; a model's default is ``reference``,
as for ``run`` and the live view; the commands that run batches default to ``compiled``
(:data:`sim.engine_choice.STUDY_ENGINE`). numba is imported only when a compiled engine
is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.contacts import ContactScreen
from sim.engine_choice import DEFAULT_ENGINE, ENGINES, check_engine
from sim.geometry import step_fields
from sim.residents import Residents
from sim.residual import ResidualDisease
from sim.tissue import DrawEmptySites, StepFields, draw_empty_sites

if TYPE_CHECKING:
    from sim.model import CarTModel
    from sim.t_cell_table import TCellTable
    from sim.tissue import Tissue

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "Engine",
    "make_engine",
    "reference_deaths",
    "reference_divisions",
    "reference_encounters",
    "reference_fates",
    "reference_live_rows",
    "reference_walk_and_screen",
]

HasContact = Callable[[ContactScreen, "Tissue", np.ndarray, np.ndarray], np.ndarray]
"""``(screen, tissue, sites, kinds) -> bool per cell`` (the contact screen)."""
Encounters = Callable[["CarTModel", np.ndarray], None]
"""``(model, rows in order)``: each living T-cell of those table rows runs its rule."""
MakeResidents = Callable[["CarTModel"], Residents]
"""``(model) -> Residents``: how residents are made and removed in bulk."""
WalkAndScreen = Callable[["CarTModel", np.ndarray], np.ndarray]
"""``(model, rows) -> rows in turn order``: :func:`reference_walk_and_screen`."""
AdoptRandom = Callable[["CarTModel"], None]
"""``(model) -> None``: what Python's generator is once the model is set up."""
MakeResidual = Callable[["CarTModel"], ResidualDisease]
"""``(model) -> ResidualDisease``: the residual compartment beside the grid."""
Fates = Callable[["CarTModel", np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``(model, rows) -> (rows that divide, rows that die)``: :func:`reference_fates`."""
LiveRows = Callable[["TCellTable"], np.ndarray]
"""``(table) -> rows``: the rows of living T-cells, in row order (:func:`reference_live_rows`)."""
Divisions = Callable[["CarTModel", np.ndarray], None]
"""``(model, rows)``: the T-cells of those table rows divide (:func:`reference_divisions`)."""
Deaths = Callable[["CarTModel", np.ndarray], None]
"""``(model, rows)``: the living T-cells of those table rows die (:func:`reference_deaths`)."""


@dataclass(frozen=True)
class Engine:
    """The pieces of a step an engine provides; the model calls them and nothing else
    differs between engines."""

    name: str
    has_contact: HasContact
    step_fields: StepFields
    encounters: Encounters
    draw_empty_sites: DrawEmptySites
    walk_and_screen: WalkAndScreen
    residents: MakeResidents
    adopt_random: AdoptRandom
    fates: Fates
    residual: MakeResidual
    live_rows: LiveRows
    divisions: Divisions
    deaths: Deaths


def reference_encounters(model: CarTModel, ordered: np.ndarray) -> None:
    """Each T-cell of the table rows ``ordered``, in that order, runs its own
    ``interact`` rule if it is still alive (an earlier one may have killed it)."""
    cells = model.tissue.t_cells.cells
    for row in ordered.tolist():
        cell = cells[row]
        if cell.alive:  # type: ignore[union-attr]
            cell.interact()  # type: ignore[union-attr]


def _python_generator(model: CarTModel) -> None:
    """The reference engine draws from ``model.random`` itself: nothing to adopt."""


def reference_walk_and_screen(model: CarTModel, rows: np.ndarray) -> np.ndarray:
    """The model's own readable code (:meth:`sim.model.CarTModel.walk_and_screen`)."""
    return model.walk_and_screen(rows)


def reference_fates(model: CarTModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The model's own readable code (:meth:`sim.model.CarTModel.fates`)."""
    return model.fates(rows)


def reference_live_rows(table: TCellTable) -> np.ndarray:
    """The table's own readable code (:meth:`sim.t_cell_table.TCellTable.live_rows`)."""
    return table.live_rows()


def reference_divisions(model: CarTModel, rows: np.ndarray) -> None:
    """Each T-cell of the table ``rows``, in that order, runs its own ``divide``."""
    cells = model.tissue.t_cells.cells
    for row in rows.tolist():
        cells[row].divide()  # type: ignore[union-attr]


def reference_deaths(model: CarTModel, rows: np.ndarray) -> None:
    """Each T-cell of the table ``rows`` runs its own ``die``."""
    cells = model.tissue.t_cells.cells
    for row in rows.tolist():
        cells[row].die()  # type: ignore[union-attr]


def _reference_has_contact(
    screen: ContactScreen, tissue: Tissue, sites: np.ndarray, kinds: np.ndarray
) -> np.ndarray:
    return screen.has_contact(tissue, sites, kinds)


REFERENCE = Engine(
    "reference",
    _reference_has_contact,
    step_fields,
    reference_encounters,
    draw_empty_sites,
    reference_walk_and_screen,
    Residents,
    _python_generator,
    reference_fates,
    ResidualDisease,
    reference_live_rows,
    reference_divisions,
    reference_deaths,
)


def make_engine(name: str) -> Engine:
    """The engine called ``name`` (one of :data:`ENGINES`); an unknown name is bad input."""
    if check_engine(name, "engine") == "reference":
        return REFERENCE
    from sim import compiled, compiled_fates, compiled_residual  # numba: only for a compiled model

    return Engine(
        "compiled",
        compiled.has_contact,
        compiled.step_fields,
        compiled.encounters,
        compiled.draw_empty_sites,
        compiled.walk_and_screen,
        compiled.residents_for,
        compiled.adopt_random,
        compiled.fates,
        compiled_residual.residual_for,
        compiled_fates.live_rows,
        compiled_fates.divisions,
        compiled_fates.deaths,
    )

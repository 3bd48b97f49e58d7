"""The table of T-cells: every T-cell's site and kind, and a CAR T-cell's own numbers,
in numpy arrays, one row a cell (:class:`TCellTable`, held by :class:`sim.tissue.Tissue`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.cell import NEVER

if TYPE_CHECKING:
    from mesa import Agent

__all__ = ["NEVER", "TCellTable"]


class TCellTable:
    """Every T-cell's site and kind in arrays, one row a cell, so the whole population can
    walk, be screened for contacts and die in numpy.

    A row freed by a death is reused only after :meth:`recycle` (end of the step), so the
    rows listed at the start of a step keep meaning the same cells throughout it. The free
    rows are a stack (``free_rows[:free_count[0]]``, the next row handed out last), in
    arrays so that the compiled engine's encounter kernel can take a daughter's row
    exactly as :meth:`add` would (:mod:`agents.car_t_cell_division_kernels`).

    A CAR T-cell keeps its own numbers here too (:class:`agents.surroundings.TCellColumns`,
    the properties of :class:`agents.car_t_cell.CarTCell`): ``engaged`` its engaged
    hours, ``generation`` its divisions along its line, ``last_kill`` the step of its
    last kill (``NEVER`` for none yet); every T-cell's ``kills`` (cells it has killed)
    and ``stimulations`` (its antigen stimulations: a CAR T-cell's kills and buds); the
    compiled engine's kernels read and change them here. ``fresh`` serves the compiled
    engine (:mod:`sim.compiled`), which clears it when a step's encounters begin: it
    marks the cells added or changed since.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.site = np.zeros(capacity, dtype=np.int64)
        self.kind = np.zeros(capacity, dtype=np.int8)
        self.cells: list[Agent | None] = [None] * capacity
        self.fresh = np.zeros(capacity, dtype=bool)
        self.last_kill = np.full(capacity, NEVER, dtype=np.int64)
        self.engaged = np.zeros(capacity)
        self.generation = np.zeros(capacity, dtype=np.int64)
        self.kills = np.zeros(capacity, dtype=np.int64)
        self.stimulations = np.zeros(capacity, dtype=np.int64)
        self.free_rows = np.arange(capacity - 1, -1, -1, dtype=np.int64)
        self.free_count = np.array([capacity], dtype=np.int64)
        self._released: list[int] = []

    def add(self, cell: Agent, site: int, kind: int) -> int:
        """A row for a new cell."""
        if self.free_count[0] == 0:
            self._grow()
        count = int(self.free_count[0]) - 1
        row = int(self.free_rows[count])
        self.free_count[0] = count
        self.site[row] = site
        self.kind[row] = kind
        self.cells[row] = cell
        self.fresh[row] = True
        self.last_kill[row] = NEVER
        self.engaged[row] = 0.0
        self.generation[row] = 0
        self.kills[row] = 0
        self.stimulations[row] = 0
        return row

    def release(self, row: int) -> None:
        """The cell of ``row`` has died; the row is reused after :meth:`recycle`."""
        self.kind[row] = 0
        self._released.append(row)

    def released(self, rows: list[int]) -> None:
        """The cells of ``rows`` have died and their ``kind`` is already 0 (the compiled
        engine's deaths in a batch, :func:`sim.t_cell_agents.remove_dead`): the rows are
        reused after :meth:`recycle`, as :meth:`release` would have them."""
        self._released.extend(rows)

    def recycle(self) -> None:
        """Make the rows of cells that died this step available again."""
        if not self._released:
            return
        count = int(self.free_count[0])
        for row in sorted(self._released, reverse=True):
            self.cells[row] = None
            self.free_rows[count] = row
            count += 1
        self.free_count[0] = count
        self._released.clear()

    def live_rows(self) -> np.ndarray:
        """Rows holding a living cell, in row order."""
        return self.kind.nonzero()[0]

    def _grow(self) -> None:
        old = self.kind.size
        self.site = np.concatenate([self.site, np.zeros(old, dtype=np.int64)])
        self.kind = np.concatenate([self.kind, np.zeros(old, dtype=np.int8)])
        self.cells.extend([None] * old)
        self.fresh = np.concatenate([self.fresh, np.zeros(old, dtype=bool)])
        self.last_kill = np.concatenate([self.last_kill, np.full(old, NEVER, dtype=np.int64)])
        self.engaged = np.concatenate([self.engaged, np.zeros(old)])
        self.generation = np.concatenate([self.generation, np.zeros(old, dtype=np.int64)])
        self.kills = np.concatenate([self.kills, np.zeros(old, dtype=np.int64)])
        self.stimulations = np.concatenate([self.stimulations, np.zeros(old, dtype=np.int64)])
        self.free_rows = np.zeros(2 * old, dtype=np.int64)
        self.free_rows[:old] = np.arange(2 * old - 1, old - 1, -1)
        self.free_count[0] = old

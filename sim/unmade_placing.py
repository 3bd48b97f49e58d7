"""Placing the compiled engine's residents without agents (:mod:`sim.unmade_residents`):
blasts and B-cells written into the resident layer with their serials, birth steps and
census counts, their first events booked in the heap (:mod:`sim.event_heap`), with the
draws their agents' ``__init__`` would make, in the same order.

:class:`UnmadePlacing` is the placing half of
:class:`sim.unmade_residents.UnmadeResidents` (which holds the state it writes):
blasts given sites (:meth:`~UnmadePlacing.place_blasts`), the residual compartment's
seeding drawn and placed in one kernel call (:meth:`~UnmadePlacing.seed_blasts`,
:func:`sim.resident_births.seed_blasts`), B-cells given sites, and the marrow's B-cell
births of a step (:meth:`~UnmadePlacing.make_b_cells`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import leukaemic_blast_kernels as blast_kernels
from agents.cell import steps_until
from agents.healthy_b_cell import INFLUX_SCALE_SITES
from agents.kinds import ResidentKind
from agents.python_random import python_state
from sim import resident_births
from sim.kernel_generator import held
from sim.tissue import AGENT_NOT_MADE

if TYPE_CHECKING:
    from sim.event_heap import UnmadeEventQueue
    from sim.model import CarTModel

DIVIDE, DIE, MATURE = blast_kernels.DIVIDE, blast_kernels.DIE, blast_kernels.MATURE
booked_event = blast_kernels.booked_event.py_func
"""The kernels' :func:`agents.leukaemic_blast_kernels.booked_event` as plain Python (no
numba dispatch per call, for the few residents placed one by one)."""
FEW = 8
"""Up to this many blasts are placed one by one in Python, more in a kernel."""
B_CELL = int(ResidentKind.B_CELL)


class UnmadePlacing:
    """Residents placed without agents, with the draws and bookings of their agents'
    ``__init__`` (see the module docstring); mixed into
    :class:`sim.unmade_residents.UnmadeResidents`, which sets these attributes."""

    model: CarTModel
    events: UnmadeEventQueue
    born_step: np.ndarray
    precursor: np.ndarray
    born: np.ndarray
    _production_read_from: object
    _production_now: np.ndarray

    def place_blasts(self, sites: list[int], cd19_positive: bool) -> None:
        """:meth:`Residents.place_blasts` without the agents: each blast is placed,
        counted and books its division, then its death, as
        :class:`agents.leukaemic_blast.LeukaemicBlast` does, with the same draws (a
        kernel, :func:`agents.leukaemic_blast_kernels.place_blasts`, for more than
        :data:`FEW` blasts: copying Python's generator in and out costs more below)."""
        if not sites:
            return
        self._claim(sites)
        kind = int(ResidentKind.BLAST_CD19_NEGATIVE)  # an int: numba types an enum slowly
        if cd19_positive:
            kind = int(ResidentKind.BLAST_CD19_POSITIVE)
        if len(sites) <= FEW:
            self._place_one_by_one(sites, kind)
        else:
            self._place_in_a_kernel(sites, kind)
        self.model.census.resident[kind] += len(sites)

    def seed_blasts(self, count: int, cd19_positive: bool) -> int:
        """:meth:`Residents.seed_blasts` without the agents, in one kernel call
        (:func:`sim.resident_births.seed_blasts`): the same sites, draws and bookings."""
        model = self.model
        tissue = model.tissue
        events = self.events
        kind = int(ResidentKind.BLAST_CD19_NEGATIVE)  # an int: numba types an enum slowly
        if cd19_positive:
            kind = int(ResidentKind.BLAST_CD19_POSITIVE)
        events.make_room(2 * count)
        with python_state(model) as mirror:
            sites, events.next_sequence = resident_births.seed_blasts(
                count, held(model.rng), kind, model.step_count, model.chances.blast_division,
                model.chances.blast_death, tissue.residents_made + 1, tissue.resident_kind,
                tissue.resident_serial, self.born_step, mirror.mt, mirror.cursor, mirror.backup,
                events.keys, events.events, events.size, events.next_sequence, self.born,
            )  # fmt: skip
        placed = sites.size
        self._claim(sites.tolist(), logged=True)
        tissue.residents_made += placed
        model.census.resident[kind] += placed
        return placed

    def place_b_cells(self, sites: list[int], precursor: bool) -> None:
        """:meth:`Residents.place_b_cells` without the agents: each B-cell is placed,
        counted and books its maturation (a precursor) or death, as
        :class:`agents.healthy_b_cell.HealthyBCell` does, with the same draws."""
        if not sites:
            return
        self._claim(sites)
        model = self.model
        tissue = model.tissue
        step = model.step_count
        chance = model.chances.b_cell_maturation if precursor else model.chances.b_cell_death
        action = MATURE if precursor else DIE
        draw = model.random.random
        due, events = [], []
        for site in sites:
            tissue.resident_kind[site] = ResidentKind.B_CELL
            tissue.residents_made += 1
            tissue.resident_serial[site] = tissue.residents_made
            self.born_step[site] = step
            self.precursor[site] = precursor
            wait = steps_until(chance, draw())
            due.append(blast_kernels.NEVER_BOOKED if wait is None else step + wait)
            events.append(booked_event(tissue.residents_made, site, tissue.n_sites, action))
        model.census.resident[ResidentKind.B_CELL] += len(sites)
        if precursor:
            model.census.b_cell_precursors += len(sites)
        self._book(due, events)

    def make_b_cells(self) -> int:
        """:meth:`Residents.make_b_cells` without agents, in one kernel call
        (:func:`sim.resident_births.make_b_cells`: the same draws, the maturations booked)."""
        model = self.model
        tissue = model.tissue
        events = self.events
        census = model.census
        with python_state(model) as mirror:
            sites, events.next_sequence, events.keys, events.events = resident_births.make_b_cells(
                self._production(), census.b_cell_precursors, census.resident[B_CELL],
                held(model.rng), model.step_count, model.chances.b_cell_maturation,
                tissue.residents_made + 1, tissue.resident_kind, tissue.resident_serial,
                self.born_step, self.precursor, mirror.mt, mirror.cursor, mirror.backup,
                events.keys, events.events, events.size, events.next_sequence, self.born,
            )  # fmt: skip
        placed = sites.size
        if placed:
            self._claim(sites.tolist(), logged=True)
            tissue.residents_made += placed
            census.resident[B_CELL] += placed
            census.b_cell_precursors += placed
        return placed

    def _production(self) -> np.ndarray:
        """The numbers of :func:`agents.healthy_b_cell_kernels.b_cell_arrivals_mean` (the marrow's
        production, :meth:`HealthyBCell.production_per_day`), read again only when the
        model's ``parameters`` are replaced (never changed in place)."""
        model = self.model
        parameters = model.parameters
        if self._production_read_from is not parameters:
            b_cells, n_sites = parameters.b_cells, model.tissue.n_sites
            self._production_now = np.array(
                [
                    b_cells.target_fraction * n_sites,  # as production_per_day has them
                    b_cells.precursor_influx_per_day * n_sites / INFLUX_SCALE_SITES,
                    b_cells.precursor_feedback_gain,
                    b_cells.maturation_days,
                    model.hours_per_step,
                ]
            )
            self._production_read_from = parameters
        return self._production_now

    def _claim(self, sites: list[int], logged: bool = False) -> None:
        """Mark ``sites`` (empty, or an error) as holding a resident without an agent, and
        log them in :attr:`born` (:func:`sim.resident_rows.log_birth`) unless a kernel
        has (``logged``)."""
        cells = self.model.tissue.residents
        for site in sites:
            if cells[site] is not None:
                raise ValueError(f"site {site} already holds a resident cell")
            cells[site] = AGENT_NOT_MADE
        if logged:
            return
        born = self.born
        count = int(born[-1])
        if count + len(sites) < born.size:
            born[count : count + len(sites)] = sites
        born[-1] = count + len(sites)

    def _book(self, due: list[int], events: list[int]) -> None:
        """Book ``events`` at ``due`` (``NEVER_BOOKED``: not booked), in order."""
        if len(due) > 2:
            never = blast_kernels.NEVER_BOOKED
            self.events.book(np.array(due, dtype=np.int64), np.array(events, dtype=np.int64), never)
            return
        for step, event in zip(due, events, strict=True):
            if step != blast_kernels.NEVER_BOOKED:
                self.events.book_one(step, event)

    def _place_in_a_kernel(self, sites: list[int], kind: int) -> None:
        model = self.model
        tissue = model.tissue
        with python_state(model) as mirror:
            due, event = blast_kernels.place_blasts(
                np.array(sites, dtype=np.int64), kind, model.step_count,
                model.chances.blast_division, model.chances.blast_death,
                tissue.residents_made + 1, tissue.n_sites, tissue.resident_kind,
                tissue.resident_serial, self.born_step, mirror.mt, mirror.cursor, mirror.backup,
            )  # fmt: skip
        tissue.residents_made += len(sites)
        self.events.book(due, event, blast_kernels.NEVER_BOOKED)

    def _place_one_by_one(self, sites: list[int], kind: int) -> None:
        model = self.model
        tissue = model.tissue
        step = model.step_count
        n_sites = tissue.n_sites
        division, death = model.chances.blast_division, model.chances.blast_death
        draw = model.random.random
        due, events = [], []
        for site in sites:
            tissue.resident_kind[site] = kind
            tissue.residents_made += 1
            tissue.resident_serial[site] = tissue.residents_made
            self.born_step[site] = step
            for chance, action in ((division, DIVIDE), (death, DIE)):
                wait = steps_until(chance, draw())
                due.append(blast_kernels.NEVER_BOOKED if wait is None else step + wait)
                events.append(booked_event(tissue.residents_made, site, n_sites, action))
        self._book(due, events)

"""The compiled engine's cheap residents: blasts and B-cells placed without an agent,
their agents made when asked for (docs/engine.md has the whole account).

A resident placed by :class:`UnmadeResidents` is only a kind in the resident layer, its
serial (``Tissue.resident_serial``, the order residents were made), its birth step (a
B-cell: whether it is a precursor), census counts, and its booked events as whole
numbers in a heap (:mod:`sim.event_heap`), settled in kernels
(:mod:`sim.resident_rows`; their Python twins, :meth:`_divide` and :meth:`_mature`,
run in the well-mixed limit). Its Mesa agent (:meth:`ResidentCell.made_later`) is made
only when asked for (``Tissue.resident_at``, :meth:`Residents.of_class`), then runs its
own rules; a T-cell kills it without one (:mod:`sim.unmade_victims`). Residents are
placed by :class:`sim.unmade_placing.UnmadePlacing`, the half of the class that writes them.

The run is the reference's, bit for bit: the same draws in the same order, the events
in booking order with the agents' callbacks, the blasts taken back chosen over the same
list (in the order made: Mesa's ``agents_by_type`` order on the reference engine). Only
what is not part of a run differs: ``model.agents_by_type`` holds only the agents made,
and an agent made later has a later ``unique_id``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import leukaemic_blast_kernels as blast_kernels
from agents.cell import steps_until
from agents.healthy_b_cell import HealthyBCell
from agents.kinds import BLASTS, ResidentKind
from agents.leukaemic_blast import LeukaemicBlast
from agents.python_random import python_state
from sim import resident_rows
from sim.event_heap import UnmadeEventQueue
from sim.kernel_generator import held
from sim.residents import Residents
from sim.tissue import AGENT_NOT_MADE
from sim.unmade_placing import UnmadePlacing
from sim.unmade_victims import UnmadeVictim

if TYPE_CHECKING:
    from agents.cell import ResidentCell
    from sim.model import CarTModel

DIVIDE, DIE, MATURE = blast_kernels.DIVIDE, blast_kernels.DIE, blast_kernels.MATURE
N_KINDS = len(ResidentKind)
IS_BLAST = np.zeros(N_KINDS, dtype=bool)
IS_BLAST[sorted(BLASTS)] = True


class UnmadeResidents(UnmadePlacing, Residents):
    """:class:`sim.residents.Residents` with blasts and B-cells placed without an agent,
    their agents made on demand (see the module docstring)."""

    def __init__(self, model: CarTModel) -> None:
        if model.parameters.leukaemia.division_pushes:
            raise ValueError("residents without agents cannot be pushed (compiled.residents_for)")
        self.model = model
        tissue = model.tissue
        settle = None if tissue.well_mixed else self.settle_due  # well mixed: tissue draws
        self.events = UnmadeEventQueue(
            self.run_event, tissue.n_sites, tissue.resident_serial, settle
        )
        self.born_step = np.zeros(tissue.n_sites, dtype=np.int64)
        """The birth step of the resident of each site whose agent is not made."""
        self.precursor = np.zeros(tissue.n_sites, dtype=bool)
        """Whether the B-cell of each site whose agent is not made is a precursor."""
        self.agent_serial = np.zeros(tissue.n_sites, dtype=np.int64)
        """By site, the serial of a resident placed without an agent whose agent is made."""
        sites = tissue.n_sites
        self._blasts = (np.zeros(sites, np.int64), np.zeros(sites, np.int64), np.zeros(1, np.int64))
        """blasts_in_order's last answer: sites and serials, and how many (the first ...)"""
        self._blasts_known_to = 0  # ... which knew every resident made up to this serial
        self.born = np.zeros(sites + 1, dtype=np.int64)
        """The sites given a resident since the blasts were last listed, then their count."""
        self._changed = np.zeros(1, dtype=np.int64)  # settle_due's log, kept from call to call
        self._counters = np.zeros(3, dtype=np.int64)  # ... its counters and census changes
        self._census_change = np.zeros(N_KINDS + 1, dtype=np.int64)  # zero between calls
        self._rule_read_from: tuple[object, object] = (None, None)
        self._rule_now = np.zeros(4)  # _rule's numbers, read from _rule_read_from
        self._production_read_from: object = None  # UnmadePlacing._production's ...
        self._production_now = np.zeros(5)  # ... numbers, read from it
        on_grid = tissue.neighbour_on_grid  # the divisions' neighbours (settle_due)
        self._edges = (np.ones((1, 8), bool) if on_grid is None else on_grid, on_grid is not None)
        tissue.make_resident_agent = self.make_agent
        tissue.make_resident_victim = lambda site: UnmadeVictim(self, site)

    def run_event(self, entry: int) -> None:
        """A booked event of a resident placed without an agent: nothing if it has died
        since (its site holds no resident of its serial), else its death, a blast's
        division or a B-cell's maturation (by the agent's own rule if its agent has been
        made meanwhile)."""
        tissue = self.model.tissue
        action = entry & 1
        serial, site = divmod(entry >> 1, tissue.n_sites)
        if tissue.resident_serial[site] != serial:
            return  # it has died (as the agent's own callback finds ``alive`` false)
        cell = tissue.residents[site]
        if cell is AGENT_NOT_MADE:
            if action == DIE:
                self.remove_unmade(site)
            elif tissue.resident_kind[site] == ResidentKind.B_CELL:
                self._mature(site, entry)
            else:
                self._divide(site, entry)
            return
        if action == DIE:
            cell.scheduled_death()  # type: ignore[union-attr]
        elif isinstance(cell, HealthyBCell):
            cell.mature()
        else:
            cell.divide()  # type: ignore[union-attr]

    def settle_due(self, step: int, until: int) -> int:
        """Run the booked events of residents without agents due at ``step`` and booked
        before ``until``, in booking order, in a kernel
        (:func:`sim.resident_rows.settle_due`: what :meth:`run_event` does, with the same
        draws); an event of a resident whose agent has been made runs its agent's rule
        here. Returns how many ran."""
        events = self.events
        model = self.model
        tissue = model.tissue
        ran = 0
        counters, census = self._counters, self._census_change
        rule = self._rule()
        while events.due_before(step, until):
            if self._changed.size <= events.keys.size:  # a log entry per event popped
                self._changed = np.empty(events.keys.size + 1, dtype=np.int64)
            changed = self._changed
            changed[-1] = 0  # its count
            counters[0], counters[1], counters[2] = events.next_sequence, tissue.residents_made, 0
            with python_state(model) as mirror:
                stopped, event = resident_rows.settle_due(
                    events.keys, events.events, events.size, step, until, counters, rule,
                    tissue.neighbours, *self._edges, tissue.resident_kind,
                    tissue.resident_serial, self.agent_serial, self.born_step, self.precursor,
                    census, changed, self.born, mirror.mt, mirror.cursor, mirror.backup,
                )  # fmt: skip
            if counters[2]:  # events ran: what they changed, to the agents' list and census
                ran += int(counters[2])
                events.next_sequence, tissue.residents_made = int(counters[0]), int(counters[1])
                self._settled(changed, census)
            if stopped == resident_rows.NEEDS_ROOM:
                events.make_room(3)
            elif stopped == resident_rows.IN_PYTHON:
                self.run_event(event)  # its agent's own rule
                ran += 1
            else:
                break
        return ran

    def _settled(self, changed: np.ndarray, census: np.ndarray) -> None:
        """Take what :func:`sim.resident_rows.settle_due` logged: the sites it emptied or
        gave a daughter (into ``tissue.residents``) and the census's changes (then
        zeroed)."""
        model = self.model
        cells = model.tissue.residents
        for entry in changed[: changed[-1]].tolist():
            cells[entry >> 1] = AGENT_NOT_MADE if entry & 1 else None
        *changes, precursors = census.tolist()
        resident = model.census.resident
        for kind, change in enumerate(changes):
            if change:
                resident[kind] += change
        model.census.b_cell_precursors += precursors
        census[:] = 0

    def _rule(self) -> np.ndarray:
        """What :func:`sim.resident_rows.settle_due` reads of the model, read again only
        when the model's ``parameters`` or ``chances`` are replaced (they are never
        changed in place: :meth:`sim.model.CarTModel.set_teaching`)."""
        model = self.model
        parameters, chances = model.parameters, model.chances
        read_from = self._rule_read_from
        if read_from[0] is not parameters or read_from[1] is not chances:
            division, death = chances.blast_division, chances.blast_death
            loss = parameters.leukaemia.cd19_loss_prob
            self._rule_now = np.array([division, death, loss, chances.b_cell_death])
            self._rule_read_from = (parameters, chances)
        return self._rule_now

    def _divide(self, site: int, entry: int) -> None:
        """:meth:`agents.leukaemic_blast.LeukaemicBlast.divide` for a blast without an
        agent (its booked division, ``entry``): the same draws in the same order, the
        daughter placed without an agent, the next division booked."""
        model = self.model
        draw = model.random
        free = model.tissue.empty_resident_neighbours(site)
        if free:
            daughter = draw.choice(free)
            keeps_cd19 = model.tissue.resident_kind_at(site) == ResidentKind.BLAST_CD19_POSITIVE
            keeps_cd19 = keeps_cd19 and draw.random() >= model.parameters.leukaemia.cd19_loss_prob
            self.place_blasts([daughter], keeps_cd19)
        wait = steps_until(model.chances.blast_division, draw.random())
        if wait is not None:
            self._book([model.step_count + wait], [entry])

    def _mature(self, site: int, entry: int) -> None:
        """:meth:`agents.healthy_b_cell.HealthyBCell.mature` for a B-cell without an
        agent (its booked maturation, ``entry``): a mature cell from now, its death
        booked."""
        if not self.precursor[site]:
            return
        model = self.model
        self.precursor[site] = False
        model.census.b_cell_precursors -= 1
        wait = steps_until(model.chances.b_cell_death, model.random.random())
        if wait is not None:
            self._book([model.step_count + wait], [entry + DIE])

    def make_agent(self, site: int) -> ResidentCell:
        """The agent of the resident on ``site``, placed without one: made now, for good."""
        tissue = self.model.tissue
        kind = int(tissue.resident_kind[site])
        born = int(self.born_step[site])
        if kind == ResidentKind.B_CELL:
            cell = HealthyBCell.made_later(self.model, site, kind, born)
            cell.precursor = bool(self.precursor[site])
        else:
            cell = LeukaemicBlast.made_later(self.model, site, kind, born)
        tissue.residents[site] = cell
        tissue.resident_has_agent[site] = True
        self.agent_serial[site] = tissue.resident_serial[site]
        return cell

    def remove_unmade(self, site: int) -> None:
        """A resident without an agent dies: :meth:`agents.cell.ResidentCell.die` (and
        a precursor leaves the count of precursors) on the tissue and the census."""
        tissue = self.model.tissue
        kind = int(tissue.resident_kind[site])
        census = self.model.census
        census.resident[kind] -= 1
        if kind == ResidentKind.B_CELL and self.precursor[site]:
            census.b_cell_precursors -= 1
        tissue.clear_resident(site)

    def sites_of(self, cls: type[ResidentCell]) -> np.ndarray:
        """The sites holding a resident of ``cls`` (blasts or B-cells), in the order they
        were made (the blasts kept in that order from one call to the next:
        :func:`sim.resident_rows.blasts_in_order`)."""
        tissue = self.model.tissue
        if cls is not HealthyBCell:
            blasts = resident_rows.blasts_in_order(
                *self._blasts, self._blasts_known_to, tissue.residents_made, self.born,
                tissue.resident_kind, tissue.resident_serial, IS_BLAST,
            )  # fmt: skip
            self._blasts_known_to = tissue.residents_made
            return self._blasts[0][:blasts].copy()
        sites = np.flatnonzero(tissue.resident_kind == ResidentKind.B_CELL)
        order = np.sort(tissue.resident_serial[sites] * tissue.n_sites + sites)
        return order % tissue.n_sites

    def remove_random_blasts(self, count: int) -> list[bool]:
        """:meth:`Residents.remove_random_blasts`: the same choice over the same list, in
        a kernel (:func:`sim.resident_rows.take_random_blasts`), no agent made."""
        model = self.model
        tissue = model.tissue
        census = self._census_change  # zero between calls
        chosen, chosen_kind, has_agent = resident_rows.take_random_blasts(
            *self._blasts, self._blasts_known_to, tissue.residents_made, self.born, count,
            held(model.rng), tissue.resident_kind, tissue.resident_serial, self.agent_serial,
            IS_BLAST, census,
        )  # fmt: skip
        self._blasts_known_to = tissue.residents_made
        for kind in BLASTS:
            model.census.resident[kind] += int(census[kind])
        census[:] = 0
        cells = tissue.residents
        for site, made in zip(chosen.tolist(), has_agent.tolist(), strict=True):
            if made:
                cells[site].die()  # type: ignore[union-attr]
            else:
                cells[site] = None
        return (chosen_kind == ResidentKind.BLAST_CD19_POSITIVE).tolist()

    def kill_share(self, cls: type[ResidentCell], share: float) -> int:
        """:meth:`Residents.kill_share`: the same draws over the same list, without
        making the residents' agents."""
        if cls not in (LeukaemicBlast, HealthyBCell):
            return super().kill_share(cls, share)
        sites = self.sites_of(cls)
        dies = self.model.rng.random(sites.size) < share
        self._remove_all(sites[dies])
        return int(np.count_nonzero(dies))

    def _remove_all(self, sites: np.ndarray) -> None:
        """The residents on ``sites`` die: those with an agent by their own ``die``, the
        others on the tissue and the census at once (the same)."""
        model = self.model
        tissue = model.tissue
        cells = tissue.residents
        unmade = []
        for site in sites.tolist():
            cell = cells[site]
            if cell is AGENT_NOT_MADE:
                cells[site] = None
                unmade.append(site)
            else:
                cell.die()  # type: ignore[union-attr]
        if unmade:
            gone = np.array(unmade, dtype=np.int64)
            kinds = tissue.resident_kind[gone]
            for kind, count in enumerate(np.bincount(kinds, minlength=len(ResidentKind))):
                model.census.resident[kind] -= int(count)
            b_cells = gone[kinds == ResidentKind.B_CELL]
            model.census.b_cell_precursors -= int(np.count_nonzero(self.precursor[b_cells]))
            tissue.resident_kind[gone] = ResidentKind.EMPTY
            tissue.resident_serial[gone] = 0

    def of_class(self, cls: type[ResidentCell]) -> list[ResidentCell]:
        """:meth:`Residents.of_class`; the residents' agents are made now, in the order the
        residents were made."""
        if cls not in (LeukaemicBlast, HealthyBCell):
            return super().of_class(cls)
        resident_at = self.model.tissue.resident_at
        return [resident_at(site) for site in self.sites_of(cls).tolist()]  # type: ignore[misc]

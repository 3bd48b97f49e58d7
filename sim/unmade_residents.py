"""The compiled engine's cheap residents: blasts placed without an agent, made when asked.

A blast the residual compartment seeds (or one placed at set-up) is, on the compiled
engine, only a kind in the resident layer, a place in the order residents were made
(``Tissue.resident_serial``), its birth step, a count in the census and its two booked
events (division, death), stored in the event queue as whole numbers instead of bound
methods. Its Mesa agent (:meth:`agents.cell.ResidentCell.made_later`) is made only when
something asks for it: a T-cell's rule (``Tissue.resident_at``), the inspector, a
lymphodepletion course, or its own booked division, which then runs the readable rule
(:meth:`agents.leukaemic_blast.LeukaemicBlast.divide`). A blast that leaves the grid
again, or dies, before any of these costs no agent at all. With two-way exchange most
seeded blasts do: at ten times the default seeding rate about 800 are placed and taken
back every step.

The run is the reference's, bit for bit: the same Python draws for the bookings in the
same order (:func:`agents.cell.steps_until`), the bookings in the same places of the
same buckets, the blasts taken back chosen over the same list (the blasts in the order
they were made, which is Mesa's ``agents_by_type`` order on the reference engine). What
differs is only what is not part of a run: on this engine ``model.agents_by_type`` holds
only the blasts whose agents have been made, and Mesa's ``unique_id`` of an agent made
later is later than on the reference engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.cell import steps_until
from agents.kinds import BLASTS, ResidentKind
from agents.leukaemic_blast import LeukaemicBlast
from sim.events import EventQueue
from sim.residents import Residents
from sim.tissue import AGENT_NOT_MADE

if TYPE_CHECKING:
    from agents.cell import ResidentCell
    from sim.model import CarTModel

DIVIDE, DIE = 0, 1
"""A booked event of a blast without an agent: ``(serial * n_sites + site) * 2 + action``."""
IS_BLAST = np.zeros(len(ResidentKind), dtype=bool)
IS_BLAST[sorted(BLASTS)] = True


class UnmadeEventQueue(EventQueue):
    """:class:`sim.events.EventQueue` that also holds the events of blasts without an
    agent (whole numbers, see :data:`DIVIDE`), run in booking order with the others."""

    def __init__(self, residents: UnmadeResidents) -> None:
        super().__init__()
        self.residents = residents

    def run_due(self, step: int) -> int:
        """Run every event due at ``step`` in booking order; returns how many there were."""
        bucket = self._due.pop(step, ())
        unmade = self.residents.run_event
        for entry in bucket:
            if entry.__class__ is int:
                unmade(entry)  # type: ignore[arg-type]
            else:
                entry()  # type: ignore[operator]
        return len(bucket)


class UnmadeResidents(Residents):
    """:class:`sim.residents.Residents` with blasts placed without an agent, their agents
    made on demand (see the module docstring)."""

    def __init__(self, model: CarTModel) -> None:
        self.model = model
        self.events = UnmadeEventQueue(self)
        tissue = model.tissue
        self.born_step = np.zeros(tissue.n_sites, dtype=np.int64)
        """The birth step of the resident of each site whose agent is not made."""
        tissue.make_resident_agent = self.make_agent

    def place_blasts(self, sites: list[int], cd19_positive: bool) -> None:
        """:meth:`Residents.place_blasts` without the agents: each blast is placed,
        counted and books its division, then its death, as
        :class:`agents.leukaemic_blast.LeukaemicBlast` does, with the same draws."""
        model = self.model
        tissue = model.tissue
        serials, kinds, cells = tissue.resident_serial, tissue.resident_kind, tissue.residents
        kind = (
            ResidentKind.BLAST_CD19_POSITIVE if cd19_positive else ResidentKind.BLAST_CD19_NEGATIVE
        )
        step = model.step_count
        n_sites = tissue.n_sites
        division, death = model.chances.blast_division, model.chances.blast_death
        draw = model.random.random
        schedule = self.events.schedule
        for site in sites:
            if cells[site] is not None:
                raise ValueError(f"site {site} already holds a resident cell")
            cells[site] = AGENT_NOT_MADE
            kinds[site] = kind
            tissue.residents_made += 1
            serials[site] = tissue.residents_made
            self.born_step[site] = step
            model.census.resident[kind] += 1
            key = (tissue.residents_made * n_sites + site) * 2
            wait = steps_until(division, draw())
            if wait is not None:
                schedule(step + wait, key + DIVIDE)
            wait = steps_until(death, draw())
            if wait is not None:
                schedule(step + wait, key + DIE)

    def run_event(self, entry: int) -> None:
        """A booked event of a blast placed without an agent: nothing if it has died since
        (its site holds no resident of its serial), else its death, or its division by
        the readable rule on its agent, made now."""
        tissue = self.model.tissue
        action = entry & 1
        serial, site = divmod(entry >> 1, tissue.n_sites)
        if tissue.resident_serial[site] != serial:
            return  # it has died (as the agent's own callback finds ``alive`` false)
        cell = tissue.residents[site]
        if cell is AGENT_NOT_MADE:
            if action == DIE:
                self._remove(site)
                return
            cell = self.make_agent(site)
        if action == DIE:
            cell.scheduled_death()  # type: ignore[union-attr]
        else:
            cell.divide()  # type: ignore[union-attr]

    def make_agent(self, site: int) -> ResidentCell:
        """The agent of the blast on ``site``, placed without one: made now, for good."""
        tissue = self.model.tissue
        cell = LeukaemicBlast.made_later(
            self.model, site, int(tissue.resident_kind[site]), int(self.born_step[site])
        )
        tissue.residents[site] = cell
        return cell

    def _remove(self, site: int) -> None:
        """A blast without an agent dies: :meth:`agents.cell.ResidentCell.die` on the
        tissue and the census."""
        tissue = self.model.tissue
        kind = int(tissue.resident_kind[site])
        tissue.clear_resident(site)
        self.model.census.resident[kind] -= 1

    def blast_sites(self) -> np.ndarray:
        """The sites holding a blast, in the order the blasts were made."""
        tissue = self.model.tissue
        sites = np.flatnonzero(IS_BLAST[tissue.resident_kind])
        return sites[np.argsort(tissue.resident_serial[sites], kind="stable")]

    def remove_random_blasts(self, count: int) -> list[bool]:
        """:meth:`Residents.remove_random_blasts`: the same choice over the same list,
        without making the chosen blasts' agents."""
        sites = self.blast_sites()
        chosen = self.model.rng.choice(sites.size, size=count, replace=False)
        chosen_sites = sites[chosen].tolist()
        kinds = self.model.tissue.resident_kind[sites[chosen]].tolist()
        cells = self.model.tissue.residents
        for site in chosen_sites:
            cell = cells[site]
            if cell is AGENT_NOT_MADE:
                self._remove(site)
            else:
                cell.die()  # type: ignore[union-attr]
        return [kind == ResidentKind.BLAST_CD19_POSITIVE for kind in kinds]

    def of_class(self, cls: type[ResidentCell]) -> list[ResidentCell]:
        """:meth:`Residents.of_class`; blasts' agents are made now, in the order the blasts
        were made."""
        if cls is not LeukaemicBlast:
            return super().of_class(cls)
        resident_at = self.model.tissue.resident_at
        return [resident_at(site) for site in self.blast_sites().tolist()]  # type: ignore[misc]

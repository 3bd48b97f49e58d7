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

from agents import leukaemic_blast_kernels as blast_kernels
from agents.cell import steps_until
from agents.kinds import BLASTS, ResidentKind
from agents.leukaemic_blast import LeukaemicBlast
from agents.python_random import MirroredRandom
from sim.event_heap import UnmadeEventQueue
from sim.residents import Residents
from sim.tissue import AGENT_NOT_MADE

if TYPE_CHECKING:
    from agents.cell import ResidentCell
    from sim.model import CarTModel

DIVIDE, DIE = 0, 1
"""A booked event of a blast without an agent: ``(serial * n_sites + site) * 2 + action``."""
FEW = 8
"""Up to this many blasts are placed one by one in Python, more in a kernel."""
IS_BLAST = np.zeros(len(ResidentKind), dtype=bool)
IS_BLAST[sorted(BLASTS)] = True


class UnmadeResidents(Residents):
    """:class:`sim.residents.Residents` with blasts placed without an agent, their agents
    made on demand (see the module docstring)."""

    def __init__(self, model: CarTModel) -> None:
        self.model = model
        tissue = model.tissue
        self.events = UnmadeEventQueue(self.run_event, tissue.n_sites, tissue.resident_serial)
        self.born_step = np.zeros(tissue.n_sites, dtype=np.int64)
        """The birth step of the resident of each site whose agent is not made."""
        tissue.make_resident_agent = self.make_agent

    def place_blasts(self, sites: list[int], cd19_positive: bool) -> None:
        """:meth:`Residents.place_blasts` without the agents: each blast is placed,
        counted and books its division, then its death, as
        :class:`agents.leukaemic_blast.LeukaemicBlast` does, with the same draws (a
        kernel, :func:`agents.leukaemic_blast_kernels.place_blasts`, for more than
        :data:`FEW` blasts: copying Python's generator in and out costs more below)."""
        if not sites:
            return
        tissue = self.model.tissue
        cells = tissue.residents
        for site in sites:
            if cells[site] is not None:
                raise ValueError(f"site {site} already holds a resident cell")
            cells[site] = AGENT_NOT_MADE
        kind = ResidentKind.BLAST_CD19_NEGATIVE
        if cd19_positive:
            kind = ResidentKind.BLAST_CD19_POSITIVE
        if len(sites) <= FEW:
            self._place_one_by_one(sites, kind)
        else:
            self._place_in_a_kernel(sites, kind)
        self.model.census.resident[kind] += len(sites)

    def _place_in_a_kernel(self, sites: list[int], kind: int) -> None:
        model = self.model
        tissue = model.tissue
        mirror = MirroredRandom(model.random)
        due, event = blast_kernels.place_blasts(
            np.array(sites, dtype=np.int64), kind, model.step_count,
            model.chances.blast_division, model.chances.blast_death,
            tissue.residents_made + 1, tissue.n_sites, tissue.resident_kind,
            tissue.resident_serial, self.born_step, mirror.mt, mirror.cursor, mirror.backup,
        )  # fmt: skip
        mirror.copy_to(model.random)
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
            key = (tissue.residents_made * n_sites + site) * 2
            for chance, action in ((division, DIVIDE), (death, DIE)):
                wait = steps_until(chance, draw())
                due.append(blast_kernels.NEVER_BOOKED if wait is None else step + wait)
                events.append(key + action)
        never = blast_kernels.NEVER_BOOKED
        self.events.book(np.array(due, dtype=np.int64), np.array(events, dtype=np.int64), never)

    def run_event(self, entry: int) -> None:
        """A booked event of a blast placed without an agent: nothing if it has died since
        (its site holds no resident of its serial), else its death or its division (by
        the readable rule if its agent has been made meanwhile)."""
        tissue = self.model.tissue
        action = entry & 1
        serial, site = divmod(entry >> 1, tissue.n_sites)
        if tissue.resident_serial[site] != serial:
            return  # it has died (as the agent's own callback finds ``alive`` false)
        cell = tissue.residents[site]
        if cell is AGENT_NOT_MADE:
            if action == DIE:
                self._remove(site)
            else:
                self._divide(site, entry)
            return
        if action == DIE:
            cell.scheduled_death()  # type: ignore[union-attr]
        else:
            cell.divide()  # type: ignore[union-attr]

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
            due = np.array([model.step_count + wait], dtype=np.int64)
            self.events.book(due, np.array([entry], dtype=np.int64), blast_kernels.NEVER_BOOKED)

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
        order = np.sort(tissue.resident_serial[sites] * tissue.n_sites + sites)
        return order % tissue.n_sites

    def remove_random_blasts(self, count: int) -> list[bool]:
        """:meth:`Residents.remove_random_blasts`: the same choice over the same list,
        without making the chosen blasts' agents."""
        model = self.model
        tissue = model.tissue
        sites = self.blast_sites()
        chosen = sites[model.rng.choice(sites.size, size=count, replace=False)]
        positive = tissue.resident_kind[chosen] == ResidentKind.BLAST_CD19_POSITIVE
        self._remove_all(chosen)
        return positive.tolist()

    def kill_share(self, cls: type[ResidentCell], share: float) -> int:
        """:meth:`Residents.kill_share`: the same draws over the same list, without
        making the blasts' agents."""
        if cls is not LeukaemicBlast:
            return super().kill_share(cls, share)
        sites = self.blast_sites()
        dies = self.model.rng.random(sites.size) < share
        self._remove_all(sites[dies])
        return int(np.count_nonzero(dies))

    def _remove_all(self, sites: np.ndarray) -> None:
        """The blasts on ``sites`` die: those with an agent by
        :meth:`agents.cell.ResidentCell.die`, the others on the tissue and the census
        at once (the same)."""
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
            gone_positive = int(np.count_nonzero(kinds == ResidentKind.BLAST_CD19_POSITIVE))
            model.census.resident[ResidentKind.BLAST_CD19_POSITIVE] -= gone_positive
            model.census.resident[ResidentKind.BLAST_CD19_NEGATIVE] -= gone.size - gone_positive
            tissue.resident_kind[gone] = ResidentKind.EMPTY
            tissue.resident_serial[gone] = 0

    def of_class(self, cls: type[ResidentCell]) -> list[ResidentCell]:
        """:meth:`Residents.of_class`; blasts' agents are made now, in the order the blasts
        were made."""
        if cls is not LeukaemicBlast:
            return super().of_class(cls)
        resident_at = self.model.tissue.resident_at
        return [resident_at(site) for site in self.blast_sites().tolist()]  # type: ignore[misc]

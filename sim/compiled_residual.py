"""The residual compartment on the compiled engine: :class:`sim.residual.ResidualDisease`
(whose rules stay the readable definition) with its step in one kernel call
(:func:`sim.residual_kernels.step_compartment`: the same operations in the same order,
the same draws, so the same run, bit for bit) and the numbers it reads kept while the
model's ``parameters`` and ``chances`` are the same objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import microenvironment
from agents.kinds import MobileKind, ResidentKind
from agents.python_random import python_state
from sim import residual_kernels
from sim.kernel_generator import held
from sim.residual import ResidualDisease
from sim.unmade_residents import IS_BLAST, UnmadeResidents

if TYPE_CHECKING:
    from sim.model import CarTModel

POSITIVE, NEGATIVE = int(ResidentKind.BLAST_CD19_POSITIVE), int(ResidentKind.BLAST_CD19_NEGATIVE)
EFFECTOR, DONOR_EFFECTOR = int(MobileKind.CAR_T_EFFECTOR), int(MobileKind.DONOR_CAR_T_EFFECTOR)
"""The functional effectors (:data:`sim.residual.FUNCTIONAL_EFFECTORS`)."""


def residual_for(model: CarTModel) -> ResidualDisease:
    """:class:`CompiledResidualDisease` where the residents are placed without agents
    and the scattered-cell rule of CAR T-cell killing applies (not a lymphoma's masses,
    :meth:`ResidualDisease._mass_survival`); else :class:`ResidualDisease`."""
    if isinstance(model.residents, UnmadeResidents) and not model.parameters.leukaemia.dense_mass:
        return CompiledResidualDisease(model)
    return ResidualDisease(model)


class CompiledResidualDisease(ResidualDisease):
    """:class:`ResidualDisease` with its :meth:`step` in one kernel call (see the module
    docstring)."""

    def __init__(self, model: CarTModel) -> None:
        super().__init__(model)
        n_sites = model.tissue.n_sites
        self._compartment = np.zeros(3)  # the kernel's cd19_positive, sanctuary, cd19_negative
        self._seeded_sites = np.zeros(n_sites, dtype=np.int64)
        self._left_sites = np.zeros(n_sites, dtype=np.int64)
        self._left_with_agent = np.zeros(n_sites, dtype=np.bool_)
        self._counts = np.zeros(4, dtype=np.int64)
        self._read_from: tuple[object, object] = (None, None)
        self._rule = np.zeros(residual_kernels.RULE_NUMBERS)
        self._two_way = False

    def _rule_now(self) -> np.ndarray:
        """The numbers :func:`sim.residual_kernels.step_compartment` reads
        (:data:`sim.residual_kernels.RULE_NUMBERS`), and ``two_way_exchange``; read
        again only when the model's ``parameters`` or ``chances`` are replaced (they are
        never changed in place: :meth:`sim.model.CarTModel.set_teaching`)."""
        model = self.model
        parameters, chances = model.parameters, model.chances
        if self._read_from[0] is not parameters or self._read_from[1] is not chances:
            kill = microenvironment.kill_chance(  # as car_t_survival has it
                model, chances.car_t_kill, microenvironment.hostility(model)
            )
            self._rule = np.array(
                [
                    self.capacity,
                    self.sanctuary_capacity,
                    chances.blast_division,
                    chances.blast_death,
                    kill,
                    parameters.leukaemia.cd19_loss_prob,
                    self._seeding,
                    self._sanctuary_egress,
                    self._egress_chance,
                    self.extinct_below,
                ]
            )
            self._two_way = bool(parameters.residual.two_way_exchange)
            self._read_from = (parameters, chances)
        return self._rule

    def step(self) -> None:
        """:meth:`ResidualDisease.step` in one kernel call
        (:func:`sim.residual_kernels.step_compartment`), then what it changed handed to
        the census, the residents' list and the agents chosen to leave (they die by
        their own rule), and the grid measured."""
        if not self.enabled:
            return
        model = self.model
        tissue = model.tissue
        census = model.census
        residents: UnmadeResidents = model.residents  # type: ignore[assignment]
        events = residents.events
        compartment, counts = self._compartment, self._counts
        compartment[0], compartment[1], compartment[2] = (
            self.cd19_positive,
            self.sanctuary,
            self.cd19_negative,
        )
        rule = self._rule_now()
        mobile = census.mobile
        change = residents._census_change  # zero between calls
        with python_state(model) as mirror:
            events.keys, events.events = residual_kernels.step_compartment(
                compartment, rule, self._two_way, mobile[EFFECTOR] + mobile[DONOR_EFFECTOR],
                census.blasts, held(model.rng), model.step_count, tissue.residents_made + 1,
                tissue.resident_kind, tissue.resident_serial, residents.born_step,
                residents.agent_serial, mirror.mt, mirror.cursor, mirror.backup, events.keys,
                events.events, events.size, events.next_sequence, residents.born,
                *residents._blasts, residents._blasts_known_to, IS_BLAST, change,
                self._seeded_sites, self._left_sites, self._left_with_agent, counts,
            )  # fmt: skip
        self.cd19_positive, self.sanctuary, self.cd19_negative = compartment.tolist()
        positive, negative, left, sequence = counts.tolist()
        if positive or negative:
            placed = positive + negative
            residents._claim(self._seeded_sites[:placed].tolist(), logged=True)
            tissue.residents_made += placed
            census.resident[POSITIVE] += positive
            census.resident[NEGATIVE] += negative
            events.next_sequence = sequence
            self.seeded += placed
        if left:
            self._remove_left(left)
        self._grid_positive_before = census.resident[POSITIVE]  # _measure_grid
        self._car_t_blast_kills_before = census.kills_by_car_t - census.b_cells_killed_by_car_t

    def _remove_left(self, left: int) -> None:
        """The egress's blasts (:meth:`UnmadeResidents.remove_random_blasts`'s end): the
        census's change taken, each site without an agent emptied in the residents'
        list, each with an agent left to die by its own rule."""
        model = self.model
        residents: UnmadeResidents = model.residents  # type: ignore[assignment]
        residents._blasts_known_to = model.tissue.residents_made
        change = residents._census_change
        model.census.resident[POSITIVE] += int(change[POSITIVE])
        model.census.resident[NEGATIVE] += int(change[NEGATIVE])
        change[:] = 0
        cells = model.tissue.residents
        with_agent = self._left_with_agent
        for index, site in enumerate(self._left_sites[:left].tolist()):
            if with_agent[index]:
                cells[site].die()  # type: ignore[union-attr]
            else:
                cells[site] = None

"""What the model asks the T-cell classes, as numpy tables indexed by mobile kind.

Each T-cell class names its mobile-layer codes (``kinds``) and, for each, what next to
it its rule acts on (``triggers``), how it walks (``motility_of``), whether it divides in
the homeostatic boost and its chance of dying. The model turns the answers into tables
once, so that the whole T-cell population is screened, moved and killed in numpy; it
knows nothing of the rules themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from agents.car_t_cell import CarTCell
from agents.cell import TCell
from agents.kinds import MobileKind, ResidentKind
from agents.native_t_cell import NativeTCell

if TYPE_CHECKING:
    from sim.census import Census
    from sim.model import CarTModel
    from sim.tissue import Tissue

T_CELL_CLASSES: tuple[type[TCell], ...] = (CarTCell, NativeTCell)
CLASS_OF_KIND: dict[int, type[TCell]] = {
    int(kind): cls for cls in T_CELL_CLASSES for kind in cls.kinds()
}
N_MOBILE = len(MobileKind)
N_RESIDENT = len(ResidentKind)


def by_kind(value: Callable[[type[TCell], int], float | bool], dtype: type = float) -> np.ndarray:
    """``table[kind] = value(class of kind, kind)`` for every T-cell kind; 0 for EMPTY."""
    table = np.zeros(N_MOBILE, dtype=dtype)
    for kind, cls in CLASS_OF_KIND.items():
        table[kind] = value(cls, kind)
    return table


class ContactScreen:
    """Which T-cells have a neighbour their ``interact`` rule could act on.

    Built from each class's :meth:`TCell.triggers` (call :meth:`build` again when a
    switch they read changes). A screen, not a rule: it may let through a cell that then
    does nothing, but never holds back one that would act (a test runs the model with
    and without it).
    """

    def __init__(self, model: CarTModel) -> None:
        self.build(model)

    def build(self, model: CarTModel) -> None:
        """Ask every class, for each of its kinds, what triggers its rule."""
        residents = np.zeros((N_MOBILE, N_RESIDENT), dtype=bool)
        mobiles = np.zeros((N_MOBILE, N_MOBILE), dtype=bool)
        antigen = np.full(N_MOBILE, np.inf)
        for kind, cls in CLASS_OF_KIND.items():
            triggers = cls.triggers(kind, model)
            residents[kind, sorted(triggers.residents)] = True
            mobiles[kind, sorted(triggers.mobiles)] = True
            if triggers.antigen_at_least is not None:
                antigen[kind] = triggers.antigen_at_least
        self.resident_triggers = residents
        self.mobile_triggers = mobiles
        self.antigen_threshold = antigen
        self.any_antigen_trigger = bool(np.isfinite(antigen).any())
        self._trigger_lists = [
            (
                kind,
                np.flatnonzero(residents[kind]).tolist(),
                np.flatnonzero(mobiles[kind]).tolist(),
                bool(np.isfinite(antigen[kind])),
            )
            for kind in CLASS_OF_KIND
        ]
        # table[own kind, resident kind * N_MOBILE + mobile kind]: a neighbour holding
        # that resident or that T-cell triggers the rule of its own kind
        self.table = (residents[:, :, None] | mobiles[:, None, :]).reshape(N_MOBILE, -1)

    def nobody_can_act(self, census: Census, fields_active: bool) -> bool:
        """No T-cell present has any of its triggers present anywhere on the tissue."""
        mobile, resident = census.mobile, census.resident  # plain lists: cheaper than numpy
        for kind, resident_triggers, mobile_triggers, watches_debris in self._trigger_lists:
            if not mobile[kind]:
                continue
            if (
                (watches_debris and fields_active)
                or any(resident[r] for r in resident_triggers)
                or any(mobile[m] for m in mobile_triggers)
            ):
                return False
        return True

    def has_contact(self, tissue: Tissue, sites: np.ndarray, kinds: np.ndarray) -> np.ndarray:
        """For T-cells on ``sites`` of ``kinds``: is one of their triggers next to them?"""
        around = tissue.neighbours[sites]
        pair = tissue.resident_kind[around] * N_MOBILE + tissue.mobile_kind[around]
        hits = self.table[kinds[:, None], pair]
        if tissue.neighbour_on_grid is not None:  # a bounded grid: no neighbour off its edge
            hits &= tissue.neighbour_on_grid[sites]
        contact = hits.any(axis=1)
        if self.any_antigen_trigger and tissue.fields_active:
            thresholds = self.antigen_threshold[kinds]
            watching = np.flatnonzero(np.isfinite(thresholds))
            near = np.column_stack([around[watching], sites[watching]])
            contact[watching] |= (tissue.antigen[near] >= thresholds[watching, None]).any(axis=1)
        return contact

"""The compiled engine: the step's array work done by the numba kernels of
:mod:`sim.kernels`, fed the same tables and random draws as the reference engine.

Imported only by :func:`sim.engine.make_engine` for ``engine="compiled"``, which makes
an :class:`sim.engine.Engine` of these three.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.contacts import N_MOBILE, ContactScreen

if TYPE_CHECKING:
    from sim.tissue import Tissue

_NO_EDGE = np.ones((1, 8), dtype=bool)  # a torus: every direction is on the grid


def resolve_turns(
    tissue: Tissue, origin: np.ndarray, target: np.ndarray, turn: np.ndarray
) -> np.ndarray:
    """:func:`sim.movement.resolve_turns`, the cells taking their turns in a kernel."""
    return kernels.resolve_turns_in_order(tissue.mobile_kind, origin, target, turn)


def has_contact(
    screen: ContactScreen, tissue: Tissue, sites: np.ndarray, kinds: np.ndarray
) -> np.ndarray:
    """:meth:`sim.contacts.ContactScreen.has_contact`, cell by cell in a kernel."""
    on_grid = tissue.neighbour_on_grid
    return kernels.has_contact(
        tissue.neighbours,
        _NO_EDGE if on_grid is None else on_grid,
        on_grid is not None,
        tissue.resident_kind,
        tissue.mobile_kind,
        tissue.antigen,
        screen.table,
        screen.antigen_threshold,
        screen.any_antigen_trigger and tissue.fields_active,
        sites,
        kinds,
        N_MOBILE,
    )


diffuse = kernels.diffuse
"""One diffusion step in place: :func:`sim.geometry.diffuse_in_place` in a kernel."""

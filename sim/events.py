"""Events of cells: the booking of resident cells' next actions, and the record of what
just happened (for the live view).

Booking: a bucket of callbacks for each step.

A blast or B-cell books its next division and its death when it is born (a geometric
waiting time, see :func:`agents.cell.steps_until`), so nothing is asked of it in the
steps between. Callbacks of one step run in the order they were booked, which depends
only on the seed, so runs are reproducible. A callback whose cell has died since
booking finds ``alive`` false and does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

CellEventKind = Literal["car_t_kill", "taught_kill", "teaching", "rejection_kill"]
CELL_EVENT_KINDS: tuple[CellEventKind, ...] = (
    "car_t_kill",
    "taught_kill",
    "teaching",
    "rejection_kill",
)
RECENT_EVENTS_KEPT = 4096  # the model keeps this many of the latest cell events
KILL_EVENT = {"car_t": "car_t_kill", "taught": "taught_kill", "alloreactive": "rejection_kill"}
"""The event of a kill by each killer (``CarTModel.record_kill``)."""


class CellEvent(NamedTuple):
    """Something that happened to a cell: at model step ``step`` (the step in which it
    happened, counted from 1), at ``site`` (``x * height + y``). ``kind`` is one of
    :data:`CELL_EVENT_KINDS`: a kill by a CAR T-cell, by a taught T-cell or by an
    alloreactive host T-cell (``site`` is the victim's), or a T-cell taught (its site)."""

    step: int
    kind: CellEventKind
    site: int


class EventQueue:
    """Callbacks keyed by the step at which they are due."""

    def __init__(self) -> None:
        self._due: dict[int, list[Callable[[], None]]] = {}

    def schedule(self, step: int, callback: Callable[[], None]) -> None:
        """Book ``callback`` to run at ``step``."""
        bucket = self._due.get(step)
        if bucket is None:
            self._due[step] = [callback]
        else:
            bucket.append(callback)

    def run_due(self, step: int) -> int:
        """Run every callback due at ``step``; returns how many ran.

        A callback books later steps only (waits are at least one step).
        """
        bucket = self._due.pop(step, ())
        for callback in bucket:
            callback()
        return len(bucket)

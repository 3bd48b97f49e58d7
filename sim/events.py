"""The booking of resident cells' next actions: a bucket of callbacks for each step.

A blast or B-cell books its next division and its death when it is born (a geometric
waiting time, see :func:`agents.cell.steps_until`), so nothing is asked of it in the
steps between. Callbacks of one step run in the order they were booked, which depends
only on the seed, so runs are reproducible. A callback whose cell has died since
booking finds ``alive`` false and does nothing.
"""

from __future__ import annotations

from collections.abc import Callable


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

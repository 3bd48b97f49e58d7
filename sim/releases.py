"""A step's releases into the fields, in the order they happen (:class:`ReleaseLog`).

Each kill (and, with ``car_t.cytokine_per_engaged_hour``, each engaged effector) releases
cytokine and antigen debris at a site; they land at the end of the step
(:meth:`sim.tissue.Tissue.update_fields`), added one after the other, so their order
decides the field's sums to the last bit.
"""

from __future__ import annotations

import numpy as np


class ReleaseLog:
    """Rows of ``(site, cytokine, antigen)`` in the order released (cytokine and antigen
    units of :mod:`sim.parameters`), in one numpy array that grows as needed."""

    def __init__(self, capacity: int = 64) -> None:
        self._rows = np.empty((capacity, 3))
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, site: int, cytokine: float, antigen: float) -> None:
        """One release."""
        count = self._count
        if count == self._rows.shape[0]:
            self._make_room(count + 1)
        row = self._rows[count]
        row[0], row[1], row[2] = site, cytokine, antigen
        self._count = count + 1

    def add_many(self, sites: np.ndarray, cytokine: np.ndarray, antigen: np.ndarray) -> None:
        """:meth:`add` at each of ``sites`` in order (cytokine and antigen by site): the
        compiled engine's kernels log their releases and hand them over at once."""
        count, more = self._count, sites.size
        if count + more > self._rows.shape[0]:
            self._make_room(count + more)
        rows = self._rows[count : count + more]
        rows[:, 0], rows[:, 1], rows[:, 2] = sites, cytokine, antigen
        self._count = count + more

    def pending(self) -> list[tuple[int, float, float]]:
        """The releases so far, in order: ``(site, cytokine, antigen)``."""
        return [(int(site), c, a) for site, c, a in self._rows[: self._count].tolist()]

    def take(self) -> np.ndarray:
        """The releases so far as rows (a view, valid until the next :meth:`add`), and
        an empty log."""
        taken = self._rows[: self._count]
        self._count = 0
        return taken

    def _make_room(self, needed: int) -> None:
        grown = np.empty((max(needed, 2 * self._rows.shape[0]), 3))
        grown[: self._count] = self._rows[: self._count]
        self._rows = grown

"""Booked events of blasts without an agent, in a heap of whole numbers (numba kernels).

The compiled engine's cheap blasts (:mod:`sim.unmade_residents`) book their division
and death here instead of in :class:`sim.events.EventQueue`'s buckets of callbacks: a
binary heap of keys ``due_step << SEQUENCE_BITS | sequence`` (the sequence counts every
booking of the run, these and the callbacks alike, so the two can be run in booking
order) with the event beside each key (``(serial * n_sites + site) * 2 + action``).
Most of these blasts leave the grid long before their events are due; their events are
dropped here when they come up (:func:`pop_due`), without a call into Python.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit

from sim.events import EventQueue

SEQUENCE_BITS = 36
"""Bits of a key below the due step: room for 6.8e10 bookings in a run."""
SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1
NO_LIMIT = 1 << SEQUENCE_BITS
"""Above every booking number (``until`` for the events after the last callback)."""


@njit(cache=True)
def _sift_up(keys: np.ndarray, events: np.ndarray, index: int) -> None:
    key, event = keys[index], events[index]
    while index > 0:
        parent = (index - 1) >> 1
        if keys[parent] <= key:
            break
        keys[index], events[index] = keys[parent], events[parent]
        index = parent
    keys[index], events[index] = key, event


@njit(cache=True)
def pop_root(keys: np.ndarray, events: np.ndarray, size: np.ndarray) -> None:
    """Remove the smallest key (the root)."""
    last = size[0] - 1
    size[0] = last
    if last == 0:
        return
    keys[0], events[0] = keys[last], events[last]
    _sift_down(keys, events, 0, last)  # the last entry, from the root down


@njit(cache=True)
def push_all(
    keys: np.ndarray,
    events: np.ndarray,
    size: np.ndarray,
    due: np.ndarray,
    booked: np.ndarray,
    never: int,
    sequence: int,
) -> int:
    """Book each ``booked[i]`` for step ``due[i]`` (none where ``due[i]`` is ``never``),
    in order, numbering the bookings from ``sequence``; returns the next number. The
    arrays must have room (:class:`sim.unmade_residents.UnmadeEventQueue` grows them)."""
    for index in range(due.size):
        if due[index] == never:
            continue
        slot = size[0]
        keys[slot] = (due[index] << SEQUENCE_BITS) | sequence
        events[slot] = booked[index]
        size[0] = slot + 1
        _sift_up(keys, events, slot)
        sequence += 1
    return sequence


@njit(cache=True)
def push_one(keys: np.ndarray, events: np.ndarray, size: np.ndarray, key: int, event: int) -> None:
    """Book one event under ``key`` (``due << SEQUENCE_BITS | sequence``); the arrays must
    have room."""
    slot = size[0]
    keys[slot] = key
    events[slot] = event
    size[0] = slot + 1
    _sift_up(keys, events, slot)


@njit(cache=True)
def pop_due(
    keys: np.ndarray,
    events: np.ndarray,
    size: np.ndarray,
    step: int,
    n_sites: int,
    resident_serial: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Take out every event due at ``step`` (none may be due earlier); returns the
    sequence numbers and events of those whose blast is still alive (its site holds a
    resident of its serial), in booking order. The others are dropped: their blast has
    died, as the agent's own callback would find."""
    sequences = np.empty(16, dtype=np.int64)
    alive = np.empty(16, dtype=np.int64)
    found = 0
    while size[0] > 0 and (keys[0] >> SEQUENCE_BITS) == step:
        event = events[0]
        sequence = keys[0] & SEQUENCE_MASK
        pop_root(keys, events, size)
        serial_and_site = event >> 1
        if resident_serial[serial_and_site % n_sites] != serial_and_site // n_sites:
            continue
        if found == sequences.size:
            sequences = np.concatenate((sequences, np.empty(found, dtype=np.int64)))
            alive = np.concatenate((alive, np.empty(found, dtype=np.int64)))
        sequences[found] = sequence
        alive[found] = event
        found += 1
    return sequences[:found], alive[:found]


@njit(cache=True)
def drop_dead(
    keys: np.ndarray,
    events: np.ndarray,
    size: np.ndarray,
    n_sites: int,
    resident_serial: np.ndarray,
) -> None:
    """Take out of the heap every event whose resident has died (its site no longer holds
    its serial; serials are never reused, so it never will): the events :func:`pop_due`
    and :func:`sim.resident_rows.settle_due` would drop when they come up. The others
    keep their keys, so they still come up in the same order; the heap is rebuilt over
    them in place (Floyd's construction, linear in their number). Most of a heap's
    events are of residents long gone (blasts leave the grid long before their death is
    due); a smaller heap is cheaper to push to and pop from."""
    live = 0
    for index in range(size[0]):
        serial, site = divmod(events[index] >> 1, n_sites)
        if resident_serial[site] == serial:
            keys[live], events[live] = keys[index], events[index]
            live += 1
    size[0] = live
    for index in range(live // 2 - 1, -1, -1):  # Floyd's heap construction
        _sift_down(keys, events, index, live)


@njit(cache=True)
def with_room(
    keys: np.ndarray,
    events: np.ndarray,
    size: np.ndarray,
    more: int,
    n_sites: int,
    resident_serial: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`UnmadeEventQueue.make_room` for a kernel: the heap's arrays with room for
    ``more`` bookings more, made first by dropping the events of residents that have
    died (:func:`drop_dead`), then, if that leaves them more than half full, by growing
    them (copies twice as long, or twice what is needed). Returns the arrays (the same,
    or the grown copies, which the caller keeps)."""
    if size[0] + more <= keys.size:
        return keys, events
    drop_dead(keys, events, size, n_sites, resident_serial)
    needed = size[0] + more
    if 2 * needed <= keys.size:
        return keys, events
    room = max(2 * keys.size, 2 * needed)
    grown_keys = np.zeros(room, dtype=np.int64)
    grown_events = np.zeros(room, dtype=np.int64)
    grown_keys[: keys.size] = keys
    grown_events[: events.size] = events
    return grown_keys, grown_events


@njit(cache=True)
def _sift_down(keys: np.ndarray, events: np.ndarray, index: int, size: int) -> None:
    """Move the entry at ``index`` down the heap of the first ``size`` entries until
    neither child has a smaller key."""
    key, event = keys[index], events[index]
    while True:
        child = 2 * index + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[index], events[index] = keys[child], events[child]
        index = child
    keys[index], events[index] = key, event


class UnmadeEventQueue(EventQueue):
    """:class:`sim.events.EventQueue` (the agents' callbacks, in buckets by step) plus
    the heap of the events of blasts without an agent; :meth:`run_due` runs both in
    booking order.

    Args:
        run_event: runs one event of a blast without an agent that is still alive.
        n_sites: sites on the grid.
        resident_serial: ``Tissue.resident_serial`` (read by :func:`pop_due`).
        settle: ``(step, until) -> events run``: runs the heap's events due at ``step``
            booked before booking number ``until`` in one go
            (:meth:`sim.unmade_residents.UnmadeResidents.settle_due`); without it, each
            live one is run by ``run_event``.
    """

    def __init__(
        self,
        run_event: Callable[[int], None],
        n_sites: int,
        resident_serial: np.ndarray,
        settle: Callable[[int, int], int] | None = None,
    ) -> None:
        super().__init__()
        self._sequences: dict[int, list[int]] = {}
        self.next_sequence = 0
        self.keys = np.zeros(4096, dtype=np.int64)
        self.events = np.zeros(4096, dtype=np.int64)
        self.size = np.zeros(1, dtype=np.int64)
        self._run_event = run_event
        self._n_sites = n_sites
        self._resident_serial = resident_serial
        self._settle = settle

    def due_before(self, step: int, until: int) -> bool:
        """Whether the heap's next event is due at ``step`` and booked before ``until``."""
        if self.size[0] == 0:
            return False
        key = int(self.keys[0])
        return (key >> SEQUENCE_BITS) == step and (key & SEQUENCE_MASK) < until

    def schedule(self, step: int, callback: Callable[[], None]) -> None:
        """Book ``callback`` to run at ``step`` (an agent's booking)."""
        bucket = self._due.get(step)
        if bucket is None:
            self._due[step] = [callback]
            self._sequences[step] = [self.next_sequence]
        else:
            bucket.append(callback)
            self._sequences[step].append(self.next_sequence)
        self.next_sequence += 1

    def book(self, due: np.ndarray, events: np.ndarray, never: int) -> None:
        """Book events of residents without an agent, in order (``due`` ``never``: none)."""
        self.make_room(due.size)
        self.next_sequence = push_all(
            self.keys, self.events, self.size, due, events, never, self.next_sequence
        )

    def book_one(self, due: int, event: int) -> None:
        """Book one event of a resident without an agent."""
        self.make_room(1)
        push_one(
            self.keys, self.events, self.size, due << SEQUENCE_BITS | self.next_sequence, event
        )
        self.next_sequence += 1

    def make_room(self, more: int) -> None:
        """Make room in the heap's arrays, if need be, for ``more`` bookings more: first
        by dropping the events of residents that have died, then, if that leaves them
        more than half full, by growing them (:func:`with_room`)."""
        if int(self.size[0]) + more > self.keys.size:
            self.keys, self.events = with_room(
                self.keys, self.events, self.size, more, self._n_sites, self._resident_serial
            )

    def run_due(self, step: int) -> int:
        """Run every event due at ``step`` in booking order (the agents' callbacks and
        the events of living blasts without an agent); returns how many ran."""
        bucket = self._due.pop(step, ())
        heap_due = self.size[0] and int(self.keys[0]) >> SEQUENCE_BITS == step
        if not bucket:  # the usual step: the heap's events alone
            if not heap_due:
                return 0
            if self._settle is not None:
                return self._settle(step, NO_LIMIT)
        sequences = self._sequences.pop(step, ())
        if not heap_due:
            for callback in bucket:
                callback()
            return len(bucket)
        if self._settle is not None:
            ran = len(bucket)
            for sequence, callback in zip(sequences, bucket, strict=True):
                ran += self._settle(step, sequence)
                callback()
            return ran + self._settle(step, NO_LIMIT)
        heap_order, heap_events = pop_due(
            self.keys, self.events, self.size, step, self._n_sites, self._resident_serial
        )
        order, events = heap_order.tolist(), heap_events.tolist()
        run_event = self._run_event
        taken = 0
        for sequence, callback in zip(sequences, bucket, strict=True):
            while taken < len(order) and order[taken] < sequence:
                run_event(events[taken])
                taken += 1
            callback()
        for event in events[taken:]:
            run_event(event)
        return len(bucket) + len(events)
